"""The programme sheet: one row per study x wave, as snakemake-workflows projects keep samples.

``studies.tsv`` (tab-separated, UTF-8) columns:

==========  ========  ==============================================================
column      required  meaning
==========  ========  ==============================================================
study       yes       study id (a company or brand), letters, digits, ``_ . -``
wave        yes       wave label: ``YYYYQn`` (e.g. 2026Q3), ``YYYY`` or ``YYYYMmm``
industry    yes       industry id the study's index rolls up into
sector      yes       sector id the industry belongs to (one sector per industry)
revenue     yes       aggregation weight of the company (> 0), e.g. revenue
overlay     no        YAML file merged over the base config for this study
responses   no        response file (sets ``responses.path`` and ``start: responses``)
frame       no        sampling frame file (sets ``frame.path``)
set         no        inline overrides ``key.sub=value; key2=value`` (values are YAML)
==========  ========  ==============================================================

``sectors.tsv``: ``sector`` and ``weight`` (GDP share, > 0; normalised to sum 1).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, InputErrors

REQUIRED = ("study", "wave", "industry", "sector", "revenue")
OPTIONAL = ("overlay", "responses", "frame", "set")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
WAVE_RE = re.compile(r"^(\d{4})(?:Q([1-4])|M(0[1-9]|1[0-2]))?$")
# Keys that are the programme's, never a study's.
PROGRAMME_KEYS = ("programme", "version", "results_dir")


def wave_order(wave: str) -> tuple[int, int, int]:
    """Sort key of a wave label: (year, quarter or 0, month or 0)."""
    m = WAVE_RE.match(wave)
    if not m:
        raise ValueError(f"wave {wave!r} is not YYYY, YYYYQn or YYYYMmm")
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def year_earlier(wave: str) -> str:
    """The same quarter (month) a year earlier: 2026Q3 -> 2025Q3."""
    m = WAVE_RE.match(wave)
    if not m:
        raise ValueError(f"wave {wave!r} is not YYYY, YYYYQn or YYYYMmm")
    return f"{int(m.group(1)) - 1}{wave[4:]}"


def _read_tsv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("file does not exist", file=str(path))
    try:
        return pd.read_csv(
            path, sep="\t", dtype=str, keep_default_na=False, comment="#", encoding="utf-8"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"not a UTF-8 tab-separated table ({exc})", file=str(path)) from None


def parse_set(text: str) -> dict[str, Any]:
    """``a.b=1; c=x`` -> {"a": {"b": 1}, "c": "x"} (values parsed as YAML)."""
    import yaml

    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"{part!r} is not key=value")
        key, value = (s.strip() for s in part.split("=", 1))
        if not key or not all(ID_RE.match(k) for k in key.split(".")):
            raise ValueError(f"{key!r} is not a dotted config key")
        node = out
        *head, last = key.split(".")
        for k in head:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ValueError(f"{key!r} overlaps another key")
        node[last] = yaml.safe_load(value)
    return out


def _check_columns(df: pd.DataFrame, path: Path) -> list[InputError]:
    """Stop when a required column is missing; an unknown column is a problem."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}"
            f" (optional: {', '.join(OPTIONAL)})",
            file=str(path),
        )
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        return [
            InputError(
                f"unknown column(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(REQUIRED + OPTIONAL)}",
                file=str(path),
            )
        ]
    return []


