"""Speed and peak memory of PLS-PM: one fit, the batched bootstrap, the index.

Run: python benchmarks/bench_pls.py [--large]
Bootstrap cases: i.i.d. respondents, and Rao–Wu (bootstrap.design: rao_wu) with 10 strata and
PSUs of about 10 respondents.
Data: the ECSI mobile-phone data (tests/fixtures/data/ecsi_mobi.csv, 24 items, ECSI model with
seven constructs), resampled with replacement to n rows (seeded) for n > 250. Each case runs in a
fresh subprocess (one BLAS thread; peak RSS from resource.getrusage). Default: n = 250 and
10,000; --large adds n = 100,000 (bootstrap) and n = 1,000,000 (one fit, with the time to read
the data from Parquet for comparison).
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
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]


def _data(n: int):
    import numpy as np
    import pandas as pd

    df = pd.read_csv(ROOT / "tests/fixtures/data/ecsi_mobi.csv", index_col=0)
    if n != len(df):
        idx = np.random.default_rng(1).integers(0, len(df), n)
        df = df.iloc[idx].reset_index(drop=True)
    df["segment"] = np.where(np.arange(n) % 3 == 0, "business", "personal")
    return df


def _spec():
    from csindex.api import ECSI_BLOCKS
    from csindex.sem.spec import ecsi_spec

    return ecsi_spec(ECSI_BLOCKS)


def case(kind: str, n: int, reps: int) -> dict:
    """Run one case in this process; return timings."""
    import numpy as np

    from csindex.sem.bootstrap import PLSBootSetup, bootstrap_pls, jackknife_pls
    from csindex.sem.pls import fit_pls

    spec = _spec()
    out: dict = {"case": kind, "n": n, "replicates": reps}
    if kind == "fit":
        df = _data(n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "d.parquet"
            df.to_parquet(path)
            t0 = time.perf_counter()
            import pandas as pd

            df = pd.read_parquet(path)
            out["read_s"] = time.perf_counter() - t0
            df.to_csv(Path(tmp) / "d.csv", index=False)
            t0 = time.perf_counter()
            pd.read_csv(Path(tmp) / "d.csv")
            out["read_csv_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = fit_pls(df, spec)
        out["seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit_pls(df, spec, weights=np.linspace(0.5, 1.5, n))
        out["weighted_s"] = time.perf_counter() - t0
        out["iterations"] = res.iterations
    elif kind in ("bootstrap", "bootstrap_rao_wu"):
        df = _data(n)
        setup = PLSBootSetup.from_data(
            df, spec, None, scale={i: (1, 10) for i in spec.items}, group_by=["segment"]
        )
        design = None
        if kind == "bootstrap_rao_wu":  # 10 strata, PSUs of about 10 respondents
            from csindex.sem.bootstrap import bootstrap_design

            k = np.arange(n)
            df["respondent_id"] = k.astype(str)
            table = df[["respondent_id"]].assign(stratum=k % 10, psu=k // 100)
            design = bootstrap_design(df, table, "rao_wu")
            out["psus"] = design.n_psu
        t0 = time.perf_counter()
        boot = bootstrap_pls(setup, 1, 0, reps, design)
        out["seconds"] = time.perf_counter() - t0
        out["not_converged"] = int((~boot["converged"]).sum())
        t0 = time.perf_counter()
        jackknife_pls(setup, groups=1000)
        out["jackknife_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case:
        print(json.dumps(case(a.case[0], int(a.case[1]), int(a.case[2]))))
        return
    cases = [
        ("fit", 250, 0),
        ("fit", 10_000, 0),
        ("bootstrap", 250, 1000),
        ("bootstrap_rao_wu", 250, 1000),
        ("bootstrap", 10_000, 1000),
        ("bootstrap_rao_wu", 10_000, 1000),
    ]
    if a.large:
        cases += [
            ("fit", 100_000, 0),
            ("fit", 1_000_000, 0),
            ("bootstrap", 100_000, 1000),
            ("bootstrap_rao_wu", 100_000, 1000),
        ]
    print(f"{'case':<16} {'n':>9} {'reps':>6} {'seconds':>9} {'extra':>40} {'peak MB':>8}")
    for kind, n, reps in cases:
        r = subprocess.run(
            [sys.executable, __file__, "--case", kind, str(n), str(reps)],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
        )
        d = json.loads(r.stdout.strip().splitlines()[-1])
        extra = (
            f"weighted {d['weighted_s']:.2f}; read pq {d['read_s']:.2f} csv {d['read_csv_s']:.2f}"
            if kind == "fit"
            else f"jackknife(1000) {d['jackknife_s']:.2f} s"
            + (f"; {d['psus']} PSUs" if "psus" in d else "")
        )
        print(
            f"{kind:<16} {n:>9,} {reps:>6} {d['seconds']:>9.3f} {extra:>40} {d['peak_rss_mb']:>8.0f}"
        )


if __name__ == "__main__":
    main()
