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


def canonical_config(config: dict) -> str:
    cfg = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
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
    """What a run may do with ``out_dir``: ``state`` is "new", "unfinished" or "finished"."""

    out_dir: Path
    state: str
    changes: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state == "finished"

    def message(self, study: str, version: str) -> str:
        lines = [
            f"Version {version!r} of study {study!r} is finished ({self.out_dir / 'manifest.json'}) "
            "and a finished version is never overwritten, but the run differs from it:"
        ]
        lines += [f"  - {c}" for c in self.changes]
        lines.append(
            "Choose a new version: set `version:` in the config file or run with "
            f"--config version=<new>, e.g. --config version={_next_version(version)}"
        )
        return "\n".join(lines)


def _next_version(version: str) -> str:
    head = version.rstrip("0123456789")
    tail = version[len(head) :]
    return f"{head}{int(tail) + 1}" if tail else f"{version}_2"


def version_status(out_dir: str | Path, config: dict, base: str | Path = ".") -> VersionStatus:
    """Compare a configuration and its input files with a finished version's manifest."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.exists():
        return VersionStatus(out_dir, "unfinished" if out_dir.exists() else "new")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
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
    return VersionStatus(out_dir, "finished", changes)


def check_version(out_dir: str | Path, config: dict, base: str | Path = ".") -> VersionStatus:
    """Raise :class:`VersionError` when a finished version would be run with other inputs."""
    status = version_status(out_dir, config, base)
    if status.finished and status.changes:
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
