"""The thin scripts of rules ingest and clean, run without Snakemake on the real ECSI file (a
study that starts at the responses): outputs written, byte-identical on a re-run, input
unchanged."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest

from csindex.config import load_config
from csindex.errors import InputErrors
from csindex.io import read_json, sha256_file

ROOT = Path(__file__).resolve().parents[1]


class _Named(dict):
    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None


def _run(script: str, inputs: dict, outputs: dict, params: dict, log: Path) -> None:
    smk = type("S", (), {})()
    smk.input, smk.output, smk.params = _Named(inputs), _Named(outputs), _Named(params)
    smk.log, smk.threads = [str(log)], 1
    runpy.run_path(str(ROOT / "scripts" / script), init_globals={"snakemake": smk})


def _stage(out: Path, cfg: dict) -> None:
    inst = str(ROOT / cfg["instrument"])
    ing = {"data": str(out / "ingested.parquet"), "report": str(out / "ingest.json")}
    _run(
        "ingest.py",
        {"raw": str(ROOT / cfg["responses"]["path"]), "instrument": inst},
        ing,
        {k: cfg[k] for k in ("responses", "cleaning", "privacy")} | {"seed": cfg["seed"]},
        out / "ingest.log",
    )
    _run(
        "clean.py",
        {**ing, "instrument": inst, "dispositions": [], "injected": []},
        {
            "responses": str(out / "responses.parquet"),
            "log": str(out / "log.csv"),
            "summary": str(out / "summary.json"),
            "dispositions": str(out / "dispositions.csv"),
            "pilot": str(out / "pilot_items.csv"),
        },
        {"responses": cfg["responses"], "cleaning": cfg["cleaning"]},
        out / "clean.log",
    )


@pytest.fixture
def ecsi_cfg():
    return load_config(ROOT / "config/config.yaml", ROOT / "config/examples/ecsi_mobi.yaml")


def test_scripts_run_the_ecsi_example(tmp_path, ecsi_cfg, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    raw = ROOT / ecsi_cfg["responses"]["path"]
    before = sha256_file(raw)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _stage(a, ecsi_cfg)
    _stage(b, ecsi_cfg)
    assert sha256_file(raw) == before
    data = pd.read_parquet(a / "responses.parquet")
    assert data.shape == (250, 25) and data["respondent_id"].iloc[0] == "1"
    summary = read_json(a / "summary.json")
    assert summary["rows_out"] == 250 and summary["dispositions"]["available"] is False
    assert read_json(a / "ingest.json")["encoding"] == "utf-8"
    for f in sorted(a.glob("*")):
        if f.suffix != ".log":
            assert sha256_file(f) == sha256_file(b / f.name), f.name


def test_ingest_script_stops_with_the_problem_list(tmp_path, ecsi_cfg, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    bad = tmp_path / "bad.csv"
    df = pd.read_csv(ROOT / ecsi_cfg["responses"]["path"]).drop(columns=["CUSA2"])
    df.to_csv(bad, index=False)
    cfg = dict(
        ecsi_cfg, responses=dict(ecsi_cfg["responses"], path=str(bad), id_column="Unnamed: 0")
    )
    with pytest.raises(InputErrors, match="item column 'CUSA2' of the instrument is missing"):
        _stage(tmp_path, cfg)
    assert not (tmp_path / "ingested.parquet").exists()
