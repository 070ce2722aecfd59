"""Row rules, each flagging rows independently on the same de-duplicated rows (so each count
is the number of rows meeting that rule's criterion): ``speeder``, ``straightlining``,
``attention``, ``min_answered``; then the flagged rows are dropped (a row failing several is
logged once per rule and dropped once)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .audit import format_numbers
from .options import CleaningOptions
from .registry import cleaning_rule
from .state import CleaningState

ROW_FLAGS = ("speeder", "straightlining", "attention", "min_answered")


def _off(rule: str):
    """The summary entry of a row rule that did not run."""

    def when_off(state: CleaningState, options: CleaningOptions) -> None:
        state.rules[rule] = {"rows": 0, "enabled": False}

    return when_off


def _flag(state: CleaningState, rule: str, flag: np.ndarray) -> np.ndarray:
    """Store the rule's flags; the positions of the flagged rows."""
    state.flags[rule] = flag
    return np.flatnonzero(flag)


@cleaning_rule(
    "speeder", order=60, enabled=lambda o: bool(o.speeders.enabled), when_off=_off("speeder")
)
def speeders(state: CleaningState, options: CleaningOptions) -> None:
    """Speeder: duration < fraction × median duration (``cleaning.speeders``)."""
    sp = options.speeders
    d = state.column(state.duration_column)
    if d is None:
        return _off("speeder")(state, options)
    med = float(np.nanmedian(d)) if np.isfinite(d).any() else np.nan
    thr = sp.fraction * med
    with np.errstate(invalid="ignore"):
        idx = _flag(state, "speeder", d < thr)
    state.reasons["speeder"] = (
        "duration "
        + pd.Series(format_numbers(d[idx]), dtype=object)
        + f" s < {sp.fraction:g} x median {med:g} s"
    ).to_numpy(dtype=object)
    state.rules["speeder"] = {"rows": int(len(idx)), "median_duration": med, "threshold": thr}


def _longest_run(L: np.ndarray, C: np.ndarray, lo: float, hi: float):
    """Per row: the most frequent answer among the Likert columns ``L`` (ties: the lowest),
    how often it is given and over how many constructs (``C`` item × construct indicator)."""
    n = len(L)
    best_n = np.zeros(n, dtype=np.int64)
    best_c = np.zeros(n, dtype=np.int64)
    best_v = np.full(n, np.nan)
    for v in np.arange(lo, hi + 1):  # loop over scale points only
        eq = L == v
        cnt = eq.sum(axis=1)
        better = cnt > best_n
        if not better.any():
            continue
        ncon = ((eq[better].astype(np.float32) @ C) > 0).sum(axis=1)
        best_n[better] = cnt[better]
        best_c[better] = ncon
        best_v[better] = v
    return best_n, best_c, best_v


@cleaning_rule(
    "straightlining",
    order=70,
    enabled=lambda o: bool(o.straightlining.enabled),
    when_off=_off("straightlining"),
)
def straightlining(state: CleaningState, options: CleaningOptions) -> None:
    """The same raw answer on ≥ k Likert items spanning ≥ m constructs."""
    sl = options.straightlining
    items = state.items
    likert = [j for j, it in enumerate(items) if it.kind == "likert"]
    if not likert:
        return _off("straightlining")(state, options)
    cons = np.asarray([items[j].construct for j in likert])
    _, cidx = np.unique(cons, return_inverse=True)
    C = np.zeros((len(likert), cidx.max() + 1), dtype=np.float32)
    C[np.arange(len(likert)), cidx] = 1.0
    k = sl.min_items or len(likert)
    lo = min(items[j].scale.min for j in likert)
    hi = max(items[j].scale.max for j in likert)
    best_n, best_c, best_v = _longest_run(state.X[:, likert], C, lo, hi)
    idx = _flag(state, "straightlining", (best_n >= k) & (best_c >= sl.min_constructs))
    state.reasons["straightlining"] = (
        "answer "
        + pd.Series(format_numbers(best_v[idx]), dtype=object)
        + " on "
        + pd.Series(best_n[idx]).astype(str)
        + " Likert items of "
        + pd.Series(best_c[idx]).astype(str)
        + f" constructs (k = {k})"
    ).to_numpy(dtype=object)
    state.rules["straightlining"] = {
        "rows": int(len(idx)),
        "min_items": int(k),
        "min_constructs": sl.min_constructs,
    }


@cleaning_rule(
    "attention", order=80, enabled=lambda o: bool(o.attention.enabled), when_off=_off("attention")
)
def attention(state: CleaningState, options: CleaningOptions) -> None:
    """The instructed answer of the attention check not given (missing fails if so set)."""
    at = options.attention
    a = state.column(at.column)
    if a is None:
        return _off("attention")(state, options)
    miss = np.isnan(a)
    idx = _flag(
        state, "attention", (~miss & (a != float(at.expected))) | (miss & bool(at.missing_fails))
    )
    ans = format_numbers(a[idx])
    ans[ans == ""] = "(missing)"
    state.reasons["attention"] = (
        "attention check answered "
        + pd.Series(ans, dtype=object)
        + f", instructed {float(at.expected):g}"
    ).to_numpy(dtype=object)
    state.rules["attention"] = {"rows": int(len(idx))}


@cleaning_rule(
    "min_answered",
    order=90,
    enabled=lambda o: bool(o.min_answered.enabled),
    when_off=_off("min_answered"),
)
def min_answered(state: CleaningState, options: CleaningOptions) -> None:
    """Answered items < share × number of items (nonblank: any code counts; valid: only valid
    answers count)."""
    ma = options.min_answered
    p = len(state.cols)
    if not p:
        return _off("min_answered")(state, options)
    if ma.count == "nonblank":
        n_ans = state.nonblank.sum(axis=1)
        what = "items answered (any code)"
    else:
        n_ans = np.isfinite(state.X).sum(axis=1)
        what = "items with a valid answer"
    idx = _flag(state, "min_answered", n_ans < ma.share * p)
    state.reasons["min_answered"] = (
        pd.Series(n_ans[idx]).astype(str) + f" of {p} {what} < {ma.share:g} x {p}"
    ).to_numpy(dtype=object)
    state.rules["min_answered"] = {"rows": int(len(idx)), "share": ma.share, "count": ma.count}


@cleaning_rule("drop_flagged_rows", order=100)
def drop_flagged_rows(state: CleaningState, options: CleaningOptions) -> None:
    """Drop the rows flagged by any row rule, logging each rule's rows with its reasons."""
    drop = np.zeros(len(state.pos), bool)
    for rule in ROW_FLAGS:
        if rule in state.flags:
            state.log.dropped(state.pos[state.flags[rule]], rule, state.reasons[rule])
            drop |= state.flags[rule]
    state.summary["rows_flagged_by_row_rules"] = int(drop.sum())
    kept = np.flatnonzero(~drop)
    state.flag_pos = state.pos
    state.pos = state.pos[kept]
    state.X = state.X[kept]
