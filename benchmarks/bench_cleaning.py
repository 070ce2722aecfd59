"""Speed and peak memory of the cleaning stage.

Run: python benchmarks/bench_cleaning.py [--large]

Each case runs in a fresh subprocess: wall and CPU seconds of the call, peak memory (ru_maxrss
of the process) and, for comparison, the peak before the call (Python, pandas and the input
table built by the benchmark). ``clean`` times :func:`csindex.cleaning.clean_responses` with
all rules on (duplicates, missing codes, off-scale, speeders, straight-lining, attention,
minimum answered, reverse coding, quantity cut) on a typed table of n rows x 20 items with
defects in realistic shares; ``ingest`` times reading + validating + privacy of the same data
as a UTF-8 CSV with PII columns. --large adds n = 1,000,000 (the issue's target: clean < 10 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from csindex.instrument import instrument_from_dict
from csindex.cleaning import clean_responses, ingest_file

task, n = sys.argv[1], int(sys.argv[2])
cons = ["CE", "PQ", "PV", "CS", "CC", "CL", "IM"]
items = [{"id": f"{c}{k}", "construct": c} for c in cons for k in (1, 2, 3)][:18]
items[13]["reverse"] = True
items += [
    {"id": "Q1", "construct": "CL", "kind": "quantity", "missing_codes": {"dont_know": [999], "refused": [998]},
     "quantity": {"min": 0, "max": 100, "cut": {"method": "points", "points": [0, 5, 10, 15, 20, 100]}}},
    {"id": "Q2", "construct": "CL", "kind": "quantity", "missing_codes": {"dont_know": [999], "refused": [998]},
     "quantity": {"min": 0, "max": 100, "cut": {"method": "equal_width"}}},
]
inst = instrument_from_dict({
    "defaults": {"scale": {"points": 5, "min": 1, "max": 5}, "missing_codes": {"dont_know": [9], "refused": [8]}},
    "constructs": [{"id": c} for c in cons], "items": items})
rng = np.random.default_rng(1)
df = pd.DataFrame({
    "respondent_id": pd.Series(np.char.add("R", np.char.zfill(np.arange(n).astype(str), 8))),
    "unit_id": pd.Series(np.char.add("C", np.char.zfill(rng.permutation(n).astype(str), 8))),
    "duration_sec": np.round(420 * np.exp(0.35 * rng.standard_normal(n))),
    "attention_check": np.where(rng.random(n) < 0.03, 2.0, 4.0),
})
lat = rng.integers(1, 6, n)
for it in inst.items:
    if it.kind == "quantity":
        x = rng.integers(0, 60, n).astype(float)
    else:
        x = np.clip(lat + rng.integers(-1, 2, n), 1, 5).astype(float)
    u = rng.random(n)
    x[u < 0.02] = 999 if it.kind == "quantity" else 9
    x[(u >= 0.02) & (u < 0.03)] = 998 if it.kind == "quantity" else 8
    x[(u >= 0.03) & (u < 0.034)] = 150 if it.kind == "quantity" else 55
    x[(u >= 0.034) & (u < 0.04)] = np.nan
    df[it.id] = x
df.loc[rng.random(n) < 0.03, "duration_sec"] = 60.0
dup = rng.choice(n, n // 50, replace=False)
df = pd.concat([df, df.iloc[dup]], ignore_index=True)
df.insert(0, "source_row", np.arange(1, len(df) + 1))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if task == "ingest":
    import tempfile, os
    df = df.drop(columns="source_row")
    df["name"] = "张伟"
    df["phone"] = "13812345678"
    df["comment"] = ""
    path = os.path.join(sys.argv[3], f"raw_{n}.csv")
    df.to_csv(path, index=False)
    t0, c0 = time.perf_counter(), time.process_time()
    ing = ingest_file(path, inst)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = len(ing.data)
else:
    t0, c0 = time.perf_counter(), time.process_time()
    res = clean_responses(df, inst)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = len(res.data)
    rows = {"rows_out": rows, "log": len(res.log)}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"task": task, "n": n, "seconds": dt, "cpu": cpu, "peak_mb": peak, "base_mb": base, "rows": rows}))
"""


def run(task: str, n: int, tmp: str) -> dict:
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    import os

    out = subprocess.run(
        [sys.executable, "-c", CHILD, task, str(n), tmp],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [2_000, 100_000] + ([1_000_000] if "--large" in sys.argv else [])
    print(
        f"{'task':8s} {'n':>10s} {'wall s':>8s} {'CPU s':>7s} {'peak MB':>8s} {'input MB':>9s}  result"
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("clean", "ingest"):
            for n in sizes:
                r = run(task, n, tmp)
                print(
                    f"{task:8s} {n:>10,d} {r['seconds']:8.2f} {r['cpu']:7.2f} {r['peak_mb']:8.0f} "
                    f"{r['base_mb']:9.0f}  {r['rows']}"
                )
    print(f"(total {time.perf_counter() - t0:.0f} s; 20 items, all rules on, 2% duplicates)")


if __name__ == "__main__":
    main()
