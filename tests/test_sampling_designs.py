"""Sampling designs: exact inclusion probabilities, allocation, sample size, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.sampling import (
    Design,
    Stage,
    allocate,
    draw,
    inclusion_probabilities,
    largest_remainder,
    quota_sample,
    sample_size,
)


def make_frame(N: int = 6000, H: int = 4, C: int = 60, seed: int = 3) -> pd.DataFrame:
    """Customers in unequal branches nested in regions (contract column names)."""
    rng = np.random.default_rng(seed)
    w = rng.gamma(1.0, 1.0, C)
    branch = np.sort(rng.choice(C, size=N, p=w / w.sum()))
    region_of = np.sort(rng.integers(0, H, C))
    size = np.bincount(branch, minlength=C)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(N)],
            "region": [f"R{r:02d}" for r in region_of[branch]],
            "branch": [f"R{region_of[b]:02d}-B{b:03d}" for b in branch],
            "branch_size": size[branch],
            "segment": rng.choice(["personal", "family", "business"], N, p=[0.6, 0.3, 0.1]),
            "tenure_years": rng.gamma(2.0, 2.0, N).round(1),
        }
    )


FRAME = make_frame()
DESIGNS = {
    "srs": Design("srs", (Stage(n=300),)),
    "srswr": Design("srs", (Stage(method="srswr", n=300),)),
    "systematic": Design("systematic", (Stage(method="systematic", n=300, sort=("region",)),)),
    "pps_systematic": Design(
        "systematic", (Stage(method="pps_systematic", n=300, size="tenure_years"),)
    ),
    "stratified": Design("stratified", (Stage(n=300),), strata="region", minimum=2),
    "cluster": Design(
        "cluster", (Stage(unit="branch", n=8), Stage(method="all")), strata="region", minimum=2
    ),
    "multistage": Design(
        "multistage",
        (Stage(unit="branch", method="pps_systematic", size="branch_size", n=16), Stage(n=20)),
        strata="region",
        minimum=2,
    ),
}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_draw_is_deterministic_for_a_seed(name):
    a = draw(FRAME, DESIGNS[name], 7).sample
    b = draw(FRAME, DESIGNS[name], 7).sample
    pd.testing.assert_frame_equal(a, b)
    c = draw(FRAME, DESIGNS[name], 8).sample
    assert not a["unit_id"].equals(c["unit_id"])


@pytest.mark.parametrize("name", list(DESIGNS))
def test_pi_is_product_of_stage_pi_and_weight_its_inverse(name):
    s = draw(FRAME, DESIGNS[name], 1).sample
    stages = [c for c in s.columns if c.startswith("pi_")]
    np.testing.assert_allclose(s[stages].prod(axis=1), s["pi"], rtol=1e-15)
    np.testing.assert_allclose(s["design_weight"], 1 / s["pi"], rtol=1e-15)
    assert s["unit_id"].is_unique
    assert ((s["pi"] > 0) & (s["pi"] <= 1)).all()


def test_srswor_pi_is_n_over_N_and_size_exact():
    s = draw(FRAME, DESIGNS["srs"], 1).sample
    assert len(s) == 300
    np.testing.assert_allclose(s["pi"], 300 / len(FRAME), rtol=1e-15)
    assert s["design_weight"].sum() == pytest.approx(len(FRAME), rel=1e-12)


def test_srswr_pi_is_one_minus_prob_never_drawn_and_hits_sum_to_n():
    s = draw(FRAME, DESIGNS["srswr"], 1).sample
    N = len(FRAME)
    assert s["hits"].sum() == 300
    np.testing.assert_allclose(s["pi"], 1 - (1 - 1 / N) ** 300, rtol=1e-12)


def test_stratified_pi_sums_to_n_h_per_stratum_and_n_h_to_n():
    d = DESIGNS["stratified"]
    s = draw(FRAME, d, 1).sample
    N_h = FRAME.groupby("region").size()
    n_h = s.groupby("stratum").size()
    assert n_h.sum() == 300
    pi_h = s.groupby("stratum")["pi"].first()
    np.testing.assert_allclose((pi_h * N_h).to_numpy(), n_h.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.groupby("stratum")["fpc_1"].first(), N_h)


def test_systematic_equal_probability_gives_exactly_n_with_fractional_interval():
    for seed in range(5):
        s = draw(FRAME, DESIGNS["systematic"], seed).sample
        assert len(s) == 300  # N/n = 20 exactly here; check a fractional interval too
    d = Design("systematic", (Stage(method="systematic", n=233),))
    for seed in range(5):
        assert len(draw(FRAME, d, seed).sample) == 233


def test_multistage_stage_pi_sum_to_n_per_stage():
    res = draw(FRAME, DESIGNS["multistage"], 2)
    st1, st2 = res.info["stages"]
    assert st1["pi_sum"] == pytest.approx(16, rel=1e-12)
    assert st1["selected_units"] == 16
    s = res.sample
    per_psu = s.groupby("psu").agg(n=("unit_id", "size"), N=("fpc_2", "first"))
    assert (per_psu["n"] == np.minimum(20, per_psu["N"])).all()
    np.testing.assert_allclose(s["pi_2"], np.minimum(20, s["fpc_2"]) / s["fpc_2"], rtol=1e-15)


def test_pps_takes_units_with_pik_ge_1_with_certainty():
    size = np.array([1000.0, 1, 1, 1, 1, 1, 1, 1, 1, 2])
    pik = inclusion_probabilities(size, 3)
    assert pik[0] == 1.0
    assert pik.sum() == pytest.approx(3, rel=1e-14)
    np.testing.assert_allclose(pik[1:], 2 * size[1:] / size[1:].sum())


def test_pps_iterates_until_no_new_take_all_unit():
    size = np.array([50.0, 30, 10, 5, 3, 2])
    pik = inclusion_probabilities(size, 4)
    # first pass: 50 -> 2 >= 1; rescaled: 30 -> 3*30/50 = 1.8 >= 1; then 10 -> 2*10/20 = 1
    np.testing.assert_allclose(pik, [1, 1, 1, 5 / 10, 3 / 10, 2 / 10])


def test_allocation_largest_remainder_sums_to_n_for_many_n():
    N = np.array([1234, 987, 55, 3001, 412])
    for n in range(5, 400, 7):
        a = allocate(list("abcde"), N, n, "proportional")
        assert a.n.sum() == n
        assert np.all(np.abs(a.n - n * N / N.sum()) < 1)


def test_allocation_equal_fixed_minimum_and_take_all():
    N = np.array([1000, 1000, 3, 10])
    a = allocate(list("abcd"), N, 40, "equal")
    # c (3 units) and then d (10) are capped and taken whole; 27 left: 13.5 each, tie -> first
    assert a.n.tolist() == [14, 13, 3, 10]
    assert a.take_all == ["c", "d"]
    p = allocate(list("abcd"), N, 40, "proportional", minimum=5)
    assert p.n[3] == 5 and p.n[2] == 3 and p.n.sum() == 40
    f = allocate(list("abcd"), N, None, "fixed", fixed=[1, 2, 3, 4])
    assert f.n.tolist() == [1, 2, 3, 4]


def test_largest_remainder_breaks_ties_by_position():
    assert largest_remainder([0.5, 0.5, 0.5, 0.5], 2).tolist() == [1, 1, 0, 0]
    assert largest_remainder([2.0, 3.0], 5).tolist() == [2, 3]


def test_sample_size_formula_with_deff_fpc_and_response_rate():
    r = sample_size(0.03, 0.95, p=0.5, deff=1.5, response_rate=0.6, N=50_000)
    z = 1.959963984540054
    n0 = z * z * 0.25 / 0.03**2
    nd = n0 * 1.5
    nf = nd / (1 + (nd - 1) / 50_000)
    assert r.n0.item() == pytest.approx(n0, rel=1e-12)
    assert r.n_fpc.item() == pytest.approx(nf, rel=1e-12)
    assert r.n_complete.item() == int(np.ceil(nf))
    assert r.n_issued.item() == int(np.ceil(np.ceil(nf) / 0.6))
    m = sample_size(5.0, sd=40.0)
    assert m.n_complete.item() == int(np.ceil(z * z * 1600 / 25))


def test_sample_size_per_stratum_uses_each_stratum_N():
    r = sample_size(0.05, N=[100, 1000, 100000])
    n = r.n_complete
    assert n[0] < n[1] < n[2] and n[0] <= 100


def test_quota_sample_meets_quotas_and_marks_weights_undefined():
    res = quota_sample(FRAME, ["region", "segment"], 240, 1)
    s = res.sample
    assert len(s) == 240
    assert s["pi"].isna().all() and s["design_weight"].isna().all()
    assert res.info["design_weights_defined"] is False
    assert "calibrate" in res.info["warning"]
    table = pd.DataFrame(res.info["allocation"]["table"])
    assert (table["n_units"] == table["quota"]).all()
    q = quota_sample(FRAME, ["segment"], None, 1, quotas={"business": 10, "family": 20})
    assert q.sample["segment"].value_counts().to_dict() == {"family": 20, "business": 10}


def test_sample_has_contract_columns():
    s = draw(FRAME, DESIGNS["multistage"], 1).sample
    for c in ["unit_id", "customer_id", "region", "branch", "stratum", "psu", "pi_1", "pi_2"]:
        assert c in s.columns
    for c in ["pi", "design_weight", "fpc_1", "fpc_2"]:
        assert s[c].dtype == float
    assert (s["unit_id"] == s["customer_id"]).all()


def test_three_stage_design_pi_and_sizes():
    f = FRAME.copy()
    f["team"] = f["branch"] + "-T" + (np.arange(len(f)) % 3).astype(str)
    d = Design(
        "multistage",
        (
            Stage(unit="branch", method="pps_systematic", size="branch_size", n=12),
            Stage(unit="team", method="srswor", n=2),
            Stage(method="systematic", n=4, sort=("tenure_years",)),
        ),
        strata="region",
        minimum=2,
    )
    res = draw(f, d, 4)
    s = res.sample
    assert {"psu", "ssu", "pi_3", "fpc_3"} <= set(s.columns)
    teams = f.groupby("branch")["team"].nunique()
    per_team = f.groupby("team").size()
    np.testing.assert_allclose(
        s["pi_2"], np.minimum(2, s["psu"].map(teams)) / s["psu"].map(teams), rtol=1e-15
    )
    np.testing.assert_allclose(
        s["pi_3"], np.minimum(4, s["ssu"].map(per_team)) / s["ssu"].map(per_team), rtol=1e-15
    )
    np.testing.assert_allclose(s["fpc_2"], s["psu"].map(teams))
    np.testing.assert_allclose(s[["pi_1", "pi_2", "pi_3"]].prod(axis=1), s["pi"], rtol=1e-15)
    assert s["psu"].nunique() == 12
    got = s.groupby("ssu").size()
    assert (got == np.minimum(4, per_team[got.index])).all()
    assert res.info["stages"][0]["pi_sum"] == pytest.approx(12, rel=1e-12)
