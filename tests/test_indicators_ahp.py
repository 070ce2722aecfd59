"""AHP against a published worked example.

Source: T. L. Saaty (2008), "Decision making with the analytic hierarchy process",
Int. J. Services Sciences 1(1), 83-98, table 2 ("Which drink is consumed more in the U.S.?"):
the judgment matrix below, derived priorities .177 .019 .042 .116 .190 .129 .327 and CR .022
(Saaty's RI for n = 7 is 1.32). The full-precision eigenvector is checked against base R's
eigen() (tests/r/indicators_reference.R -> tests/fixtures/indicators/ahp_drinks.csv).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.indicators import SAATY_RI, WeightWarning, ahp, ahp_consistency

FIX = Path(__file__).parent / "fixtures" / "indicators"
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
A = np.array(
    [
        [1, 9, 5, 2, 1, 1, 1 / 2],
        [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
        [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
        [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [1, 9, 4, 2, 1, 2, 1 / 2],
        [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [2, 9, 9, 3, 2, 3, 1],
    ]
)


def drinks() -> pd.DataFrame:
    return pd.DataFrame(A, index=DRINKS, columns=DRINKS)


def test_ahp_reproduces_saaty_2008_drinks_priorities_and_cr():
    r = ahp(drinks())
    assert r.weights.round(3).tolist() == [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    assert round(r.diagnostics["CR"], 3) == 0.022
    assert r.diagnostics["RI"] == 1.32 and r.diagnostics["CR_ok"]


def test_ahp_matches_r_eigen_to_full_precision():
    ref = pd.read_csv(FIX / "ahp_drinks.csv")
    r = ahp(drinks())
    np.testing.assert_allclose(r.weights.to_numpy(), ref["weight"].to_numpy(), rtol=1e-10)
    assert r.diagnostics["lambda_max"] == pytest.approx(ref["lambda_max"][0], rel=1e-12)
    assert r.diagnostics["CR"] == pytest.approx(ref["CR"][0], rel=1e-9)


def test_ahp_consistent_matrix_has_zero_cr_and_exact_weights():
    w = np.array([0.5, 0.3, 0.2])
    c = ahp_consistency(np.outer(w, 1 / w))
    assert c["CR"] == pytest.approx(0.0, abs=1e-12)
    r = ahp(pd.DataFrame(np.outer(w, 1 / w), index=list("abc"), columns=list("abc")))
    np.testing.assert_allclose(r.weights.to_numpy(), w, rtol=1e-12)


def test_ahp_warns_when_cr_above_0_1():
    # a preference cycle a > b > c > a
    m = pd.DataFrame(
        [[1, 5, 1 / 5], [1 / 5, 1, 5], [5, 1 / 5, 1]], index=list("abc"), columns=list("abc")
    )
    with pytest.warns(WeightWarning, match="CR = .* > 0.1"):
        r = ahp(m)
    assert r.diagnostics["CR"] > 0.1 and not r.diagnostics["CR_ok"]
    assert r.warnings


def test_group_ahp_is_eigenvector_of_elementwise_geometric_mean():
    m1 = drinks()
    m2 = pd.DataFrame(np.sqrt(A), index=DRINKS, columns=DRINKS)  # still reciprocal
    r = ahp([m1, m2])
    g = np.sqrt(A * np.sqrt(A))
    single = ahp(pd.DataFrame(g, index=DRINKS, columns=DRINKS))
    np.testing.assert_allclose(r.weights.to_numpy(), single.weights.to_numpy(), rtol=1e-12)
    assert set(r.diagnostics["CR_by_expert"]) == {"1", "2"}


def test_saaty_random_index_table():
    assert [SAATY_RI[n] for n in range(1, 11)] == [
        0,
        0,
        0.58,
        0.9,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
    ]
