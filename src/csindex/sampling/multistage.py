"""Drawing a (stratified, multistage) sample from a frame with exact first-order inclusion
probabilities at every stage, and the plan of a design (allocation table without drawing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .allocation import Allocation, allocate
from .design import Design, SampleResult
from .selection import EPS, check_sizes, select_in_groups


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
            f"{int(ids.duplicated().sum())} duplicate unit id(s), e.g. {ids.iloc[rows[0]].item() if hasattr(ids.iloc[rows[0]], 'item') else ids.iloc[rows[0]]!r} "
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


def _representatives(codes: np.ndarray, K: int) -> np.ndarray:
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
    rep = _representatives(child, K)
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
class _Runs:
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


def _runs(codes: np.ndarray, K: int) -> _Runs | None:
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
    return _Runs(start, end, same)


def _nested_runs(runs: _Runs, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast nesting check for sorted child codes: the parent only changes where the child does.

    Returns (parent of every child, last row of every child), or None on a violation (then the
    general check finds and reports it)."""
    if bool(np.any(runs.same & (parent[1:] != parent[:-1]))):
        return None
    rep = runs.end - 1  # the last row of each unit, as _representatives
    return parent[rep], rep


@dataclass
class _Prepared:
    S: int
    Nrows: int
    scode: np.ndarray
    names: list[str]
    H: int
    ucodes: list[np.ndarray]
    unames: list[np.ndarray]
    K: list[int]
    N_h: np.ndarray
    cap: np.ndarray
    alloc: Allocation
    m_per_psu: float
    rep1: np.ndarray | None = None
    runs1: _Runs | None = None  # stage-1 unit codes sorted in frame order


def prepare(frame: pd.DataFrame, design: Design, file: str | None, check: bool = True) -> _Prepared:
    """Checks, stage unit codes and the stage-1 allocation (no random numbers used)."""
    check_frame(frame, design, file, duplicates=check)
    Nrows = len(frame)
    S = len(design.stages)
    if S < 1 or S > 3:
        raise ConfigError(f"a design has 1 to 3 stages, got {S}", key="design.stages")
    if design.stages[-1].unit not in (None, design.id_column):
        raise ConfigError(
            "the last stage selects the frame's units: leave its `unit` empty", key="design.stages"
        )
    for st in design.stages[:-1]:
        if st.unit is None:
            raise ConfigError(
                "every stage but the last needs `unit` (the cluster id column)", key="design.stages"
            )

    if design.strata:
        scode, snames = factorize(frame[design.strata])
    else:
        scode, snames = np.zeros(Nrows, dtype=np.int64), np.array(["all"], dtype=object)
    H = snames.size
    names = [str(s) for s in snames]

    # unit codes per stage (the last stage's units are the rows)
    ucodes: list[np.ndarray] = []
    unames: list[np.ndarray] = []
    Ks: list[int] = []
    strat_of_u1, rep1, runs1 = scode, None, None
    for k, st in enumerate(design.stages[:-1]):
        c, nm = factorize(frame[st.unit])
        parent = scode if k == 0 else ucodes[k - 1]
        pnames = snames if k == 0 else unames[k - 1]
        pcol = (design.strata or "stratum") if k == 0 else design.stages[k - 1].unit
        runs = _runs(c, nm.size)
        fast = _nested_runs(runs, parent) if runs is not None else None
        if fast is None:
            runs = None
            par_of, rep = _check_nested(c, parent, nm, pnames, st.unit, pcol, file)
        else:
            par_of, rep = fast
        if k == 0:
            strat_of_u1, rep1, runs1 = par_of, rep, runs
        ucodes.append(c)
        unames.append(nm)
        Ks.append(nm.size)
    Ks.append(Nrows)

    # stage-1 allocation over strata
    st1 = design.stages[0]
    N_h = np.bincount(scode, minlength=H)
    cap = N_h.copy() if S == 1 else np.bincount(strat_of_u1, minlength=H)
    n1 = st1.n
    m_per_psu = 1.0
    if S > 1:
        # expected final units per stage-1 unit: product of later per-parent n (a stage that
        # takes all contributes its mean number of units per parent)
        for k in range(1, S):
            stk = design.stages[k]
            mean_units = Ks[k] / Ks[k - 1]
            take = stk.method == "all" or stk.n is None
            m_per_psu *= mean_units if take else min(stk.n, mean_units)
    if n1 is None and design.allocation != "fixed":
        if design.n is None:
            raise ConfigError(
                "give design.n (or design.sample_size), or n of stage 1", key="design.n"
            )
        n1 = design.n if S == 1 else max(1, int(round(design.n / m_per_psu)))
    sd = cost = fixed = None
    if design.allocation in ("neyman", "optimal"):
        if design.sd_column:
            v = pd.to_numeric(frame[design.sd_column], errors="coerce").to_numpy(dtype=float)
            if np.isnan(v).any():
                raise InputError(
                    "the column for the allocation's standard deviations has missing or "
                    "non-numeric values",
                    file=file,
                    row=int(np.flatnonzero(np.isnan(v))[0]) + 1,
                    column=design.sd_column,
                )
            s1 = np.bincount(scode, weights=v, minlength=H)
            s2 = np.bincount(scode, weights=v * v, minlength=H)
            with np.errstate(invalid="ignore", divide="ignore"):
                sd = np.sqrt(np.maximum(s2 - s1 * s1 / N_h, 0) / np.maximum(N_h - 1, 1))
        else:
            sd = _per_stratum(design.sd, names, "design.allocation.sd")
        if design.allocation == "optimal":
            cost = _per_stratum(design.cost, names, "design.allocation.cost")
    if design.allocation == "fixed":
        fixed = _per_stratum(design.fixed, names, "design.allocation.fixed")
    alloc = allocate(
        names,
        N_h,
        n1,
        design.allocation,
        sd=sd,
        cost=cost,
        fixed=fixed,
        minimum=design.minimum,
        capacity=cap,
    )
    return _Prepared(
        S, Nrows, scode, names, H, ucodes, unames, Ks, N_h, cap, alloc, m_per_psu, rep1, runs1
    )


