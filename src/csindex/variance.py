"""Variance of replicate estimates (replicate weights, bootstrap), as R survey's svrepdesign."""

from __future__ import annotations

import numpy as np


def replicate_variance(
    theta: np.ndarray, reps: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """Replicate-weight variance as R survey's svrepdesign: scale Σ_r rscales_r (θ_r − c)²
    with c = θ̂ (mse = TRUE) or the replicate mean. reps: (R, k)."""
    centre = theta if mse else reps.mean(axis=0)
    return scale * (np.asarray(rscales)[:, None] * (reps - centre) ** 2).sum(axis=0)
