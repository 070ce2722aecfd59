"""Sampling designs with exact first-order inclusion probabilities at every stage.

Probability designs: simple random sampling without (SRSWOR) and with (SRSWR) replacement,
systematic (equal probability with a fractional interval, and PPS systematic as R's
``sampling::UPsystematic``), stratified (any within-stratum method; proportional, equal, Neyman,
optimal or fixed allocation, rounded by largest remainder), one-stage cluster and two- or
three-stage designs. PPS probabilities with take-all units follow R's
``sampling::inclusionprobabilities``. Quota sampling is the non-probability option: its design
weights are undefined and weighting must calibrate.

Everything is vectorised over units and clusters: within-group selection uses random keys and
one sort (SRS) or grouped cumulative sums (systematic); loops run only over stages and over the
few rounds of the take-all iteration. References: Cochran (1977) *Sampling Techniques*, ch. 4-5,
9-11; Sarndal, Swensson & Wretman (1992) ch. 3; Tille (2006) *Sampling Algorithms*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, InputError
from .seeds import derive_seed

STAGE_METHODS = ("srswor", "srswr", "systematic", "pps_systematic", "all")
ALLOCATIONS = ("proportional", "equal", "neyman", "optimal", "fixed")
DESIGN_METHODS = ("srs", "systematic", "stratified", "cluster", "multistage", "quota")
EPS = 1e-6  # as R's UPsystematic: pik <= eps never, pik >= 1 - eps always selected


# ----------------------------------------------------------------------------- rounding
def largest_remainder(quotas: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """Round non-negative ``quotas`` to integers summing exactly to ``n`` (Hamilton's method).

    Each quota is floored; the ``n - sum(floor)`` units left go to the largest fractional parts
    (ties to the earlier position). Unlike rounding each quota, the total is always ``n``.
    """
    q = np.asarray(quotas, dtype=float)
    if q.size == 0:
        if n != 0:
            raise ValueError("no quotas to round to a positive total")
        return np.zeros(0, dtype=np.int64)
    if np.any(~np.isfinite(q)) or np.any(q < 0):
        raise ValueError("quotas must be finite and non-negative")
    base = np.floor(q + 1e-9).astype(np.int64)  # 2.9999999999 counts as 3
    base = np.minimum(base, np.ceil(q).astype(np.int64))
    left = int(n) - int(base.sum())
    if left < 0 or left > q.size:
        raise ValueError(f"quotas sum to {q.sum():.6g}, which cannot be rounded to {n}")
    frac = q - base
    order = np.lexsort((np.arange(q.size), -frac))  # largest remainder, then position
    base[order[:left]] += 1
    return base


# ----------------------------------------------------------------------------- allocation
@dataclass
class Allocation:
    """Sample sizes per stratum with the quotas before rounding and the take-all strata."""

    strata: list[str]
    N: np.ndarray  # population units per stratum (allocation base)
    capacity: np.ndarray  # largest possible n per stratum (selection units available)
    quota: np.ndarray  # unrounded allocation after bounds
    n: np.ndarray  # integer allocation, sum = total
    method: str
    take_all: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "stratum": self.strata,
                "N": self.N,
                "capacity": self.capacity,
                "quota": self.quota,
                "n": self.n,
                "fraction": self.n / np.maximum(self.capacity, 1),
            }
        )


def allocate(
    strata: Sequence[str],
    N: Sequence[float] | np.ndarray,
    n: int | None,
    method: str = "proportional",
    *,
    sd: Sequence[float] | np.ndarray | None = None,
    cost: Sequence[float] | np.ndarray | None = None,
    fixed: Sequence[int] | np.ndarray | None = None,
    minimum: int = 0,
    capacity: Sequence[int] | np.ndarray | None = None,
) -> Allocation:
    """Allocate ``n`` over strata.

    Quotas proportional to ``N_h`` (proportional), 1 (equal), ``N_h S_h`` (Neyman) or
    ``N_h S_h / sqrt(c_h)`` (optimal, Cochran 5.24); ``fixed`` gives ``n_h`` directly.
    Bounds ``min(minimum, capacity_h) <= n_h <= capacity_h`` are met by fixing the strata that
    violate them and re-allocating the rest until none does; the free quotas are then rounded by
    largest remainder so that ``sum n_h == n`` exactly.
    """
    strata = [str(s) for s in strata]
    Nh = np.asarray(N, dtype=float)
    cap = Nh.astype(np.int64) if capacity is None else np.asarray(capacity, dtype=np.int64)
    H = len(strata)
    key = "design.allocation"
    if method not in ALLOCATIONS:
        raise ConfigError(
            f"unknown allocation {method!r}; allowed: {', '.join(ALLOCATIONS)}", key=f"{key}.method"
        )
    if method == "fixed":
        if fixed is None:
            raise ConfigError("allocation 'fixed' needs n per stratum", key=f"{key}.fixed")
        nh = np.asarray(fixed, dtype=np.int64)
        over = np.flatnonzero(nh > cap)
        if over.size:
            h = over[0]
            raise ConfigError(
                f"n = {nh[h]} for stratum {strata[h]!r} is larger than the stratum "
                f"({cap[h]} selection units); allowed: at most {cap[h]}",
                key=f"{key}.fixed",
            )
        if np.any(nh < 0):
            raise ConfigError("n per stratum must be >= 0", key=f"{key}.fixed")
        return Allocation(
            strata,
            Nh,
            cap,
            nh.astype(float),
            nh,
            method,
            [strata[h] for h in np.flatnonzero((nh == cap) & (cap > 0))],
        )
    if n is None:
        raise ConfigError(
            "the sample size is not given (set design.n or design.sample_size)", key="design.n"
        )
    n = int(n)
    if n > cap.sum():
        raise ConfigError(
            f"n = {n} is larger than the frame ({int(cap.sum())} selection units); "
            f"allowed: at most {int(cap.sum())}",
            key="design.n",
        )
    if method == "proportional":
        w = Nh.copy()
    elif method == "equal":
        w = np.ones(H)
    else:
        if sd is None:
            raise ConfigError(
                f"allocation {method!r} needs a standard deviation per stratum", key=f"{key}.sd"
            )
        S = np.asarray(sd, dtype=float)
        if np.any(~np.isfinite(S)) or np.any(S < 0):
            raise ConfigError("standard deviations must be finite and >= 0", key=f"{key}.sd")
        w = Nh * S
        if method == "optimal":
            if cost is None:
                raise ConfigError(
                    "allocation 'optimal' needs a cost per stratum", key=f"{key}.cost"
                )
            c = np.asarray(cost, dtype=float)
            if np.any(~np.isfinite(c)) or np.any(c <= 0):
                raise ConfigError("costs must be finite and > 0", key=f"{key}.cost")
            w = w / np.sqrt(c)
    lo = np.minimum(int(minimum), cap)
    if lo.sum() > n:
        raise ConfigError(
            f"minimum {minimum} per stratum over {H} strata needs n >= {int(lo.sum())}, "
            f"but n = {n}",
            key=f"{key}.minimum",
        )
    fixed_at = np.full(H, -1.0)  # value a stratum is fixed at, -1 = free
    for _ in range(2 * H + 2):
        free = fixed_at < 0
        rest = n - fixed_at[~free].sum()
        wf = np.where(free, w, 0.0)
        if wf.sum() <= 0:
            q = np.where(free, rest / max(free.sum(), 1), fixed_at)
        else:
            q = np.where(free, rest * wf / wf.sum(), fixed_at)
        hi_v = free & (q > cap)
        lo_v = free & (q < lo)
        if hi_v.any():
            fixed_at[hi_v] = cap[hi_v]
        elif lo_v.any():
            fixed_at[lo_v] = lo[lo_v]
        else:
            break
    free = fixed_at < 0
    nh = np.where(free, 0, fixed_at).astype(np.int64)
    rest = n - int(nh.sum())
    if free.any():
        nh[free] = largest_remainder(q[free], rest)
    elif rest != 0:  # pragma: no cover - bounds make this impossible
        raise ConfigError(f"cannot allocate n = {n} within the stratum bounds", key="design.n")
    take_all = [strata[h] for h in np.flatnonzero((nh >= cap) & (cap > 0))]
    return Allocation(strata, Nh, cap, q, nh, method, take_all)


# ----------------------------------------------------------------------------- sample size
@dataclass
class SampleSize:
    """Sample size from a margin of error (Cochran 1977, 4.2-4.3)."""

    n0: np.ndarray  # z^2 V / e^2
    n_deff: np.ndarray  # n0 * deff
    n_fpc: np.ndarray  # after the finite population correction
    n_complete: np.ndarray  # ceil(n_fpc): completes needed
    n_issued: np.ndarray  # ceil(n_complete / response_rate)
    params: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        out = dict(self.params)
        for k in ("n0", "n_deff", "n_fpc", "n_complete", "n_issued"):
            v = getattr(self, k)
            out[k] = v.tolist() if v.ndim else v.item()
        return out


def sample_size(
    margin: float,
    confidence: float = 0.95,
    p: float | None = 0.5,
    sd: float | Sequence[float] | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
    N: float | Sequence[float] | None = None,
) -> SampleSize:
    """Completes and issued sample for a margin of error ``e`` at ``confidence``.

    ``n0 = z^2 V / e^2`` with ``V = p(1-p)`` (proportion) or ``V = sd^2`` (mean), ``z`` the
    two-sided normal quantile; times the design effect; with a finite population ``N``:
    ``n = n0 / (1 + (n0 - 1)/N)`` for a proportion (exact with ``S^2 = N p q/(N-1)``) and
    ``n = n0 / (1 + n0/N)`` for a mean; completes ``ceil(n)``, issued ``ceil(completes / r)``.
    ``N`` (and ``sd``) may be arrays: one size per stratum.
    """
    if not 0 < margin:
        raise ConfigError(f"margin must be > 0, got {margin}", key="design.sample_size.margin")
    if not 0 < confidence < 1:
        raise ConfigError(
            f"confidence must be in (0, 1), got {confidence}", key="design.sample_size.confidence"
        )
    if not 0 < response_rate <= 1:
        raise ConfigError(
            f"response_rate must be in (0, 1], got {response_rate}",
            key="design.sample_size.response_rate",
        )
    if deff <= 0:
        raise ConfigError(f"deff must be > 0, got {deff}", key="design.sample_size.deff")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if sd is not None:
        V = np.asarray(sd, dtype=float) ** 2
        kind = "mean"
    else:
        if p is None or not 0 < p < 1:
            raise ConfigError(f"p must be in (0, 1), got {p}", key="design.sample_size.p")
        V = np.asarray(p * (1 - p), dtype=float)
        kind = "proportion"
    n0 = z * z * V / margin**2
    nd = n0 * deff
    if N is None:
        nf = nd
    else:
        Na = np.asarray(N, dtype=float)
        nf = nd / (1 + (nd - 1) / Na) if kind == "proportion" else nd / (1 + nd / Na)
        nf = np.minimum(nf, Na)
    nc = np.ceil(nf - 1e-9).astype(np.int64)
    ni = np.ceil(nc / response_rate - 1e-9).astype(np.int64)
    if N is not None:
        ni = np.minimum(ni, np.asarray(N, dtype=float).astype(np.int64))
    params = {
        "margin": margin,
        "confidence": confidence,
        "z": z,
        "p": None if sd is not None else p,
        "sd": None if sd is None else np.asarray(sd, dtype=float).tolist(),
        "deff": deff,
        "response_rate": response_rate,
        "N": None if N is None else np.asarray(N, dtype=float).tolist(),
        "estimand": kind,
    }
    return SampleSize(np.asarray(n0), np.asarray(nd), np.asarray(nf), nc, ni, params)


# ----------------------------------------------------------------------------- primitives
def _group_starts(sorted_groups: np.ndarray, G: int) -> np.ndarray:
    """Start position of each group code 0..G-1 in an array sorted by group."""
    return np.searchsorted(sorted_groups, np.arange(G), side="left")


def inclusion_probabilities(
    size: Sequence[float] | np.ndarray,
    n: float | Sequence[float] | np.ndarray,
    groups: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """PPS inclusion probabilities ``pik = n a_k / sum(a)`` within each group, take-all handled.

    Units whose ``pik >= 1`` get 1 and the others are rescaled to ``n - (#take-all)`` until no
    new unit reaches 1 (R ``sampling::inclusionprobabilities``; Tille 2006, 2.10). Sizes must be
    > 0 (check with :func:`check_sizes` first); ``n[g]`` is the sample size of group ``g``.
    """
    a = np.asarray(size, dtype=float)
    g = np.zeros(a.size, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    G = int(g.max()) + 1 if g.size else 0
    nh = np.broadcast_to(np.asarray(n, dtype=float), (G,)).astype(float)
    cert = np.zeros(a.size, dtype=bool)
    pik = np.empty(a.size)
    while True:
        free_sum = np.bincount(g, weights=np.where(cert, 0.0, a), minlength=G)
        n_cert = np.bincount(g, weights=cert.astype(float), minlength=G)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (nh - n_cert) / free_sum
        pik = np.where(cert, 1.0, a * scale[g])
        new = (~cert) & (pik >= 1)
        if not new.any():
            break
        cert |= new
    return pik


def up_systematic(
    pik: Sequence[float] | np.ndarray,
    u: float | Sequence[float] | np.ndarray,
    groups: Sequence[int] | np.ndarray | None = None,
    eps: float = EPS,
) -> np.ndarray:
    """Systematic selection with unequal probabilities, from one uniform draw per group.

    R ``sampling::UPsystematic``: over the units with ``eps < pik < 1 - eps``, in the given
    order, ``a_k = (V_{k-1} - u) mod 1`` with ``V_k`` the cumulated ``pik``; unit ``k`` is
    selected when ``a_k > a_{k+1}``. Units with ``pik >= 1 - eps`` are always and those with
    ``pik <= eps`` never selected. ``groups`` must be sorted (contiguous). Returns a bool mask.
    """
    p = np.asarray(pik, dtype=float)
    g = np.zeros(p.size, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    G = int(g.max()) + 1 if g.size else 0
    uu = np.broadcast_to(np.asarray(u, dtype=float), (G,))
    mid = (p > eps) & (p < 1 - eps)
    pm = np.where(mid, p, 0.0)
    cs = np.cumsum(pm)
    starts = _group_starts(g, G)
    before = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    before = np.where(starts > 0, before, 0.0)
    V = cs - before[g]
    Vprev = V - pm
    ug = uu[g]
    a_prev = np.mod(Vprev - ug, 1.0)
    a_cur = np.mod(V - ug, 1.0)
    return np.where(mid, a_prev > a_cur, p >= 1 - eps)


def check_sizes(size: np.ndarray, names: np.ndarray, column: str, file: str | None = None) -> None:
    """A PPS size measure must be present, finite and > 0 for every unit."""
    bad = ~np.isfinite(size) | (size <= 0)
    if bad.any():
        k = np.flatnonzero(bad)
        shown = ", ".join(f"{names[i]!s} ({size[i]})" for i in k[:5])
        raise InputError(
            f"{k.size} unit(s) have a missing, zero or negative size measure, e.g. {shown}; "
            "PPS needs a size > 0 for every unit (drop them or give them a size)",
            file=file,
            column=column,
        )


def _small_int(codes: np.ndarray) -> np.ndarray:
    """Codes in the smallest integer type (numpy sorts <= 16-bit integers by radix, O(N))."""
    m = int(codes.max()) if codes.size else 0
    for t in (np.int16, np.int32):
        if m <= np.iinfo(t).max:
            return codes.astype(t, copy=False)
    return codes


def _srswor_mask(
    group: np.ndarray, n_g: np.ndarray, N_g: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """SRSWOR of ``n_g`` of the ``N_g`` units of every group: the ``n_g`` smallest of i.i.d.
    uniform keys (a uniformly random subset).

    Only units whose key is below a per-group cut-off ``(n_g + 6 sqrt(n_g) + 10) / N_g`` are
    sorted; a group with fewer than ``n_g`` keys under its cut-off (probability < 1e-9) is redone
    with all its units, so the result is exactly the ``n_g`` smallest keys.
    """
    M = group.size
    key = rng.random(M)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = np.where(N_g > 0, (n_g + 6.0 * np.sqrt(n_g) + 10.0) / np.maximum(N_g, 1), 0.0)
    cut = np.where(n_g >= N_g, 2.0, cut)
    cand = np.flatnonzero(key < cut[group])
    short = np.bincount(group[cand], minlength=n_g.size) < n_g
    if short.any():
        cand = np.flatnonzero((key < cut[group]) | short[group])
    gc = group[cand]
    order = np.lexsort((key[cand], gc))
    gs = gc[order]
    rank = np.arange(cand.size) - _group_starts(gs, n_g.size)[gs]
    sel = np.zeros(M, dtype=bool)
    sel[cand[order[rank < n_g[gs]]]] = True
    return sel


def _select_in_groups(
    method: str,
    group: np.ndarray,
    n_g: np.ndarray,
    rng: np.random.Generator,
    size: np.ndarray | None = None,
    order_keys: Sequence[np.ndarray] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Select within groups (codes 0..G-1). Returns (selected mask, pik, hits)."""
    M = group.size
    G = n_g.size
    N_g = np.bincount(group, minlength=G)
    hits = np.ones(M, dtype=np.int64)
    if method == "all":
        return np.ones(M, dtype=bool), np.ones(M), hits
    if method == "srswor":
        sel = _srswor_mask(group, n_g, N_g, rng)
        with np.errstate(divide="ignore", invalid="ignore"):
            pik = (n_g / N_g)[group]
        return sel, pik, hits
    if method == "srswr":
        # n_g draws with replacement among the N_g units of each group: draw j of group g picks
        # the unit at position floor(U * N_g) of the group (units in frame order).
        order = np.argsort(_small_int(group), kind="stable")
        starts = _group_starts(group[order], G)
        dg = np.repeat(np.arange(G), n_g)
        pos = starts[dg] + np.floor(rng.random(dg.size) * N_g[dg]).astype(np.int64)
        hits = np.zeros(M, dtype=np.int64)
        np.add.at(hits, order[pos], 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pik = (1.0 - (1.0 - 1.0 / N_g) ** n_g)[group]
        return hits > 0, pik, hits
    if method in ("systematic", "pps_systematic"):
        if order_keys:
            order = np.lexsort((*reversed(list(order_keys)), group))  # stable: ties keep order
        else:
            order = np.argsort(_small_int(group), kind="stable")
        gs = group[order]
        if method == "systematic":
            with np.errstate(divide="ignore", invalid="ignore"):
                p_sorted = (n_g / N_g)[gs]
        else:
            p_sorted = inclusion_probabilities(size[order], n_g, gs)
        u = rng.random(G)
        s_sorted = up_systematic(p_sorted, u, gs)
        sel = np.empty(M, dtype=bool)
        pik = np.empty(M)
        sel[order] = s_sorted
        pik[order] = p_sorted
        return sel, pik, hits
    raise ConfigError(
        f"unknown stage method {method!r}; allowed: {', '.join(STAGE_METHODS)}", key="design.stages"
    )


# ----------------------------------------------------------------------------- design spec
@dataclass(frozen=True)
class Stage:
    """One stage: its units (a frame column; None = the frame's units), method and size.

    ``n`` is the total over strata for stage 1 (allocated to strata) and the number per
    selected parent unit for later stages (a parent with fewer units is taken whole).
    """

    unit: str | None = None
    method: str = "srswor"
    n: int | None = None
    size: str | None = None
    sort: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    """A probability design: optional strata, one to three stages, allocation of stage 1."""

    method: str
    stages: tuple[Stage, ...]
    id_column: str = "customer_id"
    strata: str | None = None
    n: int | None = None  # target number of final units (used when stage 1 n is not given)
    allocation: str = "proportional"
    minimum: int = 0
    sd: Mapping[str, float] | None = None
    sd_column: str | None = None
    cost: Mapping[str, float] | None = None
    fixed: Mapping[str, int] | None = None


@dataclass
class SampleResult:
    """The selected units (``sample``) and the design summary written to design.json."""

    sample: pd.DataFrame
    info: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.sample

    def summary(self) -> dict[str, Any]:
        return self.info


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
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


def _check_frame(
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


def _prepare(
    frame: pd.DataFrame, design: Design, file: str | None, check: bool = True
) -> _Prepared:
    """Checks, stage unit codes and the stage-1 allocation (no random numbers used)."""
    _check_frame(frame, design, file, duplicates=check)
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
        scode, snames = _factorize(frame[design.strata])
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
        c, nm = _factorize(frame[st.unit])
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
    prep = _prepare(frame, design, file)
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
    prep = _prepare(frame, design, file, check=check)
    S, Nrows, scode, names = prep.S, prep.Nrows, prep.scode, prep.names
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
        sel_u, pik_u, hits_u = _select_in_groups(
            st.method, pg, n_g, rng, size=size, order_keys=keys
        )
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
    return SampleResult(out, info)


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


# ----------------------------------------------------------------------------- quota
def quota_sample(
    frame: pd.DataFrame,
    cells: Sequence[str],
    n: int | None,
    seed: int | np.random.Generator,
    *,
    id_column: str = "customer_id",
    quotas: Mapping[str, int] | None = None,
    file: str | None = None,
) -> SampleResult:
    """Quota sample: ``quotas`` per cell (cells = combinations of ``cells`` columns, labelled
    ``"a|b"``), or ``n`` spread over cells proportionally to the frame (largest remainder);
    within a cell the units are picked at random (standing in for the interviewers' choice).

    Not a probability sample: ``pi`` and ``design_weight`` are NaN; weighting must calibrate.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d = Design("quota", (Stage(),), id_column=id_column)
    _check_frame(frame, d, file)
    missing = [c for c in cells if c not in frame.columns]
    if missing or not cells:
        raise ConfigError(
            f"quota cells must be frame columns; not found: {missing or '(none given)'}",
            key="design.quota.cells",
        )
    for c in cells:
        na = frame[c].isna().to_numpy()
        if na.any():
            raise InputError(
                f"{int(na.sum())} row(s) have no value for quota variable {c!r}",
                file=file,
                row=int(np.flatnonzero(na)[0]) + 1,
                column=c,
            )
    # cell codes from the codes of each quota variable (no per-row string work)
    code = np.zeros(len(frame), dtype=np.int64)
    parts = []
    for c in cells:
        cc, un = _factorize(frame[c])
        code = code * un.size + cc
        parts.append(un)
    code, combo = pd.factorize(code, sort=True)
    code = code.astype(np.int64)
    names = []
    for x in np.asarray(combo, dtype=np.int64).tolist():  # one label per cell, not per unit
        lab = []
        for un in reversed(parts):
            lab.append(str(un[x % un.size]))
            x //= un.size
        names.append("|".join(reversed(lab)))
    N_c = np.bincount(code, minlength=len(names))
    if quotas:
        q = {str(k): int(v) for k, v in quotas.items()}
        extra = [c for c in q if c not in set(names)]
        if extra:
            raise ConfigError(
                f"quota cell(s) {', '.join(map(repr, extra[:10]))} have no units in the frame; "
                f"cells are labelled like {names[0]!r}",
                key="design.quota.quotas",
            )
        n_c = np.array([q.get(s, 0) for s in names], dtype=np.int64)
        short = np.flatnonzero(n_c > N_c)
        if short.size:
            h = short[0]
            raise InputError(
                f"quota cell {names[h]!r} has {N_c[h]} unit(s) in the frame, fewer than its quota "
                f"{n_c[h]}; lower the quota or merge cells",
                file=file,
                column=",".join(cells),
            )
    else:
        if n is None:
            raise ConfigError(
                "quota sampling needs design.n or design.quota.quotas", key="design.n"
            )
        if n > len(frame):
            raise ConfigError(
                f"n = {n} is larger than the frame ({len(frame)} units)", key="design.n"
            )
        n_c = largest_remainder(N_c * (n / N_c.sum()), n)
    sel, _, _ = _select_in_groups("srswor", code, n_c, rng)
    idx = np.flatnonzero(sel)
    out = frame.iloc[idx].reset_index(drop=True).copy()
    out.insert(0, "unit_id", frame[id_column].to_numpy()[idx].astype(str))
    out["stratum"] = np.asarray(names, dtype=object)[code[idx]]
    out["quota_cell"] = out["stratum"]
    out["psu"] = out["unit_id"]
    out["pi_1"] = np.nan
    out["pi"] = np.nan
    out["design_weight"] = np.nan
    out["fpc_1"] = np.nan
    out["fpc_2"] = np.nan
    out = out.sort_values(["stratum", "unit_id"], kind="stable").reset_index(drop=True)
    table = pd.DataFrame(
        {
            "cell": names,
            "N_units": N_c,
            "quota": n_c,
            "n_units": np.bincount(code[idx], minlength=len(names)),
        }
    )
    info = {
        "method": "quota",
        "probability_sample": False,
        "design_weights_defined": False,
        "warning": "Quota sampling is not a probability design: inclusion probabilities and "
        "design weights are not defined (pi and design_weight are NaN). Weighting must "
        "calibrate the respondents to known population totals.",
        "id_column": id_column,
        "quota_cells": list(cells),
        "n_target": n,
        "n_selected": int(len(out)),
        "allocation": {"method": "quota", "table": table.to_dict(orient="records")},
        "stages": [],
    }
    return SampleResult(out, info)


# ----------------------------------------------------------------------------- config
DEFAULT_STAGES: dict[str, list[dict[str, Any]]] = {
    "srs": [{"method": "srswor"}],
    "systematic": [{"method": "systematic"}],
    "stratified": [{"method": "srswor"}],
}


def design_from_config(section: Mapping[str, Any], id_column: str = "customer_id") -> Design:
    """Build a :class:`Design` from the config section ``design`` (see design.schema.yaml)."""
    method = section.get("method", "multistage")
    if method not in DESIGN_METHODS:
        raise ConfigError(
            f"unknown design {method!r}; allowed: {', '.join(DESIGN_METHODS)}", key="design.method"
        )
    raw = section.get("stages") or DEFAULT_STAGES.get(method)
    if not raw:
        raise ConfigError(
            f"design {method!r} needs `stages` (e.g. [{{unit: branch, method: pps_systematic, "
            "size: branch_size}, {method: srswor, n: 25}])",
            key="design.stages",
        )
    raw = [dict(r) for r in raw]
    strata = section.get("strata")
    if method == "cluster":
        if len(raw) == 1:
            raw.append({"method": "all"})
        if len(raw) != 2 or raw[1].get("method", "all") != "all" or not raw[0].get("unit"):
            raise ConfigError(
                "a one-stage cluster design has one stage with `unit` (the cluster id column); "
                "all units of a selected cluster are taken",
                key="design.stages",
            )
        raw[1]["method"] = "all"
    elif method == "multistage":
        if not 2 <= len(raw) <= 3:
            raise ConfigError(
                f"a multistage design has 2 or 3 stages, got {len(raw)}", key="design.stages"
            )
    else:
        if len(raw) != 1 or raw[0].get("unit"):
            raise ConfigError(
                f"design {method!r} selects units in one stage without `unit`; "
                "use method cluster or multistage for clusters",
                key="design.stages",
            )
        if method in ("srs", "systematic") and strata:
            raise ConfigError(
                f"design {method!r} has no strata; use method stratified (with stages "
                f"[{{method: {raw[0].get('method')}}}]) for a stratified design",
                key="design.strata",
            )
        allowed = {
            "srs": ("srswor", "srswr"),
            "systematic": ("systematic", "pps_systematic"),
            "stratified": ("srswor", "srswr", "systematic", "pps_systematic"),
        }[method]
        if raw[0].get("method", allowed[0]) not in allowed:
            raise ConfigError(
                f"design {method!r} selects with {' or '.join(allowed)}, "
                f"not {raw[0].get('method')!r}",
                key="design.stages[0].method",
            )
    if method == "stratified" and not strata:
        raise ConfigError(
            "a stratified design needs `strata` (the stratum column)", key="design.strata"
        )
    for k, r in enumerate(raw):
        m = r.get("method", "srswor")
        if m not in STAGE_METHODS:
            raise ConfigError(
                f"unknown method {m!r}; allowed: {', '.join(STAGE_METHODS)}",
                key=f"design.stages[{k}].method",
            )
        if m == "srswr" and (k > 0 or len(raw) > 1):
            raise ConfigError(
                "sampling with replacement (srswr) is supported in one-stage designs only",
                key=f"design.stages[{k}].method",
            )
        if m == "all" and k == 0:
            raise ConfigError(
                "the first stage cannot take all units", key=f"design.stages[{k}].method"
            )
    stages = tuple(
        Stage(
            unit=r.get("unit"),
            method=r.get("method", "srswor"),
            n=r.get("n"),
            size=r.get("size"),
            sort=tuple(r.get("sort") or ()),
        )
        for r in raw
    )
    alloc = dict(section.get("allocation") or {})
    return Design(
        method=method,
        stages=stages,
        id_column=id_column,
        strata=strata,
        n=section.get("n"),
        allocation=alloc.get("method", "proportional"),
        minimum=int(alloc.get("minimum", 2)),
        sd=alloc.get("sd") or None,
        sd_column=alloc.get("sd_column"),
        cost=alloc.get("cost") or None,
        fixed=alloc.get("fixed") or None,
    )


def resolve_sample_size(
    frame: pd.DataFrame, design: Design, section: Mapping[str, Any], file: str | None = None
) -> tuple[Design, dict[str, Any] | None]:
    """Fill in ``n`` from ``design.sample_size`` when neither ``n`` nor stage-1 ``n`` is given.

    With ``per_stratum: true`` each stratum gets the size its own margin needs (fixed
    allocation; for cluster designs divided by the expected units per stage-1 unit).
    """
    ss = section.get("sample_size") or {}
    if design.n is not None or design.stages[0].n is not None or design.allocation == "fixed":
        return design, None
    if not ss or ss.get("margin") is None:
        raise ConfigError(
            "give the sample size: design.n, or design.sample_size.margin to compute it",
            key="design.n",
        )
    use_fpc = ss.get("fpc", True)
    kw = {
        "margin": float(ss["margin"]),
        "confidence": float(ss.get("confidence", 0.95)),
        "p": ss.get("p", 0.5),
        "sd": ss.get("sd"),
        "deff": float(ss.get("deff", 1.0)),
        "response_rate": float(ss.get("response_rate", 1.0)),
    }
    if ss.get("per_stratum") and design.strata:
        if design.strata not in frame.columns:
            _check_frame(frame, design, file)
        counts = frame[design.strata].value_counts(sort=False).sort_index()
        res = sample_size(N=counts.to_numpy(float) if use_fpc else None, **kw)
        per = dict(zip(counts.index.astype(str), np.atleast_1d(res.n_issued).tolist(), strict=True))
        out = res.summary()
        out["strata"] = list(per)
        total = int(sum(per.values()))
        if len(design.stages) > 1:
            m = _prepare(frame, replace(design, n=total), file).m_per_psu
            per = {h: max(1, int(math.ceil(v / m - 1e-9))) for h, v in per.items()}
            out["expected_units_per_psu"] = m
        return replace(design, n=total, allocation="fixed", fixed=per), out
    res = sample_size(N=float(len(frame)) if use_fpc else None, **kw)
    return replace(design, n=int(res.n_issued)), res.summary()


def _quota_args(section: Mapping[str, Any]) -> dict[str, Any]:
    q = section.get("quota") or {}
    return {"cells": list(q.get("cells") or []), "quotas": q.get("quotas") or None}


def design_plan(
    frame: pd.DataFrame,
    section: Mapping[str, Any],
    master_seed: int,
    id_column: str = "customer_id",
    file: str | None = None,
) -> dict[str, Any]:
    """design.json: the design, the sample size computation, the allocation and the seed."""
    seed = section.get("seed")
    seed = derive_seed(master_seed, "design") if seed is None else int(seed)
    if section.get("method") == "quota":
        res = quota_sample(
            frame,
            n=section.get("n"),
            seed=seed,
            id_column=id_column,
            file=file,
            **_quota_args(section),
        )
        info = dict(res.info)
        info.pop("n_selected", None)
        info["seed"] = seed
        return info
    design = design_from_config(section, id_column)
    design, ss = resolve_sample_size(frame, design, section, file)
    info = plan(frame, design, file)
    info["sample_size"] = ss
    info["seed"] = seed
    return info


def draw_from_config(
    frame: pd.DataFrame,
    section: Mapping[str, Any],
    master_seed: int,
    id_column: str = "customer_id",
    file: str | None = None,
) -> SampleResult:
    """Draw the sample the config section ``design`` describes (same seed as the plan)."""
    seed = section.get("seed")
    seed = derive_seed(master_seed, "design") if seed is None else int(seed)
    if section.get("method") == "quota":
        res = quota_sample(
            frame,
            n=section.get("n"),
            seed=seed,
            id_column=id_column,
            file=file,
            **_quota_args(section),
        )
    else:
        design = design_from_config(section, id_column)
        design, ss = resolve_sample_size(frame, design, section, file)
        res = draw(frame, design, seed, file)
        res.info["sample_size"] = ss
    res.info["seed"] = seed
    return res


def read_frame(path: str, id_column: str = "customer_id") -> pd.DataFrame:
    """Read a sampling frame (Parquet, CSV or Excel); the id column is read as text."""
    from pathlib import Path

    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path)
    elif suffix in (".csv", ".txt"):
        df = pd.read_csv(path, dtype={id_column: str})
    elif suffix in (".xlsx", ".xls"):
        df = pd.read_excel(path, dtype={id_column: str})
    else:
        raise InputError(
            f"unknown frame format {suffix!r}; allowed: .parquet, .csv, .xlsx", file=str(path)
        )
    return df
