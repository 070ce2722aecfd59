"""The estimation API others build on: result columns, proportions, domains, replicate
designs (BRR/Fay/bootstrap vs Taylor), design_from_weights_file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    RESULT_COLUMNS,
    DesignVariables,
    ReplicateWeights,
    design_from_weights_file,
    survey_design,
    survey_mean,
    survey_proportions,
    survey_ratio,
    survey_total,
    weighting_diagnostics,
)
from csindex.weighting import bootstrap_replicates, brr_replicates


def two_psu_data(seed: int = 0, H: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(H):
        for k in range(2):
            m = int(rng.integers(3, 8))
            rows.append(
                pd.DataFrame(
                    {
                        "h": f"S{h}",
                        "p": f"S{h}P{k}",
                        "y": rng.normal(3 + h * 0.2 + k * 0.5, 1, m),
                        "x": rng.uniform(1, 2, m),
                        "cat": rng.integers(1, 4, m),
                        "w": rng.uniform(5, 15, m),
                        "seg": rng.choice(["a", "b"], m),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_result_has_the_documented_columns() -> None:
    d = survey_design(two_psu_data(), DesignVariables(weight="w", strata="h", psu="p"))
    res = survey_mean(d, ["y", "x"], domain="seg")
    assert list(res.columns[: len(RESULT_COLUMNS) + 1]) == [
        "variable",
        "domain",
        "domain_var",
        *RESULT_COLUMNS[2:],
    ]
    assert set(res["domain"]) == {"a", "b"}
    assert len(res) == 4


def test_proportions_of_each_category_sum_to_one_per_domain() -> None:
    d = survey_design(two_psu_data(), DesignVariables(weight="w", strata="h", psu="p"))
    res = survey_proportions(d, "cat", domain="seg")
    sums = res.groupby("domain")["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    assert set(res["category"]) == {"1", "2", "3"}


def test_domain_totals_add_up_to_the_overall_total() -> None:
    d = survey_design(two_psu_data(), DesignVariables(weight="w", strata="h", psu="p"))
    overall = survey_total(d, "y")["estimate"].iloc[0]
    by = survey_total(d, "y", domain="seg")["estimate"].sum()
    assert by == pytest.approx(overall, rel=1e-12)


def test_missing_values_are_dropped_like_na_rm() -> None:
    df = two_psu_data()
    df.loc[[0, 5], "y"] = np.nan
    d = survey_design(df, DesignVariables(weight="w", strata="h", psu="p"))
    res = survey_mean(d, "y").iloc[0]
    ok = df["y"].notna()
    assert res["estimate"] == pytest.approx(np.average(df.loc[ok, "y"], weights=df.loc[ok, "w"]))
    assert res["n"] == ok.sum()


@pytest.mark.parametrize("rho", [0.0, 0.5])
def test_brr_and_fay_variance_of_a_total_equals_taylor_with_replacement(rho: float) -> None:
    df = two_psu_data()
    tay = survey_design(df, DesignVariables(weight="w", strata="h", psu="p"))
    rep = brr_replicates(df["h"], df["p"], fay_rho=rho)
    d = survey_design(
        df,
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(
            df["w"].to_numpy()[:, None] * rep.factors,
            type=rep.type,
            scale=rep.scale,
            rscales=rep.rscales,
        ),
    )
    a = survey_total(tay, "y")["se"].iloc[0]
    b = survey_total(d, "y")["se"].iloc[0]
    assert b == pytest.approx(a, rel=1e-10)


def test_ratio_estimate_is_ratio_of_totals() -> None:
    d = survey_design(two_psu_data(), DesignVariables(weight="w", strata="h", psu="p"))
    r = survey_ratio(d, "y", "x").iloc[0]
    ty = survey_total(d, "y")["estimate"].iloc[0]
    tx = survey_total(d, "x")["estimate"].iloc[0]
    assert r["estimate"] == pytest.approx(ty / tx, rel=1e-12)
    assert r["variable"] == "y/x"


def test_design_from_weights_file_builds_replicate_and_taylor_designs() -> None:
    df = two_psu_data()
    rep = brr_replicates(df["h"], df["p"])
    W = df["w"].to_numpy()[:, None] * rep.factors
    wf = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(len(df))],
            "w_final": df["w"],
            "stratum": df["h"],
            "psu": df["p"],
        }
    )
    wf = pd.concat(
        [wf, pd.DataFrame(W, columns=[f"rep_{i + 1:03d}" for i in range(W.shape[1])])], axis=1
    )
    diag = {"replicate_type": "BRR", "scale": rep.scale, "rscales": list(rep.rscales), "mse": False}
    data = pd.DataFrame({"respondent_id": wf["respondent_id"], "y": df["y"]})
    d_rep = design_from_weights_file(wf, diag, data=data)
    d_tay = design_from_weights_file(wf, diag, data=data, use_replicates=False)
    assert d_rep.is_replicate and not d_tay.is_replicate
    assert d_tay.degf == 12 - 6
    a = survey_total(d_rep, "y")["se"].iloc[0]
    b = survey_total(d_tay, "y")["se"].iloc[0]
    assert a == pytest.approx(b, rel=1e-10)


def test_weighting_diagnostics_kish_formula() -> None:
    w = np.array([1.0, 1.0, 2.0, 4.0])
    dg = weighting_diagnostics(w)
    assert dg["kish_n_eff"] == pytest.approx(64 / 22)
    assert dg["deff_weighting"] == pytest.approx(4 * 22 / 64)
    assert dg["deff_weighting"] == pytest.approx(1 + dg["cv"] ** 2)


@pytest.mark.slow
def test_rao_wu_bootstrap_se_is_close_to_taylor() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    df = pd.DataFrame({"h": rng.integers(0, 10, n)})
    df["p"] = df["h"] * 10 + rng.integers(0, 10, n)
    df["y"] = rng.normal(size=n) + (df["p"] % 5) * 0.3
    df["w"] = rng.uniform(1, 3, n)
    tay = survey_design(df, DesignVariables(weight="w", strata="h", psu="p"))
    rep = bootstrap_replicates(df["h"], df["p"], 2000, np.random.default_rng(5))
    d = survey_design(
        df,
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(
            df["w"].to_numpy()[:, None] * rep.factors,
            type="bootstrap",
            scale=rep.scale,
            rscales=rep.rscales,
            mse=True,
        ),
    )
    ratio = survey_mean(d, "y")["se"].iloc[0] / survey_mean(tay, "y")["se"].iloc[0]
    assert 0.92 < ratio < 1.08


@pytest.mark.slow
def test_taylor_confidence_intervals_cover_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(3)
    H, P, M = 8, 30, 40  # strata, PSUs per stratum, units per PSU
    psu_eff = rng.normal(0, 0.5, (H, P))
    pop_y = psu_eff[:, :, None] + rng.normal(0, 1, (H, P, M)) + np.arange(H)[:, None, None] * 0.2
    truth = pop_y.mean()
    hits = 0
    reps = 400
    for _ in range(reps):
        rows = []
        for h in range(H):
            for p in rng.choice(P, 4, replace=False):
                units = rng.choice(M, 10, replace=False)
                rows.append(
                    pd.DataFrame(
                        {
                            "h": h,
                            "p": h * P + p,
                            "y": pop_y[h, p, units],
                            "w": (P / 4) * (M / 10),
                            "N1": P,
                            "N2": M,
                        }
                    )
                )
        d = survey_design(
            pd.concat(rows), DesignVariables(weight="w", strata="h", psu="p", fpc=["N1", "N2"])
        )
        r = survey_mean(d, "y").iloc[0]
        hits += r["ci_lower"] <= truth <= r["ci_upper"]
    assert 0.91 <= hits / reps <= 0.985


def test_survey_replicate_of_a_mean_equals_survey_mean() -> None:
    from csindex.estimation import survey_replicate

    df = two_psu_data()
    rep = brr_replicates(df["h"], df["p"], fay_rho=0.3)
    d = survey_design(
        df,
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(
            df["w"].to_numpy()[:, None] * rep.factors,
            type=rep.type,
            scale=rep.scale,
            rscales=rep.rscales,
        ),
    )
    y = df["y"].to_numpy()
    got = survey_replicate(d, lambda w: np.sum(w * y) / np.sum(w), names=["y"]).iloc[0]
    ref = survey_mean(d, "y").iloc[0]
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
    assert got["se"] == pytest.approx(ref["se"], rel=1e-12)
