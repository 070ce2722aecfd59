"""Consistent PLS: seminr's published PLSc output on the mobi data, exact recovery at the
population moments, and consistency by Monte Carlo (bias -> 0 as n grows)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError
from csindex.sem.pls import fit_pls
from csindex.sem.plsc import adjusted_r2, fit_plsc, plsc_from_pls, rho_a
from csindex.sem.spec import ModelSpec

FIX = Path(__file__).parent / "fixtures"

MOBI_SPEC = ModelSpec(
    blocks={
        "Image": [f"IMAG{i}" for i in range(1, 6)],
        "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
        "Value": ["PERV1", "PERV2"],
        "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    },
    paths=[("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Value", "Satisfaction")],
)

# a common-factor model with standardized factors: eta2 = .5 eta1; eta3 = .3 eta1 + .4 eta2
TRUE_LOADINGS = {"A": [0.8, 0.7, 0.6], "B": [0.7, 0.7, 0.8], "C": [0.9, 0.6, 0.7]}
TRUE_PATHS = {("A", "B"): 0.5, ("A", "C"): 0.3, ("B", "C"): 0.4}
SIM_SPEC = ModelSpec(
    blocks={c: [f"{c.lower()}{k + 1}" for k in range(3)] for c in TRUE_LOADINGS},
    paths=list(TRUE_PATHS),
)


def population_cov() -> np.ndarray:
    B = np.zeros((3, 3))
    cons = list(TRUE_LOADINGS)
    for (a, b), v in TRUE_PATHS.items():
        B[cons.index(b), cons.index(a)] = v
    IB = np.linalg.inv(np.eye(3) - B)
    # disturbance variances so that every factor has variance 1
    psi = np.zeros(3)
    psi[0] = 1.0
    for k in (1, 2):
        P = np.diag(psi)
        psi[k] = 1.0 - (IB @ P @ IB.T)[k, k]
    Phi = IB @ np.diag(psi) @ IB.T
    Lam = np.zeros((9, 3))
    for k, c in enumerate(cons):
        Lam[3 * k : 3 * k + 3, k] = TRUE_LOADINGS[c]
    S = Lam @ Phi @ Lam.T
    np.fill_diagonal(S, 1.0)
    return S


def simulate(n: int, rng: np.random.Generator, exact: bool = False) -> pd.DataFrame:
    S = population_cov()
    Z = rng.standard_normal((n, 9))
    if exact:  # sample covariance equal to S
        Z = Z - Z.mean(axis=0)
        Z = Z @ np.linalg.inv(np.linalg.cholesky(Z.T @ Z / n)).T
    X = Z @ np.linalg.cholesky(S).T
    return pd.DataFrame(X, columns=SIM_SPEC.items)


def test_plsc_matches_seminr_published_output():
    data = pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]
    res = fit_plsc(data, MOBI_SPEC, scheme="factorial", tol=1e-12, maxiter=1000)
    est = res.estimates
    paths = pd.read_csv(FIX / "plsc" / "seminr_mobi_paths.csv", comment="#")
    got = est[est.op == "~"].set_index(["rhs", "lhs"])["est"]
    np.testing.assert_allclose(
        got.loc[list(zip(paths["from"], paths["to"], strict=True))], paths.est, rtol=1e-7
    )
    load = pd.read_csv(FIX / "plsc" / "seminr_mobi_loadings.csv", comment="#")
    got = est[est.op == "=~"].set_index(["lhs", "rhs"])["est"]
    np.testing.assert_allclose(
        got.loc[list(zip(load.construct, load["item"], strict=True))], load.est, rtol=1e-7
    )
    r2 = pd.read_csv(FIX / "plsc" / "seminr_mobi_r2.csv", comment="#").iloc[0]
    assert res.r2["Satisfaction"] == pytest.approx(r2.r2, rel=1e-7)
    assert res.r2_adj["Satisfaction"] == pytest.approx(r2.r2_adj, rel=1e-7)
    rho = pd.read_csv(FIX / "plsc" / "seminr_mobi_rho_a.csv", comment="#").set_index("construct")
    np.testing.assert_allclose(res.rho_a.loc[rho.index], rho.rho_a, rtol=1e-7)
    assert res.admissible


@pytest.mark.parametrize("scheme", ["path", "factorial", "centroid"])
def test_plsc_recovers_the_true_model_at_the_population_moments(scheme):
    data = simulate(400, np.random.default_rng(5), exact=True)
    res = fit_plsc(data, SIM_SPEC, scheme=scheme, tol=1e-14, maxiter=1000)
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    for c, lam in TRUE_LOADINGS.items():
        got = [est[(c, "=~", i)] for i in SIM_SPEC.blocks[c]]
        np.testing.assert_allclose(got, lam, atol=1e-7)
    for (a, b), v in TRUE_PATHS.items():
        assert est[(b, "~", a)] == pytest.approx(v, abs=1e-7)
    # rho_A of a block = reliability of its composite: (w' lambda)^2 with unit-variance composite
    # while plain PLS is attenuated
    pls = fit_pls(data, SIM_SPEC, scheme=scheme, tol=1e-14, maxiter=1000)
    assert pls.estimates.set_index(["lhs", "op", "rhs"]).loc[("C", "~", "B"), "est"] != (
        pytest.approx(0.4, abs=0.01)
    )


def test_rho_a_of_a_single_factor_block_is_its_reliability():
    lam = np.array([0.8, 0.7, 0.6])
    S = np.outer(lam, lam)
    np.fill_diagonal(S, 1)
    w = 3.0 * lam  # Mode A weights are proportional to the loadings in the population
    w = w / np.sqrt(w @ S @ w)
    r, c = rho_a(w, S)
    assert r == pytest.approx((w @ lam) ** 2, rel=1e-12)
    np.testing.assert_allclose(c * w, lam, rtol=1e-12)


def test_adjusted_r2_formula():
    assert adjusted_r2(0.5, 101, 4) == pytest.approx(1 - 0.5 * 100 / 96)


def test_plsc_needs_standardized_items():
    data = simulate(200, np.random.default_rng(1))
    with pytest.raises(ConfigError, match="standardized"):
        plsc_from_pls(fit_pls(data, SIM_SPEC, standardized=False))


def test_large_sample_plsc_is_close_and_pls_is_not():
    data = simulate(50_000, np.random.default_rng(11))
    plsc = fit_plsc(data, SIM_SPEC).estimates.set_index(["lhs", "op", "rhs"])["est"]
    pls = fit_pls(data, SIM_SPEC).estimates.set_index(["lhs", "op", "rhs"])["est"]
    for (a, b), v in TRUE_PATHS.items():
        assert abs(plsc[(b, "~", a)] - v) < 0.02
    assert abs(pls[("B", "~", "A")] - 0.5) > 0.05  # attenuated


@pytest.mark.slow
def test_plsc_bias_vanishes_as_n_grows():
    """Monte Carlo: mean bias of the three paths and nine loadings at n = 100, 400, 1600."""
    rng = np.random.default_rng(2024)
    reps = 300
    out = {}
    for n in (100, 400, 1600):
        bias = []
        for _ in range(reps):
            est = fit_plsc(simulate(n, rng), SIM_SPEC).estimates.set_index(["lhs", "op", "rhs"])
            e = est["est"]
            b = [e[(b, "~", a)] - v for (a, b), v in TRUE_PATHS.items()]
            b += [
                e[(c, "=~", i)] - lam
                for c, lams in TRUE_LOADINGS.items()
                for i, lam in zip(SIM_SPEC.blocks[c], lams, strict=True)
            ]
            bias.append(b)
        out[n] = np.abs(np.mean(bias, axis=0)).max()
    print("max |bias| by n:", out)
    assert out[1600] < out[100]
    assert out[1600] < 0.01


def test_plsc_model_tables_carry_the_consistent_estimates():
    from csindex.sem.outputs import fit_model, model_tables

    data = pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]
    mcfg = {"estimator": "plsc", "pls": {"scheme": "factorial", "tol": 1e-12, "maxiter": 1000}}
    res = fit_model(data, MOBI_SPEC, mcfg)
    t = model_tables(res, MOBI_SPEC, data, model_cfg=mcfg)
    paths = pd.read_csv(FIX / "plsc" / "seminr_mobi_paths.csv", comment="#")
    got = t.estimates[t.estimates.op == "~"].set_index("rhs")["est"]
    np.testing.assert_allclose(got.loc[paths["from"]], paths.est, rtol=1e-7)
    assert t.fit["estimator"] == "plsc"
    assert t.fit["rho_a"]["Value"] == pytest.approx(0.857578544960532, rel=1e-7)
    r2 = t.r2.set_index("variable")
    assert r2.loc["Satisfaction", "r2_adj"] == pytest.approx(0.884313300085056, rel=1e-7)
    # the index weights stay the PLS composites' (unit-variance scores)
    assert set(t.outer_weights.weight_type) == {"PLS outer weights"}
