"""Speed and peak memory of the issue-16 part-B estimators on the ECSI mobile-phone data.

Run: python benchmarks/bench_sem_extras.py
Cases: WLSMV (ordinal items, ECSI model, 24 ten-point items) at n = 250 and n = 2,500 (rows
resampled with replacement, seeded); PLSc; MICOM with 1,000 permutations and PLS-MGA with 1,000
permutations and 500 bootstrap replicates per group (two halves of the data); PLSpredict 10-fold.
Each case in a fresh subprocess (benchmarks/_harness.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import main, measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = {
    "IM": [f"IMAG{i}" for i in range(1, 6)],
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}


def data(n: int) -> pd.DataFrame:
    d = pd.read_csv(ROOT / "tests/fixtures/data/ecsi_mobi.csv").iloc[:, 1:]
    if n != len(d):
        d = d.sample(n=n, replace=True, random_state=1).reset_index(drop=True)
    d["half"] = np.where(np.arange(len(d)) % 2 == 0, "a", "b")
    return d


def run_case(name: str, n: int) -> dict:
    from csindex.sem.mga import pls_mga
    from csindex.sem.micom import micom
    from csindex.sem.plsc import fit_plsc
    from csindex.sem.predict import pls_predict
    from csindex.sem.spec import ecsi_spec
    from csindex.sem.wlsmv import fit_wlsmv

    spec = ecsi_spec(BLOCKS)
    d = data(n)
    calls = {
        "wlsmv": lambda: fit_wlsmv(d, spec).iterations,
        "plsc": lambda: fit_plsc(d, spec).admissible,
        "micom_1000": lambda: len(micom(d, spec, "half", n_permutations=1000)),
        "mga_1000_500": lambda: len(
            pls_mga(d, spec, "half", n_permutations=1000, n_bootstrap=500).table
        ),
        "plspredict_10fold": lambda: len(pls_predict(d, spec, folds=10).items),
    }
    return measure(name, n, calls[name], repeat=3)


if __name__ == "__main__":
    main(
        __file__,
        run_case,
        [
            ("wlsmv", 250),
            ("wlsmv", 2500),
            ("plsc", 250),
            ("micom_1000", 250),
            ("mga_1000_500", 250),
            ("plspredict_10fold", 250),
        ],
    )
