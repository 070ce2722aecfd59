"""Allocation of a sample over strata (proportional, equal, Neyman, optimal, fixed), rounded
by largest remainder (Cochran 1977, ch. 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError

ALLOCATIONS = ("proportional", "equal", "neyman", "optimal", "fixed")
_KEY = "design.allocation"  # config key of the allocation's error messages


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
    if method not in ALLOCATIONS:
        raise ConfigError(
            f"unknown allocation {method!r}; allowed: {', '.join(ALLOCATIONS)}",
            key=f"{_KEY}.method",
        )
    if method == "fixed":
        return _fixed_allocation(strata, Nh, cap, fixed, method)
    n = _checked_total(n, cap)
    H = len(strata)
    w = _allocation_weights(method, Nh, H, sd, cost)
    lo = _lower_bounds(minimum, cap, n, H)
    q, fixed_at = _bounded_quotas(w, n, lo, cap, H)
    nh = _round_free(q, fixed_at, n)
    take_all = [strata[h] for h in np.flatnonzero((nh >= cap) & (cap > 0))]
    return Allocation(strata, Nh, cap, q, nh, method, take_all)


def _fixed_allocation(
    strata: list[str],
    Nh: np.ndarray,
    cap: np.ndarray,
    fixed: Sequence[int] | np.ndarray | None,
    method: str,
) -> Allocation:
    """The given ``n_h`` per stratum, checked against ``0 <= n_h <= capacity_h``."""
    if fixed is None:
        raise ConfigError("allocation 'fixed' needs n per stratum", key=f"{_KEY}.fixed")
    nh = np.asarray(fixed, dtype=np.int64)
    over = np.flatnonzero(nh > cap)
    if over.size:
        h = over[0]
        raise ConfigError(
            f"n = {nh[h]} for stratum {strata[h]!r} is larger than the stratum "
            f"({cap[h]} selection units); allowed: at most {cap[h]}",
            key=f"{_KEY}.fixed",
        )
    if np.any(nh < 0):
        raise ConfigError("n per stratum must be >= 0", key=f"{_KEY}.fixed")
    return Allocation(
        strata,
        Nh,
        cap,
        nh.astype(float),
        nh,
        method,
        [strata[h] for h in np.flatnonzero((nh == cap) & (cap > 0))],
    )


def _checked_total(n: int | None, cap: np.ndarray) -> int:
    """The total ``n``, given and at most the selection units of the frame."""
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
    return n


def _allocation_weights(
    method: str,
    Nh: np.ndarray,
    H: int,
    sd: Sequence[float] | np.ndarray | None,
    cost: Sequence[float] | np.ndarray | None,
) -> np.ndarray:
    """Quota weights: ``N_h``, 1, ``N_h S_h`` or ``N_h S_h / sqrt(c_h)`` (Cochran 5.24)."""
    if method == "proportional":
        return Nh.copy()
    if method == "equal":
        return np.ones(H)
    if sd is None:
        raise ConfigError(
            f"allocation {method!r} needs a standard deviation per stratum", key=f"{_KEY}.sd"
        )
    S = np.asarray(sd, dtype=float)
    if np.any(~np.isfinite(S)) or np.any(S < 0):
        raise ConfigError("standard deviations must be finite and >= 0", key=f"{_KEY}.sd")
    w = Nh * S
    if method == "optimal":
        if cost is None:
            raise ConfigError("allocation 'optimal' needs a cost per stratum", key=f"{_KEY}.cost")
        c = np.asarray(cost, dtype=float)
        if np.any(~np.isfinite(c)) or np.any(c <= 0):
            raise ConfigError("costs must be finite and > 0", key=f"{_KEY}.cost")
        w = w / np.sqrt(c)
    return w


def _lower_bounds(minimum: int, cap: np.ndarray, n: int, H: int) -> np.ndarray:
    """``min(minimum, capacity_h)`` per stratum; their sum must not exceed ``n``."""
    lo = np.minimum(int(minimum), cap)
    if lo.sum() > n:
        raise ConfigError(
            f"minimum {minimum} per stratum over {H} strata needs n >= {int(lo.sum())}, "
            f"but n = {n}",
            key=f"{_KEY}.minimum",
        )
    return lo


def _bounded_quotas(
    w: np.ndarray, n: int, lo: np.ndarray, cap: np.ndarray, H: int
) -> tuple[np.ndarray, np.ndarray]:
    """Quotas ``(n - fixed) w_h / sum(free w)`` of the free strata; a stratum over its capacity
    (first) or under its minimum is fixed at that bound, until none is. Returns the quotas and
    the value each stratum is fixed at (-1 = free)."""
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
    return q, fixed_at


def _round_free(q: np.ndarray, fixed_at: np.ndarray, n: int) -> np.ndarray:
    """Integer ``n_h``: the fixed strata at their bound, the free quotas by largest remainder."""
    free = fixed_at < 0
    nh = np.where(free, 0, fixed_at).astype(np.int64)
    rest = n - int(nh.sum())
    if free.any():
        nh[free] = largest_remainder(q[free], rest)
    elif rest != 0:  # pragma: no cover - bounds make this impossible
        raise ConfigError(f"cannot allocate n = {n} within the stratum bounds", key="design.n")
    return nh
