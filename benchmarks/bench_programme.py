"""Benchmark: an ACSI-scale programme, end to end through the Snakemake workflow.

The target is 400 companies x 500 completed interviews (200,000 interviews), each company with
cleaning, weights, PLS and a 1,000-replicate design bootstrap, then the roll-up and the
programme report. This script runs the real workflow (``snakemake --cores N``) on programmes of
K companies (one wave, ~500 completes each, bootstrap.replicates = 1000) for two or more K,
measures wall time, CPU time (all child processes) and the peak RSS of any job, and fits
``cost(K) = fixed + K * marginal``; the 400-company figure is that line extrapolated (say so
when quoting it). The per-company HTML report is measured from its rule's benchmark file.

With ``--batch B`` (default 25) the per-study rules run in batches of B studies, one process
per batch (``programme.batch_size``); ``--batch 0`` runs one job per rule, study and wave.
Per rule, the CPU seconds per company are summed from the jobs' benchmark files, which gives the
cost of one per-company report (rule ``report``) and of everything else.

Per-company HTML reports are optional at ACSI scale (``programme.study_reports``); add
``--study-reports`` to include them.

usage: python benchmarks/bench_programme.py [K1 K2 ...] [--cores N] [--batch B] [--study-reports]
       (default: 8 40, 2 cores, batches of 25, no per-company reports)
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
programme:
  {{name: bench, studies: studies.tsv, sectors: sectors.tsv, batch_size: {batch},
   study_reports: {reports}}}
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


class TreePeak:
    """The largest total RSS of a process and all its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        import threading

        import psutil

        self.peak_mb = 0.0
        self._done = threading.Event()
        self._root = psutil.Process(pid)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._done.wait(0.2):
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def programme(work: Path, k: int, batch: int = 25, reports: bool = False) -> None:
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
    # the demo's response, contact and cleaning rates: 1,430 issued -> ~500 completes
    (work / "bench.yaml").write_text(
        OVERLAY.format(issued=1430, batch=batch, reports=str(reports).lower()), encoding="utf-8"
    )


def run(k: int, cores: int, batch: int = 25, reports: bool = False) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench_programme_{k}_"))
    for name in COPY:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    programme(work, k, batch, reports)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = str(work / "src")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree_peak = TreePeak(proc.pid)
    stdout, stderr = proc.communicate()
    tree_peak.stop()
    res = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"K={k} failed:\n{res.stderr[-3000:]}")
    peak = 0.0
    report_s = []
    completes = []
    rule_cpu: dict[str, float] = {}
    out = work / "results/bench/v1"
    for tsv in out.rglob("benchmarks/*.tsv"):
        with tsv.open() as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        peak = max(peak, float(row["max_rss"]))
        name = tsv.stem.rsplit("_", 1)[0] if tsv.stem.startswith("bootstrap_shard") else tsv.stem
        if not name.startswith("study_batch"):
            rule_cpu[name] = rule_cpu.get(name, 0.0) + float(row["cpu_time"])
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
        "peak_tree_rss_mb": tree_peak.peak_mb,
        "report_s": sum(report_s) / max(len(report_s), 1),
        "rule_cpu_per_company": {n: c / k for n, c in sorted(rule_cpu.items())},
        "completes": sum(completes) / max(len(completes), 1),
    }


def main() -> None:
    args = [a for a in sys.argv[1:]]
    cores = 2
    if "--cores" in args:
        i = args.index("--cores")
        cores = int(args[i + 1])
        del args[i : i + 2]
    batch = 25
    if "--batch" in args:
        i = args.index("--batch")
        batch = int(args[i + 1])
        del args[i : i + 2]
    reports = "--study-reports" in args
    args = [a for a in args if a != "--study-reports"]
    ks = [int(a) for a in args] or [8, 40]
    rows = [run(k, cores, batch, reports) for k in ks]
    print(
        f"cores {cores}, batch size {batch or 'none (one job per rule)'}, per-company reports "
        f"{'yes' if reports else 'no'}"
    )
    print(
        f"{'K':>4s} {'wall s':>8s} {'CPU s':>8s} {'peak job RSS MB':>16s} "
        f"{'peak total RSS MB':>18s} {'report s':>9s} {'completes/co':>12s}"
    )
    for r in rows:
        print(
            f"{r['k']:>4d} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_job_rss_mb']:16.0f} "
            f"{r['peak_tree_rss_mb']:18.0f} {r['report_s']:9.1f} {r['completes']:12.0f}"
        )
    print("CPU s per company by rule (largest K; the job's own CPU, without start-up):")
    for name, cpu in rows[-1]["rule_cpu_per_company"].items():
        print(f"  {name:22s} {cpu:7.2f}")
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


if __name__ == "__main__":
    main()
