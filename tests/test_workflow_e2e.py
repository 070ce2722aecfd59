"""The demo study runs end to end with Snakemake in a temporary directory (CI size), a re-run is
a no-op, and a changed config under the finished version stops without touching its files."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

COPY = ["Snakefile", "workflow", "config", "scripts", "data"]


def snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def demo_run(repo_root, tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    for name in COPY:
        src = repo_root / name
        if src.is_dir():
            shutil.copytree(src, work / name)
        elif src.exists():
            shutil.copy2(src, work / name)
    run = snakemake(work, "--configfile", "config/examples/ci.yaml")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return work, work / "results/company_l_ci/v1"


def snapshot(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_demo_writes_a_manifest_that_lists_its_outputs(demo_run):
    _, out = demo_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["study"] == "company_l_ci"
    for rel in manifest["outputs"]:
        assert (out / rel).is_file()


def _keys(d) -> set[str]:
    if isinstance(d, dict):
        return set(map(str, d)) | {k for v in d.values() for k in _keys(v)}
    if isinstance(d, list):
        return {k for v in d for k in _keys(v)}
    return set()


def _truth_names(names) -> list[str]:
    return [n for n in names if re.search(r"truth|injected|^error|covers", n)]


def test_production_outputs_carry_no_truth_and_validate_compares_with_it(demo_run):
    import pandas as pd

    _, out = demo_run
    for rel in ("clean/summary.json", "weights/diagnostics.json", "report/diagnostics.json"):
        assert not _truth_names(_keys(json.loads((out / rel).read_text(encoding="utf-8"))))
    for rel in ("index/csi.csv", "index/ipa.csv", "weights/estimates.csv"):
        assert not _truth_names(pd.read_csv(out / rel).columns)
    # rule validate: the same study against fieldwork/truth.json
    truth = json.loads((out / "fieldwork/truth.json").read_text(encoding="utf-8"))
    v = json.loads((out / "validation/truth.json").read_text(encoding="utf-8"))
    assert v["cleaning"]["all_match"]
    assert v["item_means"]["items"] == len(truth["item_means"])
    assert v["csi_truth"] == truth["csi"]["overall"]
    table = pd.read_csv(out / "validation/truth.csv")
    csi = pd.read_csv(out / "index/csi.csv")
    ix = table[(table["kind"] == "index") & (table["statistic"] == "index:CS")].iloc[0]
    cs = csi[(csi["construct"] == "CS") & (csi["group_var"] == "overall")].iloc[0]
    assert (ix["estimate"], ix["se"]) == (cs["index"], cs["se"])
    assert ix["truth"] == pytest.approx(truth["construct_scores"]["overall"]["CS"], rel=1e-9)
    assert ix["covered"] == (cs["ci_lower"] <= ix["truth"] <= cs["ci_upper"])
    assert {"item_mean", "index", "index_population"} <= set(table["kind"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"validation/truth.json", "validation/truth.csv"} <= set(manifest["outputs"])


def test_demo_rerun_with_same_inputs_is_a_noop(demo_run):
    work, out = demo_run
    before = snapshot(out)
    run = snakemake(work, "--configfile", "config/examples/ci.yaml")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "nothing to do" in run.stderr
    assert snapshot(out) == before


def test_changed_config_under_finished_version_stops_and_changes_nothing(demo_run):
    work, out = demo_run
    before = snapshot(out)
    run = snakemake(work, "--configfile", "config/examples/ci.yaml", "--config", "seed=99")
    assert run.returncode != 0
    assert "config key seed: was" in run.stdout + run.stderr
    assert "Choose a new version" in run.stdout + run.stderr
    assert snapshot(out) == before


def test_forced_rerun_of_a_finished_version_is_refused(demo_run):
    work, out = demo_run
    before = snapshot(out)
    target = str((out / "manifest.json").relative_to(work))
    run = snakemake(work, "--configfile", "config/examples/ci.yaml", "--forceall", target)
    assert run.returncode != 0
    assert "never overwritten" in run.stdout + run.stderr
    assert snapshot(out) == before


EXAMPLES = sorted(
    p.name
    for p in (Path(__file__).parents[1] / "config/examples").glob("*.yaml")
    if not p.name.endswith("_instrument.yaml")
)


@pytest.fixture(scope="module")
def example_plans(repo_root, tmp_path_factory):
    """``snakemake -n`` of every example config, two at a time (each is mostly start-up)."""
    from concurrent.futures import ThreadPoolExecutor

    def plan(example):
        out = tmp_path_factory.mktemp(example.replace(".", "_"))
        return snakemake(
            repo_root, "-n", "--nolock", "--configfile", f"config/examples/{example}",
            "--config", f"results_dir={out}",
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(EXAMPLES, pool.map(plan, EXAMPLES), strict=True))


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_config_plans_the_whole_study(example_plans, example):
    run = example_plans[example]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "manifest" in run.stdout


def test_only_a_study_with_simulated_fieldwork_plans_a_validate_job(example_plans):
    jobs = re.compile(r"^validate\s+1\s*$", re.M)
    assert jobs.search(example_plans["ci.yaml"].stdout)
    # a study with the user's own response file (responses.path) has no truth to compare with
    mobi = example_plans["ecsi_mobi.yaml"]
    assert mobi.returncode == 0 and "manifest" in mobi.stdout
    assert "validate" not in mobi.stdout


@pytest.mark.slow
# programme.yaml (80 study x waves) is too large for a test; .ci/run runs programme_ci.yaml
# (locally and through SLURM, outputs compared), so it is not run a third time here.
@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e not in ("programme.yaml", "programme_ci.yaml")]
)
def test_every_example_config_runs_to_its_manifest(repo_root, tmp_path, example):
    run = snakemake(
        repo_root,
        "--configfile",
        f"config/examples/{example}",
        "--config",
        f"results_dir={tmp_path}",
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert list(tmp_path.glob("*/*/manifest.json"))


# ------------------------------------------------ a finished version against Snakemake's routes
ROUTES = {
    "delete-all-output": ["--delete-all-output"],
    "delete-temp-output": ["--delete-temp-output"],
    "touch": ["--touch"],
    "forceall": ["--forceall"],
    "forcerun": ["-R", "fit_model"],
    "force-target": ["--force", "{out}/index/csi.csv"],
    "forceall-no-hooks": ["--forceall", "--no-hooks"],
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_snakemake_routes_that_would_overwrite_a_finished_version_are_refused(demo_run, route):
    work, out = demo_run
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    stamps = snapshot(out)
    rel = str(out.relative_to(work))
    args = [a.format(out=rel) for a in ROUTES[route]]
    target = [] if "--force" in args else [f"{rel}/manifest.json"]
    run = snakemake(work, "--configfile", "config/examples/ci.yaml", *args, *target)
    text = run.stdout + run.stderr
    assert run.returncode != 0, text[-3000:]
    assert "never overwritten" in text
    assert "Traceback" not in text
    assert snapshot(out) == stamps
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_damaged_finished_version_stops_the_run_naming_the_file(demo_run):
    import os

    work, out = demo_run
    csi = out / "index/csi.csv"
    original = csi.read_bytes()
    os.chmod(csi, 0o644)
    try:
        csi.write_bytes(original + b"extra,row\n")
        run = snakemake(work, "--configfile", "config/examples/ci.yaml")
        text = run.stdout + run.stderr
        assert run.returncode != 0
        assert f"output file {csi.relative_to(work)} changed" in text
        assert "Restore these files from a backup" in text
        assert csi.read_bytes() == original + b"extra,row\n"  # the run wrote nothing
        csi.unlink()
        run = snakemake(work, "--configfile", "config/examples/ci.yaml")
        assert run.returncode != 0
        assert f"output file {csi.relative_to(work)} is missing" in run.stdout + run.stderr
        assert not csi.exists()
    finally:
        csi.write_bytes(original)
        os.chmod(csi, 0o444)
    run = snakemake(work, "--configfile", "config/examples/ci.yaml")
    assert run.returncode == 0 and "nothing to do" in run.stderr


def test_a_stale_lock_after_a_crash_is_explained_with_the_exact_command(demo_run):
    import os
    import signal
    import time

    work, _ = demo_run
    args = ["--configfile", "config/examples/ci.yaml", "--config", "version=crashed"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    locks = work / ".snakemake/locks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (locks.is_dir() and any(locks.iterdir())):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # a crash: no clean-up, the lock stays
    proc.wait()
    assert any(locks.iterdir())
    run = snakemake(work, *args)
    text = run.stdout + run.stderr
    assert run.returncode != 0
    command = "snakemake --unlock --configfile config/examples/ci.yaml --config version=crashed"
    assert command in text
    unlock = snakemake(work, *command.split()[1:])
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    assert not (locks.is_dir() and any(locks.iterdir()))
    plan = snakemake(work, "-n", *args)
    assert plan.returncode == 0 and "Snakemake's lock" not in plan.stderr
