"""csindex.validation (rule validate): a simulated study against its truth, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csindex.validation import (
    TABLE_COLUMNS,
    TruthComparison,
    compare_injected,
    compare_item_means,
    compare_truth,
    covers,
    overall_truth,
)


def test_injected_defects_against_the_caught_counts():
    summary = {"rules": {"duplicate": {"rows": 3}, "straightlining": {"rows": 7}, "off_scale": {}}}
    injected = {
        "duplicates": 3,
        "straightliners": 5,
        "straightliners_natural": 2,
        "out_of_range": 4,
    }
    got = compare_injected(summary, injected)
    d = got["defects"]
    assert d["duplicates"] == {
        "rule": "duplicate",
        "unit": "rows",
        "injected": 3,
        "caught": 3,
        "match": True,
    }
    # straight-liners: the injected plus the natural ones (5 + 2 = 7 caught)
    assert d["straightliners"]["injected"] == 7 and d["straightliners"]["match"]
    assert d["out_of_range"]["caught"] == 0 and not d["out_of_range"]["match"]
    assert set(d) == {"duplicates", "straightliners", "out_of_range"}  # only what was injected
    assert got["all_match"] is False


def _estimates() -> pd.DataFrame:
    """weights/estimates.csv as read back: empty domain cells of the overall rows are NaN."""
    return pd.DataFrame(
        {
            "statistic": ["mean", "mean", "mean", "proportion", "mean"],
            "variable": ["Q1", "Q2", "Q1", "Q1", "Q9"],
            "domain_var": [np.nan, np.nan, "segment", np.nan, np.nan],
            "domain": [np.nan, np.nan, "a", np.nan, np.nan],
            "category": ["", "", "", "1", ""],
            "estimate": [3.0, 2.0, 4.0, 0.2, 1.0],
            "se": [0.5, 0.1, 0.2, 0.01, 0.1],
            "ci_lower": [2.0, 1.8, 3.6, 0.18, 0.8],
            "ci_upper": [4.0, 2.2, 4.4, 0.22, 1.2],
            "unweighted": [3.5, 1.9, 4.1, 0.25, 1.0],
        }
    )


TRUTH = {"item_means": {"Q1": 3.2, "Q2": 2.3}, "item_means_by_segment": {"a": {"Q1": 4.4}}}


def test_item_means_get_their_population_means_and_the_summary_by_hand():
    res, summary = compare_item_means(_estimates(), TRUTH)
    # proportion rows and items without a truth (Q9) are left out
    assert res[["variable", "domain_var", "domain"]].values.tolist() == [
        ["Q1", "", ""],
        ["Q2", "", ""],
        ["Q1", "segment", "a"],
    ]
    assert res["truth"].tolist() == [3.2, 2.3, 4.4]
    # overall rows: |3.0-3.2|=0.2, |2.0-2.3|=0.3 weighted; |3.5-3.2|=0.3, |1.9-2.3|=0.4 unweighted
    assert summary["items"] == 2
    assert summary["mean_abs_error_weighted"] == pytest.approx(0.25)
    assert summary["mean_abs_error_unweighted"] == pytest.approx(0.35)
    assert summary["items_closer_weighted"] == 2
    assert summary["weighted_closer_to_truth"] is True


def test_coverage_flags_by_hand_inclusive_ends_and_missing_intervals():
    lo = pd.Series([1.0, 1.0, 1.0, np.nan, 1.0])
    hi = pd.Series([3.0, 3.0, 3.0, np.nan, 3.0])
    t = pd.Series([2.0, 3.0, 3.5, 2.0, np.nan])
    got = covers(lo, hi, t)
    assert got.iloc[:3].tolist() == [True, True, False]
    assert got.iloc[3:].isna().all()


def _index_table() -> pd.DataFrame:
    """A compare_index table by hand (construct, group, index, CI, the truths)."""
    return pd.DataFrame(
        {
            "construct": ["CS", "PQ", "CS"],
            "group_var": ["overall", "overall", "segment"],
            "group": ["all", "all", "a"],
            "n": [100, 100, 40],
            "index": [70.0, 60.0, 72.0],
            "se": [1.0, 1.0, 2.0],
            "ci_lower": [68.0, 58.0, 68.0],
            "ci_upper": [72.0, 62.0, 76.0],
            "truth": [71.0, 63.0, np.nan],
            "error": [-1.0, -3.0, np.nan],
            "index_equal_weights": [69.0, 61.0, 71.0],
            "error_equal_weights": [-2.0, -2.0, np.nan],
            "ci_covers_truth": pd.array([True, False, pd.NA], dtype="boolean"),
            "truth_index": [72.0, 59.0, 75.0],
            "error_index": [-2.0, 1.0, -3.0],
            "ci_covers_truth_index": pd.array([True, True, True], dtype="boolean"),
        }
    )


def test_long_table_rows_errors_and_coverage_by_hand():
    items, _ = compare_item_means(_estimates(), TRUTH)
    t = TruthComparison(item_means=items, index=_index_table()).to_frame()
    assert list(t.columns) == TABLE_COLUMNS
    t = t.set_index(["kind", "statistic"])
    # item means: CI [2, 4] holds 3.2; [1.8, 2.2] misses 2.3; [3.6, 4.4] holds 4.4 (its end)
    assert t.loc[("item_mean", "mean:Q1"), "covered"]
    assert not t.loc[("item_mean", "mean:Q2"), "covered"]
    assert t.loc[("item_mean", "mean:Q1|segment=a"), "covered"]
    assert t.loc[("item_mean", "mean:Q2"), "error"] == pytest.approx(2.0 - 2.3)
    # unweighted means: compared, no CI
    u = t.loc[("item_mean_unweighted", "mean:Q2")]
    assert u["estimate"] == 1.9 and u["error"] == pytest.approx(1.9 - 2.3)
    assert pd.isna(u["covered"]) and np.isnan(u["se"])
    # index vs the equal-weight truth: [68, 72] holds 71, [58, 62] misses 63; no truth, no row
    assert t.loc[("index", "index:CS"), "covered"]
    assert not t.loc[("index", "index:PQ"), "covered"]
    assert ("index", "index:CS|segment=a") not in t.index
    assert t.loc[("index_equal_weights", "index:PQ"), "error"] == pytest.approx(61.0 - 63.0)
    # index vs its own population value: [68, 76] holds 75 for the segment row
    p = t.loc[("index_population", "index:CS|segment=a")]
    assert p["truth"] == 75.0 and p["error"] == -3.0 and p["covered"]
    assert len(t) == 3 + 3 + 2 + 2 + 3


def test_coverage_counts_and_json_by_hand():
    items, summary = compare_item_means(_estimates(), TRUTH)
    res = TruthComparison(
        cleaning={"defects": {}, "all_match": True},
        item_means=items,
        item_summary=summary,
        index=_index_table(),
    )
    cov = res.coverage()
    assert cov["item_mean"] == {"rows": 3, "covered": 2, "share": pytest.approx(2 / 3)}
    assert cov["index"] == {"rows": 2, "covered": 1, "share": 0.5}
    assert cov["index_population"] == {"rows": 3, "covered": 3, "share": 1.0}
    d = res.to_dict()
    assert d["csi_truth"] == 71.0  # no CSI row: the overall CS row's truth
    assert d["item_means"] == summary and d["cleaning"]["all_match"]
    assert len(d["index"]) == 3
    assert "CI covers the truth in 1 of 2 rows" in res.summary()


def test_overall_truth_prefers_the_csi_row():
    x = _index_table()
    extra = x.iloc[[0]].assign(construct="CSI", truth=66.0)
    assert overall_truth(pd.concat([x, extra])) == 66.0
    assert overall_truth(x) == 71.0
    assert math.isnan(overall_truth(x[x["construct"] == "PQ"]))


def test_compare_truth_does_what_its_inputs_allow():
    res = compare_truth(TRUTH, estimates=_estimates())
    assert res.cleaning is None and res.index is None
    assert len(res.item_means) == 3
    assert set(res.to_frame()["kind"]) == {"item_mean", "item_mean_unweighted"}
