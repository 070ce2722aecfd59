"""MICOM: measurement invariance of composites (Henseler, Ringle & Sarstedt 2016, Int. Marketing
Review 33(3): 405-431), and which segment comparisons may be made.

For every pair of groups (two-group comparisons in sorted order):

1. configural invariance: same items, same data treatment, same algorithm in every group
   (true by construction here: one spec, one PLS-PM setting); checked: every item varies
   within each group;
2. compositional invariance: c = corr(Z w_1, Z w_2), the correlation over the pooled rows of the
   composites built with each group's weights (Z = pooled-standardized items), against the 5%
   quantile of c under P permutations of the group labels; established when c >= q_05
   (p = share of permuted c <= observed c);
3. equal composite means and variances: with the pooled fit's weights, the difference of the
   composite means (group 1 - group 2, pooled-standardized scale) and of the log variances,
   against the 2.5% and 97.5% quantiles of their permutation distributions; equal when inside.

Full invariance = 1, 2, 3a and 3b established; partial = 1 and 2 (composite means may be
compared across groups); none otherwise.

:func:`segment_comparability` turns a MICOM table (PLS) or a CB-SEM invariance table
(``model/invariance.csv``) into one verdict per comparison (and construct): whether segment
indexes may be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .mga import complete_items, group_pls, permutation_masks
from .spec import ModelSpec

MICOM_COLUMNS = [
    "comparison",
    "step",
    "construct",
    "statistic",
    "quantile_lower",
    "quantile_upper",
    "pvalue",
    "verdict",
]
"""Columns of ``model/micom.csv``."""

ESTABLISHED, NOT_ESTABLISHED = "established", "not established"


def _composite_cor(W1: np.ndarray, W2: np.ndarray, R: np.ndarray) -> np.ndarray:
    """corr(Z w1_k, Z w2_k) for every construct k; W (..., p, L), R the pooled correlations."""
    a = np.einsum("...pl,pq,...ql->...l", W1, R, W2)
    v1 = np.einsum("...pl,pq,...ql->...l", W1, R, W1)
    v2 = np.einsum("...pl,pq,...ql->...l", W2, R, W2)
    return a / np.sqrt(v1 * v2)


def _pair(X, g1, g2, spec, n_perm, rng, scheme, label, alpha):
    rows = []
    cons = spec.constructs
    keep = g1 | g2
    Xp, h1 = X[keep], g1[keep]
    n = len(Xp)
    Z = (Xp - Xp.mean(axis=0)) / Xp.std(axis=0)
    R = (Z.T @ Z) / n
    # step 1
    for c in cons:
        items = [spec.items.index(i) for i in spec.blocks[c]]
        ok = all(np.std(Xp[m][:, items], axis=0).min() > 0 for m in (h1, ~h1))
        rows.append(
            (
                label,
                "1 configural",
                c,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                ESTABLISHED if ok else NOT_ESTABLISHED,
            )
        )
    # step 2: compositional invariance
    obs = group_pls(Xp, np.vstack([h1, ~h1]).astype(float), spec, scheme=scheme)
    c_obs = _composite_cor(obs.W[0], obs.W[1], R)
    M = permutation_masks(h1, rng, n_perm)
    f1 = group_pls(Xp, M, spec, scheme=scheme)
    f2 = group_pls(Xp, 1.0 - M, spec, scheme=scheme)
    c_perm = _composite_cor(f1.W, f2.W, R)
    q05 = np.quantile(c_perm, alpha, axis=0)
    p2 = (1 + (c_perm <= c_obs + 1e-12).sum(axis=0)) / (1 + n_perm)
    for k, c in enumerate(cons):
        rows.append(
            (
                label,
                "2 compositional",
                c,
                c_obs[k],
                q05[k],
                np.nan,
                p2[k],
                ESTABLISHED if c_obs[k] >= q05[k] else NOT_ESTABLISHED,
            )
        )
    # step 3: means and variances of the pooled composites
    pooled = group_pls(Xp, np.ones((1, n)), spec, scheme=scheme)
    Y = Z @ pooled.W[0]  # (n, L)

    def stats(m):  # m (B, n): mean difference and log variance ratio per construct
        m1 = m.sum(axis=1)[:, None]
        m2 = (1 - m).sum(axis=1)[:, None]
        mu1, mu2 = m @ Y / m1, (1 - m) @ Y / m2
        v1 = m @ (Y * Y) / m1 - mu1**2
        v2 = (1 - m) @ (Y * Y) / m2 - mu2**2
        return mu1 - mu2, np.log(v1) - np.log(v2)

    d_obs, v_obs = (x[0] for x in stats(h1[None].astype(float)))
    d_perm, v_perm = stats(M)
    for name, o, pm in (("3a means", d_obs, d_perm), ("3b variances", v_obs, v_perm)):
        lo = np.quantile(pm, alpha / 2, axis=0)
        hi = np.quantile(pm, 1 - alpha / 2, axis=0)
        p = (1 + (np.abs(pm) >= np.abs(o) - 1e-12).sum(axis=0)) / (1 + n_perm)
        for k, c in enumerate(cons):
            ok = lo[k] <= o[k] <= hi[k]
            rows.append(
                (label, name, c, o[k], lo[k], hi[k], p[k], ESTABLISHED if ok else NOT_ESTABLISHED)
            )
    return rows


def micom(
    data: pd.DataFrame,
    spec: ModelSpec,
    group: str,
    *,
    groups: Sequence | None = None,
    n_permutations: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    scheme: str = "path",
) -> pd.DataFrame:
    """MICOM's three steps for every pair of groups of column ``group`` (module docstring).

    Returns the ``model/micom.csv`` table (:data:`MICOM_COLUMNS`), comparisons as
    ``"<g1> vs <g2>"``, rows in a fixed order.
    """
    X, labels = complete_items(data, spec, group)
    levels = sorted(pd.unique(labels).tolist(), key=str) if groups is None else list(groups)
    if len(levels) < 2:
        raise ConfigError(f"MICOM needs at least two groups in {group!r}", key="model.groups")
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in combinations(levels, 2):
        g1, g2 = labels == a, labels == b
        for g, m in ((a, g1), (b, g2)):
            if m.sum() < 10:
                raise ConfigError(
                    f"group {g!r} of {group!r} has {int(m.sum())} complete rows; at least 10 needed",
                    key="model.groups",
                )
        rows += _pair(X, g1, g2, spec, n_permutations, rng, scheme, f"{a} vs {b}", alpha)
    return pd.DataFrame(rows, columns=MICOM_COLUMNS)


def micom_levels(table: pd.DataFrame) -> pd.DataFrame:
    """Per comparison and construct: ``invariance`` full / partial / none from a MICOM table."""
    out = []
    for (comp, c), g in table.groupby(["comparison", "construct"], sort=False):
        ok = dict(zip(g["step"], g["verdict"] == ESTABLISHED, strict=True))
        if ok.get("1 configural") and ok.get("2 compositional"):
            level = "full" if ok.get("3a means") and ok.get("3b variances") else "partial"
        else:
            level = "none"
        out.append((comp, c, level))
    return pd.DataFrame(out, columns=["comparison", "construct", "invariance"])


def segment_comparability(
    micom_table: pd.DataFrame | None = None,
    invariance_table: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
    delta_cfi: float = -0.01,
    delta_rmsea: float = 0.015,
) -> pd.DataFrame:
    """May segment indexes be compared? One row per comparison (and construct).

    * PLS (``micom_table``, :func:`micom`): comparable when configural and compositional
      invariance hold (partial or full MICOM invariance: composites are built alike in both
      groups, so their means may be compared); ``invariance`` full / partial / none.
    * CB-SEM (``invariance_table``: ``model/invariance.csv`` with rows level = configural,
      metric, scalar[, strict] and columns delta_pvalue and, if present, cfi and rmsea):
      comparable when scalar invariance holds: at the metric and the scalar level either the
      chi-square difference test is not significant (delta_pvalue >= ``alpha``) or the change in
      fit is small (CFI drops by less than 0.01 and RMSEA rises by less than 0.015; Chen 2007).

    Columns: comparison, construct ("all" for CB-SEM), invariance, comparable, reason.
    """
    if (micom_table is None) == (invariance_table is None):
        raise ValueError("give exactly one of micom_table and invariance_table")
    if micom_table is not None:
        lv = micom_levels(micom_table)
        lv["comparable"] = lv["invariance"] != "none"
        lv["reason"] = np.where(
            lv["comparable"],
            "MICOM steps 1-2 established (" + lv["invariance"] + " invariance)",
            "MICOM compositional invariance not established: composites differ between groups",
        )
        return lv[["comparison", "construct", "invariance", "comparable", "reason"]]
    t = invariance_table.set_index("level")
    held = "configural"
    reason = "scalar invariance holds"
    for level in ("metric", "scalar"):
        if level not in t.index:
            reason = f"level {level} not tested"
            break
        r = t.loc[level]
        prev = t.index[list(t.index).index(level) - 1]
        ok = bool(r.get("delta_pvalue", np.nan) >= alpha)
        if not ok and "cfi" in t.columns and "rmsea" in t.columns:
            ok = bool(
                r["cfi"] - t.loc[prev, "cfi"] >= delta_cfi
                and r["rmsea"] - t.loc[prev, "rmsea"] <= delta_rmsea
            )
        if not ok:
            reason = (
                f"{level} invariance rejected (delta p = {r.get('delta_pvalue', np.nan):.3g}; "
                "change in CFI/RMSEA too large)"
            )
            break
        held = level
    comparable = held == "scalar"
    return pd.DataFrame(
        [("groups", "all", held, comparable, reason)],
        columns=["comparison", "construct", "invariance", "comparable", "reason"],
    )
