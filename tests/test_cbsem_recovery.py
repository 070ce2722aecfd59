"""Monte Carlo: CB-SEM recovers known parameters and its 95% intervals cover at the nominal rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.sem import cbsem as cb
from csindex.sem.spec import acsi_spec

BLOCKS = {
    "CE": ["CE1", "CE2", "CE3"],
    "PQ": ["PQ1", "PQ2", "PQ3"],
    "PV": ["PV1", "PV2"],
    "CS": ["CS1", "CS2"],
    "CC": ["CC1", "CC2"],
    "CL": ["CL1", "CL2", "CL3"],
}


def _truth(st: cb.Structure) -> np.ndarray:
    """Loadings 0.8-1.1, paths as in the demo (CS -> CC negative), variances ~0.3-1."""
    theta = np.empty(st.q)
    paths = {
        ("PQ", "CE"): 0.6,
        ("PV", "CE"): 0.2,
        ("PV", "PQ"): 0.5,
        ("CS", "CE"): 0.15,
        ("CS", "PQ"): 0.4,
        ("CS", "PV"): 0.35,
        ("CC", "CS"): -0.5,
        ("CL", "CS"): 0.6,
        ("CL", "CC"): -0.2,
    }
    for j, (lhs, op, rhs) in enumerate(cb._free_keys(st)):
        if op == "=~":
            theta[j] = 0.8 + 0.1 * (int(rhs[-1]) % 3)
        elif op == "~":
            theta[j] = paths[(lhs, rhs)]
        elif lhs in st.constructs:
            theta[j] = 1.0 if lhs == "CE" else 0.4
        else:
            theta[j] = 0.35
    return theta


@pytest.mark.slow
def test_estimates_recover_truth_and_95pct_intervals_cover_it():
    spec = acsi_spec(BLOCKS)
    st = cb.build_structure(spec)
    truth = _truth(st)
    Sigma = cb.implied(st, truth[None])["Sigma"][0]
    rng = np.random.default_rng(20261123)
    reps, n = 200, 400
    est = np.empty((reps, st.q))
    cover = np.empty((reps, st.q), dtype=bool)
    for r in range(reps):
        X = rng.multivariate_normal(np.full(st.p, 3.0), Sigma, size=n)
        res = cb.fit_cbsem(pd.DataFrame(X, columns=st.items), spec, start=truth)
        free = res.estimates.iloc[np.nonzero(st.table["free"].to_numpy() >= 0)[0]]
        order = st.table.loc[st.table["free"] >= 0, "free"].to_numpy()
        lo = np.empty(st.q)
        hi = np.empty(st.q)
        lo[order], hi[order] = free["ci_lower"].to_numpy(), free["ci_upper"].to_numpy()
        est[r] = res.theta
        cover[r] = (lo <= truth) & (truth <= hi)
    bias = np.abs(est.mean(axis=0) - truth)
    assert bias.max() < 0.03
    assert 0.92 <= cover.mean() <= 0.98
    assert cover.mean(axis=0).min() >= 0.88
