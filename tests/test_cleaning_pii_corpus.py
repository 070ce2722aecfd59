"""The seeded identifier corpus (tests/corpus/make_pii_corpus.py): identifiers in the forms
Chinese and English survey data carry them, in five file types, never reach a file written by
the ingest and clean steps (ingested/responses Parquet, ingest.json, log.csv, summary.json)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_pii_corpus", ROOT / "tests/corpus/make_pii_corpus.py"
)
make_pii_corpus = importlib.util.module_from_spec(_spec)
sys.modules["make_pii_corpus"] = make_pii_corpus
_spec.loader.exec_module(make_pii_corpus)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pii")
    files, seeded = make_pii_corpus.build(tmp / "raw")
    before = {f: f.read_bytes() for f in files}
    written = make_pii_corpus.run_library(files, tmp / "results", ROOT / "config/instrument.yaml")
    return files, seeded, written, before


def test_corpus_is_large_and_covers_every_kind_and_file_type(corpus_run):
    files, seeded, _, _ = corpus_run
    assert len(seeded) >= 300
    assert {k for k, _, _ in seeded} == set(make_pii_corpus.KINDS)
    assert {f.suffix for f in files} == {".csv", ".xlsx", ".sav", ".parquet"}


def test_no_seeded_identifier_reaches_an_output(corpus_run):
    _, seeded, written, _ = corpus_run
    result = make_pii_corpus.scan(written, seeded)
    leaked = {k: v["leaked"] for k, v in result.items() if v["leaked"]}
    assert leaked == {}, result


def test_the_scan_finds_identifiers_when_they_are_there(corpus_run, tmp_path):
    """The leak check itself can fail: the raw files, read the same way, hold every one."""
    files, seeded, _, _ = corpus_run
    import pandas as pd

    p = tmp_path / "raw.parquet"
    pd.read_csv(files[0], dtype=str).to_parquet(p)
    mine = [s for s in seeded if s[2] == files[0].name]
    assert make_pii_corpus.scan([p], mine)["phone"]["leaked"] > 0


def test_raw_files_are_unchanged(corpus_run):
    files, _, _, before = corpus_run
    assert all(f.read_bytes() == before[f] for f in files)


def test_identifiers_in_item_cells_are_logged_as_their_kind(corpus_run):
    _, _, written, _ = corpus_run
    import pandas as pd

    log = pd.read_csv(next(p for p in written if p.name == "log.csv"), dtype=str)
    redacted = log[log["old_value"].fillna("").str.startswith("<redacted:")]
    assert set(redacted["old_value"]) >= {"<redacted: phone>", "<redacted: name>"}
    assert set(redacted["column"]) >= {"CL2", "CE1", "CE2"}
