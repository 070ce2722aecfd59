"""Pilot item analysis and quantile cuts against base-R references on the real ECSI data
(tests/r/cleaning_reference.R -> tests/fixtures/cleaning/), and AAPOR rates by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import cut_five, cut_points, disposition_table, item_analysis, response_rates
from csindex.errors import ConfigError, InputError
from csindex.instrument import Item, Scale, load_instrument

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests/fixtures/cleaning"
ECSI = pd.read_csv(ROOT / "data/ecsi/ecsi_mobi.csv")
ECSI_INST = load_instrument(ROOT / "config/examples/ecsi_mobi_instrument.yaml")


def test_item_analysis_matches_r_on_ecsi():
    ref = pd.read_csv(FIX / "ecsi_item_analysis.csv", comment="#")
    got = item_analysis(ECSI, ECSI_INST).set_index("item").loc[ref["item"]]
    for col in (
        "mean",
        "sd",
        "floor_share",
        "ceiling_share",
        "item_total_r",
        "alpha_construct",
        "alpha_if_deleted",
    ):
        np.testing.assert_allclose(
            got[col].to_numpy(dtype=float),
            ref[col].to_numpy(dtype=float),
            rtol=1e-10,
            atol=1e-12,
            err_msg=col,
        )
    assert (got["construct"].to_numpy() == ref["construct"].to_numpy()).all()
    # single-item construct: no item-total correlation, no alpha
    assert np.isnan(
        got.loc["CUSCO", ["item_total_r", "alpha_construct", "alpha_if_deleted"]].astype(float)
    ).all()


def test_item_analysis_counts_missing_and_complete_cases():
    d = ECSI.copy()
    d.loc[:9, "IMAG1"] = np.nan
    got = item_analysis(d, ECSI_INST).set_index("item")
    assert got.loc["IMAG1", "share_missing"] == pytest.approx(10 / 250)
    assert got.loc["IMAG2", "n_complete"] == 240
    assert got.loc["CUEX1", "n_complete"] == 250


def _qitem() -> Item:
    return Item(
        id="Q",
        construct="CL",
        label={},
        scale=Scale(),
        kind="quantity",
        quantity={"min": 0, "max": 100},
    )


def test_quantile_and_point_cuts_match_r():
    ref = pd.read_csv(FIX / "ecsi_quantile_cut.csv", comment="#")
    for item, g in ref.groupby("item", sort=False):
        x = g["x"].to_numpy(dtype=float)
        if item == "points":
            pts = np.array([0, 5, 10, 15, 20, 100.0])
        elif g["level_right"].isna().all():  # R: breaks not unique
            with pytest.raises(ConfigError, match="strictly increasing"):
                cut_points(_qitem(), x, {"method": "quantiles"})
            continue
        else:
            pts = cut_points(_qitem(), x, {"method": "quantiles"})
        np.testing.assert_array_equal(
            cut_five(x, pts, "right"), g["level_right"].to_numpy(dtype=float)
        )
        np.testing.assert_array_equal(
            cut_five(x, pts, "left"), g["level_left"].to_numpy(dtype=float)
        )


def test_aapor_rates_by_hand():
    counts = {
        "complete": 400,
        "partial": 50,
        "refusal": 200,
        "noncontact": 150,
        "ineligible": 50,
        "unknown_eligibility": 150,
    }
    r = response_rates(counts)
    e = 800 / 850
    assert r["e"] == pytest.approx(e)
    assert r["RR1"] == pytest.approx(400 / 950)
    assert r["RR2"] == pytest.approx(450 / 950)
    assert r["RR3"] == pytest.approx(400 / (800 + e * 150))
    assert r["RR4"] == pytest.approx(450 / (800 + e * 150))
    assert r["COOP1"] == pytest.approx(400 / 650)
    assert r["REF1"] == pytest.approx(200 / 950)
    assert r["CON1"] == pytest.approx(650 / 950)


def test_disposition_table_with_cleaning_and_bad_code():
    disp = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "respondent_id": ["R1", "R2", None, None, "R3"],
            "disposition": ["complete", "complete", "refusal", "noncontact", "partial"],
        }
    )
    table, info = disposition_table(disp, pd.Series(["R1"]))
    v = dict(zip(table["measure"], table["value"], strict=True))
    assert v["n_complete"] == 2 and v["RR1"] == pytest.approx(2 / 5)
    assert v["n_complete_after_cleaning"] == 1 and v["RR1_after_cleaning"] == pytest.approx(1 / 5)
    disp.loc[3, "disposition"] = "moved"
    with pytest.raises(InputError, match="allowed: complete") as ei:
        disposition_table(disp, file="disp.parquet")
    assert (ei.value.row, ei.value.column) == (4, "disposition")
    empty, info = disposition_table(None)
    assert empty.empty and info["available"] is False
