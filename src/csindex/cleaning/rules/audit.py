"""The audit log of the cleaning rules: every dropped row and changed cell, one table.

Entries accumulate as arrays (positions into the input table, item column index, old and new
numbers, rule and reason codes); the table is built once, sorted by source row, rule order and
column. Old values holding an identifier are shown as ``<redacted: kind>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LOG_COLUMNS = ["respondent_id", "row", "column", "old_value", "new_value", "rule", "reason"]
CELL_RULES = ("non_numeric", "dont_know", "refused", "off_scale")
ROW_RULES = ("duplicate", "speeder", "straightlining", "attention", "min_answered")
RECODE_RULES = ("reverse", "quantity_cut", "impute")
# the log's rule names in the order the log lists a row's entries
RULE_ORDER = {
    r: k
    for k, r in enumerate(
        ("duplicate", *CELL_RULES, "missing_code", *ROW_RULES[1:], *RECODE_RULES, "pilot")
    )
}


def format_numbers(v: np.ndarray) -> np.ndarray:
    """Numbers as log text: integers without '.0', missing as ''. Formats each distinct value
    once (a log holds few distinct codes)."""
    v = np.asarray(v, dtype=float)
    codes, uniq = pd.factorize(v, use_na_sentinel=True)
    uniq = np.asarray(uniq, dtype=float)
    txt = np.full(len(uniq) + 1, "", dtype=object)
    fin = np.isfinite(uniq)
    whole = fin & (np.floor(uniq) == uniq) & (np.abs(uniq) < 1e15)
    txt[:-1][whole] = uniq[whole].astype(np.int64).astype(str)
    rest = fin & ~whole
    txt[:-1][rest] = [f"{x:.10g}" for x in uniq[rest]]
    return txt[codes]  # code -1 (missing) takes the last entry, ""


def redact_log_values(values: np.ndarray) -> np.ndarray:
    """Old cell values as the log may show them: a value holding an identifier (a phone typed
    into a quantity item, a name in an item cell) becomes ``<redacted: kind>``. Each distinct
    value is checked once."""
    from ..privacy import redact_values

    codes, uniq = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    if not len(uniq):
        return values
    clean = redact_values(pd.Series(uniq, dtype=object)).to_numpy(dtype=object)
    return clean[codes]


class AuditLog:
    """Accumulates log entries as arrays and builds the log table once (:meth:`frame`)."""

    def __init__(self, ids: pd.Series, rows: np.ndarray, cols: list[str]) -> None:
        self.ids, self.rows, self.cols = ids, rows, cols
        self.parts: list[dict[str, Any]] = []
        self.reasons: list[str] = []

    def _reason_codes(self, reason, n: int, c: np.ndarray | None = None) -> np.ndarray:
        reason = np.asarray(reason, dtype=object)
        base = len(self.reasons)
        if reason.ndim == 0:
            self.reasons.append(str(reason))
            return np.full(n, base, dtype=np.int64)
        self.reasons.extend(str(x) for x in reason)
        return base + (np.asarray(c, dtype=np.int64) if c is not None else np.arange(n))

    def cells(self, pos, c, old, new, rule: str, reason) -> None:
        """Changed cells; ``reason`` one string, or one per item column (indexed by ``c``)."""
        n = len(pos)
        if not n:
            return
        c = np.broadcast_to(np.asarray(c, dtype=np.int64), (n,))
        per_col = np.ndim(reason) == 1
        self.parts.append(
            {"pos": pos, "c": c, "old": old, "new": new, "rule": rule,
             "reason": self._reason_codes(reason, n, c if per_col else None)}
        )  # fmt: skip

    def text_cells(self, pos, c, old_text, rule: str, reason: str) -> None:
        """Changed cells whose old value is text (shown as given, redacted if an identifier)."""
        n = len(pos)
        if not n:
            return
        self.parts.append(
            {"pos": pos, "c": np.asarray(c, dtype=np.int64), "old": np.full(n, np.nan),
             "new": np.full(n, np.nan), "rule": rule, "reason": self._reason_codes(reason, n),
             "old_text": np.asarray(old_text, dtype=object)}
        )  # fmt: skip

    def dropped(self, pos, rule: str, reason) -> None:
        """Dropped rows; ``reason`` one string or one per entry of ``pos``."""
        n = len(pos)
        if not n:
            return
        self.parts.append(
            {"pos": pos, "c": np.full(n, -1, dtype=np.int64), "old": np.full(n, np.nan),
             "new": np.full(n, np.nan), "rule": rule, "reason": self._reason_codes(reason, n),
             "new_text": "dropped"}
        )  # fmt: skip

    def _values(self, lens: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Old and new values as text, in entry order; old values redacted."""
        old = format_numbers(np.concatenate([p["old"] for p in self.parts]))
        new = format_numbers(np.concatenate([p["new"] for p in self.parts]))
        start = 0
        for p, n in zip(self.parts, lens, strict=True):
            if "old_text" in p:
                old[start : start + n] = p["old_text"]
            if "new_text" in p:
                new[start : start + n] = p["new_text"]
            start += n
        return redact_log_values(old), new

    def frame(self) -> pd.DataFrame:
        """The log table (:data:`LOG_COLUMNS`), sorted by source row, rule order, column."""
        parts = self.parts
        if not parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in LOG_COLUMNS})
        lens = [len(p["pos"]) for p in parts]
        pos = np.concatenate([np.asarray(p["pos"], dtype=np.int64) for p in parts])
        c = np.concatenate([p["c"] for p in parts])
        rank = np.repeat(np.asarray([RULE_ORDER[p["rule"]] for p in parts], dtype=np.int64), lens)
        reason = np.concatenate([p["reason"] for p in parts])
        rows = self.rows[pos]
        key = (rows * 32 + rank) * (len(self.cols) + 1) + (c + 1)
        o = np.argsort(key, kind="stable")
        old, new = self._values(lens)
        colnames = np.asarray(["", *self.cols], dtype=object)
        rule_names = np.asarray(list(RULE_ORDER), dtype=object)
        obj = {
            "column": colnames[c[o] + 1],
            "old_value": old[o],
            "new_value": new[o],
            "rule": rule_names[rank[o]],
            "reason": np.asarray(self.reasons, dtype=object)[reason[o]],
        }
        ids = self.ids.take(pos[o]).reset_index(drop=True)
        return pd.DataFrame(
            {
                "respondent_id": ids,
                "row": rows[o],
                # object columns as they are: no conversion of millions of strings to Arrow
                **{k: pd.Series(v, dtype=object, copy=False) for k, v in obj.items()},
            }
        )
