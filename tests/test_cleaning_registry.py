"""The cleaning rules as a registry: run order, typed options, switched-off rules, and a
shuffled table giving the same log (rules see rows, not positions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from csindex.cleaning import clean_responses
from csindex.cleaning.rules import (
    CleaningOptions,
    QuantityCutOptions,
    registered_rules,
)
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
INST = load_instrument(ROOT / "config/instrument.yaml")
LIKERT = [i for i in INST.item_ids if i not in ("CL2", "CL3")]


def table(n: int = 12) -> pd.DataFrame:
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


def test_rules_run_in_the_documented_order():
    names = [r.name for r in registered_rules()]
    assert names.index("duplicate") < names.index("missing_codes") < names.index("off_scale")
    assert names.index("off_scale") < names.index("speeder") < names.index("drop_flagged_rows")
    assert names.index("drop_flagged_rows") < names.index("reverse") < names.index("impute")
    assert names[-1] == "pilot"


def test_options_from_config_fill_defaults_and_keep_given_values():
    o = CleaningOptions.from_config(
        {"speeders": {"fraction": 0.5}, "quantity_cut": {"closed": "right"}}
    )
    assert o.speeders.fraction == 0.5 and o.speeders.enabled is True
    assert o.quantity_cut == QuantityCutOptions(closed="right")
    assert o.duplicates.keys == ["respondent_id", "unit_id"]
    assert o.imputation.method == "none" and o.pilot.wave == "pilot"


def test_missing_codes_switched_off_keep_the_codes_and_off_scale_leaves_them():
    df = table()
    df.loc[1, "CE2"] = 9  # don't know
    df.loc[2, "CL2"] = 998  # refused
    df.loc[3, "PQ1"] = 7  # off scale
    res = clean_responses(df, INST, {"missing_codes": {"enabled": False}})
    rules = res.summary["rules"]
    assert rules["dont_know"] == {"cells": 0, "enabled": False}
    assert rules["refused"] == {"cells": 0, "enabled": False}
    assert "missing_code" not in rules
    assert rules["off_scale"] == {"cells": 1, "enabled": True}
    assert res.data.loc[1, "CE2"] == 9
    assert np.isnan(res.data.loc[3, "PQ1"])
    # the same table with the codes rule on: the codes become missing, off-scale count unchanged
    on = clean_responses(df, INST, {})
    assert on.summary["rules"]["dont_know"]["cells"] == 1
    assert on.summary["rules"]["off_scale"]["cells"] == 1
    assert np.isnan(on.data.loc[1, "CE2"])


def test_options_object_and_config_dict_give_the_same_result():
    df = table()
    df.loc[4, "duration_sec"] = 10.0
    cfg = {"imputation": {"method": "item_mean"}}
    a = clean_responses(df, INST, cfg)
    b = clean_responses(df, INST, CleaningOptions.from_config(cfg))
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.log, b.log)
    assert a.summary == b.summary


def test_shuffled_rows_give_the_same_log_and_flags():
    df = table()
    df.loc[4, "duration_sec"] = 10.0  # speeder
    df.loc[6, "attention_check"] = 2.0  # attention failed
    df.loc[8, "unit_id"] = "C002"  # duplicate unit
    res = clean_responses(df, INST, {})
    shuf = clean_responses(df.sample(frac=1, random_state=1).reset_index(drop=True), INST, {})
    pd.testing.assert_frame_equal(res.log, shuf.log)
    assert set(res.log.loc[res.log["new_value"] == "dropped", "rule"]) == {
        "speeder",
        "attention",
        "duplicate",
    }
    key = ["respondent_id"]
    pd.testing.assert_frame_equal(
        res.data.sort_values(key).reset_index(drop=True),
        shuf.data.sort_values(key).reset_index(drop=True),
    )
