"""Codebook validation of a response table against the instrument (config/instrument.yaml).

Structural problems — no id column, an empty id, an item column absent, an item with no answer
at all, an item whose answers are mostly off its declared scale (10-point data declared
5-point) — stop with one :class:`InputErrors` listing every problem with file, row and column.
Data problems — text in an item cell, a duplicated id, unknown extra columns — are reported and
left to the cleaning rules (text cells become missing, logged as rule ``non_numeric``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError, InputErrors
from ..instrument import Instrument, Item

MAX_LISTED = 20
MISSING_TEXT = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", "null", "."})
"""Cell texts read as a blank (missing) cell: R's NA, pandas' nan, SPSS's system-missing '.'."""


@dataclass
class Codebook:
    """The typed table and what the validation found."""

    data: pd.DataFrame
    problems: list[dict[str, Any]] = field(default_factory=list)
    non_numeric: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "column", "value"])
    )
    extra_columns: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "extra_columns": self.extra_columns,
            "non_numeric_cells": int(len(self.non_numeric)),
        }


def valid_mask(item: Item, x: np.ndarray) -> np.ndarray:
    """True where ``x`` is a valid answer: an integer code min..max for a Likert item, a number
    in [quantity.min, quantity.max] for a quantity item."""
    with np.errstate(invalid="ignore"):
        if item.kind == "quantity":
            q = item.quantity or {}
            lo = float(q.get("min", -np.inf))
            hi = float(q.get("max", np.inf))
            return (x >= lo) & (x <= hi)
        return (x >= item.scale.min) & (x <= item.scale.max) & (np.floor(x) == x)


def missing_code_mask(item: Item, x: np.ndarray, kind: str | None = None) -> np.ndarray:
    """True where ``x`` is one of the item's missing codes (of ``kind``, or any)."""
    codes = item.missing_codes.get(kind, []) if kind else item.all_missing_codes
    return np.isin(x, np.asarray(codes, dtype=float)) if codes else np.zeros(x.shape, bool)


def missing_code_problems(instrument: Instrument) -> list[str]:
    """Missing-value codes that are also valid answers (3 on a 1..5 scale): such a code would
    turn real answers into missing ones. One line per item and code kind."""
    out = []
    for it in instrument.items:
        for kind, codes in (it.missing_codes or {}).items():
            x = np.asarray(codes, dtype=float)
            bad = x[valid_mask(it, x)] if len(x) else x
            if len(bad):
                if it.kind == "quantity":
                    q = it.quantity or {}
                    allowed = f"{q.get('min')}..{q.get('max')}"
                else:
                    allowed = f"{it.scale.min:g}..{it.scale.max:g}"
                out.append(
                    f"instrument {instrument.source or ''} item {it.id}: missing_codes.{kind} "
                    f"{', '.join(f'{v:g}' for v in bad)} lies inside the valid scale {allowed}; "
                    "a missing code must be outside the answers (e.g. 8, 9, 98, 99)"
                )
    return out


def _item_type_errors(df: pd.DataFrame, columns: list[str], file: str) -> list[InputError]:
    """Item and numeric columns holding timestamps, durations or lists (a typed Parquet or .sav
    column): name the type found instead of calling every cell missing."""
    out = []
    for c in columns:  # loop over columns; each check is one call over the column
        s = df[c]
        found = None
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            found = f"timestamps ({s.dtype})"
        elif pd.api.types.is_timedelta64_dtype(s.dtype):
            found = f"durations ({s.dtype})"
        elif s.dtype == object:
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind in ("datetime", "datetime64", "date", "time", "timedelta"):
                found = f"{kind} values"
            elif kind == "mixed":
                first = s.dropna()
                first = first.iloc[0] if len(first) else None
                if isinstance(first, (list, tuple, dict, set, np.ndarray)):
                    found = f"{type(first).__name__} values (e.g. {str(first)[:30]})"
        if found:
            out.append(
                InputError(
                    f"column {c!r} holds {found}; an item or numeric column must hold numbers "
                    "(codes such as 1..5), or text that reads as numbers",
                    file=file,
                    column=c,
                    kind="column_type",
                )
            )
    return out


