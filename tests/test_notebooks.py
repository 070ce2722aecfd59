"""The notebooks run top to bottom against a version folder (nbclient).

Default run: against a small synthetic version folder that follows the stage contracts (fast).
Workflow run (``-m workflow``): against a real demo run — the folder named by the environment
variable CSINDEX_RESULTS, or one produced here by running the workflow into a temporary folder.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

nbformat = pytest.importorskip("nbformat", reason="the test extra (nbformat) is not installed")
nbclient = pytest.importorskip("nbclient", reason="the test extra (nbclient) is not installed")


def run_notebook(path: Path, version_dir: Path, timeout: int = 300) -> None:
    nb = nbformat.read(path, as_version=4)
    env_before = {k: os.environ.get(k) for k in ("CSINDEX_RESULTS", "OPENBLAS_NUM_THREADS")}
    os.environ["CSINDEX_RESULTS"] = str(version_dir)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        nbclient.NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute()
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


def test_notebooks_are_stored_without_outputs():
    assert [p.name for p in NOTEBOOKS] == ["01_explore_results.ipynb", "02_model_what_if.ipynb"]
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, p.name


@pytest.fixture(scope="module")
def synthetic_version(tmp_path_factory):
    from csindex.instrument import load_instrument
    from csindex.report.synthetic import write_synthetic_version

    ins = load_instrument(ROOT / "config/instrument.yaml")
    return write_synthetic_version(tmp_path_factory.mktemp("nb") / "demo" / "v1", ins, n=250)


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_on_a_synthetic_version(name, synthetic_version):
    run_notebook(ROOT / "notebooks" / name, synthetic_version)


@pytest.fixture(scope="module")
def demo_version(tmp_path_factory):
    given = os.environ.get("CSINDEX_RESULTS")
    if given:
        if not (Path(given) / "clean/responses.parquet").is_file():
            pytest.skip(f"CSINDEX_RESULTS={given} has no clean/responses.parquet")
        return Path(given)
    # the same folder as tests/test_report_workflow.py: the demo runs once per session
    work = tmp_path_factory.getbasetemp() / "csindex_demo" / "project"
    out = work / "results" / "company_l" / "wftest"
    if not (out / "manifest.json").is_file():
        if not work.exists():
            work.mkdir(parents=True)
            for name in ("Snakefile", "workflow", "config", "scripts"):
                src = ROOT / name
                (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
        snakemake = Path(sys.executable).with_name("snakemake")
        cmd = [
            str(snakemake),
            "--cores",
            "2",
            "-s",
            str(work / "Snakefile"),
            "--directory",
            str(work),
            "--config",
            "version=wftest",
        ]
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=1800)
        if res.returncode != 0 or not (out / "clean/responses.parquet").is_file():
            pytest.skip(
                "the demo run could not be produced (snakemake exit "
                f"{res.returncode}): {res.stderr[-1500:]}"
            )
    return out


@pytest.mark.workflow
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_on_the_demo(name, demo_version):
    run_notebook(ROOT / "notebooks" / name, demo_version)
