"""Benchmark of CB-SEM (csindex.sem.cbsem): one fit, batched bootstrap refits, a large fit.

Run: ``python benchmarks/bench_cbsem.py [--large]`` (one BLAS thread). Every case runs in a
fresh subprocess; the table gives wall time, CPU time and peak memory (ru_maxrss).

Cases: the six-construct ACSI model on ecsi_mobi.csv (n = 250): one fit with SEs and fit
indices; 1,000 bootstrap refits (counts from numpy default_rng([seed, b]), as the bootstrap
module makes them). Data simulated from the fitted model (integer codes 1-10): 1,000 bootstrap
refits at n = 10,000; with --large also at n = 100,000 (in chunks of 100 replicates, as shards)
and one fit at n = 1,000,000 read from Parquet (wall/cpu = read + fit; read times of Parquet
and of the same data as CSV reported separately). FIML (missing="ml") on the ACSI model with
10% of the item cells of ecsi_mobi.csv set missing at random (numpy default_rng(20261204)),
beside lavaan's ``sem(missing = "ml")`` on the same file (Rscript, best of 3 system.time runs,
when R with lavaan is installed).
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

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

ROOT = Path(__file__).resolve().parents[1]
MOBI = ROOT / "tests" / "fixtures" / "data" / "ecsi_mobi.csv"
BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}


def _counts(n: int, start: int, stop: int, seed: int = 20261123):
    import numpy as np

    p = np.full(n, 1.0 / n)
    return np.stack(
        [np.random.default_rng([seed, b]).multinomial(n, p) for b in range(start, stop)]
    )


def _simulate(n: int, seed: int = 1):
    """Integer 1-10 answers from the model fitted to ecsi_mobi (normal, rounded, clipped)."""
    import numpy as np
    import pandas as pd

    from csindex.sem.cbsem import fit_cbsem, implied
    from csindex.sem.spec import acsi_spec

    mobi = pd.read_csv(MOBI).iloc[:, 1:]
    res = fit_cbsem(mobi, acsi_spec(BLOCKS))
    Sigma = implied(res.structure, res.theta[None])["Sigma"][0]
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal(res.mean, Sigma, size=n, method="cholesky")
    X = np.clip(np.rint(X), 1, 10)
    return pd.DataFrame(X, columns=res.structure.items)


def _with_missing(data, items, share: float = 0.10, seed: int = 20261204):
    import numpy as np

    X = data[items].to_numpy(dtype=float)
    X[np.random.default_rng(seed).random(X.shape) < share] = np.nan
    out = data.copy()
    out[items] = X
    return out


def _lavaan_fiml(data, spec) -> dict:
    """lavaan sem(missing = "ml") on the same data: best of 3 system.time (elapsed, CPU)."""
    import shutil

    if shutil.which("Rscript") is None:
        raise SystemExit("Rscript not installed")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        data.to_csv(path, index=False)
        model = spec.to_lavaan().replace("\n", "\\n").replace('"', '\\"')
        code = (
            "suppressPackageStartupMessages(library(lavaan));"
            f'd <- read.csv("{path}"); m <- "{model}";'
            'f <- sem(m, data = d, missing = "ml");'
            't <- sapply(1:3, function(i) system.time(f <<- sem(m, data = d, missing = "ml")));'
            'cat(min(t["elapsed", ]), min(t["user.self", ] + t["sys.self", ]), '
            'fitMeasures(f, "chisq"), "\\n")'
        )
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    wall, cpu, chisq = map(float, out.stdout.split()[-3:])
    return {"wall": wall, "cpu": cpu, "note": f"lavaan {chisq:.4f} chisq (best of 3)"}


def case(name: str) -> dict:
    import pandas as pd

    from csindex.sem.cbsem import cbsem_bootstrap, fit_cbsem
    from csindex.sem.spec import acsi_spec

    spec = acsi_spec(BLOCKS)
    info: dict = {"case": name}
    t = time.perf_counter()
    import semopy  # noqa: F401 - the front end's import (~0.4-1.4 s, once per process)

    imp = time.perf_counter() - t
    if name == "fit_n250":
        data = pd.read_csv(MOBI).iloc[:, 1:]
        t, c = time.perf_counter(), time.process_time()
        res = fit_cbsem(data, spec)
        info.update(wall=time.perf_counter() - t, cpu=time.process_time() - c)
        info["note"] = (
            f"gradient {res.admissibility.gradient_norm:.1e}; semopy import {imp:.2f} s not timed"
        )
    elif name.startswith("boot_"):
        n = {"boot_n250": 250, "boot_n10000": 10_000, "boot_n100000": 100_000}[name]
        data = pd.read_csv(MOBI).iloc[:, 1:] if n == 250 else _simulate(n)
        res = fit_cbsem(data, spec)
        B, chunk = 1000, (1000 if n <= 10_000 else 100)
        wall = cpu = 0.0
        parts = []
        for s in range(0, B, chunk):
            counts = _counts(n, s, s + chunk)  # made by the bootstrap module in production
            t, c = time.perf_counter(), time.process_time()
            parts.append(cbsem_bootstrap(data, spec, counts, res))
            wall += time.perf_counter() - t
            cpu += time.process_time() - c
        boot = pd.concat(parts)
        info.update(wall=wall, cpu=cpu)
        info["note"] = (
            f"B=1000, converged {boot['converged'].mean():.1%}, admissible "
            f"{boot['admissible'].mean():.1%}, median iterations {boot['iterations'].median():.0f}"
        )
    elif name in ("fiml_n250", "fiml_n250_lavaan"):
        data = _with_missing(pd.read_csv(MOBI).iloc[:, 1:], spec.items)
        if name == "fiml_n250":
            t, c = time.perf_counter(), time.process_time()
            res = fit_cbsem(data, spec, missing="ml")
            info.update(wall=time.perf_counter() - t, cpu=time.process_time() - c)
            info["note"] = (
                f"10% missing, {res.admissibility.iterations} iterations, gradient "
                f"{res.admissibility.gradient_norm:.1e}, chisq {res.fit['chisq']:.4f}"
            )
        else:
            info.update(_lavaan_fiml(data, spec))
    elif name == "fit_n1000000":
        data = _simulate(1_000_000)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "responses.parquet"
            data.to_parquet(path, index=False)
            data.to_csv(Path(tmp) / "responses.csv", index=False)
            del data
            t = time.perf_counter()
            pd.read_csv(Path(tmp) / "responses.csv")
            read_csv = time.perf_counter() - t
            t, c = time.perf_counter(), time.process_time()
            data = pd.read_parquet(path)
            read = time.perf_counter() - t
            t2 = time.perf_counter()
            res = fit_cbsem(data, spec)
            fit = time.perf_counter() - t2
            info.update(wall=time.perf_counter() - t, cpu=time.process_time() - c)
            info["note"] = (
                f"read Parquet {read:.2f} s (CSV {read_csv:.2f} s), fit {fit:.2f} s "
                f"(with SEs, fit indices, scores), converged {res.admissibility.converged}; "
                f"semopy import {imp:.2f} s not timed"
            )
    else:
        raise SystemExit(f"unknown case {name}")
    info["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="add n = 100,000 and n = 1,000,000")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(case(args.case)))
        return
    cases = ["fit_n250", "fiml_n250", "fiml_n250_lavaan", "boot_n250", "boot_n10000"]
    if args.large:
        cases += ["boot_n100000", "fit_n1000000"]
    print(f"{'case':<14} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}  note")
    for name in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--case", name], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(f"{name:<14} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:<14} {r['wall']:8.2f} {r['cpu']:8.2f} {r['peak_mb']:8.0f}  {r['note']}")


if __name__ == "__main__":
    main()
