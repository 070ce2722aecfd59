"""Replicates: bootstrap refits (:func:`cbsem_bootstrap`) and replicate-weight SEs
(:func:`cbsem_replicates`), all covariance matrices refitted together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConfigError, InputError
from ...estimation import MSE_DEFAULT, replicate_variance
from ...threads import limit_blas
from ..admissibility import batch_flags
from ..spec import ModelSpec
from .data import batch_moments, prepare_items, weighted_cov
from .derived import defined_values, effect_pairs, effect_values, r2_values, score_weight_matrix
from .likelihood import fisher_scoring
from .results import CBSEMResult
from .structure import Structure, build_structure, free_keys, implied


def derived_columns(st: Structure, theta: np.ndarray) -> pd.DataFrame:
    """Parameters, effects, R² and own-block score weights per replicate (named columns)."""
    R = theta.shape[0]
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(st.labels()):
        cols[name] = theta[:, j]
    pairs = effect_pairs(st)
    eff = effect_values(st, theta)
    k = len(pairs)
    for i, (f, t) in enumerate(pairs):
        nm = f"{st.constructs[f]}->{st.constructs[t]}"
        cols[f"direct:{nm}"] = eff[:, i]
        cols[f"indirect:{nm}"] = eff[:, k + i]
        cols[f"total:{nm}"] = eff[:, 2 * k + i]
    r2 = r2_values(st, theta)
    for i, v in enumerate(st.items + st.spec.endogenous):
        cols[f"r2:{v}"] = r2[:, i]
    W = score_weight_matrix(st, theta)
    for ci, c in enumerate(st.constructs):
        for it in st.spec.blocks[c]:
            cols[f"sw:{c}:{it}"] = W[:, ci, st.items.index(it)]
    if st.spec.defined:
        dv = defined_values(st, theta)
        for k, (nm, _) in enumerate(st.spec.defined):
            cols[f"def:{nm}"] = dv[:, k]
    return pd.DataFrame(cols, index=np.arange(R))


def refit_batch(
    st: Structure,
    S: np.ndarray,
    start: np.ndarray,
    max_iter: int,
    gtol: float,
    xtol: float,
    batch: int,
    correlation_limit: float,
) -> pd.DataFrame:
    R = S.shape[0]
    parts = []
    for s in range(0, R, batch):
        Sb = S[s : s + batch]
        th0 = np.broadcast_to(start, (Sb.shape[0], st.q)).copy()
        th, F, conv, iters, gmax = fisher_scoring(
            st, th0, Sb, max_iter=max_iter, gtol=gtol, xtol=xtol
        )
        mats = implied(st, th)
        free_diag = np.array([it not in st.fixed_zero_items for it in st.items])
        flags = batch_flags(mats["Psi"], mats["Theta"], mats["C"], free_diag, correlation_limit)
        inadm = ~conv | flags["heywood"] | flags["not_positive_definite"]
        head = pd.DataFrame(
            {
                "converged": conv,
                "heywood": flags["heywood"],
                "not_positive_definite": flags["not_positive_definite"],
                "near_unidentified": flags["near_unidentified"],
                "admissible": ~inadm,
                "iterations": iters,
                "gradient_max": gmax,
            }
        )
        parts.append(pd.concat([head, derived_columns(st, th)], axis=1))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "replicate", np.arange(R))
    return out


def start_vector(start: Any, st: Structure) -> np.ndarray:
    th = start.theta if isinstance(start, CBSEMResult) else np.asarray(start, dtype=float)
    th = np.asarray(th, dtype=float).reshape(-1)
    if th.size != st.q:
        raise ConfigError(f"start has {th.size} values, the model has {st.q} free parameters")
    return th


@limit_blas
def cbsem_bootstrap(
    data: pd.DataFrame,
    spec: ModelSpec,
    counts: np.ndarray,
    start: CBSEMResult | np.ndarray,
    *,
    weights: str | Sequence[float] | np.ndarray | None = None,
    max_iter: int = 40,
    gtol: float = 1e-7,
    xtol: float = 1e-6,
    batch: int = 128,
    correlation_limit: float = 0.95,
) -> pd.DataFrame:
    """Refit the model on B bootstrap resamples given as a (B, n) matrix of resampling counts.

    ``counts[b, i]`` = how often complete-case row i (``CBSEMResult.used_rows``) is drawn in
    replicate b (with survey ``weights``, the row's weight is multiplied by its count). All B
    covariance matrices are formed at once, every replicate starts at ``start`` (the
    full-sample estimate) and Fisher scoring runs over replicates together.

    Returns one row per replicate: ``replicate``, ``converged``, ``heywood``,
    ``not_positive_definite``, ``near_unidentified``, ``admissible`` (converged, no negative
    variance, latent covariance PD), ``iterations``, ``gradient_max``, then the free parameters
    (``PQ=~PERQ2``, ``CS~PQ``, ``CE~~CE``), ``direct:/indirect:/total:FROM->TO``, ``r2:VAR`` and
    own-block factor-score weights ``sw:CONSTRUCT:ITEM``.
    """
    X, w, _, n = prepare_items(data, spec, weights)
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] != n:
        raise InputError(
            f"counts must be a (B, n) matrix with n = {n} complete rows; got shape {counts.shape}"
        )
    mu, S0 = weighted_cov(X, w)
    st = build_structure(spec, {it: S0[k, k] for k, it in enumerate(spec.items)})
    th0 = start_vector(start, st)
    Wt = counts if w is None else counts * w[None, :]
    S = batch_moments(X, Wt)
    return refit_batch(st, S, th0, max_iter, gtol, xtol, batch, correlation_limit)


@limit_blas
def cbsem_replicates(
    data: pd.DataFrame,
    spec: ModelSpec,
    replicate_weights: pd.DataFrame | np.ndarray,
    start: CBSEMResult | np.ndarray,
    *,
    scale: float = 1.0,
    rscales: Sequence[float] | np.ndarray | float = 1.0,
    mse: bool = MSE_DEFAULT,
    max_iter: int = 100,
    gtol: float = 1e-9,
    xtol: float = 1e-8,
    batch: int = 128,
    correlation_limit: float = 0.95,
) -> pd.DataFrame:
    """Design-based SEs by refitting with each replicate-weight column (rep_001, ...).

    Variance as R survey's ``svrepdesign``: v = scale * sum_r rscales_r (theta_r - c)^2 with
    c the full-sample estimate (``mse=True``) or the mean of the replicates. ``replicate_weights``
    has one column per replicate and one row per data row (rows with a missing item are dropped
    as in the fit). Returns one row per free parameter: lhs, op, rhs, est (full sample), se,
    n_replicates, n_inadmissible. ``start`` must be the full-sample fit (its estimate is the
    centre). ``.attrs["replicates"]`` holds the replicate estimates (columns as
    :func:`cbsem_bootstrap`) and ``.attrs["statistics"]`` the replicate SE of every statistic
    there (statistic, est, se): parameters, ``direct:/indirect:/total:FROM->TO``, ``r2:VAR``,
    ``sw:CONSTRUCT:ITEM``.
    """
    X, RW, names = _replicate_matrix(data, spec, replicate_weights)
    R = RW.shape[0]
    rs = np.broadcast_to(np.asarray(rscales, dtype=float), (R,))
    mu, S0 = weighted_cov(X)
    st = build_structure(spec, {it: S0[k, k] for k, it in enumerate(spec.items)})
    th0 = start_vector(start, st)
    S = batch_moments(X, RW)
    reps = refit_batch(st, S, th0, max_iter, gtol, xtol, batch, correlation_limit)
    reps.insert(1, "replicate_name", names)
    labels = st.labels()
    T = reps[labels].to_numpy()
    var = replicate_variance(th0, T, scale, rs, mse)
    keys = free_keys(st)
    out = pd.DataFrame(
        {
            "lhs": [k[0] for k in keys],
            "op": [k[1] for k in keys],
            "rhs": [k[2] for k in keys],
            "est": th0,
            "se": np.sqrt(var),
            "n_replicates": R,
            "n_inadmissible": int((~reps["admissible"]).sum()),
        }
    )
    out.attrs["replicates"] = reps
    out.attrs["statistics"] = _statistic_se(st, th0, reps, scale, rs, mse)
    return out


def _replicate_matrix(
    data: pd.DataFrame, spec: ModelSpec, replicate_weights: pd.DataFrame | np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The complete rows' items X, their replicate weights (R, n) and the replicate names;
    weights that are negative, not finite or all zero in a replicate are refused."""
    rw = replicate_weights
    names = (
        list(rw.columns)
        if isinstance(rw, pd.DataFrame)
        else [f"rep_{k + 1:03d}" for k in range(np.shape(rw)[1])]
    )
    RW = np.asarray(rw, dtype=float)
    if RW.ndim != 2 or RW.shape[0] != len(data):
        raise InputError(
            f"replicate weights must have one row per data row ({len(data)}); got shape {RW.shape}"
        )
    X, _, ok, n = prepare_items(data, spec, None)
    RW = RW[ok].T
    bad = ~np.isfinite(RW) | (RW < 0) | (RW.sum(axis=1, keepdims=True) <= 0)
    if bad.any():
        r, i = np.argwhere(bad)[0]
        raise InputError(
            f"replicate weight {float(RW[r, i])} not allowed; replicate weights must be finite "
            "and >= 0",
            row=int(np.nonzero(ok)[0][i]) + 1,
            column=names[r],
        )
    return X, RW, names


def _statistic_se(
    st: Structure, th0: np.ndarray, reps: pd.DataFrame, scale: float, rs: np.ndarray, mse: bool
) -> pd.DataFrame:
    """Replicate SE of every statistic of :func:`derived_columns` (statistic, est, se)."""
    full = derived_columns(st, th0[None])
    D = reps[full.columns].to_numpy()
    return pd.DataFrame(
        {
            "statistic": full.columns,
            "est": full.to_numpy()[0],
            "se": np.sqrt(replicate_variance(full.to_numpy()[0], D, scale, rs, mse)),
        }
    )


def replicate_se(
    replicates: np.ndarray, center: np.ndarray, scale: float, rscales: np.ndarray | float, mse: bool
) -> np.ndarray:
    """SE from replicate estimates (R, k): sqrt(scale * sum_r rscales_r (t_r - c)^2), the
    engine's :func:`csindex.estimation.replicate_variance`."""
    T = np.asarray(replicates, dtype=float)
    return np.sqrt(replicate_variance(np.asarray(center, dtype=float), T, scale, rscales, mse))
