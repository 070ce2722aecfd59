"""Covariance-based SEM by maximum likelihood, converged to lavaan's optimum.

Model (LISREL, all-y): eta = B eta + zeta, x = Lambda eta + eps, Cov(zeta) = Psi,
Cov(eps) = Theta, so Sigma(theta) = Lambda A Psi A' Lambda' + Theta with A = (I - B)^-1.
Parameterisation as lavaan's ``sem()`` defaults: first item of a block is the marker (loading 1);
free non-marker loadings, paths, item error variances, latent (disturbance) variances and
covariances among exogenous latent variables; a single indicator's error variance fixed
(``ModelSpec.single_indicator_error_share`` of its variance, lavaan's default 0).

Estimation minimises F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p with S the (weighted)
covariance matrix with divisor N (lavaan's normal likelihood). semopy (lavaan-style syntax) gives
the start values; Fisher scoring with the analytic gradient
dF/dtheta_j = tr(M dSigma_j), M = Sigma^-1 - Sigma^-1 S Sigma^-1, and expected information
I_jk = 1/2 tr(Sigma^-1 dSigma_j Sigma^-1 dSigma_k) takes it to lavaan's optimum, then Newton
steps on the observed Hessian polish until the largest gradient element is below ``gtol``.
Every dSigma_j is a symmetric rank-2 matrix a b' + b a', which makes gradient and information
cheap and lets replicates (bootstrap, replicate weights) be fitted together in batches.

Standard errors: ``se="standard"`` (ML, expected information, as lavaan ``se="standard"``):
vcov = (N I)^-1. ``se="robust"`` (as lavaan ``estimator="MLR"``, also with
``sampling.weights=``): sandwich A^-1 B A^-1 with bread A = N/2 * Hessian of F (observed
information) and meat B = sum_i w_i^2 s_i s_i' from the case scores s_i of the log-likelihood,
weights normalised to sum to N (pseudo-maximum likelihood on weighted moments).

Missing items: ``missing="listwise"`` (lavaan's default) or ``missing="ml"`` (full-information
ML over the missing-data patterns with saturated means, as lavaan ``missing="ml"``; observed
information; chi-square against the EM-estimated unrestricted model).

Replicates (:func:`cbsem_bootstrap`, :func:`cbsem_replicates`) refit all covariance matrices
together: Newton steps with the exact Hessian (Fisher scoring where it is not positive definite),
warm-started at the full-sample estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, InputError
from ..estimation import MSE_DEFAULT, replicate_variance
from ..threads import limit_blas
from .admissibility import Admissibility, batch_flags, check_admissibility
from .fit_indices import fit_indices
from .spec import ModelSpec

Z975 = float(stats.norm.ppf(0.975))

LAM, BETA, PSI, THETA, XCOV = 0, 1, 2, 3, 4


# --------------------------------------------------------------------------- structure
@dataclass
class Structure:
    """Parameter layout of a :class:`ModelSpec` (free and fixed parameters, lavaan order).

    The model matrices are filled from *elements* (``kind``, ``row``, ``col``: one matrix entry
    each); ``emap`` maps every element to its free parameter, so parameters sharing a label
    (equality constraints) are one free parameter filling several entries. Kinds: LAM
    (Lambda[item, construct]), BETA (B[to, from]), PSI (Psi[k, l]), THETA (Theta[i, j]) and XCOV
    (Phi[construct, item] = Cov(zeta_construct, eps_item), a construct-item covariance).
    """

    spec: ModelSpec
    items: list[str]
    constructs: list[str]
    kind: np.ndarray  # (qe,) LAM/BETA/PSI/THETA/XCOV per element
    row: np.ndarray  # (qe,) first index (item for LAM/THETA, construct for BETA/PSI/XCOV)
    col: np.ndarray  # (qe,) second index
    table: pd.DataFrame  # lhs, op, rhs, free (index into theta or -1), fixed value, label
    lam0: np.ndarray  # (p, m) fixed loadings
    theta0: np.ndarray  # (p, p) fixed error (co)variances
    fixed_zero_items: tuple[str, ...]
    emap: np.ndarray = None  # (qe,) free-parameter index of each element
    b0: np.ndarray = None  # (m, m) fixed paths
    psi0: np.ndarray = None  # (m, m) fixed latent (co)variances
    nfree: int = 0

    def __post_init__(self) -> None:
        if self.emap is None:
            self.emap = np.arange(len(self.kind))
            self.nfree = len(self.kind)
        if self.b0 is None:
            self.b0 = np.zeros((self.m, self.m))
        if self.psi0 is None:
            self.psi0 = np.zeros((self.m, self.m))
        K = np.zeros((len(self.kind), self.nfree))
        K[np.arange(len(self.kind)), self.emap] = 1.0
        self.K = K
        self.has_xcov = bool(np.any(self.kind == XCOV))
        self.reduced = bool(self.nfree != len(self.kind))

    @property
    def p(self) -> int:
        return len(self.items)

    @property
    def m(self) -> int:
        return len(self.constructs)

    @property
    def q(self) -> int:
        return self.nfree

    @property
    def qe(self) -> int:
        return len(self.kind)

    def labels(self) -> list[str]:
        """Parameter names ``lhs op rhs`` without spaces, e.g. ``CS~PQ``, ``PQ=~PERQ2`` (the
        first row of each free parameter)."""
        t = self.table[self.table["free"] >= 0].drop_duplicates("free").sort_values("free")
        return [f"{a}{o}{b}" for a, o, b in zip(t["lhs"], t["op"], t["rhs"], strict=True)]


def build_structure(
    spec: ModelSpec, item_variances: Mapping[str, float] | None = None
) -> Structure:
    """Free/fixed parameters of ``spec`` in lavaan's parameter-table order.

    Defaults as lavaan ``sem()``: the first item of a block is the marker (loading 1), other
    loadings, paths, residual and latent variances and the covariances among exogenous
    constructs are free; ``spec.fixed`` fixes, ``spec.freed`` frees (``NA*``) and
    ``spec.labels`` names parameters (a label shared by several rows makes them one parameter).
    """
    items, cons = spec.items, spec.constructs
    ii = {x: k for k, x in enumerate(items)}
    cc = {c: k for k, c in enumerate(cons)}
    p, m = len(items), len(cons)
    rows: list[dict[str, Any]] = []
    kind: list[int] = []
    r_: list[int] = []
    c_: list[int] = []
    emap: list[int] = []
    lam0 = np.zeros((p, m))
    theta0 = np.zeros((p, p))
    b0 = np.zeros((m, m))
    psi0 = np.zeros((m, m))
    fixed_zero: list[str] = []
    by_label: dict[str, int] = {}
    nfree = 0
    freed = set(spec.freed)

    def lookup(d, lhs, op, rhs):
        if (lhs, op, rhs) in d:
            return d[(lhs, op, rhs)]
        if op == "~~" and (rhs, op, lhs) in d:
            return d[(rhs, op, lhs)]
        return None

    def add(k: int, a: int, b: int, lhs: str, op: str, rhs: str, default: float | None = None):
        nonlocal nfree
        label = lookup(spec.labels, lhs, op, rhs) or ""
        value = lookup(spec.fixed, lhs, op, rhs)
        is_freed = (lhs, op, rhs) in freed or (op == "~~" and (rhs, op, lhs) in freed)
        if value is None and default is not None and not is_freed:
            value = default
        if value is not None:
            rows.append(
                {"lhs": lhs, "op": op, "rhs": rhs, "free": -1, "value": value, "label": label}
            )
            if k == LAM:
                lam0[a, b] = value
            elif k == BETA:
                b0[a, b] = value
            elif k in (PSI, THETA):
                mat = psi0 if k == PSI else theta0
                mat[a, b] = mat[b, a] = value
            elif value != 0.0:
                raise ConfigError(
                    f"'{lhs} ~~ {value}*{rhs}': a construct-item covariance may be free or 0",
                    key="model.syntax",
                )
            return
        if label and label in by_label:
            j = by_label[label]
        else:
            j = nfree
            nfree += 1
            if label:
                by_label[label] = j
        rows.append({"lhs": lhs, "op": op, "rhs": rhs, "free": j, "value": np.nan, "label": label})
        kind.append(k)
        r_.append(a)
        c_.append(b)
        emap.append(j)

    for c, its in spec.blocks.items():
        for k, it in enumerate(its):
            add(LAM, ii[it], cc[c], c, "=~", it, 1.0 if k == 0 else None)
        for c2, it in spec.cross_loadings:
            if c2 == c:
                add(LAM, ii[it], cc[c], c, "=~", it)
    for c in spec.endogenous:
        for a in spec.predecessors(c):
            add(BETA, cc[c], cc[a], c, "~", a)
    single = {its[0] for its in spec.blocks.values() if len(its) == 1}
    for it in items:
        if it in single and lookup(spec.fixed, it, "~~", it) is None:
            v = 0.0
            if spec.single_indicator_error_share > 0:
                if item_variances is None:
                    raise ConfigError(
                        "the single-indicator error share needs the item variances",
                        key="model.single_indicator_error_share",
                    )
                v = spec.single_indicator_error_share * float(item_variances[it])
            add(THETA, ii[it], ii[it], it, "~~", it, v)
        else:
            add(THETA, ii[it], ii[it], it, "~~", it)
        if theta0[ii[it], ii[it]] == 0.0 and not any(
            r["lhs"] == it and r["op"] == "~~" and r["rhs"] == it and r["free"] >= 0 for r in rows
        ):
            fixed_zero.append(it)
    for c in cons:
        add(PSI, cc[c], cc[c], c, "~~", c)
    exo = spec.exogenous
    pairs = [(exo[i], exo[j]) for i in range(len(exo)) for j in range(i + 1, len(exo))]
    given = {frozenset(x) for x in spec.covariances}
    extra = [x for x in spec.covariances if frozenset(x) not in {frozenset(y) for y in pairs}]
    del given
    for a, b in pairs + extra:
        if a in cc and b in cc:
            add(PSI, cc[a], cc[b], a, "~~", b)
        elif a in ii and b in ii:
            add(THETA, ii[a], ii[b], a, "~~", b)
        else:
            con, it = (a, b) if a in cc else (b, a)
            add(XCOV, cc[con], ii[it], a, "~~", b)
    return Structure(
        spec=spec,
        items=items,
        constructs=cons,
        kind=np.array(kind, dtype=int),
        row=np.array(r_, dtype=int),
        col=np.array(c_, dtype=int),
        table=pd.DataFrame(rows),
        lam0=lam0,
        theta0=theta0,
        fixed_zero_items=tuple(fixed_zero),
        emap=np.array(emap, dtype=int),
        b0=b0,
        psi0=psi0,
        nfree=nfree,
    )


# --------------------------------------------------------------------------- batched engine
def _matrices(st: Structure, theta: np.ndarray):
    """Lambda, B, Psi, Theta, Phi for a batch of parameter vectors theta (R, q)."""
    R = theta.shape[0]
    p, m = st.p, st.m
    te = theta[:, st.emap]
    Lam = np.broadcast_to(st.lam0, (R, p, m)).copy()
    B = np.broadcast_to(st.b0, (R, m, m)).copy()
    Psi = np.broadcast_to(st.psi0, (R, m, m)).copy()
    Th = np.broadcast_to(st.theta0, (R, p, p)).copy()
    Phi = np.zeros((R, m, p))
    for k, mat in ((LAM, Lam), (BETA, B), (XCOV, Phi)):
        sel = np.nonzero(st.kind == k)[0]
        mat[:, st.row[sel], st.col[sel]] = te[:, sel]
    for k, mat in ((PSI, Psi), (THETA, Th)):
        sel = np.nonzero(st.kind == k)[0]
        mat[:, st.row[sel], st.col[sel]] = te[:, sel]
        mat[:, st.col[sel], st.row[sel]] = te[:, sel]
    return Lam, B, Psi, Th, Phi


def implied(st: Structure, theta: np.ndarray):
    """Model matrices and implied covariances for theta (R, q): dict of batched arrays."""
    Lam, B, Psi, Th, Phi = _matrices(st, theta)
    eye = np.eye(st.m)
    A = np.linalg.inv(eye[None] - B)
    C = A @ Psi @ np.swapaxes(A, 1, 2)
    H = Lam @ C
    Sigma = H @ np.swapaxes(Lam, 1, 2) + Th
    out = {"Lambda": Lam, "B": B, "Psi": Psi, "Theta": Th, "Phi": Phi, "A": A, "C": C, "H": H}
    if st.has_xcov:  # Cov(eta, eps) = A Phi adds Lambda A Phi + its transpose
        AP = A @ Phi
        LAP = Lam @ AP
        Sigma = Sigma + LAP + np.swapaxes(LAP, 1, 2)
        out["H"] = H + np.swapaxes(AP, 1, 2)  # (p, m): d Sigma / d Lambda and d B use H + (A Phi)'
        out["Hc"] = H
        out["AP"] = AP
    out["Sigma"] = Sigma
    return out


def _ab(st: Structure, mats: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors a_j, b_j (R, q, p) with dSigma/dtheta_j = a_j b_j' + b_j a_j'."""
    Lam, A, H = mats["Lambda"], mats["A"], mats["H"]
    R = Lam.shape[0]
    p, q = st.p, st.qe
    eye = np.eye(p)
    U = Lam @ A
    a = np.empty((R, q, p))
    b = np.empty((R, q, p))
    s = np.nonzero(st.kind == LAM)[0]
    a[:, s] = eye[st.row[s]][None]
    b[:, s] = np.swapaxes(H[:, :, st.col[s]], 1, 2)
    s = np.nonzero(st.kind == BETA)[0]
    a[:, s] = np.swapaxes(U[:, :, st.row[s]], 1, 2)
    b[:, s] = np.swapaxes(H[:, :, st.col[s]], 1, 2)
    s = np.nonzero(st.kind == PSI)[0]
    half = np.where(st.row[s] == st.col[s], 0.5, 1.0)
    a[:, s] = np.swapaxes(U[:, :, st.row[s]], 1, 2)
    b[:, s] = np.swapaxes(U[:, :, st.col[s]], 1, 2) * half[None, :, None]
    s = np.nonzero(st.kind == THETA)[0]
    half = np.where(st.row[s] == st.col[s], 0.5, 1.0)
    a[:, s] = eye[st.row[s]][None]
    b[:, s] = eye[st.col[s]][None] * half[None, :, None]
    s = np.nonzero(st.kind == XCOV)[0]
    a[:, s] = eye[st.col[s]][None]
    b[:, s] = np.swapaxes(U[:, :, st.row[s]], 1, 2)
    return a, b


