"""The ML discrepancy F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, its analytic
gradient, expected information and Hessian, and batched Newton / Fisher scoring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .structure import BETA, LAM, PSI, Structure, element_vectors, implied


def pd_mask(H: np.ndarray) -> np.ndarray:
    """Which matrices of a batch are positive definite (Cholesky, bisecting on failure)."""
    try:
        np.linalg.cholesky(H)
        return np.ones(len(H), dtype=bool)
    except np.linalg.LinAlgError:
        if len(H) == 1:
            return np.zeros(1, dtype=bool)
        h = len(H) // 2
        return np.concatenate([pd_mask(H[:h]), pd_mask(H[h:])])


def chol_inv(Sigma: np.ndarray):
    """Inverse and log-determinant of a batch of matrices; ok=False where not PD."""
    p = Sigma.shape[1]
    finite = np.isfinite(Sigma).all(axis=(1, 2))
    Sig = np.where(finite[:, None, None], Sigma, np.eye(p))
    ok = finite.copy()
    try:
        L = np.linalg.cholesky(Sig)
    except np.linalg.LinAlgError:
        ok &= pd_mask(Sig)
        L = np.linalg.cholesky(np.where(ok[:, None, None], Sig, np.eye(p)))
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    Linv = np.linalg.inv(L)
    Sinv = np.swapaxes(Linv, 1, 2) @ Linv
    return Sinv, logdet, ok


def objective(st: Structure, theta: np.ndarray, S: np.ndarray, logdet_s: np.ndarray):
    mats = implied(st, theta)
    Sinv, logdet, ok = chol_inv(mats["Sigma"])
    F = logdet + np.einsum("rij,rji->r", S, Sinv) - logdet_s - st.p
    F[~ok] = np.inf
    return F, mats, Sinv, ok


def gradient_information(st: Structure, mats, Sinv: np.ndarray, S: np.ndarray, info: bool = True):
    """Gradient of F (R, q) and expected information per observation (R, q, q)."""
    a, b = element_vectors(st, mats)
    M = Sinv - Sinv @ S @ Sinv
    g = 2.0 * np.einsum("rqp,rqp->rq", a @ M, b)
    if st.reduced:
        g = g @ st.K
    if not info:
        return g, None, a, b
    q = st.qe
    P = np.concatenate([a, b], axis=1)
    K = P @ Sinv @ np.swapaxes(P, 1, 2)
    Kaa, Kab, Kba, Kbb = K[:, :q, :q], K[:, :q, q:], K[:, q:, :q], K[:, q:, q:]
    return g, reduce_elements(st, Kaa * Kbb + Kab * Kba), a, b


def reduce_elements(st: Structure, Me: np.ndarray) -> np.ndarray:
    """K' M K: an element-level (R, qe, qe) matrix in the free parameters (R, q, q)."""
    return st.K.T @ Me @ st.K if st.reduced else Me


