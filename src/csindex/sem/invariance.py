"""Measurement invariance across groups: configural -> metric -> scalar (-> strict), as the
sequence of lavaan fits ``group.equal = "loadings"``, ``c("loadings", "intercepts")``,
``c("loadings", "intercepts", "residuals")`` compared by ``lavTestLRT``.

Per level: chi2, df, p, CFI, TLI, RMSEA, SRMR, AIC, BIC (:func:`~csindex.sem.multigroup.
fit_multigroup`); against the previous level the chi-square difference test: for ML the plain
difference (delta chi2 = chi2_k - chi2_{k-1} on delta df); for robust fits (MLR, survey
weights) the Satorra-Bentler (2001) scaled difference
T_d = (T_k - T_{k-1}) / c_d, c_d = (df_k c_k - df_{k-1} c_{k-1}) / (df_k - df_{k-1}), with c
the MLR scaling factors of the two fits (``chisq_scaling_factor``), as lavTestLRT.
Verdict (Chen 2007, for samples of 300 or more with equal groups): a level holds when, against
the previous level, delta CFI >= -0.010 and delta RMSEA <= 0.015. The configural level is the
baseline (no verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError
from .multigroup import MultiGroupResult, fit_multigroup
from .spec import ModelSpec

LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
COLUMNS = [
    "level",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "aic",
    "bic",
    "delta_chisq",
    "delta_df",
    "delta_pvalue",
]
TABLE_COLUMNS = [*COLUMNS, "delta_cfi", "delta_rmsea", "holds", "test"]
"""The columns of ``model/invariance.csv`` (:attr:`InvarianceResult.table`)."""


@dataclass(frozen=True)
class InvarianceRule:
    """Chen (2007): a level holds when delta CFI >= -cfi_drop and delta RMSEA <= rmsea_rise."""

    cfi_drop: float = 0.010
    rmsea_rise: float = 0.015

    def describe(self) -> str:
        return (
            f"Chen (2007): a level holds when, against the previous level, delta CFI >= "
            f"-{self.cfi_drop:g} and delta RMSEA <= {self.rmsea_rise:g}"
        )

    def holds(self, delta_cfi: float, delta_rmsea: float) -> bool:
        return bool(delta_cfi >= -self.cfi_drop - 1e-12 and delta_rmsea <= self.rmsea_rise + 1e-12)


@dataclass
class InvarianceResult:
    """Fits per level (``fits``), the comparison ``table`` (columns :data:`COLUMNS` then
    delta_cfi, delta_rmsea, holds, test) and the rule used."""

    levels: list[str]
    fits: dict[str, MultiGroupResult]
    table: pd.DataFrame
    rule: InvarianceRule

    @property
    def final(self) -> MultiGroupResult:
        """The most constrained level's fit."""
        return self.fits[self.levels[-1]]

    def holds(self, level: str) -> bool:
        """True when ``level`` and every level before it hold (the configural level holds)."""
        k = self.levels.index(level)
        return bool(all(self.table["holds"].iloc[1 : k + 1].astype(bool)))

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Measurement invariance ({self.rule.describe()}):"]
        for r in self.table.itertuples():
            tail = ""
            if r.level != self.levels[0]:
                tail = (
                    f"; d_chi2 = {r.delta_chisq:.3f} on {r.delta_df:.0f} df (p {r.delta_pvalue:.4g}),"
                    f" dCFI = {r.delta_cfi:+.4f}, dRMSEA = {r.delta_rmsea:+.4f}: "
                    f"{'holds' if r.holds else 'does not hold'}"
                )
            lines.append(
                f"  {r.level:<10} chi2 = {r.chisq:.3f}, df = {r.df:.0f}, CFI = {r.cfi:.3f}, "
                f"RMSEA = {r.rmsea:.3f}{tail}"
            )
        return "\n".join(lines)


