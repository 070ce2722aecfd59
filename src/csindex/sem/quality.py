"""Measurement quality of a fitted model (PLS-PM or CB-SEM): reliability, validity, collinearity.

All measures are computed from the item correlation matrix ``R``, the standardized loadings
(cross-loadings) ``λ``, the outer (or factor-score) weights ``w`` scaled so that each construct
has unit variance, and the construct correlations ``Φ``:

* Cronbach's alpha (standardized, as plspm): ``k/(k-1) * (1 - k / sum(R_block))``;
* composite reliability ``rho_C = (Σλ)² / ((Σλ)² + Σ(1-λ²))`` (Jöreskog; seminr ``rhoC``);
* ``rho_A = (w'w)² · w'(R - diag R)w / w'(ww' - diag ww')w`` (Dijkstra & Henseler 2015);
* AVE ``= mean(λ²)``; Fornell–Larcker: ``sqrt(AVE)`` on the diagonal, ``Φ`` off it;
* HTMT (Henseler, Ringle & Sarstedt 2015): mean absolute heterotrait-heteromethod correlation
  divided by the geometric mean of the two mean absolute monotrait correlations (NaN for a
  single-item block);
* VIF: outer ``diag(R_block^{-1})``, inner ``diag(Φ_PP^{-1})`` for each endogenous construct.

The result is one long table (``measure, lhs, rhs, value``) plus plain-word warnings against the
usual thresholds (alpha and rho < 0.7, AVE < 0.5, HTMT > 0.9, Fornell–Larcker violated,
VIF > 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .spec import ModelSpec


@dataclass
class QualityResult:
    """Long table of measures and the warnings they raise."""

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def get(self, measure: str) -> pd.DataFrame:
        """The rows of one measure."""
        return self.table[self.table["measure"] == measure].reset_index(drop=True)

    def summary(self) -> str:
        rel = self.table[self.table["measure"].isin(["alpha", "rho_c", "rho_a", "ave"])]
        wide = rel.pivot(index="lhs", columns="measure", values="value")
        return (
            wide.to_string(float_format=lambda v: f"{v:.3f}")
            + "\n"
            + "\n".join("! " + w for w in self.warnings)
        )


def cronbach_alpha(R: np.ndarray) -> float:
    """Standardized Cronbach's alpha of one block from its correlation matrix."""
    k = R.shape[0]
    if k < 2:
        return float("nan")
    return float(k / (k - 1) * (1.0 - k / R.sum()))


def rho_a(R: np.ndarray, w: np.ndarray) -> float:
    """Dijkstra–Henseler rho_A of one block: (w'w)² w'(R - diag R)w / w'(ww' - diag ww')w."""
    if len(w) < 2:
        return float("nan")
    S0 = R - np.diag(np.diag(R))
    A = np.outer(w, w)
    A0 = A - np.diag(np.diag(A))
    return float((w @ w) ** 2 * (w @ S0 @ w) / (w @ A0 @ w))


