"""Drawing a (stratified, multistage) sample from a frame with exact first-order inclusion
probabilities at every stage, and the plan of a design (allocation table without drawing).

:func:`prepare` checks the frame and the design, codes the units of every stage
(:mod:`.codes`) and allocates stage 1 over the strata; :func:`draw` then selects stage by stage
(:func:`_select_stage`), each stage within the units selected at the stage before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .allocation import Allocation, allocate
from .codes import Runs, check_frame, factorize, representatives, stage_codes
from .design import Design, SampleResult, Stage
from .selection import EPS, check_sizes, select_in_groups

__all__ = ["check_frame", "draw", "factorize", "plan", "prepare"]


@dataclass
class _Prepared:
    """The frame coded for drawing: strata, stage units, and the stage-1 allocation."""

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
    runs1: Runs | None = None  # stage-1 unit codes sorted in frame order


def _check_stages(design: Design) -> None:
    """One to three stages; every stage but the last names its cluster column, the last none."""
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


def _strata_codes(frame: pd.DataFrame, design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Stratum code of every row and the stratum names (one stratum "all" without strata)."""
    if design.strata:
        return factorize(frame[design.strata])
    return np.zeros(len(frame), dtype=np.int64), np.array(["all"], dtype=object)


def _units_per_psu(stages: tuple[Stage, ...], K: list[int]) -> float:
    """Expected final units per stage-1 unit: the product of the later stages' n per parent
    (a stage that takes all contributes its mean number of units per parent)."""
    m_per_psu = 1.0
    for k in range(1, len(stages)):
        stk = stages[k]
        mean_units = K[k] / K[k - 1]
        take = stk.method == "all" or stk.n is None
        m_per_psu *= mean_units if take else min(stk.n, mean_units)
    return m_per_psu


def _stage1_n(design: Design, m_per_psu: float) -> int | None:
    """Stage-1 sample size: stage 1's ``n``, else ``design.n`` divided by the units per PSU."""
    n1 = design.stages[0].n
    if n1 is None and design.allocation != "fixed":
        if design.n is None:
            raise ConfigError(
                "give design.n (or design.sample_size), or n of stage 1", key="design.n"
            )
        n1 = design.n if len(design.stages) == 1 else max(1, int(round(design.n / m_per_psu)))
    return n1


