"""The programme in the workflow, planned (dry runs): study x wave wildcards, the roll-up and
its report, validation of the sheet before any rule runs, refusal of several --configfile
files, and the module route (prefixed rule names) still listing every output in the manifest."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow
ROOT = Path(__file__).resolve().parents[1]


def snakemake(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_programme_plans_every_study_wave_and_the_rollup(tmp_path):
    run = snakemake(
        "-n", "--configfile", "config/examples/programme_ci.yaml",
        "--config", f"results_dir={tmp_path}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    for study in ("C001", "C008"):
        for wave in ("2026Q2", "2026Q3"):
            assert f"{tmp_path}/csi_ci/v1/studies/{study}/{wave}/index/csi.csv" in out
        assert f"{tmp_path}/csi_ci/v1/studies/{study}/trend.csv" in out
    for name in ("companies", "industries", "sectors", "national", "trends"):
        assert f"{tmp_path}/csi_ci/v1/programme/{name}.csv" in out
    assert f"{tmp_path}/csi_ci/v1/programme/report.html" in out
    # the manifest of the programme version lists the outputs of every study x wave
    manifest = out.split("rule manifest:")[1].split("output:")[0]
    assert manifest.count("/report/report.html") == 16
    # every study is simulated: each is validated, and the roll-up's truth columns come from
    # validation/truth.json (the index tables carry no truth)
    assert manifest.count("/validation/truth.json") == 16
    rollup = out.split("rule rollup:")[1].split("output:")[0]
    assert rollup.count("/validation/truth.json") == 16


def test_a_bad_sheet_stops_before_any_rule(tmp_path):
    sheet = tmp_path / "studies.tsv"
    sheet.write_text(
        "study\twave\tindustry\tsector\trevenue\nA\t2026Q2\tI1\tS1\t1\nB\t2026Q9\tI1\tS1\t1\n",
        encoding="utf-8",
    )
    run = snakemake(
        "-n", "--configfile", "config/examples/programme_ci.yaml",
        "--config", f"programme={{studies: {sheet}, sectors: config/programme/ci_sectors.tsv}}",
        f"results_dir={tmp_path}",
    )  # fmt: skip
    assert run.returncode != 0
    msg = run.stdout + run.stderr
    assert f"file {sheet}, row 2, column 'wave'" in msg and "YYYYQn" in msg
    assert "Traceback" not in msg and not any(tmp_path.glob("*/v1"))


def test_several_configfiles_are_refused(tmp_path):
    run = snakemake(
        "-n", "--configfile", "config/examples/ecsi_mobi.yaml",
        "config/examples/design_stratified.yaml", "--config", f"results_dir={tmp_path}",
    )  # fmt: skip
    assert run.returncode != 0
    assert "would merge them into one study" in run.stdout + run.stderr
    assert "programme.studies" in run.stdout + run.stderr


def test_module_route_lists_every_output_in_the_manifest(tmp_path):
    work = tmp_path / "wrapper"
    work.mkdir()
    for name in ("config", "data"):
        shutil.copytree(ROOT / name, work / name)
    (work / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n\n\n'
        f'module csindex:\n    snakefile:\n        "{ROOT / "Snakefile"}"\n'
        "    config:\n        config\n\n\n"
        "use rule * from csindex as cs_*\n",
        encoding="utf-8",
    )
    run = snakemake("-n", "--config", f"results_dir={tmp_path}/results", cwd=work)
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = run.stdout.split("rule cs_manifest:")[1].split("output:")[0]
    for rel in ("clean/responses.parquet", "model/estimates.csv", "index/csi.csv",
                "report/report.html"):  # fmt: skip
        assert f"company_l/v1/{rel}" in manifest


def test_a_programme_without_study_reports_plans_none(tmp_path):
    import yaml

    cfg = yaml.safe_load((ROOT / "config/examples/programme_ci.yaml").read_text(encoding="utf-8"))
    cfg["programme"]["study_reports"] = False
    config = tmp_path / "no_reports.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    run = snakemake("-n", "--configfile", str(config), "--config", f"results_dir={tmp_path}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "rule report:" not in run.stdout and "/report/report.html" not in run.stdout
    assert f"{tmp_path}/csi_ci/v1/programme/report.html" in run.stdout  # the programme's own
    manifest = run.stdout.split("rule manifest:")[1].split("output:")[0]
    assert manifest.count("/index/csi.csv") == 16
