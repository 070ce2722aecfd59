"""Rule report in the real workflow: the demo is run in a temporary copy of the project
(``pytest -m workflow``); the report shows every stage that ran and is byte-identical when the
rule runs again."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow
STAGE_FILES = {
    "summary": "index/csi.csv",
    "questions": "clean/responses.parquet",
    "model": "model/estimates.csv",
}


def snakemake(work: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("snakemake")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [str(exe), "--cores", "2", "-s", str(work / "Snakefile"), "--directory", str(work), *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def demo_run(base: Path, version: str = "wftest") -> Path:
    """The demo study run in a copy of the project under ``base`` (reused when present)."""
    work = base / "project"
    out = work / "results" / "company_l" / version
    if (out / "manifest.json").is_file():
        return out
    if not work.exists():
        work.mkdir(parents=True)
        for name in ("Snakefile", "workflow", "config", "scripts"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
    res = snakemake(work, "--config", f"version={version}")
    if res.returncode != 0:
        pytest.fail(f"the demo run failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_run(tmp_path_factory.getbasetemp() / "csindex_demo")


def test_demo_ends_with_the_report(demo):
    html = (demo / "report/report.html").read_text(encoding="utf-8")
    for sec in ("summary", "method", "questions", "model", "ipa", "appendix"):
        assert f'<section id="{sec}"' in html
    for sec, rel in STAGE_FILES.items():
        ran = (demo / rel).is_file()
        assert re.search(rf'<section id="{sec}" class="{"ran" if ran else "not-run"}"', html), sec
    n_fig = html.count("<figure ")
    assert n_fig == html.count('src="data:image/svg+xml;base64,') and n_fig >= 7


@pytest.mark.parametrize("name", ["01_explore_results.ipynb", "02_model_what_if.ipynb"])
def test_notebook_draws_its_figures_on_the_demo(name, request):
    """The notebooks on a real run: the folder named by CSINDEX_RESULTS, or this file's demo run
    (here, so that one worker runs the demo once for the report and the notebooks)."""
    pytest.importorskip("nbclient", reason="the test extra (nbclient) is not installed")
    from test_notebooks import MIN_FIGURES, run_notebook

    given = os.environ.get("CSINDEX_RESULTS")
    if given and not (Path(given) / "clean/responses.parquet").is_file():
        pytest.skip(f"CSINDEX_RESULTS={given} has no clean/responses.parquet")
    version = Path(given) if given else request.getfixturevalue("demo")
    n = run_notebook(ROOT / "notebooks" / name, version)
    assert n >= MIN_FIGURES[name], f"{name} drew {n} figure(s)"


def test_report_rule_rerun_is_byte_identical(demo):
    work = demo.parents[2]
    first = (demo / "report/report.html").read_bytes()
    (demo / "report/report.html").unlink()
    (demo / "manifest.json").unlink()
    # un-finishing a version on purpose also removes its sealed manifest copy (issue 12)
    (demo.parent / ".finished" / f"{demo.name}.json").unlink()
    res = snakemake(work, "--config", f"version={demo.name}")
    assert res.returncode == 0, res.stderr[-3000:]
    assert (demo / "report/report.html").read_bytes() == first


def test_snakemake_report_zip_works_offline(demo):
    work = demo.parents[2]
    target = str((demo / "manifest.json").relative_to(work))
    res = snakemake(
        work, "--report", str(work / "report.zip"), "--config", f"version={demo.name}", "--", target
    )
    assert res.returncode == 0, res.stderr[-3000:]
    import zipfile

    names = zipfile.ZipFile(work / "report.zip").namelist()
    ours = [n for n in names if n.startswith("report/data/raw/") and n.endswith("/report.html")]
    assert len(ours) == 1, names
    inner = zipfile.ZipFile(work / "report.zip").read(ours[0])
    assert inner == (demo / "report/report.html").read_bytes()


def test_weighted_answer_shares_agree_with_the_weighting_stage(demo):
    """report/questions.csv's weighted percentages and their design-based SEs are the weights
    stage's (weights/estimates.csv, domain 'all': proportions per answer)."""
    import numpy as np
    import pandas as pd

    est_file = demo / "weights/estimates.csv"
    if not est_file.is_file():
        pytest.skip("the weights stage wrote no estimates.csv")
    est = pd.read_csv(est_file)
    est = est[est["domain"] == "all"]
    q = pd.read_csv(demo / "report/questions.csv")
    assert q.columns.tolist() == [
        "item",
        "value",
        "label",
        "n",
        "pct",
        "pct_weighted",
        "se_weighted",
    ]
    stat = "statistic" if "statistic" in est.columns else None
    if stat is None or not (est[stat] == "proportion").any():
        pytest.skip("the weights stage wrote no proportions")
    prop = est[est[stat] == "proportion"].rename(columns={"variable": "item", "category": "value"})
    prop["value"] = pd.to_numeric(prop["value"], errors="coerce")
    j = prop.merge(q.dropna(subset=["pct_weighted"]), on=["item", "value"], how="inner")
    assert len(j) > 0.5 * len(prop)
    np.testing.assert_allclose(j["pct_weighted"] / 100, j["estimate"], rtol=1e-9)
    np.testing.assert_allclose(j["se_weighted"] / 100, j["se"], rtol=1e-7)
