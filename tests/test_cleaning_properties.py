"""Properties of clean_responses on random tables (hypothesis): the log accounts for every
dropped row and every changed cell, and the result is on the items' scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csindex.cleaning import clean_responses
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
INST = load_instrument(ROOT / "config/instrument.yaml")
CODES = [np.nan, 0, 1, 2, 3, 4, 5, 6, 8, 9, 55]
PCT = [np.nan, 0, 3, 5, 12, 20, 60, 100, 150, 998, 999]


@st.composite
def tables(draw):
    n = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "source_row": np.arange(1, n + 1),
            "respondent_id": [f"R{k}" for k in rng.integers(0, max(2, n - 3), n)],
            "duration_sec": rng.choice([20.0, 100.0, 300.0, 500.0, np.nan], n),
            "attention_check": rng.choice([4.0, 4.0, 2.0, np.nan], n),
        }
    )
    for it in INST.items:
        pool = PCT if it.kind == "quantity" else CODES
        df[it.id] = rng.choice(pool, n)
    return df


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(["first", "last", "most_complete"]))
def test_log_accounts_for_every_change(df, keep):
    res = clean_responses(df, INST, {"duplicates": {"keep": keep}})
    log = res.log
    dropped = set(log.loc[log["new_value"] == "dropped", "row"])
    assert res.summary["rows_in"] - len(res.data) == len(dropped)
    assert len(res.data) + len(dropped) == len(df)
    assert res.data["respondent_id"].is_unique
    kept_rows = sorted(set(df["source_row"]) - dropped)
    before = df.set_index("source_row").loc[kept_rows, INST.item_ids].to_numpy()
    after = res.data[INST.item_ids].to_numpy()
    changed = ~((before == after) | (np.isnan(before) & np.isnan(after)))
    cell_log = log[(log["column"] != "") & log["row"].isin(kept_rows)]
    logged = set(zip(cell_log["row"], cell_log["column"], strict=True))
    r, c = np.nonzero(changed)
    assert {(kept_rows[i], INST.item_ids[j]) for i, j in zip(r, c, strict=True)} <= logged
    for it in INST.items:
        x = res.data[it.id].to_numpy()
        x = x[~np.isnan(x)]
        lo, hi = (1, 5) if it.kind == "quantity" else (it.scale.min, it.scale.max)
        assert ((x >= lo) & (x <= hi) & (x == np.round(x))).all()