def _pd_mask(H: np.ndarray) -> np.ndarray:
    """Which matrices of a batch are positive definite (Cholesky, bisecting on failure)."""
    try:
        np.linalg.cholesky(H)
        return np.ones(len(H), dtype=bool)
    except np.linalg.LinAlgError:
        if len(H) == 1:
            return np.zeros(1, dtype=bool)
        h = len(H) // 2
        return np.concatenate([_pd_mask(H[:h]), _pd_mask(H[h:])])


def _chol_inv(Sigma: np.ndarray):
    """Inverse and log-determinant of a batch of matrices; ok=False where not PD."""
    p = Sigma.shape[1]
    finite = np.isfinite(Sigma).all(axis=(1, 2))
    Sig = np.where(finite[:, None, None], Sigma, np.eye(p))
    ok = finite.copy()
    try:
        L = np.linalg.cholesky(Sig)
    except np.linalg.LinAlgError:
        ok &= _pd_mask(Sig)
        L = np.linalg.cholesky(np.where(ok[:, None, None], Sig, np.eye(p)))
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    Linv = np.linalg.inv(L)
    Sinv = np.swapaxes(Linv, 1, 2) @ Linv
    return Sinv, logdet, ok


def _objective(st: Structure, theta: np.ndarray, S: np.ndarray, logdet_s: np.ndarray):
    mats = implied(st, theta)
    Sinv, logdet, ok = _chol_inv(mats["Sigma"])
    F = logdet + np.einsum("rij,rji->r", S, Sinv) - logdet_s - st.p
    F[~ok] = np.inf
    return F, mats, Sinv, ok