def to_number(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column to float64: numbers stay, empty text (and NA, nan, NULL, '.') is missing,
    other text is missing and flagged. Returns (values, non-numeric mask)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float), np.zeros(len(s), bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(s), bool)
    fast = _arrow_number(s)
    if fast is not None:
        return fast, np.zeros(len(s), bool)
    txt = s.astype("string").str.strip()
    empty = txt.isna() | txt.isin(sorted(MISSING_TEXT))
    num = pd.to_numeric(txt.where(~empty), errors="coerce")
    values = num.to_numpy(dtype=float, na_value=np.nan)
    bad = (~empty.to_numpy(dtype=bool)) & np.isnan(values)
    return values, bad


def _arrow_number(s: pd.Series) -> np.ndarray | None:
    """Fast path: Arrow's string -> float64 cast of the trimmed column (empty -> missing); None
    when some cell is not a number (the slow path then finds which)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
        arr = pc.utf8_trim_whitespace(arr)
        blank = pc.is_in(arr, value_set=pa.array(sorted(MISSING_TEXT)))
        arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
        out = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    return out.to_numpy(zero_copy_only=False)


def to_text(s: pd.Series) -> pd.Series:
    """Ids and labels as text: integral floats without '.0', missing as None."""
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        fin = np.isfinite(v)
        whole = fin & (np.floor(v) == v)
        res = np.full(len(v), None, dtype=object)
        res[whole] = v[whole].astype(np.int64).astype(str)
        res[fin & ~whole] = v[fin & ~whole].astype(str)
        return pd.Series(res, index=s.index, dtype=object)
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype(str).astype(object)
    out = s.astype("string").str.strip()
    return out.where(out.notna() & (out != ""), None).astype(object)


def _rows(mask: np.ndarray) -> list[int]:
    return (np.flatnonzero(mask) + 1).tolist()


def _list(rows: list[int]) -> str:
    head = ", ".join(map(str, rows[:MAX_LISTED]))
    return head + (f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else "")


def _hint(name: str, cols: list[str]) -> str:
    """' (did you mean ...?)' with the closest column name, or ''."""
    close = difflib.get_close_matches(name, cols, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_id_columns_are_not_items(
    id_column: str, unit_column: str | None, item_ids: list[str], cols: list[str], file: str
) -> None:
    """Refuse an id or unit column that is an item of the instrument (a config mistake)."""
    if id_column in item_ids:
        raise ConfigError(
            f"{id_column!r} is an item of the instrument, not the respondent id column; set "
            f"responses.id_column to the column that identifies respondents (columns in {file}: "
            f"{', '.join(repr(c) for c in cols[:12] if c not in item_ids)})",
            key="responses.id_column",
        )
    if unit_column and unit_column in item_ids:
        raise ConfigError(
            f"{unit_column!r} is an item of the instrument, not the unit id column",
            key="responses.unit_column",
        )


def _column_errors(
    cols: list[str], item_ids: list[str], id_column: str, file: str
) -> list[InputError]:
    """The header against the instrument: the id column, every item column, the delimiter."""
    errors: list[InputError] = []
    if id_column not in cols:
        errors.append(
            InputError(
                f"the respondent id column {id_column!r}"
                + (
                    " (the blank-header first column, as R writes row names)"
                    if id_column == ""
                    else ""
                )
                + f" is missing{_hint(id_column, cols)}; columns in "
                f"the file: {', '.join(repr(c) for c in cols[:30])} (set responses.id_column)",
                file=file,
                column=id_column,
                kind="missing_id_column",
            )
        )
    missing_items = [i for i in item_ids if i not in cols]
    for iid in missing_items:
        errors.append(
            InputError(
                f"item column {iid!r} of the instrument is missing{_hint(iid, cols)} "
                "(rename it with responses.rename, or change the instrument)",
                file=file,
                column=iid,
                kind="missing_item",
            )
        )
    if len(cols) == 1 and any(d in cols[0] for d in ";\t|,"):
        errors.append(
            InputError(
                f"the header has a single column {cols[0][:60]!r}: the delimiter is probably "
                "wrong (set responses.delimiter, or leave it at auto)",
                file=file,
                column=cols[0][:60],
                kind="delimiter",
            )
        )
    return errors


def _check_id_values(ids: pd.Series, id_column: str, file: str) -> None:
    """Stop on ids holding control characters, or one id shared by every row."""
    ctrl = ids.str.contains(r"[\x00-\x1f\x7f]", regex=True).fillna(False).to_numpy(dtype=bool)
    if ctrl.any():
        raise InputError(
            f"the respondent id holds a NUL or control character in {int(ctrl.sum())} row(s): "
            f"rows {_list(_rows(ctrl))}; ids must be printable text (a damaged export?)",
            file=file,
            row=int(np.flatnonzero(ctrl)[0] + 1),
            column=id_column,
            kind="control_char_id",
        )
    present = ids.dropna()
    if len(present) > 1 and present.nunique() == 1:
        raise InputError(
            f"every row has the same respondent id {str(present.iloc[0])[:40]!r}: is "
            "responses.id_column the column that identifies respondents?",
            file=file,
            column=id_column,
            kind="constant_id",
        )


@dataclass
class _IdFindings:
    """Empty ids (errors: they stop the run) and duplicated ids (problems: a cleaning rule)."""

    errors: list[InputError]
    problems: list[dict[str, Any]]


def _id_findings(ids: pd.Series, id_column: str, file: str) -> _IdFindings:
    """Empty respondent ids (an error) and duplicated ones (left to the duplicates rule)."""
    errors: list[InputError] = []
    problems: list[dict[str, Any]] = []
    empty_id = ids.isna().to_numpy()
    if empty_id.any():
        errors.append(
            InputError(
                f"respondent id is empty in {int(empty_id.sum())} row(s): rows {_list(_rows(empty_id))}",
                file=file,
                row=int(np.flatnonzero(empty_id)[0] + 1),
                column=id_column,
                kind="empty_id",
            )
        )
    dup = ids.duplicated(keep=False).to_numpy() & ~empty_id
    if dup.any():
        problems.append(
            {
                "kind": "duplicate_id",
                "column": id_column,
                "rows": _rows(dup)[:MAX_LISTED],
                "count": int(ids[dup].duplicated().sum()),
                "message": f"{int(ids[dup].nunique())} respondent id(s) appear more than once "
                f"(rows {_list(_rows(dup))}); resolved by the duplicates rule",
            }
        )
    return _IdFindings(errors, problems)


def _typed_columns(
    df: pd.DataFrame,
    cols: list[str],
    out: dict[str, Any],
    *,
    numeric: set[str],
    skip: set[str],
    unit_column: str | None,
) -> pd.DataFrame:
    """Add every other column to ``out`` (items and numeric columns as float64, the rest as
    text unless numeric already); return the non-numeric item cells (row, column, value)."""
    nn_rows: list[np.ndarray] = []
    nn_cols: list[str] = []
    nn_vals: list[np.ndarray] = []
    for c in cols:
        if c in skip:
            continue
        if c in numeric:
            values, bad = to_number(df[c])
            if bad.any():
                nn_rows.append(np.flatnonzero(bad) + 1)
                nn_cols += [c] * int(bad.sum())
                nn_vals.append(df[c].astype(str).to_numpy()[bad])
            out[c] = values
        elif c == unit_column:
            continue
        else:
            s = df[c]
            out[c] = s if pd.api.types.is_numeric_dtype(s.dtype) else to_text(s)
    return pd.DataFrame(
        {
            "row": np.concatenate(nn_rows) if nn_rows else np.array([], dtype=np.int64),
            "column": nn_cols,
            "value": np.concatenate(nn_vals) if nn_vals else np.array([], dtype=object),
        }
    )


def _non_numeric_problems(non_numeric: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    """One problem per column with text cells, in column order."""
    problems = []
    for c in sorted(set(non_numeric["column"]), key=cols.index):
        rows = non_numeric.loc[non_numeric["column"] == c, "row"].tolist()
        problems.append(
            {
                "kind": "non_numeric",
                "column": c,
                "rows": rows[:MAX_LISTED],
                "count": len(rows),
                "message": f"text in numeric column {c!r} at rows {_list(rows)}; set to missing "
                "(logged as non_numeric)",
            }
        )
    return problems


def _answer_errors(
    items: list[Item], out: dict[str, Any], file: str, max_offscale_share: float
) -> list[InputError]:
    """Items with no answer at all, and items whose answers are mostly off the declared scale
    (share of off-scale answers among the answered cells > ``max_offscale_share``)."""
    errors: list[InputError] = []
    for it in items:
        x = out[it.id]
        answered = ~np.isnan(x) & ~missing_code_mask(it, x)
        if not answered.any():
            errors.append(
                InputError(
                    f"item {it.id!r} has no answer in any row (all empty or missing codes)",
                    file=file,
                    column=it.id,
                    kind="all_missing",
                )
            )
            continue
        off = answered & ~valid_mask(it, x)
        share = off.sum() / answered.sum()
        if share > max_offscale_share:
            errors.append(_offscale_error(it, x, off, share, file, max_offscale_share))
    return errors


def _offscale_error(
    it: Item, x: np.ndarray, off: np.ndarray, share: float, file: str, max_offscale_share: float
) -> InputError:
    """The error for an item whose answers are mostly off its declared scale."""
    if it.kind == "quantity":
        allowed = f"{(it.quantity or {}).get('min')}..{(it.quantity or {}).get('max')}"
    else:
        allowed = f"{it.scale.min:g}..{it.scale.max:g} ({it.scale.points}-point)"
    return InputError(
        f"{share:.0%} of the answers to item {it.id!r} are off its declared scale "
        f"{allowed} (values {np.nanmin(x[off]):g} to {np.nanmax(x[off]):g}, first at row "
        f"{int(np.flatnonzero(off)[0] + 1)}): is the scale declared right in the "
        f"instrument (e.g. 10-point data declared 5-point)? More than "
        f"cleaning.max_offscale_share = {max_offscale_share:g} stops the run",
        file=file,
        column=it.id,
        kind="scale_mismatch",
    )


def _extra_columns_problem(extra: list[str]) -> dict[str, Any]:
    """The report line for columns the instrument does not know."""
    return {
        "kind": "extra_columns",
        "columns": extra,
        "message": f"columns not in the instrument (kept unless they are identifiers or "
        f"free text): {', '.join(extra)}",
    }


def validate_codebook(
    df: pd.DataFrame,
    instrument: Instrument,
    *,
    file: str,
    id_column: str = "respondent_id",
    unit_column: str | None = "customer_id",
    numeric_columns: tuple[str, ...] = ("duration_sec", "attention_check"),
    max_offscale_share: float = 0.2,
) -> Codebook:
    """Check the table against the instrument and type it: ``respondent_id`` (text), ``unit_id``
    (text, when ``unit_column`` is present), items and ``numeric_columns`` as float64, other
    columns as text; ``source_row`` is the 1-based data row. Raises :class:`InputErrors` for
    structural problems."""
    bad_codes = missing_code_problems(instrument)
    if bad_codes:
        raise ConfigError("; ".join(bad_codes), key="instrument")
    cols = [str(c) for c in df.columns]
    item_ids = [i.id for i in instrument.items]
    _check_id_columns_are_not_items(id_column, unit_column, item_ids, cols, file)
    errors = _column_errors(cols, item_ids, id_column, file)
    if errors:
        raise InputErrors(errors, header=f"{file}: the file does not match the instrument:")

    numeric = set(item_ids) | set(numeric_columns)
    typed = _item_type_errors(df, [c for c in cols if c in numeric], file)
    if typed:
        raise InputErrors(typed, header=f"{file}: columns that must hold numbers do not:")
    out: dict[str, Any] = {"source_row": np.arange(1, len(df) + 1, dtype=np.int64)}
    ids = to_text(df[id_column])
    _check_id_values(ids, id_column, file)
    found = _id_findings(ids, id_column, file)
    errors, problems = found.errors, found.problems
    out["respondent_id"] = ids
    if unit_column and unit_column in cols and unit_column != id_column:
        out["unit_id"] = to_text(df[unit_column])
    skip = {id_column, "source_row", "respondent_id", "unit_id"}
    non_numeric = _typed_columns(df, cols, out, numeric=numeric, skip=skip, unit_column=unit_column)
    problems += _non_numeric_problems(non_numeric, cols)
    errors += _answer_errors(instrument.items, out, file, max_offscale_share)
    if errors:
        raise InputErrors(errors, header=f"{file}: the file does not match the instrument:")

    known = set(item_ids) | {id_column, unit_column or ""} | set(numeric_columns)
    extra = [c for c in cols if c not in known]
    if extra:
        problems.append(_extra_columns_problem(extra))
    data = pd.DataFrame(out)
    return Codebook(data=data, problems=problems, non_numeric=non_numeric, extra_columns=extra)
