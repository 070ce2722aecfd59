"""A programme in batches (programme.batch_size) through Snakemake: one job per batch of studies
instead of one per rule, study and wave; the same bytes as the per-rule run; a re-run does
nothing; a failing study is named on the console by rule, study and wave."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.workflow

ROOT = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "workflow", "config", "scripts", "data"]
SHEET = (
    "study\twave\tindustry\tsector\trevenue\tresponses\n"
    "A\t2026Q2\tI1\tS1\t2\tdata/ecsi/ecsi_mobi.csv\n"
    "A\t2026Q3\tI1\tS1\t2\tdata/ecsi/ecsi_mobi.csv\n"
    "B\t2026Q3\tI2\tS2\t1\tdata/ecsi/ecsi_mobi.csv\n"
    "C\t2026Q3\tI2\tS2\t1\tdata/ecsi/ecsi_mobi.csv\n"
)


def _compare():
    spec = importlib.util.spec_from_file_location(
        "compare_outputs", ROOT / ".ci/compare_outputs.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def programme_config(work: Path, name: str, batch_size: int, sheet: str = SHEET) -> str:
    """The ECSI study as a programme of three companies (company A in two waves); the sheet is
    named by its content, so two configs with the same sheet differ only in batch_size."""
    cfg = yaml.safe_load((work / "config/examples/ecsi_mobi.yaml").read_text(encoding="utf-8"))
    sheet_name = "studies.tsv" if sheet == SHEET else f"{name}.tsv"
    (work / sheet_name).write_text(sheet, encoding="utf-8")
    (work / "sectors.tsv").write_text("sector\tweight\nS1\t0.6\nS2\t0.4\n", encoding="utf-8")
    cfg.update(
        study="prog",
        programme={
            "name": "prog",
            "studies": sheet_name,
            "sectors": "sectors.tsv",
            "batch_size": batch_size,
        },
        bootstrap={"replicates": 10, "shards": 2, "jackknife_groups": 10},
    )
    (work / f"{name}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return f"{name}.yaml"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    w = tmp_path_factory.mktemp("batched")
    for name in COPY:
        src = ROOT / name
        shutil.copytree(src, w / name) if src.is_dir() else shutil.copy2(src, w / name)
    return w


def test_a_batched_programme_is_one_job_per_batch(work):
    run = snakemake(work, "-n", "--configfile", programme_config(work, "plan", batch_size=2))
    assert run.returncode == 0, run.stderr[-3000:]
    stats = run.stdout.split("Job stats:")[-1].split("\n\n")[0].splitlines()
    jobs = {r.split()[0]: int(r.split()[1]) for r in stats if re.fullmatch(r"\S+\s+\d+", r)}
    # studies A (two waves) and B in batch 1, C in batch 2; everything else is programme-level
    assert jobs == {
        "study_batch_1": 1, "study_batch_2": 1, "rollup": 1, "programme_report": 1,
        "manifest": 1, "all": 1, "total": 6,
    }  # fmt: skip


@pytest.fixture(scope="module")
def both_routes(work):  # ~2.5 min on 2 cores: the tests using it are slow checks
    """The same programme run with one job per rule and in batches, into the same results path
    (outputs name their input paths), the first moved aside."""
    per_rule = snakemake(work, "--configfile", programme_config(work, "per_rule", batch_size=0))
    assert per_rule.returncode == 0, per_rule.stdout[-3000:] + per_rule.stderr[-3000:]
    shutil.move(work / "results", work / "results_per_rule")
    batched = snakemake(work, "--configfile", programme_config(work, "batched", batch_size=2))
    assert batched.returncode == 0, batched.stdout[-3000:] + batched.stderr[-3000:]
    return work / "results_per_rule", work / "results", batched


@pytest.mark.slow
def test_batches_write_the_same_bytes_as_one_job_per_rule(both_routes, capsys):
    per_rule, batched, _ = both_routes
    assert _compare()(per_rule, batched) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert int(out.split(" files compared")[0].split()[-1]) > 150


@pytest.mark.slow
def test_every_batched_job_keeps_its_log_and_benchmark(both_routes):
    per_rule, batched, _ = both_routes
    for tree in (per_rule, batched):
        wave = tree / "prog/v1/studies/A/2026Q3"
        assert (wave / "logs/fit_model.log").stat().st_size > 0
        assert (wave / "benchmarks/bootstrap_shard_1.tsv").read_text().startswith("s\th:m:s")
    log = (batched / "prog/v1/logs/study_batch_1.log").read_text(encoding="utf-8")
    assert "rule report (study A, wave 2026Q3)" in log and "rule study_trend (study A)" in log
    assert log.index("(study A, wave 2026Q2)") < log.index("rule index (study A, wave 2026Q3)")


@pytest.mark.slow
def test_a_rerun_of_the_batched_programme_does_nothing(work, both_routes):
    run = snakemake(work, "--configfile", "batched.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "is finished" in run.stderr and "nothing to do" in run.stderr


@pytest.mark.slow
def test_a_failing_study_is_named_by_rule_study_and_wave(work, both_routes):
    (work / "empty.csv").write_text("", encoding="utf-8")
    sheet = SHEET.replace(
        "B\t2026Q3\tI2\tS2\t1\tdata/ecsi/ecsi_mobi.csv", "B\t2026Q3\tI2\tS2\t1\tempty.csv"
    )
    config = programme_config(work, "broken", batch_size=2, sheet=sheet)
    run = snakemake(work, "--configfile", config, "--config", "version=broken")
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith("ERROR: ")]
    assert errors and errors[0].startswith("ERROR: rule ingest (study B, wave 2026Q3): "), errors
    assert "empty.csv" in errors[0] and "Traceback" not in run.stderr
