"""``clean_responses``: run the registered cleaning rules, in order, on one table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...instrument import Instrument
from . import cells, duplicates, recodes, rows  # noqa: F401  (registers the rules)
from .options import CleaningOptions
from .registry import registered_rules
from .state import CleaningState, CleanResult


def clean_responses(
    df: pd.DataFrame,
    instrument: Instrument,
    config: dict[str, Any] | CleaningOptions | None = None,
    *,
    non_numeric: pd.DataFrame | None = None,
    duration_column: str = "duration_sec",
    wave_column: str = "wave",
) -> CleanResult:
    """Apply the cleaning rules (package docstring) to an ingested table (``respondent_id``,
    ``source_row`` optional, item columns as float64). ``config`` is the ``cleaning`` config
    section or its :class:`CleaningOptions`. ``non_numeric`` lists the item cells holding text at
    ingest (columns row, column, value) so they are logged too."""
    options = config if isinstance(config, CleaningOptions) else CleaningOptions.from_config(config)
    state = CleaningState.from_frame(
        df, instrument, non_numeric, duration_column=duration_column, wave_column=wave_column
    )
    for rule in registered_rules():
        if rule.enabled(options):
            rule.apply(state, options)
        elif rule.when_off is not None:
            rule.when_off(state, options)
    return state.result()
