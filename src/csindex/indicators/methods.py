"""Indicator weighting methods of seed 001, section 三 (测评指标权重的确定), plus AHP, entropy,
CRITIC and model-derived weights.

Every method returns a :class:`WeightResult`: the normalised weights of the children of one
node of the indicator hierarchy, the intermediate table the method works through (laid out as
the seed's tables are) and diagnostics. Inputs are plain pandas objects; the readers of the
expert files live in :mod:`csindex.indicators.experts`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, shown

#: Saaty's random consistency index RI by matrix order n (Saaty 1980, table 1.7; n = 1..15).
SAATY_RI = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}

#: Allowed (row, column) scores of one pair in the paired-comparison method (table 4-4).
PAIRED_SCORES = {(4, 0), (3, 1), (2, 2), (1, 3), (0, 4)}


class WeightWarning(UserWarning):
    """A weighting input that is usable but suspicious (sum not 1, CR > 0.1, no convergence)."""


@dataclass
class WeightResult:
    """Weights of the children of one node, with the method's intermediate table.

    ``weights``: Series indexed by child id, non-negative, summing to 1.
    ``table``: the worked table (e.g. table 4-3's multiples, table 4-4's score matrix).
    ``diagnostics``: method-specific figures (CR, lambda_max, Kendall's W ...).
    """

    method: str
    parent: str
    weights: pd.Series
    table: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Long table: parent, indicator, weight, method."""
        return pd.DataFrame(
            {
                "parent": self.parent,
                "indicator": list(self.weights.index),
                "weight": self.weights.to_numpy(dtype=float),
                "method": self.method,
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "parent": self.parent,
            "weights": {k: float(v) for k, v in self.weights.items()},
            **self.diagnostics,
            "warnings": list(self.warnings),
        }


def record_warning(result_warnings: list[str], message: str) -> None:
    result_warnings.append(message)
    warnings.warn(message, WeightWarning, stacklevel=3)


def _normalise(values: pd.Series, *, what: str, file: str | None = None) -> pd.Series:
    v = values.astype(float)
    bad = v[~np.isfinite(v.to_numpy()) | (v.to_numpy() < 0)]
    if len(bad):
        raise InputError(
            f"{what} of {bad.index[0]!r} is {shown(bad.iloc[0])}; weights must be finite and >= 0",
            file=file,
        )
    total = float(v.sum())
    if total <= 0:
        raise InputError(f"all {what}s are zero; at least one must be positive", file=file)
    return v / total


# --------------------------------------------------------------------------- subjective / direct
def direct_weights(
    weights: pd.Series, *, parent: str = "CSI", tol: float = 1e-6, file: str | None = None
) -> WeightResult:
    """Subjective weights given directly (主观赋权法): checked non-negative, normalised to sum 1.

    A warning is raised (and recorded) when the given weights do not sum to 1 within ``tol``.
    """
    w = pd.Series(weights, dtype=float)
    norm = _normalise(w, what="weight", file=file)
    msgs: list[str] = []
    total = float(w.sum())
    if abs(total - 1.0) > tol:
        record_warning(
            msgs, f"direct weights under {parent!r} sum to {total:.6g}, not 1; normalised"
        )
    table = pd.DataFrame({"indicator": w.index, "given": w.to_numpy(), "weight": norm.to_numpy()})
    return WeightResult("direct", parent, norm, table, {"given_sum": total}, msgs)


def direct_comparison(
    multiples: pd.Series, *, parent: str = "CSI", file: str | None = None
) -> WeightResult:
    """Direct comparison (直接比较法, table 4-3): each indicator's importance as a multiple of
    the least important one (which scores 1); w_i = m_i / sum(m).

    Seed example: multiples 1.5, 1, 2.0, 2.5 -> 1.5/7, 1/7, 2/7, 2.5/7 = 0.21, 0.14, 0.29, 0.36.
    """
    m = pd.Series(multiples, dtype=float)
    w = _normalise(m, what="multiple", file=file)
    msgs: list[str] = []
    if (m <= 0).any():
        raise InputError(
            f"multiple of {m[m <= 0].index[0]!r} is {m[m <= 0].iloc[0]:g}; multiples must be > 0 "
            "(the least important indicator is 1)",
            file=file,
        )
    if not math.isclose(float(m.min()), 1.0):
        record_warning(
            msgs,
            f"direct comparison under {parent!r}: the least important indicator has multiple "
            f"{m.min():g}, not 1 (table 4-3 expresses multiples of the least important)",
        )
    table = pd.DataFrame({"indicator": m.index, "multiple": m.to_numpy(), "weight": w.to_numpy()})
    total = pd.DataFrame({"indicator": ["total"], "multiple": [m.sum()], "weight": [w.sum()]})
    table = pd.concat([table, total], ignore_index=True)
    return WeightResult(
        "direct_comparison", parent, w, table, {"total_multiple": float(m.sum())}, msgs
    )


# --------------------------------------------------------------------------- paired comparison
def check_paired_matrix(mat: pd.DataFrame, *, file: str | None = None, row_offset: int = 0) -> None:
    """Validate a paired-comparison score matrix (row's points against column, diagonal NaN).

    Every off-diagonal pair must be present and scored 4/0, 3/1, 2/2 (either order), so that
    a_ij + a_ji = 4. ``row_offset`` maps matrix row k to the file's data row row_offset + k + 1.
    """
    ids = list(mat.index)
    a = mat.to_numpy(dtype=float)
    n = len(ids)
    for i in range(n):  # loops over the n x n judgments of one expert (n <= ~15), not over data
        for j in range(n):
            if i == j:
                continue
            v = a[i, j]
            if not np.isfinite(v):
                raise InputError(
                    f"missing pair: {ids[i]!r} against {ids[j]!r} has no score; "
                    "every pair needs 4/0, 3/1 or 2/2",
                    file=file,
                    row=row_offset + i + 1,
                    column=str(ids[j]),
                )
            if v not in (0, 1, 2, 3, 4):
                raise InputError(
                    f"score {v:g} of {ids[i]!r} against {ids[j]!r} is not allowed; "
                    "a pair is scored 4/0, 3/1 or 2/2 (cells 0, 1, 2, 3 or 4)",
                    file=file,
                    row=row_offset + i + 1,
                    column=str(ids[j]),
                )
    for i in range(n):
        for j in range(i + 1, n):
            if (a[i, j], a[j, i]) not in PAIRED_SCORES:
                raise InputError(
                    f"pair {ids[i]!r}/{ids[j]!r} scored {a[i, j]:g}/{a[j, i]:g}: both orders "
                    "must add up to 4 (4/0, 3/1, 2/2); "
                    f"see also row {row_offset + j + 1}, column {ids[i]!r}",
                    file=file,
                    row=row_offset + i + 1,
                    column=str(ids[j]),
                )


def paired_comparison(
    matrices: Sequence[pd.DataFrame] | pd.DataFrame,
    *,
    parent: str = "CSI",
    file: str | None = None,
    row_offsets: Sequence[int] | None = None,
) -> WeightResult:
    """Paired comparison (对偶比较法, table 4-4).

    For every pair the expert gives 4/0 (very important vs unimportant), 3/1 (important vs
    fairly important) or 2/2 (equally important). Weight = row total / grand total, where the
    grand total is 4·n(n-1)/2. Several experts' matrices are averaged cell by cell first.
    Seed example (five indicators): totals 11, 9, 7, 7, 6 of 40 -> 0.275, 0.225, 0.175, 0.175, 0.150.
    """
    mats = [matrices] if isinstance(matrices, pd.DataFrame) else list(matrices)
    if not mats:
        raise InputError("no paired-comparison matrix given", file=file)
    ids = list(mats[0].index)
    offsets = list(row_offsets) if row_offsets is not None else [0] * len(mats)
    for m, off in zip(mats, offsets, strict=True):
        m = m.loc[ids, ids]
        check_paired_matrix(m, file=file, row_offset=off)
    stack = np.stack([m.loc[ids, ids].to_numpy(dtype=float) for m in mats])
    mean = np.where(np.eye(len(ids), dtype=bool), np.nan, stack).mean(axis=0)
    np.fill_diagonal(mean, np.nan)
    totals = np.nansum(mean, axis=1)
    grand = 4.0 * len(ids) * (len(ids) - 1) / 2.0
    w = pd.Series(totals / grand, index=ids)
    table = pd.DataFrame(mean, index=ids, columns=ids)
    table["total"] = totals
    table["weight"] = w.to_numpy()
    col_tot = pd.DataFrame(
        [list(np.nansum(mean, axis=0)) + [totals.sum(), w.sum()]],
        index=["total"],
        columns=table.columns,
    )
    table = pd.concat([table, col_tot])
    table.index.name = "indicator"
    table = table.reset_index()
    return WeightResult(
        "paired_comparison",
        parent,
        w,
        table,
        {"n_experts": len(mats), "grand_total": grand},
    )


# --------------------------------------------------------------------------- AHP
def check_reciprocal(
    mat: pd.DataFrame,
    *,
    file: str | None = None,
    row_offset: int = 0,
    rtol: float = 0.02,
    saaty_scale: bool = True,
) -> np.ndarray:
    """Validate an AHP judgment matrix: positive, a_ii = 1 (or blank), a_ji = 1/a_ij.

    Reciprocity is checked to ``rtol`` relative (0.33 for 1/3 is accepted) and the lower
    triangle is then set to the exact reciprocal of the upper one. Values must lie in
    [1/9, 9] (Saaty's scale) when ``saaty_scale``. Returns the cleaned matrix.
    """
    ids = list(mat.index)
    a = mat.to_numpy(dtype=float).copy()
    n = len(ids)
    for i in range(n):  # n x n judgments of one matrix, not data rows
        if not np.isfinite(a[i, i]):
            a[i, i] = 1.0
        for j in range(n):
            v = a[i, j]
            where = dict(file=file, row=row_offset + i + 1, column=str(ids[j]))
            if not np.isfinite(v):
                raise InputError(
                    f"missing pair: judgment of {ids[i]!r} against {ids[j]!r} is empty; "
                    "give a value on Saaty's 1-9 scale (or its reciprocal)",
                    **where,
                )
            if v <= 0:
                raise InputError(
                    f"judgment {v:g} of {ids[i]!r} against {ids[j]!r} is not positive; "
                    "an AHP matrix holds values in 1/9 .. 9",
                    **where,
                )
            if i == j and not math.isclose(v, 1.0):
                raise InputError(
                    f"diagonal judgment of {ids[i]!r} is {v:g}; it must be 1 (or empty)", **where
                )
            if saaty_scale and not (1 / 9 - 1e-3 <= v <= 9 + 1e-9):
                raise InputError(
                    f"judgment {v:g} of {ids[i]!r} against {ids[j]!r} is outside Saaty's "
                    "scale 1/9 .. 9",
                    **where,
                )
    for i in range(n):
        for j in range(i + 1, n):
            if not math.isclose(a[i, j] * a[j, i], 1.0, rel_tol=rtol):
                raise InputError(
                    f"matrix is not reciprocal: {ids[i]!r}/{ids[j]!r} = {a[i, j]:g} but "
                    f"{ids[j]!r}/{ids[i]!r} = {a[j, i]:g} (must be {1 / a[i, j]:.4g}); "
                    f"see also row {row_offset + j + 1}, column {ids[i]!r}",
                    file=file,
                    row=row_offset + i + 1,
                    column=str(ids[j]),
                )
            a[j, i] = 1.0 / a[i, j]
    return a


def principal_eigen(a: np.ndarray) -> tuple[float, np.ndarray]:
    """Perron root lambda_max and principal right eigenvector (normalised to sum 1) of a
    positive matrix."""
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    v = np.abs(vecs[:, k].real)
    return float(vals[k].real), v / v.sum()


def ahp_consistency(a: np.ndarray) -> dict[str, float]:
    """Saaty's consistency: CI = (lambda_max - n)/(n - 1), CR = CI/RI(n) (RI: SAATY_RI)."""
    n = a.shape[0]
    lam, _ = principal_eigen(a)
    if n <= 2:
        return {"lambda_max": lam, "CI": 0.0, "RI": 0.0, "CR": 0.0, "n": n}
    ci = max((lam - n) / (n - 1), 0.0)  # lambda_max >= n for positive reciprocal matrices
    ri = SAATY_RI.get(n)
    if ri is None:
        raise InputError(f"AHP matrix of order {n}: Saaty's RI table covers n <= 15")
    return {"lambda_max": lam, "CI": ci, "RI": ri, "CR": ci / ri, "n": n}


def ahp(
    matrices: Sequence[pd.DataFrame] | pd.DataFrame,
    *,
    parent: str = "CSI",
    file: str | None = None,
    row_offsets: Sequence[int] | None = None,
    cr_max: float = 0.1,
    experts: Sequence[str] | None = None,
) -> WeightResult:
    """Analytic hierarchy process (Saaty 1980): principal eigenvector of the reciprocal
    judgment matrix A (A w = lambda_max w), with CI and CR = CI/RI; CR > ``cr_max`` warns.

    Several experts: group AHP by aggregation of individual judgments (AIJ), the element-wise
    geometric mean a_ij = (prod_k a_ij^(k))^(1/K), which keeps the matrix reciprocal
    (Aczél & Saaty 1983). Each expert's own CR is reported too.
    """
    mats = [matrices] if isinstance(matrices, pd.DataFrame) else list(matrices)
    if not mats:
        raise InputError("no AHP matrix given", file=file)
    ids = list(mats[0].index)
    offsets = list(row_offsets) if row_offsets is not None else [0] * len(mats)
    names = list(experts) if experts is not None else [str(k + 1) for k in range(len(mats))]
    clean = [
        check_reciprocal(m.loc[ids, ids], file=file, row_offset=off)
        for m, off in zip(mats, offsets, strict=True)
    ]
    msgs: list[str] = []
    per_expert = {}
    for name, a, off in zip(names, clean, offsets, strict=True):
        c = ahp_consistency(a)
        per_expert[name] = c["CR"]
        if len(mats) > 1 and c["CR"] > cr_max:
            record_warning(
                msgs,
                f"AHP under {parent!r}, expert {name} (file {file}, rows {off + 1}-{off + len(ids)})"
                f": consistency ratio CR = {c['CR']:.3f} > {cr_max}; revise the judgments",
            )
    g = np.exp(np.mean(np.log(np.stack(clean)), axis=0))
    lam, w = principal_eigen(g)
    cons = ahp_consistency(g)
    if cons["CR"] > cr_max:
        record_warning(
            msgs,
            f"AHP under {parent!r} (file {file}): consistency ratio CR = {cons['CR']:.3f} > "
            f"{cr_max}; the judgments are too inconsistent, revise them",
        )
    table = pd.DataFrame(g, index=ids, columns=ids)
    table["weight"] = w
    table["Aw_over_w"] = (g @ w) / w
    table.index.name = "indicator"
    table = table.reset_index()
    diag = {
        "n_experts": len(mats),
        "lambda_max": lam,
        "CI": cons["CI"],
        "RI": cons["RI"],
        "CR": cons["CR"],
        "CR_ok": bool(cons["CR"] <= cr_max),
        "CR_by_expert": per_expert,
    }
    return WeightResult("ahp", parent, pd.Series(w, index=ids), table, diag, msgs)


# --------------------------------------------------------------------------- data-driven
def _complete_block(
    data: pd.DataFrame, items: Sequence[str], weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    x = data.loc[:, list(items)].to_numpy(dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(x).all(axis=1) & np.isfinite(w) & (w > 0)
    if ok.sum() < 2:
        raise InputError(
            f"fewer than 2 complete rows with positive weight for items {list(items)}; "
            "entropy/CRITIC weights need data"
        )
    return x[ok], w[ok]


def _minmax(x: np.ndarray, items: Sequence[str]) -> np.ndarray:
    lo, hi = x.min(axis=0), x.max(axis=0)
    rng = hi - lo
    const = rng == 0
    rng = np.where(const, 1.0, rng)
    return (x - lo) / rng


def entropy_weights(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: np.ndarray | None = None,
    parent: str = "",
) -> WeightResult:
    """Entropy weight method with survey weights.

    z_ij = (x_ij - min_j)/(max_j - min_j) on complete rows; p_ij = w_i z_ij / sum_i w_i z_ij;
    e_j = -sum_i p_ij ln p_ij / H(w), where H(w) = -sum_i q_i ln q_i, q = w / sum(w) is the
    largest attainable entropy (= ln n when unweighted, the textbook k = 1/ln n);
    d_j = 1 - e_j; weight_j = d_j / sum(d). A constant item gets d_j = 0.
    """
    x, w = _complete_block(data, items, weights)
    z = _minmax(x, items)
    wz = w[:, None] * z
    col = wz.sum(axis=0)
    safe = np.where(col > 0, col, 1.0)
    p = wz / safe
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    q = w / w.sum()
    hmax = float(-(q * np.log(q)).sum())
    e = np.where(col > 0, -plogp.sum(axis=0) / hmax, 1.0)
    d = 1.0 - e
    if not (d > 0).any():
        raise InputError(f"entropy weights under {parent!r}: every item is constant in the data")
    wt = d / d.sum()
    table = pd.DataFrame({"indicator": list(items), "entropy": e, "divergence": d, "weight": wt})
    return WeightResult(
        "entropy", parent, pd.Series(wt, index=list(items)), table, {"n_complete": int(len(x))}
    )


def _wcov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance with the unbiased (frequency-style) divisor, as R cov.wt(method="unbiased")."""
    q = w / w.sum()
    mu = q @ x
    xc = x - mu
    return (xc * q[:, None]).T @ xc / (1.0 - (q**2).sum())


def critic_weights(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: np.ndarray | None = None,
    parent: str = "",
) -> WeightResult:
    """CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995) with survey weights.

    On min-max normalised complete rows: C_j = s_j * sum_k (1 - r_jk) with s_j the weighted
    standard deviation and r_jk the weighted correlation (R ``cov.wt``); weight_j = C_j / sum(C).
    """
    x, w = _complete_block(data, items, weights)
    z = _minmax(x, items)
    cov = _wcov(z, w)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / np.outer(sd, sd)
    r = np.where(np.isfinite(r), r, 0.0)
    np.fill_diagonal(r, 1.0)
    conflict = (1.0 - r).sum(axis=1)
    c = sd * conflict
    if not (c > 0).any():
        raise InputError(f"CRITIC weights under {parent!r}: every item is constant in the data")
    wt = c / c.sum()
    table = pd.DataFrame(
        {"indicator": list(items), "sd": sd, "conflict": conflict, "information": c, "weight": wt}
    )
    return WeightResult(
        "critic", parent, pd.Series(wt, index=list(items)), table, {"n_complete": int(len(x))}
    )


# --------------------------------------------------------------------------- model-derived
def weights_from_outer_weights(outer: pd.DataFrame) -> dict[str, WeightResult]:
    """Model-derived item weights: the SEM/PLS outer weights (columns construct, item, weight)
    normalised within each construct (w_j / sum_k w_k). Negative outer weights are an error
    (a reversed or improper indicator must be fixed in the model)."""
    need = {"construct", "item", "weight"}
    if missing := need - set(outer.columns):
        raise InputError(
            f"outer-weights table lacks columns {sorted(missing)}; needs {sorted(need)}"
        )
    out: dict[str, WeightResult] = {}
    for construct, block in outer.groupby("construct", sort=False):
        s = pd.Series(block["weight"].to_numpy(dtype=float), index=block["item"].astype(str))
        w = _normalise(s, what="outer weight")
        table = pd.DataFrame(
            {"indicator": s.index, "outer_weight": s.to_numpy(), "weight": w.to_numpy()}
        )
        out[str(construct)] = WeightResult("outer_weights", str(construct), w, table)
    return out


def weights_from_total_effects(
    effects: pd.DataFrame,
    *,
    parent: str = "CSI",
    target: str | None = None,
    children: Sequence[str] | None = None,
) -> WeightResult:
    """Model-derived weights: total effects on ``target`` in absolute value, normalised to sum 1
    (importance as in importance-performance analysis).

    ``effects`` has columns construct, total_effect, or the SEM stage's from, to, total (then the
    rows with to == ``target`` are used). ``children``: the nodes that need a weight; each must
    have an effect on the target.
    """
    if {"from", "to", "total"} <= set(effects.columns):
        if target is None:
            raise InputError("total-effects table by path needs a target construct")
        sub = effects[effects["to"].astype(str) == target]
        effects = pd.DataFrame({"construct": sub["from"].astype(str), "total_effect": sub["total"]})
    need = {"construct", "total_effect"}
    if missing := need - set(effects.columns):
        raise InputError(
            f"total-effects table lacks columns {sorted(missing)}; needs {sorted(need)} "
            "or from, to, total"
        )
    s = pd.Series(
        effects["total_effect"].to_numpy(dtype=float), index=effects["construct"].astype(str)
    )
    if children is not None:
        absent = [c for c in children if c not in s.index]
        if absent:
            raise InputError(
                f"no total effect on {target!r} for {absent}; model-derived weights need an "
                "effect for every child"
            )
        s = s.loc[list(children)]
    w = _normalise(s.abs(), what="total effect")
    table = pd.DataFrame(
        {"indicator": s.index, "total_effect": s.to_numpy(), "weight": w.to_numpy()}
    )
    return WeightResult("total_effects", parent, w, table, {"target": target})


def equal_weights(children: Sequence[str], *, parent: str = "") -> WeightResult:
    """Equal weights 1/n."""
    w = pd.Series(1.0 / len(children), index=list(children))
    return WeightResult(
        "equal", parent, w, pd.DataFrame({"indicator": list(children), "weight": w.to_numpy()})
    )
