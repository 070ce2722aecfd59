"""Dense integer codes of a frame's strata and cluster columns, and the checks of the frame
(columns present, ids unique and not missing, cluster ids nested in strata and parent clusters).

Codes are built in O(N) for integer ids; clusters stored contiguously in code order (the usual
layout of a large frame) take a fast path (:class:`Runs`) that gives the same results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, shown
from .design import Design


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..K-1 in sorted order of the values, and the values (O(N) for integer ids).

    Integer ids over a compact range are coded by offset (no copy for int64 ids starting at 0)
    and a boolean presence scatter; other values go through ``pd.factorize``. The codes may
    share memory with the frame: treat them as read-only.
    """
    v = values.to_numpy() if not isinstance(values.dtype, pd.CategoricalDtype) else None
    if v is not None and v.dtype.kind in "iu" and v.size:
        lo, hi = int(v.min()), int(v.max())
        if hi - lo < 4 * v.size + 1024:
            d = v.astype(np.int64, copy=False)
            if lo != 0:
                d = d - lo
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[d] = True
            if present.all():
                return d, np.arange(lo, hi + 1)
            return (np.cumsum(present) - 1)[d], np.flatnonzero(present) + lo
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def _duplicated(ids: pd.Series) -> np.ndarray:
    """Mask of rows whose id occurs more than once (O(N) for integer ids: strictly increasing
    ids, or a presence scatter over a compact range, before counting)."""
    v = ids.to_numpy()
    if v.dtype.kind in "iu" and v.size:
        if v.size < 2 or bool(np.all(v[1:] > v[:-1])):
            return np.zeros(v.size, dtype=bool)
        lo, hi = int(v.min()), int(v.max())
        if hi - lo < 4 * v.size + 1024:
            d = v if lo == 0 else v - lo
            seen = np.zeros(hi - lo + 1, dtype=bool)
            seen[d] = True
            if int(np.count_nonzero(seen)) == v.size:
                return np.zeros(v.size, dtype=bool)
            counts = np.bincount(d, minlength=hi - lo + 1)
            return counts[d] > 1
    return ids.duplicated(keep=False).to_numpy()


def check_frame(
    frame: pd.DataFrame, design: Design, file: str | None, duplicates: bool = True
) -> None:
    """The frame has the design's columns and rows, and every row a unique id, a stratum and its
    cluster ids (``duplicates=False`` skips the uniqueness check)."""
    cols = [design.id_column]
    if design.strata:
        cols.append(design.strata)
    for st in design.stages:
        if st.unit:
            cols.append(st.unit)
        if st.size:
            cols.append(st.size)
        cols += list(st.sort)
    if design.sd_column:
        cols.append(design.sd_column)
    missing = [c for c in dict.fromkeys(cols) if c not in frame.columns]
    if missing:
        raise InputError(
            f"the frame has no column(s) {', '.join(map(repr, missing))}; "
            f"columns are: {', '.join(map(str, frame.columns))}",
            file=file,
            column=missing[0],
        )
    if len(frame) == 0:
        raise InputError("the frame has no rows", file=file)
    ids = frame[design.id_column]
    na = ids.isna().to_numpy()
    if na.any():
        raise InputError(
            f"{int(na.sum())} unit id(s) are missing; every frame row needs an id",
            file=file,
            row=int(np.flatnonzero(na)[0]) + 1,
            column=design.id_column,
        )
    dup = _duplicated(ids) if duplicates else np.zeros(0, bool)
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputError(
            f"{int(ids.duplicated().sum())} duplicate unit id(s), e.g. {shown(ids.iloc[rows[0]])} "
            f"in rows {rows[0] + 1} and {rows[1] + 1}; unit ids must be unique",
            file=file,
            row=int(rows[1]) + 1,
            column=design.id_column,
        )
    for col, what in [(design.strata, "stratum")] + [(st.unit, "cluster") for st in design.stages]:
        if col:
            na = frame[col].isna().to_numpy()
            if na.any():
                raise InputError(
                    f"{int(na.sum())} row(s) have no {what} id; every frame row needs one",
                    file=file,
                    row=int(np.flatnonzero(na)[0]) + 1,
                    column=col,
                )


def representatives(codes: np.ndarray, K: int) -> np.ndarray:
    """One row index per code 0..K-1 (any row of the unit; -1 for an absent code)."""
    rep = np.full(K, -1, dtype=np.int64)
    rep[codes] = np.arange(codes.size, dtype=np.int64)
    return rep