def _alloc_table(prep: _Prepared) -> pd.DataFrame:
    return (
        prep.alloc.to_frame()
        .rename(columns={"n": "n_stage1", "capacity": "stage1_units", "N": "N_units"})
        .astype({"N_units": int})
    )


def plan(frame: pd.DataFrame, design: Design, file: str | None = None) -> dict[str, Any]:
    """The design before selection: allocation per stratum, n per stage, expected sizes."""
    prep = prepare(frame, design, file)
    return {
        "method": design.method,
        "probability_sample": True,
        "design_weights_defined": True,
        "id_column": design.id_column,
        "strata": design.strata,
        "n_target": design.n,
        "n_stage1": int(prep.alloc.n.sum()),
        "expected_units_per_psu": prep.m_per_psu,
        "expected_n": float(prep.alloc.n.sum() * prep.m_per_psu),
        "frame_units": prep.Nrows,
        "allocation": {
            "method": prep.alloc.method,
            "minimum": design.minimum,
            "take_all_strata": prep.alloc.take_all,
            "table": _alloc_table(prep).to_dict(orient="records"),
        },
        "stages": [
            {
                "stage": k + 1,
                "unit": st.unit or design.id_column,
                "method": st.method,
                "size": st.size if st.method == "pps_systematic" else None,
                "sort": list(st.sort),
                "n": int(prep.alloc.n.sum()) if k == 0 else st.n,
                "n_is": "total over strata" if k == 0 else "per selected parent unit",
            }
            for k, st in enumerate(design.stages)
        ],
    }


def _column_values(frame: pd.DataFrame, col: str, rows: np.ndarray | None) -> np.ndarray:
    v = frame[col].to_numpy()
    return v if rows is None else v[rows]


