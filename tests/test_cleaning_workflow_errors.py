"""Broken inputs through the Snakemake rules (ingest, clean) in a temporary copy of the
workflow: the console shows the one-line message (never only "message: None"), no traceback is
printed or logged, nothing is left half-written and the input is unchanged. And the seeded
identifiers of tests/corpus/make_pii_corpus.py reach neither the outputs nor the logs."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from csindex.io import sha256_file

pytestmark = pytest.mark.workflow

ROOT = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "workflow", "config", "scripts", "data"]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"tests/corpus/{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


make_corpus = _load("make_corpus")
make_pii_corpus = _load("make_pii_corpus")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    w = tmp_path_factory.mktemp("broken")
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, w / name)
        elif src.exists():
            shutil.copy2(src, w / name)
    cases = make_corpus.build(w / "inputs")
    return w, {c.name: c for c in cases}


def run_ingest(w: Path, version: str, path: str, responses: dict, target: str = "ingested.parquet"):
    import yaml

    overlay = w / f"{version}.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {
                "study": "broken",
                "version": version,
                "start": "responses",
                "responses": {"path": path, **responses},
            }
        ),
        encoding="utf-8",
    )
    out = w / "results/broken" / version
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            f"results/broken/{version}/clean/{target}",
            "--cores",
            "1",
            "--configfile",
            str(overlay),
        ],  # fmt: skip
        cwd=w,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return run, out


CASES = {
    # name: (expected console text, responses config)
    "truncated_sheet.xlsx": ("damaged or truncated", {}),
    "id_is_an_item.csv": ("config key responses.id_column", {"id_column": "CE1"}),
    "nul_in_id.csv": ("row 5, column 'respondent_id'", {}),
    "encrypted.xlsx": ("password-protected", {}),
    "a_folder.csv": ("is a folder", {}),
}  # the other corpus cases are checked through the library in test_cleaning_corpus.py


@pytest.mark.parametrize("name", list(CASES))
def test_broken_input_gives_one_line_and_leaves_nothing(work, name):
    w, cases = work
    expected, responses = CASES[name]
    path = Path(cases[name].file)
    before = sha256_file(path) if path.is_file() else None
    version = "c" + str(list(CASES).index(name))
    run, out = run_ingest(w, version, str(path.relative_to(w)), responses)
    console = run.stdout + run.stderr
    assert run.returncode != 0
    lines = [ln for ln in console.splitlines() if expected in ln]
    assert lines, console[-3000:]
    assert "Traceback" not in console
    log = out / "logs/ingest.log"
    if log.exists():
        assert "Traceback" not in log.read_text(encoding="utf-8")
    assert not (out / "clean").exists() or not any((out / "clean").iterdir())
    if before is not None:
        assert sha256_file(path) == before


def test_seeded_identifiers_reach_neither_outputs_nor_logs(work):
    w, _ = work
    files, seeded = make_pii_corpus.build(w / "pii")
    f = files[0]  # the UTF-8 CSV with Chinese column names and free text
    mine = [s for s in seeded if s[2] == f.name]
    run, out = run_ingest(w, "pii", str(f.relative_to(w)), {}, target="log.csv")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "log.csv" for p in written) and any(p.suffix == ".log" for p in written)
    result = make_pii_corpus.scan(written, mine)
    assert sum(v["tried"] for v in result.values()) >= 100
    assert {k: v["leaked"] for k, v in result.items() if v["leaked"]} == {}, result
    assert not any(v in run.stdout + run.stderr for _, v, _ in mine)
