"""Multi-group CB-SEM by maximum likelihood with a mean structure, as lavaan's
``sem(..., group =, group.equal =, group.partial =)``.

Model of group g: x = nu_g + Lambda_g eta + eps, eta = alpha_g + B_g eta + zeta, so
mu_g = nu_g + Lambda_g A_g alpha_g and Sigma_g = Lambda_g A_g Psi_g A_g' Lambda_g' + Theta_g
(A = (I - B)^-1; the covariance structure of :mod:`csindex.sem.cbsem` in every group).
Identification as lavaan's defaults: the marker item of each block has loading 1 in every
group; intercepts nu free in every group; latent means alpha fixed at 0, except with
``group.equal`` containing ``intercepts`` (and not ``means``) where they are free after the
first group.

ML discrepancy: F = sum_g (n_g / N) F_g, F_g = log|Sigma_g| + tr(T_g Sigma_g^-1) - log|S_g| - p
with T_g = S_g + (xbar_g - mu_g)(xbar_g - mu_g)' (S_g with divisor n_g). chi2 = N F_min,
df = G (p(p+1)/2 + p) - npar; baseline: independent items with free means and variances in
every group. RMSEA = sqrt(max(chi2/(N df) - 1/N, 0)) sqrt(G) (lavaan's multi-group RMSEA).

``group.equal`` (lavaan's names): loadings, intercepts, means, regressions, residuals,
residual.covariances, lv.variances, lv.covariances; ``group.partial``: parameters exempted,
written ``"visual =~ x2"`` or ``"x3 ~ 1"``. A label shared across the syntax makes parameters
equal in every group (lavaan's rule).

Estimation: Fisher scoring on the analytic gradient and expected information, then Newton steps
on the Hessian from central differences of the analytic gradient. SEs: ``standard`` (expected
information, lavaan ML) or ``robust`` (sandwich with observed-information bread and the case
scores of every row, lavaan MLR; with ``sampling.weights``). Robust fits also give lavaan's
MLR scaling factor c = (sum_g tr(A1_g^-1 B1_g) - tr(A0^-1 B0)) / df (Yuan-Bentler, Mplus
variant: h1 = unrestricted model at the sample moments, h0 = the sandwich's bread and meat),
``chisq_scaling_factor`` and ``chisq_scaled`` = chi2 / c.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, InputError
from .cbsem import (
    BETA,
    LAM,
    equal_weights,
    implied,
    weighted_cov,
    ztable,
)
from .cbsem import element_vectors as _element_vectors
from .cbsem import gradient_information as _cov_grad_info
from .cbsem import prepare_items as _prepare_items
from .cbsem import simple_start as _start_cov
from .multigroup_structure import GROUP_EQUAL, MGStructure, build_mg_structure
from .spec import ModelSpec

Z975 = float(stats.norm.ppf(0.975))


@dataclass
class _GroupData:
    X: np.ndarray
    w: np.ndarray | None
    n: float  # weight of the group in F (its rows, or its sum of normalised weights)
    mean: np.ndarray
    S: np.ndarray
    logdet_s: float


def _group_parts(mg: MGStructure, z: np.ndarray, g: int):
    st = mg.st
    theta = z[mg.cov_map[g]]
    mats = {k: v for k, v in implied(st, theta[None]).items()}
    nu = z[mg.nu_map[g]]
    alpha = np.where(mg.al_map[g] >= 0, z[np.clip(mg.al_map[g], 0, None)], 0.0)
    U = mats["Lambda"][0] @ mats["A"][0]
    mu = nu + U @ alpha
    return theta, mats, U, alpha, mu


def _mean_derivatives(mg: MGStructure, mats, U: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """d mu / d (local covariance parameters, nu, alpha): ((q_loc + p + m), p)."""
    st = mg.st
    Aa = mats["A"][0] @ alpha
    De = np.zeros((st.qe, st.p))
    s = np.nonzero(st.kind == LAM)[0]
    De[s, st.row[s]] = Aa[st.col[s]]
    s = np.nonzero(st.kind == BETA)[0]
    De[s] = U[:, st.row[s]].T * Aa[st.col[s]][:, None]
    Dloc = st.K.T @ De if st.reduced else De
    return np.vstack([Dloc, np.eye(st.p), U.T])


def _index(mg: MGStructure, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Global indices of group g's local parameters (covariance, nu, alpha) and which are free."""
    idx = np.concatenate([mg.cov_map[g], mg.nu_map[g], mg.al_map[g]])
    return idx, idx >= 0


