"""Speed and peak memory of the demo world: the simulated frame and the fieldwork simulator.

Run: python benchmarks/bench_simulate.py [--large]
Default: a 200,000-customer frame, and fieldwork for an SRS of 2,000 of it. --large adds a
10,000,000-customer frame (one config line: frame.simulate.n_customers) and fieldwork for an SRS
of 1,000,000 of that frame (the truth is then computed over all 10 million, in 1M-row chunks).
Each case runs in a fresh subprocess; peak memory is the process's ru_maxrss. Times include
writing the outputs as the rules do (Parquet, CSV, JSON) into a temporary folder, whose size on
disk is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "frame_200k": ("frame", 200_000, 0),
    "fieldwork_2k": ("fieldwork", 200_000, 2_000),
    "frame_10M": ("frame", 10_000_000, 0),
    "fieldwork_1M": ("fieldwork", 10_000_000, 1_000_000),
}


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def run_case(case: str) -> dict:
    import numpy as np

    from csindex.instrument import load_instrument
    from csindex.io import write_csv, write_json, write_parquet
    from csindex.simulate import simulate_fieldwork, simulate_frame

    kind, n_frame, n_sample = CASES[case]
    out: dict = {"case": case, "frame": n_frame, "sample": n_sample}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        fr = simulate_frame({"simulate": {"n_customers": n_frame}}, seed=1)
        if kind == "frame":
            out["generate_s"] = time.perf_counter() - t0
            write_parquet(fr.frame, tmp / "frame.parquet")
            write_csv(fr.summary(), tmp / "summary.csv")
            write_json(fr.summary_json(), tmp / "summary.json")
        else:
            frame = fr.frame[["customer_id", "region", "branch", "segment"]]
            del fr
            rows = np.sort(np.random.default_rng(2).choice(len(frame), n_sample, replace=False))
            sample = frame.iloc[rows].rename(columns={"customer_id": "unit_id"})
            inst = load_instrument(ROOT / "config" / "instrument.yaml")
            t0 = time.perf_counter()
            fw = simulate_fieldwork(sample, frame, inst, {}, seed=3)
            out["generate_s"] = time.perf_counter() - t0
            write_csv(fw.raw, tmp / "raw_responses.csv")
            write_parquet(fw.dispositions, tmp / "dispositions.parquet")
            write_json(fw.truth, tmp / "truth.json")
            write_json(fw.injected, tmp / "injected.json")
            out["respondents"] = fw.injected["respondents"]
        out["total_s"] = time.perf_counter() - t0
        out["disk_mb"] = _size_mb(tmp)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true", help="add the 10M frame and 1M fieldwork")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case:
        print(json.dumps(run_case(a.case)))
        return
    cases = list(CASES) if a.large else ["frame_200k", "fieldwork_2k"]
    print(
        f"{'case':<14}{'frame':>12}{'sample':>11}{'generate s':>12}{'+ write s':>11}"
        f"{'disk MB':>10}{'peak RSS MB':>13}"
    )
    for case in cases:
        cmd = [sys.executable, __file__, "--case", case]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        r = json.loads(res.strip().splitlines()[-1])
        print(
            f"{case:<14}{r['frame']:>12,}{r['sample']:>11,}{r['generate_s']:>12.2f}"
            f"{r['total_s']:>11.2f}{r['disk_mb']:>10.1f}{r['peak_rss_mb']:>13.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
