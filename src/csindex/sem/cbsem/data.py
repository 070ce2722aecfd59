"""Item data of a CB-SEM: checked item matrix and weights, (weighted) moments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError, shown
from ..spec import ModelSpec


def prepare_items(
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
                f"value {shown(data[c].iloc[r])} is not a number; items must be numeric (missing as "
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
                f"weight {shown(w[r])} is not allowed; weights must be positive finite numbers "
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


def equal_weights(data: pd.DataFrame, weights: Any) -> bool:
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
        return False  # bad weights: prepare_items names the row
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


def check_moments(S: np.ndarray, items: list[str], n: int, file: str | None) -> None:
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


def batch_moments(X: np.ndarray, W: np.ndarray, chunk: int = 20000) -> np.ndarray:
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
