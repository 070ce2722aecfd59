"""Checks that need more than the JSON schema, run before any rule (from common.smk).

Each check returns one line per problem, naming the config key (or file and line) and what is
allowed; :func:`preflight` collects them all. What is checked: config files and the instrument
have no key given twice; the instrument's missing codes lie outside its scales; the response
file is a file; hashing has a secret salt; ``model.syntax`` (or the acsi/ecsi model) parses
against the instrument; a fixed allocation names the frame's strata (when they are known from
the config) with sizes that add up; calibration margins given in the config are consistent
(categories, totals, shares); and the expert files of the indicator weights are readable and
consistent with the indicator system.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import CsindexError


def _line(e: Exception) -> str:
    return " ".join(str(e).split())


def duplicate_key_problems(files: Iterable[str | Path]) -> list[str]:
    """Config files (as given with --configfile) with a key given twice."""
    from .config import load_yaml_strict

    out = []
    for f in files:
        try:
            load_yaml_strict(f)
        except CsindexError as e:
            out.append(_line(e))
    return out


def instrument_problems(config: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """The instrument (or None) and its problems: duplicate keys, missing codes on the scale."""
    from .cleaning.codebook import missing_code_problems
    from .instrument import load_instrument

    try:
        inst = load_instrument(config["instrument"])
    except (CsindexError, ValueError, KeyError, TypeError) as e:
        return None, [_line(e)]
    return inst, [f"config key instrument: {p}" for p in missing_code_problems(inst)]


def responses_problems(config: Mapping[str, Any]) -> list[str]:
    path = (config.get("responses") or {}).get("path")
    if path and Path(path).is_dir():
        return [
            f"config key responses.path: {path!r} is a folder, not a file; give the path of the "
            "response file itself (CSV, Excel, SPSS .sav or Parquet)"
        ]
    return []


def privacy_problems(config: Mapping[str, Any]) -> list[str]:
    from .cleaning.privacy import SALT_HELP

    p = config.get("privacy") or {}
    if p.get("action") == "hash":
        env = p.get("salt_env", "CSINDEX_SALT")
        if not os.environ.get(env):
            return [f"config key privacy.salt_env: {SALT_HELP.format(env=env)}"]
    return []


def model_problems(config: Mapping[str, Any], instrument: Any) -> list[str]:
    """``model.syntax`` (custom) or the acsi/ecsi model, parsed with csindex.sem.spec."""
    from .sem.spec import spec_from_config

    try:
        spec_from_config(config.get("model") or {}, instrument)
    except CsindexError as e:
        return [_line(e)]
    except (ValueError, KeyError, TypeError, IndexError) as e:
        return [f"config key model.syntax: cannot be parsed: {_line(e)}"]
    return []


def _declared_categories(config: Mapping[str, Any], column: str | None) -> list[str] | None:
    """Categories of a frame column known from the config alone: the simulated frame's regions
    (the strata) and segments; None when the frame is the user's file."""
    frame = config.get("frame") or {}
    if frame.get("path") or not column:
        return None
    sim = frame.get("simulate") or {}
    if column == "region" and sim.get("regions"):
        return [str(k) for k in sim["regions"]]
    if column == "segment" and sim.get("segments"):
        return [str(k) for k in sim["segments"]]
    return None


def allocation_problems(config: Mapping[str, Any]) -> list[str]:
    """A fixed allocation: sizes per stratum given, strata known, total equal to design.n."""
    if config.get("start", "frame") != "frame":
        return []
    design = config.get("design") or {}
    alloc = design.get("allocation") or {}
    fixed = alloc.get("fixed") or {}
    key = "design.allocation.fixed"
    out: list[str] = []
    if alloc.get("method") == "fixed":
        if not design.get("strata"):
            out.append(
                f"config key {key}: allocation fixed needs design.strata (the strata column)"
            )
        if not fixed:
            out.append(
                f"config key {key}: allocation method is fixed but no size per stratum is given "
                "(e.g. fixed: {R01: 120, R02: 80})"
            )
    elif fixed:
        out.append(
            f"config key {key}: sizes are given but design.allocation.method is "
            f"{alloc.get('method', 'proportional')!r}; set method: fixed or remove them"
        )
        return out
    if not fixed:
        return out
    known = _declared_categories(config, design.get("strata"))
    if known is not None:
        unknown = [s for s in fixed if str(s) not in known]
        missing = [s for s in known if s not in {str(k) for k in fixed}]
        if unknown:
            out.append(
                f"config key {key}: stratum/strata {', '.join(map(str, unknown))} not in the "
                f"frame's strata ({design.get('strata')}: {', '.join(known)})"
            )
        if missing:
            out.append(
                f"config key {key}: no size for stratum/strata {', '.join(missing)} of the frame "
                "(give every stratum a size, 0 to leave one out)"
            )
    n = design.get("n")
    total = sum(int(v) for v in fixed.values())
    if isinstance(n, int) and total != n and not design.get("per_stratum"):
        out.append(
            f"config key {key}: the sizes add up to {total} but design.n is {n}; make them agree"
        )
    return out


