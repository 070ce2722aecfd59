"""Weights against R survey (fixtures by tests/r/survey_reference.R): post-stratification,
raking, calibration (linear, raking ratio, bounded linear, logit), trimming, jackknife weights,
and the SEs of the calibrated designs (calibration residuals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    DesignVariables,
    GregInfo,
    PostStratInfo,
    RakingInfo,
    ReplicateWeights,
    survey_design,
    survey_mean,
    survey_total,
)
from csindex.weighting import (
    calibrate,
    jk1_replicates,
    jkn_replicates,
    poststratify,
    rake_frame,
    trim_weights,
)

FIX = Path(__file__).parent / "fixtures" / "survey"
RTOL = 1e-9
POP_TYPES = {"stype": {"E": 4421.0, "H": 755.0, "M": 1018.0}}
POP_SCHWIDE = {"sch.wide": {"No": 1072.0, "Yes": 5122.0}}


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"{name}.csv", dtype={"cds": str})


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(FIX / "estimates.csv", keep_default_na=False, na_values=["", "NA"])


@pytest.fixture(scope="module")
def clus1() -> pd.DataFrame:
    return load("apiclus1")


@pytest.fixture(scope="module")
def rweights() -> pd.DataFrame:
    return load("calibrated_weights_clus1")


def check_estimates(design, rows: pd.DataFrame) -> None:
    assert len(rows) > 0
    for _, r in rows.iterrows():
        dom = None if r["domain"] == "all" else "stype"
        fn = survey_mean if r["stat"] == "mean" else survey_total
        res = fn(design, r["variable"], domain=dom)
        got = res[res["domain"] == r["domain"]].iloc[0]
        ctx = f"{r['design']} {r['stat']} {r['variable']} {r['domain']}"
        np.testing.assert_allclose(got["estimate"], r["estimate"], rtol=RTOL, err_msg=ctx)
        np.testing.assert_allclose(got["se"], r["se"], rtol=RTOL, err_msg=ctx)
        if np.isfinite(r["deff"]):
            np.testing.assert_allclose(got["deff"], r["deff"], rtol=RTOL, err_msg=ctx)


def base(df: pd.DataFrame):
    return survey_design(df, DesignVariables(weight="pw", psu="dnum", fpc="fpc"))


def test_poststratify_matches_r(clus1, rweights, ref) -> None:
    w0 = clus1["pw"].to_numpy()
    w = poststratify(w0, clus1, "stype", POP_TYPES["stype"])
    np.testing.assert_allclose(w, rweights["poststrat"], rtol=RTOL)
    codes = pd.factorize(clus1["stype"], sort=True)[0]
    d = base(clus1).with_weights(w, PostStratInfo(codes, w0, w))
    check_estimates(d, ref[ref["design"] == "poststrat"])


def test_rake_to_convergence_matches_r(clus1, rweights, ref) -> None:
    w0 = clus1["pw"].to_numpy()
    w, res = rake_frame(w0, clus1, {**POP_TYPES, **POP_SCHWIDE}, rtol=1e-13)
    assert res[0].converged and res[0].sweeps > 1
    np.testing.assert_allclose(w, rweights["rake"], rtol=RTOL)
    margins = tuple(pd.factorize(clus1[c], sort=True)[0] for c in ("stype", "sch.wide"))
    d = base(clus1).with_weights(w, RakingInfo(margins, w))
    check_estimates(d, ref[ref["design"] == "rake"])


@pytest.mark.parametrize(
    ("name", "method", "bounds"),
    [
        ("cal_linear", "linear", (-np.inf, np.inf)),
        ("cal_raking", "raking", (-np.inf, np.inf)),
        ("cal_linear_bounded", "linear", (0.6, 1.6)),
        ("cal_logit", "logit", (0.6, 1.6)),
    ],
)
def test_calibration_matches_r(name, method, bounds, clus1, rweights, ref) -> None:
    w0 = clus1["pw"].to_numpy()
    X = np.column_stack(
        [np.ones(len(clus1)), clus1["stype"] == "H", clus1["stype"] == "M", clus1["api99"]]
    ).astype(float)
    totals = np.array([6194, 755, 1018, 3914069.0])
    res = calibrate(w0, X, totals, method=method, bounds=bounds, max_iter=200, epsilon=1e-12)
    assert res.converged
    w = w0 * res.g
    np.testing.assert_allclose(w, rweights[name], rtol=RTOL)
    np.testing.assert_allclose(X.T @ w, totals, rtol=1e-10)
    d = base(clus1).with_weights(w, GregInfo(X, w0, res.g))
    check_estimates(d, ref[ref["design"] == name])


def test_trim_weights_matches_r_trimweights() -> None:
    strat = load("apistrat")
    ref = load("trimmed_weights_strat")
    w = strat["pw"].to_numpy()
    np.testing.assert_allclose(trim_weights(w, upper=40).weights, ref["trim_upper40"], rtol=RTOL)
    np.testing.assert_allclose(
        trim_weights(w, upper=40, strict=True).weights, ref["trim_upper40_strict"], rtol=RTOL
    )
    np.testing.assert_allclose(
        trim_weights(w, lower=20, upper=40).weights, ref["trim_lower20_upper40"], rtol=RTOL
    )


def test_strict_trimming_of_calibrated_weights_matches_r() -> None:
    ref = load("trimmed_weights_cal_linear")
    res = trim_weights(ref["g"].to_numpy(), upper=38, strict=True)
    np.testing.assert_allclose(res.weights, ref["trim_lin_upper"], rtol=RTOL)
    assert res.weights.max() <= 38 + 1e-9
    np.testing.assert_allclose(res.weights.sum(), ref["g"].sum(), rtol=1e-12)


def test_jkn_replicate_weights_match_r() -> None:
    strat = load("apistrat")
    ref = load("jkn_weights_strat")
    sc = pd.read_csv(FIX / "jkn_scales_strat.csv")
    rep = jkn_replicates(strat["stype"], strat["cds"], fpc=strat["fpc"])
    W = strat["pw"].to_numpy()[:, None] * rep.factors
    np.testing.assert_allclose(W, ref.drop(columns="cds").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(rep.rscales, sc["rscales"], rtol=RTOL)
    assert rep.scale == sc["scale"].iloc[0]


def test_jk1_replicate_weights_match_r(clus1) -> None:
    ref = load("jk1_weights_clus1")
    sc = pd.read_csv(FIX / "jk1_scales_clus1.csv")
    rep = jk1_replicates(clus1["dnum"], fpc=float(clus1["fpc"].iloc[0]))
    W = clus1["pw"].to_numpy()[:, None] * rep.factors
    np.testing.assert_allclose(W, ref.drop(columns="cds").to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(rep.scale, sc["scale"].iloc[0], rtol=1e-14)


def test_raking_inside_every_jackknife_replicate_matches_r(clus1, ref) -> None:
    rep = jk1_replicates(clus1["dnum"])
    w0 = clus1["pw"].to_numpy()
    W = np.column_stack([w0, w0[:, None] * rep.factors])
    Wr, _ = rake_frame(W, clus1, {**POP_TYPES, **POP_SCHWIDE}, rtol=1e-13)
    d = survey_design(
        clus1.assign(w=Wr[:, 0]),
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(Wr[:, 1:], type="JK1", scale=rep.scale, rscales=rep.rscales),
    )
    rows = ref[(ref["design"] == "clus1_JK1_rake") & ref["stat"].isin(["mean", "total"])]
    check_estimates(d, rows.assign(deff=np.nan))


def test_taylor_design_from_weights_file_uses_calibration_residuals(clus1, rweights, ref) -> None:
    """GREG residuals on the margin dummies (the limit of R's 10 backfitting sweeps for a
    raked design) reproduce R's SEs of the raked design to 1e-6."""
    from csindex.estimation import design_from_weights_file

    wf = pd.DataFrame(
        {
            "respondent_id": clus1["cds"],
            "w_nonresponse": clus1["pw"],
            "w_calibrated": rweights["rake"],
            "w_final": rweights["rake"],
            "psu": clus1["dnum"].astype(str),
            "fpc_1": clus1["fpc"],
            "stype": clus1["stype"],
            "sch.wide": clus1["sch.wide"],
        }
    )
    diag = {"calibration": {"margins": {**POP_TYPES, **POP_SCHWIDE}}}
    data = clus1[["cds", "api00", "enroll"]].rename(columns={"cds": "respondent_id"})
    d = design_from_weights_file(wf, diag, data=data)
    got = survey_mean(d, ["api00", "enroll"])
    rows = ref[(ref["design"] == "rake") & (ref["stat"] == "mean") & (ref["domain"] == "all")]
    for _, r in rows.iterrows():
        g = got[got["variable"] == r["variable"]].iloc[0]
        np.testing.assert_allclose(g["estimate"], r["estimate"], rtol=1e-9)
        np.testing.assert_allclose(g["se"], r["se"], rtol=1e-6)
    naive = survey_mean(design_from_weights_file(wf, {}, data=data), "api00")["se"].iloc[0]
    assert abs(naive - rows.iloc[0]["se"]) / rows.iloc[0]["se"] > 1e-3  # the residuals matter
