"""The results class of a CB-SEM fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..admissibility import Admissibility, check_admissibility
from ..spec import ModelSpec
from .structure import Structure


@dataclass
class CBSEMResult:
    """A CB-SEM fit. Tables follow lavaan's names (``std.all`` as ``est_std``)."""

    spec: ModelSpec
    structure: Structure
    theta: np.ndarray
    vcov: np.ndarray
    estimates: pd.DataFrame
    standardized: pd.DataFrame
    fit: dict[str, float]
    r2: pd.DataFrame
    effects: pd.DataFrame
    scores: pd.DataFrame
    score_weights: pd.DataFrame
    admissibility: Admissibility
    se_type: str
    weighted: bool
    n: int
    S: np.ndarray
    mean: np.ndarray
    used_rows: np.ndarray
    information: np.ndarray = field(repr=False, default=None)
    equal_weights: bool = False  # weights given but all equal: fitted unweighted

    def to_frame(self) -> pd.DataFrame:
        """The parameter table with the standardized estimate (lhs, op, rhs, est, se, ...)."""
        std = self.standardized[["lhs", "op", "rhs", "est_std"]]
        return self.estimates.merge(std, on=["lhs", "op", "rhs"], how="left")

    def summary(self) -> str:
        f = self.fit
        lines = [
            f"CB-SEM ({self.spec.name}) by ML, n = {self.n}, "
            f"{'weighted, ' if self.weighted else ''}SE {self.se_type}",
            f"chi2 = {f['chisq']:.3f}, df = {f['df']:.0f}, p = {f['pvalue']:.4g}; "
            f"CFI = {f['cfi']:.3f}, TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f} "
            f"[{f['rmsea_ci_lower']:.3f}, {f['rmsea_ci_upper']:.3f}], SRMR = {f['srmr']:.3f}",
            self.admissibility.summary(),
            "Structural paths:",
        ]
        paths = self.to_frame().query("op == '~'")
        for r in paths.itertuples():
            lines.append(
                f"  {r.rhs:>6} -> {r.lhs:<6} {r.est:9.4f} (SE {r.se:.4f}, p {r.pvalue:.3g}, "
                f"std {r.est_std:.3f})"
            )
        return "\n".join(lines)

    # the names shared with PLSResult (see csindex.results.ModelResults)
    @property
    def rsquared(self) -> pd.Series:
        """R² of every endogenous variable (constructs and items)."""
        return self.r2.set_index("variable")["r2"]

    @property
    def admissible(self) -> bool:
        return bool(self.admissibility.admissible)

    def admissibility_dict(self) -> dict[str, Any]:
        return self.admissibility.to_dict()

    def __repr__(self) -> str:
        return f"<CBSEMResult: {self.spec.name}, n={self.n}, SE {self.se_type}>"

    # what the stages ask of the estimator (csindex.sem.estimators.fit_class)
    estimator = "cbsem"
    refits_in_replicates = False
    """Replicate SEs of the index hold the factor-score weights fixed."""
    weights_from_moments = False

    @classmethod
    def missing_rule(cls, model_cfg: dict | None) -> str:
        """The rows the index and bootstrap use: complete rows (ML)."""
        return "listwise"

    @classmethod
    def fit_from_config(
        cls, data: pd.DataFrame, spec: ModelSpec, model_cfg: dict | None, weights=None, file=None
    ) -> CBSEMResult:
        """:func:`fit_cbsem` with the options of config ``model.cbsem``."""
        from . import fit_cbsem  # the package's entry point (fit imports this module)

        ccfg = dict((model_cfg or {}).get("cbsem") or {})
        return fit_cbsem(
            data,
            spec,
            weights=weights,
            se=ccfg.get("se"),
            start=ccfg.get("start", "semopy"),
            gtol=float(ccfg.get("gtol", 1e-10)),
            max_iter=int(ccfg.get("max_iter", 500)),
            correlation_limit=float(ccfg.get("correlation_limit", 0.95)),
            missing=ccfg.get("missing", "listwise"),
            file=file,
        )


def fit_admissibility(st, mats, Sigma, information, converged, gnorm, n_iter, correlation_limit):
    """The admissibility checks of a fitted structure (model matrices in ``mats``)."""
    return check_admissibility(
        converged=converged,
        gradient_norm=gnorm,
        iterations=n_iter,
        items=st.items,
        constructs=st.constructs,
        Lambda=mats["Lambda"],
        Psi=mats["Psi"],
        Theta=mats["Theta"],
        C=mats["C"],
        Sigma=Sigma,
        information=information,
        correlation_limit=correlation_limit,
        fixed_zero_items=st.fixed_zero_items,
    )
