"""The readers of each response-file format: CSV text (UTF-8, UTF-8 with BOM, GBK/GB18030),
Excel .xlsx, SPSS .sav, Parquet, each into a :class:`RawTable`. Every problem becomes an
:class:`InputError` naming the file, row and column.

Rows are numbered as a spreadsheet shows them after the header: data row 1 is the first row
below the header row.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, InputErrors

DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawTable:
    """A response file as read: every column as text (or numbers for typed formats), the
    original header, and what was detected."""

    data: pd.DataFrame
    file: str
    format: str
    sha256: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "rows": int(len(self.data)),
            "columns": [str(c) for c in self.data.columns],
            "value_labels": self.value_labels,
            "notes": list(self.notes),
        }


def decode_text(raw: bytes, encoding: str = "auto", file: str = "") -> tuple[str, str]:
    """Decode bytes: a UTF-8 BOM means utf-8-sig; else strict UTF-8; else GB18030 (a superset
    of GBK/GB2312). With an explicit ``encoding``, a byte that does not decode is reported with
    its row and column."""
    if encoding == "auto":
        if raw.startswith(codecs.BOM_UTF8):
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
        for enc in ("utf-8", "gb18030"):
            try:
                return raw.decode(enc), enc
            except UnicodeDecodeError:
                continue
        raise InputError(
            "the file is neither UTF-8 nor GBK/GB18030 text; set responses.encoding "
            "(allowed: utf-8, utf-8-sig, gbk, gb18030, big5, latin-1, cp1252)",
            file=file,
            kind="decode",
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start)  # 0-based line index = data row when header is line 0
        start = raw.rfind(b"\n", 0, e.start) + 1
        prefix = raw[start : e.start]
        col = max(prefix.count(d.encode()) for d in DELIMITERS) + 1
        guess = "GBK/GB18030" if _decodes(raw, "gb18030") else "another encoding"
        raise InputError(
            f"byte {raw[e.start : e.start + 1]!r} at offset {e.start} is not valid "
            f"{encoding} (field {col} of line {line + 1}); the file looks like {guess}: set "
            "responses.encoding (e.g. gbk for Chinese Excel exports) or leave it at auto",
            file=file,
            row=line if line > 0 else None,
            kind="decode",
        ) from None
    if encoding in ("utf-8", "utf-8-sig") and text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _decodes(raw: bytes, enc: str) -> bool:
    try:
        raw.decode(enc)
    except UnicodeDecodeError:
        return False
    return True


def check_header(header: list[str], file: str, header_row: int) -> list[str]:
    """Strip names; raise when a name is duplicated."""
    names = [("" if h is None else str(h)).strip().lstrip("\ufeff") for h in header]
    seen: dict[str, int] = {}
    problems = []
    for k, n in enumerate(names):
        if n in seen:
            problems.append(
                InputError(
                    f"column name {n!r} appears twice (columns {seen[n] + 1} and {k + 1} of "
                    f"header row {header_row}); column names must be unique",
                    file=file,
                    column=n,
                    kind="duplicate_column",
                )
            )
        else:
            seen[n] = k
    if problems:
        raise InputErrors(problems, header=f"{file}: duplicated column names:")
    return names


def read_csv_text(
    text: str, *, file: str, delimiter: str = "auto", header_row: int = 1
) -> tuple[pd.DataFrame, str]:
    """Parse CSV text into a DataFrame of strings (no type guessing: ids keep leading zeros)."""
    lines = text.splitlines()
    nonblank = [ln for ln in lines if ln.strip()]
    if not nonblank:
        raise InputError("the file is empty (no header, no data)", file=file, kind="empty")
    if len(lines) < header_row:
        raise InputError(
            f"the file has {len(lines)} line(s) but responses.header_row is {header_row}",
            file=file,
            kind="empty",
        )
    head = lines[header_row - 1]
    if delimiter == "auto":
        counts = {d: head.count(d) for d in DELIMITERS}
        delimiter = max(DELIMITERS, key=lambda d: counts[d]) if max(counts.values()) else ","
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=header_row - 1,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise InputError(
            "the file is empty (no header, no data)", file=file, kind="empty"
        ) from None
    except pd.errors.ParserError as e:
        msg = str(e)
        m = re.search(r"line (\d+), saw (\d+)", msg)
        # pandas counts lines from the first line it reads (the header row)
        row = int(m.group(1)) - 1 if m else None
        raise InputError(
            f"rows have different numbers of fields ({msg.strip()}); check the delimiter "
            f"({delimiter!r}) and quoting",
            file=file,
            row=row,
            kind="parse",
        ) from None
    header = check_header(list(df.iloc[0]), file, header_row)
    df = df.iloc[1:].reset_index(drop=True)
    df.columns = header
    return df, delimiter


def _cell_text(v: Any) -> str:
    """A cell value as the text a spreadsheet shows: integral floats without '.0'."""
    if v is None:
        return ""
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, bool):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _blank(v: Any) -> bool:
    """An empty cell: None or only whitespace."""
    return v is None or str(v).strip() == ""


def _open_workbook(path: Path, file: str) -> Any:
    """The workbook opened read-only, formulas as their saved values."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputError(
            f"not a readable Excel .xlsx workbook ({type(e).__name__}: {e})",
            file=file,
            kind="unreadable",
        ) from None


