"""f² and adjusted R² (csindex.sem.quality, additive) against explicit regressions, and the
report's IPA ranking when nothing falls in 'improve first'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.report.facts import ipa_ranking
from csindex.sem.quality import adjusted_r2, f_squared, r2_from_correlations


def _ols_r2(y: np.ndarray, X: np.ndarray) -> float:
    X1 = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(X1, y, rcond=None)
    res = y - X1 @ beta
    return 1 - res @ res / ((y - y.mean()) @ (y - y.mean()))


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(7)
    n = 400
    a = rng.normal(size=n)
    b = 0.5 * a + rng.normal(size=n)
    c = 0.3 * a + 0.4 * b + rng.normal(size=n)
    return pd.DataFrame({"A": a, "B": b, "C": c})


def test_f_squared_equals_refits_without_each_predictor(scores):
    phi = scores.corr()
    f2 = f_squared(phi, {"C": ["A", "B"], "B": ["A"]}).set_index(["from", "to"])["f2"]
    y = scores["C"].to_numpy()
    r_in = _ols_r2(y, scores[["A", "B"]].to_numpy())
    for p, other in (("A", "B"), ("B", "A")):
        r_ex = _ols_r2(y, scores[[other]].to_numpy())
        assert f2[(p, "C")] == pytest.approx((r_in - r_ex) / (1 - r_in), rel=1e-10)
    # one predictor: f² = R² / (1 - R²)
    r_b = _ols_r2(scores["B"].to_numpy(), scores[["A"]].to_numpy())
    assert f2[("A", "B")] == pytest.approx(r_b / (1 - r_b), rel=1e-10)
    assert r2_from_correlations(phi, "C", ["A", "B"]) == pytest.approx(r_in, rel=1e-12)


def test_adjusted_r2():
    assert adjusted_r2(0.5, 101, 2) == pytest.approx(1 - 0.5 * 100 / 98)
    assert np.isnan(adjusted_r2(0.5, 3, 2))


def test_ipa_ranking_ranks_every_point_even_with_no_improve_first():
    ipa = pd.DataFrame(
        {
            "level": "item",
            "name": ["a", "b", "c", "d"],
            "importance": [0.4, 0.3, 0.1, 0.05],
            "performance": [80.0, 85.0, 60.0, 70.0],
        }
    )
    r = ipa_ranking(ipa)
    # cut at the means (0.2125, 73.75): no point has high importance and low performance
    assert not (r["quadrant"] == "improve first").any()
    assert r["name"].tolist() == ["a", "b", "c", "d"]  # 8.0, 4.5, 4.0, 1.5
    assert r["priority"].tolist() == pytest.approx([8.0, 4.5, 4.0, 1.5])
    assert r["rank"].tolist() == [1, 2, 3, 4]
    assert r.set_index("name").loc["c", "below_avg"] == pytest.approx(13.75)
    # order of the input rows does not matter
    r2 = ipa_ranking(ipa.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(r, r2)