def _objective(mg: MGStructure, z: np.ndarray, data: list[_GroupData], N: float):
    """F, gradient (q,) and expected information per observation (q, q)."""
    st = mg.st
    F = 0.0
    grad = np.zeros(mg.q)
    info = np.zeros((mg.q, mg.q))
    for g, gd in enumerate(data):
        _, mats, U, alpha, mu = _group_parts(mg, z, g)
        Sig = mats["Sigma"][0]
        try:
            L = np.linalg.cholesky(Sig)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        Li = np.linalg.inv(L)
        P = Li.T @ Li
        d = gd.mean - mu
        T = gd.S + np.outer(d, d)
        logdet = 2.0 * np.log(np.diag(L)).sum()
        Fg = logdet + np.sum(P * T) - gd.logdet_s - st.p
        gc, ic, _, _ = _cov_grad_info(st, mats, P[None], T[None])
        D = _mean_derivatives(mg, mats, U, alpha)
        gl = D @ (-2.0 * P @ d)
        gl[: st.q] += gc[0]
        il = D @ P @ D.T
        il[: st.q, : st.q] += ic[0]
        idx, keep = _index(mg, g)
        wg = gd.n / N
        F += wg * Fg
        ix = idx[keep]
        grad[ix] += wg * gl[keep]
        info[np.ix_(ix, ix)] += wg * il[np.ix_(keep, keep)]
    return F, grad, info


def _numeric_hessian(mg, z, data, N) -> np.ndarray:
    q = z.size
    h = 1e-5 * np.maximum(1.0, np.abs(z))
    H = np.empty((q, q))
    for j in range(q):  # loop over parameters (numerical differentiation)
        e = np.zeros(q)
        e[j] = h[j]
        gp = _objective(mg, z + e, data, N)[1]
        gm = _objective(mg, z - e, data, N)[1]
        H[:, j] = (gp - gm) / (2 * h[j])
    return (H + H.T) / 2


def _optimise(mg, z, data, N, gtol: float = 1e-10, max_iter: int = 2000):
    F, g, info = _objective(mg, z, data, N)
    it = 0
    newton = False
    while it < max_iter:
        gmax = float(np.abs(g).max())
        if gmax < gtol:
            break
        if not newton and gmax < 1e-5:
            newton = True
        Hm = _numeric_hessian(mg, z, data, N) if newton else 2.0 * info
        try:
            step = -np.linalg.solve(Hm, g)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(Hm, g, rcond=None)[0]
        if not np.all(np.isfinite(step)) or step @ g >= 0:
            step = -np.linalg.solve(2.0 * info, g)
        t = 1.0
        for _h in range(30):
            Fc, gc, ic = _objective(mg, z + t * step, data, N)
            if np.isfinite(Fc) and Fc <= F + 1e-12 * abs(F) + 1e-15:
                z, F, g, info = z + t * step, Fc, gc, ic
                break
            t /= 2
        else:
            break
        it += 1
    return z, F, g, info, it


