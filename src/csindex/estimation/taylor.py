"""Taylor-linearisation variance of totals of influence values (R ``survey``'s ``svyrecvar``).

Stratified multistage sampling, PSUs (and, when the fpc of every stage is given, later-stage
units) drawn without replacement. Stage ``s`` contributes

    V_s = sum_h  m_h f_h n_h/(n_h - 1) sum_k (z_hk - zbar_h)^2,

with ``z_hk`` the total of ``z`` over unit ``k`` of stratum ``h`` at that stage, ``n_h`` the
number of sampled units, ``f_h = (N_h - n_h)/N_h`` (1 without fpc) and ``m_h`` the product of the
sampling fractions ``n/N`` of the earlier stages. Single-PSU strata follow ``lonely_psu``
(R ``options(survey.lonely.psu)``); PPS without replacement: :func:`pps_variance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csindex.errors import InputError
from csindex.estimation.common import first_index, group_sums

LONELY_PSU = ("adjust", "remove", "certainty", "average", "fail")
PPS_METHODS = ("brewer", "overton", "hr")


@dataclass(frozen=True)
class Stage:
    """One sampling stage: stratum and unit codes per row, sampled units per stratum (per row),
    population units per stratum (per row; None = with replacement / unknown)."""

    strata: np.ndarray
    units: np.ndarray
    n_units: np.ndarray
    pop_units: np.ndarray | None


def stage_variance(
    z: np.ndarray, st: Stage, mult: np.ndarray, lonely: str, present: np.ndarray | None = None
) -> np.ndarray:
    """One stage of ``svyrecvar``'s ``onestage``: diagonal variance of the unit totals."""
    first = first_index(st.units)
    k = first.size
    u_strat = st.strata[first]
    u_n = st.n_units[first].astype(float)
    if st.pop_units is None:
        f = np.ones(k)
    else:
        pop = st.pop_units[first].astype(float)
        f = np.where(np.isinf(pop), 1.0, (pop - u_n) / pop)
    u_mult = mult[first]
    tot = group_sums(z, st.units, k)
    hk = int(u_strat.max()) + 1
    cnt = np.bincount(u_strat, minlength=hk).astype(float)
    smean = group_sums(tot, u_strat, hk) / np.where(cnt == 0, 1.0, cnt)[:, None]
    single = u_n <= 1
    centre = smean[u_strat]
    if lonely == "adjust":
        centre = np.where(single[:, None], 0.0, centre)
    c = tot - centre
    scale = np.where(single, f, f * u_n / np.where(single, 1.0, u_n - 1.0)) * u_mult
    if single.any():
        if lonely == "fail":
            bad = sorted({str(s) for s in u_strat[single]})
            raise InputError(
                f"stratum code(s) {', '.join(bad)} have a single PSU; set "
                "estimation.lonely_psu to adjust, remove, certainty or average"
            )
        if lonely in ("remove", "certainty"):
            scale = np.where(single, 0.0, scale)
        if lonely == "average":
            scale = np.where(single, 0.0, scale)
    v = (c * c * scale[:, None]).sum(axis=0)
    if lonely == "average" and single.any():
        if present is None:
            nstrat = np.unique(u_strat).size
            nok = np.unique(u_strat[~single]).size
            v = v * nstrat / max(nok, 1)
        else:  # per column: the strata with a present row (R subsets the design)
            pres = group_sums(present.astype(float), st.strata, hk) > 0
            lone = np.zeros(hk, bool)
            lone[u_strat[single]] = True
            nstrat = pres.sum(axis=0)
            nok = (pres & ~lone[:, None]).sum(axis=0)
            v = v * nstrat / np.maximum(nok, 1)
    return v


def pps_variance(
    z: np.ndarray, st: Stage, pi: np.ndarray, method: str, p2bar: np.ndarray | None
) -> np.ndarray:
    """PPS without replacement, one stage (R ``svydesign(..., pps = "overton" | HR(...))``):
    ``v = sum_ij D_ij z_i z_j`` over the PSU totals ``z_i`` of a stratum, ``D_ii = 1 - pi_i`` and
    for i != j ``D_ij = 1 - (n - a_i - a_j + c)/(n - 1)``: Overton ``a = pi/2, c = 0``,
    Hartley-Rao ``a = pi, c = p2bar`` (``sum pi^2/n``, or R ``HR()``'s stratum mean of pi).
    Pairs with ``a_i + a_j = 1`` get 0 as in R. Computed by stratum sums, without the n x n
    matrix: ``sum_{i!=j} (a_i + a_j - 1 - c) z_i z_j = sum_i (2 a_i - 1 - c) z_i (S - z_i)``
    with ``S`` the stratum total of ``z``."""
    first = first_index(st.units)
    k = first.size
    tot = group_sums(z, st.units, k)
    h = st.strata[first]
    hk = int(h.max()) + 1
    p = pi[first].astype(float)
    n = np.bincount(h, minlength=hk).astype(float)[h]
    a = p / 2 if method == "overton" else p
    c = np.zeros(k) if method == "overton" else np.asarray(p2bar, float)[first]
    S = group_sums(tot, h, hk)[h]
    diag = ((1 - p)[:, None] * tot * tot).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        off_i = (2 * a - 1 - c)[:, None] * tot * (S - tot)
        off = np.where(n[:, None] > 1, off_i / (n - 1)[:, None], 0.0).sum(axis=0)
    # R sets D_ij = 0 where a_i + a_j == 1 (Overton: both certainty units, already 0)
    if method == "hr":
        key = pd.DataFrame({"h": h, "p": p, "i": np.arange(k), "r": np.round(p, 9)})
        other = key.rename(columns={"p": "pj", "i": "j", "r": "q"})
        part = key.assign(q=np.round(1 - p, 9)).merge(other, on=["h", "q"])
        part = part[(part["i"] != part["j"]) & (part["p"] + part["pj"] == 1)]
        if len(part):
            i, j = part["i"].to_numpy(), part["j"].to_numpy()
            dij = -c[i] / (n[i] - 1)
            off = off - (dij[:, None] * tot[i] * tot[j]).sum(axis=0)
    return diag + off


def multistage_variance(
    z: np.ndarray, stages: Sequence[Stage], lonely: str, present: np.ndarray | None = None
) -> np.ndarray:
    """Sum of the stages' :func:`stage_variance` (R ``multistage``), stage ``s`` multiplied by
    the sampling fractions ``n/N`` of the earlier stages; a later stage counts only while every
    stage up to it has its fpc (a stage with replacement carries the later stages' variance)."""
    mult = np.ones(z.shape[0])
    v = np.zeros(z.shape[1])
    for i, st in enumerate(stages):
        v = v + stage_variance(z, st, mult, lonely, present)
        if st.pop_units is None or i + 1 >= len(stages) or stages[i + 1].pop_units is None:
            break
        mult = mult * st.n_units / st.pop_units
    return v
