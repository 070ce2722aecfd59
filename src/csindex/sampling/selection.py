"""Selection primitives, vectorised within groups: SRS without replacement by random keys,
systematic and PPS systematic (R's ``sampling::UPsystematic``), and PPS inclusion
probabilities with take-all units (R's ``sampling::inclusionprobabilities``; Tille 2006).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError, InputError

STAGE_METHODS = ("srswor", "srswr", "systematic", "pps_systematic", "all")


EPS = 1e-6  # as R's UPsystematic: pik <= eps never, pik >= 1 - eps always selected


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


def select_in_groups(
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
