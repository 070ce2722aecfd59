"""The simulated customer frame of the demo world (Company L): regions as strata, branches as
clusters with very unequal sizes, segments, tenure and spend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .streams import DEFAULT_FRAME
from .streams import merged as _merged
from .streams import rng as _rng
from .streams import take_str as _take_str


# ------------------------------------------------------------------------------- the frame
@dataclass
class Frame:
    """A simulated customer frame (one row per customer) with its generating settings."""

    frame: pd.DataFrame
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def summary(self) -> pd.DataFrame:
        """Customers and branches per region x segment, with region totals (segment 'all')."""
        return frame_summary(self.frame)

    def summary_json(self) -> dict[str, Any]:
        """Headline counts: customers, branches, regions, segment shares, branch-size spread."""
        f = self.frame
        sizes = f.drop_duplicates("branch")["branch_size"].to_numpy()
        regions = f.groupby("region", sort=True).agg(
            customers=("branch", "size"), branches=("branch", "nunique")
        )
        seg = f["segment"].value_counts().sort_index()
        return {
            "seed": self.seed,
            "n_customers": int(len(f)),
            "n_branches": int(len(sizes)),
            "n_regions": int(len(regions)),
            "regions": {
                r: {"customers": int(row.customers), "branches": int(row.branches)}
                for r, row in regions.iterrows()
            },
            "segments": {s: {"customers": int(n), "share": n / len(f)} for s, n in seg.items()},
            "branch_size": {
                "min": int(sizes.min()),
                "median": float(np.median(sizes)),
                "max": int(sizes.max()),
                "cv": float(sizes.std() / sizes.mean()),
            },
            "settings": self.settings,
        }


def frame_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Customers and branches per region x segment, plus a row per region with segment 'all'."""
    g = frame.groupby(["region", "segment"], sort=True).agg(
        customers=("branch", "size"), branches=("branch", "nunique")
    )
    tot = frame.groupby("region", sort=True).agg(
        customers=("branch", "size"), branches=("branch", "nunique")
    )
    tot["segment"] = "all"
    out = pd.concat([g.reset_index(), tot.reset_index()], ignore_index=True)
    out = out.sort_values(["region", "segment"], kind="stable").reset_index(drop=True)
    return out[["region", "segment", "customers", "branches"]]


def _check_shares(shares: Mapping[str, Any], key: str) -> tuple[list[str], np.ndarray]:
    if not shares:
        raise ConfigError("must list at least one entry with a positive share", key=key)
    names = list(shares)
    p = np.array([float(shares[n]) for n in names])
    if (p <= 0).any() or not np.isfinite(p).all():
        bad = [n for n, v in zip(names, p, strict=True) if not v > 0]
        raise ConfigError(f"shares must be positive numbers; got {bad}", key=key)
    return names, p / p.sum()


@dataclass(frozen=True)
class _Settings:
    """The checked ``simulate`` block: sizes, shares and concentrations."""

    n: int
    regions: list[str]
    p_reg: np.ndarray  # region shares, summing to 1
    segments: list[str]
    p_seg: np.ndarray  # segment shares, summing to 1
    customers_per_branch: float
    branch_concentration: float  # alpha
    segment_concentration: float  # kappa


def _checked_settings(sim: Mapping[str, Any]) -> _Settings:
    """The ``simulate`` block checked: ConfigError for a bad size, share or missing segment."""
    n = int(sim["n_customers"])
    if n < 1:
        raise ConfigError(f"must be a positive integer, got {n}", key="frame.simulate.n_customers")
    regions, p_reg = _check_shares(sim["regions"], "frame.simulate.regions")
    segments, p_seg = _check_shares(sim["segments"], "frame.simulate.segments")
    for s in segments:
        for k in ("tenure_mean", "spend_median"):
            if s not in sim[k]:
                raise ConfigError(
                    f"has no value for segment {s!r}; give one for each of {segments}",
                    key=f"frame.simulate.{k}",
                )
    return _Settings(
        n=n,
        regions=regions,
        p_reg=p_reg,
        segments=segments,
        p_seg=p_seg,
        customers_per_branch=float(sim["customers_per_branch"]),
        branch_concentration=float(sim["branch_concentration"]),
        segment_concentration=float(sim["segment_concentration"]),
    )


@dataclass(frozen=True)
class _Branches:
    """The clusters: size, region code and name of each branch, regions in order."""

    size: np.ndarray
    region: np.ndarray
    names: np.ndarray


