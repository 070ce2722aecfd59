"""Rule ``duplicate``: rows sharing a key (``respondent_id``, then ``unit_id``) — keep the
first, the last or the most complete (most valid answers; ties: first); then the rows left
become the working table of the later rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..codebook import missing_code_mask, valid_mask
from .options import CleaningOptions
from .registry import cleaning_rule
from .state import CleaningState


def _search_order(state: CleaningState, keep: str) -> np.ndarray:
    """Rows in the order the first of each key wins: as given, or most valid answers first."""
    n0 = len(state.df)
    if keep != "most_complete":
        return np.arange(n0)
    n_valid = np.zeros(n0, dtype=np.int64)
    for j, it in enumerate(state.items):
        x = state.X[:, j]
        n_valid += valid_mask(it, x) & ~missing_code_mask(it, x)
    return np.argsort(-n_valid, kind="stable")


def _drop_key(state: CleaningState, key: str, order: np.ndarray, keep: str) -> int:
    """Drop (in ``state.keep``) the rows repeating a value of ``key``; the number dropped."""
    df = state.df
    codes, _ = pd.factorize(df[key], use_na_sentinel=True)
    kv = df[key].to_numpy(dtype=object)
    present = codes >= 0
    present[present] = kv[present] != ""
    cand = order[state.keep[order] & present[order]]
    if keep == "last":
        cand = cand[::-1]
    ck = codes[cand]
    _, first_pos = np.unique(ck, return_index=True)
    is_first = np.zeros(len(cand), bool)
    is_first[first_pos] = True
    drop_idx = np.sort(cand[~is_first])
    if not len(drop_idx):
        return 0
    winner = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    winner[ck[first_pos]] = cand[first_pos]
    kept_row = state.rows[winner[codes[drop_idx]]]
    reason = (
        f"duplicate {key} "
        + pd.Series(kv[drop_idx], dtype=object).astype(str)
        + "; kept row "
        + pd.Series(kept_row).astype(str)
        + f" ({keep})"
    ).to_numpy(dtype=object)
    state.log.dropped(drop_idx, "duplicate", reason)
    state.keep[drop_idx] = False
    return len(drop_idx)


@cleaning_rule("duplicate", order=10)
def duplicates(state: CleaningState, options: CleaningOptions) -> None:
    """Drop duplicate rows, key by key (``cleaning.duplicates``)."""
    dup = options.duplicates
    count = 0
    if dup.enabled:
        order = _search_order(state, dup.keep)
        for key in dup.keys:
            if key in state.df.columns:
                count += _drop_key(state, key, order, dup.keep)
    state.rules["duplicate"] = {"rows": int(count), "keep": dup.keep, "enabled": dup.enabled}


@cleaning_rule("select_rows", order=20)
def select_rows(state: CleaningState, options: CleaningOptions) -> None:
    """Keep the rows left by the duplicates rule; note which item cells were answered (not
    blank; a text cell found at ingest counts as answered)."""
    sel = np.flatnonzero(state.keep)
    n0 = len(state.keep)
    if len(sel) != n0:
        state.X = state.X[sel]
    state.pos = sel
    state.nonblank = ~np.isnan(state.X)
    if len(state.text_pos):
        at_sel = np.full(n0, -1, dtype=np.int64)
        at_sel[sel] = np.arange(len(sel))
        ok = at_sel[state.text_pos] >= 0
        state.text_pos = state.text_pos[ok]
        state.text_col = state.text_col[ok]
        state.text_val = state.text_val[ok]
        state.nonblank[at_sel[state.text_pos], state.text_col] = True