def _stratum_sd(
    frame: pd.DataFrame, design: Design, scode: np.ndarray, N_h: np.ndarray, file: str | None
) -> np.ndarray:
    """Standard deviation of the SD column per stratum, ``sqrt((S2 - S1^2/N_h)/(N_h - 1))``."""
    H = N_h.size
    v = pd.to_numeric(frame[design.sd_column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(v).any():
        raise InputError(
            "the column for the allocation's standard deviations has missing or non-numeric values",
            file=file,
            row=int(np.flatnonzero(np.isnan(v))[0]) + 1,
            column=design.sd_column,
        )
    s1 = np.bincount(scode, weights=v, minlength=H)
    s2 = np.bincount(scode, weights=v * v, minlength=H)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(np.maximum(s2 - s1 * s1 / N_h, 0) / np.maximum(N_h - 1, 1))


def _allocation_inputs(
    frame: pd.DataFrame,
    design: Design,
    scode: np.ndarray,
    names: list[str],
    N_h: np.ndarray,
    file: str | None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """SD (Neyman, optimal), cost (optimal) and fixed n (fixed) per stratum, as the method needs."""
    sd = cost = fixed = None
    if design.allocation in ("neyman", "optimal"):
        if design.sd_column:
            sd = _stratum_sd(frame, design, scode, N_h, file)
        else:
            sd = _per_stratum(design.sd, names, "design.allocation.sd")
        if design.allocation == "optimal":
            cost = _per_stratum(design.cost, names, "design.allocation.cost")
    if design.allocation == "fixed":
        fixed = _per_stratum(design.fixed, names, "design.allocation.fixed")
    return sd, cost, fixed


def prepare(frame: pd.DataFrame, design: Design, file: str | None, check: bool = True) -> _Prepared:
    """Checks, stage unit codes and the stage-1 allocation (no random numbers used)."""
    check_frame(frame, design, file, duplicates=check)
    Nrows = len(frame)
    S = len(design.stages)
    _check_stages(design)
    scode, snames = _strata_codes(frame, design)
    H = snames.size
    names = [str(s) for s in snames]
    codes = stage_codes(frame, design, scode, snames, file)
    N_h = np.bincount(scode, minlength=H)
    cap = N_h.copy() if S == 1 else np.bincount(codes.strat_of_u1, minlength=H)
    m_per_psu = _units_per_psu(design.stages, codes.K)
    n1 = _stage1_n(design, m_per_psu)
    sd, cost, fixed = _allocation_inputs(frame, design, scode, names, N_h, file)
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
    ucodes, unames, K, rep1, runs1 = codes.codes, codes.names, codes.K, codes.rep1, codes.runs1
    return _Prepared(
        S, Nrows, scode, names, H, ucodes, unames, K, N_h, cap, alloc, m_per_psu, rep1, runs1
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
    state = _Drawn(parent_row=prep.scode)
    for k in range(prep.S):
        _select_stage(frame, design, prep, k, state, rng, file)
    out = _sample_table(frame, design, prep, state.rows, state.pis, state.fpcs, state.hits_rows)
    return SampleResult(out, _design_info(design, prep, out, state.stage_info))


@dataclass
class _Drawn:
    """The selection so far: the frame rows still in play and, aligned with them, every stage's
    pi_k and fpc_k and the parent code of the next stage."""

    parent_row: np.ndarray  # parent code of every row in play (the stratum for stage 1)
    rows: np.ndarray | None = None  # None = all rows (stage 1), so no N-row index is built
    pis: list[np.ndarray] = field(default_factory=list)
    fpcs: list[np.ndarray] = field(default_factory=list)
    hits_rows: np.ndarray | None = None  # SRSWR hits of the last stage
    stage_info: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Units:
    """The units of one stage among the rows in play (the last stage's units are the rows)."""

    last: bool
    rep: np.ndarray  # a representative row of every unit (position among the rows in play)
    ucol: np.ndarray | None = None  # unit code of every row in play
    K: int = 0  # number of unit codes of the stage
    counts: np.ndarray | None = None  # rows per unit code (computed only when needed)
    cand: np.ndarray | None = None  # codes of the units in play
    cidx_of_row: np.ndarray | None = None  # index into cand of every row in play
    unit_names: np.ndarray | None = None  # the id of every unit in play


@dataclass
class _Groups:
    """The parents (strata or selected units of the stage before) as groups 0..G-1."""

    pg: np.ndarray  # group of every unit
    codes: np.ndarray  # parent code of every group
    N: np.ndarray  # units per group (N_g)


def _select_stage(
    frame: pd.DataFrame,
    design: Design,
    prep: _Prepared,
    k: int,
    state: _Drawn,
    rng: np.random.Generator,
    file: str | None,
) -> None:
    """Stage ``k``: select ``n_g`` units within every parent group and keep their rows."""
    st = design.stages[k]
    units = _stage_units(prep, k, state.rows)
    groups = _parent_groups(state.parent_row, units.rep, units.last and state.rows is None)
    n_g = _stage_n(design, prep.alloc, k, groups)
    size = _size_measure(frame, design, prep, k, state.rows, units, file)
    keys = _sort_keys(frame, st, state.rows, units.rep)
    sel_u, pik_u, hits_u = select_in_groups(
        st.method, groups.pg, n_g, rng, size=size, order_keys=keys
    )
    _keep_selected(prep, k, st.method, state, units, groups, sel_u, pik_u, hits_u)
    state.stage_info.append(_stage_summary(design, k, groups, sel_u, pik_u))


def _stage_units(prep: _Prepared, k: int, rows: np.ndarray | None) -> _Units:
    """The stage-``k`` units among the rows in play: codes, a row and the id of each unit."""
    if k == prep.S - 1:  # the units are the rows in play
        n_rows = prep.Nrows if rows is None else rows.size
        return _Units(last=True, rep=np.arange(n_rows, dtype=np.int64))  # positions in rows
    K = prep.K[k]
    if k == 0:  # every code 0..K-1 occurs (dense codes); counts only if needed
        ucol = prep.ucodes[0]
        cand = np.arange(K, dtype=np.int64)
        return _Units(False, prep.rep1, ucol, K, None, cand, ucol, prep.unames[k][cand])
    ucol = prep.ucodes[k][rows]
    counts = np.bincount(ucol, minlength=K)
    cand = np.flatnonzero(counts > 0)
    rep = representatives(ucol, K)[cand]
    cidx_of_row = ucol if cand.size == K else (np.cumsum(counts > 0) - 1)[ucol]
    return _Units(False, rep, ucol, K, counts, cand, cidx_of_row, prep.unames[k][cand])


def _parent_groups(parent_row: np.ndarray, rep: np.ndarray, identity: bool) -> _Groups:
    """The parents that have units in play, numbered 0..G-1, and the units of each (N_g);
    ``identity``: ``rep`` is every row (the last stage of a one-stage design)."""
    pr = parent_row if identity else parent_row[rep]
    Gp = int(pr.max()) + 1
    used = np.bincount(pr, minlength=Gp) > 0
    pg_codes = np.flatnonzero(used)
    pg = (np.cumsum(used) - 1)[pr] if pg_codes.size < Gp else pr
    return _Groups(pg, pg_codes, np.bincount(pg, minlength=pg_codes.size))


def _stage_n(design: Design, alloc: Allocation, k: int, groups: _Groups) -> np.ndarray:
    """Units to select per group: the allocation (stage 1), all, or ``min(n, N_g)``."""
    st = design.stages[k]
    if k == 0:
        return alloc.n[groups.codes]
    if st.method == "all":
        return groups.N.copy()
    if st.n is None:
        raise ConfigError(
            f"stage {k + 1} needs `n` (units per selected {design.stages[k - 1].unit})",
            key=f"design.stages[{k}].n",
        )
    return np.minimum(int(st.n), groups.N)


def _size_measure(
    frame: pd.DataFrame,
    design: Design,
    prep: _Prepared,
    k: int,
    rows: np.ndarray | None,
    units: _Units,
    file: str | None,
) -> np.ndarray | None:
    """PPS size per unit: the size column, else 1 (rows) or the rows per cluster; None
    for equal-probability methods."""
    st = design.stages[k]
    if st.method != "pps_systematic":
        return None
    if st.size:
        return _size_column(frame, design, prep, k, rows, units, file)
    if units.last:
        return np.ones(units.rep.size)
    counts = units.counts
    if counts is None:
        counts = np.bincount(units.ucol, minlength=units.K)
    return counts[units.cand].astype(float)


def _size_column(
    frame: pd.DataFrame,
    design: Design,
    prep: _Prepared,
    k: int,
    rows: np.ndarray | None,
    units: _Units,
    file: str | None,
) -> np.ndarray:
    """The size column per unit, checked positive and, for clusters, the same on all rows."""
    st = design.stages[k]
    sz_rows = _numeric(frame[st.size])
    size = sz_rows[units.rep if rows is None else rows[units.rep]]
    ids = (
        units.unit_names
        if units.unit_names is not None
        else _column_values(frame, design.id_column, rows)
    )
    check_sizes(size, ids, st.size, file)
    if not units.last:
        _check_size_constant(prep, k, st, rows, units, sz_rows, size, file)
    return size


def _check_size_constant(
    prep: _Prepared,
    k: int,
    st: Stage,
    rows: np.ndarray | None,
    units: _Units,
    sz_rows: np.ndarray,
    size: np.ndarray,
    file: str | None,
) -> None:
    """Every row of a cluster has the cluster's size (the size of its representative row)."""
    runs = prep.runs1 if rows is None else None
    if runs is not None and not np.any(runs.same & (sz_rows[1:] != sz_rows[:-1])):
        return  # constant within every run
    sz_in = sz_rows if rows is None else sz_rows[rows]
    diff = np.flatnonzero(sz_in != size[units.cidx_of_row])
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


def _sort_keys(
    frame: pd.DataFrame, st: Stage, rows: np.ndarray | None, rep: np.ndarray
) -> list[np.ndarray]:
    """The stage's sort columns per unit (text as sorted codes), for systematic selection."""
    keys = []
    for c in st.sort:
        vals = _column_values(frame, c, rep if rows is None else rows[rep])
        keys.append(pd.factorize(vals, sort=True)[0] if vals.dtype == object else vals)
    return keys


def _keep_selected(
    prep: _Prepared,
    k: int,
    method: str,
    state: _Drawn,
    units: _Units,
    groups: _Groups,
    sel_u: np.ndarray,
    pik_u: np.ndarray,
    hits_u: np.ndarray | None,
) -> None:
    """Keep the rows of the selected units with their pi_k and fpc_k (= N_g of the unit's group);
    the selected units become the parents of the next stage."""
    if units.last:
        keep = np.flatnonzero(sel_u)
        pik_rows, fpc_rows = pik_u[keep], groups.N[groups.pg[keep]]
        if method == "srswr":
            state.hits_rows = hits_u[keep]
    else:
        if k == 0 and prep.runs1 is not None:  # selected clusters' rows, in row order
            keep = prep.runs1.rows(np.flatnonzero(sel_u))
        else:
            keep = np.flatnonzero(sel_u[units.cidx_of_row])
        ck = units.cidx_of_row[keep]
        pik_rows, fpc_rows = pik_u[ck], groups.N[groups.pg[ck]]
        state.parent_row = units.ucol[keep]
    state.rows = keep if state.rows is None else state.rows[keep]
    state.pis = [p[keep] for p in state.pis] + [pik_rows]
    state.fpcs = [f[keep] for f in state.fpcs] + [fpc_rows]


def _stage_summary(
    design: Design, k: int, groups: _Groups, sel_u: np.ndarray, pik_u: np.ndarray
) -> dict[str, Any]:
    """design.json's entry of stage ``k``: method, parents, units and the sum of pi_k."""
    st = design.stages[k]
    return {
        "stage": k + 1,
        "unit": st.unit or design.id_column,
        "method": st.method,
        "size": st.size if st.method == "pps_systematic" else None,
        "sort": list(st.sort),
        "n_per_parent": None if k == 0 else (None if st.method == "all" else st.n),
        "parents": int(groups.codes.size),
        "population_units": int(groups.N.sum()),
        "selected_units": int(sel_u.sum()),
        "take_all_units": int((sel_u & (pik_u >= 1 - EPS)).sum())
        if st.method == "pps_systematic"
        else None,
        "pi_sum": float(pik_u.sum()),
    }


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
