"""The corpus of broken response files (tests/corpus/make_corpus.py): each gives the exact kind
of message, with file, row and column, and the input file is never changed."""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import clean_responses, ingest_file
from csindex.errors import ConfigError, InputError, InputErrors
from csindex.instrument import load_instrument
from csindex.io import sha256_file

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests/corpus/make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
sys.modules["make_corpus"] = make_corpus
_spec.loader.exec_module(make_corpus)

INSTRUMENT = load_instrument(ROOT / "config/instrument.yaml")
_DIR = tempfile.mkdtemp(prefix="csindex_corpus_")
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
CORPUS_DIR_CASES = make_corpus.build(_DIR)
_ids = [f"{c.name}-{c.kind}-{k}" for k, c in enumerate(CORPUS_DIR_CASES)]


@pytest.fixture(scope="module")
def corpus():
    return dict(zip(_ids, CORPUS_DIR_CASES, strict=True))


def test_corpus_has_at_least_25_broken_files():
    broken = {c.name for c in CORPUS_DIR_CASES if c.kind != "ok"}
    assert len(broken) >= 25


def _problems(exc: Exception) -> list[InputError]:
    if isinstance(exc, InputErrors):
        return exc.problems
    return [exc]


@pytest.mark.parametrize("key", _ids)
def test_corpus_case(corpus, key):
    case = corpus[key]
    path = Path(case.file)
    before = sha256_file(path) if path.is_file() else None
    if case.kind in ("ok", "non_numeric", "duplicate_id"):
        ing = ingest_file(path, INSTRUMENT, case.config)
        assert len(ing.data) >= 12
        assert ing.data["respondent_id"].notna().all()
        if case.kind != "ok":
            probs = [
                p
                for p in ing.report["codebook"]["problems"]
                if p["kind"] == case.kind and p["column"] == case.column
            ]
            assert probs and case.row in probs[0]["rows"]
    elif case.kind == "config":
        with pytest.raises(ConfigError) as ei:
            ingest_file(path, INSTRUMENT, case.config)
        assert ei.value.key == case.column
        assert case.contains in str(ei.value)
        assert "Traceback" not in str(ei.value)
    else:
        with pytest.raises((InputError, InputErrors)) as ei:
            ingest_file(path, INSTRUMENT, case.config)
        probs = _problems(ei.value)
        match = [p for p in probs if p.kind == case.kind]
        assert match, f"expected kind {case.kind}, got {[p.kind for p in probs]}: {ei.value}"
        p = match[0]
        assert p.file == str(path)
        assert p.row == case.row
        if case.column is not None:
            assert p.column == case.column
        assert case.contains in str(ei.value)
        assert "Traceback" not in str(ei.value)
    if before is not None and path.is_file():
        assert sha256_file(path) == before


def test_leading_zero_ids_stay_text(corpus):
    case = next(c for c in corpus.values() if c.name == "leading_zeros.csv")
    ing = ingest_file(case.file, INSTRUMENT)
    assert ing.data["respondent_id"].iloc[0] == "00001"
    res = clean_responses(ing.data, INSTRUMENT, non_numeric=ing.non_numeric)
    assert res.data["respondent_id"].iloc[0] == "00001"


def test_all_formats_give_the_same_items(corpus):
    by_name = {c.name: c for c in corpus.values() if c.kind == "ok" and not c.config}
    ref = ingest_file(by_name["bom.csv"].file, INSTRUMENT).data
    xlsx = next(c for c in corpus.values() if c.name == "sheets.xlsx" and c.kind == "ok")
    for name in ("good.sav", "good.parquet", "pii_unnamed.csv", "leading_zeros.csv", "xlsx"):
        case = xlsx if name == "xlsx" else by_name[name]
        other = ingest_file(case.file, INSTRUMENT, case.config).data
        if name != "leading_zeros.csv":
            pd.testing.assert_series_equal(other["respondent_id"], ref["respondent_id"])
        for it in INSTRUMENT.item_ids:
            np.testing.assert_array_equal(other[it].to_numpy(), ref[it].to_numpy())
    gbk = next(c for c in corpus.values() if c.name == "gbk.csv" and c.kind == "ok")
    g = ingest_file(gbk.file, INSTRUMENT, gbk.config)
    assert g.report["encoding"] == "gb18030"
    assert set(g.data["region"]) <= {"华东", "华北", "华南"}
    pd.testing.assert_series_equal(g.data["region"], ref["region"])