def hessian_analytic(
    st: Structure, mats, Sinv: np.ndarray, S: np.ndarray, ab: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Hessian of F_ML for a batch (R, q, q), and the expected information (R, q, q).

    F_jk = -tr(P S_k P S_j) + 2 tr(P S_k W S_j) + tr(M S_jk), P = Sigma^-1, W = P S P,
    M = P - W, S_j = dSigma/dtheta_j = a_j b_j' + b_j a_j', S_jk the second derivatives of
    Sigma = Lambda A Psi A' Lambda' + Theta (nonzero for loading/loading, loading/path,
    loading/psi, path/path and path/psi pairs).
    """
    q = st.qe
    a, b = element_vectors(st, mats) if ab is None else ab
    P = Sinv
    W = P @ S @ P
    M = P - W
    Q = np.concatenate([a, b], axis=1)
    Qt = np.swapaxes(Q, 1, 2)
    KP = Q @ P @ Qt
    KW = Q @ W @ Qt
    Paa, Pab, Pba, Pbb = KP[:, :q, :q], KP[:, :q, q:], KP[:, q:, :q], KP[:, q:, q:]
    Waa, Wab, Wba, Wbb = KW[:, :q, :q], KW[:, :q, q:], KW[:, q:, :q], KW[:, q:, q:]
    H = -2.0 * (Paa * Pbb + Pab * Pba)
    H += 2.0 * (Wab * Pba + Wbb * Paa + Waa * Pbb + Wba * Pab)
    # second-derivative term tr(M Sigma_jk)
    Lam, A, C = mats["Lambda"], mats["A"], mats["C"]
    LM = np.swapaxes(Lam, 1, 2) @ M  # (R, m, p)
    N = LM @ Lam
    At = np.swapaxes(A, 1, 2)
    CLM = C @ LM
    ALM = At @ LM
    G = At @ N @ C
    K = At @ N @ A
    T = np.zeros_like(H)
    L = np.nonzero(st.kind == LAM)[0]
    Bp = np.nonzero(st.kind == BETA)[0]
    Ps = np.nonzero(st.kind == PSI)[0]
    iL, kL = st.row[L], st.col[L]
    r, s_ = st.row[Bp], st.col[Bp]
    t, u = st.row[Ps], st.col[Ps]
    half = np.where(t == u, 0.5, 1.0)
    ix = np.ix_
    T[:, ix(L, L)[0], ix(L, L)[1]] = (
        2.0 * C[:, kL[:, None], kL[None, :]] * M[:, iL[:, None], iL[None, :]]
    )
    v = 2.0 * (
        A[:, kL[:, None], r[None, :]] * CLM[:, s_[None, :], iL[:, None]]
        + C[:, kL[:, None], s_[None, :]] * ALM[:, r[None, :], iL[:, None]]
    )
    T[:, L[:, None], Bp[None, :]] = v
    T[:, Bp[:, None], L[None, :]] = np.swapaxes(v, 1, 2)
    v = (
        2.0
        * (
            A[:, kL[:, None], t[None, :]] * ALM[:, u[None, :], iL[:, None]]
            + A[:, kL[:, None], u[None, :]] * ALM[:, t[None, :], iL[:, None]]
        )
        * half[None, None, :]
    )
    T[:, L[:, None], Ps[None, :]] = v
    T[:, Ps[:, None], L[None, :]] = np.swapaxes(v, 1, 2)
    rb, sb = r[:, None], s_[:, None]
    tb, ub = r[None, :], s_[None, :]
    v = 2.0 * (
        G[:, tb, sb] * A[:, ub, rb] + G[:, rb, ub] * A[:, sb, tb] + K[:, rb, tb] * C[:, sb, ub]
    )
    T[:, Bp[:, None], Bp[None, :]] = v
    v = (
        2.0
        * (
            A[:, s_[:, None], t[None, :]] * K[:, u[None, :], r[:, None]]
            + A[:, s_[:, None], u[None, :]] * K[:, t[None, :], r[:, None]]
        )
        * half[None, None, :]
    )
    T[:, Bp[:, None], Ps[None, :]] = v
    T[:, Ps[:, None], Bp[None, :]] = np.swapaxes(v, 1, 2)
    H = H + T
    H = 0.5 * (H + np.swapaxes(H, 1, 2))
    return reduce_elements(st, H), reduce_elements(st, Paa * Pbb + Pab * Pba)


def fisher_scoring(
    st: Structure,
    theta: np.ndarray,
    S: np.ndarray,
    *,
    max_iter: int = 200,
    gtol: float = 1e-9,
    xtol: float = 1e-10,
    newton: bool = True,
):
    """Batched Newton iterations (exact Hessian) with step halving, falling back to Fisher
    scoring (expected information) for a replicate whose Hessian is not positive definite.
    Returns theta, F, converged, iterations, largest |gradient| element."""
    theta = theta.copy()
    R = theta.shape[0]
    newton = newton and not st.has_xcov  # no analytic Hessian with construct-item covariances
    logdet_s = np.linalg.slogdet(S)[1]
    F, mats, Sinv, ok = objective(st, theta, S, logdet_s)
    run = _Scoring(
        theta=theta,
        F=F,
        mats=mats,
        Sinv=Sinv,
        active=ok.copy(),
        converged=np.zeros(R, dtype=bool),
        iters=np.zeros(R, dtype=int),
        gmax=np.full(R, np.inf),
        alt=np.zeros(R, dtype=bool),
    )
    for _ in range(max_iter):
        idx = np.nonzero(run.active)[0]
        if idx.size == 0:
            break
        step = _search_directions(st, run, idx, S, newton)
        idx, step = _stop_or_go(run, idx, step, gtol, xtol)
        if idx.size == 0:
            break
        run.iters[idx] += 1
        _step_halving(st, run, idx, step, S, logdet_s)
    # final gradient for the replicates that stopped without a gradient check
    sub = {k: v for k, v in run.mats.items()}
    g, _, _, _ = gradient_information(st, sub, run.Sinv, S, info=False)
    gmax = np.abs(g).max(axis=1)
    converged = (run.converged & (gmax < 1e-3)) | (gmax < max(gtol * 100, 1e-7))
    converged &= np.isfinite(run.F)
    return run.theta, run.F, converged, run.iters, gmax


@dataclass
class _Scoring:
    """State of the batched iterations of :func:`fisher_scoring` (one entry per replicate)."""

    theta: np.ndarray
    F: np.ndarray
    mats: dict[str, np.ndarray]
    Sinv: np.ndarray
    active: np.ndarray
    converged: np.ndarray
    iters: np.ndarray
    gmax: np.ndarray
    alt: np.ndarray  # the last step found no decrease: retry another way


def _search_directions(
    st: Structure, run: _Scoring, idx: np.ndarray, S: np.ndarray, newton: bool
) -> np.ndarray:
    """Steps of the active replicates ``idx``: Newton where usable, else Fisher scoring
    -(2 I)^-1 g; records their largest |gradient| element."""
    sub = {k: v[idx] for k, v in run.mats.items()}
    g, info, a_, b_ = gradient_information(st, sub, run.Sinv[idx], S[idx], info=not newton)
    run.gmax[idx] = np.abs(g).max(axis=1)
    step = np.full_like(g, np.nan)
    if newton:
        stn, use, info = _newton_steps(st, sub, run.Sinv[idx], S[idx], g, (a_, b_), run.alt[idx])
        step[use] = stn[use]
    else:
        use = np.zeros(len(idx), dtype=bool)
    if not use.all():
        step[~use] = solve_steps(2.0 * info[~use], g[~use])
    return step


def _newton_steps(st: Structure, sub, Sinv, S, g, ab, retry):
    """Newton steps -H^-1 g on the analytic Hessian and which are descent directions to use;
    after a failed step (``retry``) Newton on |eigenvalues| where H is not PD. Returns the
    steps, the mask and the expected information."""
    Hn, info = hessian_analytic(st, sub, Sinv, S, ab=ab)
    with np.errstate(all="ignore"):
        fin = np.isfinite(Hn).all(axis=(1, 2))
        Hn[~fin] = np.eye(st.q)
        pd_ok = fin & pd_mask(Hn)
        stn = solve_steps(Hn, g)
        # retry after a failed step: Fisher if the Hessian is PD, else Newton on the
        # absolute eigenvalues of the Hessian (a descent direction along flat ridges)
        bad = np.nonzero(retry & fin & ~pd_ok)[0]
        if bad.size:
            ev, V = np.linalg.eigh(Hn[bad])
            lim = 1e-8 * np.abs(ev).max(axis=1, keepdims=True)
            ev = np.maximum(np.abs(ev), lim)
            Vg = np.einsum("rqk,rq->rk", V, g[bad])
            stn[bad] = -np.einsum("rqk,rk->rq", V, Vg / ev)
        ok_n = np.where(retry, fin & ~pd_ok, pd_ok)
        use = ok_n & np.isfinite(stn).all(axis=1) & (np.einsum("rq,rq->r", stn, g) < 0)
    return stn, use, info


def _stop_or_go(
    run: _Scoring, idx: np.ndarray, step: np.ndarray, gtol: float, xtol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mark the replicates that converged (small gradient or step) or have no finite step as
    done; returns the others and their steps."""
    finite = np.isfinite(step).all(axis=1)
    step[~finite] = 0.0
    done = (run.gmax[idx] < gtol) | (finite & (np.abs(step).max(axis=1) < xtol))
    run.converged[idx[done]] = True
    run.active[idx[done]] = False
    go = ~done & finite
    run.active[idx[~finite]] = False
    return idx[go], step[go]


def _step_halving(
    st: Structure,
    run: _Scoring,
    idx: np.ndarray,
    step: np.ndarray,
    S: np.ndarray,
    logdet_s: np.ndarray,
) -> None:
    """Take theta + t step with the largest t = 1, 1/2, ... (10 halvings) that does not raise
    F; a replicate without one retries once another way, then stops."""
    t = np.ones(idx.size)
    pending = np.ones(idx.size, dtype=bool)
    for _h in range(10):
        sel = idx[pending]
        cand = run.theta[sel] + t[pending, None] * step[pending]
        Fc, mc, Sc, okc = objective(st, cand, S[sel], logdet_s[sel])
        good = okc & (Fc <= run.F[sel] + 1e-10 * np.abs(run.F[sel]) + 1e-12)
        better = np.zeros(idx.size, dtype=bool)
        better[np.nonzero(pending)[0][good]] = True
        acc = idx[better]
        run.alt[acc] = False
        run.theta[acc] = cand[good]
        run.F[acc] = Fc[good]
        run.Sinv[acc] = Sc[good]
        for k in run.mats:
            run.mats[k][acc] = mc[k][good]
        pending &= ~better
        if not pending.any():
            break
        t[pending] *= 0.5
    first = pending & ~run.alt[idx]  # no decrease: retry once another way
    run.alt[idx[first]] = True
    stuck = idx[pending & ~first]
    run.active[stuck] = False  # no decrease possible: stop (convergence judged on gradient)


def solve_steps(Hm: np.ndarray, g: np.ndarray) -> np.ndarray:
    """-H^-1 g for a batch; least squares where H is singular."""
    try:
        return -np.linalg.solve(Hm, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return -(np.linalg.pinv(Hm) @ g[..., None])[..., 0]


def gradient(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    mats = implied(st, theta)
    Sinv, _, _ = chol_inv(mats["Sigma"])
    return gradient_information(st, mats, Sinv, S, info=False)[0]


def exact_hessian(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Analytic Hessian of F at one parameter vector theta (q,) (central differences of the
    analytic gradient for a model with construct-item covariances)."""
    if st.has_xcov:
        return numeric_hessian(st, theta, S)
    mats = implied(st, theta[None])
    Sinv, _, _ = chol_inv(mats["Sigma"])
    return hessian_analytic(st, mats, Sinv, S[None])[0][0]


def numeric_hessian(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Observed Hessian of F at theta (q,) by central differences of the analytic gradient."""
    q = theta.size
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    E = np.eye(q) * h[:, None]
    th = np.concatenate([theta[None] + E, theta[None] - E])
    g = gradient(st, th, np.broadcast_to(S, (2 * q, *S.shape)))
    Hm = (g[:q] - g[q:]) / (2 * h[:, None])
    return (Hm + Hm.T) / 2


def newton_polish(
    st: Structure, theta: np.ndarray, S: np.ndarray, gtol: float, n_iter: int
) -> tuple[np.ndarray, float, int]:
    """Newton steps on the exact Hessian (step halving) from theta (q,) until the largest
    |dF/dtheta| is below ``gtol``; returns theta, that gradient norm and the iteration count."""
    logdet_s = np.linalg.slogdet(S)[1][None]
    for _ in range(20):
        g = gradient(st, theta[None], S[None])[0]
        gnorm = float(np.abs(g).max()) if np.all(np.isfinite(g)) else float("inf")
        if gnorm < gtol or not np.isfinite(gnorm):
            break
        Hf = exact_hessian(st, theta, S)
        try:
            step = -np.linalg.solve(Hf, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        F0 = objective(st, theta[None], S[None], logdet_s)[0][0]
        t = 1.0
        for _h in range(20):
            Fc = objective(st, (theta + t * step)[None], S[None], logdet_s)[0][0]
            if Fc <= F0 + 1e-13 * abs(F0) + 1e-15:
                theta = theta + t * step
                break
            t /= 2
        else:
            break
        n_iter += 1
    return theta, gnorm, n_iter
