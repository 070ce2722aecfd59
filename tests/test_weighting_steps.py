"""Single weighting steps: nonresponse classes, trimming bounds, normalisation, post-strata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.weighting import (
    class_adjustment,
    normalise,
    poststratify,
    response_propensity,
    trim_bounds,
    trim_weights,
)


def test_class_adjustment_moves_nonrespondent_weight_within_the_class() -> None:
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    responded = np.array([True, False, True, True, False])
    classes = np.array([0, 0, 0, 1, 1])
    out = class_adjustment(w, responded, classes)
    np.testing.assert_allclose(out, [1 * 6 / 4, 0, 3 * 6 / 4, 4 * 9 / 4, 0])
    # matrix input: every column (replicate) adjusted with its own weights
    W = np.column_stack([w, 2 * w])
    np.testing.assert_allclose(class_adjustment(W, responded, classes)[:, 1], 2 * out)


def test_propensity_classes_are_quantile_groups_of_equal_size() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=500), "g": rng.choice(["a", "b"], 500)})
    r = rng.random(500) < 1 / (1 + np.exp(-df["x"]))
    pr = response_propensity(df, r, ["x", "g"], n_classes=5)
    assert pr.converged
    assert np.bincount(pr.classes).tolist() == [100] * 5
    assert pr.params["x"] > 0  # standardised covariate, true slope positive
    means = pr.class_summary["mean_propensity"].to_numpy()
    assert (np.diff(means) > 0).all()


def test_trim_bounds_ratio_to_median_and_percentile() -> None:
    w = np.arange(1.0, 101.0)
    assert trim_bounds(w, "ratio_to_median", 0.5, 1.5) == (0.5 * 50.5, 1.5 * 50.5)
    lo, hi = trim_bounds(w, "percentile", 5, 95)
    assert lo == pytest.approx(np.percentile(w, 5)) and hi == pytest.approx(np.percentile(w, 95))
    assert trim_bounds(w, "fixed", None, 10) == (-np.inf, 10.0)


def test_trimming_keeps_the_total_and_reports_the_share() -> None:
    w = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    res = trim_weights(w, upper=4, strict=True)
    assert res.weights.sum() == pytest.approx(14.0)
    assert res.weights.max() <= 4 + 1e-12
    assert res.trimmed_share == pytest.approx(0.2)


def test_normalise_to_n_and_to_a_total() -> None:
    w = np.array([1.0, 3.0, 4.0])
    assert normalise(w, "n").sum() == pytest.approx(3.0)
    assert normalise(w, 100.0).sum() == pytest.approx(100.0)
    np.testing.assert_array_equal(normalise(w, "N"), w)


def test_poststratify_hits_the_cell_counts() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b", "c"]})
    w = poststratify(np.array([1.0, 3.0, 2.0, 5.0]), df, "g", {"a": 40, "b": 10, "c": 50})
    np.testing.assert_allclose(w, [10.0, 30.0, 10.0, 50.0])


def test_the_weights_rule_reads_only_the_frame_columns_its_margins_name():
    from csindex.weighting import margin_columns

    assert margin_columns(["region*segment", "region", "age_band"]) == [
        "region",
        "segment",
        "age_band",
    ]
    assert margin_columns([]) == []