@dataclass
class _SheetChoice:
    """The sheet to read and a note when it is not the one the user may expect."""

    name: str
    notes: list[str]


def _choose_sheet(wb: Any, sheet: str | int | None, file: str) -> _SheetChoice:
    """``responses.sheet`` by name or 0-based position; unset: the first visible sheet."""
    names = wb.sheetnames
    notes: list[str] = []
    if sheet is None:
        visible = [n for n in names if getattr(wb[n], "sheet_state", "visible") == "visible"]
        if not visible:
            raise InputError(
                f"every sheet of the workbook is hidden ({', '.join(names)}); unhide the sheet "
                "with the responses or set responses.sheet",
                file=file,
                kind="sheet",
            )
        ws_name = visible[0]
        if ws_name != names[0]:
            notes.append(
                f"the first sheet {names[0]!r} is hidden; read the first visible sheet "
                f"{ws_name!r} (set responses.sheet to choose another)"
            )
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError(
                f"sheet position {sheet} does not exist; the workbook has {len(names)} sheet(s): "
                f"{', '.join(names)}",
                file=file,
                kind="sheet",
            )
        ws_name = names[sheet]
    else:
        if sheet not in names:
            raise InputError(
                f"sheet {sheet!r} does not exist; sheets in the workbook: {', '.join(names)} "
                "(set responses.sheet)",
                file=file,
                kind="sheet",
            )
        ws_name = sheet
    return _SheetChoice(ws_name, notes)


def _sheet_rows(wb: Any, ws_name: str, file: str, header_row: int) -> list[list[Any]]:
    """The sheet's cell values row by row (the workbook is closed after), trailing blank rows
    dropped and every row padded to the widest."""
    try:
        rows = [list(r) for r in wb[ws_name].iter_rows(values_only=True)]
    except Exception as e:  # truncated or malformed sheet XML (ParseError, KeyError, ...)
        raise InputError(
            f"sheet {ws_name!r} cannot be read: the workbook is damaged or truncated "
            f"({type(e).__name__}: {str(e)[:120]}); open and save it again in Excel, or export "
            "it as CSV",
            file=file,
            kind="unreadable",
        ) from None
    finally:
        wb.close()
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if len(rows) < header_row:
        raise InputError(f"sheet {ws_name!r} is empty", file=file, kind="empty")
    width = max(len(r) for r in rows)
    return [r + [None] * (width - len(r)) for r in rows]


def _check_merged_header(rows: list[list[Any]], header_row: int, ws_name: str, file: str) -> None:
    """A header row with one filled cell above a fuller row is a title or merged cells."""
    head = rows[header_row - 1]
    filled = [v for v in head if not _blank(v)]
    if len(filled) <= 1 and len(head) > 1 and len(rows) > header_row:
        nxt = [v for v in rows[header_row] if not _blank(v)]
        if len(nxt) > 1:
            raise InputError(
                f"header row {header_row} of sheet {ws_name!r} has one filled cell "
                f"({filled[0] if filled else ''!r}) and the next row has {len(nxt)}: a title or "
                f"merged header cells above the column names; set responses.header_row: "
                f"{header_row + 1}",
                file=file,
                row=None,
                kind="merged_header",
            )


