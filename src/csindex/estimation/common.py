"""Group sums over integer codes, shared by the Taylor variance and the calibration residuals."""

from __future__ import annotations

import numpy as np


def group_sums(z: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """(k, p) column sums of ``z`` (n x p) within the codes 0..k-1 (``rowsum`` in R)."""
    out = np.empty((k, z.shape[1]))
    for j in range(z.shape[1]):
        out[:, j] = np.bincount(codes, weights=z[:, j], minlength=k)
    return out


def first_index(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code 0..k-1 (O(n), no sort)."""
    k = int(codes.max()) + 1
    first = np.empty(k, np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first
