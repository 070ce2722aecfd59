"""Benchmark: an ACSI-scale programme, end to end through the Snakemake workflow.

The target is 400 companies x 500 completed interviews (200,000 interviews), each company with
cleaning, weights, PLS and a 1,000-replicate design bootstrap, then the roll-up and the
programme report. This script runs the real workflow (``snakemake --cores N``) on programmes of
K companies (one wave, ~500 completes each, bootstrap.replicates = 1000) for two or more K,
measures wall time, CPU time (all child processes) and the peak RSS of any job, and fits
``cost(K) = fixed + K * marginal``; the 400-company figure is that line extrapolated (say so
when quoting it). The per-company HTML report is measured from its rule's benchmark file.

usage: python benchmarks/bench_programme.py [K1 K2 ...] [--cores N]   (default: 1 4, 2 cores)
"""

from __future__ import annotations

import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "workflow", "config", "scripts", "src"]

OVERLAY = """\
study: bench
version: v1
programme: {{name: bench, studies: studies.tsv, sectors: sectors.tsv}}
frame: {{simulate: {{n_customers: 20000, customers_per_branch: 250}}}}
design:
  method: stratified
  strata: region
  n: {issued}
  allocation: {{method: proportional, minimum: 2}}
  stages: [{{method: srswor}}]
weighting:
  calibration: {{variables: [region]}}
  replicates: {{type: bootstrap, n: 100}}
bootstrap: {{replicates: 1000, shards: 1, jackknife_groups: 100}}
"""


def programme(work: Path, k: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from csindex.simulate.world import WorldOptions, simulate_world

    sheet, sectors, _ = simulate_world(
        WorldOptions(
            n_sectors=min(3, k),
            n_industries=min(8, k),
            n_companies=k,
            waves=("2026Q3",),
        ),
        seed=1,
    )
    sheet.to_csv(work / "studies.tsv", sep="\t", index=False)
    sectors.to_csv(work / "sectors.tsv", sep="\t", index=False)
    # ~72% response (the demo's rates) and ~8% lost in cleaning: 760 issued -> ~500 completes
    (work / "bench.yaml").write_text(OVERLAY.format(issued=760), encoding="utf-8")


def run(k: int, cores: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench_programme_{k}_"))
    for name in COPY:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    programme(work, k)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = str(work / "src")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            str(cores),
            "-q",
            "--configfile",
            "bench.yaml",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"K={k} failed:\n{res.stderr[-3000:]}")
    peak = 0.0
    report_s = []
    completes = []
    out = work / "results/bench/v1"
    for tsv in out.rglob("benchmarks/*.tsv"):
        with tsv.open() as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        peak = max(peak, float(row["max_rss"]))
        if tsv.name == "report.tsv":
            report_s.append(float(row["s"]))
    for csi in out.rglob("index/csi.csv"):
        with csi.open() as fh:
            r = next(csv.DictReader(fh))
        completes.append(int(r["n"]))
    shutil.rmtree(work)
    return {
        "k": k,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_job_rss_mb": peak,
        "report_s": sum(report_s) / max(len(report_s), 1),
        "completes": sum(completes) / max(len(completes), 1),
    }


def main() -> None:
    args = [a for a in sys.argv[1:]]
    cores = 2
    if "--cores" in args:
        i = args.index("--cores")
        cores = int(args[i + 1])
        del args[i : i + 2]
    ks = [int(a) for a in args] or [1, 4]
    rows = [run(k, cores) for k in ks]
    print(
        f"{'K':>4s} {'wall s':>8s} {'CPU s':>8s} {'peak job RSS MB':>16s} {'report s':>9s} "
        f"{'completes/co':>12s}"
    )
    for r in rows:
        print(
            f"{r['k']:>4d} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_job_rss_mb']:16.0f} "
            f"{r['report_s']:9.1f} {r['completes']:12.0f}"
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        for key in ("wall_s", "cpu_s"):
            marginal = (b[key] - a[key]) / (b["k"] - a["k"])
            fixed = a[key] - marginal * a["k"]
            print(
                f"{key}: fixed {fixed:.1f} s, marginal {marginal:.1f} s per company, "
                f"extrapolated to 400 companies: {fixed + 400 * marginal:.0f} s "
                f"({(fixed + 400 * marginal) / 60:.1f} min)"
            )
        print(
            f"peak memory: the largest job's RSS ({max(r['peak_job_rss_mb'] for r in rows):.0f} MB)"
            f" x {cores} concurrent jobs plus the Snakemake process"
        )


if __name__ == "__main__":
    main()