def _grad_info(st: Structure, mats, Sinv: np.ndarray, S: np.ndarray, info: bool = True):
    """Gradient of F (R, q) and expected information per observation (R, q, q)."""
    a, b = _ab(st, mats)
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
    return g, _reduce(st, Kaa * Kbb + Kab * Kba), a, b


def _reduce(st: Structure, Me: np.ndarray) -> np.ndarray:
    """K' M K: an element-level (R, qe, qe) matrix in the free parameters (R, q, q)."""
    return st.K.T @ Me @ st.K if st.reduced else Me


def _hessian_analytic(
    st: Structure, mats, Sinv: np.ndarray, S: np.ndarray, ab: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Hessian of F_ML for a batch (R, q, q), and the expected information (R, q, q).

    F_jk = -tr(P S_k P S_j) + 2 tr(P S_k W S_j) + tr(M S_jk), P = Sigma^-1, W = P S P,
    M = P - W, S_j = dSigma/dtheta_j = a_j b_j' + b_j a_j', S_jk the second derivatives of
    Sigma = Lambda A Psi A' Lambda' + Theta (nonzero for loading/loading, loading/path,
    loading/psi, path/path and path/psi pairs).
    """
    q = st.qe
    a, b = _ab(st, mats) if ab is None else ab
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
    return _reduce(st, H), _reduce(st, Paa * Pbb + Pab * Pba)


def _fisher_scoring(
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
    F, mats, Sinv, ok = _objective(st, theta, S, logdet_s)
    active = ok.copy()
    converged = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    gmax = np.full(R, np.inf)
    alt = np.zeros(R, dtype=bool)  # the last step found no decrease: retry another way
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        sub = {k: v[idx] for k, v in mats.items()}
        g, info, a_, b_ = _grad_info(st, sub, Sinv[idx], S[idx], info=not newton)
        gmax[idx] = np.abs(g).max(axis=1)
        step = np.full_like(g, np.nan)
        if newton:
            Hn, info = _hessian_analytic(st, sub, Sinv[idx], S[idx], ab=(a_, b_))
            with np.errstate(all="ignore"):
                fin = np.isfinite(Hn).all(axis=(1, 2))
                Hn[~fin] = np.eye(st.q)
                pd_ok = fin & _pd_mask(Hn)
                stn = _solve_steps(Hn, g)
                retry = alt[idx]
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
            step[use] = stn[use]
        else:
            use = np.zeros(len(idx), dtype=bool)
        if not use.all():
            step[~use] = _solve_steps(2.0 * info[~use], g[~use])
        finite = np.isfinite(step).all(axis=1)
        step[~finite] = 0.0
        done = (gmax[idx] < gtol) | (finite & (np.abs(step).max(axis=1) < xtol))
        converged[idx[done]] = True
        active[idx[done]] = False
        go = ~done & finite
        active[idx[~finite]] = False
        idx, step, use = idx[go], step[go], use[go]
        if idx.size == 0:
            break
        iters[idx] += 1
        t = np.ones(idx.size)
        pending = np.ones(idx.size, dtype=bool)
        for _h in range(10):
            sel = idx[pending]
            cand = theta[sel] + t[pending, None] * step[pending]
            Fc, mc, Sc, okc = _objective(st, cand, S[sel], logdet_s[sel])
            good = okc & (Fc <= F[sel] + 1e-10 * np.abs(F[sel]) + 1e-12)
            better = np.zeros(idx.size, dtype=bool)
            better[np.nonzero(pending)[0][good]] = True
            acc = idx[better]
            alt[acc] = False
            theta[acc] = cand[good]
            F[acc] = Fc[good]
            Sinv[acc] = Sc[good]
            for k in mats:
                mats[k][acc] = mc[k][good]
            pending &= ~better
            if not pending.any():
                break
            t[pending] *= 0.5
        first = pending & ~alt[idx]  # no decrease: retry once another way
        alt[idx[first]] = True
        stuck = idx[pending & ~first]
        active[stuck] = False  # no decrease possible: stop (convergence judged on gradient)
    # final gradient for the replicates that stopped without a gradient check
    sub = {k: v for k, v in mats.items()}
    g, _, _, _ = _grad_info(st, sub, Sinv, S, info=False)
    gmax = np.abs(g).max(axis=1)
    converged = (converged & (gmax < 1e-3)) | (gmax < max(gtol * 100, 1e-7))
    converged &= np.isfinite(F)
    return theta, F, converged, iters, gmax


def _solve_steps(Hm: np.ndarray, g: np.ndarray) -> np.ndarray:
    """-H^-1 g for a batch; least squares where H is singular."""
    try:
        return -np.linalg.solve(Hm, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return -(np.linalg.pinv(Hm) @ g[..., None])[..., 0]


def _gradient(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    mats = implied(st, theta)
    Sinv, _, _ = _chol_inv(mats["Sigma"])
    return _grad_info(st, mats, Sinv, S, info=False)[0]


def _exact_hessian(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Analytic Hessian of F at one parameter vector theta (q,) (central differences of the
    analytic gradient for a model with construct-item covariances)."""
    if st.has_xcov:
        return _hessian(st, theta, S)
    mats = implied(st, theta[None])
    Sinv, _, _ = _chol_inv(mats["Sigma"])
    return _hessian_analytic(st, mats, Sinv, S[None])[0][0]


def _hessian(st: Structure, theta: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Observed Hessian of F at theta (q,) by central differences of the analytic gradient."""
    q = theta.size
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    E = np.eye(q) * h[:, None]
    th = np.concatenate([theta[None] + E, theta[None] - E])
    g = _gradient(st, th, np.broadcast_to(S, (2 * q, *S.shape)))
    Hm = (g[:q] - g[q:]) / (2 * h[:, None])
    return (Hm + Hm.T) / 2


# --------------------------------------------------------------------------- data
def _prepare(
    data: pd.DataFrame,
    spec: ModelSpec,
    weights: Any,
    file: str | None = None,
    listwise: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, int]:
    """Item matrix of the rows used (complete cases, or with ``listwise=False`` rows with at
    least one answered item), their weights (normalised to sum n) and the row mask."""
    if not isinstance(data, pd.DataFrame):
        raise InputError("the data must be a pandas DataFrame", file=file)
    missing = [c for c in spec.items if c not in data.columns]
    if missing:
        raise InputError(
            f"item column(s) {', '.join(missing)} of the model are not in the data; columns: "
            f"{', '.join(map(str, data.columns[:30]))}",
            file=file,
            column=missing[0],
        )
    X = np.empty((len(data), len(spec.items)), order="F")
    for k, c in enumerate(spec.items):
        if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c]):
            X[:, k] = data[c].to_numpy(dtype=float, na_value=np.nan)
            continue
        col = pd.to_numeric(data[c], errors="coerce")
        bad = col.isna() & data[c].notna()
        if bad.any():
            r = int(np.nonzero(bad.to_numpy())[0][0])
            raise InputError(
                f"value {data[c].iloc[r]!r} is not a number; items must be numeric (missing as "
                "empty/NaN)",
                file=file,
                row=r + 1,
                column=c,
            )
        X[:, k] = col.to_numpy(dtype=float)
    w = None
    if weights is not None:
        if isinstance(weights, str):
            if weights not in data.columns:
                raise InputError(
                    f"weight column {weights!r} is not in the data", file=file, column=weights
                )
            wname = weights
            w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
        else:
            wname = "weights"
            w = np.asarray(weights, dtype=float).reshape(-1)
            if w.size != len(data):
                raise InputError(
                    f"{w.size} weights given for {len(data)} rows of data", file=file, column=wname
                )
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            r = int(np.nonzero(bad)[0][0])
            raise InputError(
                f"weight {w[r]!r} is not allowed; weights must be positive finite numbers "
                f"({int(bad.sum())} bad)",
                file=file,
                row=r + 1,
                column=wname,
            )
    ok = np.isfinite(X).all(axis=1) if listwise else np.isfinite(X).any(axis=1)
    n = int(ok.sum())
    p = X.shape[1]
    if n <= p:
        what = "complete rows (listwise deletion)" if listwise else "rows with an answer"
        raise InputError(
            f"only {n} {what} for {p} items; CB-SEM needs more rows than items",
            file=file,
        )
    if not ok.all():
        X = X[ok]
    if w is not None:
        w = w[ok] * (n / w[ok].sum())
    return X, w, ok, n


def _equal_weights(data: pd.DataFrame, weights: Any) -> bool:
    """True when survey weights are given and all equal (positive, finite): they carry no
    design information, so the fit is lavaan's without ``sampling.weights``."""
    if weights is None:
        return False
    if isinstance(weights, str):
        if not isinstance(data, pd.DataFrame) or weights not in data.columns:
            return False
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
    if w.size == 0 or not np.all(np.isfinite(w)) or not np.all(w > 0):
        return False  # bad weights: _prepare names the row
    return bool(w.max() - w.min() <= 1e-12 * w.max())


def weighted_cov(
    X: np.ndarray, w: np.ndarray | None = None, chunk: int = 65536
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance with divisor sum(w) (ML, lavaan's normal likelihood).

    Centred cross-products are accumulated over row chunks (no n x p temporary)."""
    n, p = X.shape
    mu = X.mean(axis=0) if w is None else w @ X / w.sum()
    acc = np.zeros((p, p))
    for s0 in range(0, n, chunk):
        D = np.ascontiguousarray(X[s0 : s0 + chunk]) - mu
        acc += D.T @ (D if w is None else D * w[s0 : s0 + chunk, None])
    return mu, acc / (n if w is None else w.sum())


def _check_moments(S: np.ndarray, items: list[str], n: int, file: str | None) -> None:
    """ML needs a positive-definite sample covariance matrix: name what makes it singular."""
    d = np.diag(S)
    flat = [it for it, v in zip(items, d, strict=True) if not v > 1e-12 * max(1.0, d.max())]
    if flat:
        raise InputError(
            f"item(s) {', '.join(flat)} have no variance among the {n} complete rows (every "
            "answer the same); CB-SEM needs varying items: drop them from model.blocks",
            file=file,
            column=flat[0],
        )
    sd = np.sqrt(d)
    R = S / np.outer(sd, sd)
    ev = np.linalg.eigvalsh(R)
    if ev[0] <= 1e-10 * ev[-1]:
        iu = np.triu_indices(len(items), 1)
        pairs = [
            f"{items[i]}/{items[j]}" for i, j in zip(*iu, strict=True) if abs(R[i, j]) > 1 - 1e-8
        ]
        hint = f" (perfectly correlated: {', '.join(pairs)})" if pairs else ""
        raise InputError(
            f"the covariance matrix of the items is singular{hint}: some item is a linear "
            f"combination of others among the {n} complete rows; ML needs it positive definite "
            "(remove duplicated or derived items)",
            file=file,
        )


# --------------------------------------------------------------------------- start values
def _start_simple(st: Structure, S: np.ndarray) -> np.ndarray:
    """Moment-based start values (lavaan's "simple" spirit): loadings from the marker's
    covariances, half the (marker) variance for variances, zero elsewhere."""
    theta = np.zeros(st.q)
    marker = {c: st.items.index(its[0]) for c, its in st.spec.blocks.items()}
    mk = np.array([marker[c] for c in st.constructs])
    home = {it: c for c, its in st.spec.blocks.items() for it in its}
    scaled = st.lam0.any(axis=0)  # constructs scaled by a fixed loading
    first = {}
    for e, j in enumerate(st.emap):
        first.setdefault(int(j), e)
    for j in range(st.q):
        e = first[j]
        k, a, b = st.kind[e], st.row[e], st.col[e]
        if k == LAM:
            mi = mk[b]
            if home[st.items[a]] != st.constructs[b]:
                theta[j] = 0.0  # cross-loading
            elif scaled[b]:
                theta[j] = S[a, mi] / S[mi, mi]
            else:  # freed marker: the construct's variance is fixed (usually 1)
                v = st.psi0[b, b] if st.psi0[b, b] > 0 else 1.0
                theta[j] = np.sqrt(0.5 * S[a, a] / v)
        elif k == PSI:
            theta[j] = 0.5 * S[mk[a], mk[a]] if a == b else 0.0
        elif k == THETA:
            theta[j] = 0.5 * S[a, a] if a == b else 0.0
    return theta


def _start_semopy(st: Structure, X: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Start values from semopy's ML fit of the same lavaan-style model."""
    if st.spec.cbsem_only or st.has_xcov:  # lavaan modifiers: semopy reads them differently
        return _start_simple(st, S)
    import semopy

    desc = st.spec.to_lavaan({it: S[k, k] for k, it in enumerate(st.items)})
    model = semopy.Model(desc)
    # semopy's ML objective on the covariance matrix (cost independent of n)
    model.fit(cov=pd.DataFrame(S, index=st.items, columns=st.items), n_samples=X.shape[0])
    tab = model.inspect()
    est: dict[tuple[str, str, str], float] = {}
    for lv, op, rv, e in zip(tab["lval"], tab["op"], tab["rval"], tab["Estimate"], strict=True):
        est[(str(lv), str(op), str(rv))] = float(e)
    theta = _start_simple(st, S)
    for j, (lhs, op, rhs) in enumerate(_free_keys(st)):
        if op == "=~":
            key = (rhs, "~", lhs)
        elif op == "~":
            key = (lhs, "~", rhs)
        else:
            key = (lhs, "~~", rhs) if (lhs, "~~", rhs) in est else (rhs, "~~", lhs)
        if key in est and np.isfinite(est[key]):
            theta[j] = est[key]
    return theta


def _free_keys(st: Structure) -> list[tuple[str, str, str]]:
    t = st.table[st.table["free"] >= 0].drop_duplicates("free").sort_values("free")
    return list(zip(t["lhs"], t["op"], t["rhs"], strict=True))


# --------------------------------------------------------------------------- result
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


def _std_all(st: Structure, theta: np.ndarray) -> np.ndarray:
    """std.all of every parameter-table row, for a batch theta (R, q) -> (R, rows).

    Loadings and paths are scaled by the model-implied SDs; a variance is divided by the
    implied total variance; a covariance between residuals (theta_ij) or disturbances (psi_kl)
    by the residual SDs, sqrt(theta_ii theta_jj) or sqrt(psi_kk psi_ll), as lavaan's
    ``standardizedSolution`` (``cov.std = TRUE``)."""
    mats = implied(st, theta)
    Lam, B, Psi, Th, C, Sig = (mats[k] for k in ("Lambda", "B", "Psi", "Theta", "C", "Sigma"))
    sdx = np.sqrt(np.diagonal(Sig, axis1=1, axis2=2))
    sdl = np.sqrt(np.diagonal(C, axis1=1, axis2=2))
    ii = {x: k for k, x in enumerate(st.items)}
    cc = {c: k for k, c in enumerate(st.constructs)}
    out = np.empty((theta.shape[0], len(st.table)))
    for r, (lhs, op, rhs) in enumerate(
        zip(st.table["lhs"], st.table["op"], st.table["rhs"], strict=True)
    ):
        if op == "=~":
            i, k = ii[rhs], cc[lhs]
            out[:, r] = Lam[:, i, k] * sdl[:, k] / sdx[:, i]
        elif op == "~":
            k, k2 = cc[lhs], cc[rhs]
            out[:, r] = B[:, k, k2] * sdl[:, k2] / sdl[:, k]
        elif (lhs in cc) != (rhs in cc):  # construct-item covariance Cov(zeta_k, eps_i)
            k, i = (cc[lhs], ii[rhs]) if lhs in cc else (cc[rhs], ii[lhs])
            out[:, r] = mats["Phi"][:, k, i] / np.sqrt(Psi[:, k, k] * Th[:, i, i])
        elif lhs in cc:
            k, k2 = cc[lhs], cc[rhs]
            if k == k2:
                out[:, r] = Psi[:, k, k] / sdl[:, k] ** 2
            else:  # lavaan cov.std: the (residual) variances of the two disturbances
                out[:, r] = Psi[:, k, k2] / np.sqrt(Psi[:, k, k] * Psi[:, k2, k2])
        else:
            i, j = ii[lhs], ii[rhs]
            if i == j:
                out[:, r] = Th[:, i, i] / sdx[:, i] ** 2
            else:  # lavaan cov.std: the residual variances of the two items
                out[:, r] = Th[:, i, j] / np.sqrt(Th[:, i, i] * Th[:, j, j])
    return out


def _defined(st: Structure, theta: np.ndarray) -> np.ndarray:
    """Defined parameters (lavaan ``:=``) for a batch theta (R, q) -> (R, n_defined).

    Each expression is evaluated on the labelled parameters (free: theta; fixed: its value)
    and the earlier defined parameters; only + - * / ** and numbers (checked when parsed)."""
    import ast

    R = theta.shape[0]
    env: dict[str, np.ndarray] = {}
    for lab, fr, val in zip(st.table["label"], st.table["free"], st.table["value"], strict=True):
        if lab and lab not in env:
            env[lab] = theta[:, fr] if fr >= 0 else np.full(R, val)
    ops = {
        ast.Add: np.add,
        ast.Sub: np.subtract,
        ast.Mult: np.multiply,
        ast.Div: np.divide,
        ast.Pow: np.power,
    }

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp):
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            return env[node.id]
        return np.full(R, float(node.value))

    out = np.empty((R, len(st.spec.defined)))
    for k, (nm, expr) in enumerate(st.spec.defined):
        env[nm] = out[:, k] = ev(ast.parse(expr.replace("^", "**"), mode="eval"))
    return out


def _effect_pairs(st: Structure) -> list[tuple[int, int]]:
    """(from, to) construct index pairs connected by a directed path, in construct order."""
    m = st.m
    reach = np.zeros((m, m), dtype=bool)
    cc = {c: k for k, c in enumerate(st.constructs)}
    for a, b in st.spec.paths:
        reach[cc[b], cc[a]] = True
    for _ in range(m):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return [(f, t) for f in range(m) for t in range(m) if reach[t, f]]


def _effects(st: Structure, theta: np.ndarray) -> np.ndarray:
    """direct, indirect, total effect of every (from, to) pair -> (R, 3 * pairs)."""
    mats = implied(st, theta)
    B, A = mats["B"], mats["A"]
    pairs = _effect_pairs(st)
    if not pairs:
        return np.zeros((theta.shape[0], 0))
    f = np.array([x[0] for x in pairs])
    t = np.array([x[1] for x in pairs])
    direct = B[:, t, f]
    total = A[:, t, f]  # (I-B)^-1 - I off the diagonal (recursive model)
    return np.concatenate([direct, total - direct, total], axis=1)


def _r2(st: Structure, theta: np.ndarray) -> np.ndarray:
    """R² of the items then of the endogenous constructs -> (R, p + n_endo)."""
    mats = implied(st, theta)
    th = np.diagonal(mats["Theta"], axis1=1, axis2=2)
    sx = np.diagonal(mats["Sigma"], axis1=1, axis2=2)
    ps = np.diagonal(mats["Psi"], axis1=1, axis2=2)
    cl = np.diagonal(mats["C"], axis1=1, axis2=2)
    endo = [st.constructs.index(c) for c in st.spec.endogenous]
    return np.concatenate([1 - th / sx, 1 - ps[:, endo] / cl[:, endo]], axis=1)


def _score_weights(st: Structure, theta: np.ndarray) -> np.ndarray:
    """Regression factor-score weights W = C Lambda' Sigma^-1 -> (R, m, p)."""
    mats = implied(st, theta)
    Sinv = np.linalg.inv(mats["Sigma"])
    cov = mats["C"] @ np.swapaxes(mats["Lambda"], 1, 2)  # Cov(eta, x)
    if st.has_xcov:
        cov = cov + mats["AP"]
    return cov @ Sinv


def _jacobian(fun, theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a batched function at theta (q,) -> (outputs, q)."""
    q = theta.size
    h = 1e-6 * np.maximum(1.0, np.abs(theta))
    E = np.eye(q) * h[:, None]
    v = fun(np.concatenate([theta[None] + E, theta[None] - E]))
    return ((v[:q] - v[q:]) / (2 * h[:, None])).T


def _delta_se(fun, theta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    J = _jacobian(fun, theta)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))


def _ztable(est: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
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


def _tables(st: Structure, theta: np.ndarray, vcov: np.ndarray, se_free: np.ndarray) -> dict:
    """Parameter table, standardized solution, effects, R² and score weights (delta-method SEs
    from ``vcov``)."""
    spec = st.spec
    # ---- parameter table
    tab = st.table
    free = tab["free"].to_numpy()
    est = np.where(free >= 0, theta[np.clip(free, 0, None)], tab["value"].to_numpy())
    se_all = np.where(free >= 0, se_free[np.clip(free, 0, None)], 0.0)
    estimates = pd.DataFrame(
        {"lhs": tab["lhs"], "op": tab["op"], "rhs": tab["rhs"], **_ztable(est, se_all)}
    )
    fixed_rows = free < 0
    estimates.loc[fixed_rows, ["z", "pvalue"]] = np.nan
    if spec.defined:  # lavaan ":=" rows, delta-method SEs
        def_fun = lambda th: _defined(st, th)  # noqa: E731
        dv = def_fun(theta[None])[0]
        dse = _delta_se(def_fun, theta, vcov)
        defined = pd.DataFrame(
            {
                "lhs": [d[0] for d in spec.defined],
                "op": ":=",
                "rhs": [d[1].replace(" ", "") for d in spec.defined],  # as lavaan
                **_ztable(dv, dse),
            }
        )
        estimates = pd.concat([estimates, defined], ignore_index=True)

    std_fun = lambda th: _std_all(st, th)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN for a negative variance
        std_est = std_fun(theta[None])[0]
        std_se = _delta_se(std_fun, theta, vcov)
    standardized = pd.DataFrame(
        {"lhs": tab["lhs"], "op": tab["op"], "rhs": tab["rhs"], **_ztable(std_est, std_se)}
    ).rename(columns={"est": "est_std"})

    # ---- effects
    pairs = _effect_pairs(st)
    eff_fun = lambda th: _effects(st, th)  # noqa: E731
    eff = eff_fun(theta[None])[0]
    eff_se = _delta_se(eff_fun, theta, vcov)
    k = len(pairs)
    effects = pd.DataFrame(
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

    r2v = _r2(st, theta[None])[0]
    r2 = pd.DataFrame(
        {
            "variable": st.items + st.spec.endogenous,
            "kind": ["item"] * st.p + ["construct"] * len(st.spec.endogenous),
            "r2": r2v,
        }
    )

    W = _score_weights(st, theta[None])[0]
    own = {(c, it) for c, its in spec.blocks.items() for it in its}
    score_weights = pd.DataFrame(
        [
            {"construct": c, "item": it, "weight": W[ci, ij], "own_block": (c, it) in own}
            for ci, c in enumerate(st.constructs)
            for ij, it in enumerate(st.items)
        ]
    )
    return {
        "estimates": estimates,
        "standardized": standardized,
        "effects": effects,
        "r2": r2,
        "score_weights": score_weights,
        "W": W,
    }


# --------------------------------------------------------------------------- FIML (missing="ml")
@dataclass
class _Pattern:
    o: np.ndarray  # observed item indices
    rows: np.ndarray  # rows (of the used data) with this pattern
    n: float  # sum of weights
    mean: np.ndarray
    S: np.ndarray  # weighted covariance about the pattern mean (divisor n)
    w: np.ndarray


def _patterns(X: np.ndarray, w: np.ndarray | None) -> list[_Pattern]:
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
        out.append(_Pattern(o, rows, nk, xb, (D * wk[:, None]).T @ D / nk, wk))
    return out


def _fiml_ll(Sigma: np.ndarray, mu: np.ndarray, pats: list[_Pattern], grad: bool = False):
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


def _fiml_obj(st: Structure, z: np.ndarray, pats: list[_Pattern], N: float, grad: bool = True):
    """f = -2 ll / N and its gradient in z = (theta, mu)."""
    q = st.q
    mats = implied(st, z[None, :q])
    ll, G, gmu = _fiml_ll(mats["Sigma"][0], z[q:], pats, grad)
    if not np.isfinite(ll):
        return np.inf, None
    if not grad:
        return -2.0 * ll / N, None
    a, b = _ab(st, mats)
    gth = 2.0 * np.einsum("qp,pr,qr->q", a[0], G, b[0])
    if st.reduced:
        gth = gth @ st.K
    return -2.0 * ll / N, -2.0 / N * np.concatenate([gth, gmu])


def _fiml_hessian(st: Structure, z: np.ndarray, pats: list[_Pattern], N: float) -> np.ndarray:
    """Observed Hessian of f = -2 ll / N in (theta, mu), analytic.

    Pattern k contributes n_k/N times the Hessian of F_k = log|Sigma_oo| + tr(P_oo T_k),
    T_k = S_k + d d', d = mean_k - mu_o. With P~ = E_o' P_oo E_o (zero outside the observed
    items) and T~ = E_o' T_k E_o, the theta-theta block is the complete-data Hessian
    (:func:`_hessian_analytic`) at (P~, T~), all patterns in one batch; d2F/dtheta_j dmu =
    2 P~ dSigma_j P~ d~ and d2F/dmu2 = 2 P~. Central differences of the analytic gradient
    where no analytic Hessian exists (construct-item covariances)."""
    if st.has_xcov:
        return _fiml_hessian_numeric(st, z, pats, N)
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
    a1, b1 = _ab(st, mats1)
    ab = (np.broadcast_to(a1, (K, *a1.shape[1:])), np.broadcast_to(b1, (K, *b1.shape[1:])))
    Hk, _ = _hessian_analytic(st, mats, Pt, Tt, ab=ab)
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


def _fiml_hessian_numeric(
    st: Structure, z: np.ndarray, pats: list[_Pattern], N: float
) -> np.ndarray:
    """Hessian of f by central differences of the analytic gradient."""
    k = z.size
    h = 1e-5 * np.maximum(1.0, np.abs(z))
    H = np.empty((k, k))
    for j in range(k):  # loop over parameters (numerical differentiation)
        e = np.zeros(k)
        e[j] = h[j]
        gp = _fiml_obj(st, z + e, pats, N)[1]
        gm = _fiml_obj(st, z - e, pats, N)[1]
        H[:, j] = (gp - gm) / (2 * h[j]) if gp is not None and gm is not None else np.nan
    return (H + H.T) / 2


def _fiml_info(st: Structure, z: np.ndarray, pats: list[_Pattern], N: float) -> np.ndarray:
    """Expected information per observation of (theta, mu) under FIML:
    sum_k n_k/N [1/2 tr(P_k dS_j P_k dS_l) (covariance part) + e_o' P_k e_o (means)], P_k the
    inverse of Sigma over pattern k's observed items; dS_j = a_j b_j' + b_j a_j' (analytic)."""
    q = st.q
    mats = implied(st, z[None, :q])
    a, b = _ab(st, mats)
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


def _fiml_newton(st, z, pats, N, gtol, max_iter):
    """Fisher scoring (analytic gradient and expected information) until the gradient is
    small, then Newton steps on the Hessian of the analytic gradient to ``gtol``."""
    f, g = _fiml_obj(st, z, pats, N)
    it = 0
    gnorm = float(np.abs(g).max()) if g is not None else np.inf
    newton = False
    while it < max_iter and np.isfinite(gnorm) and gnorm >= gtol:
        if not newton and gnorm < 1e-6:
            newton = True
        H = _fiml_hessian(st, z, pats, N) if newton else 2.0 * _fiml_info(st, z, pats, N)
        if not np.all(np.isfinite(H)):
            break
        ev, V = np.linalg.eigh(H)
        ev = np.maximum(np.abs(ev), 1e-8 * np.abs(ev).max())
        step = -V @ ((V.T @ g) / ev)
        t = 1.0
        for _h in range(40):
            fc, gc = _fiml_obj(st, z + t * step, pats, N)
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


def _em_saturated(X: np.ndarray, w: np.ndarray, pats: list[_Pattern], tol: float = 1e-13):
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
        ll = _fiml_ll(Sig, mu, pats)[0]
        if abs(ll - ll_old) < tol * abs(ll):
            break
        ll_old = ll
    return mu, Sig, ll


def _fiml_fit_indices(
    X, w, pats, ll, Sigma, mu_hat, npar_cov, n
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Fit indices with missing data as lavaan: chi2 = 2 (ll_h1 - ll) against the EM saturated
    model, baseline = independent items (available-case means and variances)."""
    from .fit_indices import rmsea_ci

    p = X.shape[1]
    mu1, S1, ll1 = _em_saturated(X, w, pats)
    mu0 = np.array(
        [np.average(X[np.isfinite(X[:, j]), j], weights=w[np.isfinite(X[:, j])]) for j in range(p)]
    )
    v0 = np.array(
        [
            np.average((X[np.isfinite(X[:, j]), j] - mu0[j]) ** 2, weights=w[np.isfinite(X[:, j])])
            for j in range(p)
        ]
    )
    ll0 = _fiml_ll(np.diag(v0), mu0, pats)[0]
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


# --------------------------------------------------------------------------- public API


def _admissibility(st, mats, Sigma, information, converged, gnorm, n_iter, correlation_limit):
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


@limit_blas
def fit_cbsem(
    data: pd.DataFrame,
    spec: ModelSpec,
    weights: str | Sequence[float] | np.ndarray | None = None,
    se: str | None = None,
    *,
    start: str | np.ndarray = "semopy",
    gtol: float = 1e-10,
    max_iter: int = 500,
    correlation_limit: float = 0.95,
    missing: str = "listwise",
    file: str | None = None,
) -> CBSEMResult:
    """Fit ``spec`` to ``data`` by ML (pseudo-ML with ``weights``) as lavaan ``sem()``.

    Parameters
    ----------
    data : DataFrame with the item columns of ``spec`` (numeric; rows with a missing item are
        dropped, listwise, as lavaan's default).
    weights : column name or array of survey weights (normalised to sum to n), or None.
        Weights that are all equal carry no design information: the fit is then the
        unweighted one (as lavaan without ``sampling.weights``; ``equal_weights`` is set).
    se : "standard" (expected information, as lavaan ML; with informative weights as lavaan
        ``sampling.weights`` with ``se = "standard"``), "robust" (sandwich, as lavaan MLR) or
        "auto"/None: robust with informative weights, else standard.
    start : "semopy" (semopy's fit, the modelling front end), "simple", or a parameter vector.
    gtol : convergence when the largest |dF/dtheta| is below this.
    correlation_limit : latent correlations above it are reported as near-unidentification.
    missing : "listwise" (complete rows only, lavaan's default) or "ml" (full-information ML
        over every row with an answer, as lavaan ``missing="ml"``: saturated means, observed
        information; chi-square against the EM-estimated unrestricted model).
    file : name of the data file, for error messages.
    """
    if se not in (None, "auto", "standard", "robust"):
        raise ConfigError(
            f"se {se!r} not allowed; allowed: auto, standard, robust", key="model.cbsem.se"
        )
    equal_weights = _equal_weights(data, weights)
    if equal_weights:
        weights = None
    if se is None or se == "auto":
        se = "robust" if weights is not None else "standard"
    spec.validate()
    if missing not in ("listwise", "ml"):
        raise ConfigError(
            f"missing {missing!r} not allowed; allowed: listwise, ml", key="model.cbsem.missing"
        )
    if missing == "ml":
        res = _fit_fiml(data, spec, weights, se, start, gtol, max_iter, correlation_limit, file)
        res.equal_weights = equal_weights
        return res
    X, w, ok_rows, n = _prepare(data, spec, weights, file=file)
    mu, S = weighted_cov(X, w)
    _check_moments(S, spec.items, n, file)
    var = {it: S[k, k] for k, it in enumerate(spec.items)}
    st = build_structure(spec, var)
    if isinstance(start, str):
        if start == "semopy":
            try:
                theta0 = _start_semopy(st, X, S)
            except Exception:  # semopy failed on a hard model: fall back, never crash
                theta0 = _start_simple(st, S)
        elif start == "simple":
            theta0 = _start_simple(st, S)
        else:
            raise ConfigError(
                f"start {start!r} not allowed; allowed: semopy, simple", key="model.cbsem.start"
            )
    else:
        theta0 = np.asarray(start, dtype=float).reshape(-1)
        if theta0.size != st.q:
            raise ConfigError(
                f"start has {theta0.size} values, the model has {st.q} free parameters"
            )
    theta, F, conv, iters, gmax = _fisher_scoring(
        st, theta0[None], S[None], max_iter=max_iter, gtol=gtol, xtol=1e-12
    )
    theta = theta[0]
    converged, n_iter, gnorm = bool(conv[0]), int(iters[0]), float(gmax[0])
    # Newton polish on the exact Hessian until the gradient test passes
    logdet_s = np.linalg.slogdet(S)[1][None]
    for _ in range(20):
        g = _gradient(st, theta[None], S[None])[0]
        gnorm = float(np.abs(g).max()) if np.all(np.isfinite(g)) else float("inf")
        if gnorm < gtol or not np.isfinite(gnorm):
            break
        Hf = _exact_hessian(st, theta, S)
        try:
            step = -np.linalg.solve(Hf, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        F0 = _objective(st, theta[None], S[None], logdet_s)[0][0]
        t = 1.0
        for _h in range(20):
            Fc = _objective(st, (theta + t * step)[None], S[None], logdet_s)[0][0]
            if Fc <= F0 + 1e-13 * abs(F0) + 1e-15:
                theta = theta + t * step
                break
            t /= 2
        else:
            break
        n_iter += 1
    converged = bool(np.isfinite(gnorm) and gnorm < max(gtol, 1e-8))

    mats = {k: v[0] for k, v in implied(st, theta[None]).items()}
    Sinv = np.linalg.inv(mats["Sigma"])
    g, info, a, b = _grad_info(st, {k: v[None] for k, v in mats.items()}, Sinv[None], S[None])
    info = info[0]
    # ---- standard errors
    with np.errstate(all="ignore"):
        if se == "standard":
            information = n * info
            try:
                vcov = np.linalg.inv(information)
            except np.linalg.LinAlgError:
                vcov = np.full((st.q, st.q), np.nan)
        else:
            Hf = _exact_hessian(st, theta, S)
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

    tables = _tables(st, theta, vcov, se_free)
    W = tables.pop("W")
    estimates, standardized, effects, r2, score_weights = (
        tables[k] for k in ("estimates", "standardized", "effects", "r2", "score_weights")
    )
    sc = X @ W.T - mu @ W.T  # no n x p temporary
    scores = pd.DataFrame(sc, columns=st.constructs, index=data.index[ok_rows])

    fit = fit_indices(S, mats["Sigma"], n, st.q)
    adm = _admissibility(
        st, mats, mats["Sigma"], information, converged, gnorm, n_iter, correlation_limit
    )
    return CBSEMResult(
        spec=spec,
        structure=st,
        theta=theta,
        vcov=vcov,
        estimates=estimates,
        standardized=standardized,
        fit=fit,
        r2=r2,
        effects=effects,
        scores=scores,
        score_weights=score_weights,
        admissibility=adm,
        se_type=se,
        weighted=w is not None,
        n=n,
        S=S,
        mean=mu,
        used_rows=np.nonzero(ok_rows)[0],
        information=information,
        equal_weights=equal_weights,
    )


def _fit_fiml(data, spec, weights, se, start, gtol, max_iter, correlation_limit, file):
    """fit_cbsem with missing="ml" (full-information ML over missing-data patterns)."""
    X, w, ok_rows, n = _prepare(data, spec, weights, file=file, listwise=False)
    wv = np.ones(n) if w is None else w
    pats = _patterns(X, w)
    obs = np.isfinite(X)
    mu0 = np.array([np.average(X[obs[:, j], j], weights=wv[obs[:, j]]) for j in range(X.shape[1])])
    Spw = pd.DataFrame(X).cov(min_periods=2).to_numpy()
    Spw = np.where(np.isfinite(Spw), Spw, 0.0)
    ev, V = np.linalg.eigh(Spw)
    Spw = (V * np.maximum(ev, 1e-6 * ev.max())) @ V.T  # pairwise covariance made PD (start only)
    _check_moments(np.diag(np.diag(Spw)), spec.items, n, file)
    st = build_structure(spec, {it: Spw[k, k] for k, it in enumerate(spec.items)})
    if isinstance(start, str):
        theta0 = _start_simple(st, Spw)
        if start == "semopy":
            try:
                theta0 = _start_semopy(st, X[obs.all(axis=1)], Spw)
            except Exception:  # never crash on the start values
                pass
        theta0 = _fisher_scoring(st, theta0[None], Spw[None], max_iter=50)[0][0]
    else:
        theta0 = np.asarray(start, dtype=float).reshape(-1)
    z, gnorm, n_iter = _fiml_newton(st, np.concatenate([theta0, mu0]), pats, n, gtol, max_iter)
    q = st.q
    theta, muhat = z[:q], z[q:]
    converged = bool(np.isfinite(gnorm) and gnorm < max(gtol, 1e-8))
    mats = {k: v[0] for k, v in implied(st, theta[None]).items()}
    Sig = mats["Sigma"]
    bread = 0.5 * n * _fiml_hessian(st, z, pats, n)  # observed information of (theta, mu)
    with np.errstate(all="ignore"):
        try:
            binv = np.linalg.inv(bread)
        except np.linalg.LinAlgError:
            binv = np.full(bread.shape, np.nan)
        if se == "standard":
            vfull = binv
        else:
            a, b = _ab(st, {k: v[None] for k, v in mats.items()})
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
    vcov = vfull[:q, :q]
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    se_free[~np.isfinite(np.diag(vcov))] = np.nan
    tables = _tables(st, theta, vcov, se_free)
    tables.pop("W")
    # mean rows (~1) as lavaan prints them with missing="ml"
    se_mu = np.sqrt(np.clip(np.diag(vfull)[q:], 0, None))
    means = pd.DataFrame({"lhs": st.items, "op": "~1", "rhs": "", **_ztable(muhat, se_mu)})
    lat = pd.DataFrame(
        {"lhs": st.constructs, "op": "~1", "rhs": "", **_ztable(np.zeros(st.m), np.zeros(st.m))}
    )
    lat[["z", "pvalue"]] = np.nan  # latent means fixed at 0
    estimates = pd.concat([tables["estimates"], means, lat], ignore_index=True)
    sc = np.zeros((n, st.m))
    for pt in pats:  # regression factor scores from each row's observed items
        o = pt.o
        Wo = mats["C"] @ mats["Lambda"][o].T @ np.linalg.inv(Sig[np.ix_(o, o)])
        sc[pt.rows] = (X[np.ix_(pt.rows, o)] - muhat[o]) @ Wo.T
    scores = pd.DataFrame(sc, columns=st.constructs, index=data.index[ok_rows])
    ll = -0.5 * n * _fiml_obj(st, z, pats, n, grad=False)[0]
    fit, mu1, S1 = _fiml_fit_indices(X, wv, pats, ll, Sig, muhat, q, n)
    adm = _admissibility(st, mats, Sig, bread, converged, gnorm, n_iter, correlation_limit)
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


# --------------------------------------------------------------------------- replicates
def _batch_moments(X: np.ndarray, W: np.ndarray, chunk: int = 20000) -> np.ndarray:
    """Covariance matrices (divisor sum of weights) for each row of W (R, n) -> (R, p, p).

    Uses one GEMM on the products of the centred items (vech), chunked over rows of X.
    """
    n, p = X.shape
    R = W.shape[0]
    Wn = W / W.sum(axis=1, keepdims=True)
    D = X - X.mean(axis=0)
    iu = np.triu_indices(p)
    M1 = np.zeros((R, p))
    M2 = np.zeros((R, len(iu[0])))
    for s in range(0, n, chunk):
        Dc = D[s : s + chunk]
        Wc = Wn[:, s : s + chunk]
        M1 += Wc @ Dc
        M2 += Wc @ (Dc[:, iu[0]] * Dc[:, iu[1]])
    S = np.empty((R, p, p))
    S[:, iu[0], iu[1]] = M2
    S[:, iu[1], iu[0]] = M2
    return S - M1[:, :, None] * M1[:, None, :]


def _derived_columns(st: Structure, theta: np.ndarray) -> pd.DataFrame:
    """Parameters, effects, R² and own-block score weights per replicate (named columns)."""
    R = theta.shape[0]
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(st.labels()):
        cols[name] = theta[:, j]
    pairs = _effect_pairs(st)
    eff = _effects(st, theta)
    k = len(pairs)
    for i, (f, t) in enumerate(pairs):
        nm = f"{st.constructs[f]}->{st.constructs[t]}"
        cols[f"direct:{nm}"] = eff[:, i]
        cols[f"indirect:{nm}"] = eff[:, k + i]
        cols[f"total:{nm}"] = eff[:, 2 * k + i]
    r2 = _r2(st, theta)
    for i, v in enumerate(st.items + st.spec.endogenous):
        cols[f"r2:{v}"] = r2[:, i]
    W = _score_weights(st, theta)
    for ci, c in enumerate(st.constructs):
        for it in st.spec.blocks[c]:
            cols[f"sw:{c}:{it}"] = W[:, ci, st.items.index(it)]
    if st.spec.defined:
        dv = _defined(st, theta)
        for k, (nm, _) in enumerate(st.spec.defined):
            cols[f"def:{nm}"] = dv[:, k]
    return pd.DataFrame(cols, index=np.arange(R))


def _refit_batch(
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
        th, F, conv, iters, gmax = _fisher_scoring(
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
        parts.append(pd.concat([head, _derived_columns(st, th)], axis=1))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "replicate", np.arange(R))
    return out


def _start_vector(start: Any, st: Structure) -> np.ndarray:
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
    X, w, _, n = _prepare(data, spec, weights)
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] != n:
        raise InputError(
            f"counts must be a (B, n) matrix with n = {n} complete rows; got shape {counts.shape}"
        )
    mu, S0 = weighted_cov(X, w)
    st = build_structure(spec, {it: S0[k, k] for k, it in enumerate(spec.items)})
    th0 = _start_vector(start, st)
    Wt = counts if w is None else counts * w[None, :]
    S = _batch_moments(X, Wt)
    return _refit_batch(st, S, th0, max_iter, gtol, xtol, batch, correlation_limit)


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
    X, _, ok, n = _prepare(data, spec, None)
    RW = RW[ok].T
    bad = ~np.isfinite(RW) | (RW < 0) | (RW.sum(axis=1, keepdims=True) <= 0)
    if bad.any():
        r, i = np.argwhere(bad)[0]
        raise InputError(
            f"replicate weight {RW[r, i]!r} not allowed; replicate weights must be finite and >= 0",
            row=int(np.nonzero(ok)[0][i]) + 1,
            column=names[r],
        )
    R = RW.shape[0]
    rs = np.broadcast_to(np.asarray(rscales, dtype=float), (R,))
    mu, S0 = weighted_cov(X)
    st = build_structure(spec, {it: S0[k, k] for k, it in enumerate(spec.items)})
    th0 = _start_vector(start, st)
    S = _batch_moments(X, RW)
    reps = _refit_batch(st, S, th0, max_iter, gtol, xtol, batch, correlation_limit)
    reps.insert(1, "replicate_name", names)
    labels = st.labels()
    T = reps[labels].to_numpy()
    var = replicate_variance(th0, T, scale, rs, mse)
    keys = _free_keys(st)
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
    full = _derived_columns(st, th0[None])
    D = reps[full.columns].to_numpy()
    out.attrs["statistics"] = pd.DataFrame(
        {
            "statistic": full.columns,
            "est": full.to_numpy()[0],
            "se": np.sqrt(replicate_variance(full.to_numpy()[0], D, scale, rs, mse)),
        }
    )
    return out


def replicate_se(
    replicates: np.ndarray, center: np.ndarray, scale: float, rscales: np.ndarray | float, mse: bool
) -> np.ndarray:
    """SE from replicate estimates (R, k): sqrt(scale * sum_r rscales_r (t_r - c)^2), the
    engine's :func:`csindex.estimation.replicate_variance`."""
    T = np.asarray(replicates, dtype=float)
    return np.sqrt(replicate_variance(np.asarray(center, dtype=float), T, scale, rscales, mse))


# engine entry points shared with the multi-group fit (csindex.sem.multigroup)
element_vectors = _ab
gradient_information = _grad_info
prepare_items = _prepare
simple_start = _start_simple
equal_weights = _equal_weights


__all__ = [
    "CBSEMResult",
    "Structure",
    "build_structure",
    "cbsem_bootstrap",
    "cbsem_replicates",
    "fit_cbsem",
    "implied",
    "replicate_se",
    "weighted_cov",
]