def _numeric(col: pd.Series) -> np.ndarray:
    """A column as float (non-numeric values -> NaN), without pd.to_numeric for numeric data."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiu":
        return col.to_numpy(dtype=float)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def draw(
    frame: pd.DataFrame,
    design: Design,
    seed: int | np.random.Generator,
    file: str | None = None,
    check: bool = True,
) -> SampleResult:
    """Draw a sample from ``frame`` under ``design``.

    Stage ``k`` selects among the stage-``k`` units of each selected stage-``k-1`` unit (the
    strata for stage 1) and records ``pi_k``, the conditional inclusion probability; the overall
    ``pi`` is their product and ``design_weight = 1 / pi``. ``check=False`` skips the
    duplicate-id check of the frame (for a frame already checked).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    prep = prepare(frame, design, file, check=check)
    S, Nrows, scode = prep.S, prep.Nrows, prep.scode
    alloc = prep.alloc

    # frame rows still in play; None = all rows (stage 1), so no N-row index is built
    rows: np.ndarray | None = None
    parent_row = scode  # parent code of every row in play (stratum for stage 1)
    pis: list[np.ndarray] = []  # per stage, aligned with rows
    fpcs: list[np.ndarray] = []
    hits_rows = None
    stage_info = []
    for k, st in enumerate(design.stages):
        last = k == S - 1
        if last:  # the units are the rows in play
            ucol = None
            n_rows = Nrows if rows is None else rows.size
            rep = np.arange(n_rows, dtype=np.int64)  # positions in rows
            unit_names = None
        else:
            K = prep.K[k]
            if k == 0:  # every code 0..K-1 occurs (dense codes); counts only if needed
                ucol = prep.ucodes[0]
                counts = None
                cand = np.arange(K, dtype=np.int64)
                rep = prep.rep1
                cidx_of_row = ucol
            else:
                ucol = prep.ucodes[k][rows]
                counts = np.bincount(ucol, minlength=K)
                cand = np.flatnonzero(counts > 0)
                rep = _representatives(ucol, K)[cand]
                cidx_of_row = ucol if cand.size == K else (np.cumsum(counts > 0) - 1)[ucol]
            unit_names = prep.unames[k][cand]
        pr = parent_row if (last and rows is None) else parent_row[rep]  # rep = identity
        Gp = int(pr.max()) + 1
        used = np.bincount(pr, minlength=Gp) > 0
        pg_codes = np.flatnonzero(used)
        pg = (np.cumsum(used) - 1)[pr] if pg_codes.size < Gp else pr
        G = pg_codes.size
        N_g = np.bincount(pg, minlength=G)
        if k == 0:
            n_g = alloc.n[pg_codes]
        elif st.method == "all":
            n_g = N_g.copy()
        else:
            if st.n is None:
                raise ConfigError(
                    f"stage {k + 1} needs `n` (units per selected {design.stages[k - 1].unit})",
                    key=f"design.stages[{k}].n",
                )
            n_g = np.minimum(int(st.n), N_g)
        size = None
        if st.method == "pps_systematic":
            if st.size:
                sz_rows = _numeric(frame[st.size])
                size = sz_rows[rep if rows is None else rows[rep]]
                ids = (
                    unit_names
                    if unit_names is not None
                    else _column_values(frame, design.id_column, rows)
                )
                check_sizes(size, ids, st.size, file)
                if not last:
                    runs = prep.runs1 if rows is None else None
                    if runs is not None and not np.any(runs.same & (sz_rows[1:] != sz_rows[:-1])):
                        diff = np.zeros(0, dtype=np.intp)  # constant within every run
                    else:
                        sz_in = sz_rows if rows is None else sz_rows[rows]
                        diff = np.flatnonzero(sz_in != size[cidx_of_row])
                    if diff.size:
                        r = diff[0] if rows is None else rows[diff[0]]
                        raise InputError(
                            f"the size measure differs within {st.unit} "
                            f"{prep.unames[k][prep.ucodes[k][r]]!r}; a cluster's size must be "
                            "the same on all its rows",
                            file=file,
                            row=int(r) + 1,
                            column=st.size,
                        )
            elif last:
                size = np.ones(rep.size)
            else:
                if counts is None:
                    counts = np.bincount(ucol, minlength=K)
                size = counts[cand].astype(float)
        keys = []
        for c in st.sort:
            vals = _column_values(frame, c, rep if rows is None else rows[rep])
            keys.append(pd.factorize(vals, sort=True)[0] if vals.dtype == object else vals)
        sel_u, pik_u, hits_u = select_in_groups(st.method, pg, n_g, rng, size=size, order_keys=keys)
        if last:
            keep = np.flatnonzero(sel_u)
            pik_rows, fpc_rows = pik_u[keep], N_g[pg[keep]]
            if st.method == "srswr":
                hits_rows = hits_u[keep]
        else:
            if k == 0 and prep.runs1 is not None:  # selected clusters' rows, in row order
                keep = prep.runs1.rows(np.flatnonzero(sel_u))
            else:
                keep = np.flatnonzero(sel_u[cidx_of_row])
            ck = cidx_of_row[keep]
            pik_rows, fpc_rows = pik_u[ck], N_g[pg[ck]]
            parent_row = ucol[keep]
        rows = keep if rows is None else rows[keep]
        pis = [p[keep] for p in pis] + [pik_rows]
        fpcs = [f[keep] for f in fpcs] + [fpc_rows]
        stage_info.append(
            {
                "stage": k + 1,
                "unit": st.unit or design.id_column,
                "method": st.method,
                "size": st.size if st.method == "pps_systematic" else None,
                "sort": list(st.sort),
                "n_per_parent": None if k == 0 else (None if st.method == "all" else st.n),
                "parents": int(G),
                "population_units": int(N_g.sum()),
                "selected_units": int(sel_u.sum()),
                "take_all_units": int((sel_u & (pik_u >= 1 - EPS)).sum())
                if st.method == "pps_systematic"
                else None,
                "pi_sum": float(pik_u.sum()),
            }
        )

    out = _sample_table(frame, design, prep, rows, pis, fpcs, hits_rows)
    return SampleResult(out, _design_info(design, prep, out, stage_info))