def margin_problems(config: Mapping[str, Any]) -> list[str]:
    """Calibration margins given in the config: categories, totals, shares."""
    cal = (config.get("weighting") or {}).get("calibration") or {}
    if cal.get("method", "raking") == "none" or cal.get("margins_from", "frame") != "config":
        return []
    key = "weighting.calibration.margins"
    margins = cal.get("margins") or {}
    if not margins:
        return [
            f"config key {key}: margins_from is config but no margins are given "
            "(e.g. margins: {region: {R01: 5200, R02: 4100}})"
        ]
    out: list[str] = []
    totals: dict[str, float] = {}
    for var, cats in margins.items():
        if not isinstance(cats, Mapping) or not cats:
            out.append(f"config key {key}.{var}: give the population count or share per category")
            continue
        tot = float(sum(float(v) for v in cats.values()))
        if tot <= 0:
            out.append(f"config key {key}.{var}: the margin adds up to 0")
            continue
        totals[var] = tot
        known = _declared_categories(config, var.split("*")[0] if "*" not in var else None)
        if known is not None:
            unknown = [c for c in cats if str(c) not in known]
            if unknown:
                out.append(
                    f"config key {key}.{var}: categories {', '.join(map(str, unknown))} are not "
                    f"in the frame ({', '.join(known)})"
                )
    shares = {v: t for v, t in totals.items() if abs(t - 1.0) <= 1e-6}
    counts = {v: t for v, t in totals.items() if v not in shares}
    if shares and not cal.get("population_total"):
        out.append(
            f"config key {key}: {', '.join(shares)} given as shares (summing to 1) need "
            "weighting.calibration.population_total"
        )
    if counts and shares:
        out.append(
            f"config key {key}: {', '.join(counts)} given as counts and {', '.join(shares)} as "
            "shares; give all margins the same way"
        )
    if len(counts) > 1:
        vals = list(counts.values())
        if max(vals) - min(vals) > 1e-6 * max(vals):
            listed = ", ".join(f"{v} {t:g}" for v, t in counts.items())
            out.append(
                f"config key {key}: the margins add up to different population totals "
                f"({listed}); every margin must count the same population"
            )
    return out


def expert_file_problems(config: Mapping[str, Any], instrument: Any) -> list[str]:
    """Expert judgement files of the indicator weights: present, readable and consistent with
    the indicator system (read with the same functions the rule uses)."""
    from .indicators.hierarchy import build_hierarchy
    from .indicators.pipeline import FILE_METHODS, level_weights

    cfg = config.get("indicators") or {}
    specs: list[tuple[str, str, Mapping[str, Any]]] = [
        (lv, f"indicators.levels.{lv}", spec) for lv, spec in (cfg.get("levels") or {}).items()
    ]
    for k, spec in enumerate(cfg.get("alternatives") or []):
        specs.append((spec.get("level", "constructs"), f"indicators.alternatives[{k}]", spec))
    specs = [s for s in specs if (s[2] or {}).get("method") in FILE_METHODS]
    if not specs:
        return []
    out: list[str] = []
    for _, key, spec in specs:
        for f in spec.get("files") or []:
            if not Path(f).is_file():
                out.append(f"config key {key}.files: expert file {f!r} does not exist")
    if out or instrument is None:
        return out
    try:
        hier = build_hierarchy(instrument, level4=False)
    except (CsindexError, ValueError, KeyError) as e:
        return [_line(e)]
    settings = {k: cfg.get(k) for k in ("ahp_cr_max", "delphi") if cfg.get(k) is not None}
    for level, key, spec in specs:
        if level == "level4":
            continue  # needs the level-4 items of the clean responses
        try:
            level_weights(level, spec, hier, key=key, settings=settings)
        except CsindexError as e:
            out.append(_line(e))
        except (ValueError, KeyError, TypeError, IndexError, OSError) as e:
            out.append(f"config key {key}.files: cannot be read: {_line(e)}")
    return out


def _file_state(paths: Iterable[Any]) -> list[tuple[str, int, int]]:
    """(path, mtime_ns, size) of each existing file: a memo key that changes with the file."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except (OSError, TypeError, ValueError):
            out.append((str(p), -1, -1))
    return out


_MEMO: dict[str, Any] = {}


def _memo(name: str, key_parts: Any, compute: Any) -> Any:
    """Checks of a programme's hundreds of study configs repeat on identical inputs (the same
    config files, instrument and expert files): compute each distinct case once per process."""
    import json

    key = name + json.dumps(key_parts, sort_keys=True, default=str)
    if key not in _MEMO:
        _MEMO[key] = compute()
    return _MEMO[key]


def _expert_files(config: Mapping[str, Any]) -> list[str]:
    cfg = config.get("indicators") or {}
    specs = list((cfg.get("levels") or {}).values()) + list(cfg.get("alternatives") or [])
    return [f for s in specs for f in ((s or {}).get("files") or [])]


def preflight(config: Mapping[str, Any], configfiles: Iterable[str | Path] = ()) -> list[str]:
    """Every problem found before any rule runs, one line each (empty when all is well)."""
    configfiles = list(configfiles)
    out = list(_memo("keys", _file_state(configfiles), lambda: duplicate_key_problems(configfiles)))
    inst_key = [config.get("instrument"), _file_state([config.get("instrument")])]
    instrument, inst = _memo("instrument", inst_key, lambda: instrument_problems(config))
    out += inst
    out += responses_problems(config)
    out += privacy_problems(config)
    out += model_problems(config, instrument) if instrument is not None else []
    out += allocation_problems(config)
    out += margin_problems(config)
    expert_key = [inst_key, config.get("indicators"), _file_state(_expert_files(config))]
    out += _memo("experts", expert_key, lambda: expert_file_problems(config, instrument))
    return out
