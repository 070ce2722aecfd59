"""A finished version (its manifest exists) is never overwritten: the same inputs are a no-op,
changed inputs stop with a message naming what changed."""

import json

import pytest

from csindex.errors import VersionError
from csindex.io import write_json
from csindex.versioning import (
    build_manifest,
    check_version,
    config_hash,
    input_files,
    overwrite_refusal,
    overwrite_route,
    protect_version,
    seal_path,
    version_status,
)


@pytest.fixture
def study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config/instrument.yaml").write_text("items: []\n", encoding="utf-8")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    cfg = {
        "study": "s",
        "version": "v1",
        "seed": 1,
        "instrument": "config/instrument.yaml",
        "responses": {"path": "data.csv"},
        "design": {"seed": 5},
        "results_dir": "results",
    }
    out = tmp_path / "results/s/v1"
    (out / "clean").mkdir(parents=True)
    (out / "clean/responses.parquet").write_bytes(b"x")
    return cfg, out


def finish(cfg, out):
    write_json(build_manifest(cfg, out, [out / "clean/responses.parquet"]), out / "manifest.json")


def test_a_version_without_manifest_is_unfinished(study):
    cfg, out = study
    assert version_status(out, cfg).state == "unfinished"


def test_a_new_version_is_new(study):
    cfg, out = study
    assert version_status(out.parent / "v2", cfg).state == "new"


def test_same_config_and_inputs_is_finished_without_changes(study):
    cfg, out = study
    finish(cfg, out)
    status = check_version(out, cfg)
    assert status.finished and status.changes == []


def test_changed_config_value_stops_and_names_the_key(study):
    cfg, out = study
    finish(cfg, out)
    cfg = {**cfg, "seed": 2}
    with pytest.raises(VersionError) as e:
        check_version(out, cfg)
    assert "config key seed: was 1, now 2" in str(e.value)
    assert "Choose a new version" in str(e.value)
    assert "version=v2" in str(e.value)


def test_changed_input_file_stops_and_names_the_file(study):
    cfg, out = study
    finish(cfg, out)
    with open("data.csv", "a", encoding="utf-8") as f:
        f.write("3,4\n")
    with pytest.raises(VersionError, match=r"input file data.csv changed"):
        check_version(out, cfg)


def test_changing_only_the_version_label_does_not_change_the_hash(study):
    cfg, _ = study
    assert config_hash(cfg) == config_hash({**cfg, "version": "v7", "results_dir": "elsewhere"})


def test_manifest_records_hashes_seeds_versions_and_times(study):
    cfg, out = study
    finish(cfg, out)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["config_hash"] == config_hash(cfg)
    assert set(m["inputs"]) == {"config/instrument.yaml", "data.csv"}
    assert m["outputs"] == {"clean/responses.parquet": m["outputs"]["clean/responses.parquet"]}
    assert m["seeds"] == {"seed": 1, "design.seed": 5}
    assert {"python", "numpy", "pandas", "snakemake", "csindex"} <= set(m["packages"])
    assert m["git_commit"]  # a commit, or "unknown" outside git
    assert m["started"] <= m["finished"]


def test_input_files_are_the_config_strings_that_name_files(study):
    cfg, _ = study
    assert input_files(cfg) == {
        "instrument": "config/instrument.yaml",
        "responses.path": "data.csv",
    }


def finish_sealed(cfg, out):
    m = build_manifest(cfg, out, [out / "clean/responses.parquet"])
    write_json(m, out / "manifest.json")
    protect_version(out, m)
    return m


def test_a_changed_output_of_a_finished_version_stops_the_run_naming_the_file(study):
    cfg, out = study
    finish_sealed(cfg, out)
    f = out / "clean/responses.parquet"
    f.chmod(0o644)
    f.write_bytes(b"xy")
    with pytest.raises(VersionError) as e:
        check_version(out, cfg)
    msg = str(e.value)
    assert f"output file {f} changed after the version finished" in msg
    assert "Restore these files from a backup" in msg and "version=v2" in msg


def test_a_missing_output_of_a_finished_version_stops_the_run(study):
    cfg, out = study
    finish_sealed(cfg, out)
    (out / "clean").chmod(0o755)
    (out / "clean/responses.parquet").unlink()
    status = version_status(out, cfg)
    assert status.blocked
    assert status.damaged == [f"output file {out / 'clean/responses.parquet'} is missing"]


def test_a_deleted_manifest_is_noticed_through_its_sealed_copy(study):
    cfg, out = study
    finish_sealed(cfg, out)
    assert seal_path(out) == out.parent / ".finished/v1.json"
    out.chmod(0o755)
    (out / "manifest.json").unlink()
    status = version_status(out, cfg)
    assert status.finished and status.blocked
    assert "manifest" in status.damaged[0] and "is missing" in status.damaged[0]


def test_an_intact_sealed_version_is_finished_and_read_only(study):
    cfg, out = study
    finish_sealed(cfg, out)
    status = version_status(out, cfg)
    assert status.finished and not status.blocked
    assert (out / "clean/responses.parquet").stat().st_mode & 0o222 == 0
    assert out.stat().st_mode & 0o222 == 0


@pytest.mark.parametrize(
    "argv,route",
    [
        (["snakemake", "--delete-all-output"], "--delete-all-output"),
        (["snakemake", "--delete-all"], "--delete-all-output"),
        (["snakemake", "--delete-temp-output"], "--delete-temp-output"),
        (["snakemake", "--touch"], "--touch"),
        (["snakemake", "-t"], "--touch"),
        (["snakemake", "--forceall"], "--forceall"),
        (["snakemake", "-pF"], "--forceall"),
        (["snakemake", "-R", "fit_model"], "--forcerun"),
        (["snakemake", "--forcerun=index"], "--forcerun"),
        (["snakemake", "--force", "results/s/v1/index/csi.csv"], "--force"),
        (["snakemake", "-f", "x"], "--force"),
        (["snakemake", "--cores", "2"], None),
        (["snakemake", "-n", "--forceall"], None),
        (["snakemake", "--report", "r.zip"], None),
        (["snakemake", "--force-use-threads"], None),
        (["python", "-m", "snakemake", "--force", "--target-files-omit-workdir-adjustment"], None),
    ],
)
def test_overwrite_routes_are_recognised(argv, route):
    assert overwrite_route(argv) == route


def test_overwrite_route_on_a_finished_version_is_refused(study):
    cfg, out = study
    finish_sealed(cfg, out)
    status = version_status(out, cfg)
    msg = overwrite_refusal(status, ["snakemake", "--delete-all-output"], "s", "v1")
    assert "--delete-all-output" in msg and "never overwritten" in msg
    assert overwrite_refusal(status, ["snakemake"], "s", "v1") is None
    unfinished = version_status(out.parent / "v9", cfg)
    assert overwrite_refusal(unfinished, ["snakemake", "-F"], "s", "v9") is None
