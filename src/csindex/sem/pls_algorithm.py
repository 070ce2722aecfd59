"""The PLS-PM iterations on covariance matrices (:mod:`csindex.sem.pls` describes the algorithm):
the index arrays of a model (:class:`ModelArrays`), outer weights for a stack of covariance
matrices (:func:`pls_weights_from_cov`, all bootstrap replicates at once), path coefficients and
R² from construct correlations (:func:`inner_from_lvcor`) and total effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .spec import ModelSpec

SCHEMES = ("path", "centroid", "factorial")


# --------------------------------------------------------------------------- model arrays
@dataclass(frozen=True)
class ModelArrays:
    """Index arrays of a spec: item order, block membership, adjacency."""

    constructs: list[str]
    items: list[str]
    block: np.ndarray  # (p,) construct index of each item
    odm: np.ndarray  # (p, L) outer design matrix (0/1)
    path: np.ndarray  # (L, L) P[j, k] = 1 if j -> k
    modes: list[str]

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> ModelArrays:
        lvs = spec.constructs
        items = spec.items
        pos = {c: k for k, c in enumerate(lvs)}
        block = np.array([pos[spec.construct_of(i)] for i in items], dtype=np.intp)
        odm = np.zeros((len(items), len(lvs)))
        odm[np.arange(len(items)), block] = 1.0
        path = np.zeros((len(lvs), len(lvs)))
        for a, b in spec.paths:
            path[pos[a], pos[b]] = 1.0
        return cls(lvs, items, block, odm, path, [spec.mode(c) for c in lvs])


def model_arrays(spec: ModelSpec) -> ModelArrays:
    """Index arrays of ``spec`` (item order, block membership, path adjacency, modes) for
    :func:`pls_weights_from_cov` and :func:`inner_from_lvcor`."""
    return ModelArrays.from_spec(spec)


def _inner_weights(R: np.ndarray, arr: ModelArrays, scheme: str) -> np.ndarray:
    """Inner weights E (B, L, L) from LV correlations R (B, L, L); Z = Y E."""
    adj = arr.path + arr.path.T
    if scheme == "centroid":
        return np.sign(R) * adj
    if scheme == "factorial":
        return R * adj
    E = np.zeros_like(R)
    L = len(arr.constructs)
    for k in range(L):  # loop over constructs (a handful), batched over replicates
        pred = np.flatnonzero(arr.path[:, k])
        succ = np.flatnonzero(arr.path[k, :])
        if pred.size:
            Rpp = R[:, pred[:, None], pred[None, :]]
            rpk = R[:, pred, k]
            E[:, pred, k] = np.linalg.solve(Rpp, rpk[..., None])[..., 0]
        if succ.size:
            E[:, succ, k] = R[:, succ, k]
    return E


def pls_weights_from_cov(
    S: np.ndarray,
    arr: ModelArrays,
    *,
    scheme: str = "path",
    tol: float = 1e-6,
    maxiter: int = 100,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outer weights for a stack of indicator covariance matrices.

    S : (B, p, p) covariance (or correlation) matrices of the centred indicators.
    Returns W (B, p, L) with unit-variance LVs, iterations (B,), converged (B,) — each replicate
    stops at its own iteration exactly as a single fit would (plspm's stopping rule).
    """
    if scheme not in SCHEMES:
        raise ConfigError(
            f"{scheme!r} not allowed; allowed: {', '.join(SCHEMES)}", key="model.pls.scheme"
        )
    S = np.asarray(S, dtype=float)
    B, p, _ = S.shape
    odm = arr.odm
    var0 = np.einsum("pl,bpq,ql->bl", odm, S, odm)
    W = odm[None] / np.sqrt(var0)[:, None, :]
    w_old = W.sum(axis=2)
    active = np.ones(B, dtype=bool)
    iters = np.zeros(B, dtype=np.intp)
    modeB = [k for k, m in enumerate(arr.modes) if m == "B"]
    blocks = [np.flatnonzero(arr.block == k) for k in range(len(arr.constructs))]
    Wout = W.copy()
    for it in range(1, maxiter + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        Sa, Wa = S[idx], W[idx]
        SW = Sa @ Wa  # (b, p, L)
        C = np.einsum("bpl,bpm->blm", Wa, SW)
        d = 1.0 / np.sqrt(np.einsum("bll->bl", C))
        R = C * d[:, :, None] * d[:, None, :]
        E = _inner_weights(R, arr, scheme)
        # cov(X, Z) = S W D E
        covXZ = SW * d[:, None, :] @ E  # (b, p, L)
        Wn = covXZ * odm[None]
        for k in modeB:
            bk = blocks[k]
            Skk = Sa[:, bk[:, None], bk[None, :]]
            Wn[:, bk, k] = np.linalg.solve(Skk, covXZ[:, bk, k][..., None])[..., 0]
        w_new = Wn.sum(axis=2)
        diff = ((np.abs(w_old[idx]) - np.abs(w_new)) ** 2).sum(axis=1)
        W[idx] = Wn
        w_old[idx] = w_new
        iters[idx] = it
        done = diff < tol
        Wout[idx[done]] = Wn[done]
        active[idx[done]] = False
    conv = ~active
    Wout[active] = W[active]
    var = np.einsum("bpl,bpq,bql->bl", Wout, S, Wout)
    Wout = Wout / np.sqrt(var)[:, None, :]
    return Wout, iters, conv


def inner_from_lvcor(R: np.ndarray, arr: ModelArrays) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients Bm (B, L, L) with Bm[to, from], and R² (B, L) (NaN for exogenous LVs),
    from LV correlation matrices R (B, L, L): beta = R_PP^{-1} r_Pk, R² = beta' r_Pk."""
    Bn, L, _ = R.shape
    Bm = np.zeros((Bn, L, L))
    r2 = np.full((Bn, L), np.nan)
    for k in range(L):
        pred = np.flatnonzero(arr.path[:, k])
        if pred.size:
            rpk = R[:, pred, k]
            beta = np.linalg.solve(R[:, pred[:, None], pred[None, :]], rpk[..., None])[..., 0]
            Bm[:, k, pred] = beta
            r2[:, k] = (beta * rpk).sum(axis=1)
    return Bm, r2


def total_effects(Bm: np.ndarray) -> np.ndarray:
    """Total effects T = (I - B)^{-1} - I (B[to, from]); works on stacks (..., L, L)."""
    L = Bm.shape[-1]
    eye = np.eye(L)
    return np.linalg.inv(eye - Bm) - eye
