"""The variance engine against R survey on data sets the first reference set does not use
(fixtures by tests/r/survey_reference_v2.R): a three-stage MU284 sample with an fpc at every
stage, BRR and Fay on nhanes (rows shuffled), JKn with a census stratum (rscales = 0,
mse = FALSE), a single-PSU stratum under every lonely_psu option, PPS without replacement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    SurveyDesign,
    design_from_weights_file,
    survey_design,
    survey_mean,
    survey_ratio,
    survey_total,
)
from csindex.weighting import brr_replicates, jkn_replicates

FIX = Path(__file__).parent / "fixtures" / "survey"
RTOL = 1e-9


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"v2_{name}.csv", keep_default_na=False, na_values=["", "NA"])


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return load("estimates")


def ours(design: SurveyDesign, row: pd.Series, dom: str) -> tuple[float, float]:
    domain = None if row["domain"] == "all" else dom
    if row["stat"] == "ratio":
        y, x = row["variable"].split("/")
        res = survey_ratio(design, y, x, domain=domain)
    elif row["stat"] == "total":
        res = survey_total(design, row["variable"], domain=domain)
    else:
        res = survey_mean(design, row["variable"], domain=domain)
    r = res[res["domain"] == row["domain"]].iloc[0]
    return float(r["estimate"]), float(r["se"])


def compare(design: SurveyDesign, rows: pd.DataFrame, dom: str) -> int:
    assert len(rows) >= 8
    for _, row in rows.iterrows():
        est, se = ours(design, row, dom)
        label = f"{row['design']} {row['stat']} {row['variable']} {row['domain']}"
        np.testing.assert_allclose(est, row["estimate"], rtol=RTOL, err_msg=label)
        np.testing.assert_allclose(se, row["se"], rtol=RTOL, err_msg=label)
    return len(rows)


def test_three_stage_taylor_with_fpc_at_every_stage_matches_r(ref) -> None:
    s = load("mu284_threestage").sample(frac=1.0, random_state=4).reset_index(drop=True)
    d3 = survey_design(s, weight="w", psu="REG", ssu="CL", fpc=["N1", "N2", "N3"])
    compare(d3, ref[ref["design"] == "threestage"], "size")
    n3 = s.groupby("CL")["LABEL"].transform("size")
    s["w2"] = s["w"] / (s["N3"] / n3)
    d2 = survey_design(s, weight="w2", psu="REG", ssu="CL", fpc=["N1", "N2"])
    compare(d2, ref[ref["design"] == "threestage_2fpc"], "size")
    d1 = survey_design(s, weight="w", psu="REG", fpc="N1")
    compare(d1, ref[ref["design"] == "threestage_1fpc"], "size")


def test_three_stage_adds_the_within_ssu_term(ref) -> None:
    s = load("mu284_threestage")
    full = survey_design(s, weight="w", psu="REG", ssu="CL", fpc=["N1", "N2", "N3"])
    two = survey_design(s, weight="w", psu="REG", ssu="CL", fpc=["N1", "N2"])
    a, b = survey_mean(full, "P85")["se"].iloc[0], survey_mean(two, "P85")["se"].iloc[0]
    assert a > b


@pytest.mark.parametrize("kind", ["brr", "fay"])
def test_brr_and_fay_on_shuffled_rows_match_r_brrweights(ref, kind) -> None:
    nh = load("nhanes").sample(frac=1.0, random_state=9).reset_index(drop=True)
    rho = 0.3 if kind == "fay" else 0.0
    rep = brr_replicates(nh["SDMVSTRA"].to_numpy(), nh["SDMVPSU"].to_numpy(), fay_rho=rho)
    assert rep.factors.shape[1] == 16  # R hadamard(15): the Sylvester matrix of order 16
    w = nh["WTMEC2YR"].to_numpy()
    d = survey_design(
        nh,
        weight="WTMEC2YR",
        replicate_weights=w[:, None] * rep.factors,
        replicate_type=rep.type,
        scale=rep.scale,
        rscales=rep.rscales,
        mse=False,
    )
    compare(d, ref[ref["design"] == f"nhanes_{kind}"], "race")


def test_stratified_taylor_with_a_census_stratum_matches_r(ref) -> None:
    st = load("mu284_strat")
    d = survey_design(st, weight="w", strata="REG", fpc="N_h")
    compare(d, ref[ref["design"] == "strat_taylor"], "size")


def test_jkn_with_rscales_zero_and_mse_false_matches_r(ref) -> None:
    st = load("mu284_strat").sample(frac=1.0, random_state=2).reset_index(drop=True)
    rep = jkn_replicates(st["REG"].to_numpy(), st["LABEL"].to_numpy(), fpc=st["N_h"].to_numpy())
    rs = load("mu284_strat_jkn_rscales")
    np.testing.assert_allclose(np.sort(rep.rscales), np.sort(rs["rscales"]), rtol=1e-12)
    assert (rep.rscales == 0).sum() == 15
    w = st["w"].to_numpy()
    d = survey_design(
        st,
        weight="w",
        replicate_weights=w[:, None] * rep.factors,
        replicate_type="JKn",
        scale=rep.scale,
        rscales=rep.rscales,
        mse=False,
    )
    compare(d, ref[ref["design"] == "strat_jkn"], "size")


@pytest.mark.parametrize("option", ["adjust", "remove", "average", "certainty"])
def test_single_psu_stratum_follows_lonely_psu_as_r(ref, option) -> None:
    lone = load("mu284_lonely")
    d = survey_design(lone, weight="w", strata="REG", fpc="N_h", lonely_psu=option)
    compare(d, ref[ref["design"] == f"lonely_{option}"], "size")


@pytest.mark.parametrize("method", ["brewer", "overton", "hr", "hr1"])
def test_pps_without_replacement_matches_r(ref, method) -> None:
    ep = load("election_pps").sample(frac=1.0, random_state=3).reset_index(drop=True)
    ep["w"] = 1.0 / ep["p"]
    psum = ref.loc[ref["variable"] == "sum_p2_over_n", "estimate"].iloc[0]
    d = survey_design(
        ep,
        weight="w",
        fpc="p",
        pps="hr" if method.startswith("hr") else method,
        hr_psum=psum if method == "hr" else None,
    )
    rows = ref[(ref["design"] == f"pps_{method}") & (ref["stat"] != "constant")]
    compare(d, rows, "party")


@pytest.mark.parametrize("method", ["brewer", "overton", "hr1"])
def test_weights_file_with_estimation_pps_matches_r(ref, method) -> None:
    ep = load("election_pps")
    wdf = pd.DataFrame(
        {
            "respondent_id": ep["County"],
            "w_final": 1.0 / ep["p"],
            "stratum": "all",
            "psu": ep["County"],
            "fpc_1": 1e6,  # counts the PPS variance does not use
            "pi_1": ep["p"],
        }
    )
    data = ep.drop(columns=["p", "wt"]).rename(columns={"County": "respondent_id"})
    pps = "hr" if method == "hr1" else method
    d = design_from_weights_file(wdf, {"pps": pps}, data=data)
    assert d.pps == pps
    rows = ref[(ref["design"] == f"pps_{method}") & (ref["stat"] != "constant")]
    compare(d, rows, "party")
