"""Design-based estimates and SEs against R survey (fixtures by tests/r/survey_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    survey_design,
    survey_mean,
    survey_proportions,
    survey_ratio,
    survey_total,
)

FIX = Path(__file__).parent / "fixtures" / "survey"
RTOL = 1e-9


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"{name}.csv", dtype={"cds": str})


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(FIX / "estimates.csv", keep_default_na=False, na_values=["", "NA"])


DESIGNS = {
    "srs": lambda: survey_design(load("apisrs"), weight="pw", fpc="fpc"),
    "strat": lambda: survey_design(load("apistrat"), weight="pw", strata="stype", fpc="fpc"),
    "clus1": lambda: survey_design(load("apiclus1"), weight="pw", psu="dnum", fpc="fpc"),
    "clus2": lambda: survey_design(
        load("apiclus2"), weight="pw", psu="dnum", ssu="snum", fpc=["fpc1", "fpc2"]
    ),
    "clus2_nofpc": lambda: survey_design(load("apiclus2"), weight="pw", psu="dnum", ssu="snum"),
}


def ours(design, stat: str, variable: str, domain: str) -> pd.Series:
    dom = None if domain == "all" else "stype"
    if stat == "mean":
        res = survey_mean(design, variable, domain=dom)
    elif stat == "total":
        res = survey_total(design, variable, domain=dom)
    elif stat == "ratio":
        num, den = variable.split("/")
        res = survey_ratio(design, num, den, domain=dom)
    elif stat == "proportion":
        var, cat = variable.split("=")
        res = survey_proportions(design, var, domain=dom)
        res = res[res["category"] == cat]
    else:  # pragma: no cover
        raise AssertionError(stat)
    row = res[res["domain"] == domain]
    assert len(row) == 1
    return row.iloc[0]


def compare(design, rows: pd.DataFrame, check_deff: bool = True) -> None:
    assert len(rows) > 0
    for _, r in rows.iterrows():
        if r["stat"] == "degf":
            assert design.degf == int(r["estimate"])
            continue
        got = ours(design, r["stat"], r["variable"], r["domain"])
        ctx = f"{r['design']} {r['stat']} {r['variable']} {r['domain']}"
        np.testing.assert_allclose(got["estimate"], r["estimate"], rtol=RTOL, err_msg=ctx)
        np.testing.assert_allclose(got["se"], r["se"], rtol=RTOL, err_msg=ctx)
        if check_deff and np.isfinite(r["deff"]):
            np.testing.assert_allclose(got["deff"], r["deff"], rtol=RTOL, err_msg=ctx)
        if check_deff and np.isfinite(r["deff_replace"]):
            np.testing.assert_allclose(
                got["deff_replace"], r["deff_replace"], rtol=RTOL, err_msg=ctx
            )


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_taylor_estimates_match_r_survey(name: str, ref: pd.DataFrame) -> None:
    compare(DESIGNS[name](), ref[ref["design"] == name])


@pytest.mark.parametrize("option", ["adjust", "remove", "certainty", "average"])
def test_lonely_psu_options_match_r_survey(option: str, ref: pd.DataFrame) -> None:
    df = load("apiclus1").merge(load("lonely_strata"), on="cds")
    d = survey_design(df, weight="pw", strata="st", psu="dnum", lonely_psu=option)
    compare(d, ref[ref["design"] == f"lonely_{option}"])


def test_lonely_psu_fail_names_the_option() -> None:
    df = load("apiclus1").merge(load("lonely_strata"), on="cds")
    d = survey_design(df, weight="pw", strata="st", psu="dnum", lonely_psu="fail")
    with pytest.raises(ValueError, match="single PSU"):
        survey_mean(d, "api00")


def _rep_design(data: str, weights: str, scales: str, rtype: str):
    df = load(data)
    rw = load(weights)
    sc = pd.read_csv(FIX / f"{scales}.csv")
    assert (rw["cds"].to_numpy() == df["cds"].to_numpy()).all()
    reps = rw.drop(columns="cds")
    return survey_design(
        df,
        weight="pw",
        replicate_weights=reps,
        replicate_type=rtype,
        scale=float(sc["scale"].iloc[0]),
        rscales=sc["rscales"].to_numpy(),
        mse=False,
    )


def test_jkn_replicate_estimates_match_r_survey(ref: pd.DataFrame) -> None:
    d = _rep_design("apistrat", "jkn_weights_strat", "jkn_scales_strat", "JKn")
    compare(d, ref[ref["design"] == "strat_JKn"], check_deff=False)


def test_jk1_replicate_estimates_match_r_survey(ref: pd.DataFrame) -> None:
    d = _rep_design("apiclus1", "jk1_weights_clus1", "jk1_scales_clus1", "JK1")
    compare(d, ref[ref["design"] == "clus1_JK1"], check_deff=False)


def test_confidence_interval_uses_design_degrees_of_freedom() -> None:
    from scipy import stats

    d = DESIGNS["clus1"]()
    res = survey_mean(d, "api00").iloc[0]
    q = stats.t.ppf(0.975, 14)
    assert res["df"] == 14
    np.testing.assert_allclose(res["ci_upper"] - res["estimate"], q * res["se"], rtol=1e-12)


def test_fpc_given_as_sampling_fraction_equals_population_count(ref: pd.DataFrame) -> None:
    df = load("apistrat")
    n_h = df.groupby("stype")["cds"].transform("size")
    frac = df.assign(f=n_h / df["fpc"])
    d = survey_design(frac, weight="pw", strata="stype", fpc="f")
    row = ref[(ref["design"] == "strat") & (ref["stat"] == "mean") & (ref["variable"] == "api00")]
    row = row[row["domain"] == "all"].iloc[0]
    np.testing.assert_allclose(survey_mean(d, "api00")["se"].iloc[0], row["se"], rtol=RTOL)