def _positive_number(value: object) -> bool:
    """True for a finite number > 0 (a revenue or a GDP share as the sheet gives it)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return False
    return 0 < x < float("inf")


def _row_problems(row: Any, i: int, path: Path, base: str | Path) -> list[InputError]:
    """Problems of sheet row ``i``: ids, wave label, revenue, files that do not exist, ``set``."""
    problems: list[InputError] = []
    for col in ("study", "industry", "sector"):
        v = getattr(row, col)
        if not ID_RE.match(v):
            problems.append(
                InputError(
                    f"{v!r} is not an id (letters, digits, _ . -, not empty)",
                    file=str(path),
                    row=i,
                    column=col,
                )
            )
    if not WAVE_RE.match(row.wave):
        problems.append(
            InputError(
                f"{row.wave!r} is not a wave label: YYYYQn (e.g. 2026Q3), YYYY or YYYYMmm",
                file=str(path),
                row=i,
                column="wave",
            )
        )
    if not _positive_number(row.revenue):
        problems.append(
            InputError(
                f"{row.revenue!r} is not a positive number (the aggregation weight)",
                file=str(path),
                row=i,
                column="revenue",
            )
        )
    for col in ("overlay", "responses", "frame"):
        v = getattr(row, col)
        if v and not (Path(base) / v).is_file():
            problems.append(
                InputError(f"file {v!r} does not exist", file=str(path), row=i, column=col)
            )
    if row.set:
        try:
            parse_set(row.set)
        except ValueError as exc:
            problems.append(InputError(str(exc), file=str(path), row=i, column="set"))
    return problems


def _sheet_problems(df: pd.DataFrame, path: Path) -> list[InputError]:
    """Problems across rows: a study x wave twice, an industry in several sectors, a study that
    changes industry or sector between waves."""
    problems: list[InputError] = []
    dup = df.duplicated(["study", "wave"], keep="first")
    for i in (dup[dup].index + 1).tolist():
        problems.append(
            InputError(
                f"study {df.at[i - 1, 'study']!r} wave {df.at[i - 1, 'wave']!r} appears twice",
                file=str(path),
                row=i,
                column="wave",
            )
        )
    for col, parent in (("industry", "sector"),):
        pairs = df[[col, parent]].drop_duplicates()
        clash = pairs[pairs.duplicated(col, keep=False)]
        for ind in sorted(set(clash[col])):
            rows = df.index[df[col] == ind] + 1
            problems.append(
                InputError(
                    f"industry {ind!r} is in several sectors "
                    f"({', '.join(sorted(set(clash.loc[clash[col] == ind, parent])))}); "
                    "an industry belongs to one sector",
                    file=str(path),
                    row=int(rows[0]),
                    column="sector",
                )
            )
    moved = df.groupby("study")[["industry", "sector"]].nunique()
    for sid in moved.index[(moved > 1).any(axis=1)]:
        problems.append(
            InputError(
                f"study {sid!r} changes industry or sector between waves",
                file=str(path),
                row=int((df.index[df.study == sid] + 1)[0]),
                column="industry",
            )
        )
    return problems


def read_studies(path: str | Path, base: str | Path = ".") -> pd.DataFrame:
    """Read and validate the studies sheet; every problem is reported with its row and column."""
    path = Path(path)
    df = _read_tsv(Path(base) / path)
    problems = _check_columns(df, path)
    for c in OPTIONAL:
        if c not in df.columns:
            df[c] = ""
    if df.empty:
        raise InputError("no studies (the sheet has a header but no rows)", file=str(path))
    df = df.apply(lambda s: s.str.strip())
    for i, row in enumerate(df.itertuples(index=False), start=1):
        problems += _row_problems(row, i, path, base)
    problems += _sheet_problems(df, path)
    if problems:
        raise InputErrors(problems, f"{len(problems)} problem(s) in the studies sheet {path}:")
    df["revenue"] = df["revenue"].astype(float)
    return df.reset_index(drop=True)


def read_sectors(path: str | Path, sectors: list[str], base: str | Path = ".") -> pd.Series:
    """The sector weights table (GDP shares), normalised to sum 1, one weight per sector used."""
    path = Path(path)
    df = _read_tsv(Path(base) / path)
    for col in ("sector", "weight"):
        if col not in df.columns:
            raise InputError(f"missing column {col!r} (columns: sector, weight)", file=str(path))
    problems: list[InputError] = []
    weights: dict[str, float] = {}
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if not _positive_number(row.weight):
            problems.append(
                InputError(
                    f"{row.weight!r} is not a positive number (the sector's GDP share)",
                    file=str(path),
                    row=i,
                    column="weight",
                )
            )
        elif row.sector in weights:
            problems.append(
                InputError(
                    f"sector {row.sector!r} appears twice", file=str(path), row=i, column="sector"
                )
            )
        else:
            weights[row.sector] = float(row.weight)
    for s in sorted(set(sectors) - set(weights)):
        problems.append(
            InputError(
                f"sector {s!r} of the studies sheet has no weight (add a row: {s}<TAB>share)",
                file=str(path),
                column="sector",
            )
        )
    if problems:
        raise InputErrors(problems, f"{len(problems)} problem(s) in the sector weights {path}:")
    s = pd.Series({k: weights[k] for k in sorted(set(sectors))}, name="weight")
    return s / s.sum()


def study_seed(seed: int, study: str, wave: str) -> int:
    """A study x wave's own seed from the master seed (sha256; stable across machines)."""
    h = hashlib.sha256(f"{seed}:{study}:{wave}".encode()).digest()
    return int.from_bytes(h[:4], "big") & 0x7FFFFFFF


def _deep_update(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_update(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


@dataclass(frozen=True)
class StudyRow:
    """One row of the studies sheet."""

    study: str
    wave: str
    industry: str
    sector: str
    revenue: float
    overlay: str = ""
    responses: str = ""
    frame: str = ""
    set: str = ""


def study_overlay(row: StudyRow, base: str | Path = ".") -> dict[str, Any]:
    """The row's overlay: its YAML file, then the response/frame columns, then ``set``."""
    import yaml

    over: dict[str, Any] = {}
    if row.overlay:
        doc = yaml.safe_load((Path(base) / row.overlay).read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            raise InputError("the overlay must be a mapping of config keys", file=row.overlay)
        _deep_update(over, doc)
    if row.responses:
        _deep_update(over, {"start": "responses", "responses": {"path": row.responses}})
    if row.frame:
        _deep_update(over, {"frame": {"path": row.frame}})
    if row.set:
        _deep_update(over, parse_set(row.set))
    return over


def study_config(base_config: dict, row: StudyRow, base: str | Path = ".") -> dict[str, Any]:
    """Per-study config = base config merged with the row's overlay (before validation).

    The study id and wave come from the sheet; a row that sets no ``seed`` gets
    :func:`study_seed` of the base seed, so two waves are two independent samples. Programme
    keys (``programme``, ``version``, ``results_dir``) stay the programme's.
    """
    over = study_overlay(row, base)
    for k in PROGRAMME_KEYS + ("study", "wave"):
        if k in over:
            raise InputError(
                f"key {k!r} belongs to the programme or the sheet and cannot be set per study",
                file=row.overlay or None,
                column="set" if not row.overlay else None,
            )
    cfg = {k: copy.deepcopy(v) for k, v in base_config.items() if k != "programme"}
    _deep_update(cfg, over)
    cfg["study"] = row.study
    cfg["wave"] = row.wave
    if "seed" not in over:
        cfg["seed"] = study_seed(int(base_config.get("seed", 0)), row.study, row.wave)
    return cfg


def rows(df: pd.DataFrame) -> list[StudyRow]:
    """The sheet's rows as :class:`StudyRow` (in sheet order)."""
    cols = list(REQUIRED + OPTIONAL)
    return [StudyRow(**dict(zip(cols, r, strict=True))) for r in df[cols].itertuples(index=False)]
