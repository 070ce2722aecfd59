"""Consistent PLS (PLSc; Dijkstra & Henseler 2015, MIS Quarterly 39(2): 297-316).

PLS-PM composites of reflective (common-factor) blocks are inconsistent estimates of the
factors: loadings are inflated and construct correlations attenuated. PLSc corrects both from
an ordinary PLS-PM fit (:func:`csindex.sem.pls.fit_pls`, standardized items). For a Mode A
block with outer weights w (scaled so the composite has unit variance) and item correlations S:

    c^2   = w'(S - diag S) w / w'(w w' - diag(w w')) w,
    rho_A = (w'w)^2 c^2                                     (reliability of the composite),
    lambda = c w                                            (consistent loadings),
    r(eta_i, eta_j) = r(Y_i, Y_j) / sqrt(rho_A,i rho_A,j)   (disattenuated correlations),

and the path coefficients and R² are OLS on the disattenuated correlation matrix (as PLS-PM on
the composite correlations). Mode B blocks and single items are taken as error-free
(rho_A = 1: loadings and correlations as PLS-PM). As seminr's ``estimate_pls`` for reflective
constructs and cSEM's ``disattenuate = TRUE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .pls import PLSResult, fit_pls, inner_from_lvcor, model_arrays, total_effects
from .spec import ModelSpec


@dataclass
class PLScResult:
    """A consistent PLS fit: the corrected tables and the PLS-PM fit they start from.

    Attributes
    ----------
    pls : the PLS-PM fit.
    rho_a : construct -> rho_A (1 for Mode B and single-item constructs).
    estimates : lhs, op, rhs, est (consistent loadings ``=~`` and paths ``~``).
    lv_cor : disattenuated construct correlations.
    r2, r2_adj : construct -> R² and adjusted R² (NaN for exogenous constructs).
    effects : from, to, direct, indirect, total.
    admissible : False when a rho_A is outside (0, 1] or a disattenuated correlation exceeds 1
        (PLSc's known small-sample failures); ``problems`` says which.
    """

    pls: PLSResult
    rho_a: pd.Series
    estimates: pd.DataFrame
    lv_cor: pd.DataFrame
    r2: pd.Series
    r2_adj: pd.Series
    effects: pd.DataFrame
    admissible: bool
    problems: list[str] = field(default_factory=list)

    @property
    def spec(self) -> ModelSpec:
        return self.pls.spec

    # what the stages ask of the estimator (csindex.sem.estimators.fit_class): the index and
    # its replicates use the PLS-PM composites, so PLSc behaves as PLS-PM there
    estimator = "plsc"
    refits_in_replicates = True
    weights_from_moments = True

    @classmethod
    def missing_rule(cls, model_cfg: dict | None) -> str:
        """The rows the fit uses: ``model.pls.missing`` (default pairwise), as PLS-PM."""
        return PLSResult.missing_rule(model_cfg)

    @classmethod
    def fit_from_config(
        cls, data: pd.DataFrame, spec: ModelSpec, model_cfg: dict | None, weights=None, file=None
    ) -> PLScResult:
        """PLS-PM with the options of ``model.pls``, then the consistent correction."""
        return plsc_from_pls(PLSResult.fit_from_config(data, spec, model_cfg, weights, file))

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (consistent loadings and paths)."""
        return self.estimates.copy()

    def summary(self) -> str:
        """Plain-text summary: rho_A, R², parameter table, admissibility."""
        lines = [
            f"Consistent PLS (PLSc): N = {self.pls.n}, admissible = {self.admissible}"
            + (f" ({'; '.join(self.problems)})" if self.problems else ""),
            "rho_A: " + ", ".join(f"{c} {v:.4f}" for c, v in self.rho_a.items()),
            "R2: " + ", ".join(f"{c} {v:.4f}" for c, v in self.r2.dropna().items()),
            "",
            self.estimates.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines)

    def summary_html(self) -> str:
        """HTML summary (the parameter table)."""
        return self.estimates.to_html(index=False, float_format=lambda v: f"{v:.4f}")


def rho_a(w: np.ndarray, S: np.ndarray) -> tuple[float, float]:
    """(rho_A, c) of one block: outer weights ``w`` (unit-variance composite), item
    correlations ``S`` (Dijkstra & Henseler 2015, eq. 8-9)."""
    w = np.asarray(w, float)
    S = np.asarray(S, float)
    ww = np.outer(w, w)
    num = float(w @ (S - np.diag(np.diag(S))) @ w)
    den = float(w @ (ww - np.diag(np.diag(ww))) @ w)
    c2 = num / den
    c = float(np.sign(c2) * np.sqrt(abs(c2)))
    return float((w @ w) ** 2 * c2), c


def adjusted_r2(r2: float, n: int, k: int) -> float:
    """Adjusted R² = 1 - (1 - R²)(n - 1)/(n - k - 1) with k predictors (seminr, SmartPLS)."""
    return float(1 - (1 - r2) * (n - 1) / (n - k - 1))


def plsc_from_pls(res: PLSResult) -> PLScResult:
    """PLSc corrections of a PLS-PM fit with standardized items (module docstring)."""
    if not res.standardized:
        raise ConfigError(
            "consistent PLS needs standardized items; allowed: model.pls.standardized true",
            key="model.pls.standardized",
        )
    spec = res.spec
    arr = model_arrays(spec)
    cons = spec.constructs
    ow = res.outer_weights
    S = res.item_cor
    rho = {}
    lam = {}
    problems = []
    for c in cons:
        g = ow[ow["construct"] == c]
        items = list(g["item"])
        if spec.mode(c) == "B" or len(items) == 1:
            rho[c] = 1.0
            for i, v in zip(items, g["loading"], strict=True):
                lam[(c, i)] = float(v)
            continue
        w = g["weight"].to_numpy(float)
        r, cc = rho_a(w, S.loc[items, items].to_numpy())
        rho[c] = r
        if not 0 < r <= 1:
            problems.append(f"rho_A of {c} = {r:.4g} outside (0, 1]")
        for i, v in zip(items, cc * w, strict=True):
            lam[(c, i)] = float(v)
    rv = np.array([rho[c] for c in cons])
    R = res.lv_cor.loc[cons, cons].to_numpy()
    with np.errstate(invalid="ignore"):
        Rc = R / np.sqrt(np.outer(rv, rv))
    np.fill_diagonal(Rc, 1.0)
    off = np.abs(Rc[~np.eye(len(cons), dtype=bool)])
    if np.any(off > 1) or not np.all(np.isfinite(off)):
        problems.append("a disattenuated construct correlation is not in [-1, 1]")
    Bm, r2 = inner_from_lvcor(Rc[None], arr)
    Bm, r2 = Bm[0], r2[0]
    T = total_effects(Bm)
    rows: list[tuple[str, str, str, float]] = []
    for c in cons:
        for i in spec.blocks[c]:
            rows.append((c, "=~", i, lam[(c, i)]))
    for a, b in spec.paths:
        rows.append((b, "~", a, Bm[cons.index(b), cons.index(a)]))
    est = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est"])
    eff = [
        (frm, to, Bm[j, i], T[j, i] - Bm[j, i], T[j, i])
        for i, frm in enumerate(cons)
        for j, to in enumerate(cons)
        if i != j and T[j, i] != 0
    ]
    effects = pd.DataFrame(eff, columns=["from", "to", "direct", "indirect", "total"])
    r2s = pd.Series(r2, index=cons, name="r2")
    adj = pd.Series(
        [
            adjusted_r2(r2s[c], res.n, len(spec.predecessors(c))) if np.isfinite(r2s[c]) else np.nan
            for c in cons
        ],
        index=cons,
        name="r2_adj",
    )
    return PLScResult(
        pls=res,
        rho_a=pd.Series(rv, index=cons, name="rho_a"),
        estimates=est,
        lv_cor=pd.DataFrame(Rc, index=cons, columns=cons),
        r2=r2s,
        r2_adj=adj,
        effects=effects,
        admissible=not problems and bool(res.converged),
        problems=problems,
    )


def fit_plsc(data: pd.DataFrame, spec: ModelSpec, weights: Any = None, **pls_options) -> PLScResult:
    """Fit PLS-PM (:func:`csindex.sem.pls.fit_pls`, keyword options passed on) and apply the
    PLSc corrections."""
    return plsc_from_pls(fit_pls(data, spec, weights, **pls_options))


def plsc_tables(res: PLScResult, base: dict[str, Any]) -> dict[str, Any]:
    """The ``model/`` tables of a PLSc fit: the PLS-PM tables ``base`` (weights, scores and
    quality of the composites, as :mod:`csindex.sem.outputs` builds them) with the consistent
    estimates, effects and R² (plus adjusted R²) in place of the PLS-PM ones."""
    est = res.estimates.copy()
    for c in ("se", "z", "pvalue", "ci_lower", "ci_upper"):
        est[c] = np.nan
    r2 = pd.DataFrame(
        {
            "variable": res.r2.index,
            "kind": "construct",
            "r2": res.r2.to_numpy(),
            "r2_adj": res.r2_adj.to_numpy(),
        }
    ).dropna(subset=["r2"])
    fit = dict(base["fit"])
    fit.update(
        {
            "estimator": "plsc",
            "rho_a": {c: float(v) for c, v in res.rho_a.items()},
            "plsc_admissible": bool(res.admissible),
            "plsc_problems": list(res.problems),
            "se": "none: consistent PLS has no analytic SEs here (bootstrap not run for plsc)",
        }
    )
    adm = dict(base["admissibility"])
    adm["plsc_problems"] = list(res.problems)
    adm["admissible"] = bool(adm.get("admissible", True) and res.admissible)
    return dict(
        base,
        estimates=est,
        standardized=est[["lhs", "op", "rhs"]].assign(est_std=est["est"]),
        effects=res.effects.copy(),
        r2=r2,
        fit=fit,
        admissibility=adm,
    )
