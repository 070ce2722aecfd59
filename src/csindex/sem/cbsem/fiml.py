"""Full-information ML with missing items (``missing="ml"``, as lavaan): likelihood over
the missing-data patterns with saturated means, Newton / Fisher scoring, observed
information, fit indices against the EM-estimated unrestricted model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..fit_indices import rmsea_ci
from .data import check_moments, prepare_items
from .inference import parameter_tables, ztable
from .likelihood import fisher_scoring, hessian_analytic
from .results import CBSEMResult, fit_admissibility
from .start import semopy_start, simple_start
from .structure import Structure, build_structure, element_vectors, implied


@dataclass
class Pattern:
    """The rows sharing one missing-data pattern and their weighted sufficient statistics."""

    o: np.ndarray  # observed item indices
    rows: np.ndarray  # rows (of the used data) with this pattern
    n: float  # sum of weights
    mean: np.ndarray
    S: np.ndarray  # weighted covariance about the pattern mean (divisor n)
    w: np.ndarray


def missing_patterns(X: np.ndarray, w: np.ndarray | None) -> list[Pattern]:
    """Group rows by missing-data pattern with their weighted sufficient statistics."""
    masks, inv = np.unique(np.isfinite(X), axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    out = []
    for k in range(len(masks)):  # loop over patterns, not respondents
        rows = np.nonzero(inv == k)[0]
        o = np.nonzero(masks[k])[0]
        Xo = X[np.ix_(rows, o)]
        wk = np.ones(len(rows)) if w is None else w[rows]
        nk = float(wk.sum())
        xb = wk @ Xo / nk
        D = Xo - xb
        out.append(Pattern(o, rows, nk, xb, (D * wk[:, None]).T @ D / nk, wk))
    return out


def fiml_ll(Sigma: np.ndarray, mu: np.ndarray, pats: list[Pattern], grad: bool = False):
    """FIML log-likelihood sum_k -n_k/2 (p_k log 2pi + log|S_oo| + tr(S_oo^-1 T_k)), T_k =
    S_k + d d', d = mean_k - mu_o; with ``grad`` also dll/dSigma (as tr(G dSigma)) and dll/dmu."""
    p = len(mu)
    ll = 0.0
    G = np.zeros((p, p))
    gmu = np.zeros(p)
    for pt in pats:
        o = pt.o
        try:
            L = np.linalg.cholesky(Sigma[np.ix_(o, o)])
        except np.linalg.LinAlgError:
            return -np.inf, None, None
        Li = np.linalg.inv(L)
        P = Li.T @ Li
        d = pt.mean - mu[o]
        T = pt.S + np.outer(d, d)
        logdet = 2.0 * np.log(np.diag(L)).sum()
        ll -= 0.5 * pt.n * (len(o) * np.log(2 * np.pi) + logdet + np.sum(P * T))
        if grad:
            G[np.ix_(o, o)] -= 0.5 * pt.n * (P - P @ T @ P)
            gmu[o] += pt.n * (P @ d)
    return ll, G, gmu


def fiml_objective(st: Structure, z: np.ndarray, pats: list[Pattern], N: float, grad: bool = True):
    """f = -2 ll / N and its gradient in z = (theta, mu)."""
    q = st.q
    mats = implied(st, z[None, :q])
    ll, G, gmu = fiml_ll(mats["Sigma"][0], z[q:], pats, grad)
    if not np.isfinite(ll):
        return np.inf, None
    if not grad:
        return -2.0 * ll / N, None
    a, b = element_vectors(st, mats)
    gth = 2.0 * np.einsum("qp,pr,qr->q", a[0], G, b[0])
    if st.reduced:
        gth = gth @ st.K
    return -2.0 * ll / N, -2.0 / N * np.concatenate([gth, gmu])


