"""Admissibility checks of CB-SEM: flagged in plain words, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError, InputError
from csindex.sem.cbsem import fit_cbsem
from csindex.sem.spec import ModelSpec, acsi_spec, ecsi_spec

DATA = Path(__file__).parent / "fixtures" / "data"
MOBI_BLOCKS = {
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(DATA / "ecsi_mobi.csv").iloc[:, 1:]


def test_acsi_on_mobi_is_admissible(mobi):
    res = fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS))
    assert res.admissibility.admissible, res.admissibility.messages
    assert "admissible" in res.admissibility.summary()


def test_ecsi_with_image_on_mobi_is_flagged_nearly_unidentified(mobi):
    blocks = {"IM": [f"IMAG{i}" for i in range(1, 6)], **MOBI_BLOCKS}
    res = fit_cbsem(mobi, ecsi_spec(blocks))
    adm = res.admissibility
    assert not adm.admissible
    assert adm.near_unidentified
    assert any("Nearly unidentified" in m and "correlate 0.9" in m for m in adm.messages)
    assert adm.to_dict()["admissible"] is False


def test_heywood_case_is_reported_not_raised():
    # two items of one construct correlate almost perfectly and a third barely: the ML solution
    # drives an error variance negative (classic Heywood case)
    rng = np.random.default_rng(1)
    n = 60
    f = rng.normal(size=n)
    g = 0.3 * f + rng.normal(size=n)
    d = pd.DataFrame(
        {
            "a1": f + 0.01 * rng.normal(size=n),
            "a2": f + 0.9 * rng.normal(size=n),
            "a3": 0.2 * f + rng.normal(size=n),
            "b1": g + 0.5 * rng.normal(size=n),
            "b2": g + 0.5 * rng.normal(size=n),
        }
    )
    spec = ModelSpec(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, paths=[("A", "B")])
    res = fit_cbsem(d, spec)
    adm = res.admissibility
    assert "a1" in adm.heywood
    assert any("Heywood case: the error variance of item a1 is negative" in m for m in adm.messages)
    assert not adm.admissible


def test_nonconvergence_is_reported_when_iterations_run_out(mobi):
    res = fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS), start="simple", max_iter=1, gtol=1e-300)
    assert not res.admissibility.converged
    assert any("did not converge" in m for m in res.admissibility.messages)


def test_nearly_singular_data_never_crashes():
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    d = pd.DataFrame({"a1": x, "a2": x + 1e-4 * rng.normal(size=40), "a3": x, "b1": x, "b2": -x})
    spec = ModelSpec(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, paths=[("A", "B")])
    d = d.assign(
        a3=x + 1e-4 * rng.normal(size=40),
        b1=x + 1e-4 * rng.normal(size=40),
        b2=-x + 1e-4 * rng.normal(size=40),
    )
    res = fit_cbsem(d, spec)
    assert not res.admissibility.admissible
    assert res.admissibility.messages


def test_constant_item_is_refused_naming_the_column():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    d = pd.DataFrame(
        {"a1": x, "a2": x + rng.normal(size=40), "a3": 1.0, "b1": y, "b2": y + rng.normal(size=40)}
    )
    spec = ModelSpec(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, paths=[("A", "B")])
    with pytest.raises(InputError, match=r"column 'a3'.*no variance"):
        fit_cbsem(d, spec, file="x.csv")


def test_duplicated_item_is_refused_naming_the_pair():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    d = pd.DataFrame(
        {"a1": x, "a2": x, "a3": x + rng.normal(size=40), "b1": y, "b2": y + rng.normal(size=40)}
    )
    spec = ModelSpec(blocks={"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}, paths=[("A", "B")])
    with pytest.raises(InputError, match=r"singular \(perfectly correlated: a1/a2\)"):
        fit_cbsem(d, spec)


def test_missing_item_column_names_the_column(mobi):
    with pytest.raises(InputError, match="CUSCO"):
        fit_cbsem(mobi.drop(columns="CUSCO"), acsi_spec(MOBI_BLOCKS), file="mobi.csv")


def test_non_numeric_item_names_row_and_column(mobi):
    d = mobi.astype(object)
    d.loc[4, "PERQ3"] = "seven"
    with pytest.raises(InputError, match=r"row 5.*'PERQ3'.*not a number"):
        fit_cbsem(d, acsi_spec(MOBI_BLOCKS), file="mobi.csv")


def test_bad_weight_names_the_row(mobi):
    d = mobi.assign(w=1.0)
    d.loc[9, "w"] = -2.0
    with pytest.raises(InputError, match=r"row 10.*'w'.*positive"):
        fit_cbsem(d, acsi_spec(MOBI_BLOCKS), weights="w")


def test_equal_weights_give_the_unweighted_fit_with_standard_ses(mobi):
    spec = acsi_spec(MOBI_BLOCKS)
    plain = fit_cbsem(mobi, spec)
    ones = fit_cbsem(mobi.assign(w=2.5), spec, weights="w")
    assert ones.se_type == "standard" and ones.equal_weights and not ones.weighted
    np.testing.assert_allclose(ones.estimates["se"], plain.estimates["se"], rtol=1e-10)
    np.testing.assert_allclose(ones.estimates["est"], plain.estimates["est"], rtol=1e-10)
    unequal = mobi.assign(w=1.0 + (np.arange(len(mobi)) % 2))
    assert fit_cbsem(unequal, spec, weights="w").se_type == "robust"


def test_unknown_se_option_is_refused(mobi):
    with pytest.raises(ConfigError, match="allowed: auto, standard, robust"):
        fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS), se="huber")


def test_rows_with_missing_items_are_dropped_listwise(mobi):
    d = mobi.copy()
    d.loc[[0, 5], "CUEX2"] = np.nan
    res = fit_cbsem(d, acsi_spec(MOBI_BLOCKS))
    assert res.n == len(d) - 2
    assert list(res.scores.index[:5]) == [1, 2, 3, 4, 6]


def test_unit_weights_give_the_unweighted_estimates(mobi):
    a = fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS))
    b = fit_cbsem(mobi.assign(w=3.0), acsi_spec(MOBI_BLOCKS), weights="w")
    assert np.abs(a.theta - b.theta).max() < 1e-8


def test_unknown_missing_policy_is_refused(mobi):
    with pytest.raises(ConfigError, match="allowed: listwise, ml"):
        fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS), missing="pairwise")


def test_fiml_on_complete_data_equals_the_listwise_fit(mobi):
    a = fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS))
    b = fit_cbsem(mobi, acsi_spec(MOBI_BLOCKS), missing="ml")
    assert np.abs(a.theta - b.theta).max() < 1e-6
    assert b.fit["chisq"] == pytest.approx(a.fit["chisq"], rel=1e-8)
    assert b.fit["npar"] == a.fit["npar"] + len(a.structure.items)  # + saturated means