@dataclass
class MultiGroupResult:
    """A multi-group CB-SEM fit: ``estimates`` (lhs, op, rhs, group, est, se, z, pvalue,
    ci_lower, ci_upper; ``~1`` rows are intercepts and latent means) and ``fit`` (lavaan's
    fitMeasures names with ``_`` for ``.``)."""

    spec: ModelSpec
    structure: MGStructure
    z: np.ndarray
    vcov: np.ndarray
    estimates: pd.DataFrame
    fit: dict[str, float]
    se_type: str
    weighted: bool
    n: dict[str, int]
    converged: bool
    gradient_max: float
    iterations: int
    scores_meat: np.ndarray = field(repr=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        return self.estimates.copy()

    def summary(self) -> str:
        f = self.fit
        eq = ", ".join(self.structure.group_equal) or "none"
        return (
            f"multi-group CB-SEM by ML, groups {', '.join(self.structure.groups)} "
            f"(n {', '.join(str(v) for v in self.n.values())}), equal: {eq}; "
            f"chi2 = {f['chisq']:.3f}, df = {f['df']:.0f}, CFI = {f['cfi']:.3f}, "
            f"RMSEA = {f['rmsea']:.3f}, SRMR = {f['srmr']:.3f}; SE {self.se_type}"
        )


def split_groups(
    data: pd.DataFrame, group: str, file: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Group labels (sorted, as strings) and each row's group index; rows without a group are
    refused (name the row)."""
    if group not in data.columns:
        raise InputError(f"grouping column {group!r} is not in the data", file=file, column=group)
    col = data[group]
    miss = np.flatnonzero(col.isna().to_numpy())
    if miss.size:
        raise InputError(
            f"{miss.size} row(s) have no value in the grouping column",
            file=file,
            row=int(miss[0]) + 1,
            column=group,
        )
    lab = col.astype(str).to_numpy()
    groups = sorted(set(lab))
    if len(groups) < 2:
        raise InputError(
            f"the grouping column {group!r} has {len(groups)} group(s); at least 2 needed",
            file=file,
            column=group,
        )
    return groups, np.searchsorted(np.array(groups), lab)


def fit_multigroup(
    data: pd.DataFrame,
    spec: ModelSpec,
    group: str,
    *,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    weights: str | Sequence[float] | np.ndarray | None = None,
    se: str | None = None,
    start: MultiGroupResult | None = None,
    gtol: float = 1e-10,
    max_iter: int = 2000,
    file: str | None = None,
) -> MultiGroupResult:
    """Fit ``spec`` in every group of the column ``group`` by ML (complete rows), as lavaan
    ``sem(model, data, group = group, group.equal = ..., group.partial = ...)``.

    ``weights``: survey weights (column or array; normalised to sum to the number of rows over
    all groups, lavaan's ``sampling.weights.normalization = "total"``, so a group counts with
    its sum of weights), fitted by pseudo-ML as lavaan ``sampling.weights``; weights all equal
    are ignored. ``se``: "standard" (expected information), "robust" (sandwich, lavaan MLR) or
    auto/None (robust with informative weights). ``start``: a fit of the same model (e.g. the
    previous invariance level) to start from.
    """
    se, weights = _se_and_weights(data, weights, se)
    spec.validate()
    groups, gi = split_groups(data, group, file)
    gdata, weighted = _group_data(data, spec, group, groups, gi, weights, file)
    N = float(sum(gd.n for gd in gdata))
    S0 = gdata[0].S
    mg = build_mg_structure(
        spec,
        groups,
        group_equal,
        group_partial,
        {it: S0[k, k] for k, it in enumerate(spec.items)},
    )
    z = _start_values(mg, spec, gdata, start)
    z, F, grad, info, iters = _optimise(mg, z, gdata, N, gtol=gtol, max_iter=max_iter)
    gmax = float(np.abs(grad).max()) if grad is not None else float("inf")
    converged = bool(np.isfinite(gmax) and gmax < max(gtol * 100, 1e-7))
    vcov, bread, meat = _vcov(mg, z, gdata, N, info, se)
    se_z = np.sqrt(np.clip(np.diag(vcov), 0, None))
    estimates = _estimates(mg, z, se_z)
    fit = _fit_measures(mg, z, gdata, N, F)
    if se == "robust" and fit["df"] > 0:
        _add_mlr_scaling(fit, bread, meat, gdata)
    return MultiGroupResult(
        spec=spec,
        structure=mg,
        z=z,
        vcov=vcov,
        estimates=estimates,
        fit=fit,
        se_type=se,
        weighted=weighted,
        n={lab: int(gd.n) for lab, gd in zip(groups, gdata, strict=True)},
        converged=converged,
        gradient_max=gmax,
        iterations=iters,
    )


def _se_and_weights(data: pd.DataFrame, weights, se: str | None) -> tuple[str, Any]:
    """The SE type (auto: robust with informative weights) and the weights (None when all
    equal)."""
    if se not in (None, "auto", "standard", "robust"):
        raise ConfigError(
            f"se {se!r} not allowed; allowed: auto, standard, robust", key="model.cbsem.se"
        )
    if equal_weights(data, weights):
        weights = None
    if se is None or se == "auto":
        se = "robust" if weights is not None else "standard"
    return se, weights


def _group_data(
    data: pd.DataFrame,
    spec: ModelSpec,
    group: str,
    groups: list[str],
    gi: np.ndarray,
    weights,
    file: str | None,
) -> tuple[list[_GroupData], bool]:
    """Complete rows of every group with their weighted moments; whether the fit is weighted."""
    X, w, ok, n = _prepare_items(data, spec, weights, file=file)
    gi = gi[ok]
    gdata: list[_GroupData] = []
    for g, lab in enumerate(groups):
        rows = gi == g
        ng = int(rows.sum())
        if ng <= len(spec.items):
            raise InputError(
                f"group {lab!r} has {ng} complete rows for {len(spec.items)} items; each group "
                "needs more rows than items",
                file=file,
                column=group,
            )
        Xg = X[rows]
        wg = None if w is None else w[rows]  # normalised to sum to N over all groups
        mu, S = weighted_cov(Xg, wg)
        n_g = float(ng) if wg is None else float(wg.sum())
        gdata.append(_GroupData(Xg, wg, n_g, mu, S, float(np.linalg.slogdet(S)[1])))
    return gdata, w is not None


def _start_values(
    mg: MGStructure, spec: ModelSpec, gdata: list[_GroupData], start: MultiGroupResult | None
) -> np.ndarray:
    """Start: the previous fit ``start`` of the same model, else each group's own ML fit (the
    configural solution), else moment-based values; group 1's values win for shared ones."""
    st = mg.st
    z = np.zeros(mg.q)
    for g in reversed(range(mg.G)):  # group 1's values win for shared parameters
        if start is not None and start.structure.st.q == st.q:
            prev = start.z
            psm = start.structure
            z[mg.cov_map[g]] = prev[psm.cov_map[g]]
            z[mg.nu_map[g]] = prev[psm.nu_map[g]]
            keep = mg.al_map[g] >= 0
            pa = np.where(psm.al_map[g] >= 0, prev[np.clip(psm.al_map[g], 0, None)], 0.0)
            z[mg.al_map[g][keep]] = pa[keep]
        else:
            z[mg.cov_map[g]] = _start_cov(st, gdata[g].S)
            z[mg.nu_map[g]] = gdata[g].mean
    if start is None:  # each group's own ML fit (the configural solution) as start
        from .cbsem import fit_cbsem

        for g in reversed(range(mg.G)):
            cols = pd.DataFrame(gdata[g].X, columns=spec.items)
            try:
                one = fit_cbsem(cols, spec, weights=gdata[g].w, se="standard")
                if one.admissibility.converged:
                    z[mg.cov_map[g]] = one.theta
            except (InputError, ConfigError, np.linalg.LinAlgError):
                pass  # keep the moment-based start
    return z


def _vcov(mg: MGStructure, z: np.ndarray, gdata: list[_GroupData], N: float, info, se: str):
    """vcov of z: (N I)^-1 (standard) or the sandwich B^-1 M B^-1 with B = N/2 x the numeric
    Hessian and M the case-score meat (robust); returns vcov, bread and meat (None if
    standard)."""
    bread = meat = None
    with np.errstate(all="ignore"):
        if se == "standard":
            information = N * info
            try:
                vcov = np.linalg.inv(information)
            except np.linalg.LinAlgError:
                vcov = np.full((mg.q, mg.q), np.nan)
        else:
            bread = 0.5 * N * _numeric_hessian(mg, z, gdata, N)
            meat = _meat(mg, z, gdata)
            try:
                binv = np.linalg.inv(bread)
                vcov = binv @ meat @ binv
            except np.linalg.LinAlgError:
                vcov = np.full((mg.q, mg.q), np.nan)
    return vcov, bread, meat


def _add_mlr_scaling(
    fit: dict[str, float], bread: np.ndarray, meat: np.ndarray, gdata: list[_GroupData]
) -> None:
    """MLR scaling factor c = (sum_g tr(A1_g^-1 B1_g) - tr(A0^-1 B0)) / df and chi2 / c."""
    with np.errstate(all="ignore"):
        h0 = float(np.trace(np.linalg.solve(bread, meat)))
        h1 = sum(_h1_trace(gd) for gd in gdata)
    c = (h1 - h0) / fit["df"]
    fit["chisq_scaling_factor"] = float(c) if c > 0 else float("nan")
    fit["chisq_scaled"] = fit["chisq"] / fit["chisq_scaling_factor"]


def _h1_trace(gd: _GroupData) -> float:
    """tr(A1^-1 B1) of the unrestricted (h1) model of one group, as lavaan's MLR test
    (Yuan-Bentler, Mplus variant, h1 information "unstructured"): parameters (mu, vech Sigma)
    at the sample moments; A1 = blockdiag(S^-1, 1/2 tr(S^-1 E_a S^-1 E_b)) per observation,
    B1 = sum_i w_i^2 s_i s_i' / n_g (n_g the group's sum of weights), s_i the case scores."""
    X, w = gd.X, gd.w
    p = X.shape[1]
    D = X - gd.mean
    P = np.linalg.inv(gd.S)
    iu = np.triu_indices(p)
    PD = D @ P
    half = np.where(iu[0] == iu[1], 0.5, 1.0)
    sc = np.hstack([PD, (PD[:, iu[0]] * PD[:, iu[1]] - P[iu]) * half])
    if w is not None:
        sc *= w[:, None]
    B1 = sc.T @ sc / gd.n
    k = len(iu[0])
    E = np.zeros((k, p, p))
    E[np.arange(k), iu[0], iu[1]] = 1.0
    E[np.arange(k), iu[1], iu[0]] = 1.0
    PE = P[None] @ E
    A1 = np.zeros((p + k, p + k))
    A1[:p, :p] = P
    A1[p:, p:] = 0.5 * np.einsum("aij,bji->ab", PE, PE)
    return float(np.trace(np.linalg.solve(A1, B1)))


def _meat(mg: MGStructure, z: np.ndarray, data: list[_GroupData]) -> np.ndarray:
    """sum over rows of w_i^2 s_i s_i' with s_i the case score of the log-likelihood:
    (a'P d)(b'P d) - a'P b for a covariance parameter, dmu' P d for the means (d = x_i - mu)."""
    st = mg.st
    meat = np.zeros((mg.q, mg.q))
    for g, gd in enumerate(data):
        _, mats, U, alpha, mu = _group_parts(mg, z, g)
        P = np.linalg.inv(mats["Sigma"][0])
        a, b = _element_vectors(st, mats)
        a, b = a[0], b[0]
        Ga, Gb = a @ P, b @ P
        D = gd.X - mu
        sc_e = (D @ Ga.T) * (D @ Gb.T) - np.sum(Ga * b, axis=1)[None]
        sc_cov = sc_e @ st.K if st.reduced else sc_e
        Dm = _mean_derivatives(mg, mats, U, alpha)
        sc = D @ P @ Dm.T
        sc[:, : st.q] += sc_cov
        if gd.w is not None:
            sc *= gd.w[:, None]
        idx, keep = _index(mg, g)
        ix = idx[keep]
        sk = sc[:, keep]
        meat[np.ix_(ix, ix)] += sk.T @ sk
    return meat


def _estimates(mg: MGStructure, z: np.ndarray, se_z: np.ndarray) -> pd.DataFrame:
    st = mg.st
    tab = st.table
    free = tab["free"].to_numpy()
    parts = []
    for g, lab in enumerate(mg.groups):
        gidx = np.where(free >= 0, mg.cov_map[g][np.clip(free, 0, None)], -1)
        est = np.where(gidx >= 0, z[np.clip(gidx, 0, None)], tab["value"].to_numpy())
        se = np.where(gidx >= 0, se_z[np.clip(gidx, 0, None)], 0.0)
        means_idx = np.concatenate([mg.nu_map[g], mg.al_map[g]])
        m_est = np.where(means_idx >= 0, z[np.clip(means_idx, 0, None)], 0.0)
        m_se = np.where(means_idx >= 0, se_z[np.clip(means_idx, 0, None)], 0.0)
        d = pd.DataFrame(
            {
                "lhs": list(tab["lhs"]) + st.items + st.constructs,
                "op": list(tab["op"]) + ["~1"] * (st.p + st.m),
                "rhs": list(tab["rhs"]) + [""] * (st.p + st.m),
                "group": lab,
                **ztable(np.concatenate([est, m_est]), np.concatenate([se, m_se])),
            }
        )
        fixed = np.concatenate([gidx < 0, means_idx < 0])
        d.loc[fixed, ["z", "pvalue"]] = np.nan
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def _fit_measures(mg, z, data: list[_GroupData], N: float, F: float) -> dict[str, float]:
    """lavaan's multi-group fit measures (ML): chi2, df, CFI, TLI, RMSEA (x sqrt(G)), SRMR
    (Bentler, with mean residuals; groups weighted by n_g / N), loglik, AIC, BIC."""
    st = mg.st
    p, G = st.p, mg.G
    chisq = N * F
    pstar = G * (p * (p + 1) // 2 + p)
    df = pstar - mg.q
    chisq0 = sum(gd.n * (np.log(np.diag(gd.S)).sum() - gd.logdet_s) for gd in data)
    df0 = G * p * (p - 1) // 2
    num = max(chisq - df, 0.0)
    den = max(chisq - df, chisq0 - df0, 0.0)
    ll = 0.0
    srmr = 0.0
    iu = np.triu_indices(p)
    for g, gd in enumerate(data):
        _, mats, _, _, mu = _group_parts(mg, z, g)
        Sig = mats["Sigma"][0]
        d = gd.mean - mu
        _, logdet = np.linalg.slogdet(Sig)
        P = np.linalg.inv(Sig)
        ll += -0.5 * gd.n * (p * np.log(2 * np.pi) + logdet + np.sum(P * gd.S) + d @ P @ d)
        sd = np.sqrt(np.diag(gd.S))
        r = ((gd.S - Sig) / np.outer(sd, sd))[iu]
        mres = d / sd
        srmr_g = np.sqrt((np.sum(r**2) + np.sum(mres**2)) / (len(r) + p))
        srmr += gd.n / N * srmr_g
    rmsea = np.sqrt(max(chisq / N / df - 1 / N, 0.0)) * np.sqrt(G) if df > 0 else np.nan
    return {
        "chisq": float(chisq),
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "baseline_chisq": float(chisq0),
        "baseline_df": float(df0),
        "cfi": float(1 - num / den) if den > 0 else 1.0,
        "tli": float((chisq0 / df0 - chisq / df) / (chisq0 / df0 - 1)) if df > 0 else np.nan,
        "rmsea": float(rmsea),
        "srmr": float(srmr),
        "loglik": float(ll),
        "npar": float(mg.q),
        "aic": float(-2 * ll + 2 * mg.q),
        "bic": float(-2 * ll + mg.q * np.log(N)),
        "n": float(N),
        "ngroups": float(G),
    }


__all__: list[Any] = [
    "GROUP_EQUAL",
    "MGStructure",
    "MultiGroupResult",
    "build_mg_structure",
    "fit_multigroup",
    "split_groups",
]
