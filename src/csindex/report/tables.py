"""Report tables: per-question answer distributions (weighted and unweighted, with design-based
standard errors), small-cell suppression and the test of a change in the index between versions.

All functions take DataFrames and return DataFrames; nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ..estimation import (
    MSE_DEFAULT,
    DesignVariables,
    ReplicateDesign,
    SurveyDesign,
    VarianceOptions,
    survey_design,
)


def _design_variance(
    z: np.ndarray, stratum: np.ndarray, psu: np.ndarray, lonely_psu: str = "adjust"
) -> np.ndarray:
    """Variance of column totals of the linearised values ``z`` (n x m) under a stratified
    cluster design sampled with replacement at the first stage: the engine's
    :meth:`csindex.estimation.SurveyDesign.variance` (single-PSU strata as ``lonely_psu``)."""
    keys = pd.DataFrame({"h": np.asarray(stratum), "c": np.asarray(psu)})
    design = survey_design(
        keys,
        DesignVariables(weight=None, strata="h", psu="c", nest=True),
        variance=VarianceOptions(lonely_psu=lonely_psu),
    )
    return design.variance(z)


def Replicates(  # noqa: N802 - kept as the report's name for the engine's type
    weights: np.ndarray, scale: float, rscales: np.ndarray, mse: bool = MSE_DEFAULT
) -> ReplicateDesign:
    """Replicate weights (n x R, aligned with the responses) as the engine's
    :class:`csindex.estimation.ReplicateDesign` (variance as R survey's ``svrVar``)."""
    return ReplicateDesign.from_matrix(weights, scale=scale, rscales=rscales, mse=mse)


def answer_distribution(
    responses: pd.DataFrame,
    items: Sequence[str],
    codes: dict[str, Sequence[float]],
    weights: pd.Series | np.ndarray | None = None,
    stratum: pd.Series | np.ndarray | None = None,
    psu: pd.Series | np.ndarray | None = None,
    replicates: ReplicateDesign | None = None,
    lonely_psu: str = "adjust",
    design: SurveyDesign | None = None,
) -> pd.DataFrame:
    """Counts and percentages of each answer code of each item (missing answers excluded).

    Unweighted: ``n`` and ``pct = 100 n / n_item``. Weighted (when ``weights`` is given):
    ``w_pct = 100 sum(w I_k) / sum(w)`` over the respondents who answered, with its Taylor
    (linearisation) standard error ``w_se`` under the stratified cluster design given by
    ``stratum`` and ``psu`` (each respondent its own PSU, one stratum, when they are omitted) —
    the same as R ``survey::svymean(~factor(item), design, na.rm = TRUE)``, which treats the
    respondents who answered as a domain. With ``replicates`` the standard error is the
    replicate one instead (R ``svymean`` on the ``svrepdesign``). Single-PSU strata follow
    ``lonely_psu`` (estimation.lonely_psu). ``design`` (the weights file's Taylor design, rows
    aligned with ``responses``: fpc per stage, calibration residuals) replaces ``stratum``/``psu``.
    Codes outside ``codes[item]`` are counted in an extra row with ``code = NaN`` ("other") so
    nothing disappears silently.
    """
    n = len(responses)
    _check_items(responses, items)
    weighted = weights is not None
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if weighted:
        _check_weights(w)
    h = np.zeros(n, dtype=int) if stratum is None else np.asarray(stratum)
    c = np.arange(n) if psu is None else np.asarray(psu)
    rows = []
    for item in items:  # a handful of items; respondents are handled vectorised
        x = pd.to_numeric(responses[item], errors="coerce").to_numpy(dtype=float)
        a = _answers(x, codes[item])
        out = pd.DataFrame(
            {
                "item": item,
                "code": a.labels,
                "n": a.counts.astype(int),
                "n_item": int(a.n_item),
                "pct": 100.0 * a.counts / a.n_item if a.n_item else np.nan,
            }
        )
        if weighted:
            tot, p, var = _weighted_shares(a, w, h, c, replicates, design, lonely_psu)
            out["w_sum"] = tot
            out["w_pct"] = 100.0 * p
            out["w_se"] = 100.0 * np.sqrt(var)
        rows.append(out)
    return pd.concat(rows, ignore_index=True)


def _check_items(responses: pd.DataFrame, items: Sequence[str]) -> None:
    """Every item is a column of the responses."""
    missing = [i for i in items if i not in responses.columns]
    if missing:
        raise InputError(
            f"item column(s) {', '.join(missing)} not found; columns present: "
            f"{', '.join(map(str, responses.columns))}",
            file="clean/responses.parquet",
            column=missing[0],
        )


def _check_weights(w: np.ndarray) -> None:
    """Weights are non-negative numbers."""
    if np.isnan(w).any() or (w < 0).any():
        bad = int(np.flatnonzero(np.isnan(w) | (w < 0))[0])
        raise InputError(
            "weights must be non-negative numbers; allowed: w >= 0",
            file="weights/weights.parquet",
            row=bad + 1,
            column="w_final",
        )


@dataclass
class _Answers:
    """One item's answers as indicators of its codes (plus "other" when a code is unknown)."""

    ind: np.ndarray  # respondents x categories
    labels: np.ndarray  # the code of every category (NaN = other)
    answered: np.ndarray
    counts: np.ndarray
    n_item: int


def _answers(x: np.ndarray, codes: Sequence[float]) -> _Answers:
    """Indicators of the item's codes (sorted), an "other" column for answers outside them."""
    cats = np.asarray(sorted(float(v) for v in codes), dtype=float)
    answered = ~np.isnan(x)
    ind = x[:, None] == cats[None, :]
    other = answered & ~ind.any(axis=1)
    if other.any():
        ind = np.column_stack([ind, other])
        cat_labels = np.append(cats, np.nan)
    else:
        cat_labels = cats
    return _Answers(ind, cat_labels, answered, ind.sum(axis=0), answered.sum())


def _weighted_shares(
    a: _Answers,
    w: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    replicates: ReplicateDesign | None,
    design: SurveyDesign | None,
    lonely_psu: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted totals, shares ``p = sum(w I_k) / sum(w)`` over the respondents who answered,
    and their variance: replicate, the design's Taylor variance, or the stratified cluster one
    of the linearised values ``w (I_k - p) / sum(w)`` (NaN when nobody answered)."""
    ind, answered = a.ind, a.answered
    wd = w * answered
    denom = wd.sum()
    tot = (wd[:, None] * ind).sum(axis=0)
    p = tot / denom if denom > 0 else np.full(len(a.labels), np.nan)
    z = wd[:, None] * (ind - p[None, :]) / denom if denom > 0 else np.zeros(ind.shape)
    if replicates is not None:
        wr = replicates.weights * answered[:, None]
        den_r = wr.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_r = (wr.T @ ind) / den_r[:, None]
        var = replicates.variance(p, p_r)
    elif design is not None:
        var = design.variance(z, present=np.repeat(answered[:, None], z.shape[1], 1))
    else:
        var = _design_variance(z, h, c, lonely_psu)
    if not denom > 0:  # nobody answered: no estimate, no SE (not 0)
        var = np.full(len(a.labels), np.nan)
    return tot, p, var


def suppress_small_cells(
    table: pd.DataFrame, min_cell: int, count: str = "n", by: str | Sequence[str] = "item"
) -> pd.Series:
    """Cells to suppress: primary cells with ``0 < count < min_cell``; and, where a group (one
    item's answers) has exactly one primary cell, also its smallest other non-zero cell, so the
    hidden count cannot be recovered from the total (secondary suppression). Returns a boolean
    Series aligned with ``table``."""
    cnt = table[count].to_numpy()
    primary = (cnt > 0) & (cnt < min_cell)
    df = pd.DataFrame(
        {
            "g": table[by].astype(str).agg("\x1f".join, axis=1)
            if not isinstance(by, str)
            else table[by].astype(str),
            "cnt": cnt,
            "p": primary,
        },
        index=table.index,
    )
    n_primary = df.groupby("g")["p"].transform("sum")
    candidates = df[(n_primary == 1) & ~df["p"] & (df["cnt"] > 0)]
    secondary = pd.Series(False, index=table.index)
    if len(candidates):
        idx = candidates.sort_values(["g", "cnt"], kind="stable").groupby("g").head(1).index
        secondary.loc[idx] = True
    return pd.Series(primary, index=table.index) | secondary


@dataclass(frozen=True)
class Difference:
    """Change of an index between two independent samples (two versions of a study)."""

    current: float
    previous: float
    diff: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    level: float

    @property
    def significant(self) -> bool:
        return bool(self.p < 1 - self.level)

    def to_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def difference_test(
    current: float, se_current: float, previous: float, se_previous: float, level: float = 0.95
) -> Difference:
    """Two-sided z test of ``current - previous`` for independent samples:
    ``se = sqrt(se_c^2 + se_p^2)``, ``z = diff / se``, ``p = 2 (1 - Phi(|z|))``, and the
    ``level`` confidence interval ``diff +- z_(1+level)/2 se``."""
    diff = float(current) - float(previous)
    se = float(np.hypot(se_current, se_previous))
    zq = stats.norm.ppf(0.5 + level / 2)
    z = diff / se if se > 0 else np.nan
    p = float(2 * stats.norm.sf(abs(z))) if se > 0 else np.nan
    return Difference(
        current=float(current),
        previous=float(previous),
        diff=diff,
        se=se,
        z=float(z),
        p=p,
        ci_low=diff - zq * se,
        ci_high=diff + zq * se,
        level=level,
    )


def kish_neff(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())
