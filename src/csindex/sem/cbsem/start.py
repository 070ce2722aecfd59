"""Start values of the ML fit: moment-based ("simple") or semopy's fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ConfigError
from .structure import LAM, PSI, THETA, Structure, free_keys


def simple_start(st: Structure, S: np.ndarray) -> np.ndarray:
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


def semopy_start(st: Structure, X: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Start values from semopy's ML fit of the same lavaan-style model."""
    if st.spec.cbsem_only or st.has_xcov:  # lavaan modifiers: semopy reads them differently
        return simple_start(st, S)
    import semopy

    desc = st.spec.to_lavaan({it: S[k, k] for k, it in enumerate(st.items)})
    model = semopy.Model(desc)
    # semopy's ML objective on the covariance matrix (cost independent of n)
    model.fit(cov=pd.DataFrame(S, index=st.items, columns=st.items), n_samples=X.shape[0])
    tab = model.inspect()
    est: dict[tuple[str, str, str], float] = {}
    for lv, op, rv, e in zip(tab["lval"], tab["op"], tab["rval"], tab["Estimate"], strict=True):
        est[(str(lv), str(op), str(rv))] = float(e)
    theta = simple_start(st, S)
    for j, (lhs, op, rhs) in enumerate(free_keys(st)):
        if op == "=~":
            key = (rhs, "~", lhs)
        elif op == "~":
            key = (lhs, "~", rhs)
        else:
            key = (lhs, "~~", rhs) if (lhs, "~~", rhs) in est else (rhs, "~~", lhs)
        if key in est and np.isfinite(est[key]):
            theta[j] = est[key]
    return theta


def start_values(
    st: Structure, X: np.ndarray, S: np.ndarray, start: str | np.ndarray
) -> np.ndarray:
    """Start values of the ML fit: ``"semopy"`` (:func:`semopy_start`, :func:`simple_start` if
    semopy fails), ``"simple"`` (:func:`simple_start`) or a given parameter vector."""
    if isinstance(start, str):
        if start == "semopy":
            try:
                theta0 = semopy_start(st, X, S)
            except Exception:  # semopy failed on a hard model: fall back, never crash
                theta0 = simple_start(st, S)
        elif start == "simple":
            theta0 = simple_start(st, S)
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
    return theta0
