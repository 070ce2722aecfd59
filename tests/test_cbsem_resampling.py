"""Batched refits: bootstrap from resampling counts, replicate-weight SEs, exact Hessian."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError
from csindex.sem import cbsem as cb
from csindex.sem.spec import ModelSpec, acsi_spec

DATA = Path(__file__).parent / "fixtures" / "data"
MOBI_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(DATA / "ecsi_mobi.csv").iloc[:, 1:]


@pytest.fixture(scope="module")
def full(mobi):
    return cb.fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS))


def _counts(n: int, B: int, seed: int = 11) -> np.ndarray:
    return np.stack(
        [np.random.default_rng([seed, b]).multinomial(n, np.full(n, 1 / n)) for b in range(B)]
    )


def test_bootstrap_replicate_equals_a_full_fit_of_the_resampled_data(mobi, full):
    counts = _counts(full.n, 3)
    boot = cb.cbsem_bootstrap(mobi, full.spec, counts, full)
    labels = full.structure.labels()
    for b in range(3):
        if not boot.loc[b, "converged"]:
            continue
        resampled = mobi.iloc[np.repeat(np.arange(full.n), counts[b])]
        ref = cb.fit_cbsem(resampled, full.spec, start=full.theta)
        assert np.abs(boot.loc[b, labels].to_numpy(float) - ref.theta).max() < 1e-5


def test_bootstrap_is_independent_of_sharding(mobi, full):
    counts = _counts(full.n, 12)
    whole = cb.cbsem_bootstrap(mobi, full.spec, counts, full, batch=5)
    part = cb.cbsem_bootstrap(mobi, full.spec, counts[6:], full, batch=4)
    pd.testing.assert_frame_equal(
        whole.iloc[6:].drop(columns="replicate").reset_index(drop=True),
        part.drop(columns="replicate"),
    )


def test_bootstrap_columns_carry_effects_r2_and_score_weights(mobi, full):
    boot = cb.cbsem_bootstrap(mobi, full.spec, _counts(full.n, 2), full)
    for col in ("CS~PQ", "PQ=~PERQ2", "total:CE->CS", "indirect:CE->CL", "r2:CS", "sw:CS:CUSA1"):
        assert col in boot.columns
    assert boot["admissible"].dtype == bool


def test_bootstrap_counts_with_wrong_shape_name_the_expected_n(mobi, full):
    with pytest.raises(InputError, match="n = 250"):
        cb.cbsem_bootstrap(mobi, full.spec, np.ones((3, 10)), full)


def test_jackknife_replicate_se_matches_delete_a_group_refits(mobi, full):
    G = 5
    group = np.arange(len(mobi)) % G
    rw = pd.DataFrame(
        {f"rep_{g + 1:03d}": np.where(group == g, 0.0, G / (G - 1)) for g in range(G)}
    )
    out = cb.cbsem_replicates(mobi, full.spec, rw, full, scale=(G - 1) / G, rscales=1.0, mse=True)
    thetas = np.stack(
        [cb.fit_cbsem(mobi[group != g], full.spec, start=full.theta).theta for g in range(G)]
    )
    se = np.sqrt((G - 1) / G * ((thetas - full.theta) ** 2).sum(axis=0))
    assert np.abs(out["se"].to_numpy() - se).max() < 1e-6
    assert out.attrs["replicates"]["replicate_name"].tolist() == list(rw.columns)
    assert np.allclose(cb.replicate_se(thetas, full.theta, (G - 1) / G, 1.0, True), se, atol=1e-12)
    stats = out.attrs["statistics"].set_index("statistic")
    assert np.abs(stats.loc[full.structure.labels(), "se"].to_numpy() - se).max() < 1e-6
    tot = full.effects.set_index(["from", "to"]).loc[("CE", "CS"), "total"]
    assert stats.loc["total:CE->CS", "est"] == pytest.approx(tot, abs=1e-12)
    assert stats.loc["total:CE->CS", "se"] > 0


def test_negative_replicate_weight_names_the_column(mobi, full):
    rw = pd.DataFrame({"rep_001": np.ones(len(mobi)), "rep_002": np.ones(len(mobi))})
    rw.loc[3, "rep_002"] = -1.0
    with pytest.raises(InputError, match=r"row 4.*'rep_002'"):
        cb.cbsem_replicates(mobi, full.spec, rw, full)


def test_bad_replicate_weight_message_shows_a_plain_number(mobi, full):
    rw = pd.DataFrame({"rep_001": np.ones(len(mobi)), "rep_002": np.ones(len(mobi))})
    rw.loc[3, "rep_002"] = -1.0
    with pytest.raises(InputError) as err:
        cb.cbsem_replicates(mobi, full.spec, rw, full)
    assert "replicate weight -1.0 not allowed" in str(err.value)
    assert "np.float64" not in str(err.value)


def test_analytic_hessian_matches_numerical_hessian():
    rng = np.random.default_rng(5)
    n = 300
    f1, f2 = rng.normal(size=n), rng.normal(size=n)
    f2 = 0.4 * f1 + f2
    f3 = 0.5 * f1 + 0.3 * f2 + rng.normal(size=n)
    d = pd.DataFrame(
        {
            f"{c}{k}": f + rng.normal(scale=0.7, size=n)
            for c, f in zip("abc", (f1, f2, f3), strict=True)
            for k in (1, 2, 3)
        }
    )
    spec = ModelSpec(
        blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"], "C": ["c1", "c2", "c3"]},
        paths=[("A", "C"), ("B", "C")],
        covariances=[("a1", "b1")],
    )
    res = cb.fit_cbsem(d, spec)
    st = res.structure
    theta = res.theta + 0.05 * rng.normal(size=st.q)
    mats = cb.implied(st, theta[None])
    Sinv, _, _ = cb._chol_inv(mats["Sigma"])
    H, _ = cb._hessian_analytic(st, mats, Sinv, res.S[None])
    assert np.abs(H[0] - cb._hessian(st, theta, res.S)).max() < 1e-6


def test_weighted_bootstrap_replicate_equals_weighted_fit_of_resampled_data(mobi):
    d = mobi.assign(w=1 + (np.arange(1, len(mobi) + 1) % 5) / 2)
    full = cb.fit_cbsem(d, acsi_spec(MOBI_BLOCKS), weights="w")
    counts = _counts(full.n, 2, seed=5)
    boot = cb.cbsem_bootstrap(d, full.spec, counts, full, weights="w")
    labels = full.structure.labels()
    for b in range(2):
        resampled = d.iloc[np.repeat(np.arange(full.n), counts[b])]
        ref = cb.fit_cbsem(resampled, full.spec, weights="w", start=full.theta)
        assert np.abs(boot.loc[b, labels].to_numpy(float) - ref.theta).max() < 1e-5
