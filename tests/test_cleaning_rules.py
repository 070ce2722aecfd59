"""Each cleaning rule on a small hand-made table: what it changes, what it logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import clean_responses, cut_five, cut_points, merge_config
from csindex.errors import ConfigError
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
INST = load_instrument(ROOT / "config/instrument.yaml")
ITEMS = INST.item_ids
LIKERT = [i for i in ITEMS if i not in ("CL2", "CL3")]


def table(n: int = 10) -> pd.DataFrame:
    """n valid respondents, answers varying across items (no straight-lining)."""
    rows = np.arange(n)
    df = pd.DataFrame(
        {
            "source_row": rows + 1,
            "respondent_id": [f"R{k:03d}" for k in rows],
            "unit_id": [f"C{k:03d}" for k in rows],
            "wave": ["main"] * n,
            "duration_sec": 400.0 + 10 * rows,
            "attention_check": 4.0,
        }
    )
    for j, it in enumerate(LIKERT):
        df[it] = ((rows + j) % 5 + 1).astype(float)
    df["CL2"] = 7.0
    df["CL3"] = 12.0
    return df


def run(df, **cfg):
    return clean_responses(df, INST, cfg)


def test_clean_table_passes_unchanged_except_recodes():
    df = table()
    res = run(df)
    assert len(res.data) == len(df)
    assert set(res.log["rule"]) == {"reverse", "quantity_cut"}
    np.testing.assert_array_equal(res.data["CE1"], df["CE1"])
    np.testing.assert_array_equal(res.data["CC2"], 6 - df["CC2"])
    assert (res.data["CL2"] == 2).all() and (res.data["CL3"] == 3).all()
    assert "source_row" not in res.data.columns


def test_dont_know_and_refused_codes_become_missing():
    df = table()
    df.loc[1, "CE2"] = 9
    df.loc[2, "CL2"] = 998
    res = run(df)
    lg = res.log[res.log["rule"].isin(["dont_know", "refused"])]
    assert lg[["respondent_id", "column", "old_value", "new_value", "rule"]].values.tolist() == [
        ["R001", "CE2", "9", "", "dont_know"],
        ["R002", "CL2", "998", "", "refused"],
    ]
    assert np.isnan(res.data.loc[1, "CE2"]) and np.isnan(res.data.loc[2, "CL2"])
    assert res.summary["rules"]["dont_know"]["cells"] == 1
    assert res.summary["rules"]["refused"]["cells"] == 1


def test_off_scale_codes_become_missing_and_rule_can_be_disabled():
    df = table()
    df.loc[0, "PQ1"] = 7
    df.loc[3, "CL3"] = 250
    res = run(df)
    assert res.summary["rules"]["off_scale"]["cells"] == 2
    assert np.isnan(res.data.loc[0, "PQ1"])
    res2 = run(df, off_scale={"enabled": False})
    assert res2.summary["rules"]["off_scale"]["cells"] == 0
    assert res2.data.loc[0, "PQ1"] == 7


def test_reverse_coding_logs_only_changed_cells():
    df = table()
    res = run(df)
    rev = res.log[res.log["rule"] == "reverse"]
    assert set(rev["column"]) == {"CC2"}
    assert len(rev) == int((df["CC2"] != 3).sum())
    assert (rev["old_value"].astype(int) + rev["new_value"].astype(int) == 6).all()
    res2 = run(df, reverse={"enabled": False})
    np.testing.assert_array_equal(res2.data["CC2"], df["CC2"])


@pytest.mark.parametrize(("keep", "kept_row"), [("first", 3), ("last", 11), ("most_complete", 11)])
def test_duplicates_keep_first_last_most_complete(keep, kept_row):
    df = table()
    dup = df.iloc[[2]].copy()
    dup["source_row"] = 11
    df.loc[2, ["CE1", "CE2"]] = np.nan  # the first submission is less complete
    df = pd.concat([df, dup], ignore_index=True)
    res = run(df, duplicates={"keep": keep})
    assert res.summary["rules"]["duplicate"]["rows"] == 1
    d = res.log[res.log["rule"] == "duplicate"]
    assert len(d) == 1 and d["row"].iloc[0] != kept_row
    assert f"kept row {kept_row}" in d["reason"].iloc[0]
    assert (res.data["respondent_id"] == "R002").sum() == 1


def test_duplicates_by_unit_id_after_respondent_id():
    df = table()
    df.loc[5, "unit_id"] = "C001"  # a second respondent id for the same sampled unit
    res = run(df)
    d = res.log[res.log["rule"] == "duplicate"]
    assert d["respondent_id"].tolist() == ["R005"]
    assert "unit_id" in d["reason"].iloc[0]


def test_speeders_below_fraction_of_median():
    df = table()
    df.loc[4, "duration_sec"] = 100.0  # median about 445 s; 0.25 x 445 = 111
    df.loc[5, "duration_sec"] = 115.0
    res = run(df)
    sp = res.log[res.log["rule"] == "speeder"]
    assert sp["respondent_id"].tolist() == ["R004"]
    res2 = run(df, speeders={"fraction": 0.3})
    assert res2.summary["rules"]["speeder"]["rows"] == 2


def test_straightlining_needs_items_of_enough_constructs():
    df = table()
    df.loc[0, LIKERT] = 5.0  # all Likert items
    df.loc[1, LIKERT] = 5.0
    df.loc[1, "CE1"] = np.nan  # one answer missing: not all 14 the same
    res = run(df)
    assert res.log.loc[res.log["rule"] == "straightlining", "respondent_id"].tolist() == ["R000"]
    res2 = run(df, straightlining={"min_items": 13})
    assert res2.summary["rules"]["straightlining"]["rows"] == 2
    # R000's identical answers span the six constructs: 6 is enough, 7 is not
    res3 = run(df, straightlining={"min_constructs": 6})
    assert res3.summary["rules"]["straightlining"]["rows"] == 1
    res4 = run(df, straightlining={"min_constructs": 7})
    assert res4.summary["rules"]["straightlining"]["rows"] == 0


def test_attention_check_failures_dropped_missing_optional():
    df = table()
    df.loc[3, "attention_check"] = 2.0
    df.loc[4, "attention_check"] = np.nan
    res = run(df)
    assert res.log.loc[res.log["rule"] == "attention", "respondent_id"].tolist() == ["R003"]
    res2 = run(df, attention={"missing_fails": True})
    assert res2.summary["rules"]["attention"]["rows"] == 2


def test_min_answered_counts_codes_as_answered_by_default():
    df = table()
    df.loc[6, ITEMS[8:]] = np.nan  # break-off after 8 of 16 items
    df.loc[7, ITEMS[:5]] = 9.0  # five don't-knows: answered, not valid
    res = run(df)
    assert res.log.loc[res.log["rule"] == "min_answered", "respondent_id"].tolist() == ["R006"]
    res2 = run(df, min_answered={"count": "valid"})
    assert res2.summary["rules"]["min_answered"]["rows"] == 2


def test_row_rules_are_independent_and_each_logged():
    df = table()
    df.loc[2, "attention_check"] = 1.0
    df.loc[2, "duration_sec"] = 10.0
    res = run(df)
    lg = res.log[res.log["respondent_id"] == "R002"]
    assert lg["rule"].tolist() == ["speeder", "attention"]
    assert res.summary["rules"]["speeder"]["rows"] == 1
    assert res.summary["rules"]["attention"]["rows"] == 1
    assert res.summary["rows_dropped"] == 1


def test_cut_five_closures_match_definition():
    pts = np.array([0, 5, 10, 15, 20, 100.0])
    x = np.array([0, 4.9, 5, 10, 20, 100, 101, -1, np.nan])
    np.testing.assert_array_equal(
        cut_five(x, pts, "left"), [1, 1, 2, 3, 5, 5, np.nan, np.nan, np.nan]
    )
    np.testing.assert_array_equal(
        cut_five(x, pts, "right"), [1, 1, 1, 2, 4, 5, np.nan, np.nan, np.nan]
    )


def test_cut_methods_equal_width_and_points():
    it = INST.item("CL2")
    x = np.array([0.0, 19.9, 20, 40, 60, 80, 100])
    np.testing.assert_array_equal(
        cut_points(it, x, {"method": "equal_width"}), [0, 20, 40, 60, 80, 100]
    )
    np.testing.assert_array_equal(
        cut_points(it, x, {"method": "instrument"}), [0, 5, 10, 15, 20, 100]
    )
    with pytest.raises(ConfigError, match="six strictly increasing"):
        cut_points(it, x, {"method": "points", "points": [0, 5, 5, 10, 20, 100]})
    df = table()
    df["CL2"] = np.linspace(0, 100, len(df))
    res = run(df, quantity_cut={"method": "equal_width"})
    assert res.data["CL2"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_imputation_none_by_default_and_logged_when_on():
    df = table()
    df.loc[0, "PQ2"] = np.nan
    assert np.isnan(run(df).data.loc[0, "PQ2"])
    res = run(df, imputation={"method": "construct_mean"})
    pq = df.loc[0, ["PQ1", "PQ3"]].mean()
    assert res.data.loc[0, "PQ2"] == np.clip(np.round(pq), 1, 5)
    imp = res.log[res.log["rule"] == "impute"]
    assert imp[["respondent_id", "column", "old_value"]].values.tolist() == [["R000", "PQ2", ""]]
    res2 = run(df, imputation={"method": "item_mean"})
    assert res2.data.loc[0, "PQ2"] == pytest.approx(df["PQ2"].mean())


def test_pilot_rows_can_be_dropped_from_main():
    df = table()
    df.loc[:2, "wave"] = "pilot"
    assert len(run(df).data) == 10
    res = run(df, pilot={"drop_from_main": True})
    assert len(res.data) == 7 and res.summary["rules"]["pilot"]["rows"] == 3


def test_clean_is_deterministic():
    df = table(50)
    df.loc[3, "CE1"] = 9
    a, b = run(df), run(df)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.log, b.log)
    assert a.summary == b.summary


def test_merge_config_keeps_defaults_of_nested_sections():
    cfg = merge_config({"speeders": {"fraction": 0.5}})
    assert cfg["speeders"] == {"enabled": True, "fraction": 0.5}
    assert cfg["straightlining"]["min_constructs"] == 3


def test_table_without_items_is_refused_with_the_column():
    from csindex.errors import InputError

    with pytest.raises(InputError, match="lacks column") as ei:
        run(table().drop(columns=["PV3"]))
    assert ei.value.column == "PV3"
