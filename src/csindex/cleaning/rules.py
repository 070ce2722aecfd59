"""The cleaning rules, each configurable and each writing to the log.

Order (cell rules see the rows left by the duplicates rule; row rules are evaluated
independently of each other on the same rows, so each count is the number of rows meeting that
rule's criterion; a row failing several is logged once per rule and dropped once):

1. ``duplicates``: rows sharing a key (``respondent_id``, then ``unit_id``) — keep first, last
   or the most complete (most valid answers; ties: first).
2. cell rules: ``non_numeric`` (text in an item cell, found at ingest), ``dont_know`` and
   ``refused`` codes, ``off_scale`` codes → missing.
3. row rules: ``speeder`` (duration < fraction × median duration), ``straightlining`` (the same
   raw answer on ≥ k Likert items spanning ≥ m constructs), ``attention`` (instructed answer not
   given), ``min_answered`` (valid answers < share × number of items) → row dropped.
4. recodes on kept rows: ``reverse`` (x → min + max − x), ``quantity_cut`` (a quantity in five
   intervals → 1..5, seed 001 section 二), ``impute`` (optional).

Everything is vectorised over respondents (loops run over items and scale points only).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..instrument import Instrument, Item
from .codebook import missing_code_mask, valid_mask

CLEANING_DEFAULTS: dict[str, Any] = {
    "max_offscale_share": 0.2,
    "missing_codes": {"enabled": True},
    "off_scale": {"enabled": True},
    "duplicates": {"enabled": True, "keys": ["respondent_id", "unit_id"], "keep": "first"},
    "speeders": {"enabled": True, "fraction": 0.25},
    "straightlining": {"enabled": True, "min_items": None, "min_constructs": 3},
    "attention": {
        "enabled": True,
        "column": "attention_check",
        "expected": 4,
        "missing_fails": False,
    },
    "min_answered": {"enabled": True, "share": 0.8, "count": "nonblank"},
    "reverse": {"enabled": True},
    "quantity_cut": {"enabled": True, "method": "instrument", "points": None, "closed": "left"},
    "imputation": {"method": "none"},
    "pilot": {"wave": "pilot", "drop_from_main": False},
}

LOG_COLUMNS = ["respondent_id", "row", "column", "old_value", "new_value", "rule", "reason"]
CELL_RULES = ("non_numeric", "dont_know", "refused", "off_scale")
ROW_RULES = ("duplicate", "speeder", "straightlining", "attention", "min_answered")
RECODE_RULES = ("reverse", "quantity_cut", "impute")
RULE_ORDER = {
    r: k
    for k, r in enumerate(
        ("duplicate", *CELL_RULES, "missing_code", *ROW_RULES[1:], *RECODE_RULES, "pilot")
    )
}


def merge_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The cleaning config with defaults filled in (one level of nesting)."""
    out = copy.deepcopy(CLEANING_DEFAULTS)
    for k, v in (config or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


@dataclass
class CleanResult:
    """Cleaned responses, the log of every change and the counts per rule."""

    data: pd.DataFrame
    log: pd.DataFrame
    summary: dict[str, Any]
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.data


# ------------------------------------------------------------------------------------ helpers
def _fmt(v: np.ndarray) -> np.ndarray:
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


def _redact_log_values(values: np.ndarray) -> np.ndarray:
    """Old cell values as the log may show them: a value holding an identifier (a phone typed
    into a quantity item, a name in an item cell) becomes ``<redacted: kind>``. Each distinct
    value is checked once."""
    from .privacy import redact_values

    codes, uniq = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    if not len(uniq):
        return values
    clean = redact_values(pd.Series(uniq, dtype=object)).to_numpy(dtype=object)
    return clean[codes]


class _Log:
    """Accumulates log entries as arrays — positions into the input table, item column index,
    old and new numbers, rule and reason codes — and builds the log table once, sorted by
    source row, rule order and column (no per-entry Python objects until the end)."""

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

    def frame(self) -> pd.DataFrame:
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
        old = _fmt(np.concatenate([p["old"] for p in parts]))
        new = _fmt(np.concatenate([p["new"] for p in parts]))
        start = 0
        for p, n in zip(parts, lens, strict=True):
            if "old_text" in p:
                old[start : start + n] = p["old_text"]
            if "new_text" in p:
                new[start : start + n] = p["new_text"]
            start += n
        old = _redact_log_values(old)
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


# ------------------------------------------------------------------------------------ clean
def clean_responses(
    df: pd.DataFrame,
    instrument: Instrument,
    config: dict[str, Any] | None = None,
    *,
    non_numeric: pd.DataFrame | None = None,
    duration_column: str = "duration_sec",
    wave_column: str = "wave",
) -> CleanResult:
    """Apply the cleaning rules (module docstring) to an ingested table (``respondent_id``,
    ``source_row`` optional, item columns as float64). ``non_numeric`` lists the item cells
    holding text at ingest (columns row, column, value) so they are logged too."""
    cfg = merge_config(config)
    items = instrument.items
    cols = [it.id for it in items]
    n0 = len(df)
    absent = [c for c in ["respondent_id", *cols] if c not in df.columns]
    if absent:
        raise InputError(
            f"the table to clean lacks column(s) {', '.join(absent)} (ingest it first: "
            "csindex.cleaning.ingest_file)",
            column=absent[0],
        )
    ids_all = df["respondent_id"].astype(str)
    rows_all = (
        df["source_row"].to_numpy(dtype=np.int64)
        if "source_row" in df.columns
        else np.arange(1, n0 + 1, dtype=np.int64)
    )
    p = len(cols)
    X_all = np.empty((n0, p), dtype=float, order="F")
    for j, it in enumerate(items):
        X_all[:, j] = df[it.id].to_numpy(dtype=float, na_value=np.nan)
    # text cells found at ingest: answered (not blank), logged as non_numeric
    text_pos = np.array([], dtype=np.int64)
    text_col = np.array([], dtype=np.int64)
    text_val = np.array([], dtype=object)
    if non_numeric is not None and len(non_numeric):
        nn = non_numeric[non_numeric["column"].isin(cols) & non_numeric["row"].isin(rows_all)]
        at_row = pd.Series(np.arange(n0), index=rows_all)
        text_pos = at_row.loc[nn["row"].to_numpy()].to_numpy()
        text_col = nn["column"].map({c: j for j, c in enumerate(cols)}).to_numpy(dtype=np.int64)
        text_val = nn["value"].astype(str).str.slice(0, 40).to_numpy(dtype=object)

    log = _Log(ids_all, rows_all, cols)
    summary: dict[str, Any] = {"rows_in": int(n0), "rules": {}}

    # 1. duplicates ---------------------------------------------------------------------------
    dup_cfg = cfg["duplicates"]
    keep = np.ones(n0, bool)
    dup_count = 0
    if dup_cfg["enabled"]:
        if dup_cfg["keep"] == "most_complete":
            n_valid_all = np.zeros(n0, dtype=np.int64)
            for j, it in enumerate(items):
                n_valid_all += valid_mask(it, X_all[:, j]) & ~missing_code_mask(it, X_all[:, j])
            order = np.argsort(-n_valid_all, kind="stable")
        else:
            order = np.arange(n0)
        for key in dup_cfg["keys"]:
            if key not in df.columns:
                continue
            codes, _ = pd.factorize(df[key], use_na_sentinel=True)
            kv = df[key].to_numpy(dtype=object)
            present = codes >= 0
            present[present] = kv[present] != ""
            cand = order[keep[order] & present[order]]
            if dup_cfg["keep"] == "last":
                cand = cand[::-1]
            ck = codes[cand]
            _, first_pos = np.unique(ck, return_index=True)
            is_first = np.zeros(len(cand), bool)
            is_first[first_pos] = True
            drop_idx = np.sort(cand[~is_first])
            if len(drop_idx):
                winner = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
                winner[ck[first_pos]] = cand[first_pos]
                kept_row = rows_all[winner[codes[drop_idx]]]
                reason = (
                    f"duplicate {key} "
                    + pd.Series(kv[drop_idx], dtype=object).astype(str)
                    + "; kept row "
                    + pd.Series(kept_row).astype(str)
                    + f" ({dup_cfg['keep']})"
                ).to_numpy(dtype=object)
                log.dropped(drop_idx, "duplicate", reason)
                keep[drop_idx] = False
                dup_count += len(drop_idx)
    summary["rules"]["duplicate"] = {
        "rows": int(dup_count),
        "keep": dup_cfg["keep"],
        "enabled": dup_cfg["enabled"],
    }

    # rows after de-duplication (positions ``sel`` into the input)
    sel = np.flatnonzero(keep)
    X = X_all if len(sel) == n0 else X_all[sel]
    n1 = len(sel)
    del X_all
    nonblank = ~np.isnan(X)
    if len(text_pos):
        at_sel = np.full(n0, -1, dtype=np.int64)
        at_sel[sel] = np.arange(n1)
        ok = at_sel[text_pos] >= 0
        text_pos, text_col, text_val = text_pos[ok], text_col[ok], text_val[ok]
        nonblank[at_sel[text_pos], text_col] = True

    def column(name: str) -> np.ndarray | None:
        if name not in df.columns:
            return None
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[sel]

    # 2. cell rules ---------------------------------------------------------------------------
    log.text_cells(text_pos, text_col, text_val, "non_numeric", "text in a numeric item cell")
    summary["rules"]["non_numeric"] = {"cells": int(len(text_pos))}
    on_codes = bool(cfg["missing_codes"]["enabled"])
    on_off = bool(cfg["off_scale"]["enabled"])
    counts = dict.fromkeys(("dont_know", "refused", "missing_code", "off_scale"), 0)
    for j, it in enumerate(items):  # loop over items: each column is contiguous
        x = X[:, j]
        dk = missing_code_mask(it, x, "dont_know")
        rf = missing_code_mask(it, x, "refused")
        other = missing_code_mask(it, x) & ~dk & ~rf
        off = ~np.isnan(x) & ~valid_mask(it, x) & ~dk & ~rf & ~other
        if it.kind == "quantity":
            q = it.quantity or {}
            why = f"not in the range {q.get('min')}..{q.get('max')}"
        else:
            why = f"not on the {it.scale.min:g}..{it.scale.max:g} scale"
        for rule, m, on, reason in (
            ("dont_know", dk, on_codes, "don't-know code"),
            ("refused", rf, on_codes, "refused code"),
            ("missing_code", other, on_codes, "missing code"),
            ("off_scale", off, on_off, why),
        ):
            if not on:
                continue
            r = np.flatnonzero(m)
            if len(r):
                log.cells(sel[r], j, x[r], np.full(len(r), np.nan), rule, reason)
                counts[rule] += len(r)
                x[r] = np.nan
    for rule in ("dont_know", "refused", "missing_code", "off_scale"):
        on = on_off if rule == "off_scale" else on_codes
        if rule != "missing_code" or counts[rule]:
            summary["rules"][rule] = {"cells": counts[rule], "enabled": on}

    # 3. row rules (independent flags on the de-duplicated rows) ------------------------------
    flags: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    sp = cfg["speeders"]
    d = column(duration_column) if sp["enabled"] else None
    if d is not None:
        med = float(np.nanmedian(d)) if np.isfinite(d).any() else np.nan
        thr = sp["fraction"] * med
        with np.errstate(invalid="ignore"):
            flags["speeder"] = d < thr
        idx = np.flatnonzero(flags["speeder"])
        reasons["speeder"] = (
            "duration "
            + pd.Series(_fmt(d[idx]), dtype=object)
            + f" s < {sp['fraction']:g} x median {med:g} s"
        ).to_numpy(dtype=object)
        summary["rules"]["speeder"] = {
            "rows": int(len(idx)),
            "median_duration": med,
            "threshold": thr,
        }
    else:
        summary["rules"]["speeder"] = {"rows": 0, "enabled": False}

    sl = cfg["straightlining"]
    likert = [j for j, it in enumerate(items) if it.kind == "likert"]
    if sl["enabled"] and likert:
        L = X[:, likert]
        cons = np.asarray([items[j].construct for j in likert])
        _, cidx = np.unique(cons, return_inverse=True)
        C = np.zeros((len(likert), cidx.max() + 1), dtype=np.float32)
        C[np.arange(len(likert)), cidx] = 1.0
        k = sl["min_items"] or len(likert)
        lo = min(items[j].scale.min for j in likert)
        hi = max(items[j].scale.max for j in likert)
        best_n = np.zeros(n1, dtype=np.int64)
        best_c = np.zeros(n1, dtype=np.int64)
        best_v = np.full(n1, np.nan)
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
        flags["straightlining"] = (best_n >= k) & (best_c >= sl["min_constructs"])
        idx = np.flatnonzero(flags["straightlining"])
        reasons["straightlining"] = (
            "answer "
            + pd.Series(_fmt(best_v[idx]), dtype=object)
            + " on "
            + pd.Series(best_n[idx]).astype(str)
            + " Likert items of "
            + pd.Series(best_c[idx]).astype(str)
            + f" constructs (k = {k})"
        ).to_numpy(dtype=object)
        summary["rules"]["straightlining"] = {
            "rows": int(len(idx)),
            "min_items": int(k),
            "min_constructs": sl["min_constructs"],
        }
    else:
        summary["rules"]["straightlining"] = {"rows": 0, "enabled": False}

    at = cfg["attention"]
    a = column(at["column"]) if at["enabled"] else None
    if a is not None:
        miss = np.isnan(a)
        flags["attention"] = (~miss & (a != float(at["expected"]))) | (
            miss & bool(at["missing_fails"])
        )
        idx = np.flatnonzero(flags["attention"])
        ans = _fmt(a[idx])
        ans[ans == ""] = "(missing)"
        reasons["attention"] = (
            "attention check answered "
            + pd.Series(ans, dtype=object)
            + f", instructed {float(at['expected']):g}"
        ).to_numpy(dtype=object)
        summary["rules"]["attention"] = {"rows": int(len(idx))}
    else:
        summary["rules"]["attention"] = {"rows": 0, "enabled": False}

    ma = cfg["min_answered"]
    if ma["enabled"] and cols:
        if ma.get("count", "nonblank") == "nonblank":
            n_ans = nonblank.sum(axis=1)
            what = "items answered (any code)"
        else:
            n_ans = np.isfinite(X).sum(axis=1)
            what = "items with a valid answer"
        need = ma["share"] * len(cols)
        flags["min_answered"] = n_ans < need
        idx = np.flatnonzero(flags["min_answered"])
        reasons["min_answered"] = (
            pd.Series(n_ans[idx]).astype(str)
            + f" of {len(cols)} {what} < {ma['share']:g} x {len(cols)}"
        ).to_numpy(dtype=object)
        summary["rules"]["min_answered"] = {
            "rows": int(len(idx)),
            "share": ma["share"],
            "count": ma.get("count", "nonblank"),
        }
    else:
        summary["rules"]["min_answered"] = {"rows": 0, "enabled": False}

    drop = np.zeros(n1, bool)
    for rule in ("speeder", "straightlining", "attention", "min_answered"):
        if rule in flags:
            log.dropped(sel[flags[rule]], rule, reasons[rule])
            drop |= flags[rule]
    summary["rows_flagged_by_row_rules"] = int(drop.sum())

    # 4. recodes on kept rows -------------------------------------------------------------------
    kept = np.flatnonzero(~drop)
    gkept = sel[kept]
    Xk = X[kept]
    if cfg["reverse"]["enabled"]:
        rev = [j for j, it in enumerate(items) if it.reverse and it.kind == "likert"]
        n_rev = 0
        for j in rev:
            old = Xk[:, j]
            new = items[j].scale.min + items[j].scale.max - old
            r = np.flatnonzero(np.isfinite(old) & (new != old))
            log.cells(
                gkept[r],
                np.full(len(r), j),
                old[r],
                new[r],
                "reverse",
                "reverse-coded item: min + max - x",
            )
            n_rev += len(r)
            Xk[:, j] = new
        summary["rules"]["reverse"] = {"cells": n_rev, "items": [cols[j] for j in rev]}
    qc = cfg["quantity_cut"]
    if qc["enabled"]:
        qitems = [j for j, it in enumerate(items) if it.kind == "quantity"]
        points = {}
        n_cut = 0
        for j in qitems:
            old = Xk[:, j]
            pts = cut_points(items[j], old, qc)
            points[cols[j]] = pts.tolist()
            new = cut_five(old, pts, qc["closed"])
            r = np.flatnonzero(np.isfinite(old) & (new != old))
            log.cells(
                gkept[r], np.full(len(r), j), old[r], new[r], "quantity_cut",
                f"cut into five levels at {points[cols[j]]} ({qc['closed']}-closed)",
            )  # fmt: skip
            n_cut += len(r)
            Xk[:, j] = new
        summary["rules"]["quantity_cut"] = {
            "cells": n_cut,
            "points": points,
            "closed": qc["closed"],
        }
    imp = cfg["imputation"]["method"]
    summary["rules"]["impute"] = {"cells": 0, "method": imp}
    if imp != "none" and len(Xk):
        new = Xk.copy()
        miss = np.isnan(Xk)
        if imp == "item_mean":
            mu = np.nanmean(Xk, axis=0)
            new = np.where(miss, mu[None, :], Xk)
        elif imp == "construct_mean":
            for _c, js in instrument.blocks().items():
                jj = [cols.index(i) for i in js]
                B = Xk[:, jj]
                cnt = np.isfinite(B).sum(axis=1)
                with np.errstate(invalid="ignore"):
                    pm = np.where(
                        cnt * 2 >= len(jj), np.nansum(B, axis=1) / np.maximum(cnt, 1), np.nan
                    )
                for t, j in enumerate(jj):
                    fill = np.clip(np.round(pm), items[j].scale.min, items[j].scale.max)
                    new[:, j] = np.where(np.isnan(B[:, t]), fill, B[:, t])
        else:
            raise ConfigError(
                f"unknown imputation method {imp!r}; allowed: none, item_mean, construct_mean",
                key="cleaning.imputation.method",
            )
        r, c = np.nonzero(miss & np.isfinite(new))
        log.cells(gkept[r], c, Xk[r, c], new[r, c], "impute", f"imputed ({imp})")
        summary["rules"]["impute"]["cells"] = int(len(r))
        Xk = new

    # output -------------------------------------------------------------------------------------
    final = gkept
    pil = cfg["pilot"]
    if pil["drop_from_main"] and wave_column in df.columns:
        is_p = df[wave_column].to_numpy(dtype=object)[gkept] == pil["wave"]
        log.dropped(gkept[is_p], "pilot", f"pilot wave {pil['wave']!r} dropped from the main data")
        final, Xk = gkept[~is_p], Xk[~is_p]
        summary["rules"]["pilot"] = {"rows": int(is_p.sum())}
    other = [c for c in df.columns if c not in cols and c != "source_row"]
    out = df[other].take(final).reset_index(drop=True)
    for j, c in enumerate(cols):
        out[c] = Xk[:, j]
    out = out[[c for c in df.columns if c != "source_row"]]
    summary["rows_out"] = int(len(out))
    summary["rows_dropped"] = int(n0 - len(out))
    summary["items"] = cols
    flag_frame = pd.DataFrame(
        {"respondent_id": ids_all.to_numpy()[sel], "row": rows_all[sel], **flags}
    )
    return CleanResult(data=out, log=log.frame(), summary=summary, flags=flag_frame)


INJECTED_MAP = {
    "duplicates": ("duplicate", "rows"),
    "out_of_range": ("off_scale", "cells"),
    "dont_know": ("dont_know", "cells"),
    "refused": ("refused", "cells"),
    "straightliners": ("straightlining", "rows"),
    "speeders": ("speeder", "rows"),
    "attention_failed": ("attention", "rows"),
    "partials": ("min_answered", "rows"),
}


def compare_injected(summary: dict[str, Any], injected: dict[str, Any]) -> dict[str, Any]:
    """Caught versus injected defects (fieldwork/injected.json). Straight-liners: the injected
    plus the respondents whose true answers happen to be identical (``straightliners_natural``)."""
    out: dict[str, Any] = {}
    for key, (rule, unit) in INJECTED_MAP.items():
        if key not in injected:
            continue
        expected = int(injected[key])
        if key == "straightliners":
            expected += int(injected.get("straightliners_natural", 0))
        caught = int(summary["rules"].get(rule, {}).get(unit, 0))
        out[key] = {
            "rule": rule,
            "unit": unit,
            "injected": expected,
            "caught": caught,
            "match": caught == expected,
        }
    return {"defects": out, "all_match": all(v["match"] for v in out.values())}
