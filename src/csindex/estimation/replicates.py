"""Replicate-weight variance (R ``survey``'s ``svrVar``): ``v = scale * sum_r rscales_r
(theta_r - c)^2``, ``c`` the full-sample estimate when ``mse`` else the replicate mean; and the
replicate design of the weights stage shared by the index, the SEM and the report."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csindex.errors import InputError

MSE_DEFAULT = False
"""The one default of ``mse`` (R ``getOption("survey.replicates.mse")``, FALSE)."""
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


def replicate_variance(
    theta: np.ndarray | float,
    theta_r: np.ndarray,
    scale: float = 1.0,
    rscales: np.ndarray | Sequence[float] | float | None = None,
    mse: bool = MSE_DEFAULT,
) -> np.ndarray:
    """Replicate variance as R survey's ``svrVar``: ``scale * sum_r rscales_r (theta_r - c)^2``
    with ``c = theta`` (``mse``) or the mean of the replicates whose ``rscales > 0``
    (``colMeans(thetas[rscales > 0, ])``). ``theta_r`` is R x p (or R); replicates giving NaN
    are left out of the sum (R ``na.rm``-like, as the engine has always done)."""
    tr = np.asarray(theta_r, float)
    one = tr.ndim == 1
    if one:
        tr = tr[:, None]
    th = np.atleast_1d(np.asarray(theta, float))
    R = tr.shape[0]
    rs = (
        np.ones(R)
        if rscales is None
        else np.broadcast_to(np.asarray(rscales, float), (R,)).astype(float)
    )
    if mse or not (rs > 0).any():
        centre = th
    else:
        with warnings.catch_warnings():  # an all-NaN column: centre NaN, said by the caller
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmean(tr[rs > 0], axis=0)
    d = tr - centre
    v = float(scale) * np.nansum(d * d * rs[:, None], axis=0)
    return v[0] if one and np.ndim(theta) == 0 else v


def align_replicates(
    data: pd.DataFrame,
    table: pd.DataFrame,
    reps: list[str],
    rows: np.ndarray | None,
    file: str | None,
) -> np.ndarray:
    """(n, R) replicate weights of ``table`` (respondent_id + ``reps``) for the rows ``rows``
    of ``data`` (all rows when None), matched on respondent_id."""
    ids = data["respondent_id"] if rows is None else data.loc[rows, "respondent_id"]
    m = ids.to_frame().merge(table[["respondent_id", *reps]], on="respondent_id", how="left")
    arr = m[reps].to_numpy(dtype=float)
    if np.isnan(arr).any():
        bad = ids.iloc[int(np.flatnonzero(np.isnan(arr).any(axis=1))[0])]
        raise InputError(
            f"respondent {bad!r} has no replicate weights",
            file=None if file is None else str(file),
            column=reps[0],
        )
    return arr


@dataclass
class ReplicateDesign:
    """Replicate weights of the weights stage and the constants of their variance formula: the
    one replicate-design type of the index, the SEM and the report.

    Variance of a statistic as R survey's ``svrVar`` (:func:`replicate_variance`):
    ``scale * sum_r rscales_r (theta_r - c)^2``, ``c`` the full-sample estimate (``mse``) or the
    mean of the replicates with ``rscales > 0``.

    Attributes
    ----------
    table : respondent_id and the replicate weight columns (``names``, e.g. rep_001, ...).
    names : the replicate weight columns, sorted.
    scale, rscales, mse : the variance constants (``rscales`` one per replicate).
    replicate_type : e.g. JKn, JK1, BRR, Fay, bootstrap (for descriptions only).
    file : where the weights came from (for error messages).
    """

    table: pd.DataFrame
    names: list[str]
    scale: float = 1.0
    rscales: np.ndarray | None = None
    mse: bool = MSE_DEFAULT
    replicate_type: str = "unknown"
    file: str | None = None

    def __post_init__(self) -> None:
        if self.rscales is None:
            self.rscales = np.ones(len(self.names))
        self.rscales = np.asarray(self.rscales, dtype=float)
        if self.rscales.size == 1 and len(self.names) != 1:
            self.rscales = np.full(len(self.names), float(self.rscales.ravel()[0]))
        if self.rscales.shape != (len(self.names),):
            raise InputError(
                f"{self.rscales.size} rscales for {len(self.names)} replicate weight columns",
                file=self.file,
            )

    @classmethod
    def from_matrix(
        cls,
        weights: np.ndarray,
        scale: float = 1.0,
        rscales: np.ndarray | Sequence[float] | None = None,
        mse: bool = MSE_DEFAULT,
        replicate_type: str = "unknown",
    ) -> ReplicateDesign:
        """Replicate weights (n x R) already aligned row by row with the data."""
        w = np.asarray(weights, float)
        names = [f"rep_{r + 1:03d}" for r in range(w.shape[1])]
        table = pd.DataFrame(w, columns=names)
        table.insert(0, "respondent_id", np.arange(w.shape[0]))
        return cls(table, names, float(scale), rscales, bool(mse), replicate_type)

    @property
    def n_replicates(self) -> int:
        return len(self.names)

    @property
    def weights(self) -> np.ndarray:
        """(n, R) replicate weights in the row order of ``table``."""
        return self.table[self.names].to_numpy(dtype=float)

    def matrix(self, data: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, R) replicate weights of the rows ``rows`` of ``data`` (all when None), matched
        on respondent_id; raises InputError when a respondent has none."""
        return align_replicates(data, self.table, self.names, rows, self.file)

    def variance(self, theta: np.ndarray, theta_r: np.ndarray) -> np.ndarray:
        """Variance of ``theta`` (p) from its replicates ``theta_r`` (R x p)."""
        return replicate_variance(theta, theta_r, self.scale, self.rscales, self.mse)

    def describe(self, how: str) -> str:
        """Plain description, e.g. ``replicate weights (JKn, 102 replicates; <how>)``."""
        return f"replicate weights ({self.replicate_type}, {self.n_replicates} replicates; {how})"


def replicate_design(
    table: pd.DataFrame, diagnostics: dict, file: str | None = None
) -> ReplicateDesign | None:
    """A :class:`ReplicateDesign` from the weights table (``rep_###`` columns) and the weights
    stage's diagnostics (``scale``, ``rscales``, ``mse``, ``replicate_type``); None when the
    table has no replicate weight columns."""
    reps = sorted(c for c in table.columns if c.startswith("rep_"))
    if not reps:
        return None
    diag = diagnostics or {}
    rs = diag.get("rscales")
    return ReplicateDesign(
        table=table[["respondent_id", *reps]],
        names=reps,
        scale=float(diag.get("scale") or 1.0),
        rscales=None if rs is None else np.asarray(rs, dtype=float),
        mse=bool(diag.get("mse", MSE_DEFAULT)),
        replicate_type=str(diag.get("replicate_type", "unknown")),
        file=None if file is None else str(file),
    )