def fiml_hessian(st: Structure, z: np.ndarray, pats: list[Pattern], N: float) -> np.ndarray:
    """Observed Hessian of f = -2 ll / N in (theta, mu), analytic.

    Pattern k contributes n_k/N times the Hessian of F_k = log|Sigma_oo| + tr(P_oo T_k),
    T_k = S_k + d d', d = mean_k - mu_o. With P~ = E_o' P_oo E_o (zero outside the observed
    items) and T~ = E_o' T_k E_o, the theta-theta block is the complete-data Hessian
    (:func:`hessian_analytic`) at (P~, T~), all patterns in one batch; d2F/dtheta_j dmu =
    2 P~ dSigma_j P~ d~ and d2F/dmu2 = 2 P~. Central differences of the analytic gradient
    where no analytic Hessian exists (construct-item covariances)."""
    if st.has_xcov:
        return fiml_hessian_numeric(st, z, pats, N)
    q = st.q
    mats1 = implied(st, z[None, :q])
    Sig = mats1["Sigma"][0]
    p = Sig.shape[0]
    K = len(pats)
    Pt = np.zeros((K, p, p))
    Tt = np.zeros((K, p, p))
    dt = np.zeros((K, p))
    nk = np.array([pt.n for pt in pats])
    mu = z[q:]
    for k, pt in enumerate(pats):  # loop over missing-data patterns, not respondents
        o = pt.o
        ix = np.ix_(o, o)
        Pt[k][ix] = np.linalg.inv(Sig[ix])
        d = pt.mean - mu[o]
        Tt[k][ix] = pt.S + np.outer(d, d)
        dt[k, o] = d
    mats = {key: np.broadcast_to(v, (K, *v.shape[1:])) for key, v in mats1.items()}
    a1, b1 = element_vectors(st, mats1)
    ab = (np.broadcast_to(a1, (K, *a1.shape[1:])), np.broadcast_to(b1, (K, *b1.shape[1:])))
    Hk, _ = hessian_analytic(st, mats, Pt, Tt, ab=ab)
    w = nk / N
    H = np.zeros((q + p, q + p))
    H[:q, :q] = np.einsum("k,kij->ij", w, Hk)
    Pa = np.einsum("kij,qj->kqi", Pt, a1[0])  # P~ a_j  (K, qe, p)
    Pb = np.einsum("kij,qj->kqi", Pt, b1[0])
    Pd = np.einsum("kij,kj->ki", Pt, dt)  # P~ d~
    bPd = np.einsum("qj,kj->kq", b1[0], Pd)
    aPd = np.einsum("qj,kj->kq", a1[0], Pd)
    Hm = 2.0 * np.einsum("k,kqi->qi", w, Pa * bPd[:, :, None] + Pb * aPd[:, :, None])
    if st.reduced:
        Hm = st.K.T @ Hm
    H[:q, q:] = Hm
    H[q:, :q] = Hm.T
    H[q:, q:] = 2.0 * np.einsum("k,kij->ij", w, Pt)
    return (H + H.T) / 2


def fiml_hessian_numeric(st: Structure, z: np.ndarray, pats: list[Pattern], N: float) -> np.ndarray:
    """Hessian of f by central differences of the analytic gradient."""
    k = z.size
    h = 1e-5 * np.maximum(1.0, np.abs(z))
    H = np.empty((k, k))
    for j in range(k):  # loop over parameters (numerical differentiation)
        e = np.zeros(k)
        e[j] = h[j]
        gp = fiml_objective(st, z + e, pats, N)[1]
        gm = fiml_objective(st, z - e, pats, N)[1]
        H[:, j] = (gp - gm) / (2 * h[j]) if gp is not None and gm is not None else np.nan
    return (H + H.T) / 2


def fiml_information(st: Structure, z: np.ndarray, pats: list[Pattern], N: float) -> np.ndarray:
    """Expected information per observation of (theta, mu) under FIML:
    sum_k n_k/N [1/2 tr(P_k dS_j P_k dS_l) (covariance part) + e_o' P_k e_o (means)], P_k the
    inverse of Sigma over pattern k's observed items; dS_j = a_j b_j' + b_j a_j' (analytic)."""
    q = st.q
    mats = implied(st, z[None, :q])
    a, b = element_vectors(st, mats)
    a, b = a[0], b[0]
    Sig = mats["Sigma"][0]
    p = Sig.shape[0]
    qe = st.qe
    I_cov = np.zeros((qe, qe))
    I_mu = np.zeros((p, p))
    for pt in pats:  # loop over missing-data patterns, not respondents
        o = pt.o
        P = np.linalg.inv(Sig[np.ix_(o, o)])
        Q = np.concatenate([a[:, o], b[:, o]])
        K = Q @ P @ Q.T
        I_cov += pt.n * (K[:qe, :qe] * K[qe:, qe:] + K[:qe, qe:] * K[qe:, :qe])
        I_mu[np.ix_(o, o)] += pt.n * P
    out = np.zeros((q + p, q + p))
    out[:q, :q] = st.K.T @ I_cov @ st.K if st.reduced else I_cov
    out[q:, q:] = I_mu
    return out / N


