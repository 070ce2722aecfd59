"""The ACSI index core: answer scales, index shares, (survey-weighted) item means and the index
of every construct, overall and by group (Fornell et al. 1996).

With raw-scale outer weights ``w_i`` (or CB-SEM factor-score weights), item means ``x̄_i`` and
scale ends ``min_i``, ``max_i``:

    index = (Σ w_i x̄_i − Σ w_i min_i) / (Σ w_i max_i − Σ w_i min_i) × 100.

It sits below both the model stage's bootstrap (:mod:`csindex.sem.bootstrap`) and the index
stage (:mod:`csindex.index`), which import it from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .spec import ModelSpec


def scale_bounds(
    items: Sequence[str], instrument=None, default: tuple[float, float] | None = None
) -> dict[str, tuple[float, float]]:
    """Item -> (min, max) of its answer scale: from the instrument when it knows the item,
    else ``default`` (config ``index.scale``); raises ConfigError when neither gives it."""
    known = {}
    if instrument is not None:
        for it in instrument.items:
            known[it.id] = (float(it.scale.min), float(it.scale.max))
    out = {}
    for i in items:
        if i in known:
            out[i] = known[i]
        elif default is not None:
            out[i] = (float(default[0]), float(default[1]))
        else:
            raise ConfigError(
                f"the answer scale of item {i!r} is unknown (not in the instrument); give "
                "index.scale: {min: ..., max: ...}",
                key="index.scale",
            )
        if not out[i][1] > out[i][0]:
            raise ConfigError(f"scale of {i!r}: max must exceed min", key="index.scale")
    return out


def index_shares(
    raw_weights: Mapping[str, float], spec: ModelSpec, scale: Mapping[str, tuple[float, float]]
) -> pd.DataFrame:
    """Per item: construct, raw-scale weight, normalised weight (sums to 1 per construct),
    share ``s_i`` of the 0–100 index, and ``D_c = Σ w_i (max_i − min_i)`` of its construct."""
    rows = []
    for c in spec.constructs:
        items = spec.blocks[c]
        w = np.array([float(raw_weights[i]) for i in items])
        wn = w / w.sum()
        rng = np.array([scale[i][1] - scale[i][0] for i in items])
        share = wn * rng / (wn * rng).sum()
        D = float((w * rng).sum())
        for i, a, b, s in zip(items, w, wn, share, strict=True):
            rows.append((c, i, a, b, s, D))
    return pd.DataFrame(
        rows, columns=["construct", "item", "weight_raw", "weight_norm", "share", "D"]
    )


def available_means(X: np.ndarray, w: np.ndarray | None, *, strict: bool = True) -> np.ndarray:
    """Weighted item means over the rows that answered each item (NaN = not answered). An item
    nobody answered (or with zero total weight) raises :class:`InputError`, or with
    ``strict=False`` has a NaN mean (a small group of the index: not estimable)."""
    ok = ~np.isnan(X)
    ww = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=float)
    den = ww @ ok
    if (den <= 0).any():
        if strict:
            raise InputError("an item has no answer (or zero total weight) in the index's rows")
        den = np.where(den > 0, den, np.nan)
    return (ww @ np.where(ok, X, 0.0)) / den


def weighted_mean(x: np.ndarray, w: np.ndarray | None) -> float:
    """Weighted mean over the non-missing values."""
    return float(available_means(np.asarray(x, dtype=float)[:, None], w)[0])


def acsi_index(
    data: pd.DataFrame,
    spec: ModelSpec,
    raw_weights: Mapping[str, float],
    scale: Mapping[str, tuple[float, float]],
    weights: np.ndarray | None = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Index of every construct, overall and by each column in ``by`` (e.g. segment).

    ``data`` holds the rows used by the model; ``weights`` the survey weights (w_final) of those
    rows. Item means are weighted means over the respondents who answered the item (NaN = not
    answered). In a group (a ``by`` value) where an item has no answer, the index of that item's
    construct is NaN (not estimable in the group); in the whole sample it is an error.
    Returns construct, group_var, group, n, index.
    """
    sh = index_shares(raw_weights, spec, scale)
    X = data[spec.items].to_numpy(dtype=float)
    lo = np.array([scale[i][0] for i in spec.items])
    hi = np.array([scale[i][1] for i in spec.items])
    share = sh.set_index("item").loc[spec.items, "share"].to_numpy()
    block = np.array([spec.constructs.index(spec.construct_of(i)) for i in spec.items])
    w = None if weights is None else np.asarray(weights, dtype=float)

    def one(mask: np.ndarray, strict: bool = False) -> np.ndarray:
        m = available_means(X[mask], None if w is None else w[mask], strict=strict)
        x100 = (m - lo) / (hi - lo) * 100
        return np.bincount(block, weights=share * x100, minlength=len(spec.constructs))

    rows = []
    allmask = np.ones(len(X), dtype=bool)
    for c, v in zip(spec.constructs, one(allmask, strict=True), strict=True):
        rows.append((c, "overall", "all", int(allmask.sum()), v))
    for col in by:
        vals = data[col].astype("string")
        for g in sorted(vals.dropna().unique()):
            mask = (vals == g).fillna(False).to_numpy(bool)
            for c, v in zip(spec.constructs, one(mask), strict=True):
                rows.append((c, col, str(g), int(mask.sum()), v))
    return pd.DataFrame(rows, columns=["construct", "group_var", "group", "n", "index"])


def index_from_moments(
    Wraw: np.ndarray, M: np.ndarray, block: np.ndarray, L: int, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """ACSI index (B, L) from raw-scale outer weights Wraw (B, p) and item means M (B, p):
    100 * (Σ w x̄ - Σ w min) / (Σ w max - Σ w min) per construct."""
    num = np.zeros((Wraw.shape[0], L))
    den = np.zeros((Wraw.shape[0], L))
    np.add.at(num.T, block, (Wraw * (M - lo)).T)
    np.add.at(den.T, block, (Wraw * (hi - lo)).T)
    return 100.0 * num / den
