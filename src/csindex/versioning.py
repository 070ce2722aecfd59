"""Versioned outputs: results/<study>/<version>/ is written once.

A version is *finished* when its ``manifest.json`` exists. Re-running a finished version with the
same configuration and the same input files is a no-op; running it with a changed configuration or
changed inputs stops before any rule runs, naming what changed, so that a finished version is never
overwritten. The manifest records the config hash, the sha256 of every input file, package
versions, the git commit, the seeds, and start and end times.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import VersionError
from .io import sha256_file

PACKAGES = (
    "csindex",
    "snakemake",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "semopy",
    "matplotlib",
    "pyarrow",
    "pyyaml",
    "jinja2",
)

# Config keys that name where outputs go or how a run is labelled; they do not change results.
_IGNORED_KEYS = ("version", "results_dir")
#: how a run is executed, not what it computes (a batched run writes the same bytes)
_EXECUTION_KEYS = (("programme", "batch_size"),)


def _without_execution_keys(config: dict) -> dict:
    cfg = dict(config)
    for section, key in _EXECUTION_KEYS:
        if isinstance(cfg.get(section), dict) and key in cfg[section]:
            cfg[section] = {k: v for k, v in cfg[section].items() if k != key}
    if isinstance(cfg.get("studies_resolved"), dict):  # a programme's per-study configs
        cfg["studies_resolved"] = {
            k: _without_execution_keys(v) if isinstance(v, dict) else v
            for k, v in cfg["studies_resolved"].items()
        }
    return cfg


def canonical_config(config: dict) -> str:
    """The configuration a version is identified by: without the version name, the results
    folder and the execution settings (``programme.batch_size``), keys sorted."""
    cfg = {k: v for k, v in _without_execution_keys(config).items() if k not in _IGNORED_KEYS}
    return json.dumps(cfg, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_hash(config: dict) -> str:
    """sha256 of the validated configuration (defaults filled), keys sorted."""
    return hashlib.sha256(canonical_config(config).encode("utf-8")).hexdigest()


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = obj
    return out


def input_files(config: dict, base: str | Path = ".") -> dict[str, str]:
    """Every input file the configuration names: config key -> path (existing files only).

    Any string value of the config that is the path of an existing file counts (the instrument,
    a frame or response file, expert judgement files, margins), so a new kind of input needs no
    registration here.
    """
    base = Path(base)
    files: dict[str, str] = {}
    for key, value in _flatten(config).items():
        if key.split(".")[0] in _IGNORED_KEYS or not isinstance(value, str) or not value:
            continue
        if len(value) > 4096 or "\n" in value:
            continue
        p = base / value
        try:
            if p.is_file():
                files[key] = value
            elif p.is_dir() and key.endswith(("dir", "folder", "directory")):
                for f in sorted(p.rglob("*")):
                    if f.is_file():
                        files[f"{key}:{f.relative_to(p)}"] = str(Path(value) / f.relative_to(p))
        except OSError:
            continue
    return files


def input_hashes(config: dict, base: str | Path = ".") -> dict[str, str]:
    """sha256 of every input file, keyed by its path."""
    return {
        path: sha256_file(Path(base) / path)
        for path in sorted(set(input_files(config, base).values()))
    }


def collect_seeds(config: dict) -> dict[str, int]:
    """Every ``seed`` key of the configuration, by its dotted key."""
    return {k: v for k, v in _flatten(config).items() if k == "seed" or k.endswith(".seed")}


def git_commit(base: str | Path = ".") -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=base, capture_output=True, text=True, timeout=10
        )
        if out.returncode == 0:
            commit = out.stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=base,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class VersionStatus:
    """What a run may do with ``out_dir``: ``state`` is "new", "unfinished" or "finished".
    ``changes``: how the run differs from the finished version; ``damaged``: its output files
    that are missing or no longer match the sha256 recorded in the manifest."""

    out_dir: Path
    state: str
    changes: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state == "finished"

    @property
    def blocked(self) -> bool:
        """A finished version that this run must not touch (changed inputs or damaged files)."""
        return self.finished and bool(self.changes or self.damaged)

    def message(self, study: str, version: str) -> str:
        lines: list[str] = []
        where = self.out_dir / "manifest.json"
        if self.damaged:
            lines.append(
                f"Version {version!r} of study {study!r} is finished ({where}) but its files no "
                "longer match the sha256 recorded in its manifest:"
            )
            lines += [f"  - {d}" for d in self.damaged]
            lines.append(
                "Restore these files from a backup (the manifest lists the sha256 each must have), "
                "or run the study under a new version; a finished version is never rewritten."
            )
        if self.changes:
            lines.append(
                f"Version {version!r} of study {study!r} is finished ({where}) and a finished "
                "version is never overwritten, but the run differs from it:"
            )
            lines += [f"  - {c}" for c in self.changes]
        lines.append(
            "Choose a new version: set `version:` in the config file or run with "
            f"--config version=<new>, e.g. --config version={_next_version(version)}"
        )
        return "\n".join(lines)


SEAL_DIR = ".finished"


def seal_path(out_dir: str | Path) -> Path:
    """Where a copy of a finished version's manifest is kept, next to the version folders
    (results/<study>/.finished/<version>.json), so that deleting the whole version folder or its
    manifest is noticed too."""
    out_dir = Path(out_dir)
    return out_dir.parent / SEAL_DIR / f"{out_dir.name}.json"


def verify_outputs(out_dir: str | Path, manifest: dict) -> list[str]:
    """Output files of a finished version that are missing or whose sha256 differs from the
    manifest, one line each."""
    out_dir = Path(out_dir)
    problems: list[str] = []
    for rel, digest in sorted((manifest.get("outputs") or {}).items()):
        path = Path(rel) if Path(rel).is_absolute() else out_dir / rel
        if not path.is_file():
            problems.append(f"output file {path} is missing")
            continue
        now = sha256_file(path)
        if now != digest:
            problems.append(
                f"output file {path} changed after the version finished "
                f"(sha256 {digest[:12]}… in the manifest, {now[:12]}… now)"
            )
    return problems


def protect_version(out_dir: str | Path, manifest: dict) -> None:
    """After the manifest is written: keep a sealed copy of it (see :func:`seal_path`) and make
    the version's files and folders read-only (for users other than root, this also stops
    editors and ``rm`` without ``-f``; the workflow refuses Snakemake's own delete, touch and
    force routes itself, see :func:`overwrite_route`)."""
    import os
    import stat

    out_dir = Path(out_dir)
    seal = seal_path(out_dir)
    seal.parent.mkdir(parents=True, exist_ok=True)
    seal.write_text(json.dumps(manifest, sort_keys=True, indent=2, default=str), encoding="utf-8")
    ro_file = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    ro_dir = ro_file | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    for path in [*sorted(out_dir.rglob("*"), reverse=True), out_dir]:
        try:
            if path.is_symlink():
                continue
            os.chmod(path, ro_dir if path.is_dir() else ro_file)
        except OSError:  # pragma: no cover - another user's file
            continue


# Snakemake options that delete, touch or rewrite existing outputs, with their short forms
_ROUTES_LONG = (
    "--delete-all-output",
    "--delete-temp-output",
    "--touch",
    "--forceall",
    "--forcerun",
    "--force",
    "--cleanup-shadow",
)
_ROUTES_SHORT = {"t": "--touch", "F": "--forceall", "R": "--forcerun", "f": "--force"}
_DRY = ("-n", "--dry-run", "--dryrun", "--summary", "-S", "--detailed-summary", "-D")


def overwrite_route(argv: list[str]) -> str | None:
    """The Snakemake option in ``argv`` that would delete, touch or rewrite outputs (long names
    also abbreviated, as argparse allows; short flags also bundled, as -pF), or None. A dry run
    is harmless."""
    args = [a for a in argv[1:] if isinstance(a, str)]
    if "--target-files-omit-workdir-adjustment" in args:
        return None  # a job Snakemake spawned itself (it always passes --force)

    def short(a: str) -> str:
        return a[1:] if a.startswith("-") and not a.startswith("--") and a[1:].isalpha() else ""

    if any(a in _DRY or "n" in short(a) for a in args):
        return None
    for a in args:
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if name in _ROUTES_LONG:
                return name
            hits = [r for r in _ROUTES_LONG if len(name) >= 5 and r.startswith(name)]
            if hits:
                return hits[0]
        for ch in short(a):
            if ch in _ROUTES_SHORT:
                return _ROUTES_SHORT[ch]
    return None


def overwrite_refusal(
    status: VersionStatus, argv: list[str], study: str, version: str
) -> str | None:
    """The message that stops a run of a finished version with an option that would delete,
    touch or rewrite its files (None when the run may go on)."""
    if not status.finished:
        return None
    route = overwrite_route(argv)
    if route is None:
        return None
    return (
        f"Version {version!r} of study {study!r} is finished ({status.out_dir / 'manifest.json'}) "
        f"and is never overwritten: {route} would delete, touch or rewrite its files, so the run "
        "was stopped. To recompute, run under a new version (--config version="
        f"{_next_version(version)}); to remove the version on purpose, delete the folder "
        f"yourself (chmod -R u+w {status.out_dir} && rm -r {status.out_dir} "
        f"{seal_path(status.out_dir)})."
    )


def _next_version(version: str) -> str:
    head = version.rstrip("0123456789")
    tail = version[len(head) :]
    return f"{head}{int(tail) + 1}" if tail else f"{version}_2"


def version_status(out_dir: str | Path, config: dict, base: str | Path = ".") -> VersionStatus:
    """Compare a configuration and its input files with a finished version's manifest."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    seal = seal_path(out_dir)
    damaged: list[str] = []
    if not manifest_path.exists():
        if not seal.is_file():
            return VersionStatus(out_dir, "unfinished" if out_dir.exists() else "new")
        damaged.append(f"the manifest {manifest_path} is missing (its sealed copy {seal} exists)")
        manifest_path = seal
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        if seal.is_file() and manifest_path != seal:
            damaged.append(f"the manifest {manifest_path} is unreadable ({e})")
            manifest = json.loads(seal.read_text(encoding="utf-8"))
        else:
            return VersionStatus(
                out_dir, "finished", damaged=[f"the manifest {manifest_path} is unreadable ({e})"]
            )
    if seal.is_file() and manifest_path != seal:
        sealed = json.loads(seal.read_text(encoding="utf-8"))
        if sealed.get("outputs") != manifest.get("outputs") or sealed.get(
            "config_hash"
        ) != manifest.get("config_hash"):
            damaged.append(f"the manifest {manifest_path} differs from its sealed copy {seal}")
    damaged += verify_outputs(out_dir, manifest)
    changes: list[str] = []
    if manifest.get("config_hash") != config_hash(config):
        old = _flatten(
            {k: v for k, v in manifest.get("config", {}).items() if k not in _IGNORED_KEYS}
        )
        new = _flatten({k: v for k, v in config.items() if k not in _IGNORED_KEYS})
        keys = sorted(set(old) | set(new))
        diff = [k for k in keys if old.get(k, "<absent>") != new.get(k, "<absent>")]
        for k in diff[:20]:
            changes.append(
                f"config key {k}: was {old.get(k, '<absent>')!r}, now {new.get(k, '<absent>')!r}"
            )
        if len(diff) > 20:
            changes.append(f"... and {len(diff) - 20} more config keys")
        if not diff:
            changes.append("the configuration changed (its hash differs)")
    old_inputs: dict[str, str] = manifest.get("inputs", {})
    new_inputs = input_hashes(config, base)
    for path in sorted(set(old_inputs) | set(new_inputs)):
        if path not in new_inputs:
            changes.append(f"input file {path} is no longer used")
        elif path not in old_inputs:
            changes.append(f"input file {path} is new")
        elif old_inputs[path] != new_inputs[path]:
            changes.append(
                f"input file {path} changed (sha256 {old_inputs[path][:12]}… → {new_inputs[path][:12]}…)"
            )
    return VersionStatus(out_dir, "finished", changes, damaged)


