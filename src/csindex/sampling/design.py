"""The design specification (stages, strata, allocation) and the drawn sample."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

DESIGN_METHODS = ("srs", "systematic", "stratified", "cluster", "multistage", "quota")


@dataclass(frozen=True)
class Stage:
    """One stage: its units (a frame column; None = the frame's units), method and size.

    ``n`` is the total over strata for stage 1 (allocated to strata) and the number per
    selected parent unit for later stages (a parent with fewer units is taken whole).
    """

    unit: str | None = None
    method: str = "srswor"
    n: int | None = None
    size: str | None = None
    sort: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """A probability design: optional strata, one to three stages, allocation of stage 1."""

    method: str
    stages: tuple[Stage, ...]
    id_column: str = "customer_id"
    strata: str | None = None
    n: int | None = None  # target number of final units (used when stage 1 n is not given)
    allocation: str = "proportional"
    minimum: int = 0
    sd: Mapping[str, float] | None = None
    sd_column: str | None = None
    cost: Mapping[str, float] | None = None
    fixed: Mapping[str, int] | None = None

    def columns(self) -> list[str]:
        """The frame columns this design reads (id, strata, stage units, sizes, sort keys,
        the SD column), for a column-selective :func:`read_frame`."""
        cols = [self.id_column, self.strata, self.sd_column]
        for st in self.stages:
            cols += [st.unit, st.size, *st.sort]
        return list(dict.fromkeys(c for c in cols if c))


@dataclass
class SampleResult:
    """The selected units (``sample``) and the design summary written to design.json."""

    sample: pd.DataFrame
    info: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.sample

    def summary(self) -> dict[str, Any]:
        return self.info