def _check_formulas(
    path: Path, ws_name: str, head: list[Any], body: list[list[Any]], header_row: int, file: str
) -> None:
    """Formulas without a saved value (empty cells whose formula text starts with '='): read
    the formulas and name each such cell."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    if not any(v is None for r in body for v in r):
        return
    wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
    frows = list(wbf[ws_name].iter_rows(min_row=header_row + 1, values_only=True))
    wbf.close()
    bad = []
    for i, fr in enumerate(frows):
        for j, fv in enumerate(fr):
            if isinstance(fv, str) and fv.startswith("=") and body[i][j] is None:
                bad.append(
                    InputError(
                        f"cell {get_column_letter(j + 1)}{header_row + 1 + i} holds the formula "
                        f"{fv!r} without a saved value; open and save the file in Excel, or "
                        "paste values",
                        file=file,
                        row=i + 1,
                        column=_cell_text(head[j]),
                        kind="formula",
                    )
                )
    if bad:
        raise InputErrors(bad[:50], header=f"{file}: {len(bad)} formula cell(s) without values:")


def _typed_frame(body: list[list[Any]], header: list[str]) -> pd.DataFrame:
    """The body as a table: numeric columns as float, text columns as text, numbers mixed with
    text (and dates) as text."""
    df = pd.DataFrame(body, columns=range(len(header)), dtype=object)
    cols = {}
    for k in range(len(header)):  # loop over columns: numbers stay numbers, text stays text
        col = df[k]
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind in ("integer", "floating", "mixed-integer-float", "empty"):
            cols[k] = pd.to_numeric(col).astype(float)
        elif kind == "string":
            cols[k] = col
        else:  # numbers mixed with text, dates: as text
            cols[k] = col.map(_cell_text).astype(object)
    out = pd.DataFrame(cols)
    out.columns = header
    return out


def read_xlsx(path: Path, *, file: str, sheet: str | int | None, header_row: int) -> RawTable:
    """Read one sheet of an .xlsx workbook as text cells. Formulas are read as their saved
    values; a formula without a saved value (a file written by a program, never opened in
    Excel) is an error naming the cell."""
    wb = _open_workbook(path, file)
    choice = _choose_sheet(wb, sheet, file)
    rows = _sheet_rows(wb, choice.name, file, header_row)
    _check_merged_header(rows, header_row, choice.name, file)
    head = rows[header_row - 1]
    body = rows[header_row:]
    _check_formulas(path, choice.name, head, body, header_row, file)
    header = check_header([_cell_text(h) for h in head], file, header_row)
    out = _typed_frame(body, header)
    return RawTable(out, file, "xlsx", "", sheet=choice.name, notes=choice.notes)


def read_sav(path: Path, *, file: str) -> RawTable:
    """Read an SPSS .sav file: codes as numbers, value labels kept in ``value_labels``."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as e:  # pyreadstat.ReadstatError and friends
        raise InputError(
            f"not a readable SPSS .sav file (truncated or corrupt?): {e}",
            file=file,
            kind="unreadable",
        ) from None
    labels = {
        str(col): {
            _cell_text(float(k)) if isinstance(k, (int, float)) else str(k): str(v)
            for k, v in m.items()
        }
        for col, m in (meta.variable_value_labels or {}).items()
    }
    check_header(list(df.columns), file, 1)
    return RawTable(df, file, "sav", "", value_labels=labels)


def read_parquet_file(path: Path, *, file: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:
        raise InputError(
            f"not a readable Parquet file ({type(e).__name__}: {e})", file=file, kind="unreadable"
        ) from None
    check_header(list(table.column_names), file, 1)
    return RawTable(table.to_pandas(), file, "parquet", "")
