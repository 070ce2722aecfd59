"""The roll-up: every level equals the weighted mean of the rows below it (recomputed here
from the rows, not from the library), SEs follow sum (w/W)^2 SE^2, changes and trends."""

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError
from csindex.programme.rollup import (
    change,
    change_test,
    company_index,
    rollup,
    study_trend,
    trends,
    weighted_mean,
)

SECTORS = {"S1": 0.5, "S2": 0.3, "S3": 0.2}


def companies(seed=0, waves=("2026Q2", "2026Q3")):
    rng = np.random.default_rng(seed)
    ind = ["I1", "I1", "I2", "I3", "I3", "I3", "I4", "I5", "I5"]
    sec = {"I1": "S1", "I2": "S1", "I3": "S2", "I4": "S3", "I5": "S3"}
    rows = []
    for w in waves:
        for k, i in enumerate(ind):
            rows.append(
                {
                    "id": f"C{k}",
                    "wave": w,
                    "index": rng.normal(70, 5),
                    "se": rng.uniform(0.5, 2),
                    "industry": i,
                    "sector": sec[i],
                    "revenue": rng.uniform(1, 50),
                    "n_respondents": int(rng.integers(200, 600)),
                }
            )
    return pd.DataFrame(rows)


def test_each_level_is_the_weighted_mean_of_the_level_below():
    c = companies()
    res = rollup(c.sample(frac=1, random_state=3), SECTORS)  # row order must not matter
    for _, r in res.industries.iterrows():
        sub = c[(c.industry == r["id"]) & (c.wave == r["wave"])]
        w = sub.revenue / sub.revenue.sum()
        assert r["index"] == pytest.approx((w * sub["index"]).sum(), rel=1e-12)
        assert r["se"] == pytest.approx(np.sqrt((w**2 * sub.se**2).sum()), rel=1e-12)
        assert r["weight"] == pytest.approx(sub.revenue.sum())
        assert r["n_companies"] == len(sub) and r["n_respondents"] == sub.n_respondents.sum()
        assert r["parent"] == sub.sector.iloc[0]
    for _, r in res.sectors.iterrows():
        sub = res.industries[
            (res.industries.parent == r["id"]) & (res.industries.wave == r["wave"])
        ]
        w = sub.weight / sub.weight.sum()
        assert r["index"] == pytest.approx((w * sub["index"]).sum(), rel=1e-12)
        assert r["se"] == pytest.approx(np.sqrt((w**2 * sub.se**2).sum()), rel=1e-12)
        # a sector is also the revenue-weighted mean of its companies
        cs = c[(c.sector == r["id"]) & (c.wave == r["wave"])]
        assert r["index"] == pytest.approx(np.average(cs["index"], weights=cs.revenue))
    for _, r in res.national.iterrows():
        sub = res.sectors[res.sectors.wave == r["wave"]]
        w = sub["id"].map(SECTORS)
        assert r["index"] == pytest.approx((w * sub["index"]).sum() / w.sum(), rel=1e-12)
        assert r["se"] == pytest.approx(np.sqrt(((w / w.sum()) ** 2 * sub.se**2).sum()))
        assert r["ci_lower"] == pytest.approx(r["index"] - 1.959963985 * r["se"])
        assert r["n_companies"] == 9


def test_national_se_is_the_company_level_formula():
    """The nested formula equals sum over companies of (effective weight)^2 SE^2."""
    c = companies()[lambda d: d.wave == "2026Q2"]
    nat = rollup(c, SECTORS).national.iloc[0]
    ind_w = c.revenue / c.groupby("sector").revenue.transform("sum")
    eff = ind_w * c.sector.map(SECTORS)
    assert nat["index"] == pytest.approx((eff * c["index"]).sum())
    assert nat["se"] == pytest.approx(np.sqrt((eff**2 * c.se**2).sum()))


def test_weighted_mean_se_formula():
    x, se, w = np.array([70.0, 60.0]), np.array([1.0, 2.0]), np.array([3.0, 1.0])
    m, s = weighted_mean(x, se, w)
    assert m == pytest.approx(67.5) and s == pytest.approx(np.sqrt(0.75**2 + 0.25**2 * 4))