def lrt_difference(
    chisq: tuple[float, float],
    df: tuple[float, float],
    scaling: tuple[float, float] | None = None,
) -> tuple[float, float, float]:
    """Chi-square difference test of a nested pair (less, more constrained): (delta chi2,
    delta df, p). With ``scaling`` (c_less, c_more), the Satorra-Bentler (2001) scaled
    difference as lavTestLRT (method "satorra.bentler.2001")."""
    d_df = df[1] - df[0]
    d = chisq[1] - chisq[0]
    if scaling is not None:
        cd = (df[1] * scaling[1] - df[0] * scaling[0]) / d_df
        d = d / cd
    d = max(d, 0.0) if scaling is None else d
    return float(d), float(d_df), float(stats.chi2.sf(d, d_df)) if d_df > 0 else float("nan")


def measurement_invariance(
    data: pd.DataFrame,
    spec: ModelSpec,
    group: str,
    levels: Sequence[str] = ("configural", "metric", "scalar"),
    *,
    weights: str | Sequence[float] | np.ndarray | None = None,
    se: str | None = None,
    group_partial: Sequence[str] = (),
    rule: InvarianceRule | None = None,
    file: str | None = None,
) -> InvarianceResult:
    """Fit the invariance levels in order and compare each with the previous one.

    ``levels``: a subsequence of configural, metric, scalar, strict, in that order.
    ``group_partial``: parameters left free across groups at every level (lavaan
    ``group.partial``). Each level starts from the previous level's estimates.
    """
    levels = list(levels)
    _check_levels(levels)
    rule = rule or InvarianceRule()
    fits: dict[str, MultiGroupResult] = {}
    prev = None
    rows = []
    for lv in levels:
        res = fit_multigroup(
            data,
            spec,
            group,
            group_equal=LEVELS[lv],
            group_partial=group_partial,
            weights=weights,
            se=se,
            start=prev,
            file=file,
        )
        fits[lv] = res
        rows.append(_level_row(lv, res, prev, rule))
        prev = res
    table = pd.DataFrame(rows)[COLUMNS + ["delta_cfi", "delta_rmsea", "holds", "test"]]
    return InvarianceResult(levels=levels, fits=fits, table=table, rule=rule)


def _check_levels(levels: list[str]) -> None:
    """The levels are known, distinct and in the order configural, metric, scalar, strict."""
    order = list(LEVELS)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ConfigError(
            f"invariance level {bad[0]!r} not allowed; allowed: {', '.join(order)}",
            key="model.invariance",
        )
    if not levels or [order.index(lv) for lv in levels] != sorted(
        order.index(lv) for lv in set(levels)
    ):
        raise ConfigError(
            f"invariance levels {levels} must be distinct and in the order {' -> '.join(order)}",
            key="model.invariance",
        )


def _level_row(
    lv: str, res: MultiGroupResult, prev: MultiGroupResult | None, rule: InvarianceRule
) -> dict:
    """The table row of one level: its fit and, against the previous level, the (scaled)
    chi-square difference test, delta CFI, delta RMSEA and the verdict."""
    f = res.fit
    row = {k: f[k] for k in COLUMNS if k in f}
    row["level"] = lv
    row.update(
        delta_chisq=np.nan,
        delta_df=np.nan,
        delta_pvalue=np.nan,
        delta_cfi=np.nan,
        delta_rmsea=np.nan,
        holds=pd.NA,
        test="standard" if res.se_type == "standard" else "Satorra-Bentler (2001) scaled",
    )
    if prev is not None:
        pf = prev.fit
        scaling = None
        if res.se_type == "robust":
            scaling = (pf["chisq_scaling_factor"], f["chisq_scaling_factor"])
        d, ddf, pv = lrt_difference((pf["chisq"], f["chisq"]), (pf["df"], f["df"]), scaling)
        row.update(
            delta_chisq=d,
            delta_df=ddf,
            delta_pvalue=pv,
            delta_cfi=f["cfi"] - pf["cfi"],
            delta_rmsea=f["rmsea"] - pf["rmsea"],
        )
        row["holds"] = rule.holds(row["delta_cfi"], row["delta_rmsea"])
    return row


__all__ = [
    "COLUMNS",
    "LEVELS",
    "InvarianceResult",
    "InvarianceRule",
    "lrt_difference",
    "measurement_invariance",
]
