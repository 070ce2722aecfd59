"""The defects the demo world's fieldwork injects into the respondents' answers, in exact
numbers round(share * base): partials, straight-liners, speeders and failed attention checks
on disjoint respondents; out-of-range, don't-know and refused codes on distinct cells.

Every step draws from the fieldwork's generator in a fixed order (see
:func:`inject_answer_defects`), so a seed gives the same defects."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..instrument import Item

_RESPONDENT_DEFECTS = ("partials", "straightliners", "speeders", "attention_failed")
_CELL_DEFECTS = ("out_of_range", "dont_know", "refused")


def n_of(share: float, total: int) -> int:
    """Number of defects: round(share * total), halves up."""
    return int(math.floor(float(share) * total + 0.5))


def check_defect_shares(defects: Mapping[str, Any]) -> None:
    """Raise ConfigError when the respondent defects' shares sum above 1."""
    share_sum = sum(float(defects[k]) for k in _RESPONDENT_DEFECTS)
    if share_sum > 1:
        raise ConfigError(
            f"partials + straightliners + speeders + attention_failed = {share_sum:g} exceeds 1 "
            "(they are injected on different respondents)",
            key="fieldwork.defects",
        )


def defect_definitions(params: Mapping[str, Any]) -> dict[str, str]:
    """What each count of ``injected.json`` counts."""
    return {
        "counts": "respondents or cells among first submissions (duplicates excluded)",
        "duplicates": "extra rows: resubmission with the same respondent_id 1-30 min later",
        "out_of_range": "cells with an off-scale code (e.g. 0, 6, 7, 55; >100 for % items)",
        "dont_know": "cells with the item's dont_know code (9; 999 for % items)",
        "refused": "cells with the item's refused code (8; 998 for % items)",
        "straightliners": "respondents with one raw code on every Likert item (injected)",
        "straightliners_natural": "respondents whose true answers happen to be identical",
        "speeders": f"duration_sec < {params['speeder_max_sec']} (others >= 120, completes >= "
        f"{params['normal_min_sec']})",
        "attention_failed": "attention_check != 4 (instructed response: choose 4)",
        "partials": "disposition partial: items after a break-off point missing",
    }


@dataclass(frozen=True)
class DefectSets:
    """Disjoint sorted sets of respondents (rows) with each respondent defect."""

    partials: np.ndarray
    straightliners: np.ndarray
    speeders: np.ndarray
    attention_failed: np.ndarray


def draw_defect_sets(
    rng: np.random.Generator, defects: Mapping[str, Any], n_resp: int
) -> DefectSets:
    """Consecutive slices of one random permutation of the respondents, one per defect."""
    perm = rng.permutation(n_resp)
    counts = {k: n_of(defects[k], n_resp) for k in _RESPONDENT_DEFECTS}
    sets, start = {}, 0
    for k in _RESPONDENT_DEFECTS:
        sets[k] = np.sort(perm[start : start + counts[k]])
        start += counts[k]
    return DefectSets(**sets)


@dataclass(frozen=True)
class CellDefects:
    """Numbers of cells with each cell defect, overall and by item."""

    out_of_range: int
    dont_know: int
    refused: int
    by_item: dict[str, dict[str, int]]


@dataclass(frozen=True)
class AnswerDefects:
    """What :func:`inject_answer_defects` made besides the defective answers."""

    answered: np.ndarray  # number of items answered (before a break-off)
    attention: np.ndarray  # attention check answer (NaN: broke off before it)
    duration: np.ndarray  # interview duration in seconds
    likert: np.ndarray  # mask of the Likert items (straight-lining applies to them)
    cells: CellDefects


def _straight_line(
    rng: np.random.Generator, raw: np.ndarray, likert: np.ndarray, rows: np.ndarray
) -> None:
    """Give each respondent of ``rows`` one raw code (5, 4, 3 or 1) on every Likert item."""
    if len(rows):
        codes = rng.choice(np.array([5.0, 4.0, 3.0, 1.0]), size=len(rows), p=[0.5, 0.2, 0.2, 0.1])
        raw[np.ix_(rows, np.flatnonzero(likert))] = codes[:, None]


