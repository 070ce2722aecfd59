"""Trimming (R ``trimWeights``) and normalisation of weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csindex.errors import ConfigError
from csindex.weighting.common import as2d, back
from csindex.weighting.options import TrimmingOptions


@dataclass
class TrimResult:
    """Trimmed weights, rounds, and the share of weights that were trimmed."""

    weights: np.ndarray
    rounds: int
    trimmed_share: float
    lower: float
    upper: float


def trim_weights(
    w: np.ndarray,
    lower: float = -np.inf,
    upper: float = np.inf,
    strict: bool = False,
    max_rounds: int = 100,
) -> TrimResult:
    """R ``trimWeights``: clip to ``[lower, upper]`` and add the trimmed amount equally to the
    untrimmed weights (the total is kept); ``strict`` repeats until no weight is outside."""
    w = np.asarray(w, float).copy()
    ever = np.zeros(w.shape, bool)
    rounds = 0
    while rounds < max_rounds:
        outside = (w < lower) | (w > upper)
        if not outside.any() or outside.all():
            break
        rounds += 1
        ever |= outside
        new = np.clip(w, lower, upper)
        trimmed = (w - new).sum()
        new[~outside] += trimmed / (~outside).sum()
        w = new
        if not strict:
            break
    return TrimResult(w, rounds, float(ever.mean()) if w.size else 0.0, lower, upper)


def trim_bounds(
    w: np.ndarray, method: str, lower: float | None, upper: float | None
) -> tuple[float, float]:
    """Bounds for ``fixed`` (as given), ``ratio_to_median`` (factors of the median weight) or
    ``percentile`` (percentiles 0–100 of the weights)."""
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if method == "fixed":
        return lo, hi
    if method == "ratio_to_median":
        med = float(np.median(w))
        return (
            lo * med if lower is not None else -np.inf,
            hi * med if upper is not None else np.inf,
        )
    if method == "percentile":
        return (
            float(np.percentile(w, lo)) if lower is not None else -np.inf,
            float(np.percentile(w, hi)) if upper is not None else np.inf,
        )
    raise ConfigError(
        f"unknown trimming method {method!r}; allowed: fixed, ratio_to_median, percentile",
        key="weighting.trimming.method",
    )


def normalise(
    w: np.ndarray, to: str | float = "N", population_total: float | None = None
) -> np.ndarray:
    """Scale weights to sum to ``n`` (the respondents), ``N`` (unchanged, or the given
    population total) or a number."""
    W, was1d = as2d(w)
    s = W.sum(axis=0)
    if to == "n":
        target = W.shape[0]
    elif to == "N":
        if population_total is None:
            return back(W, was1d)
        target = population_total
    else:
        target = float(to)
    return back(W * (target / s), was1d)


def trim_columns(W: np.ndarray, opts: TrimmingOptions) -> tuple[np.ndarray, TrimResult | None]:
    """Trim each column (full sample, replicates) over its positive weights; the result of the
    full sample (column 0), or ``None`` when ``opts.method`` is ``none``."""
    if opts.method == "none":
        return W, None
    out = W.copy()
    first = None
    for j in range(W.shape[1]):  # replicates, not respondents
        pos = W[:, j] > 0
        lo, hi = trim_bounds(W[pos, j], opts.method, opts.lower, opts.upper)
        res = trim_weights(W[pos, j], lo, hi, strict=opts.strict)
        out[pos, j] = res.weights
        if j == 0:
            first = res
    return out, first
