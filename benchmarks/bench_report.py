"""Benchmark of the report: time and peak memory of build_report on synthetic version folders.

    python benchmarks/bench_report.py [--large] [--version-dir results/<study>/<version>]

Each size runs in a fresh subprocess (peak RSS from resource.getrusage); prints a table of
respondents, wall time of the build, peak memory and the size of report.html.
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

ROOT = Path(__file__).resolve().parents[1]


def one(n: int, language: str, version_dir: str | None) -> dict:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from csindex.instrument import load_instrument
    from csindex.report import build_report
    from csindex.report.synthetic import write_synthetic_version

    ins = load_instrument(ROOT / "config/instrument.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        if version_dir:
            folder = Path(version_dir)
            clean = folder / "clean/responses.parquet"
            if clean.is_file():
                import pyarrow.parquet as pq

                n = pq.ParquetFile(clean).metadata.num_rows
        else:
            folder = write_synthetic_version(Path(tmp) / "bench" / "v1", ins, n=n, seed=3)
        cfg = {"study": "bench", "version": folder.name, "seed": 1, "language": language}
        t0 = time.perf_counter()
        html = build_report(folder, cfg, ins)
        wall = time.perf_counter() - t0
    return {
        "n": n,
        "language": language,
        "seconds": wall,
        "bytes": len(html.encode("utf-8")),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--large", action="store_true", help="also 20,000 and 100,000 respondents")
    ap.add_argument("--version-dir", help="time the report of an existing version folder")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(int(a.one[0]), a.one[1], a.version_dir)))
        return
    sizes = [(1_000, "en"), (1_000, "zh"), (5_000, "en")]
    if a.large:
        sizes += [(20_000, "en"), (100_000, "en")]
    if a.version_dir:
        sizes = [(0, "en")]
    print(f"{'respondents':>11} {'lang':>4} {'build s':>8} {'peak MB':>8} {'report KB':>9}")
    for n, lang in sizes:
        cmd = [sys.executable, __file__, "--one", str(n), lang]
        if a.version_dir:
            cmd += ["--version-dir", a.version_dir]
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        print(
            f"{r['n']:>11,} {lang:>4} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} "
            f"{r['bytes'] / 1024:>9.0f}"
        )


if __name__ == "__main__":
    main()
