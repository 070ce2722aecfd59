"""Missing values: ``na_rm`` as R's ``na.rm``; a domain without a non-missing value answers NaN
(estimate and SE) with a logged warning, never SE 0, in Taylor and replicate designs."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    DesignVariables,
    ReplicateWeights,
    survey_design,
    survey_mean,
    survey_ratio,
    survey_total,
)
from csindex.report.tables import answer_distribution
from csindex.weighting import jkn_replicates


@pytest.fixture()
def df() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 60
    d = pd.DataFrame(
        {
            "h": np.repeat(["a", "b", "c"], 20),
            "psu": np.arange(n) // 4,
            "w": rng.uniform(1, 3, n),
            "y": rng.normal(10, 2, n),
            "x": rng.gamma(4, 1, n),
            "dom": np.tile(["p", "q", "r"], 20),
        }
    )
    d.loc[[3, 8, 30], "y"] = np.nan
    d.loc[d["dom"] == "r", "x"] = np.nan  # domain r: x all missing
    return d


def _designs(df: pd.DataFrame):
    tay = survey_design(df, DesignVariables(weight="w", strata="h", psu="psu"))
    rep = jkn_replicates(df["h"].to_numpy(), df["psu"].to_numpy())
    w = df["w"].to_numpy()
    jk = survey_design(
        df,
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(w[:, None] * rep.factors, type="JKn", rscales=rep.rscales),
    )
    return {"taylor": tay, "jkn": jk}


@pytest.mark.parametrize("kind", ["taylor", "jkn"])
def test_na_rm_true_drops_missing_rows(df, kind) -> None:
    d = _designs(df)[kind]
    m = survey_mean(d, "y")
    ok = df["y"].notna()
    want = np.average(df.loc[ok, "y"], weights=df.loc[ok, "w"])
    assert m["estimate"].iloc[0] == pytest.approx(want, rel=1e-13)
    assert m["n"].iloc[0] == ok.sum() and m["se"].iloc[0] > 0


@pytest.mark.parametrize("kind", ["taylor", "jkn"])
def test_na_rm_false_gives_nan_where_a_value_is_missing(df, kind) -> None:
    d = _designs(df)[kind]
    m = survey_mean(d, ["y", "x"], domain="dom", na_rm=False).set_index(["variable", "domain"])
    # y is missing in rows 3 (dom p), 8 (dom r), 30 (dom p): domains p and r are NaN, q is not
    assert m.loc[("y", "p"), ["estimate", "se"]].isna().all()
    assert m.loc[("y", "r"), ["estimate", "se"]].isna().all()
    assert m.loc[("y", "q"), ["estimate", "se"]].notna().all()
    keep = survey_mean(d, "y", domain="dom").set_index("domain")
    assert m.loc[("y", "q"), "se"] == keep.loc["q", "se"]
    t = survey_total(d, "y", na_rm=False)
    assert t[["estimate", "se"]].isna().all(axis=None)


@pytest.mark.parametrize("kind", ["taylor", "jkn"])
def test_all_missing_domain_is_nan_with_a_warning_not_se_zero(df, kind, caplog) -> None:
    d = _designs(df)[kind]
    with caplog.at_level(logging.WARNING, logger="csindex.estimation"):
        m = survey_mean(d, "x", domain="dom").set_index("domain")
        r = survey_ratio(d, "y", "x", domain="dom").set_index("domain")
        t = survey_total(d, "x", domain="dom").set_index("domain")
    for res in (m, r, t):
        assert np.isnan(res.loc["r", "estimate"]) and np.isnan(res.loc["r", "se"])
        assert res.loc[["p", "q"], "se"].gt(0).all()
    assert "no non-missing values" in caplog.text and "dom=r" in caplog.text


def test_report_item_nobody_answered_has_no_se(df) -> None:
    resp = pd.DataFrame({"Q": [np.nan] * 4, "R": [1.0, 2.0, 2.0, 1.0]})
    got = answer_distribution(resp, ["Q", "R"], {"Q": [1, 2], "R": [1, 2]}, [1.0, 2.0, 1.0, 1.0])
    q = got[got["item"] == "Q"]
    assert q["w_se"].isna().all() and q["w_pct"].isna().all()
    assert got.loc[got["item"] == "R", "w_se"].gt(0).all()
