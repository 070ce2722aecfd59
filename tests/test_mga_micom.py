"""PLS multi-group analysis (permutation test, Henseler's PLS-MGA), MICOM and the segment
comparability verdicts; Monte Carlo size and power in the slow tests."""

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError
from csindex.sem.mga import group_pls, permutation_masks, pls_mga
from csindex.sem.micom import MICOM_COLUMNS, micom, micom_levels, segment_comparability
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec

SPEC = ModelSpec(
    blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"], "C": ["c1", "c2", "c3"]},
    paths=[("A", "B"), ("A", "C"), ("B", "C")],
)
LAM = np.array([0.8, 0.7, 0.6])


def simulate(n, rng, b_ab=0.5, b_ac=0.3, b_bc=0.4, mean_a=0.0, group="g"):
    """Common-factor data: A ~ N(mean_a, 1), B = b_ab A + e, C = b_ac A + b_bc B + e."""
    a = mean_a + rng.standard_normal(n)
    b = b_ab * a + np.sqrt(1 - b_ab**2) * rng.standard_normal(n)
    c = b_ac * a + b_bc * b + 0.6 * rng.standard_normal(n)
    cols = {}
    for name, eta in (("a", a), ("b", b), ("c", c)):
        for k, lam in enumerate(LAM):
            cols[f"{name}{k + 1}"] = lam * eta + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    df = pd.DataFrame(cols)
    df["grp"] = group
    return df


def two_groups(n1, n2, rng, **kw2):
    return pd.concat(
        [simulate(n1, rng, group="g1"), simulate(n2, rng, group="g2", **kw2)], ignore_index=True
    )


def test_stacked_group_fits_equal_separate_pls_fits():
    data = two_groups(150, 120, np.random.default_rng(1), b_ab=0.2)
    X = data[SPEC.items].to_numpy()
    masks = np.vstack([data.grp == "g1", data.grp == "g2"]).astype(float)
    fits = group_pls(X, masks, SPEC, tol=1e-12, maxiter=1000)
    for k, g in enumerate(("g1", "g2")):
        ref = fit_pls(data[data.grp == g], SPEC, tol=1e-12, maxiter=1000)
        paths = ref.estimates[ref.estimates.op == "~"]
        cons = SPEC.constructs
        got = [fits.Bm[k][cons.index(r.lhs), cons.index(r.rhs)] for r in paths.itertuples()]
        np.testing.assert_allclose(got, paths.est, rtol=1e-9)
        w = ref.outer_weights.set_index("item")["weight"]
        np.testing.assert_allclose(
            fits.W[k][np.arange(9), [cons.index(SPEC.construct_of(i)) for i in SPEC.items]],
            w.loc[SPEC.items],
            rtol=1e-9,
        )


def test_permutation_masks_keep_group_sizes_and_are_seeded():
    g1 = np.arange(50) < 20
    m = permutation_masks(g1, np.random.default_rng(3), 100)
    assert (m.sum(axis=1) == 20).all()
    assert not (m == g1).all(axis=1).all()
    np.testing.assert_array_equal(m, permutation_masks(g1, np.random.default_rng(3), 100))


def test_mga_detects_a_large_path_difference_and_is_reproducible():
    rng = np.random.default_rng(7)
    data = pd.concat(
        [simulate(300, rng, b_ab=0.7, group="g1"), simulate(300, rng, b_ab=0.0, group="g2")],
        ignore_index=True,
    )
    r = pls_mga(data, SPEC, "grp", n_permutations=300, n_bootstrap=200, seed=5)
    t = r.table.set_index("path")
    assert t.loc["A -> B", "diff"] > 0.3
    assert t.loc["A -> B", "p_permutation"] < 0.01
    assert t.loc["A -> B", "p_henseler"] > 0.99  # group 1 larger
    again = pls_mga(data, SPEC, "grp", n_permutations=300, n_bootstrap=200, seed=5)
    pd.testing.assert_frame_equal(r.table, again.table)


def test_mga_observed_differences_do_not_depend_on_row_order():
    data = two_groups(120, 130, np.random.default_rng(2))
    a = pls_mga(data, SPEC, "grp", n_permutations=0, n_bootstrap=0)
    b = pls_mga(data.sample(frac=1, random_state=4), SPEC, "grp", n_permutations=0, n_bootstrap=0)
    np.testing.assert_allclose(a.table["diff"], b.table["diff"], rtol=1e-10, atol=1e-12)


def test_mga_needs_two_groups():
    data = simulate(100, np.random.default_rng(1))
    with pytest.raises(ConfigError, match="model.groups"):
        pls_mga(data, SPEC, "grp")


def test_micom_on_identical_groups_establishes_full_invariance():
    one = simulate(150, np.random.default_rng(9))
    data = pd.concat([one.assign(grp="x"), one.assign(grp="y")], ignore_index=True)
    t = micom(data, SPEC, "grp", n_permutations=200, seed=1)
    assert list(t.columns) == MICOM_COLUMNS
    step2 = t[t.step == "2 compositional"]
    np.testing.assert_allclose(step2.statistic, 1.0, atol=1e-12)
    for step in ("3a means", "3b variances"):
        np.testing.assert_allclose(t[t.step == step].statistic, 0.0, atol=1e-12)
    assert (t.verdict == "established").all()
    assert (micom_levels(t).invariance == "full").all()
    assert segment_comparability(micom_table=t).comparable.all()


