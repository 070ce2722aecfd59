"""Delphi rounds: summaries and Kendall's W against R (vegan::kendall.global), convergence on the
shipped three-round example (config/experts/delphi_constructs_round*.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.indicators import WeightWarning, build_hierarchy, delphi, kendalls_w
from csindex.indicators.experts import read_long_file
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "indicators"
ROUNDS = [ROOT / f"config/experts/delphi_constructs_round{k}.csv" for k in (1, 2, 3)]


@pytest.fixture(scope="module")
def rounds():
    h = build_hierarchy(load_instrument(ROOT / "config/instrument.yaml"))
    allowed = h.parents_at("constructs")
    return [read_long_file(f, allowed, "estimate", require_expert=True)["CSI"] for f in ROUNDS]


def test_kendalls_w_matches_vegan_on_each_round(rounds):
    ref = pd.read_csv(FIX / "kendall_delphi.csv")
    for k, r in enumerate(rounds):
        est = r.div(r.sum(axis=1), axis=0)
        kw = kendalls_w(est)
        assert kw["W"] == pytest.approx(ref["W"][k], rel=1e-10)
        assert kw["chi2"] == pytest.approx(ref["chi2"][k], rel=1e-10)


def test_kendalls_w_with_ties_is_tie_corrected():
    # two raters in perfect agreement, with a tie: W must be exactly 1
    x = pd.DataFrame([[1, 1, 2, 3], [5, 5, 7, 9]])
    assert kendalls_w(x)["W"] == pytest.approx(1.0, rel=1e-12)


def test_round_summary_quartiles_match_r(rounds):
    ref = pd.read_csv(FIX / "kendall_delphi.csv")
    res = delphi(rounds)
    for k in range(3):
        s = res.rounds[k].set_index("indicator").loc["CE"]
        assert s["mean"] == pytest.approx(ref["mean_CE"][k], rel=1e-12)
        assert s["sd"] == pytest.approx(ref["sd_CE"][k], rel=1e-12)
        assert s["median"] == pytest.approx(ref["median_CE"][k], rel=1e-12)
        assert s["q1"] == pytest.approx(ref["q1_CE"][k], rel=1e-12)
        assert s["q3"] == pytest.approx(ref["q3_CE"][k], rel=1e-12)


def test_shipped_delphi_example_converges_in_round_three_and_reports_w(rounds):
    res = delphi(rounds, cv_max=0.25, change_max=0.02)
    assert res.converged and res.converged_round == 3
    assert res.concordance["converged"].tolist() == [False, False, True]
    assert res.concordance["W"].is_monotonic_increasing
    assert res.result.diagnostics["kendall_W"] == pytest.approx(res.concordance["W"].iloc[-1])
    assert res.result.diagnostics["kendall_p"] < 0.001
    assert res.result.weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(
        res.result.weights.to_numpy(),
        res.rounds[-1]["mean"].to_numpy() / res.rounds[-1]["mean"].sum(),
    )


def test_delphi_warns_when_not_converged(rounds):
    with pytest.warns(WeightWarning, match="did not converge"):
        res = delphi(rounds[:2], cv_max=0.25, change_max=0.02)
    assert not res.converged


def test_feedback_table_flags_estimates_outside_the_quartiles(rounds):
    res = delphi(rounds)
    fb = res.feedback[0]
    assert len(fb) == 8 * 6
    outside = (fb["own"] < fb["q1"]) | (fb["own"] > fb["q3"])
    assert fb["outside_iqr"].tolist() == outside.tolist()
    assert fb["outside_iqr"].any()
