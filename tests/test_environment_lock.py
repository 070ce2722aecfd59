"""The workflow's environment is pinned: every dependency of pyproject.toml (and of the cluster
extra) has one exact version in workflow/envs/requirements.lock, inside its lower bound."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def _lock(root) -> dict[str, Version]:
    pins = {}
    for line in (root / "workflow/envs/requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1).split("[")[0])] = Version(m.group(2))
    return pins


def test_every_dependency_is_pinned_within_its_bound(repo_root) -> None:
    meta = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["cluster"]]
    pins = _lock(repo_root)
    missing = [r.name for r in reqs if canonicalize_name(r.name) not in pins]
    assert missing == []
    outside = [
        f"{r.name}=={pins[canonicalize_name(r.name)]} not in {r.specifier}"
        for r in reqs
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == []


def test_conda_env_installs_the_lock(repo_root) -> None:
    env = (repo_root / "workflow/envs/csindex.yaml").read_text()
    assert "-r requirements.lock" in env and "--no-deps -e ../.." in env
