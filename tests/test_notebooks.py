"""The notebooks run top to bottom against a version folder (nbclient).

Here: against a small synthetic version folder that follows the stage contracts (fast).
Against a real demo run (or the folder named by CSINDEX_RESULTS): tests/test_report_workflow.py,
which runs the demo once for the report and the notebooks.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

nbformat = pytest.importorskip("nbformat", reason="the test extra (nbformat) is not installed")
nbclient = pytest.importorskip("nbclient", reason="the test extra (nbclient) is not installed")


# figures each notebook must draw (image outputs) on a version with every stage
MIN_FIGURES = {"01_explore_results.ipynb": 6, "02_model_what_if.ipynb": 2}
IMAGE_TYPES = ("image/png", "image/svg+xml")


def run_notebook(
    path: Path, version_dir: Path | str, timeout: int = 300, pwd: Path | None = None
) -> int:
    """Run the notebook as Jupyter does (kernel in notebooks/, the inline backend) and return
    the number of image outputs; ``pwd`` is the folder the user started Jupyter from."""
    nb = nbformat.read(path, as_version=4)
    keys = ("CSINDEX_RESULTS", "OPENBLAS_NUM_THREADS", "MPLBACKEND", "PWD")
    env_before = {k: os.environ.get(k) for k in keys}
    os.environ["CSINDEX_RESULTS"] = str(version_dir)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ.pop("MPLBACKEND", None)  # as in a user's shell: Jupyter's inline backend
    if pwd is not None:
        os.environ["PWD"] = str(pwd)
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
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if any(t in o.get("data", {}) for t in IMAGE_TYPES)
    )


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
def test_notebook_draws_its_figures_on_a_synthetic_version(name, synthetic_version):
    n = run_notebook(ROOT / "notebooks" / name, synthetic_version)
    assert n >= MIN_FIGURES[name], f"{name} drew {n} figure(s)"


def test_readme_command_with_a_relative_path_from_the_project_folder(synthetic_version):
    """`CSINDEX_RESULTS=results/<study>/<version> jupyter lab notebooks/` typed in the project
    folder: the kernel starts in notebooks/, the path is relative to where the user was."""
    project = synthetic_version.parent.parent
    rel = synthetic_version.relative_to(project)
    n = run_notebook(ROOT / "notebooks" / NOTEBOOKS[0].name, rel, pwd=project)
    assert n >= MIN_FIGURES[NOTEBOOKS[0].name]


def test_missing_version_folder_names_every_place_looked(tmp_path):
    from csindex.errors import InputError
    from csindex.report.folder import resolve_version_dir

    (tmp_path / "proj" / "results" / "s" / "v1").mkdir(parents=True)
    (tmp_path / "proj" / "notebooks").mkdir()
    got = resolve_version_dir("results/s/v1", tmp_path / "proj" / "notebooks", [tmp_path / "proj"])
    assert got == (tmp_path / "proj" / "results" / "s" / "v1").resolve()
    with pytest.raises(InputError, match=r"results/s/v9 not found \(looked in: .*notebooks"):
        resolve_version_dir("results/s/v9", tmp_path / "proj" / "notebooks", [tmp_path / "proj"])
