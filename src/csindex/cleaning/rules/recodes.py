"""Recodes on the kept rows: ``reverse`` (x → min + max − x), ``quantity_cut`` (a quantity in
five intervals → 1..5, seed 001 section 二), ``impute`` (optional); then ``pilot`` (the pilot
wave dropped from the main data, optional)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ConfigError
from ...instrument import Item
from .options import CleaningOptions
from .registry import cleaning_rule
from .state import CleaningState


def cut_points(item: Item, x: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """The six cut points of a quantity item: from the instrument (``quantity.cut``), given
    points, five equal-width intervals of the quantity's range [min, max], or the sample
    quintiles (numpy's default linear quantile = R type 7)."""
    method = cfg.get("method", "instrument")
    spec = (item.quantity or {}).get("cut", {}) if method == "instrument" else {}
    if method == "instrument":
        method = spec.get("method", "equal_width")
    if method == "points":
        pts = cfg.get("points") if cfg.get("method") == "points" else spec.get("points")
        if pts is None:
            raise ConfigError(
                f"item {item.id}: cut method 'points' needs six cut points",
                key="cleaning.quantity_cut.points",
            )
        pts = np.asarray(pts, dtype=float)
    elif method == "equal_width":
        q = item.quantity or {}
        lo = float(q.get("min", np.nanmin(x)))
        hi = float(q.get("max", np.nanmax(x)))
        pts = np.linspace(lo, hi, 6)
    elif method == "quantiles":
        pts = np.nanquantile(x, np.linspace(0, 1, 6))
    else:
        raise ConfigError(
            f"unknown cut method {method!r}; allowed: points, equal_width, quantiles",
            key="cleaning.quantity_cut.method",
        )
    if len(pts) != 6 or np.any(np.diff(pts) <= 0):
        raise ConfigError(
            f"item {item.id}: cut points {pts.tolist()} must be six strictly increasing numbers "
            "(with method quantiles: the data have too few distinct values)",
            key="cleaning.quantity_cut",
        )
    return pts


def cut_five(x: np.ndarray, pts: np.ndarray, closed: str = "left") -> np.ndarray:
    """Level 1..5 of ``x`` in the intervals given by six points. closed='left': [p0,p1), ...,
    [p4,p5]; closed='right': [p0,p1], (p1,p2], ..., (p4,p5] (R: cut(include.lowest=TRUE)).
    Values outside [p0, p5] and missing values give NaN."""
    x = np.asarray(x, dtype=float)
    inner = pts[1:-1]
    lev = np.searchsorted(inner, x, side="right" if closed == "left" else "left") + 1.0
    with np.errstate(invalid="ignore"):
        lev[(x < pts[0]) | (x > pts[-1]) | np.isnan(x)] = np.nan
    return lev


def _recode(state: CleaningState, j: int, new: np.ndarray, rule: str, reason: str) -> int:
    """Replace item column ``j`` by ``new``, logging the answered cells that change."""
    old = state.X[:, j]
    r = np.flatnonzero(np.isfinite(old) & (new != old))
    state.log.cells(state.pos[r], np.full(len(r), j), old[r], new[r], rule, reason)
    state.X[:, j] = new
    return len(r)


@cleaning_rule("reverse", order=110, enabled=lambda o: bool(o.reverse.enabled))
def reverse(state: CleaningState, options: CleaningOptions) -> None:
    """Reverse-coded Likert items: x → min + max − x."""
    items = state.items
    rev = [j for j, it in enumerate(items) if it.reverse and it.kind == "likert"]
    n = 0
    for j in rev:
        new = items[j].scale.min + items[j].scale.max - state.X[:, j]
        n += _recode(state, j, new, "reverse", "reverse-coded item: min + max - x")
    state.rules["reverse"] = {"cells": n, "items": [state.cols[j] for j in rev]}


@cleaning_rule("quantity_cut", order=120, enabled=lambda o: bool(o.quantity_cut.enabled))
def quantity_cut(state: CleaningState, options: CleaningOptions) -> None:
    """Quantity items cut into five levels 1..5 (:func:`cut_points`, :func:`cut_five`)."""
    qc = options.quantity_cut
    cfg = qc.as_dict()
    points = {}
    n = 0
    for j, it in enumerate(state.items):
        if it.kind != "quantity":
            continue
        pts = cut_points(it, state.X[:, j], cfg)
        points[state.cols[j]] = pts.tolist()
        reason = f"cut into five levels at {points[state.cols[j]]} ({qc.closed}-closed)"
        n += _recode(state, j, cut_five(state.X[:, j], pts, qc.closed), "quantity_cut", reason)
    state.rules["quantity_cut"] = {"cells": n, "points": points, "closed": qc.closed}


def _construct_means(state: CleaningState, X: np.ndarray) -> np.ndarray:
    """Missing answers ← the row's mean over the construct's answered items, rounded and
    clipped to the item's scale, when at least half the construct's items are answered."""
    new = X.copy()
    items = state.items
    for _c, js in state.instrument.blocks().items():
        jj = [state.cols.index(i) for i in js]
        B = X[:, jj]
        cnt = np.isfinite(B).sum(axis=1)
        with np.errstate(invalid="ignore"):
            pm = np.where(cnt * 2 >= len(jj), np.nansum(B, axis=1) / np.maximum(cnt, 1), np.nan)
        for t, j in enumerate(jj):
            fill = np.clip(np.round(pm), items[j].scale.min, items[j].scale.max)
            new[:, j] = np.where(np.isnan(B[:, t]), fill, B[:, t])
    return new


def _impute_off(state: CleaningState, options: CleaningOptions) -> None:
    state.rules["impute"] = {"cells": 0, "method": options.imputation.method}


@cleaning_rule(
    "impute",
    order=130,
    enabled=lambda o: o.imputation.method != "none",
    when_off=_impute_off,
)
def impute(state: CleaningState, options: CleaningOptions) -> None:
    """Missing answers imputed: ``item_mean`` (column mean) or ``construct_mean``."""
    imp = options.imputation.method
    _impute_off(state, options)
    X = state.X
    if not len(X):
        return
    if imp == "item_mean":
        new = np.where(np.isnan(X), np.nanmean(X, axis=0)[None, :], X)
    elif imp == "construct_mean":
        new = _construct_means(state, X)
    else:
        raise ConfigError(
            f"unknown imputation method {imp!r}; allowed: none, item_mean, construct_mean",
            key="cleaning.imputation.method",
        )
    r, c = np.nonzero(np.isnan(X) & np.isfinite(new))
    state.log.cells(state.pos[r], c, X[r, c], new[r, c], "impute", f"imputed ({imp})")
    state.rules["impute"]["cells"] = int(len(r))
    state.X = new


@cleaning_rule("pilot", order=140, enabled=lambda o: bool(o.pilot.drop_from_main))
def pilot(state: CleaningState, options: CleaningOptions) -> None:
    """Rows of the pilot wave dropped from the main data (``cleaning.pilot.drop_from_main``)."""
    wave = options.pilot.wave
    if state.wave_column not in state.df.columns:
        return
    is_p = state.df[state.wave_column].to_numpy(dtype=object)[state.pos] == wave
    state.log.dropped(state.pos[is_p], "pilot", f"pilot wave {wave!r} dropped from the main data")
    state.pos, state.X = state.pos[~is_p], state.X[~is_p]
    state.rules["pilot"] = {"rows": int(is_p.sum())}
