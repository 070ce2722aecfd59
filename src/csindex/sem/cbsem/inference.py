"""Inference: delta-method SEs of derived quantities, z tests and the parameter tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .derived import (
    defined_values,
    effect_pairs,
    effect_values,
    r2_values,
    score_weight_matrix,
    std_all,
)
from .likelihood import exact_hessian, gradient_information
from .structure import Structure, implied

Z975 = float(stats.norm.ppf(0.975))


def jacobian(fun, theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a batched function at theta (q,) -> (outputs, q)."""
    q = theta.size
    h = 1e-6 * np.maximum(1.0, np.abs(theta))
    E = np.eye(q) * h[:, None]
    v = fun(np.concatenate([theta[None] + E, theta[None] - E]))
    return ((v[:q] - v[q:]) / (2 * h[:, None])).T


def delta_se(fun, theta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    J = jacobian(fun, theta)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))


def ztable(est: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    return {
        "est": est,
        "se": se,
        "z": z,
        "pvalue": 2 * stats.norm.sf(np.abs(z)),
        "ci_lower": est - Z975 * se,
        "ci_upper": est + Z975 * se,
    }


def parameter_tables(
    st: Structure, theta: np.ndarray, vcov: np.ndarray, se_free: np.ndarray
) -> dict:
    """Parameter table, standardized solution, effects, R² and score weights (delta-method SEs
    from ``vcov``)."""
    estimates = _estimates(st, theta, vcov, se_free)
    standardized = _standardized(st, theta, vcov)
    effects = _effects(st, theta, vcov)
    r2 = _r2(st, theta)
    W, score_weights = _score_weights(st, theta)
    return {
        "estimates": estimates,
        "standardized": standardized,
        "effects": effects,
        "r2": r2,
        "score_weights": score_weights,
        "W": W,
    }


def _estimates(
    st: Structure, theta: np.ndarray, vcov: np.ndarray, se_free: np.ndarray
) -> pd.DataFrame:
    """The parameter table (fixed rows without z and p), then lavaan's ``:=`` rows with
    delta-method SEs."""
    spec = st.spec
    tab = st.table
    free = tab["free"].to_numpy()
    est = np.where(free >= 0, theta[np.clip(free, 0, None)], tab["value"].to_numpy())
    se_all = np.where(free >= 0, se_free[np.clip(free, 0, None)], 0.0)
    estimates = pd.DataFrame(
        {"lhs": tab["lhs"], "op": tab["op"], "rhs": tab["rhs"], **ztable(est, se_all)}
    )
    fixed_rows = free < 0
    estimates.loc[fixed_rows, ["z", "pvalue"]] = np.nan
    if spec.defined:  # lavaan ":=" rows, delta-method SEs
        def_fun = lambda th: defined_values(st, th)  # noqa: E731
        dv = def_fun(theta[None])[0]
        dse = delta_se(def_fun, theta, vcov)
        defined = pd.DataFrame(
            {
                "lhs": [d[0] for d in spec.defined],
                "op": ":=",
                "rhs": [d[1].replace(" ", "") for d in spec.defined],  # as lavaan
                **ztable(dv, dse),
            }
        )
        estimates = pd.concat([estimates, defined], ignore_index=True)
    return estimates


def _standardized(st: Structure, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """The standardized solution (std.all) with delta-method SEs."""
    tab = st.table
    std_fun = lambda th: std_all(st, th)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN for a negative variance
        std_est = std_fun(theta[None])[0]
        std_se = delta_se(std_fun, theta, vcov)
    return pd.DataFrame(
        {"lhs": tab["lhs"], "op": tab["op"], "rhs": tab["rhs"], **ztable(std_est, std_se)}
    ).rename(columns={"est": "est_std"})


def _effects(st: Structure, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """Direct, indirect and total effects with delta-method SEs."""
    pairs = effect_pairs(st)
    eff_fun = lambda th: effect_values(st, th)  # noqa: E731
    eff = eff_fun(theta[None])[0]
    eff_se = delta_se(eff_fun, theta, vcov)
    k = len(pairs)
    return pd.DataFrame(
        {
            "from": [st.constructs[f] for f, _ in pairs],
            "to": [st.constructs[t] for _, t in pairs],
            "direct": eff[:k],
            "direct_se": eff_se[:k],
            "indirect": eff[k : 2 * k],
            "indirect_se": eff_se[k : 2 * k],
            "total": eff[2 * k :],
            "total_se": eff_se[2 * k :],
        }
    )


def _r2(st: Structure, theta: np.ndarray) -> pd.DataFrame:
    """R² of the items, then of the endogenous constructs."""
    r2v = r2_values(st, theta[None])[0]
    return pd.DataFrame(
        {
            "variable": st.items + st.spec.endogenous,
            "kind": ["item"] * st.p + ["construct"] * len(st.spec.endogenous),
            "r2": r2v,
        }
    )


def _score_weights(st: Structure, theta: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """The factor-score weight matrix W (constructs x items) and its long table."""
    W = score_weight_matrix(st, theta[None])[0]
    own = {(c, it) for c, its in st.spec.blocks.items() for it in its}
    score_weights = pd.DataFrame(
        [
            {"construct": c, "item": it, "weight": W[ci, ij], "own_block": (c, it) in own}
            for ci, c in enumerate(st.constructs)
            for ij, it in enumerate(st.items)
        ]
    )
    return W, score_weights


def ml_vcov(
    st: Structure,
    theta: np.ndarray,
    S: np.ndarray,
    X: np.ndarray,
    mu: np.ndarray,
    w: np.ndarray | None,
    n: int,
    se: str,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Covariance matrix of the ML estimate theta (q,) of a complete-data fit.

    ``se="standard"``: (N I)^-1 with I the expected information per observation.
    ``se="robust"`` (MLR): A^-1 B A^-1, bread A = N/2 * Hessian of F, meat B = sum_i w_i^2 s_i s_i'
    from the case scores s_i = (a'P d_i)(b'P d_i) - a'P b, d_i = x_i - mean.
    Returns the model matrices at theta, the information (bread), vcov and the SEs."""
    mats = {k: v[0] for k, v in implied(st, theta[None]).items()}
    Sinv = np.linalg.inv(mats["Sigma"])
    g, info, a, b = gradient_information(
        st, {k: v[None] for k, v in mats.items()}, Sinv[None], S[None]
    )
    info = info[0]
    with np.errstate(all="ignore"):
        if se == "standard":
            information = n * info
            try:
                vcov = np.linalg.inv(information)
            except np.linalg.LinAlgError:
                vcov = np.full((st.q, st.q), np.nan)
        else:
            Hf = exact_hessian(st, theta, S)
            bread = 0.5 * n * Hf
            information = bread
            # case scores s_i = (a'P d_i)(b'P d_i) - a'P b, d_i = x_i - mean; meat = sum w_i^2 s_i s_i'
            Ga = a[0] @ Sinv  # (q, p)
            Gb = b[0] @ Sinv
            c0 = np.einsum("qp,qp->q", Ga, b[0])
            meat = np.zeros((st.q, st.q))
            for s0 in range(0, n, 100_000):
                D = X[s0 : s0 + 100_000] - mu
                sc = (D @ Ga.T) * (D @ Gb.T) - c0[None]
                if st.reduced:
                    sc = sc @ st.K
                if w is not None:
                    sc *= w[s0 : s0 + 100_000, None]
                meat += sc.T @ sc
            try:
                binv = np.linalg.inv(bread)
                vcov = binv @ meat @ binv
            except np.linalg.LinAlgError:
                vcov = np.full((st.q, st.q), np.nan)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    se_free[~np.isfinite(np.diag(vcov))] = np.nan
    return mats, information, vcov, se_free
