"""Shared timing and memory harness of the benchmarks: each case in a fresh subprocess."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any


def measure(name: str, n: int, call: Callable[[], Any], repeat: int) -> dict:
    """Best and median wall time of ``call`` over ``repeat`` runs (after a warm-up), the
    process's peak RSS and its growth over the baseline, and the tracemalloc peak of one call."""
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call()  # warm-up
    times = []
    info = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        info = call()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": name,
        "n": n,
        "best_s": min(times),
        "median_s": sorted(times)[len(times) // 2],
        "peak_rss_mb": rss / 1024,
        "rss_over_baseline_mb": (rss - base) / 1024,
        "tracemalloc_peak_mb": peak / 2**20,
        "info": info,
    }


def main(
    script: str,
    run_case: Callable[[str, int], dict],
    cases: Iterable[tuple[str, int]],
    width: int = 32,
) -> None:
    """``script --case NAME N`` runs one case and prints JSON; otherwise run every case in a
    fresh subprocess (one BLAS thread) and print a table."""
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], int(sys.argv[3]))))
        return
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(
        f"{'case':{width}s} {'n':>10s} {'best s':>9s} {'median s':>9s} {'RSS MB':>8s} "
        f"{'+RSS MB':>8s} {'tracemalloc MB':>14s}  info"
    )
    for name, n in cases:
        res = subprocess.run(
            [sys.executable, script, "--case", name, str(n)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:{width}s} {r['n']:>10d} {r['best_s']:>9.4f} {r['median_s']:>9.4f} "
            f"{r['peak_rss_mb']:>8.1f} {r['rss_over_baseline_mb']:>8.1f} "
            f"{r['tracemalloc_peak_mb']:>14.1f}  {r['info']}"
        )