def test_sav_value_labels_are_kept(corpus):
    case = next(c for c in corpus.values() if c.name == "good.sav")
    ing = ingest_file(case.file, INSTRUMENT)
    assert ing.report["value_labels"]["CE1"] == {"1": "very dissatisfied", "5": "very satisfied"}


def test_text_cell_is_logged_by_clean(corpus):
    case = next(c for c in corpus.values() if c.name == "text_in_numeric.csv")
    ing = ingest_file(case.file, INSTRUMENT)
    res = clean_responses(ing.data, INSTRUMENT, non_numeric=ing.non_numeric)
    row = res.log[(res.log["rule"] == "non_numeric")]
    assert row[["row", "column", "old_value"]].values.tolist() == [[3, "CE1", "four"]]
    assert np.isnan(res.data.loc[res.data["respondent_id"] == "R0003", "CE1"]).all()
    dur = [p for p in ing.report["codebook"]["problems"] if p.get("column") == "duration_sec"]
    assert dur[0]["rows"] == [6]


def test_hidden_pii_columns_are_detected(corpus):
    case = next(c for c in corpus.values() if c.name == "pii_unnamed.csv")
    ing = ingest_file(case.file, INSTRUMENT)
    assert {"contact_no", "受访者", "email", "comment"}.isdisjoint(ing.data.columns)
    detected = {d["column"] for d in ing.report["privacy"]["detected"]}
    assert "contact_no" in detected and "受访者" not in ing.data.columns


def test_off_scale_and_missing_codes_are_logged(corpus):
    case = next(c for c in corpus.values() if c.name == "off_scale_codes.csv")
    ing = ingest_file(case.file, INSTRUMENT)
    res = clean_responses(ing.data, INSTRUMENT, non_numeric=ing.non_numeric)
    got = res.log[res.log["rule"].isin(["off_scale", "dont_know", "refused"])]
    assert got[["row", "column", "old_value", "rule"]].values.tolist() == [
        [1, "CE1", "0", "off_scale"],
        [2, "PQ2", "6", "off_scale"],
        [3, "CS1", "55", "off_scale"],
        [4, "CL2", "150", "off_scale"],
        [5, "PV1", "9", "dont_know"],
        [6, "CL3", "998", "refused"],
        [7, "CC1", "3.5", "off_scale"],
    ]


def test_blank_tokens_are_missing_not_text():
    from csindex.cleaning.codebook import to_number

    for dtype in (object, "str"):
        values, bad = to_number(
            pd.Series(["4", " NA ", "", ".", "nan", "four", " 2 "], dtype=dtype)
        )
        np.testing.assert_array_equal(values, [4, np.nan, np.nan, np.nan, np.nan, np.nan, 2])
        assert bad.tolist() == [False, False, False, False, False, True, False]


def test_corpus_grew_by_the_issue_12_cases():
    kinds = {c.kind for c in CORPUS_DIR_CASES}
    assert {"is_directory", "compressed", "encrypted", "control_char_id", "constant_id",
            "column_type", "config"} <= kinds  # fmt: skip
    assert len({c.name for c in CORPUS_DIR_CASES if c.kind != "ok"}) >= 35


def test_hidden_first_sheet_reads_the_first_visible_sheet_and_says_so(corpus):
    case = next(c for c in corpus.values() if c.name == "hidden_first_sheet.xlsx")
    ing = ingest_file(case.file, INSTRUMENT)
    assert ing.report["sheet"] == "Data"
    assert any("'Old' is hidden" in n for n in ing.report["notes"])
    assert len(ing.data) == 12
