"""CB-SEM by ML against lavaan 0.6.14 (fixtures: tests/r/lavaan_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.sem.cbsem import fit_cbsem
from csindex.sem.spec import acsi_spec, ecsi_spec

FIX = Path(__file__).parent / "fixtures"
MOBI_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}
SAT_BLOCKS = {
    "IM": [f"imag{i}" for i in range(1, 6)],
    "CE": [f"expe{i}" for i in range(1, 6)],
    "PQ": [f"qual{i}" for i in range(1, 6)],
    "PV": [f"val{i}" for i in range(1, 5)],
    "CS": [f"sat{i}" for i in range(1, 5)],
    "CL": [f"loy{i}" for i in range(1, 5)],
}
FIT_NAMES = {
    "baseline.chisq": "baseline_chisq",
    "baseline.df": "baseline_df",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "rmsea.pvalue": "rmsea_pvalue",
    "logl": "loglik",
    "ntotal": "n",
    "srmr_bentler": "srmr",
}


def lavaan(name: str) -> pd.DataFrame:
    d = pd.read_csv(FIX / "lavaan" / f"{name}.csv", skiprows=1, skipinitialspace=True)
    if "rhs" in d.columns:
        d["rhs"] = d["rhs"].fillna("").astype(str)
    for c in d.columns:
        if c not in ("lhs", "op", "rhs", "measure", "variable"):
            d[c] = pd.to_numeric(d[c].astype(str).str.strip(), errors="coerce")
    return d


def mobi() -> pd.DataFrame:
    return pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]


@pytest.fixture(scope="module")
def acsi_fit():
    return fit_cbsem(mobi(), acsi_spec(MOBI_BLOCKS))


@pytest.fixture(scope="module")
def ecsi_fit():
    sat = pd.read_csv(FIX / "data" / "ecsi_satisfaction.csv").iloc[:, 1:]
    return fit_cbsem(sat, ecsi_spec(SAT_BLOCKS))


@pytest.fixture(scope="module")
def mlr_fit():
    d = mobi()
    d["w"] = 1 + (np.arange(1, len(d) + 1) % 5) / 2  # as in tests/r/lavaan_reference.R
    return fit_cbsem(d, acsi_spec(MOBI_BLOCKS), weights="w", se="robust")


def _merged(res, case):
    ref = lavaan(f"{case}_estimates")
    m = res.estimates.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
    assert len(m) == len(ref) == len(res.estimates)
    return m


def test_acsi_estimates_match_lavaan_within_1e5(acsi_fit):
    m = _merged(acsi_fit, "acsi_mobi")
    assert np.abs(m["est"] - m["est_lav"]).max() < 1e-5


def test_acsi_standard_errors_match_lavaan_within_1e4(acsi_fit):
    m = _merged(acsi_fit, "acsi_mobi")
    assert np.abs(m["se"] - m["se_lav"]).max() < 1e-5
    assert np.nanmax(np.abs(m["pvalue"] - m["pvalue_lav"])) < 1e-5


def test_acsi_fit_indices_match_lavaan(acsi_fit):
    ref = lavaan("acsi_mobi_fit").set_index("measure")["value"]
    for k, v in ref.items():
        mine = acsi_fit.fit[FIT_NAMES.get(k, k)]
        assert mine == pytest.approx(v, rel=1e-7, abs=1e-8), k


def test_acsi_standardized_solution_matches_lavaan(acsi_fit):
    ref = lavaan("acsi_mobi_standardized")
    m = acsi_fit.standardized.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
    assert len(m) == len(ref)
    assert np.abs(m["est_std"] - m["est.std"]).max() < 1e-5
    assert np.nanmax(np.abs(m["se"] - m["se_lav"])) < 1e-5


def test_acsi_r2_matches_lavaan(acsi_fit):
    ref = lavaan("acsi_mobi_r2")
    m = acsi_fit.r2.merge(ref, on="variable", suffixes=("", "_lav"))
    assert len(m) == len(ref) == len(acsi_fit.r2)
    assert np.abs(m["r2"] - m["r2_lav"]).max() < 1e-5


def test_effects_and_delta_method_ses_match_lavaan_defined_parameters(acsi_fit):
    ref = lavaan("acsi_mobi_effects").set_index("lhs")
    e = acsi_fit.effects.set_index(["from", "to"])
    for name, col in [("ind", "indirect"), ("tot", "total")]:
        for lab in ref.index:
            if not lab.startswith(name + "_"):
                continue
            _, a, b = lab.split("_")
            assert e.loc[(a, b), col] == pytest.approx(ref.loc[lab, "est"], abs=1e-5)
            assert e.loc[(a, b), f"{col}_se"] == pytest.approx(ref.loc[lab, "se"], abs=1e-5)


def test_direct_plus_indirect_is_total(acsi_fit):
    e = acsi_fit.effects
    assert np.allclose(e["direct"] + e["indirect"], e["total"], atol=1e-12)


def test_lavaan_default_stopping_point_is_a_worse_optimum(acsi_fit):
    # lavaan's default nlminb stop lies ~5e-5 from the optimum; ours has a ~0 gradient
    ref = lavaan("acsi_mobi_default_estimates")
    m = acsi_fit.estimates.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
    gap = np.abs(m["est"] - m["est_lav"]).max()
    assert 1e-6 < gap < 1e-4
    assert acsi_fit.admissibility.gradient_norm < 1e-10


def test_weighted_mlr_estimates_and_robust_ses_match_lavaan(mlr_fit):
    m = _merged(mlr_fit, "acsi_mobi_mlr")
    assert np.abs(m["est"] - m["est_lav"]).max() < 1e-5
    assert np.abs(m["se"] - m["se_lav"]).max() < 1e-5


def test_weighted_fit_indices_match_lavaan(mlr_fit):
    ref = lavaan("acsi_mobi_mlr_fit").set_index("measure")["value"]
    for k, v in ref.items():
        assert mlr_fit.fit[FIT_NAMES.get(k, k)] == pytest.approx(v, rel=1e-7, abs=1e-8), k


def test_ecsi_satisfaction_matches_lavaan_at_its_optimum(ecsi_fit):
    # CE and PQ correlate 0.992 here, so the optimum is flat: lavaan's BFGS alone stops up to
    # 1e-4 away. The fixture is lavaan Newton-polished to max |gradient| 2e-15 (see
    # tests/r/lavaan_reference.R); there both solutions agree to ~1e-12.
    m = _merged(ecsi_fit, "ecsi_sat")
    assert np.abs(m["est"] - m["est_lav"]).max() < 1e-5
    assert np.abs(m["se"] - m["se_lav"]).max() < 1e-4
    ref = lavaan("ecsi_sat_fit").set_index("measure")["value"]
    for k in ("chisq", "cfi", "tli", "rmsea", "aic", "bic", "loglik"):
        assert ecsi_fit.fit[k] == pytest.approx(ref[FIT_NAMES_INV.get(k, k)], rel=1e-8), k


FIT_NAMES_INV = {v: k for k, v in FIT_NAMES.items() if k != "srmr_bentler"}


def test_ecsi_satisfaction_r2_and_standardized_close_to_lavaan(ecsi_fit):
    r2 = ecsi_fit.r2.merge(lavaan("ecsi_sat_r2"), on="variable", suffixes=("", "_lav"))
    assert np.abs(r2["r2"] - r2["r2_lav"]).max() < 1e-6
    std = ecsi_fit.standardized.merge(
        lavaan("ecsi_sat_standardized"), on=["lhs", "op", "rhs"], suffixes=("", "_lav")
    )
    assert np.abs(std["est_std"] - std["est.std"]).max() < 1e-6


def test_factor_scores_use_regression_weights(acsi_fit):
    d = mobi()
    W = acsi_fit.score_weights.pivot(index="construct", columns="item", values="weight")
    W = W.loc[acsi_fit.structure.constructs, acsi_fit.structure.items].to_numpy()
    X = d[acsi_fit.structure.items].to_numpy(float)
    assert np.allclose((X - X.mean(axis=0)) @ W.T, acsi_fit.scores.to_numpy(), atol=1e-10)
    assert np.allclose(acsi_fit.scores.mean().to_numpy(), 0, atol=1e-10)


def test_refit_is_deterministic(acsi_fit):
    again = fit_cbsem(mobi(), acsi_spec(MOBI_BLOCKS))
    pd.testing.assert_frame_equal(again.estimates, acsi_fit.estimates)


def test_simple_start_reaches_the_same_optimum_as_semopy_start(acsi_fit):
    res = fit_cbsem(mobi(), acsi_spec(MOBI_BLOCKS), start="simple")
    assert np.abs(res.theta - acsi_fit.theta).max() < 1e-8


def test_semopy_front_end_gives_start_values_near_the_optimum(acsi_fit):
    from csindex.sem.cbsem import _start_semopy

    st = acsi_fit.structure
    X = mobi()[st.items].to_numpy(float)
    start = _start_semopy(st, X, acsi_fit.S)
    assert np.abs(start - acsi_fit.theta).max() < 1e-2


def test_summary_and_to_frame_report_paths_fit_and_admissibility(acsi_fit):
    text = acsi_fit.summary()
    assert "CFI" in text and "RMSEA" in text and "admissible" in text and "CE -> PQ" in text
    frame = acsi_fit.to_frame()
    assert list(frame.columns[:9]) == [
        "lhs",
        "op",
        "rhs",
        "est",
        "se",
        "z",
        "pvalue",
        "ci_lower",
        "ci_upper",
    ]
    assert "est_std" in frame.columns and len(frame) == len(acsi_fit.estimates)


def test_unweighted_robust_ses_match_lavaan_mlr(acsi_fit):
    res = fit_cbsem(mobi(), acsi_spec(MOBI_BLOCKS), se="robust")
    m = _merged(res, "acsi_mobi_mlr_unweighted")
    assert np.abs(m["est"] - m["est_lav"]).max() < 1e-5
    assert np.abs(m["se"] - m["se_lav"]).max() < 1e-5
    assert not np.allclose(res.estimates["se"], acsi_fit.estimates["se"], atol=1e-3)


def _mobi_with_missing() -> pd.DataFrame:
    d = mobi()
    d["w"] = 1 + (np.arange(1, len(d) + 1) % 5) / 2
    i = np.arange(1, len(d) + 1)
    for j, it in enumerate(acsi_spec(MOBI_BLOCKS).items, 1):  # as tests/r/lavaan_reference.R
        d.loc[((i * 7 + j * 13) % 29) == 0, it] = np.nan
    return d


@pytest.mark.parametrize(
    ("case", "kw"), [("acsi_mobi_fiml", {}), ("acsi_mobi_fiml_mlr", {"weights": "w"})]
)
def test_fiml_with_missing_items_matches_lavaan_missing_ml(case, kw):
    d = _mobi_with_missing()
    assert d[acsi_spec(MOBI_BLOCKS).items].isna().any(axis=1).sum() == 164
    res = fit_cbsem(d, acsi_spec(MOBI_BLOCKS), missing="ml", **kw)
    m = _merged(res, case)
    assert np.abs(m["est"] - m["est_lav"]).max() < 1e-5
    assert np.abs(m["se"] - m["se_lav"]).max() < 1e-5
    ref = lavaan(f"{case}_fit").set_index("measure")["value"]
    for k, v in ref.items():
        # SRMR is first-order in the estimates: lavaan's (~4e-6 from the optimum) moves it 1e-8
        tol = 5e-8 if k.startswith("srmr") else 1e-8
        assert res.fit[FIT_NAMES.get(k, k)] == pytest.approx(v, rel=1e-7, abs=tol), k
    assert res.n == 250 and res.admissibility.admissible
