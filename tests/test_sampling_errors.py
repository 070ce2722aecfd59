"""Bad input to the sampling stage gets a clear message naming the row, column or config key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError, InputError
from csindex.sampling import Design, Stage, design_from_config, draw, quota_sample


def frame(N: int = 200) -> pd.DataFrame:
    b = np.arange(N) // 10
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(N)],
            "region": np.where(b < 10, "R01", "R02"),
            "branch": [f"B{x:02d}" for x in b],
            "branch_size": 10.0,
            "segment": np.where(np.arange(N) % 5 == 0, "business", "personal"),
        }
    )


def test_n_larger_than_frame_is_a_config_error():
    with pytest.raises(ConfigError, match=r"design.n.*larger than the frame \(200"):
        draw(frame(), Design("srs", (Stage(n=201),)), 1)


def test_fixed_n_larger_than_a_stratum_names_the_stratum():
    d = Design(
        "stratified", (Stage(),), strata="region", allocation="fixed", fixed={"R01": 101, "R02": 5}
    )
    with pytest.raises(ConfigError, match=r"101 for stratum 'R01' is larger than the stratum"):
        draw(frame(), d, 1)


@pytest.mark.parametrize("bad", [0.0, -3.0, np.nan])
def test_zero_negative_or_missing_size_measure_in_pps(bad):
    f = frame()
    f.loc[f["branch"] == "B03", "branch_size"] = bad
    d = Design(
        "cluster",
        (
            Stage(unit="branch", method="pps_systematic", size="branch_size", n=4),
            Stage(method="all"),
        ),
    )
    with pytest.raises(InputError, match=r"column 'branch_size'.*B03"):
        draw(f, d, 1)


def test_missing_stratum_id_names_the_row():
    f = frame()
    f.loc[17, "region"] = None
    with pytest.raises(InputError, match=r"row 18, column 'region'.*no stratum id"):
        draw(f, Design("stratified", (Stage(n=10),), strata="region"), 1)


def test_missing_cluster_id_names_the_row():
    f = frame()
    f.loc[5, "branch"] = None
    d = Design("cluster", (Stage(unit="branch", n=3), Stage(method="all")))
    with pytest.raises(InputError, match=r"row 6, column 'branch'.*no cluster id"):
        draw(f, d, 1)


def test_duplicate_unit_ids_name_both_rows():
    f = frame()
    f.loc[9, "customer_id"] = "C0003"
    with pytest.raises(InputError, match=r"duplicate unit id.*'C0003' in rows 4 and 10"):
        draw(f, Design("srs", (Stage(n=10),)), 1)


def test_missing_unit_id_names_the_row():
    f = frame()
    f.loc[2, "customer_id"] = None
    with pytest.raises(InputError, match=r"row 3, column 'customer_id'.*missing"):
        draw(f, Design("srs", (Stage(n=10),)), 1)


def test_cluster_in_two_strata_is_rejected():
    f = frame()
    f.loc[0, "region"] = "R02"  # B00 now in R01 and R02
    d = Design("multistage", (Stage(unit="branch", n=4), Stage(n=2)), strata="region")
    with pytest.raises(InputError, match=r"branch id 'B00' appears in more than one region"):
        draw(f, d, 1)


def test_empty_stratum_in_fixed_allocation_is_named():
    d = Design(
        "stratified",
        (Stage(),),
        strata="region",
        allocation="fixed",
        fixed={"R01": 5, "R02": 5, "R09": 3},
    )
    with pytest.raises(ConfigError, match=r"'R09' have no units in the frame \(empty stratum\)"):
        draw(frame(), d, 1)


def test_quota_cell_smaller_than_its_quota():
    with pytest.raises(InputError, match=r"quota cell 'business' has 40 unit\(s\).*quota 50"):
        quota_sample(frame(), ["segment"], None, 1, quotas={"business": 50})


def test_missing_frame_column_lists_the_columns():
    with pytest.raises(InputError, match=r"no column\(s\) 'area'.*columns are: customer_id"):
        draw(frame(), Design("stratified", (Stage(n=10),), strata="area"), 1)


def test_nonpositive_size_in_pps_size_varying_within_cluster():
    f = frame()
    f.loc[3, "branch_size"] = 11.0
    d = Design(
        "cluster",
        (
            Stage(unit="branch", method="pps_systematic", size="branch_size", n=4),
            Stage(method="all"),
        ),
    )
    with pytest.raises(InputError, match=r"row 4, column 'branch_size'.*differs within branch"):
        draw(f, d, 1)


def test_config_srs_with_strata_points_to_stratified():
    with pytest.raises(ConfigError, match=r"design.strata.*use method stratified"):
        design_from_config({"method": "srs", "strata": "region", "n": 10})


def test_config_multistage_without_stages_explains():
    with pytest.raises(ConfigError, match=r"design.stages.*needs `stages`"):
        design_from_config({"method": "multistage"})


def test_minimum_per_stratum_larger_than_n():
    d = Design("stratified", (Stage(n=3),), strata="region", minimum=2)
    with pytest.raises(ConfigError, match=r"design.allocation.minimum.*needs n >= 4"):
        draw(frame(), d, 1)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_frame_is_read_with_only_the_design_columns(tmp_path, suffix):
    from csindex.sampling import read_frame

    frame = pd.DataFrame(
        {
            "customer_id": ["001", "002", "003"],
            "region": ["a", "a", "b"],
            "branch": ["x", "y", "z"],
            "spend": [1.0, 2.0, 3.0],
            "notes": ["p", "q", "r"],
        }
    )
    path = tmp_path / f"frame{suffix}"
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    design = Design(
        "multistage",
        (Stage("branch", "pps_systematic", 2, size="spend"), Stage(None, "srswor", 1)),
        strata="region",
    )
    assert design.columns() == ["customer_id", "region", "branch", "spend"]
    got = read_frame(path, columns=design.columns())
    assert list(got.columns) == ["customer_id", "region", "branch", "spend"]
    assert got["customer_id"].tolist() == ["001", "002", "003"]  # ids stay text
    with pytest.raises(InputError, match="no column 'segment'") as e:
        read_frame(path, columns=["customer_id", "segment"])
    assert e.value.column == "segment"
