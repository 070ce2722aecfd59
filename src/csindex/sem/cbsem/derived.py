"""Quantities derived from the parameters, batched over theta (R, q): the standardized
solution (lavaan std.all), defined parameters, effects, R² and factor-score weights."""

from __future__ import annotations

import numpy as np

from .structure import Structure, implied


def std_all(st: Structure, theta: np.ndarray) -> np.ndarray:
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


def defined_values(st: Structure, theta: np.ndarray) -> np.ndarray:
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


def effect_pairs(st: Structure) -> list[tuple[int, int]]:
    """(from, to) construct index pairs connected by a directed path, in construct order."""
    m = st.m
    reach = np.zeros((m, m), dtype=bool)
    cc = {c: k for k, c in enumerate(st.constructs)}
    for a, b in st.spec.paths:
        reach[cc[b], cc[a]] = True
    for _ in range(m):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return [(f, t) for f in range(m) for t in range(m) if reach[t, f]]


def effect_values(st: Structure, theta: np.ndarray) -> np.ndarray:
    """direct, indirect, total effect of every (from, to) pair -> (R, 3 * pairs)."""
    mats = implied(st, theta)
    B, A = mats["B"], mats["A"]
    pairs = effect_pairs(st)
    if not pairs:
        return np.zeros((theta.shape[0], 0))
    f = np.array([x[0] for x in pairs])
    t = np.array([x[1] for x in pairs])
    direct = B[:, t, f]
    total = A[:, t, f]  # (I-B)^-1 - I off the diagonal (recursive model)
    return np.concatenate([direct, total - direct, total], axis=1)


def r2_values(st: Structure, theta: np.ndarray) -> np.ndarray:
    """R² of the items then of the endogenous constructs -> (R, p + n_endo)."""
    mats = implied(st, theta)
    th = np.diagonal(mats["Theta"], axis1=1, axis2=2)
    sx = np.diagonal(mats["Sigma"], axis1=1, axis2=2)
    ps = np.diagonal(mats["Psi"], axis1=1, axis2=2)
    cl = np.diagonal(mats["C"], axis1=1, axis2=2)
    endo = [st.constructs.index(c) for c in st.spec.endogenous]
    return np.concatenate([1 - th / sx, 1 - ps[:, endo] / cl[:, endo]], axis=1)


def score_weight_matrix(st: Structure, theta: np.ndarray) -> np.ndarray:
    """Regression factor-score weights W = C Lambda' Sigma^-1 -> (R, m, p)."""
    mats = implied(st, theta)
    Sinv = np.linalg.inv(mats["Sigma"])
    cov = mats["C"] @ np.swapaxes(mats["Lambda"], 1, 2)  # Cov(eta, x)
    if st.has_xcov:
        cov = cov + mats["AP"]
    return cov @ Sinv
