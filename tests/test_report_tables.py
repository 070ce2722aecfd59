"""Report tables: weighted answer distributions against R survey, suppression, difference test."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError
from csindex.report.tables import (
    Replicates,
    answer_distribution,
    difference_test,
    kish_neff,
    suppress_small_cells,
)

FIX = Path(__file__).parent / "fixtures" / "report"
ITEMS = ["CUSA1", "CUSA2", "CUSA3", "CUSCO", "PERV1"]


@pytest.fixture(scope="module")
def ecsi():
    return pd.read_csv(FIX / "ecsi_design.csv")


def test_weighted_percentages_and_se_match_r_survey(ecsi):
    ref = pd.read_csv(FIX / "svymean_answers.csv", comment="#", skipinitialspace=True)
    got = answer_distribution(
        ecsi,
        ITEMS,
        {i: range(1, 11) for i in ITEMS},
        weights=ecsi["w_final"],
        stratum=ecsi["stratum"],
        psu=ecsi["psu"],
    )
    m = ref.merge(got, on=["item", "code"], how="left", suffixes=("_r", ""))
    assert len(m) == len(ref) and m["w_pct"].notna().all()
    np.testing.assert_allclose(m["w_pct"], m["w_pct_r"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["w_se"], m["w_se_r"], rtol=1e-7, atol=1e-12)
    # codes R does not list (never answered) have zero counts
    absent = got.merge(ref, on=["item", "code"], how="left", indicator=True)
    assert (absent.loc[absent["_merge"] == "left_only", "n"] == 0).all()


@pytest.mark.parametrize("mse", [True, False])
def test_replicate_standard_errors_match_r_survey_jkn(ecsi, mse):
    rep = pd.read_csv(FIX / "ecsi_replicates.csv")
    assert (rep["respondent_id"] == ecsi["respondent_id"]).all()
    rs = pd.read_csv(FIX / "ecsi_rscales.csv")
    reps = Replicates(
        rep.filter(like="rep_").to_numpy(float),
        float(rs["scale"].iloc[0]),
        rs["rscales"].to_numpy(float),
        mse,
    )
    tag = "mse" if mse else "nomse"
    ref = pd.read_csv(FIX / f"svymean_answers_rep_{tag}.csv", comment="#", skipinitialspace=True)
    got = answer_distribution(
        ecsi, ITEMS, {i: range(1, 11) for i in ITEMS}, weights=ecsi["w_final"], replicates=reps
    )
    m = ref.merge(got, on=["item", "code"], how="left", suffixes=("_r", ""))
    assert len(m) == len(ref) and m["w_se"].notna().all()
    np.testing.assert_allclose(m["w_pct"], m["w_pct_r"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["w_se"], m["w_se_r"], rtol=1e-7, atol=1e-12)


def test_unweighted_counts_add_up_to_the_answering_respondents(ecsi):
    got = answer_distribution(ecsi, ITEMS, {i: range(1, 11) for i in ITEMS})
    per_item = got.groupby("item")["n"].sum()
    assert per_item.to_dict() == ecsi[ITEMS].notna().sum().to_dict()
    np.testing.assert_allclose(got.groupby("item")["pct"].sum(), 100.0)
    assert "w_pct" not in got


def test_off_scale_codes_are_counted_as_other_not_dropped():
    df = pd.DataFrame({"Q": [1, 2, 2, 7, np.nan]})
    got = answer_distribution(df, ["Q"], {"Q": range(1, 6)})
    assert got["n"].sum() == 4
    other = got[got["code"].isna()]
    assert other["n"].tolist() == [1]


def test_missing_item_column_names_the_file_and_column():
    with pytest.raises(InputError, match=r"clean/responses.parquet.*'Q9'"):
        answer_distribution(pd.DataFrame({"Q": [1]}), ["Q9"], {"Q9": [1, 2]})


def test_negative_weight_is_reported_with_its_row():
    df = pd.DataFrame({"Q": [1, 2, 3]})
    with pytest.raises(InputError, match=r"row 2.*w_final"):
        answer_distribution(df, ["Q"], {"Q": [1, 2, 3]}, weights=[1.0, -1.0, 1.0])


def test_small_cells_are_suppressed_with_a_secondary_cell():
    t = pd.DataFrame({"item": ["A"] * 4 + ["B"] * 3, "n": [3, 40, 25, 30, 4, 6, 50]})
    s = suppress_small_cells(t, min_cell=10)
    # A: one primary cell (3) -> the smallest other non-zero cell (25) is hidden too
    assert s.tolist() == [True, False, True, False, True, True, False]


def test_zero_cells_are_not_suppressed():
    t = pd.DataFrame({"item": ["A"] * 3, "n": [0, 40, 25]})
    assert not suppress_small_cells(t, min_cell=10).any()


def test_difference_test_matches_the_normal_formula():
    d = difference_test(75.0, 0.8, 72.5, 0.6)
    assert d.diff == pytest.approx(2.5)
    assert d.se == pytest.approx(1.0)
    assert d.z == pytest.approx(2.5)
    assert d.p == pytest.approx(0.012419330651552318, rel=1e-12)
    assert d.ci_low == pytest.approx(2.5 - 1.959963984540054)
    assert d.significant


def test_kish_effective_sample_size():
    assert kish_neff(np.ones(10)) == pytest.approx(10)
    assert kish_neff(np.array([1.0, 3.0])) == pytest.approx(16 / 10)
