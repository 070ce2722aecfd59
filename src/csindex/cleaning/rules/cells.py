"""Cell rules: ``non_numeric`` (text in an item cell, found at ingest), ``dont_know``,
``refused`` and other ``missing_code`` codes, and ``off_scale`` answers → missing, each logged."""

from __future__ import annotations

import numpy as np

from ..codebook import missing_code_mask, valid_mask
from .options import CleaningOptions
from .registry import cleaning_rule
from .state import CleaningState

CODE_RULES = (
    ("dont_know", "don't-know code"),
    ("refused", "refused code"),
    ("missing_code", "missing code"),
)


@cleaning_rule("non_numeric", order=30)
def non_numeric(state: CleaningState, options: CleaningOptions) -> None:
    """Log the item cells that held text at ingest (already missing in the table)."""
    state.log.text_cells(
        state.text_pos, state.text_col, state.text_val, "non_numeric", "text in a numeric item cell"
    )
    state.rules["non_numeric"] = {"cells": int(len(state.text_pos))}


def _code_masks(item, x: np.ndarray) -> dict[str, np.ndarray]:
    """Cells holding the item's don't-know, refused and other missing codes."""
    dk = missing_code_mask(item, x, "dont_know")
    rf = missing_code_mask(item, x, "refused")
    return {"dont_know": dk, "refused": rf, "missing_code": missing_code_mask(item, x) & ~dk & ~rf}


def _set_missing(state: CleaningState, j: int, mask: np.ndarray, rule: str, reason: str) -> int:
    """Log and blank the cells ``mask`` of item column ``j``; the number of cells."""
    x = state.X[:, j]
    r = np.flatnonzero(mask)
    if len(r):
        state.log.cells(state.pos[r], j, x[r], np.full(len(r), np.nan), rule, reason)
        x[r] = np.nan
    return len(r)


def _codes_summary(state: CleaningState, counts: dict[str, int], on: bool) -> None:
    for rule, _ in CODE_RULES:
        if rule != "missing_code" or counts[rule]:
            state.rules[rule] = {"cells": counts[rule], "enabled": on}


@cleaning_rule(
    "missing_codes",
    order=40,
    enabled=lambda o: bool(o.missing_codes.enabled),
    when_off=lambda s, o: _codes_summary(s, dict.fromkeys((r for r, _ in CODE_RULES), 0), False),
)
def missing_codes(state: CleaningState, options: CleaningOptions) -> None:
    """Don't-know, refused and other missing codes → missing (``cleaning.missing_codes``)."""
    counts = dict.fromkeys((r for r, _ in CODE_RULES), 0)
    for j, it in enumerate(state.items):  # loop over items: each column is contiguous
        masks = _code_masks(it, state.X[:, j])
        for rule, reason in CODE_RULES:
            counts[rule] += _set_missing(state, j, masks[rule], rule, reason)
    _codes_summary(state, counts, True)


def _off_scale_reason(item) -> str:
    if item.kind == "quantity":
        q = item.quantity or {}
        return f"not in the range {q.get('min')}..{q.get('max')}"
    return f"not on the {item.scale.min:g}..{item.scale.max:g} scale"


def _off_scale_summary(state: CleaningState, cells: int, on: bool) -> None:
    state.rules["off_scale"] = {"cells": cells, "enabled": on}


@cleaning_rule(
    "off_scale",
    order=50,
    enabled=lambda o: bool(o.off_scale.enabled),
    when_off=lambda s, o: _off_scale_summary(s, 0, False),
)
def off_scale(state: CleaningState, options: CleaningOptions) -> None:
    """Answers off the item's scale or range (and not a missing code) → missing."""
    n = 0
    for j, it in enumerate(state.items):
        x = state.X[:, j]
        codes = missing_code_mask(it, x)
        off = ~np.isnan(x) & ~valid_mask(it, x) & ~codes
        n += _set_missing(state, j, off, "off_scale", _off_scale_reason(it))
    _off_scale_summary(state, n, True)
