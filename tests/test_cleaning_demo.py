"""The demo's simulated fieldwork through ingest and clean: every injected defect is caught
(counts equal fieldwork's injected.json), no PII value reaches any output, the raw file is
unchanged and re-runs are byte-identical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import clean_responses, disposition_table, ingest_file, pilot_items
from csindex.instrument import load_instrument
from csindex.io import sha256_file, write_csv, write_json, write_parquet
from csindex.simulate import simulate_fieldwork, simulate_frame
from csindex.validation import compare_injected

ROOT = Path(__file__).resolve().parents[1]
INST = load_instrument(ROOT / "config/instrument.yaml")


@pytest.fixture(scope="module")
def fieldwork(tmp_path_factory):
    d = tmp_path_factory.mktemp("fieldwork")
    frame = simulate_frame({"simulate": {"n_customers": 20000}}, seed=11).frame
    rng = np.random.default_rng(5)
    sample = frame.iloc[np.sort(rng.choice(len(frame), 3000, replace=False))].copy()
    sample.insert(0, "unit_id", sample["customer_id"])
    fw = simulate_fieldwork(sample, frame, INST, seed=12)
    raw = d / "raw_responses.csv"
    fw.raw.to_csv(raw, index=False, lineterminator="\n")
    return fw, raw


def run_stage(raw: Path, out: Path, fw) -> dict:
    ing = ingest_file(raw, INST, seed=3)
    write_parquet(ing.data, out / "ingested.parquet")
    write_json(ing.report, out / "ingest.json")
    res = clean_responses(ing.data, INST, non_numeric=ing.non_numeric)
    table, info = disposition_table(fw.dispositions, res.data["respondent_id"])
    write_parquet(res.data, out / "responses.parquet")
    write_csv(res.log, out / "log.csv")
    write_json(dict(res.summary, dispositions=info), out / "summary.json")
    write_csv(table, out / "dispositions.csv")
    write_csv(pilot_items(res.data, INST), out / "pilot_items.csv")
    return res.summary


def test_every_injected_defect_is_caught(fieldwork, tmp_path):
    fw, raw = fieldwork
    summary = run_stage(raw, tmp_path, fw)
    check = compare_injected(summary, fw.injected)
    assert check["all_match"], check
    assert set(check["defects"]) == {
        "duplicates", "out_of_range", "dont_know", "refused", "straightliners", "speeders",
        "attention_failed", "partials",
    }  # fmt: skip
    assert all(v["injected"] > 0 for v in check["defects"].values())


def test_no_pii_value_in_any_output(fieldwork, tmp_path):
    fw, raw = fieldwork
    run_stage(raw, tmp_path, fw)
    pii = set()
    for c in ("name", "phone", "email"):
        pii |= set(fw.raw[c].dropna().astype(str))
    assert len(pii) > 1000
    files = sorted(tmp_path.iterdir())
    assert len(files) == 7
    for f in files:
        text = f.read_bytes().decode("utf-8", "ignore")
        if f.suffix == ".parquet":
            text = pd.read_parquet(f).astype(str).to_csv()
        leaked = [v for v in pii if v in text]
        assert not leaked, f"{f.name} contains {leaked[:3]}"
    # the free-text comments carried phone numbers: the column is gone
    assert "comment" not in pd.read_parquet(tmp_path / "ingested.parquet").columns


def test_raw_file_unchanged_and_outputs_byte_identical(fieldwork, tmp_path):
    fw, raw = fieldwork
    before = sha256_file(raw)
    a, b = tmp_path / "a", tmp_path / "b"
    run_stage(raw, a, fw)
    run_stage(raw, b, fw)
    assert sha256_file(raw) == before
    for f in sorted(a.iterdir()):
        assert sha256_file(f) == sha256_file(b / f.name), f.name


def test_quantity_cut_recovers_the_simulated_levels(fieldwork, tmp_path):
    fw, raw = fieldwork
    ing = ingest_file(raw, INST)
    res = clean_responses(ing.data, INST, non_numeric=ing.non_numeric)
    pct = ing.data.drop_duplicates("respondent_id").set_index("respondent_id")["CL2"]
    lvl = res.data.set_index("respondent_id")["CL2"]
    ok = pct.reindex(lvl.index).between(0, 100) & lvl.notna()
    expect = np.searchsorted([5, 10, 15, 20], pct.reindex(lvl.index)[ok], side="right") + 1
    np.testing.assert_array_equal(lvl[ok].to_numpy(), expect)


def test_dispositions_and_pilot_tables(fieldwork, tmp_path):
    fw, raw = fieldwork
    run_stage(raw, tmp_path, fw)
    disp = pd.read_csv(tmp_path / "dispositions.csv").set_index("measure")["value"]
    counts = fw.injected["dispositions"]
    assert disp["n_complete"] == counts["complete"] and disp["n_partial"] == counts["partial"]
    assert 0 < disp["RR1"] <= disp["RR3"] <= 1
    pilot = pd.read_csv(tmp_path / "pilot_items.csv")
    assert (pilot["subset"] == "pilot").all() and len(pilot) == 16
    assert pilot["n"].iloc[0] <= fw.injected["pilot"]


def test_log_entries_agree_with_summary_counts(fieldwork):
    fw, raw = fieldwork
    ing = ingest_file(raw, INST)
    res = clean_responses(ing.data, INST, non_numeric=ing.non_numeric)
    per_rule = res.log["rule"].value_counts()
    for rule, info in res.summary["rules"].items():
        n = info.get("cells", info.get("rows", 0))
        assert per_rule.get(rule, 0) == n, rule
    dropped_rows = res.log.loc[res.log["new_value"] == "dropped", "row"]
    assert res.summary["rows_in"] - res.summary["rows_out"] == dropped_rows.nunique()
    kept = set(res.data["respondent_id"])
    assert not kept & set(res.log.loc[res.log["rule"] == "speeder", "respondent_id"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_injected_defects_caught_across_seeds_and_sizes(seed, tmp_path):
    frame = simulate_frame({"simulate": {"n_customers": 100_000}}, seed=seed).frame
    rng = np.random.default_rng(seed)
    sample = frame.iloc[np.sort(rng.choice(len(frame), 20_000, replace=False))].copy()
    sample.insert(0, "unit_id", sample["customer_id"])
    fw = simulate_fieldwork(sample, frame, INST, seed=100 + seed)
    raw = tmp_path / "raw.csv"
    fw.raw.to_csv(raw, index=False, lineterminator="\n")
    ing = ingest_file(raw, INST)
    res = clean_responses(ing.data, INST, non_numeric=ing.non_numeric)
    check = compare_injected(res.summary, fw.injected)
    assert check["all_match"], check
