"""report/questions.csv: labels of the codes after recoding, checked against the raw answers.

The demo's simulated fieldwork goes through ingest and clean; for every reverse-coded item each
recoded value must carry the questionnaire label of the raw code it came from, with the raw
file's count of that code among the kept respondents (CC2: raw 5 "never" -> recoded 1, labelled
"never"); every quantity item's bands must count the raw amounts in their interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import clean_responses, ingest_file
from csindex.instrument import load_instrument
from csindex.report.i18n import to_script
from csindex.report.questions import QUESTION_COLUMNS, question_table, value_labels
from csindex.simulate import simulate_fieldwork, simulate_frame

ROOT = Path(__file__).resolve().parents[1]
INST = load_instrument(ROOT / "config/instrument.yaml")


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    d = tmp_path_factory.mktemp("fw")
    frame = simulate_frame({"simulate": {"n_customers": 8000}}, seed=21).frame
    rng = np.random.default_rng(4)
    sample = frame.iloc[np.sort(rng.choice(len(frame), 1500, replace=False))].copy()
    sample.insert(0, "unit_id", sample["customer_id"])
    fw = simulate_fieldwork(sample, frame, INST, seed=22)
    raw_path = d / "raw_responses.csv"
    fw.raw.to_csv(raw_path, index=False, lineterminator="\n")
    ing = ingest_file(raw_path, INST, seed=3)
    res = clean_responses(ing.data, INST, non_numeric=ing.non_numeric)
    raw = pd.read_csv(raw_path, dtype=str)
    return raw, res


def _kept_raw(raw: pd.DataFrame, clean: pd.DataFrame, item: str) -> pd.Series:
    """The raw answers of the kept respondents whose cleaned answer is not missing."""
    m = clean[["respondent_id", item]].merge(
        raw[["respondent_id", item]].drop_duplicates("respondent_id"),
        on="respondent_id",
        suffixes=("_clean", "_raw"),
    )
    m = m[m[f"{item}_clean"].notna()]
    return pd.to_numeric(m[f"{item}_raw"], errors="coerce")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_reverse_coded_items_carry_the_label_and_count_of_their_raw_code(cleaned, language):
    raw, res = cleaned
    labels = value_labels(INST, language, res.summary)
    q = question_table(res.data, INST, labels, language=language)
    reversed_items = [i.id for i in INST.items if i.reverse and i.kind == "likert"]
    assert reversed_items == ["CC2"]
    assert res.summary["rules"]["reverse"]["items"] == reversed_items
    for item in reversed_items:
        it = INST.item(item)
        anchors = {float(a): to_script(lab, language) for a, lab in it.anchors[language].items()}
        raw_x = _kept_raw(raw, res.data, item)
        for r in q[q["item"] == item].itertuples():
            raw_code = it.scale.min + it.scale.max - r.value
            assert r.label == anchors[raw_code], (item, r.value)
            assert r.n == int((raw_x == raw_code).sum()), (item, r.value)
    cc2 = q[q["item"] == "CC2"].set_index("value")
    if language == "en":
        assert cc2.loc[1.0, "label"] == "never"
        assert cc2.loc[5.0, "label"] == "many formal complaints"
    # the raw file's "never" (5) is the largest group, "many" (1) a handful
    assert cc2.loc[1.0, "n"] > 10 * cc2.loc[5.0, "n"]


def test_quantity_items_are_labelled_with_their_bands_and_count_raw_amounts(cleaned):
    raw, res = cleaned
    labels = value_labels(INST, "en", res.summary)
    q = question_table(res.data, INST, labels)
    for item in ["CL2", "CL3"]:
        pts = res.summary["rules"]["quantity_cut"]["points"][item]
        raw_x = _kept_raw(raw, res.data, item)
        rows = q[q["item"] == item].reset_index(drop=True)
        assert rows["label"].tolist() == [
            "0 ≤ x < 5%", "5 ≤ x < 10%", "10 ≤ x < 15%", "15 ≤ x < 20%", "20 ≤ x ≤ 100%",
        ]  # fmt: skip
        for k, r in rows.iterrows():
            lo, hi = pts[k], pts[k + 1]
            inside = (raw_x >= lo) & ((raw_x < hi) if k < 4 else (raw_x <= hi))
            assert r["n"] == int(inside.sum()), (item, k)


def test_items_keep_their_own_labels():
    labels = value_labels(INST, "en", None)
    assert labels["CC1"][1.0] == "never complained"
    assert labels["CL1"][5.0] == "certainly"
    assert labels["CS1"][5.0] == "very satisfied"
    assert labels["CC2"][1.0] == "never"  # from the instrument's reverse flag
    assert labels["CL2"][3.0] == "10 ≤ x < 15%"
    zh = value_labels(INST, "zh", None)
    assert zh["CC2"][1.0] == "从未投诉" and zh["CS1"][5.0] == "很满意"


def test_weighted_shares_and_ses_come_from_the_design_engine(cleaned):
    """pct_weighted and se_weighted are 100 x svymean of the answer indicator (estimation)."""
    from csindex.estimation import DesignVariables, survey_design, survey_mean

    _, res = cleaned
    d = res.data.copy()
    rng = np.random.default_rng(0)
    d["w"] = rng.uniform(0.5, 2.0, len(d))
    d["stratum"] = rng.integers(0, 3, len(d))
    design = survey_design(d, DesignVariables(weight="w", strata="stratum"))
    q = question_table(d, INST, value_labels(INST, "en", res.summary), ["CS1"], design)
    x = d["CS1"]
    d["ind4"] = np.where(x.isna(), np.nan, (x == 4).astype(float))
    ref = survey_mean(survey_design(d, DesignVariables(weight="w", strata="stratum")), "ind4")
    row = q[(q["item"] == "CS1") & (q["value"] == 4.0)].iloc[0]
    assert row["pct_weighted"] == pytest.approx(100 * ref["estimate"].iloc[0], rel=1e-12)
    assert row["se_weighted"] == pytest.approx(100 * ref["se"].iloc[0], rel=1e-12)
    assert q.columns.tolist() == QUESTION_COLUMNS
    # shuffled rows give the same table
    sh = d.sample(frac=1.0, random_state=3).reset_index(drop=True)
    q2 = question_table(
        sh, INST, value_labels(INST, "en", res.summary), ["CS1"],
        survey_design(sh, DesignVariables(weight="w", strata="stratum")),
    )  # fmt: skip
    pd.testing.assert_frame_equal(q, q2, rtol=1e-10)


def test_report_writes_questions_csv_and_builds_its_tables_from_it(tmp_path):
    from csindex.report import make_report, write_report
    from csindex.report.synthetic import write_synthetic_version

    v = write_synthetic_version(tmp_path / "s" / "v1", INST)
    rep = make_report(v, {"study": "s", "version": "v1"}, INST)
    write_report(rep, v / "report/report.html")
    q = pd.read_csv(v / "report/questions.csv")
    assert q.columns.tolist() == QUESTION_COLUMNS
    row = q[(q["item"] == "CC1") & (q["value"] == 1)].iloc[0]
    assert row["label"] == "never complained"
    # the table cell of the report is the CSV's weighted share and SE
    cell = f"{row['pct_weighted']:.1f} ({row['se_weighted']:.1f})"
    qs = rep.html.split('<section id="questions"')[1].split("</section>")[0]
    assert cell in qs
    assert "<th>never complained</th>" in qs and "<th>many formal complaints</th>" in qs