def check_version(out_dir: str | Path, config: dict, base: str | Path = ".") -> VersionStatus:
    """Raise :class:`VersionError` when a finished version would be run with other inputs."""
    status = version_status(out_dir, config, base)
    if status.blocked:
        raise VersionError(status.message(config.get("study", "?"), config.get("version", "?")))
    return status


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.UTC).isoformat(timespec="seconds")


def build_manifest(
    config: dict,
    out_dir: str | Path,
    outputs: list[str | Path],
    base: str | Path = ".",
    started: float | None = None,
    ended: float | None = None,
) -> dict[str, Any]:
    """The manifest of a finished version (written last, it marks the version as finished)."""
    import time

    out_dir = Path(out_dir)
    outs = sorted({str(o) for o in outputs})
    if started is None:
        mtimes = [Path(o).stat().st_mtime for o in outs if Path(o).exists()]
        started = min(mtimes) if mtimes else time.time()
    ended = ended if ended is not None else time.time()
    return {
        "study": config.get("study"),
        "version": config.get("version"),
        "config_hash": config_hash(config),
        "config": config,
        "inputs": input_hashes(config, base),
        "outputs": {
            str(Path(o).relative_to(out_dir))
            if Path(o).is_relative_to(out_dir)
            else o: sha256_file(o)
            for o in outs
            if Path(o).is_file()
        },
        "seeds": collect_seeds(config),
        "packages": package_versions(),
        "platform": platform.platform(),
        "git_commit": git_commit(base),
        "started": _iso(started),
        "finished": _iso(ended),
    }
