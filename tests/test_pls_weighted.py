"""Survey-weighted PLS: weighted moments in every step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import ACSI_BLOCKS as BLOCKS
from ecsi_models import ACSI_MODEL_PATHS as PATHS
from ecsi_models import FIX

from csindex.errors import ConfigError, InputError
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0)


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


def _all(res) -> np.ndarray:
    return np.concatenate(
        [res.estimates["est"].to_numpy(), res.outer_weights["weight"].to_numpy(), res.r2.fillna(0)]
    )


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_integer_weights_equal_duplicated_rows(mobi, spec, scheme) -> None:
    w = (np.arange(len(mobi)) % 3 + 1).astype(float)
    dup = mobi.loc[mobi.index.repeat(w.astype(int))]
    a = fit_pls(mobi, spec, weights=w, scheme=scheme, tol=1e-12)
    b = fit_pls(dup, spec, scheme=scheme, tol=1e-12)
    np.testing.assert_allclose(_all(a), _all(b), atol=1e-10)
    assert a.weighted and not b.weighted


def test_equal_weights_equal_unweighted_and_scale_free(mobi, spec) -> None:
    a = fit_pls(mobi, spec)
    b = fit_pls(mobi, spec, weights=np.full(len(mobi), 7.5))
    np.testing.assert_allclose(_all(a), _all(b), atol=1e-12)
    w = np.linspace(0.5, 2.0, len(mobi))
    c = fit_pls(mobi, spec, weights=w)
    d = fit_pls(mobi, spec, weights=w * 1000)
    np.testing.assert_allclose(_all(c), _all(d), atol=1e-12)
    assert np.abs(_all(a) - _all(c)).max() > 1e-3  # the weights matter


def test_weighted_scores_have_unit_weighted_variance(mobi, spec) -> None:
    w = np.linspace(0.5, 2.0, len(mobi))
    res = fit_pls(mobi, spec, weights=w)
    Y = res.scores.to_numpy()
    np.testing.assert_allclose(np.average(Y, axis=0, weights=w), 0, atol=1e-12)
    np.testing.assert_allclose(np.average(Y**2, axis=0, weights=w), 1, atol=1e-12)


def test_weights_by_column_name_and_listwise_missing(mobi, spec) -> None:
    df = mobi.copy()
    df["w"] = 1.0
    df.iloc[3, df.columns.get_loc("PERQ2")] = np.nan
    res = fit_pls(df, spec, weights="w", missing="listwise")
    assert res.n == len(df) - 1 and res.info["n_dropped"] == 1
    ref = fit_pls(mobi.drop(mobi.index[3]), spec)
    np.testing.assert_allclose(_all(res), _all(ref), atol=1e-12)


def test_negative_weight_is_rejected_with_row(mobi, spec) -> None:
    w = np.ones(len(mobi))
    w[9] = -1
    with pytest.raises(InputError, match="row 10"):
        fit_pls(mobi, spec, weights=w)


def test_negative_weight_message_shows_a_plain_number(mobi, spec) -> None:
    w = np.ones(len(mobi))
    w[9] = -1
    with pytest.raises(InputError) as err:
        fit_pls(mobi, spec, weights=w)
    assert "weight -1.0 is not allowed" in str(err.value)
    assert "np.float64" not in str(err.value)


def test_missing_item_column_named(mobi, spec) -> None:
    with pytest.raises(InputError, match="PERQ3"):
        fit_pls(mobi.drop(columns="PERQ3"), spec, file="responses.parquet")


def test_non_numeric_value_named_with_row_and_column(mobi, spec) -> None:
    df = mobi.astype(object)
    df.iloc[4, df.columns.get_loc("CUSA2")] = "seven"
    with pytest.raises(InputError, match=r"row 5, column 'CUSA2'.*'seven'"):
        fit_pls(df, spec)


def test_constant_item_rejected(mobi, spec) -> None:
    df = mobi.copy()
    df["CUEX2"] = 5
    with pytest.raises(InputError, match="CUEX2.*single value"):
        fit_pls(df, spec)


def test_unknown_scheme_is_config_error(mobi, spec) -> None:
    with pytest.raises(ConfigError, match="model.pls.scheme"):
        fit_pls(mobi, spec, scheme="pathway")


def test_nonconvergence_reported_not_raised(mobi, spec) -> None:
    res = fit_pls(mobi, spec, maxiter=1, tol=1e-30)
    assert not res.converged
    assert not res.admissibility["admissible"]
    assert "did not converge" in res.admissibility["messages"][0]


def test_pairwise_moments_match_hand_computation() -> None:
    from csindex.sem.pls import pairwise_moments, weighted_moments

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4)) @ rng.normal(size=(4, 4)) + 5
    w = rng.uniform(0.5, 2, 60)
    m_full, S_full = weighted_moments(X, w)
    m2, S2 = pairwise_moments(X, w)
    np.testing.assert_allclose(S2, S_full, atol=1e-12)
    X[rng.random(X.shape) < 0.15] = np.nan
    m, S = pairwise_moments(X, w)
    for j in range(4):
        oj = ~np.isnan(X[:, j])
        assert m[j] == pytest.approx(np.average(X[oj, j], weights=w[oj]), rel=1e-12)
        for k in range(4):
            o = oj & ~np.isnan(X[:, k])
            a, b, ww = X[o, j], X[o, k], w[o]
            hand = np.average(
                (a - np.average(a, weights=ww)) * (b - np.average(b, weights=ww)), weights=ww
            )
            assert S[j, k] == pytest.approx(hand, rel=1e-10, abs=1e-12)


def test_pairwise_keeps_rows_and_equals_available_case_fit(mobi, spec) -> None:
    df = mobi.copy()
    rng = np.random.default_rng(5)
    for c in ["CUEX1", "PERQ3", "CUSA2", "CUSL3"]:
        df.loc[rng.random(len(df)) < 0.1, c] = np.nan
    pw = fit_pls(df, spec)  # pairwise is the default
    lw = fit_pls(df, spec, missing="listwise")
    assert pw.n == len(df) and lw.n < len(df)
    assert pw.info["min_pairwise_n"] < len(df)
    assert pw.converged and np.isfinite(_all(pw)).all()
    assert np.abs(_all(pw) - _all(lw)).max() > 1e-4


def test_non_positive_definite_item_correlations_are_reported(mobi, spec) -> None:
    df = mobi.copy()
    df["CUEX3"] = df["CUEX1"] + df["CUEX2"]  # an exact linear combination within a block
    res = fit_pls(df, spec)
    assert "item" in res.admissibility["not_positive_definite"]
    assert not res.admissibility["admissible"]
    assert any("not positive definite" in m for m in res.admissibility["messages"])
