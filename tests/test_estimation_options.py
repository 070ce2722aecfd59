"""survey_design's typed options (DesignVariables, ReplicateWeights, VarianceOptions) and the
deprecated keyword form: same design, same numbers, a DeprecationWarning, clear errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError
from csindex.estimation import (
    DesignVariables,
    ReplicateWeights,
    VarianceOptions,
    survey_design,
    survey_mean,
    survey_total,
)
from csindex.weighting import jkn_replicates

FIX = Path(__file__).parent / "fixtures" / "survey"


@pytest.fixture
def apistrat() -> pd.DataFrame:
    return pd.read_csv(FIX / "apistrat.csv")


def _numbers(design) -> np.ndarray:
    m = survey_mean(design, ["api00", "api99"], domain="sch.wide")
    t = survey_total(design, "enroll")
    return np.concatenate([m[["estimate", "se"]].to_numpy(), t[["estimate", "se"]].to_numpy()])


def test_old_keywords_warn_and_give_the_same_taylor_design(apistrat) -> None:
    new = survey_design(
        apistrat,
        DesignVariables(weight="pw", strata="stype", fpc="fpc"),
        variance=VarianceOptions(lonely_psu="average"),
    )
    with pytest.warns(DeprecationWarning, match="DesignVariables"):
        old = survey_design(apistrat, weight="pw", strata="stype", fpc="fpc", lonely_psu="average")
    np.testing.assert_array_equal(_numbers(new), _numbers(old))
    assert (old.lonely_psu, old.has_strata, len(old.stages)) == ("average", True, 1)


def test_old_keywords_warn_and_give_the_same_replicate_design(apistrat) -> None:
    rep = jkn_replicates(apistrat["stype"].to_numpy(), np.arange(len(apistrat)))
    rw = apistrat["pw"].to_numpy()[:, None] * rep.factors
    new = survey_design(
        apistrat,
        DesignVariables(weight="pw"),
        replicates=ReplicateWeights(rw, type="JKn", rscales=rep.rscales, mse=True),
    )
    with pytest.warns(DeprecationWarning):
        old = survey_design(
            apistrat,
            weight="pw",
            replicate_weights=rw,
            replicate_type="JKn",
            rscales=rep.rscales,
            mse=True,
        )
    np.testing.assert_array_equal(_numbers(new), _numbers(old))
    assert new.is_replicate and new.mse and new.replicate_type == "JKn"


def test_new_form_does_not_warn(apistrat) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survey_design(apistrat, DesignVariables(weight="pw", strata="stype"))


def test_mixing_an_option_object_with_its_old_keywords_is_refused(apistrat) -> None:
    with pytest.raises(TypeError, match="strata= inside variables="):
        survey_design(apistrat, DesignVariables(weight="pw"), strata="stype")
    with pytest.raises(TypeError, match="unexpected keyword argument 'weights'"):
        survey_design(apistrat, weights="pw")


def test_options_check_their_choices() -> None:
    with pytest.raises(ConfigError, match="estimation.lonely_psu"):
        VarianceOptions(lonely_psu="drop")
    with pytest.raises(ConfigError, match="estimation.pps"):
        VarianceOptions(pps="sampford")
    with pytest.raises(ConfigError, match="weighting.replicates.type"):
        ReplicateWeights(["rep_001"], type="jackknife")


def test_fpc_of_one_column_is_a_one_stage_tuple() -> None:
    assert DesignVariables(fpc="N").fpc == ("N",)
    assert DesignVariables(fpc=["N1", "N2"]).fpc == ("N1", "N2")
    assert DesignVariables(psu="a", tsu="c").ids == ["a", "c"]