def htmt_pairs(blocks: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Construct pairs (a, b), a before b, whose HTMT is defined (both blocks >= 2 items)."""
    cons = [c for c in blocks if len(blocks[c]) >= 2]
    return [(a, b) for k, a in enumerate(cons) for b in cons[k + 1 :]]


def htmt_values(
    R: np.ndarray, items: list[str], blocks: dict[str, list[str]], pairs: list[tuple[str, str]]
) -> np.ndarray:
    """HTMT of each pair for a stack of item correlation matrices ``R`` (..., p, p), items in
    the order ``items``; on absolute correlations (Henseler, Ringle & Sarstedt 2015; seminr,
    SmartPLS): mean |r| between the blocks / sqrt(mean |r| within a * mean |r| within b)."""
    pos = {i: k for k, i in enumerate(items)}
    A = np.abs(np.asarray(R, dtype=float))
    idx = {c: np.array([pos[i] for i in blocks[c]]) for c in {x for pr in pairs for x in pr}}
    mono = {}
    for c, ix in idx.items():
        iu, ju = np.triu_indices(len(ix), 1)
        mono[c] = A[..., ix[iu], ix[ju]].mean(axis=-1)
    out = [
        A[..., idx[a][:, None], idx[b][None, :]].mean(axis=(-2, -1)) / np.sqrt(mono[a] * mono[b])
        for a, b in pairs
    ]
    return np.stack(out, axis=-1) if out else np.zeros(A.shape[:-2] + (0,))


def htmt(R: pd.DataFrame, blocks: dict[str, list[str]]) -> pd.DataFrame:
    """HTMT matrix (constructs x constructs) from the item correlation matrix (NaN where a
    block has a single item); values from :func:`htmt_values`."""
    cons = list(blocks)
    pairs = htmt_pairs(blocks)
    v = htmt_values(R.to_numpy(), list(R.index), blocks, pairs)
    out = pd.DataFrame(np.nan, index=cons, columns=cons)
    for (a, b), x in zip(pairs, v, strict=True):
        out.loc[a, b] = out.loc[b, a] = float(x)
    return out


def measurement_quality(
    spec: ModelSpec,
    item_cor: pd.DataFrame,
    cross_loadings: pd.DataFrame,
    weights: pd.Series,
    lv_cor: pd.DataFrame,
) -> QualityResult:
    """Measurement quality of any estimator.

    item_cor : correlation matrix of the items (index/columns = item names);
    cross_loadings : items x constructs standardized loadings / item-construct correlations;
    weights : item -> outer weight on its own construct (PLS outer weights, or CB-SEM
        factor-score weights), scaled so that each construct score has unit variance;
    lv_cor : construct correlations.
    """
    rows: list[tuple[str, str, str, float]] = []
    warns: list[str] = []
    ave = {}
    for c in spec.constructs:
        ave[c] = _block_reliability(spec, c, item_cor, cross_loadings, weights, rows, warns)
    _fornell_larcker(spec, ave, lv_cor, rows, warns)
    _htmt_rows(spec, item_cor, rows, warns)
    for i in spec.items:
        for c in spec.constructs:
            rows.append(("cross_loading", i, c, float(cross_loadings.loc[i, c])))
    _inner_vif(spec, lv_cor, rows, warns)
    table = pd.DataFrame(rows, columns=["measure", "lhs", "rhs", "value"])
    return QualityResult(table=table, warnings=warns)


def _block_reliability(spec, c, item_cor, cross_loadings, weights, rows, warns) -> float:
    """Cronbach's alpha, rho_C, rho_A, AVE and the outer VIFs of block ``c`` (warnings for a
    reflective block below 0.7 / 0.5, VIF above 5); returns the AVE."""
    it = spec.blocks[c]
    R = item_cor.loc[it, it].to_numpy()
    lam = cross_loadings.loc[it, c].to_numpy()
    w = weights.loc[it].to_numpy()
    a = cronbach_alpha(R)
    rc = float(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())) if len(it) > 1 else np.nan
    ra = rho_a(R, w)
    ave = float(np.mean(lam**2))
    rows += [("alpha", c, "", a), ("rho_c", c, "", rc), ("rho_a", c, "", ra)]
    rows.append(("ave", c, "", ave))
    if spec.mode(c) == "A" and len(it) > 1:
        for name, v, lim in (
            ("Cronbach's alpha", a, 0.7),
            ("rho_C", rc, 0.7),
            ("rho_A", ra, 0.7),
        ):
            if np.isfinite(v) and v < lim:
                warns.append(f"{c}: {name} = {v:.3f} is below {lim} (low reliability)")
        if ave < 0.5:
            warns.append(
                f"{c}: AVE = {ave:.3f} is below 0.5 (the construct explains less than "
                "half of its items' variance)"
            )
    if len(it) > 1:
        vif = np.diag(np.linalg.inv(R))
        for i, v in zip(it, vif, strict=True):
            rows.append(("vif_outer", c, i, float(v)))
            if v > 5:
                warns.append(f"{c}: item {i} has VIF {v:.2f} > 5 (collinear items)")
    return ave


def _fornell_larcker(spec, ave, lv_cor, rows, warns) -> None:
    """Fornell-Larcker matrix (sqrt(AVE) on the diagonal); warn when sqrt(AVE) of a
    multi-item construct is not above its largest correlation with another construct."""
    cons = spec.constructs
    for c in cons:
        for d in cons:
            v = np.sqrt(ave[c]) if c == d else float(lv_cor.loc[c, d])
            rows.append(("fornell_larcker", c, d, float(v)))
        others = [abs(float(lv_cor.loc[c, d])) for d in cons if d != c]
        if others and len(spec.blocks[c]) > 1 and np.sqrt(ave[c]) <= max(others):
            warns.append(
                f"{c}: Fornell–Larcker criterion not met (sqrt(AVE) = {np.sqrt(ave[c]):.3f} "
                f"<= its largest correlation with another construct, {max(others):.3f})"
            )


def _htmt_rows(spec, item_cor, rows, warns) -> None:
    """HTMT of every construct pair; warn above 0.9."""
    cons = spec.constructs
    H = htmt(item_cor, spec.blocks)
    for a in range(len(cons)):
        for b in range(a + 1, len(cons)):
            v = float(H.iloc[a, b])
            rows.append(("htmt", cons[a], cons[b], v))
            if np.isfinite(v) and v > 0.9:
                warns.append(
                    f"{cons[a]} and {cons[b]}: HTMT = {v:.3f} > 0.9 (discriminant validity "
                    "doubtful)"
                )


def _inner_vif(spec, lv_cor, rows, warns) -> None:
    """VIFs of the predictors of every construct with two or more; warn above 5."""
    for c in spec.endogenous:
        pred = spec.predecessors(c)
        if len(pred) > 1:
            vif = np.diag(np.linalg.inv(lv_cor.loc[pred, pred].to_numpy()))
            for p, v in zip(pred, vif, strict=True):
                rows.append(("vif_inner", c, p, float(v)))
                if v > 5:
                    warns.append(f"{c}: predictor {p} has VIF {v:.2f} > 5 (collinear constructs)")


def quality_from_pls(res) -> QualityResult:  # res: PLSResult (avoid import cycle in hints)
    """Measurement quality of a :class:`~csindex.sem.pls.PLSResult`."""
    ow = res.outer_weights.set_index("item")
    w = ow["weight"] if res.standardized else ow["weight"] * res.sds.loc[ow.index]
    return measurement_quality(res.spec, res.item_cor, res.loadings, w, res.lv_cor)


def r2_from_correlations(lv_cor: pd.DataFrame, target: str, predictors: list[str]) -> float:
    """R² of the OLS regression of standardized ``target`` on ``predictors`` from the construct
    correlations: ``r' Φ_PP^{-1} r`` (the inner-model R² of PLS-PM)."""
    if not predictors:
        return 0.0
    r = lv_cor.loc[predictors, target].to_numpy(dtype=float)
    phi = lv_cor.loc[predictors, predictors].to_numpy(dtype=float)
    return float(r @ np.linalg.solve(phi, r))


def adjusted_r2(r2: float, n: int, k: int) -> float:
    """Adjusted R² ``1 - (1 - R²)(n - 1)/(n - k - 1)`` for ``k`` predictors and ``n`` cases."""
    if n - k - 1 <= 0:
        return float("nan")
    return float(1 - (1 - r2) * (n - 1) / (n - k - 1))


def f_squared(lv_cor: pd.DataFrame, predecessors: dict[str, list[str]]) -> pd.DataFrame:
    """Cohen's f² of every structural path (SmartPLS, seminr ``fSquare``):
    ``f² = (R²_included - R²_excluded) / (1 - R²_included)``, both R² from the construct
    correlations (:func:`r2_from_correlations`). Columns ``from, to, f2``."""
    rows = []
    for target, preds in predecessors.items():
        r2_in = r2_from_correlations(lv_cor, target, list(preds))
        for p in preds:
            r2_ex = r2_from_correlations(lv_cor, target, [q for q in preds if q != p])
            rows.append((p, target, (r2_in - r2_ex) / (1 - r2_in) if r2_in < 1 else np.nan))
    return pd.DataFrame(rows, columns=["from", "to", "f2"])