def test_micom_flags_a_shifted_composite_mean():
    rng = np.random.default_rng(13)
    data = two_groups(200, 200, rng, mean_a=0.8)
    t = micom(data, SPEC, "grp", n_permutations=300, seed=2).set_index(["step", "construct"])
    assert t.loc[("3a means", "A"), "verdict"] == "not established"
    assert t.loc[("3a means", "A"), "statistic"] < -0.3  # group 1 - group 2, pooled scale
    assert t.loc[("2 compositional", "A"), "verdict"] == "established"
    lv = micom_levels(t.reset_index()).set_index("construct")
    assert lv.loc["A", "invariance"] == "partial"


def test_segment_comparability_from_a_cbsem_invariance_table():
    base = {
        "level": ["configural", "metric", "scalar"],
        "cfi": [0.95, 0.949, 0.90],
        "rmsea": [0.05, 0.05, 0.08],
        "delta_pvalue": [np.nan, 0.40, 0.001],
    }
    no = segment_comparability(invariance_table=pd.DataFrame(base)).iloc[0]
    assert not no.comparable and no.invariance == "metric"
    small = dict(base, cfi=[0.95, 0.949, 0.945], rmsea=[0.05, 0.05, 0.052])
    yes = segment_comparability(invariance_table=pd.DataFrame(small)).iloc[0]
    assert yes.comparable and yes.invariance == "scalar"
    with pytest.raises(ValueError):
        segment_comparability()


def _rejection(rng, reps, n=100, **kw2):
    rej_mga, rej_means = [], []
    for r in range(reps):
        data = two_groups(n, n, rng, **kw2)
        t = pls_mga(data, SPEC, "grp", n_permutations=200, n_bootstrap=0, seed=r).table
        rej_mga.append(t.set_index("path").loc["A -> B", "p_permutation"] < 0.05)
        m = micom(data, SPEC, "grp", n_permutations=200, seed=r).set_index(["step", "construct"])
        rej_means.append(m.loc[("3a means", "A"), "verdict"] == "not established")
    return np.mean(rej_mga), np.mean(rej_means)


@pytest.mark.slow
def test_permutation_tests_hold_their_size_under_the_null():
    size_mga, size_means = _rejection(np.random.default_rng(100), 300)
    print("size at 5%: MGA permutation", size_mga, "MICOM means", size_means)
    # 300 replications: 95% of binomial(300, 0.05)/300 lies in [0.027, 0.077]
    assert 0.02 <= size_mga <= 0.085
    assert 0.02 <= size_means <= 0.085


@pytest.mark.slow
def test_permutation_tests_have_power_under_a_known_difference():
    power_mga, power_means = _rejection(
        np.random.default_rng(200), 100, n=200, b_ab=0.1, mean_a=0.5
    )
    print(
        "power at 5%: MGA permutation (0.5 vs 0.1)", power_mga, "MICOM means (0.5 sd)", power_means
    )
    assert power_mga > 0.8
    assert power_means > 0.8


def test_pls_group_tables_of_the_workflow():
    """model/micom.csv and model/mga.csv as rule fit_model writes them: the MGA difference is
    the difference of separate PLS fits per group; seeds derived from the config seed; header
    only without groups or for CB-SEM."""
    from csindex.seeds import derive_seed
    from csindex.sem.outputs import MGA_COLUMNS, pls_group_tables

    data = two_groups(120, 100, np.random.default_rng(5), b_ab=-0.3)
    data["score"] = np.where(data.grp == "g1", 9.0, 3.0)
    mcfg = {"estimator": "pls", "groups": "score", "group_threshold": 5, "permutations": 99}
    mic, mga = pls_group_tables(data, SPEC, mcfg, seed=11)
    assert list(mic.columns) == MICOM_COLUMNS and list(mga.columns) == MGA_COLUMNS
    assert set(mic["comparison"]) == {"high vs low"} and len(mga) == len(SPEC.paths)
    ref = {
        g: fit_pls(data[data.grp == g], SPEC, tol=1e-12, maxiter=1000).paths.set_index(
            ["rhs", "lhs"]
        )["est"]
        for g in ("g1", "g2")
    }
    want = [ref["g1"][(a, b)] - ref["g2"][(a, b)] for a, b in SPEC.paths]
    np.testing.assert_allclose(mga["difference"], want, atol=1e-5)
    assert mga[["p_permutation", "p_henseler"]].stack().between(0, 1).all()
    # the A -> B difference (0.5 vs -0.3) is detected by the permutation test
    assert mga.set_index("path").loc["A -> B", "p_permutation"] < 0.05
    exp = micom(
        data.assign(score_group=np.where(data.grp == "g1", "high", "low")),
        SPEC,
        "score_group",
        n_permutations=99,
        seed=derive_seed(11, "micom"),
    )
    pd.testing.assert_frame_equal(mic, exp)
    again = pls_group_tables(data, SPEC, mcfg, seed=11)
    pd.testing.assert_frame_equal(mga, again[1])
    for cfg in ({"estimator": "pls"}, {**mcfg, "estimator": "cbsem"}):
        m, g = pls_group_tables(data, SPEC, cfg, seed=11)
        assert m.empty and g.empty and list(g.columns) == MGA_COLUMNS
