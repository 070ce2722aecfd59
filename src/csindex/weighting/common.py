"""Helpers shared by the weighting steps: weight vectors as (n, 1 + R) matrices, group sums,
codes and the weight check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import InputError


def as2d(w: np.ndarray) -> tuple[np.ndarray, bool]:
    w = np.asarray(w, float)
    return (w[:, None], True) if w.ndim == 1 else (w, False)


def back(w: np.ndarray, was1d: bool) -> np.ndarray:
    return w[:, 0] if was1d else w


def col_group_sums(w: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """k x m table of column sums of ``w`` (n x m) by ``codes``."""
    out = np.empty((k, w.shape[1]))
    for j in range(w.shape[1]):
        out[:, j] = np.bincount(codes, weights=w[:, j], minlength=k)
    return out


def check_weights(w: np.ndarray, column: str = "weight", allow_zero: bool = True) -> None:
    """Raise an InputError naming the first row with a missing, negative (or zero) weight."""
    w = np.asarray(w, float)
    bad = ~np.isfinite(w) | (w < 0) | ((w == 0) if not allow_zero else False)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0]) + 1
        allowed = ">= 0" if allow_zero else "> 0"
        raise InputError(
            f"{int(bad.sum())} weight(s) not finite and {allowed} (first: {w[bad][0]!r})",
            row=row,
            column=column,
        )


def codes_in_order(x: Any) -> np.ndarray:
    """Codes in order of first appearance (as R's ``unique``)."""
    return pd.factorize(np.asarray(x), sort=False)[0].astype(np.int64)
