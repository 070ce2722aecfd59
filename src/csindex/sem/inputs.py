"""Readers of the model stage's inputs: the weights stage's files turned into the bootstrap
and replicate designs of :mod:`csindex.sem.bootstrap` (file I/O kept out of the statistics)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..estimation import ReplicateDesign, align_replicates, replicate_design
from ..io import read_json
from .bootstrap import BootstrapDesign, bootstrap_design


def read_bootstrap_design(
    data: pd.DataFrame,
    weights_paths: Sequence[str] = (),
    design: str = "auto",
    lonely_psu: str = "adjust",
) -> BootstrapDesign:
    """:func:`bootstrap_design` from weights/weights.parquet (first path; none = iid, or an
    error for ``rao_wu``)."""
    files = list(weights_paths or [])
    table = pd.read_parquet(files[0]) if files else None
    return bootstrap_design(data, table, design, lonely_psu, file=str(files[0]) if files else None)


def read_replicate_weights(
    data: pd.DataFrame, weights_path: str, rows: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Replicate weight columns rep_### of weights/weights.parquet matched to ``data`` on
    respondent_id (rows ``rows`` of data); (n, R) array and the column names ([] if none)."""
    wdf = pd.read_parquet(weights_path)
    reps = sorted(c for c in wdf.columns if c.startswith("rep_"))
    if not reps:
        return np.empty((0, 0)), []
    return align_replicates(data, wdf, reps, rows, weights_path), reps


def read_replicate_design(
    weights_paths: Sequence[str] = (), diagnostics_paths: Sequence[str] = ()
) -> ReplicateDesign | None:
    """Read weights/weights.parquet and weights/diagnostics.json (first path of each, as the
    rules pass them: empty lists when the study has no weights) into a
    :class:`ReplicateDesign`; None without both files or without replicate weights."""
    wfiles, dfiles = list(weights_paths or []), list(diagnostics_paths or [])
    if not (wfiles and dfiles):
        return None
    diag = read_json(dfiles[0])
    return replicate_design(pd.read_parquet(wfiles[0]), diag, file=str(wfiles[0]))
