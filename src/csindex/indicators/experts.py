"""Readers of the expert files under config/experts/ (formats: config/experts/README.md).

Two layouts:

* matrix (paired comparison, AHP): columns ``expert`` (optional), ``parent`` (optional),
  ``indicator``, then one column per indicator id; each (expert, parent) block of rows is one
  square matrix; a cell is the row indicator's judgment against the column indicator; the
  diagonal and columns outside the block are left empty. AHP cells may be fractions ("1/3").
* long (direct weights, direct comparison, Delphi rounds): columns ``expert`` (optional; required
  for Delphi), ``parent`` (optional), ``indicator`` and the value column (``weight``,
  ``multiple`` or ``estimate``).

``allowed`` maps every parent id to its children (from the instrument's hierarchy); a file
naming an unknown indicator or parent stops with its file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

EMPTY = {"", "-", "—", "na", "NA", "nan", "NaN"}
META = ("expert", "parent", "indicator")


def _read(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("expert file does not exist", file=str(path))
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read as UTF-8 CSV: {e}", file=str(path)) from None
    df.columns = [str(c).strip() for c in df.columns]
    if "indicator" not in df.columns:
        raise InputError(
            f"no 'indicator' column; columns are {list(df.columns)}", file=str(path), row=None
        )
    return df.apply(lambda s: s.str.strip())


def parse_cell(text: str, *, file: str, row: int, column: str) -> float:
    """A number, a fraction 'a/b', or empty ('', '-') -> NaN."""
    if text in EMPTY:
        return float("nan")
    try:
        if "/" in text:
            a, b = text.split("/", 1)
            return float(a) / float(b)
        return float(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"cell {text!r} is not a number or a fraction like 1/3",
            file=file,
            row=row,
            column=column,
        ) from None


def _parent_of(
    indicators: list[str], allowed: dict[str, list[str]], *, file: str, rows: list[int]
) -> str:
    owners = {c: p for p, kids in allowed.items() for c in kids}
    for ind, r in zip(indicators, rows, strict=True):
        if ind not in owners:
            raise InputError(
                f"unknown indicator {ind!r}; allowed: {', '.join(sorted(owners))}",
                file=file,
                row=r,
                column="indicator",
            )
    parents = {owners[i] for i in indicators}
    if len(parents) > 1:
        raise InputError(
            f"indicators {indicators} belong to different parents {sorted(parents)}; add a "
            "'parent' column",
            file=file,
            row=rows[0],
            column="indicator",
        )
    return parents.pop()


def _check_known(
    parent: str, inds: list[str], allowed: dict[str, list[str]], *, file: str, rows: list[int]
) -> None:
    if parent not in allowed:
        raise InputError(
            f"unknown parent {parent!r}; allowed: {', '.join(sorted(allowed))}",
            file=file,
            row=rows[0],
            column="parent",
        )
    kids = allowed[parent]
    for ind, r in zip(inds, rows, strict=True):
        if ind not in kids:
            raise InputError(
                f"unknown indicator {ind!r} under {parent!r}; allowed: {', '.join(kids)}",
                file=file,
                row=r,
                column="indicator",
            )
    seen = set()
    for ind, r in zip(inds, rows, strict=True):
        if ind in seen:
            raise InputError(
                f"indicator {ind!r} appears twice under {parent!r}",
                file=file,
                row=r,
                column="indicator",
            )
        seen.add(ind)
    missing = [k for k in kids if k not in seen]
    if missing:
        raise InputError(
            f"indicators {missing} under {parent!r} are not rated; every child of {parent!r} "
            f"({', '.join(kids)}) needs a row",
            file=file,
            row=rows[0],
        )


@dataclass
class MatrixBlock:
    """One expert's judgment matrix under one parent, with its first data row in the file."""

    expert: str
    parent: str
    matrix: pd.DataFrame
    row_offset: int  # data row of the block's first row minus 1
    file: str


