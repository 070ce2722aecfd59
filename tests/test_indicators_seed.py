"""Seed 001, section 三: tables 4-3 (direct comparison) and 4-4 (paired comparison), exactly."""

import warnings

import numpy as np
import pandas as pd
import pytest

from csindex.indicators import WeightWarning, direct_comparison, direct_weights, paired_comparison

# Table 4-4: product performance, pre-sales, in-sales, after-sales service, price.
T44_IDS = ["product", "pre_sales", "in_sales", "after_sales", "price"]
T44 = pd.DataFrame(
    [
        [np.nan, 2, 3, 3, 3],
        [2, np.nan, 2, 2, 3],
        [1, 2, np.nan, 2, 2],
        [1, 2, 2, np.nan, 2],
        [1, 1, 2, 2, np.nan],
    ],
    index=T44_IDS,
    columns=T44_IDS,
)


def test_table_4_3_direct_comparison_weights_are_multiples_over_seven():
    # features 1.5, economy 1, reliability 2.0, safety 2.5 (table 4-3)
    m = pd.Series([1.5, 1.0, 2.0, 2.5], index=["feature", "economy", "reliability", "safety"])
    r = direct_comparison(m)
    assert r.weights.tolist() == [1.5 / 7, 1 / 7, 2 / 7, 2.5 / 7]
    assert r.weights.round(2).tolist() == [0.21, 0.14, 0.29, 0.36]
    total = r.table.set_index("indicator").loc["total"]
    assert total["multiple"] == 7.0 and total["weight"] == pytest.approx(1.0, abs=1e-15)


def test_table_4_3_warns_when_least_important_is_not_one():
    with pytest.warns(WeightWarning, match="least important"):
        r = direct_comparison(pd.Series([3.0, 2.0, 4.0], index=list("abc")))
    assert r.weights.tolist() == [3 / 9, 2 / 9, 4 / 9]


def test_table_4_4_paired_comparison_reproduces_seed_exactly():
    r = paired_comparison(T44)
    assert r.weights.tolist() == [11 / 40, 9 / 40, 7 / 40, 7 / 40, 6 / 40]
    assert r.weights.tolist() == [0.275, 0.225, 0.175, 0.175, 0.150]
    t = r.table.set_index("indicator")
    assert t["total"].tolist() == [11, 9, 7, 7, 6, 40]
    # the seed's bottom row: column totals 5, 7, 9, 9, 10 and 40
    assert t.loc["total", T44_IDS].tolist() == [5, 7, 9, 9, 10]
    assert r.diagnostics["grand_total"] == 40


def test_paired_comparison_averages_several_experts_matrices():
    other = T44.copy()
    other.loc["product", "price"], other.loc["price", "product"] = 4, 0
    r = paired_comparison([T44, other])
    assert r.weights["product"] == pytest.approx(11.5 / 40, rel=1e-15)
    assert r.weights["price"] == pytest.approx(5.5 / 40, rel=1e-15)
    assert r.weights.sum() == pytest.approx(1.0)
    assert r.diagnostics["n_experts"] == 2


def test_direct_weights_normalise_and_warn_when_sum_is_not_one():
    with pytest.warns(WeightWarning, match="sum to 2"):
        r = direct_weights(pd.Series([0.5, 1.0, 0.5], index=list("abc")))
    assert r.weights.tolist() == [0.25, 0.5, 0.25]
    assert r.warnings and "not 1" in r.warnings[0]


def test_direct_weights_summing_to_one_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = direct_weights(pd.Series([0.2, 0.3, 0.5], index=list("abc")))
    assert r.weights.tolist() == [0.2, 0.3, 0.5]