def fiml_newton(st, z, pats, N, gtol, max_iter):
    """Fisher scoring (analytic gradient and expected information) until the gradient is
    small, then Newton steps on the Hessian of the analytic gradient to ``gtol``."""
    f, g = fiml_objective(st, z, pats, N)
    it = 0
    gnorm = float(np.abs(g).max()) if g is not None else np.inf
    newton = False
    while it < max_iter and np.isfinite(gnorm) and gnorm >= gtol:
        if not newton and gnorm < 1e-6:
            newton = True
        H = fiml_hessian(st, z, pats, N) if newton else 2.0 * fiml_information(st, z, pats, N)
        if not np.all(np.isfinite(H)):
            break
        ev, V = np.linalg.eigh(H)
        ev = np.maximum(np.abs(ev), 1e-8 * np.abs(ev).max())
        step = -V @ ((V.T @ g) / ev)
        t = 1.0
        for _h in range(40):
            fc, gc = fiml_objective(st, z + t * step, pats, N)
            if np.isfinite(fc) and fc <= f + 1e-13 * abs(f):
                z, f, g = z + t * step, fc, gc
                break
            t /= 2
        else:
            if newton:
                break
            newton = True  # Fisher scoring stalled: Newton from here
            continue
        it += 1
        gnorm = float(np.abs(g).max())
    return z, gnorm, it


def em_saturated(X: np.ndarray, w: np.ndarray, pats: list[Pattern], tol: float = 1e-13):
    """Unrestricted ML mean and covariance with missing data (EM), and its log-likelihood."""
    p = X.shape[1]
    N = w.sum()
    mu = np.array(
        [np.average(X[np.isfinite(X[:, j]), j], weights=w[np.isfinite(X[:, j])]) for j in range(p)]
    )
    Sig = np.diag(
        [
            np.average((X[np.isfinite(X[:, j]), j] - mu[j]) ** 2, weights=w[np.isfinite(X[:, j])])
            for j in range(p)
        ]
    )
    ll_old = -np.inf
    for _ in range(5000):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pt in pats:  # E-step per pattern (vectorised over its rows)
            o = pt.o
            m = np.setdiff1d(np.arange(p), o)
            Xo = X[np.ix_(pt.rows, o)]
            Xf = np.empty((len(pt.rows), p))
            Xf[:, o] = Xo
            C = np.zeros((p, p))
            if m.size:
                B = np.linalg.solve(Sig[np.ix_(o, o)], Sig[np.ix_(o, m)])
                Xf[:, m] = mu[m] + (Xo - mu[o]) @ B
                C[np.ix_(m, m)] = Sig[np.ix_(m, m)] - Sig[np.ix_(m, o)] @ B
            T1 += pt.w @ Xf
            T2 += (Xf * pt.w[:, None]).T @ Xf + pt.n * C
        mu = T1 / N
        Sig = T2 / N - np.outer(mu, mu)
        ll = fiml_ll(Sig, mu, pats)[0]
        if abs(ll - ll_old) < tol * abs(ll):
            break
        ll_old = ll
    return mu, Sig, ll


