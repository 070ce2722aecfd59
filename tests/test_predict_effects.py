"""PLSpredict, f² (seminr's published value) and adjusted R²."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_plsc_reference import MOBI_SPEC

from csindex.errors import ConfigError
from csindex.sem.predict import f_squared, pls_predict
from csindex.sem.spec import ModelSpec

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def mobi():
    return pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]


def test_f_squared_matches_seminr(mobi):
    # seminr tests/fixtures/V_3_5_X/fsquared1.csv: fSquared(model, "Image", "Satisfaction") with
    # Mode A composites and path weighting on mobi (see tests/fixtures/plsc/README.md)
    f2 = f_squared(mobi, MOBI_SPEC, tol=1e-12, maxiter=1000).set_index(["from", "to"])
    assert f2.loc[("Image", "Satisfaction"), "f2"] == pytest.approx(0.303554364141901, rel=1e-6)
    r = f2.loc[("Value", "Satisfaction")]
    assert r.f2 == pytest.approx((r.r2_included - r.r2_excluded) / (1 - r.r2_included))


def test_single_item_model_predicts_as_the_linear_model():
    # one item per construct: the PLS prediction m_y + sd_y r z_x is the OLS prediction
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300)
    df = pd.DataFrame({"x": x, "y": 0.6 * x + rng.standard_normal(300)})
    spec = ModelSpec(blocks={"X": ["x"], "Y": ["y"]}, paths=[("X", "Y")])
    r = pls_predict(df, spec, folds=5, seed=1).items.iloc[0]
    assert r.rmse_pls == pytest.approx(r.rmse_lm, rel=1e-10)
    assert r.mae_pls == pytest.approx(r.mae_lm, rel=1e-10)
    # Q2_predict against the training mean: close to the population R2 = .36 / 1.36
    assert r.q2_predict == pytest.approx(0.36 / 1.36, abs=0.08)


def test_pls_predict_tables_and_seed(mobi):
    a = pls_predict(mobi, MOBI_SPEC, folds=10, seed=4)
    assert list(a.items.item) == ["CUSA1", "CUSA2", "CUSA3"]
    assert (a.items.q2_predict > 0).all() and (a.constructs.q2_predict > 0).all()
    assert (a.items.rmse_pls >= a.items.mae_pls).all()
    b = pls_predict(mobi, MOBI_SPEC, folds=10, seed=4)
    pd.testing.assert_frame_equal(a.items, b.items)
    c = pls_predict(mobi, MOBI_SPEC, folds=10, seed=5)
    assert not np.allclose(a.items.rmse_pls, c.items.rmse_pls)


def test_pls_predict_rejects_one_fold(mobi):
    with pytest.raises(ConfigError, match="folds"):
        pls_predict(mobi, MOBI_SPEC, folds=1)
