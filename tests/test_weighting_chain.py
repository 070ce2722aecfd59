"""The study weighting chain (build_weights) on a synthetic population with differential
nonresponse: weighted means move toward the population truth; replicates carry the weighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import design_from_weights_file, item_estimates, survey_mean
from csindex.validation import compare_item_means
from csindex.weighting import build_weights, margins_from_frame


def population(seed: int = 7, N: int = 60_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice([f"R{i:02d}" for i in range(1, 7)], N, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    branch = np.char.add(np.char.add(region.astype(str), "-B"), rng.integers(0, 12, N).astype(str))
    segment = rng.choice(["personal", "family", "business"], N, p=[0.6, 0.28, 0.12])
    tenure = rng.gamma(2.0, 3.0, N)
    seg_eff = pd.Series(segment).map({"personal": 0.0, "family": 0.4, "business": 0.9}).to_numpy()
    y = np.clip(np.round(2.6 + seg_eff + 0.08 * tenure + rng.normal(0, 0.8, N)), 1, 5)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(N)],
            "region": region,
            "branch": branch,
            "segment": segment,
            "tenure_years": tenure,
            "monthly_spend": rng.gamma(3.0, 30.0, N),
            "Q1": y,
        }
    )


def draw(frame: pd.DataFrame, seed: int, n_per_stratum: int = 400):
    """Stratified SRS by region; response more likely for business customers and long tenure."""
    rng = np.random.default_rng(seed)
    parts = []
    for _reg, g in frame.groupby("region", sort=True):
        idx = rng.choice(len(g), n_per_stratum, replace=False)
        s = g.iloc[np.sort(idx)].copy()
        s["pi"] = n_per_stratum / len(g)
        s["fpc_1"] = 4.0 * g["branch"].nunique()  # as if the branches were a sample of 1 in 4
        s["fpc_2"] = s["branch"].map(g["branch"].value_counts()).astype(float)
        parts.append(s)
    smp = pd.concat(parts, ignore_index=True)
    smp["unit_id"] = smp["customer_id"]
    smp["stratum"] = smp["region"]
    smp["psu"] = smp["branch"]  # variance units: branches (72 replicates)
    lin = -1.2 + 1.2 * (smp["segment"] == "business") + 0.12 * smp["tenure_years"]
    responded = rng.random(len(smp)) < 1 / (1 + np.exp(-lin))
    resp = smp.loc[responded, ["unit_id", "region", "segment", "Q1"]].reset_index(drop=True)
    resp.insert(0, "respondent_id", [f"R{i:06d}" for i in range(len(resp))])
    disp = pd.DataFrame(
        {"customer_id": smp["unit_id"], "disposition": np.where(responded, "complete", "refusal")}
    )
    return smp.drop(columns="Q1"), resp, disp


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    return population()


@pytest.fixture(scope="module")
def run(pop):
    smp, resp, disp = draw(pop, 1)
    out = build_weights(resp, None, smp, disp, pop, seed=3)
    return smp, resp, out


def test_weighted_mean_is_closer_to_truth_than_unweighted(pop, run) -> None:
    _, resp, out = run
    design = design_from_weights_file(out.weights, out.diagnostics, data=resp)
    truth = {"item_means": {"Q1": float(pop["Q1"].mean())}}
    res, summary = compare_item_means(item_estimates(design, ["Q1"], []), truth)
    assert summary["weighted_closer_to_truth"]
    row = res.iloc[0]
    assert abs(row["estimate"] - row["truth"]) < 0.5 * abs(row["unweighted"] - row["truth"])
    assert abs(row["estimate"] - row["truth"]) < 3 * row["se"]


def test_calibrated_weights_reproduce_frame_margins(pop, run) -> None:
    _, resp, out = run
    w = out.weights
    m = margins_from_frame(pop, ["region", "segment"])
    got = w.groupby(resp["segment"])["w_calibrated"].sum()
    for k, v in m["segment"].items():
        assert got[k] == pytest.approx(v, rel=1e-7)
    assert out.diagnostics["calibration"]["converged"]
    assert out.diagnostics["calibration"]["max_rel_error"] <= 1e-8


def test_trimming_keeps_the_total_and_bounds(run) -> None:
    _, _, out = run
    w = out.weights
    assert w["w_final"].sum() == pytest.approx(w["w_calibrated"].sum(), rel=1e-12)
    assert w["w_final"].max() <= out.diagnostics["trimming"]["upper"] * (1 + 1e-12)


def test_every_replicate_is_calibrated_like_the_full_sample(pop, run) -> None:
    _, resp, out = run
    reps = [c for c in out.weights.columns if c.startswith("rep_")]
    assert out.diagnostics["replicate_type"] == "JKn"
    assert len(reps) == out.diagnostics["n_replicates"] == len(out.diagnostics["rscales"])
    seg_tot = out.weights[reps].groupby(resp["segment"]).sum()
    target = pd.Series(margins_from_frame(pop, ["segment"])["segment"])
    # trimming adds at most a small redistribution; the raked replicate margins hold closely
    rel = (seg_tot.sub(target, axis=0).abs().div(target, axis=0)).to_numpy().max()
    assert rel < 0.02


def test_nonresponse_adjustment_restores_the_eligible_total(run) -> None:
    smp, _, out = run
    assert out.weights["w_nonresponse"].sum() == pytest.approx((1 / smp["pi"]).sum(), rel=1e-10)
    assert out.diagnostics["nonresponse"]["method"] == "propensity classes"


def test_replicate_and_taylor_standard_errors_agree_roughly(run) -> None:
    _, resp, out = run
    rep = design_from_weights_file(out.weights, out.diagnostics, data=resp)
    tay = design_from_weights_file(out.weights, out.diagnostics, data=resp, use_replicates=False)
    se_r = survey_mean(rep, "Q1")["se"].iloc[0]
    se_t = survey_mean(tay, "Q1")["se"].iloc[0]
    assert 0.5 < se_r / se_t < 2.0


def test_outputs_are_deterministic(pop) -> None:
    smp, resp, disp = draw(pop, 2)
    a = build_weights(resp, None, smp, disp, pop, seed=3)
    b = build_weights(resp, None, smp, disp, pop, seed=3)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    assert a.diagnostics == b.diagnostics


def test_study_starting_at_responses_without_weights_says_so() -> None:
    resp = pd.DataFrame(
        {
            "respondent_id": ["a", "b", "c", "d"],
            "segment": ["x", "x", "y", "y"],
            "Q1": [1, 2, 3, 4.0],
        }
    )
    out = build_weights(resp, {"replicates": {"type": "JK1"}})
    assert out.diagnostics["design_weights_present"] is False
    assert "no design weights" in out.diagnostics["note"]
    assert (out.weights["w_design"] == 1).all()
    assert out.diagnostics["calibration"]["method"] == "none"


def test_study_starting_at_responses_with_base_weights_and_config_margins() -> None:
    resp = pd.DataFrame(
        {
            "respondent_id": list("abcdef"),
            "segment": ["x", "x", "y", "y", "y", "x"],
            "bw": [1.0, 2, 1, 1, 3, 2],
        }
    )
    cfg = {
        "base_weight": "bw",
        "calibration": {
            "margins_from": "config",
            "variables": ["segment"],
            "margins": {"segment": {"x": 0.4, "y": 0.6}},
            "population_total": 1000,
        },
        "trimming": {"method": "none"},
        "replicates": {"type": "none"},
    }
    out = build_weights(resp, cfg)
    got = out.weights.groupby(resp["segment"])["w_final"].sum()
    assert got["x"] == pytest.approx(400) and got["y"] == pytest.approx(600)


def test_quota_sample_is_weighted_by_calibration_only(pop) -> None:
    smp, resp, disp = draw(pop, 4)
    smp = smp.assign(pi=np.nan, pi_1=np.nan, fpc_1=np.nan, fpc_2=np.nan)
    out = build_weights(resp, {"replicates": {"type": "none"}}, smp, disp, pop, seed=3)
    assert out.diagnostics["design_weights_present"] is False
    assert "quota" in out.diagnostics["note"]
    assert (out.weights["w_design"] == 1).all()
    assert (out.weights["w_nonresponse"] == 1).all()
    target = margins_from_frame(pop, ["segment"])["segment"]
    got = out.weights.groupby(resp["segment"])["w_calibrated"].sum()
    assert got["business"] == pytest.approx(target["business"], rel=1e-7)


def test_auto_replicates_switch_to_the_bootstrap_for_many_psus(pop) -> None:
    smp, resp, disp = draw(pop, 5)
    smp = smp.assign(psu=smp["unit_id"]).drop(columns=["fpc_1", "fpc_2"])  # element sampling
    cfg = {"replicates": {"type": "auto", "n": 20, "max_jackknife": 300}}
    out = build_weights(resp, cfg, smp, disp, pop, seed=3)
    assert out.diagnostics["replicate_type"] == "bootstrap"
    assert out.diagnostics["n_replicates"] == 20
    assert out.diagnostics["mse"] is True


def test_fpc_smaller_than_the_sampled_psus_is_named(pop) -> None:
    from csindex.errors import InputError

    smp, resp, disp = draw(pop, 5)
    smp = smp.assign(psu=smp["unit_id"])  # fpc_1 still counts branches: inconsistent
    with pytest.raises(InputError, match="fpc_1 must count the PSUs"):
        build_weights(resp, {"replicates": {"type": "bootstrap", "n": 5}}, smp, disp, pop)


@pytest.mark.slow
def test_chain_removes_bias_and_replicate_se_tracks_the_sampling_sd(pop) -> None:
    truth = float(pop["Q1"].mean())
    est, unw, ses = [], [], []
    for rep in range(60):
        smp, resp, disp = draw(pop, 100 + rep, n_per_stratum=250)
        smp = smp.assign(psu=smp["unit_id"]).drop(columns=["fpc_1", "fpc_2"])
        cfg = {"replicates": {"type": "bootstrap", "n": 60}}
        out = build_weights(resp, cfg, smp, disp, pop, seed=rep)
        design = design_from_weights_file(out.weights, out.diagnostics, data=resp)
        r = survey_mean(design, "Q1").iloc[0]
        est.append(r["estimate"])
        ses.append(r["se"])
        unw.append(resp["Q1"].mean())
    est, unw = np.array(est), np.array(unw)
    assert abs(est.mean() - truth) < 0.25 * abs(unw.mean() - truth)
    ratio = np.mean(ses) / est.std(ddof=1)
    assert 0.7 < ratio < 1.4


def test_unknown_eligibility_weight_is_shared_and_ineligibles_leave(pop) -> None:
    smp, resp, disp = draw(pop, 6)
    rng = np.random.default_rng(0)
    nonresp = ~disp["customer_id"].isin(resp["unit_id"]).to_numpy()
    status = rng.choice(["refusal", "ineligible", "unknown_eligibility"], len(disp))
    disp = disp.assign(disposition=np.where(nonresp, status, "complete"))
    cfg = {
        "replicates": {"type": "none"},
        "nonresponse": {"method": "classes", "class_variables": ["region"]},
    }
    out = build_weights(resp, cfg, smp, disp, pop)
    w = 1 / smp["pi"].to_numpy()
    unk = (disp["disposition"] == "unknown_eligibility").to_numpy()
    inel = (disp["disposition"] == "ineligible").to_numpy()
    # per stratum: known units carry the unknowns' weight; ineligibles then drop out
    expect = 0.0
    for _, g in pd.DataFrame({"s": smp["stratum"], "w": w, "u": unk, "i": inel}).groupby("s"):
        f = g["w"].sum() / g.loc[~g["u"], "w"].sum()
        expect += (g.loc[~g["u"] & ~g["i"], "w"] * f).sum()
    assert out.diagnostics["eligibility"]["ineligible_dropped"] == inel.sum()
    assert out.diagnostics["eligibility"]["unknown_eligibility_redistributed"] == unk.sum()
    # nonresponse classes within strata: respondents carry the estimated eligible total
    assert out.weights["w_nonresponse"].sum() == pytest.approx(expect, rel=1e-10)
    assert expect < w.sum()
    assert out.diagnostics["response_rate"] == pytest.approx(
        len(resp) / (len(smp) - inel.sum() - unk.sum())
    )


def test_typed_options_give_the_same_weights_as_the_config_section(pop) -> None:
    from csindex.weighting import WeightingOptions

    smp, resp, disp = draw(pop, 2)
    cfg = {"replicates": {"type": "JKn"}, "trimming": {"upper": 4.0}}
    a = build_weights(resp, cfg, smp, disp, pop, seed=3)
    b = build_weights(resp, WeightingOptions.from_config(cfg), smp, disp, pop, seed=3)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    assert a.diagnostics == b.diagnostics