def test_change_between_waves_at_every_level():
    c = companies()
    t = change(c, SECTORS, "2026Q2", "2026Q3")
    res = rollup(c, SECTORS).to_frame().set_index(["level", "id", "wave"])
    for _, r in t.iterrows():
        a = res.loc[(r["level"], r["id"], "2026Q2")]
        b = res.loc[(r["level"], r["id"], "2026Q3")]
        assert r["change"] == pytest.approx(b["index"] - a["index"])
        assert r["se_change"] == pytest.approx(np.hypot(a["se"], b["se"]))
    nat = t[t.level == "national"].iloc[0]
    assert nat["z"] == pytest.approx(nat["change"] / nat["se_change"])


def test_change_uses_only_companies_in_both_waves():
    c = companies()
    c = c[~((c.id == "C0") & (c.wave == "2026Q3"))]
    t = change(c, SECTORS, "2026Q2", "2026Q3")
    assert "C0" not in set(t[t.level == "company"].id)
    i1 = t[(t.level == "industry") & (t.id == "I1")].iloc[0]
    c1 = c[(c.id == "C1")].set_index("wave")["index"]
    assert i1["change"] == pytest.approx(c1["2026Q3"] - c1["2026Q2"])
    assert i1["n_companies"] == 1


def test_change_test_p_value():
    t = change_test([70.0], [1.0], [72.0], [1.0])
    assert t["se_change"][0] == pytest.approx(np.sqrt(2))
    assert t["p_value"][0] == pytest.approx(0.1572992, abs=1e-6)  # 2(1 - Phi(sqrt 2))


def test_study_trend_previous_and_year_earlier():
    rows = pd.DataFrame(
        {
            "wave": ["2026Q3", "2025Q3", "2026Q2"],
            "index": [72.0, 70.0, 71.0],
            "se": [1.0, 1.5, 2.0],
            "n_respondents": [500, 500, 500],
        }
    )
    t = study_trend(rows).set_index("wave")
    assert list(t.index) == ["2025Q3", "2026Q2", "2026Q3"]
    assert t.at["2026Q3", "previous_wave"] == "2026Q2"
    assert t.at["2026Q3", "change_previous"] == pytest.approx(1.0)
    assert t.at["2026Q3", "se_change_previous"] == pytest.approx(np.hypot(1.0, 2.0))
    assert t.at["2026Q3", "year_wave"] == "2025Q3"
    assert t.at["2026Q3", "change_year"] == pytest.approx(2.0)
    assert np.isnan(t.at["2025Q3", "change_previous"])


def test_rerun_of_the_same_wave_is_not_a_change():
    rows = pd.DataFrame({"wave": ["2026Q3", "2026Q3"], "index": [70.0, 70.0], "se": [1.0, 1.0]})
    with pytest.raises(InputError, match="appears twice"):
        study_trend(rows)


def test_trends_table_previous_and_year():
    c = companies(waves=("2025Q3", "2026Q2", "2026Q3"))
    t = trends(c, SECTORS)
    assert set(t.comparison) == {"previous", "year"}
    y = t[(t.comparison == "year") & (t.level == "national")].iloc[0]
    assert (y.wave_a, y.wave_b) == ("2025Q3", "2026Q3")


def test_bad_company_rows_are_refused():
    c = companies()
    with pytest.raises(InputError, match="revenue"):
        rollup(c.assign(revenue=0.0), SECTORS)
    with pytest.raises(InputError, match="no weight"):
        rollup(c, {"S1": 1.0})


def test_company_index_reads_the_overall_cs_row():
    csi = pd.DataFrame(
        {
            "construct": ["CS", "CS", "PQ"],
            "group_var": ["overall", "segment", "overall"],
            "group": ["all", "x", "all"],
            "n": [400, 100, 400],
            "index": [71.5, 60.0, 50.0],
            "se": [0.9, 2.0, 1.0],
        }
    )
    assert company_index(csi) == {"index": 71.5, "se": 0.9, "n_respondents": 400}
