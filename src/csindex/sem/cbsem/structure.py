"""The parameter structure of a CB-SEM and its model-implied moments.

Sigma(theta) = Lambda A Psi A' Lambda' + Theta, A = (I - B)^-1, with the
parameters laid out as lavaan's parameter table (:func:`build_structure`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ..spec import ModelSpec

LAM, BETA, PSI, THETA, XCOV = 0, 1, 2, 3, 4


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


def _lookup(d: Mapping, lhs: str, op: str, rhs: str):
    """``d[(lhs, op, rhs)]``, a covariance (``~~``) also under (rhs, op, lhs); None if absent."""
    if (lhs, op, rhs) in d:
        return d[(lhs, op, rhs)]
    if op == "~~" and (rhs, op, lhs) in d:
        return d[(rhs, op, lhs)]
    return None


def _single_indicator_error(
    spec: ModelSpec, item: str, item_variances: Mapping[str, float] | None
) -> float:
    """Fixed error variance of a single indicator: ``spec.single_indicator_error_share`` of its
    variance (lavaan's default 0)."""
    v = 0.0
    if spec.single_indicator_error_share > 0:
        if item_variances is None:
            raise ConfigError(
                "the single-indicator error share needs the item variances",
                key="model.single_indicator_error_share",
            )
        v = spec.single_indicator_error_share * float(item_variances[item])
    return v


def build_structure(
    spec: ModelSpec, item_variances: Mapping[str, float] | None = None
) -> Structure:
    """Free/fixed parameters of ``spec`` in lavaan's parameter-table order.

    Defaults as lavaan ``sem()``: the first item of a block is the marker (loading 1), other
    loadings, paths, residual and latent variances and the covariances among exogenous
    constructs are free; ``spec.fixed`` fixes, ``spec.freed`` frees (``NA*``) and
    ``spec.labels`` names parameters (a label shared by several rows makes them one parameter).
    """
    tb = _TableBuilder(spec)
    _add_loadings(tb)
    _add_paths(tb)
    _add_item_variances(tb, item_variances)
    _add_latent_variances(tb)
    _add_covariances(tb)
    return Structure(
        spec=spec,
        items=tb.items,
        constructs=tb.cons,
        kind=np.array(tb.kind, dtype=int),
        row=np.array(tb.r_, dtype=int),
        col=np.array(tb.c_, dtype=int),
        table=pd.DataFrame(tb.rows),
        lam0=tb.lam0,
        theta0=tb.theta0,
        fixed_zero_items=tuple(tb.fixed_zero),
        emap=np.array(tb.emap, dtype=int),
        b0=tb.b0,
        psi0=tb.psi0,
        nfree=tb.nfree,
    )


class _TableBuilder:
    """The parameter table of :func:`build_structure` as it is filled, row by row."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.items, self.cons = spec.items, spec.constructs
        self.ii = {x: k for k, x in enumerate(self.items)}
        self.cc = {c: k for k, c in enumerate(self.cons)}
        p, m = len(self.items), len(self.cons)
        self.rows: list[dict[str, Any]] = []
        self.kind: list[int] = []
        self.r_: list[int] = []
        self.c_: list[int] = []
        self.emap: list[int] = []
        self.lam0 = np.zeros((p, m))
        self.theta0 = np.zeros((p, p))
        self.b0 = np.zeros((m, m))
        self.psi0 = np.zeros((m, m))
        self.fixed_zero: list[str] = []
        self.by_label: dict[str, int] = {}
        self.nfree = 0
        self.freed = set(spec.freed)

    def add(self, k: int, a: int, b: int, lhs: str, op: str, rhs: str, default=None) -> None:
        """One row ``lhs op rhs`` (matrix entry [a, b] of kind k): fixed (``spec.fixed``, or
        ``default`` unless freed with NA*) or free (a shared label reuses its parameter)."""
        spec = self.spec
        label = _lookup(spec.labels, lhs, op, rhs) or ""
        value = _lookup(spec.fixed, lhs, op, rhs)
        is_freed = (lhs, op, rhs) in self.freed or (op == "~~" and (rhs, op, lhs) in self.freed)
        if value is None and default is not None and not is_freed:
            value = default
        if value is not None:
            self._fix(k, a, b, lhs, op, rhs, value, label)
            return
        if label and label in self.by_label:
            j = self.by_label[label]
        else:
            j = self.nfree
            self.nfree += 1
            if label:
                self.by_label[label] = j
        self.rows.append(
            {"lhs": lhs, "op": op, "rhs": rhs, "free": j, "value": np.nan, "label": label}
        )
        self.kind.append(k)
        self.r_.append(a)
        self.c_.append(b)
        self.emap.append(j)

    def _fix(self, k, a, b, lhs, op, rhs, value: float, label: str) -> None:
        """A fixed row: its value goes into the fixed part of the model matrix."""
        self.rows.append(
            {"lhs": lhs, "op": op, "rhs": rhs, "free": -1, "value": value, "label": label}
        )
        if k == LAM:
            self.lam0[a, b] = value
        elif k == BETA:
            self.b0[a, b] = value
        elif k in (PSI, THETA):
            mat = self.psi0 if k == PSI else self.theta0
            mat[a, b] = mat[b, a] = value
        elif value != 0.0:
            raise ConfigError(
                f"'{lhs} ~~ {value}*{rhs}': a construct-item covariance may be free or 0",
                key="model.syntax",
            )


def _add_loadings(tb: _TableBuilder) -> None:
    """Loadings block by block (marker fixed at 1), each block's cross-loadings after it."""
    ii, cc = tb.ii, tb.cc
    for c, its in tb.spec.blocks.items():
        for k, it in enumerate(its):
            tb.add(LAM, ii[it], cc[c], c, "=~", it, 1.0 if k == 0 else None)
        for c2, it in tb.spec.cross_loadings:
            if c2 == c:
                tb.add(LAM, ii[it], cc[c], c, "=~", it)


def _add_paths(tb: _TableBuilder) -> None:
    """Structural paths, endogenous construct by construct."""
    cc = tb.cc
    for c in tb.spec.endogenous:
        for a in tb.spec.predecessors(c):
            tb.add(BETA, cc[c], cc[a], c, "~", a)


def _add_item_variances(tb: _TableBuilder, item_variances: Mapping[str, float] | None) -> None:
    """Item error variances (a single indicator's fixed); notes the items fixed at 0."""
    spec, ii = tb.spec, tb.ii
    single = {its[0] for its in spec.blocks.values() if len(its) == 1}
    for it in tb.items:
        if it in single and _lookup(spec.fixed, it, "~~", it) is None:
            v = _single_indicator_error(spec, it, item_variances)
            tb.add(THETA, ii[it], ii[it], it, "~~", it, v)
        else:
            tb.add(THETA, ii[it], ii[it], it, "~~", it)
        if tb.theta0[ii[it], ii[it]] == 0.0 and not any(
            r["lhs"] == it and r["op"] == "~~" and r["rhs"] == it and r["free"] >= 0
            for r in tb.rows
        ):
            tb.fixed_zero.append(it)


def _add_latent_variances(tb: _TableBuilder) -> None:
    """(Disturbance) variances of the constructs."""
    for c in tb.cons:
        tb.add(PSI, tb.cc[c], tb.cc[c], c, "~~", c)


def _add_covariances(tb: _TableBuilder) -> None:
    """Covariances among the exogenous constructs, then those of ``spec.covariances``
    (constructs, item residuals, or construct-item)."""
    ii, cc = tb.ii, tb.cc
    exo = tb.spec.exogenous
    pairs = [(exo[i], exo[j]) for i in range(len(exo)) for j in range(i + 1, len(exo))]
    extra = [x for x in tb.spec.covariances if frozenset(x) not in {frozenset(y) for y in pairs}]
    for a, b in pairs + extra:
        if a in cc and b in cc:
            tb.add(PSI, cc[a], cc[b], a, "~~", b)
        elif a in ii and b in ii:
            tb.add(THETA, ii[a], ii[b], a, "~~", b)
        else:
            con, it = (a, b) if a in cc else (b, a)
            tb.add(XCOV, cc[con], ii[it], a, "~~", b)


# --------------------------------------------------------------------------- implied moments
def model_matrices(st: Structure, theta: np.ndarray):
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
    Lam, B, Psi, Th, Phi = model_matrices(st, theta)
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


def element_vectors(st: Structure, mats: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
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


def free_keys(st: Structure) -> list[tuple[str, str, str]]:
    t = st.table[st.table["free"] >= 0].drop_duplicates("free").sort_values("free")
    return list(zip(t["lhs"], t["op"], t["rhs"], strict=True))