def read_matrix_file(path: str | Path, allowed: dict[str, list[str]]) -> list[MatrixBlock]:
    """Read a paired-comparison or AHP matrix file into blocks (see module doc)."""
    file = str(path)
    df = _read(path)
    known = {c for kids in allowed.values() for c in kids}
    value_cols = [c for c in df.columns if c not in META]
    for c in value_cols:
        if c not in known:
            raise InputError(
                f"unknown indicator {c!r} in the header; allowed: {', '.join(sorted(known))}",
                file=file,
                column=c,
            )
    if df.empty:
        raise InputError("the file has no data rows", file=file)
    expert = df["expert"] if "expert" in df.columns else pd.Series("1", index=df.index)
    has_parent = "parent" in df.columns
    # blocks: consecutive rows with the same (expert, parent)
    key = expert + "\x00" + (df["parent"] if has_parent else "")
    block_id = (key != key.shift()).cumsum()
    blocks: list[MatrixBlock] = []
    for _, idx in df.groupby(block_id, sort=True).groups.items():
        sub = df.loc[idx]
        rows = [int(i) + 1 for i in idx]
        inds = sub["indicator"].tolist()
        if has_parent:
            parent = sub["parent"].iloc[0]
        else:
            parent = _parent_of(inds, allowed, file=file, rows=rows)
        _check_known(parent, inds, allowed, file=file, rows=rows)
        kids = allowed[parent]
        for c in kids:
            if c not in df.columns:
                raise InputError(
                    f"no column {c!r}: the matrix under {parent!r} needs columns {', '.join(kids)}",
                    file=file,
                )
        vals = np.empty((len(sub), len(kids)))
        for a, (r, (_, rec)) in enumerate(zip(rows, sub.iterrows(), strict=True)):
            for b, c in enumerate(kids):
                vals[a, b] = parse_cell(rec[c], file=file, row=r, column=c)
            for c in value_cols:
                if c not in kids and rec[c] not in EMPTY:
                    raise InputError(
                        f"column {c!r} is not an indicator under {parent!r} (allowed "
                        f"{', '.join(kids)}); leave it empty",
                        file=file,
                        row=r,
                        column=c,
                    )
        mat = pd.DataFrame(vals, index=inds, columns=kids).loc[kids, kids]
        # row offsets follow the matrix order (kids); keep the file row of each indicator
        order = [inds.index(k) for k in kids]
        if order != list(range(len(kids))):
            raise InputError(
                f"rows under {parent!r} must follow the column order {', '.join(kids)}",
                file=file,
                row=rows[0],
                column="indicator",
            )
        blocks.append(MatrixBlock(str(expert.loc[idx[0]]), parent, mat, rows[0] - 1, file))
    return blocks


def read_long_file(
    path: str | Path,
    allowed: dict[str, list[str]],
    value: str,
    *,
    require_expert: bool = False,
) -> dict[str, pd.DataFrame]:
    """Read a long expert file into {parent: wide table (index expert, columns indicators)}."""
    file = str(path)
    df = _read(path)
    if value not in df.columns:
        raise InputError(
            f"no {value!r} column; the file needs columns [expert,] [parent,] indicator, {value}",
            file=file,
        )
    if require_expert and "expert" not in df.columns:
        raise InputError(
            "no 'expert' column; Delphi rounds need one row per expert and indicator", file=file
        )
    if df.empty:
        raise InputError("the file has no data rows", file=file)
    rows = list(range(1, len(df) + 1))
    vals = np.array(
        [
            parse_cell(t, file=file, row=r, column=value)
            for t, r in zip(df[value], rows, strict=True)
        ]
    )
    for v, r in zip(vals, rows, strict=True):
        if not np.isfinite(v):
            raise InputError(f"empty {value}", file=file, row=r, column=value)
        if v < 0:
            raise InputError(
                f"{value} {v:g} is negative; must be >= 0", file=file, row=r, column=value
            )
    df = df.assign(_value=vals, _row=rows)
    if "expert" not in df.columns:
        df["expert"] = "1"
    if "parent" not in df.columns:
        df["parent"] = ""
        for _ex, sub in df.groupby("expert", sort=False):
            p = _parent_of(sub["indicator"].tolist(), allowed, file=file, rows=sub["_row"].tolist())
            df.loc[sub.index, "parent"] = p
    out: dict[str, pd.DataFrame] = {}
    for parent, sub in df.groupby("parent", sort=False):
        for _, es in sub.groupby("expert", sort=False):
            _check_known(
                str(parent), es["indicator"].tolist(), allowed, file=file, rows=es["_row"].tolist()
            )
        wide = sub.pivot(index="expert", columns="indicator", values="_value")
        wide = wide.loc[pd.unique(sub["expert"]), allowed[str(parent)]]
        wide.columns.name = None
        out[str(parent)] = wide
    return out
