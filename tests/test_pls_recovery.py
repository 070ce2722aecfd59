"""Recovery Monte Carlo (slow): bootstrap intervals cover the population PLS values at the
nominal rate.

Data: multivariate normal items from a known ACSI factor model (the blocks of the demo
instrument, loadings 0.7-0.85, the nine paths of figure 4-1, item means on a 1-10 scale). The
estimand of PLS is its population value — the PLS algorithm applied to the population covariance
(PLS is consistent-at-large, not for the factor-model parameters) — and the index of the
population item means with the population outer weights. 200 samples of n = 250, 400
bootstrap replicates each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.sem.bootstrap import (
    PLSBootSetup,
    bootstrap_intervals,
    bootstrap_pls,
    index_from_moments,
    jackknife_pls,
    pls_stats,
    stat_names,
)
from csindex.sem.pls import _Arrays, inner_from_lvcor, pls_weights_from_cov
from csindex.sem.spec import acsi_spec

BLOCKS = {
    "CE": ["CE1", "CE2", "CE3"],
    "PQ": ["PQ1", "PQ2", "PQ3"],
    "PV": ["PV1", "PV2", "PV3"],
    "CS": ["CS1", "CS2"],
    "CC": ["CC1", "CC2"],
    "CL": ["CL1", "CL2", "CL3"],
}
BETA = {
    ("CE", "PQ"): 0.6, ("CE", "PV"): 0.2, ("PQ", "PV"): 0.5, ("CE", "CS"): 0.15,
    ("PQ", "CS"): 0.45, ("PV", "CS"): 0.3, ("CS", "CC"): -0.4, ("CS", "CL"): 0.5,
    ("CC", "CL"): -0.2,
}  # fmt: skip


def population(spec):
    lv = spec.constructs
    L = len(lv)
    B = np.zeros((L, L))
    for (a, b), v in BETA.items():
        B[lv.index(b), lv.index(a)] = v
    Phi = np.zeros((L, L))
    for k in range(L):  # recursive: unit variances, disturbance variance 1 - R2
        pred = np.flatnonzero(B[k])
        Phi[k, :k] = Phi[:k, :k] @ B[k, :k]
        Phi[:k, k] = Phi[k, :k]
        Phi[k, k] = 1.0
        assert 1 - B[k, pred] @ Phi[np.ix_(pred, pred)] @ B[k, pred] > 0
    items = spec.items
    p = len(items)
    Lam = np.zeros((p, L))
    load = np.resize([0.85, 0.75, 0.7], p)
    for j, i in enumerate(items):
        Lam[j, lv.index(spec.construct_of(i))] = load[j]
    sd = np.resize([1.8, 2.0, 1.6], p)
    Sigma_std = Lam @ Phi @ Lam.T + np.diag(1 - load**2)
    Sigma = Sigma_std * np.outer(sd, sd)
    mu = np.resize([7.0, 6.5, 7.5, 6.0], p)
    return mu, Sigma, sd


@pytest.mark.slow
def test_bootstrap_intervals_cover_population_values() -> None:
    spec = acsi_spec(BLOCKS)
    arr = _Arrays.from_spec(spec)
    mu, Sigma, sd = population(spec)
    R = Sigma / np.outer(sd, sd)
    W, _, conv = pls_weights_from_cov(R[None], arr, tol=1e-14, maxiter=1000)
    assert conv[0]
    Bm, _ = inner_from_lvcor(np.einsum("bpl,bpq,bqm->blm", W, R[None], W), arr)
    lo, hi = np.ones(len(mu)), np.full(len(mu), 10.0)
    jj = np.arange(len(mu))
    wraw = W[0][jj, arr.block] / sd
    pop_index = index_from_moments(wraw[None], mu[None], arr.block, 6, lo, hi)[0]
    truth = {
        f"path:{a}->{b}": Bm[0, arr.constructs.index(b), arr.constructs.index(a)]
        for a, b in spec.paths
    }
    truth.update({f"index:{c}": v for c, v in zip(arr.constructs, pop_index, strict=True)})
    keys = list(truth)
    hits_p = np.zeros(len(keys))
    hits_b = np.zeros(len(keys))
    est_sum = np.zeros(len(keys))
    reps = 200
    for r in range(reps):
        X = np.random.default_rng([2026, r]).multivariate_normal(mu, Sigma, size=250)
        df = pd.DataFrame(X, columns=spec.items)
        setup = PLSBootSetup.from_data(df, spec, None, scale={i: (1, 10) for i in spec.items})
        names = stat_names(setup)
        est = pd.Series(pls_stats(setup, np.ones((1, setup.n)))[0][0], index=names)
        boot = bootstrap_pls(setup, 77 + r, 0, 400)
        ci = bootstrap_intervals(boot, est, jackknife_pls(setup)).set_index("statistic")
        t = np.array([truth[k] for k in keys])
        hits_p += (ci.loc[keys, "ci_lower"].to_numpy() <= t) & (
            t <= ci.loc[keys, "ci_upper"].to_numpy()
        )
        hits_b += (ci.loc[keys, "bca_lower"].to_numpy() <= t) & (
            t <= ci.loc[keys, "bca_upper"].to_numpy()
        )
        est_sum += est[keys].to_numpy()
    cov_p, cov_b = hits_p / reps, hits_b / reps
    bias = est_sum / reps - np.array([truth[k] for k in keys])
    print(
        pd.DataFrame({"truth": truth, "bias": bias, "percentile": cov_p, "bca": cov_b}, index=keys)
    )
    assert 0.92 <= cov_p.mean() <= 0.98
    assert 0.92 <= cov_b.mean() <= 0.98
    assert (cov_p >= 0.85).all() and (cov_b >= 0.85).all()
    # estimates recover the truth: mean bias small against the sampling SD
    assert np.abs(bias[: len(spec.paths)]).max() < 0.03
    assert np.abs(bias[len(spec.paths) :]).max() < 0.5