def _check_nested(
    child: np.ndarray,
    parent: np.ndarray,
    child_names: np.ndarray,
    parent_names: np.ndarray,
    col: str,
    pcol: str,
    file: str | None,
) -> np.ndarray:
    """Every child unit lies in exactly one parent (cluster ids nest in strata / PSUs).

    Returns the parent code of every child code and a representative row of every child."""
    K = int(child.max()) + 1
    rep = representatives(child, K)
    par_of = parent[rep]
    bad = np.flatnonzero(parent != par_of[child])
    if bad.size:
        r = bad[0]
        k = child[r]
        raise InputError(
            f"{col} id {child_names[k]!r} appears in more than one {pcol} "
            f"({parent_names[par_of[k]]!r} and {parent_names[parent[r]]!r}); ids must nest in "
            f"{pcol} (make them unique across the higher level)",
            file=file,
            row=int(r) + 1,
            column=col,
        )
    return par_of, rep


@dataclass
class Runs:
    """Contiguous runs of dense codes sorted in frame order: code j is rows start[j]:end[j]."""

    start: np.ndarray
    end: np.ndarray
    same: np.ndarray  # same[i]: rows i and i + 1 have the same code

    def rows(self, codes: np.ndarray) -> np.ndarray:
        """Ascending row numbers of the given (ascending) codes."""
        lens = self.end[codes] - self.start[codes]
        total = int(lens.sum())
        offset = np.repeat(self.start[codes] - (np.cumsum(lens) - lens), lens)
        return offset + np.arange(total, dtype=np.intp)


def _runs(codes: np.ndarray, K: int) -> Runs | None:
    """The runs of dense codes 0..K-1 when they are non-decreasing in frame order, else None."""
    if codes.size < 2:
        return None
    same = codes[1:] == codes[:-1]
    change = np.flatnonzero(~same) + 1
    if change.size != K - 1:  # some code occurs in more than one run
        return None
    start = np.append(0, change).astype(np.int64)
    if not np.array_equal(codes[start], np.arange(K)):  # K runs, one per code: in code order?
        return None
    end = np.append(change, codes.size).astype(np.int64)
    return Runs(start, end, same)


def _nested_runs(runs: Runs, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast nesting check for sorted child codes: the parent only changes where the child does.

    Returns (parent of every child, last row of every child), or None on a violation (then the
    general check finds and reports it)."""
    if bool(np.any(runs.same & (parent[1:] != parent[:-1]))):
        return None
    rep = runs.end - 1  # the last row of each unit, as representatives
    return parent[rep], rep


@dataclass
class StageCodes:
    """Dense unit codes of the cluster stages (every stage but the last), aligned with the rows."""

    codes: list[np.ndarray]  # per cluster stage: the unit code of every row
    names: list[np.ndarray]  # per cluster stage: the unit id of every code
    K: list[int]  # units per stage; the last stage's units are the frame's rows
    strat_of_u1: np.ndarray  # stratum of every stage-1 unit (of every row in one-stage designs)
    rep1: np.ndarray | None = None  # a row of every stage-1 unit
    runs1: Runs | None = None  # stage-1 unit codes sorted in frame order


def _nest(
    codes: np.ndarray,
    names: np.ndarray,
    parent: np.ndarray,
    parent_names: np.ndarray,
    col: str,
    pcol: str,
    file: str | None,
) -> tuple[np.ndarray, np.ndarray, Runs | None]:
    """Parent code and a representative row of every unit, by the fast path when the units are
    stored contiguously in code order (then also their runs), else by the general check."""
    runs = _runs(codes, names.size)
    fast = _nested_runs(runs, parent) if runs is not None else None
    if fast is None:
        par_of, rep = _check_nested(codes, parent, names, parent_names, col, pcol, file)
        return par_of, rep, None
    return fast[0], fast[1], runs


def stage_codes(
    frame: pd.DataFrame,
    design: Design,
    scode: np.ndarray,
    snames: np.ndarray,
    file: str | None,
) -> StageCodes:
    """Unit codes of every cluster stage, each checked to nest in its stratum / parent unit."""
    out = StageCodes([], [], [], scode)
    for k, st in enumerate(design.stages[:-1]):
        c, nm = factorize(frame[st.unit])
        parent = scode if k == 0 else out.codes[k - 1]
        pnames = snames if k == 0 else out.names[k - 1]
        pcol = (design.strata or "stratum") if k == 0 else design.stages[k - 1].unit
        par_of, rep, runs = _nest(c, nm, parent, pnames, st.unit, pcol, file)
        if k == 0:
            out.strat_of_u1, out.rep1, out.runs1 = par_of, rep, runs
        out.codes.append(c)
        out.names.append(nm)
        out.K.append(nm.size)
    out.K.append(len(frame))
    return out
