"""The simulated Company L frame: structure, determinism, configuration errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csindex.errors import ConfigError
from csindex.io import read_json, sha256_file, write_csv, write_json, write_parquet
from csindex.simulate import DEFAULT_FRAME, _uniform, frame_summary, simulate_frame


@pytest.fixture(scope="module")
def frame():
    return simulate_frame({}, seed=11)


def test_default_frame_has_200000_customers_and_contract_columns(frame):
    f = frame.frame
    assert len(f) == DEFAULT_FRAME["simulate"]["n_customers"] == 200_000
    assert list(f.columns) == [
        "customer_id",
        "region",
        "branch",
        "branch_size",
        "segment",
        "tenure_years",
        "monthly_spend",
    ]
    for c in ("customer_id", "region", "branch", "segment"):
        assert pd.api.types.is_string_dtype(f[c]), c


def test_customer_ids_are_unique_and_zero_padded(frame):
    ids = frame.frame["customer_id"]
    assert ids.is_unique
    assert ids.str.len().nunique() == 1
    assert ids.iloc[0] == "C0000001" and ids.iloc[-1] == "C0200000"


def test_strata_sizes_sum_to_the_frame_and_are_unequal(frame):
    f = frame.frame
    n_h = f["region"].value_counts()
    assert n_h.sum() == len(f)
    assert set(n_h.index) == set(DEFAULT_FRAME["simulate"]["regions"])
    assert n_h.max() / n_h.min() > 2.5  # shares 0.22 vs 0.06


def test_branches_nest_in_regions(frame):
    f = frame.frame
    assert (f.groupby("branch")["region"].nunique() == 1).all()
    assert (f["branch"].str.split("-B").str[0] == f["region"]).all()
    assert f["branch"].str.fullmatch(r"R\d\d-B\d{3,}").all()


def test_branch_size_is_the_number_of_customers_of_the_branch(frame):
    f = frame.frame
    counts = f.groupby("branch").size()
    sizes = f.groupby("branch")["branch_size"].agg(["min", "max"])
    assert (sizes["min"] == sizes["max"]).all()
    assert (sizes["min"] == counts.loc[sizes.index]).all()


def test_branch_sizes_are_very_unequal(frame):
    sizes = frame.frame.drop_duplicates("branch")["branch_size"]
    assert sizes.std() / sizes.mean() > 0.8
    assert sizes.max() / sizes.median() > 5


def test_segment_tenure_and_spend_depend_on_segment(frame):
    f = frame.frame
    assert set(f["segment"]) == {"personal", "family", "business"}
    share = f["segment"].value_counts(normalize=True)
    assert share["personal"] > share["family"] > share["business"] > 0.05
    spend = f.groupby("segment")["monthly_spend"].median()
    assert spend["business"] > spend["family"] > spend["personal"]
    tenure = f.groupby("segment")["tenure_years"].mean()
    assert tenure["business"] > tenure["family"] > tenure["personal"]
    assert (f["tenure_years"] >= 0).all() and (f["monthly_spend"] > 0).all()
    # segment mix differs between regions (a chi-square test of independence)
    tab = pd.crosstab(f["region"], f["segment"])
    assert stats.chi2_contingency(tab)[1] < 1e-6


def test_summary_counts_customers_and_branches_per_region_and_segment(frame):
    s = frame.summary()
    f = frame.frame
    tot = s[s["segment"] == "all"].set_index("region")
    assert tot["customers"].sum() == len(f)
    assert tot["branches"].sum() == f["branch"].nunique()
    cells = s[s["segment"] != "all"]
    assert cells["customers"].sum() == len(f)
    assert cells.groupby("region")["customers"].sum().equals(tot["customers"])
    one = cells.set_index(["region", "segment"]).loc[("R03", "business")]
    mask = (f["region"] == "R03") & (f["segment"] == "business")
    assert one["customers"] == mask.sum() and one["branches"] == f.loc[mask, "branch"].nunique()
    j = frame.summary_json()
    assert j["n_customers"] == len(f) and j["n_regions"] == 8
    assert j["n_branches"] == f["branch"].nunique()


def test_same_seed_gives_byte_identical_files_other_seed_differs(tmp_path):
    paths = []
    for k, seed in enumerate((3, 3, 4)):
        fr = simulate_frame({"simulate": {"n_customers": 5000}}, seed=seed)
        write_parquet(fr.frame, tmp_path / f"f{k}.parquet")
        write_csv(fr.summary(), tmp_path / f"s{k}.csv")
        write_json(fr.summary_json(), tmp_path / f"s{k}.json")
        paths.append(k)
    h = {k: sha256_file(tmp_path / f"f{k}.parquet") for k in paths}
    assert h[0] == h[1] != h[2]
    assert sha256_file(tmp_path / "s0.csv") == sha256_file(tmp_path / "s1.csv")
    assert sha256_file(tmp_path / "s0.json") == sha256_file(tmp_path / "s1.json")
    assert read_json(tmp_path / "s0.json")["seed"] == 3


def test_one_config_line_scales_the_frame():
    fr = simulate_frame({"simulate": {"n_customers": 1234}}, seed=1)
    assert len(fr.frame) == 1234
    assert fr.frame["branch_size"].sum() >= 1234
    assert frame_summary(fr.frame)["customers"].sum() == 2 * 1234


def test_id_column_is_configurable():
    fr = simulate_frame({"id_column": "cust", "simulate": {"n_customers": 500}}, seed=1)
    assert fr.frame.columns[0] == "cust"


def test_too_few_customers_for_the_regions_is_a_config_error():
    with pytest.raises(ConfigError, match="frame.simulate.n_customers"):
        simulate_frame({"simulate": {"n_customers": 3}}, seed=1)


def test_missing_segment_setting_names_the_config_key():
    cfg = {"simulate": {"segments": {"personal": 1, "student": 1}}}
    with pytest.raises(ConfigError, match=r"frame.simulate.tenure_mean.*'student'"):
        simulate_frame(cfg, seed=1)


def test_negative_share_names_the_config_key():
    with pytest.raises(ConfigError, match="frame.simulate.regions"):
        simulate_frame({"simulate": {"regions": {"A": 1.0, "B": -1.0}}}, seed=1)


def test_counter_based_uniforms_are_uniform_and_streams_independent():
    idx = np.arange(200_000)
    u = _uniform(1, "a", idx)
    v = _uniform(1, "b", idx)
    w = _uniform(2, "a", idx)
    assert ((u > 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01 and abs(np.corrcoef(u, w)[0, 1]) < 0.01
    # a pure function of the counter: any subset gives the same numbers
    assert np.array_equal(_uniform(1, "a", idx[[5, 99_999, 7]]), u[[5, 99_999, 7]])