def _break_off(rng: np.random.Generator, raw: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Partials break off after k items (3 <= k <= n_items - 4); the rest is missing."""
    n_resp, n_items = raw.shape
    answered = np.full(n_resp, n_items)
    if len(rows):
        k = rng.integers(3, max(4, n_items - 3), len(rows))
        answered[rows] = k
        raw[np.arange(n_items)[None, :] >= answered[:, None]] = np.nan
    return answered


def _out_of_range_codes(it: Item) -> np.ndarray:
    """Off-scale codes for an item: e.g. 0, 6, 7, 55 on a 1-5 scale; 101, 150, 250 for a %."""
    missing = set(it.all_missing_codes)
    if it.kind == "quantity":
        q = it.quantity or {}
        hi = float(q.get("max", 100))
        cand = [hi + 1, hi + 50, hi + 150]
    else:
        cand = [it.scale.min - 1, it.scale.max + 1, it.scale.max + 2, 55]
    return np.array([c for c in cand if c not in missing and not it.scale.min <= c <= it.scale.max])


def _cell_codes(rng: np.random.Generator, it: Item, name: str, n: int) -> np.ndarray | float:
    """Codes for ``n`` cells of item ``it`` with the cell defect ``name``."""
    if name == "out_of_range":
        cand = _out_of_range_codes(it)
        return cand[rng.integers(0, len(cand), n)]
    codes = it.missing_codes.get(name)
    if not codes:
        raise ConfigError(
            f"item {it.id!r} has no {name!r} missing code but fieldwork.defects.{name} > 0",
            key=f"fieldwork.defects.{name}",
        )
    return codes[0]


def _inject_cells(
    rng: np.random.Generator,
    raw: np.ndarray,
    items: Sequence[Item],
    cand_rows: np.ndarray,
    defects: Mapping[str, Any],
) -> CellDefects:
    """Distinct cells of the respondents ``cand_rows`` get off-scale or missing codes."""
    n_items = len(items)
    m = len(cand_rows) * n_items
    n_oor, n_dk, n_rf = (n_of(defects[k], m) for k in _CELL_DEFECTS)
    cells = rng.choice(m, size=n_oor + n_dk + n_rf, replace=False) if m else np.array([], int)
    rows, cols = cand_rows[cells // n_items], cells % n_items
    by_item: dict[str, dict[str, int]] = {k: {} for k in _CELL_DEFECTS}
    kinds = np.repeat(np.array([0, 1, 2]), [n_oor, n_dk, n_rf])
    for j, it in enumerate(items):  # loop over the 16 items only
        sel = cols == j
        for kind_code, name in enumerate(_CELL_DEFECTS):
            s = sel & (kinds == kind_code)
            if not s.any():
                continue
            raw[rows[s], j] = _cell_codes(rng, it, name, int(s.sum()))
            by_item[name][it.id] = int(s.sum())
    return CellDefects(out_of_range=n_oor, dont_know=n_dk, refused=n_rf, by_item=by_item)


def _attention_checks(
    rng: np.random.Generator, answered: np.ndarray, failed: np.ndarray, n_items: int
) -> np.ndarray:
    """Answers to the attention check ("choose 4"), asked after the third block."""
    attention_pos = min(9, n_items)
    att = np.full(len(answered), 4.0)
    att[failed] = rng.choice(np.array([1.0, 2.0, 3.0, 5.0]), len(failed))
    att[answered < attention_pos] = np.nan
    return att


def _durations(
    rng: np.random.Generator,
    params: Mapping[str, Any],
    answered: np.ndarray,
    n_items: int,
    speeders: np.ndarray,
) -> np.ndarray:
    """Durations: normal ~ lognormal(median 420 s), floored; speeders well below the floor."""
    n_resp = len(answered)
    dur = np.maximum(
        np.round(420 * np.exp(0.35 * rng.standard_normal(n_resp))), params["normal_min_sec"]
    )
    dur = np.where(answered < n_items, np.maximum(np.round(dur * answered / n_items), 120), dur)
    dur[speeders] = rng.integers(30, int(params["speeder_max_sec"]), len(speeders))
    return dur


def inject_answer_defects(
    rng: np.random.Generator,
    raw: np.ndarray,
    items: Sequence[Item],
    sets: DefectSets,
    params: Mapping[str, Any],
) -> AnswerDefects:
    """Inject the defects into ``raw`` (respondents x items) in place, in this order:
    straight-liners, partials, cell defects (on the answered cells of the other respondents),
    then draw the attention checks and the durations."""
    likert = np.array([it.kind != "quantity" for it in items])
    _straight_line(rng, raw, likert, sets.straightliners)
    answered = _break_off(rng, raw, sets.partials)
    clean_resp = np.ones(len(raw), dtype=bool)
    clean_resp[sets.partials] = False
    clean_resp[sets.straightliners] = False
    cells = _inject_cells(rng, raw, items, np.flatnonzero(clean_resp), params["defects"])
    attention = _attention_checks(rng, answered, sets.attention_failed, len(items))
    duration = _durations(rng, params, answered, len(items), sets.speeders)
    return AnswerDefects(answered, attention, duration, likert, cells)
