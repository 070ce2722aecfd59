"""CB-SEM lavaan-syntax features against lavaan 0.6.14.

Fixtures: tests/r/lavaan_features_reference.R (PoliticalDemocracy, HolzingerSwineford1939)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.sem.cbsem import fit_cbsem
from csindex.sem.spec import ModelSpec

FIX = Path(__file__).parent / "fixtures"

MODELS = {
    "poldem_resid": """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
""",
    "poldem_dist": """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60
dem60 ~~ dem65
y1 ~~ y5
""",
}
DATA = {"poldem": "political_democracy", "hs": "holzinger_swineford"}


def lavaan(name: str) -> pd.DataFrame:
    d = pd.read_csv(FIX / "lavaan" / f"{name}.csv", skiprows=1, skipinitialspace=True)
    for c in ("lhs", "op", "rhs", "label"):
        if c in d.columns:
            d[c] = d[c].astype(object).where(d[c].notna(), "").astype(str).str.strip()
    for c in d.columns:
        if c not in ("lhs", "op", "rhs", "label", "measure"):
            d[c] = pd.to_numeric(d[c].astype(str).str.strip(), errors="coerce")
    return d


def data(case: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "data" / f"{DATA[case.split('_')[0]]}.csv", skiprows=1)


def fit(case: str, **kw):
    return fit_cbsem(data(case), ModelSpec.from_lavaan(MODELS[case]), **kw)


def _key(d: pd.DataFrame) -> pd.Series:
    # lavaan writes a covariance in the order given; compare order-free for ~~
    a = np.where((d["op"] == "~~") & (d["lhs"] > d["rhs"]), d["rhs"], d["lhs"])
    b = np.where((d["op"] == "~~") & (d["lhs"] > d["rhs"]), d["lhs"], d["rhs"])
    return pd.Series(a, index=d.index) + d["op"] + pd.Series(b, index=d.index)


def merged(ours: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    ours = ours.assign(key=_key(ours))
    ref = ref.assign(key=_key(ref))
    m = ours.merge(ref, on="key", suffixes=("", "_lav"))
    assert len(m) == len(ref), set(ref["key"]) - set(ours["key"])
    return m


@pytest.mark.parametrize("case", ["poldem_resid", "poldem_dist"])
def test_free_residual_and_disturbance_covariances_match_lavaan(case):
    res = fit(case)
    m = merged(res.estimates, lavaan(f"{case}_estimates"))
    np.testing.assert_allclose(m["est"], m["est_lav"], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(m["se"], m["se_lav"], rtol=1e-6, atol=1e-8)
    fm = lavaan(f"{case}_fit").set_index("measure")["value"]
    assert res.fit["chisq"] == pytest.approx(fm["chisq"], rel=1e-8)
    assert res.fit["df"] == fm["df"]


@pytest.mark.parametrize("case", ["poldem_resid", "poldem_dist"])
def test_standardized_covariances_divide_by_residual_sds_as_lavaan(case):
    res = fit(case)
    ref = lavaan(f"{case}_standardized")
    m = merged(res.standardized, ref)
    np.testing.assert_allclose(m["est_std"], m["est.std"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(m["se"], m["se_lav"], rtol=1e-5, atol=1e-8)
    if case == "poldem_resid":  # the example: y4 ~~ y8 is 0.1088 (SE 0.131)
        row = m[m["key"] == "y4~~y8"].iloc[0]
        assert row["est_std"] == pytest.approx(0.108801, abs=1e-6)
        assert row["se"] == pytest.approx(0.130769, abs=1e-6)


MODELS.update(
    {
        "poldem_equal": """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
""",
        "poldem_defined": """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y4 ~~ y8
ind := a*b
total := c + a*b
ratio := a*b/(c + a*b)
""",
        "hs_fixed": """
visual =~ NA*x1 + x2 + x3
textual =~ x4 + 0.5*x5 + x6
speed =~ x7 + x8 + x9
visual ~~ 1*visual
textual ~~ 0.3*speed
""",
        "hs_cross": """
visual =~ x1 + x2 + x3 + x9
textual =~ x4 + x5 + l6*x6
speed =~ x7 + x8 + x9
""",
        "poldem_xcov": """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem60 ~ ind60