def _sample_table(
    frame: pd.DataFrame,
    design: Design,
    prep: _Prepared,
    rows: np.ndarray,
    pis: list[np.ndarray],
    fpcs: list[np.ndarray],
    hits_rows: np.ndarray | None,
) -> pd.DataFrame:
    """The selected rows with unit_id, stratum, psu (, ssu), pi_k, pi, design_weight, fpc_k
    (and hits under SRSWR), ordered by stratum, psu (, ssu) and frame order."""
    S, scode, names = prep.S, prep.scode, prep.names
    # row order: stratum, psu (, ssu), frame order — by integer codes, no string sort
    keys = [rows] + [prep.ucodes[k][rows] for k in reversed(range(S - 1))] + [scode[rows]]
    order = np.lexsort(tuple(keys))
    idx = rows[order]
    pis = [p[order] for p in pis]
    fpcs = [f[order] for f in fpcs]
    if hits_rows is not None:
        hits_rows = hits_rows[order]
    out = frame.iloc[idx].reset_index(drop=True)
    out.insert(0, "unit_id", frame[design.id_column].to_numpy()[idx].astype(str))
    out["stratum"] = np.asarray(names, dtype=object)[scode[idx]]
    out["psu"] = (
        frame[design.stages[0].unit].to_numpy()[idx] if S > 1 else out["unit_id"].to_numpy()
    ).astype(str)
    if S == 3:
        out["ssu"] = frame[design.stages[1].unit].to_numpy()[idx].astype(str)
    pi = np.ones(idx.size)
    for k in range(S):
        out[f"pi_{k + 1}"] = pis[k]
        pi = pi * pis[k]
    out["pi"] = pi
    out["design_weight"] = 1.0 / pi
    for k in range(S):
        out[f"fpc_{k + 1}"] = fpcs[k].astype(float)
    if S == 1:
        out["fpc_2"] = 1.0
    if hits_rows is not None:
        out["hits"] = hits_rows

    return out


def _design_info(
    design: Design, prep: _Prepared, out: pd.DataFrame, stage_info: list[dict]
) -> dict[str, Any]:
    """design.json: the design, the allocation (planned and realised) and the stages."""
    S, alloc = prep.S, prep.alloc
    realised = out.groupby("stratum", sort=True).agg(
        n_units=("unit_id", "size"), n_psu=("psu", "nunique")
    )
    atab = _alloc_table(prep)
    atab = atab.merge(realised, left_on="stratum", right_index=True, how="left").fillna(
        {"n_units": 0, "n_psu": 0}
    )
    info = {
        "method": design.method,
        "probability_sample": True,
        "design_weights_defined": True,
        "id_column": design.id_column,
        "strata": design.strata,
        "n_target": design.n,
        "n_stage1": int(alloc.n.sum()),
        "n_selected": int(len(out)),
        "expected_units_per_psu": prep.m_per_psu,
        "allocation": {
            "method": alloc.method,
            "minimum": design.minimum,
            "take_all_strata": alloc.take_all,
            "table": atab.to_dict(orient="records"),
        },
        "stages": stage_info,
        "survey_design": {
            "ids": ["psu"] + (["ssu"] if S == 3 else []) + (["unit_id"] if S > 1 else []),
            "strata": "stratum" if design.strata else None,
            "probs": [f"pi_{k + 1}" for k in range(S)],
            "fpc": [f"fpc_{k + 1}" for k in range(S)],
            "note": "pi_k is the conditional inclusion probability at stage k; "
            "fpc_k the number of stage-k units in its stratum/parent unit",
        },
    }
    return info


def _per_stratum(mapping: Mapping[str, float] | None, names: list[str], key: str) -> np.ndarray:
    if not mapping:
        raise ConfigError(
            f"give a value for every stratum ({', '.join(names[:10])}{' ...' if len(names) > 10 else ''})",
            key=key,
        )
    m = {str(k): v for k, v in mapping.items()}
    miss = [s for s in names if s not in m]
    if miss:
        raise ConfigError(f"no value for stratum/strata {', '.join(map(repr, miss[:10]))}", key=key)
    extra = [s for s in m if s not in set(names)]
    if extra:
        raise ConfigError(
            f"stratum/strata {', '.join(map(repr, extra[:10]))} have no units in the frame "
            f"(empty stratum); strata in the frame: {', '.join(names[:20])}",
            key=key,
        )
    return np.array([m[s] for s in names], dtype=float)
