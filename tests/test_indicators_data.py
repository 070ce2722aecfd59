"""Entropy and CRITIC weights on real data (ECSI mobile, PERQ block) with survey weights,
against an independent R implementation (tests/r/indicators_reference.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.indicators import critic_weights, entropy_weights

FIX = Path(__file__).parent / "fixtures" / "indicators"
PERQ = [f"PERQ{k}" for k in range(1, 8)]


@pytest.fixture(scope="module")
def data():
    scores = pd.read_csv(FIX / "ecsi_mobi_scores.csv")
    inp = pd.read_csv(FIX / "ecsi_mobi_input.csv")
    return scores, inp["w"].to_numpy()


def test_entropy_weights_match_r(data):
    scores, w = data
    ref = pd.read_csv(FIX / "entropy_critic_perq.csv")
    r = entropy_weights(scores, PERQ, weights=w, parent="PERQ")
    np.testing.assert_allclose(r.weights.to_numpy(), ref["entropy_weight"], rtol=1e-10)
    np.testing.assert_allclose(r.table["entropy"], ref["entropy"], rtol=1e-12)
    assert r.diagnostics["n_complete"] == ref["n_complete"][0]


def test_critic_weights_match_r(data):
    scores, w = data
    ref = pd.read_csv(FIX / "entropy_critic_perq.csv")
    r = critic_weights(scores, PERQ, weights=w, parent="PERQ")
    np.testing.assert_allclose(r.weights.to_numpy(), ref["critic_weight"], rtol=1e-10)
    np.testing.assert_allclose(r.table["sd"], ref["sd"], rtol=1e-10)


def test_entropy_unweighted_equals_textbook_k_one_over_ln_n():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.integers(1, 6, size=(40, 3)).astype(float), columns=list("abc"))
    r = entropy_weights(df, list("abc"))
    z = (df - df.min()) / (df.max() - df.min())
    p = z / z.sum()
    e = -(p * np.log(p.where(p > 0, 1))).sum() / np.log(len(df))
    np.testing.assert_allclose(
        r.weights.to_numpy(), ((1 - e) / (1 - e).sum()).to_numpy(), rtol=1e-12
    )


def test_constant_item_gets_zero_entropy_weight():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [3.0, 3, 3, 3], "c": [5.0, 1, 4, 2]})
    r = entropy_weights(df, list("abc"))
    assert r.weights["b"] == 0.0 and r.weights.sum() == pytest.approx(1.0)