ind60 ~~ y1
""",
    }
)
FEATURES = ["poldem_equal", "poldem_defined", "hs_fixed", "hs_cross", "poldem_xcov"]
# poldem_equal: lavaan default optimiser (nlminb), ~1e-6 from the optimum
TOL = {"poldem_equal": (1e-4, 1e-4)}


@pytest.mark.parametrize("case", FEATURES)
def test_lavaan_syntax_features_match_lavaan(case):
    res = fit(case)
    assert res.admissibility.converged
    ref = lavaan(f"{case}_estimates")
    m = merged(res.estimates, ref)
    rt_est, rt_se = TOL.get(case, (1e-7, 1e-6))
    np.testing.assert_allclose(m["est"], m["est_lav"], rtol=rt_est, atol=1e-8)
    np.testing.assert_allclose(m["se"], m["se_lav"], rtol=rt_se, atol=1e-8)
    fm = lavaan(f"{case}_fit").set_index("measure")["value"]
    for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
        assert res.fit[k] == pytest.approx(fm[k], rel=max(rt_est, 1e-8)), k
    sref = lavaan(f"{case}_standardized")
    std = merged(res.standardized, sref[sref["op"] != ":="])  # standardized := rows: not made
    np.testing.assert_allclose(std["est_std"], std["est.std"], rtol=max(rt_est, 1e-7), atol=1e-9)
    np.testing.assert_allclose(std["se"], std["se_lav"], rtol=max(rt_se, 1e-5), atol=1e-8)


def test_shared_labels_are_one_parameter():
    res = fit("poldem_equal")
    # lavaan's default optimiser stops short of the optimum: csindex's chi-square is not larger
    lav = lavaan("poldem_equal_fit").set_index("measure")["value"]
    assert lav["chisq"] - 1e-6 < res.fit["chisq"] <= lav["chisq"] + 1e-12
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("dem60", "=~", "y2")] == est[("dem65", "=~", "y6")]
    assert res.fit["df"] == lavaan("poldem_resid_fit").set_index("measure")["value"]["df"] + 3


def test_defined_parameters_have_bootstrap_columns():
    from csindex.sem.cbsem import cbsem_bootstrap

    d = data("poldem_defined")
    spec = ModelSpec.from_lavaan(MODELS["poldem_defined"])
    res = fit_cbsem(d, spec)
    counts = np.random.default_rng(5).multinomial(len(d), np.full(len(d), 1 / len(d)), size=20)
    boot = cbsem_bootstrap(d, spec, counts, res)
    a, b = boot["dem60~ind60"], boot["dem65~dem60"]
    np.testing.assert_allclose(boot["def:ind"], a * b, rtol=1e-12)
    assert boot["def:ind"].std() > 0


def test_standard_ses_with_informative_weights_match_lavaan_sampling_weights():
    from csindex.sem.spec import acsi_spec

    blocks = {
        "CE": ["CUEX1", "CUEX2", "CUEX3"],
        "PQ": [f"PERQ{i}" for i in range(1, 8)],
        "PV": ["PERV1", "PERV2"],
        "CS": ["CUSA1", "CUSA2", "CUSA3"],
        "CC": ["CUSCO"],
        "CL": ["CUSL1", "CUSL2", "CUSL3"],
    }
    d = pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]
    d["w"] = 1 + (np.arange(1, len(d) + 1) % 5) / 2  # as the R script
    res = fit_cbsem(d, acsi_spec(blocks), weights="w", se="standard")
    assert res.se_type == "standard" and res.weighted
    m = merged(res.estimates, lavaan("acsi_mobi_weighted_standard_estimates"))
    np.testing.assert_allclose(m["est"], m["est_lav"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(m["se"], m["se_lav"], rtol=1e-6, atol=1e-9)


def test_fiml_analytic_hessian_equals_differences_of_the_analytic_gradient():
    from csindex.sem import cbsem as cb

    d = data("poldem_resid")
    spec = ModelSpec.from_lavaan(MODELS["poldem_resid"])
    X = d[spec.items].to_numpy(dtype=float)
    X[np.random.default_rng(3).random(X.shape) < 0.1] = np.nan
    d[spec.items] = X
    res = fit_cbsem(d, spec, missing="ml")
    assert res.admissibility.converged
    Xp, _, _, n = cb._prepare(d, spec, None, listwise=False)
    pats = cb._patterns(Xp, None)
    z = np.concatenate([res.theta, res.mean]) * 1.01  # away from the optimum as well
    Ha = cb._fiml_hessian(res.structure, z, pats, n)
    Hn = cb._fiml_hessian_numeric(res.structure, z, pats, n)
    np.testing.assert_allclose(Ha, Hn, rtol=1e-5, atol=1e-6 * np.abs(Hn).max())
