"""Speed and peak memory of the sampling stage.

Run: python benchmarks/bench_sampling.py [--large]
Default: 1,000,000-row frame (50 strata, 2,000 clusters); --large: the issue's 10,000,000 rows,
50 strata, 20,000 clusters. Designs: stratified SRSWOR of 100,000 (1% of the large frame) and
two-stage PPS systematic of clusters within strata then SRSWOR of customers. Each case runs in a
fresh subprocess (peak RSS via resource.getrusage); the frame is generated inside the benchmark.
"plain numpy" is a minimal vectorised reference implementation on integer codes (random keys
and one argsort for SRS; cumulative sums for systematic PPS), without checks or output table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def make_frame(N: int, H: int, C: int, seed: int = 1) -> pd.DataFrame:
    """N units in C clusters (unequal sizes) nested in H strata; integer and categorical ids."""
    rng = np.random.default_rng(seed)
    csize = rng.gamma(2.0, 1.0, C)
    cluster = np.sort(rng.choice(C, size=N, p=csize / csize.sum()))
    cstratum = np.sort(rng.integers(0, H, C))
    size = np.bincount(cluster, minlength=C)
    return pd.DataFrame(
        {
            "customer_id": np.arange(N, dtype=np.int64),
            "region": cstratum[cluster].astype(np.int16),
            "branch": cluster.astype(np.int32),
            "branch_size": size[cluster].astype(np.float64),
        }
    )


def numpy_stratified(frame: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = frame["region"].to_numpy()
    H = int(h.max()) + 1
    Nh = np.bincount(h, minlength=H)
    q = n * Nh / Nh.sum()
    nh = np.floor(q).astype(int)
    nh[np.argsort(-(q - nh))[: n - nh.sum()]] += 1
    key = h + rng.random(h.size)
    order = np.argsort(key)
    start = np.r_[0, np.cumsum(Nh)[:-1]]
    rank = np.arange(h.size) - start[h[order]]
    return order[rank < nh[h[order]]]


def numpy_twostage(frame: pd.DataFrame, n_psu: int, m: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = frame["branch"].to_numpy()
    C = int(c.max()) + 1
    size = np.bincount(c, minlength=C).astype(float)
    hc = np.zeros(C, dtype=np.int64)
    hc[c] = frame["region"].to_numpy()
    H = int(hc.max()) + 1
    Sh = np.bincount(hc, weights=size, minlength=H)
    nh = np.maximum(1, np.round(n_psu * Sh / Sh.sum())).astype(int)
    pik = np.minimum(1.0, nh[hc] * size / Sh[hc])  # (one take-all pass)
    cs = np.cumsum(pik)
    start = np.searchsorted(hc, np.arange(H))
    off = np.where(start > 0, cs[np.maximum(start - 1, 0)], 0.0)
    u = rng.random(H)[hc]
    v = cs - off[hc]
    sel_c = np.floor(v - u) > np.floor(v - pik - u)
    rows = np.flatnonzero(sel_c[c])
    cr = c[rows]
    order = np.argsort(cr + rng.random(rows.size))
    Ns = np.bincount(cr, minlength=C)
    st = np.r_[0, np.cumsum(Ns)[:-1]]
    rank = np.arange(rows.size) - st[cr[order]]
    return rows[order[rank < m]]


def run_case(case: str, N: int, H: int, C: int, n: int, n_psu: int, m: int) -> dict:
    from csindex.sampling import Design, Stage, draw

    frame = make_frame(N, H, C)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if case == "numpy_stratified":
        k = len(numpy_stratified(frame, n, 1))
    elif case == "numpy_twostage":
        k = len(numpy_twostage(frame, n_psu, m, 1))
    elif case == "csindex_stratified":
        d = Design("stratified", (Stage(n=n),), strata="region", minimum=0)
        k = len(draw(frame, d, 1).sample)
    elif case == "csindex_twostage":
        d = Design(
            "multistage",
            (
                Stage(unit="branch", method="pps_systematic", size="branch_size", n=n_psu),
                Stage(n=m),
            ),
            strata="region",
            minimum=0,
        )
        k = len(draw(frame, d, 1).sample)
    else:
        raise SystemExit(f"unknown case {case}")
    t = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": case,
        "seconds": t,
        "selected": k,
        "peak_rss_mb": rss / 1024,
        "frame_rss_mb": rss0 / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true", help="10M rows, 50 strata, 20,000 clusters")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (best time shown)")
    a = ap.parse_args()
    N, H, C = (10_000_000, 50, 20_000) if a.large else (1_000_000, 50, 2_000)
    n, n_psu, m = N // 100, C // 10, 50
    if a.case:
        print(json.dumps(run_case(a.case, N, H, C, n, n_psu, m)))
        return
    print(
        f"frame: {N:,} rows, {H} strata, {C:,} clusters; stratified n = {n:,}; "
        f"two-stage {n_psu:,} clusters PPS x {m} units"
    )
    print(f"{'case':<22}{'best s':>9}{'selected':>10}{'peak RSS MB':>13}{'frame RSS MB':>14}")
    for case in ("numpy_stratified", "csindex_stratified", "numpy_twostage", "csindex_twostage"):
        runs = []
        for _ in range(a.repeat):
            cmd = [sys.executable, __file__, "--case", case] + (["--large"] if a.large else [])
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        print(
            f"{case:<22}{best['seconds']:>9.3f}{best['selected']:>10,}"
            f"{best['peak_rss_mb']:>13.0f}{best['frame_rss_mb']:>14.0f}"
        )


if __name__ == "__main__":
    main()