def _branches(rng: np.random.Generator, st: _Settings) -> _Branches:
    """N_h ~ Multinomial(N, shares); B_h = max(2, round(N_h / c)) branches of sizes
    1 + Multinomial(N_h - B_h, Dirichlet(alpha)), vectorised per region (no loop over branches)."""
    n, regions, cpb, alpha = st.n, st.regions, st.customers_per_branch, st.branch_concentration
    n_h = rng.multinomial(n, st.p_reg)
    if (n_h < 1).any():
        raise ConfigError(
            f"n_customers={n} is too small for {len(regions)} regions (a region got no customer)",
            key="frame.simulate.n_customers",
        )
    b_h = np.minimum(np.maximum(np.rint(n_h / cpb).astype(np.int64), 2), n_h)
    sizes = []
    for nh, bh in zip(n_h, b_h, strict=True):
        w = rng.dirichlet(np.full(bh, alpha))
        sizes.append(1 + rng.multinomial(nh - bh, w / w.sum()))
    branch_size = np.concatenate(sizes)
    branch_region = np.repeat(np.arange(len(regions)), b_h)
    within = np.arange(len(branch_size)) - np.repeat(np.cumsum(b_h) - b_h, b_h) + 1
    width = max(3, len(str(int(b_h.max()))))
    branch_names = (
        pd.Series(np.asarray(regions, dtype=object)[branch_region]).astype("str")
        + "-B"
        + pd.Series(within).astype("str").str.zfill(width)
    ).to_numpy()
    return _Branches(branch_size, branch_region, branch_names)


def _segment_codes(
    rng: np.random.Generator, st: _Settings, branches: _Branches, branch_code: np.ndarray
) -> np.ndarray:
    """Segment of each customer: region mix ~ Dirichlet(50 p), branch mix ~ Dirichlet(kappa *
    region mix), the customer's segment ~ the branch mix."""
    reg_mix = rng.dirichlet(50.0 * st.p_seg, size=len(st.regions))
    g = rng.standard_gamma(st.segment_concentration * reg_mix[branches.region])
    br_mix = np.cumsum(g / g.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(st.n)
    seg_code = np.zeros(st.n, dtype=np.int8)
    for k in range(len(st.segments) - 1):  # loop over segments only
        seg_code += u > br_mix[branch_code, k]
    return seg_code


def _tenure_and_spend(
    rng: np.random.Generator,
    sim: Mapping[str, Any],
    st: _Settings,
    seg_code: np.ndarray,
    region_code: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """tenure ~ Gamma(2, mean/2) by segment; spend = median(segment) * region factor *
    exp(0.5 z + 0.03 (tenure - mean))."""
    n, segments = st.n, st.segments
    t_mean = np.array([float(sim["tenure_mean"][s]) for s in segments])
    tenure = np.round(rng.standard_gamma(2.0, n) * (t_mean / 2.0)[seg_code], 1)
    med = np.array([float(sim["spend_median"][s]) for s in segments])
    reg_fac = np.exp(float(sim["region_spend_sd"]) * rng.standard_normal(len(st.regions)))
    spend = (
        med[seg_code]
        * reg_fac[region_code]
        * np.exp(0.5 * rng.standard_normal(n) + 0.03 * (tenure - t_mean[seg_code]))
    )
    return tenure, np.round(spend, 2)


def simulate_frame(config_section: Mapping[str, Any] | None = None, seed: int = 0) -> Frame:
    """Simulate the Company L customer frame.

    Region sizes ~ Multinomial(N, region shares); in region h, B_h = max(2, round(N_h / c))
    branches whose sizes are 1 + Multinomial(N_h - B_h, Dirichlet(alpha)) (small alpha: very
    unequal); each branch's segment mix ~ Dirichlet(kappa * shares); tenure ~ Gamma(2, mean/2)
    by segment; spend = median(segment) * region factor * exp(0.5 z + 0.03 (tenure - mean)).
    ``config_section`` is the study config's ``frame`` section (its ``simulate`` block is used).
    """
    cfg = _merged(DEFAULT_FRAME, config_section)
    sim = cfg["simulate"]
    id_col = cfg.get("id_column") or "customer_id"
    st = _checked_settings(sim)
    rng = _rng(seed, "frame")
    branches = _branches(rng, st)
    branch_code = np.repeat(np.arange(len(branches.size)), branches.size)
    seg_code = _segment_codes(rng, st, branches, branch_code)
    region_code = branches.region[branch_code]
    tenure, spend = _tenure_and_spend(rng, sim, st, seg_code, region_code)
    frame = pd.DataFrame(
        {
            id_col: _customer_ids(st.n),
            "region": _take_str(st.regions, region_code),
            "branch": _take_str(branches.names, branch_code),
            "branch_size": branches.size[branch_code].astype(np.int64),
            "segment": _take_str(st.segments, seg_code),
            "tenure_years": tenure,
            "monthly_spend": spend,
        }
    )
    return Frame(frame=frame, seed=int(seed), settings=sim)


def _customer_ids(n: int, prefix: str = "C", min_width: int = 7) -> pd.Series:
    """Ids 'C0000001'... built as fixed-width bytes (no Python object per customer)."""
    import pyarrow as pa

    width = max(min_width, len(str(n)))
    w = width + len(prefix)
    buf = np.empty((n, w), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    x = np.arange(1, n + 1, dtype=np.int64)
    for k in range(w - 1, len(prefix) - 1, -1):
        buf[:, k] = x % 10 + 48
        x //= 10
    offsets = np.arange(0, n * w + 1, w, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf.ravel()))
    return arr.cast(pa.string()).to_pandas()
