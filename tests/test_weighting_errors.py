"""Bad input to weighting and estimation: each a clear message naming what and where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError, ConvergenceError, InputError
from csindex.estimation import DesignVariables, VarianceOptions, survey_design, survey_mean
from csindex.weighting import (
    brr_replicates,
    build_weights,
    calibrate,
    class_adjustment,
    design_weights,
    margins_from_config,
    poststratify,
    rake,
    rake_frame,
)


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["A", "A", "B", "B", "C", "C"],
            "segment": ["x", "y", "x", "y", "x", "y"],
            "w": [1.0, 2.0, 1.5, 1.0, 2.0, 1.0],
        }
    )


def test_margins_that_do_not_sum_to_the_same_total(df) -> None:
    margins = {"region": {"A": 10, "B": 10, "C": 10}, "segment": {"x": 10, "y": 25}}
    with pytest.raises(InputError, match="do not sum to the same total: region=30, segment=35"):
        rake_frame(df["w"].to_numpy(), df, margins)


def test_sample_category_absent_from_margins(df) -> None:
    margins = {"region": {"A": 10, "B": 20}, "segment": {"x": 15, "y": 15}}
    with pytest.raises(InputError, match=r"sample categories \['C'\] of margin 'region'"):
        rake_frame(df["w"].to_numpy(), df, margins)


def test_population_category_without_respondents(df) -> None:
    margins = {"region": {"A": 10, "B": 10, "C": 5, "D": 5}, "segment": {"x": 15, "y": 15}}
    with pytest.raises(InputError, match=r"population categories \['D'\].*no respondents"):
        rake_frame(df["w"].to_numpy(), df, margins)


def test_post_stratum_absent_from_population(df) -> None:
    with pytest.raises(InputError, match="absent from the population"):
        poststratify(df["w"].to_numpy(), df, "region", {"A": 3, "B": 4})


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_zero_negative_or_missing_weights_name_the_row(df, bad) -> None:
    df.loc[3, "w"] = bad
    if bad == 0.0:
        # zero weights are allowed in a design (domains)
        d = survey_design(df, DesignVariables(weight="w"))
        assert d.weights[3] == 0
        resp = df.assign(respondent_id=[f"r{i}" for i in range(6)], bw=df["w"])
        with pytest.raises(InputError, match=r"row 4, column 'bw'"):
            build_weights(resp, {"base_weight": "bw", "replicates": {"type": "none"}})
    else:
        msg = "finite and >= 0" if bad < 0 else "missing values"
        with pytest.raises(InputError, match=rf"row 4, column 'w'.*{msg}"):
            survey_design(df, DesignVariables(weight="w"))


def test_inclusion_probability_outside_zero_one_names_the_row() -> None:
    smp = pd.DataFrame({"pi": [0.5, 0.0, 0.2]})
    with pytest.raises(InputError, match=r"row 2, column 'pi'.*\(0, 1\]"):
        design_weights(smp)


def test_multistage_design_weight_is_the_product() -> None:
    smp = pd.DataFrame({"pi_1": [0.5, 0.25], "pi_2": [0.1, 0.2]})
    np.testing.assert_allclose(design_weights(smp), [20.0, 20.0])


def test_raking_that_does_not_converge_fails_clearly() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    w = rng.uniform(1, 2, 200)
    ta = np.array([100.0, 50.0, 50.0])
    tb = np.array([20.0, 30.0, 150.0])
    with pytest.raises(ConvergenceError, match="after 1 sweeps.*max_sweeps"):
        rake(w, [(a, ta), (b, tb)], rtol=1e-12, max_sweeps=1)
    res = rake(w, [(a, ta), (b, tb)], rtol=1e-12, max_sweeps=1, raise_on_failure=False)
    assert not res.converged and res.sweeps == 1 and res.max_rel_error > 1e-12


def test_infeasible_bounded_calibration_fails_clearly() -> None:
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(50), rng.uniform(0, 1, 50)])
    w = np.ones(50)
    totals = np.array([100.0, 90.0])  # needs g far outside the bounds
    with pytest.raises(ConvergenceError, match="widen weighting.calibration.bounds"):
        calibrate(w, X, totals, "linear", (0.9, 1.1), max_iter=30)


def test_logit_calibration_needs_finite_bounds() -> None:
    with pytest.raises(ConfigError, match="weighting.calibration.bounds"):
        calibrate(np.ones(3), np.ones((3, 1)), np.array([3.0]), "logit")


def test_single_psu_stratum_fails_only_when_asked(df) -> None:
    d = survey_design(df.assign(p=range(6)), DesignVariables(weight="w", strata="region", psu="p"))
    assert np.isfinite(survey_mean(d, "w")["se"].iloc[0])
    one = df.assign(p=["p1", "p1", "p2", "p3", "p4", "p5"], h=["A", "A", "B", "B", "C", "C"])
    d = survey_design(
        one,
        DesignVariables(weight="w", strata="h", psu="p"),
        variance=VarianceOptions(lonely_psu="fail"),
    )
    with pytest.raises(InputError, match="single PSU.*estimation.lonely_psu"):
        survey_mean(d, "w")


def test_unknown_lonely_psu_option_names_the_key(df) -> None:
    with pytest.raises(ConfigError, match="estimation.lonely_psu"):
        survey_design(df, DesignVariables(weight="w"), variance=VarianceOptions(lonely_psu="drop"))


def test_brr_needs_two_psus_per_stratum() -> None:
    with pytest.raises(InputError, match="exactly two PSUs per stratum"):
        brr_replicates(["a", "a", "a", "b", "b"], [1, 2, 3, 4, 5])


def test_nonresponse_class_without_respondents() -> None:
    with pytest.raises(InputError, match="no respondents"):
        class_adjustment(np.ones(4), np.array([True, True, False, False]), np.array([0, 0, 1, 1]))


def test_shares_need_a_population_total() -> None:
    with pytest.raises(ConfigError, match="population_total"):
        margins_from_config({"segment": {"x": 0.4, "y": 0.6}})


def test_unknown_design_column_is_named(df) -> None:
    with pytest.raises(InputError, match="'branch' not found"):
        survey_design(df, DesignVariables(weight="w", psu="branch"))


def test_respondent_not_in_the_sample_is_named() -> None:
    smp = pd.DataFrame(
        {
            "unit_id": ["u1", "u2", "u3"],
            "pi": [0.1, 0.1, 0.1],
            "region": ["A", "A", "B"],
            "segment": ["x", "y", "x"],
        }
    )
    resp = pd.DataFrame({"respondent_id": ["r1", "r2"], "unit_id": ["u1", "u9"]})
    with pytest.raises(InputError, match=r"row 2, column 'unit_id'.*'u9'"):
        build_weights(resp, {"replicates": {"type": "none"}}, sample=smp)


def test_psu_ids_reused_across_strata_need_nest() -> None:
    d = pd.DataFrame({"h": ["a", "a", "b", "b"], "p": [1, 2, 1, 2], "y": [1.0, 2, 3, 4]})
    with pytest.raises(InputError, match="PSU id '1' occurs in several strata.*nest=True"):
        survey_design(d, DesignVariables(weight=None, strata="h", psu="p"))
    nested = survey_design(d, DesignVariables(weight=None, strata="h", psu="p", nest=True))
    assert nested.degf == 2