def fiml_fit_indices(
    X, w, pats, ll, Sigma, mu_hat, npar_cov, n
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Fit indices with missing data as lavaan: chi2 = 2 (ll_h1 - ll) against the EM saturated
    model, baseline = independent items (available-case means and variances)."""
    p = X.shape[1]
    mu1, S1, ll1 = em_saturated(X, w, pats)
    mu0 = np.array(
        [np.average(X[np.isfinite(X[:, j]), j], weights=w[np.isfinite(X[:, j])]) for j in range(p)]
    )
    v0 = np.array(
        [
            np.average((X[np.isfinite(X[:, j]), j] - mu0[j]) ** 2, weights=w[np.isfinite(X[:, j])])
            for j in range(p)
        ]
    )
    ll0 = fiml_ll(np.diag(v0), mu0, pats)[0]
    pstar = p * (p + 1) // 2
    df, df0 = pstar - npar_cov, pstar - p
    chisq, chisq0 = 2 * (ll1 - ll), 2 * (ll1 - ll0)
    num = max(chisq - df, 0.0)
    den = max(chisq - df, chisq0 - df0, 0.0)
    lo, up = rmsea_ci(chisq, df, n)
    sd = np.sqrt(np.diag(S1))
    resid = (S1 - Sigma) / np.outer(sd, sd)
    iu = np.triu_indices(p)
    mres = (mu1 - mu_hat) / sd
    npar = npar_cov + p
    fit = {
        "chisq": float(chisq),
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "baseline_chisq": float(chisq0),
        "baseline_df": float(df0),
        "cfi": float(1 - num / den) if den > 0 else 1.0,
        "tli": float((chisq0 / df0 - chisq / df) / (chisq0 / df0 - 1)) if df > 0 else float("nan"),
        "rmsea": float(np.sqrt(max(chisq / n / df - 1 / n, 0))) if df > 0 else float("nan"),
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": up,
        "rmsea_pvalue": float(stats.ncx2.sf(chisq, df, n * df * 0.05**2))
        if df > 0
        else float("nan"),
        "srmr": float(np.sqrt((np.sum(resid[iu] ** 2) + np.sum(mres**2)) / (len(iu[0]) + p))),
        "aic": float(-2 * ll + 2 * npar),
        "bic": float(-2 * ll + npar * np.log(n)),
        "loglik": float(ll),
        "npar": float(npar),
        "n": float(n),
        "fmin": float(chisq / (2 * n)),
    }
    return fit, mu1, S1


def fit_fiml(data, spec, weights, se, start, gtol, max_iter, correlation_limit, file):
    """fit_cbsem with missing="ml" (full-information ML over missing-data patterns)."""
    X, w, ok_rows, n = prepare_items(data, spec, weights, file=file, listwise=False)
    wv = np.ones(n) if w is None else w
    pats = missing_patterns(X, w)
    obs = np.isfinite(X)
    mu0, Spw = _start_moments(X, wv, obs)
    check_moments(np.diag(np.diag(Spw)), spec.items, n, file)
    st = build_structure(spec, {it: Spw[k, k] for k, it in enumerate(spec.items)})
    theta0 = _start_theta(st, X, obs, Spw, start)
    z, gnorm, n_iter = fiml_newton(st, np.concatenate([theta0, mu0]), pats, n, gtol, max_iter)
    q = st.q
    theta, muhat = z[:q], z[q:]
    converged = bool(np.isfinite(gnorm) and gnorm < max(gtol, 1e-8))
    mats = {k: v[0] for k, v in implied(st, theta[None]).items()}
    Sig = mats["Sigma"]
    bread, vfull = _fiml_vcov(st, z, pats, n, X, mats, se)
    vcov = vfull[:q, :q]
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    se_free[~np.isfinite(np.diag(vcov))] = np.nan
    tables = parameter_tables(st, theta, vcov, se_free)
    tables.pop("W")
    estimates = _with_mean_rows(st, tables["estimates"], muhat, vfull)
    sc = _factor_scores(st, mats, pats, X, muhat, n)
    scores = pd.DataFrame(sc, columns=st.constructs, index=data.index[ok_rows])
    ll = -0.5 * n * fiml_objective(st, z, pats, n, grad=False)[0]
    fit, mu1, S1 = fiml_fit_indices(X, wv, pats, ll, Sig, muhat, q, n)
    adm = fit_admissibility(st, mats, Sig, bread, converged, gnorm, n_iter, correlation_limit)
    return CBSEMResult(
        spec=spec,
        structure=st,
        theta=theta,
        vcov=vcov,
        estimates=estimates,
        standardized=tables["standardized"],
        fit=fit,
        r2=tables["r2"],
        effects=tables["effects"],
        scores=scores,
        score_weights=tables["score_weights"],
        admissibility=adm,
        se_type=se,
        weighted=w is not None,
        n=n,
        S=S1,
        mean=muhat,
        used_rows=np.nonzero(ok_rows)[0],
        information=bread,
    )


def _start_moments(X: np.ndarray, wv: np.ndarray, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Available-case weighted means and the pairwise covariance made positive definite
    (eigenvalues at least 1e-6 of the largest; start values only)."""
    mu0 = np.array([np.average(X[obs[:, j], j], weights=wv[obs[:, j]]) for j in range(X.shape[1])])
    Spw = pd.DataFrame(X).cov(min_periods=2).to_numpy()
    Spw = np.where(np.isfinite(Spw), Spw, 0.0)
    ev, V = np.linalg.eigh(Spw)
    Spw = (V * np.maximum(ev, 1e-6 * ev.max())) @ V.T  # pairwise covariance made PD (start only)
    return mu0, Spw


def _start_theta(st: Structure, X: np.ndarray, obs: np.ndarray, Spw: np.ndarray, start):
    """Start values: a given vector, or simple / semopy values on the complete rows refined by
    50 Fisher-scoring iterations on the pairwise covariance."""
    if not isinstance(start, str):
        return np.asarray(start, dtype=float).reshape(-1)
    theta0 = simple_start(st, Spw)
    if start == "semopy":
        try:
            theta0 = semopy_start(st, X[obs.all(axis=1)], Spw)
        except Exception:  # never crash on the start values
            pass
    return fisher_scoring(st, theta0[None], Spw[None], max_iter=50)[0][0]


def _fiml_vcov(st: Structure, z, pats, n, X, mats, se) -> tuple[np.ndarray, np.ndarray]:
    """Observed information (bread, of theta and the means) and the vcov: its inverse
    (standard) or the sandwich with the case scores of every row (robust)."""
    q = st.q
    muhat = z[q:]
    Sig = mats["Sigma"]
    bread = 0.5 * n * fiml_hessian(st, z, pats, n)  # observed information of (theta, mu)
    with np.errstate(all="ignore"):
        try:
            binv = np.linalg.inv(bread)
        except np.linalg.LinAlgError:
            binv = np.full(bread.shape, np.nan)
        if se == "standard":
            vfull = binv
        else:
            a, b = element_vectors(st, {k: v[None] for k, v in mats.items()})
            a, b = a[0], b[0]
            meat = np.zeros_like(bread)
            for pt in pats:  # case scores of every row, vectorised within its pattern
                o = pt.o
                P = np.linalg.inv(Sig[np.ix_(o, o)])
                D = X[np.ix_(pt.rows, o)] - muhat[o]
                Ga, Gb = a[:, o] @ P, b[:, o] @ P
                sc = np.zeros((len(pt.rows), q + len(muhat)))
                se_ = (D @ Ga.T) * (D @ Gb.T) - np.sum(Ga * b[:, o], axis=1)[None]
                sc[:, :q] = se_ @ st.K if st.reduced else se_
                sc[:, q + o] = D @ P
                sc *= pt.w[:, None]
                meat += sc.T @ sc
            vfull = binv @ meat @ binv
    return bread, vfull


def _with_mean_rows(st: Structure, estimates, muhat, vfull) -> pd.DataFrame:
    """The parameter table with the mean rows (~1) as lavaan prints them with missing="ml":
    item means free, latent means fixed at 0."""
    se_mu = np.sqrt(np.clip(np.diag(vfull)[st.q :], 0, None))
    means = pd.DataFrame({"lhs": st.items, "op": "~1", "rhs": "", **ztable(muhat, se_mu)})
    lat = pd.DataFrame(
        {"lhs": st.constructs, "op": "~1", "rhs": "", **ztable(np.zeros(st.m), np.zeros(st.m))}
    )
    lat[["z", "pvalue"]] = np.nan  # latent means fixed at 0
    return pd.concat([estimates, means, lat], ignore_index=True)


def _factor_scores(st: Structure, mats, pats, X, muhat, n) -> np.ndarray:
    """Regression factor scores of every row from its observed items."""
    sc = np.zeros((n, st.m))
    for pt in pats:  # regression factor scores from each row's observed items
        o = pt.o
        Wo = mats["C"] @ mats["Lambda"][o].T @ np.linalg.inv(mats["Sigma"][np.ix_(o, o)])
        sc[pt.rows] = (X[np.ix_(pt.rows, o)] - muhat[o]) @ Wo.T
    return sc
