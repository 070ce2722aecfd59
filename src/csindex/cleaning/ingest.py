"""Reading a response file: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel .xlsx, SPSS .sav,
Parquet. The file is opened read-only; every problem becomes an :class:`InputError` naming the
file, row and column.

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
from ..io import sha256_file

DELIMITERS = (",", ";", "\t", "|")
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".parquet": "parquet",
    ".pq": "parquet",
}


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


def detect_format(path: str | Path, fmt: str = "auto") -> str:
    """The file format from ``fmt`` or the file name's extension."""
    if fmt != "auto":
        return fmt
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise InputError(
            f"unknown file type {ext or '(no extension)'!r}; allowed: .csv, .txt, .tsv, .xlsx, "
            ".sav, .parquet (or set responses.format)",
            file=str(path),
            kind="unknown_format",
        )
    return FORMATS[ext]


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


def _check_header(header: list[str], file: str, header_row: int) -> list[str]:
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
    header = _check_header(list(df.iloc[0]), file, header_row)
    df = df.iloc[1:].reset_index(drop=True)
    df.columns = header
    return df, delimiter


def _cell_text(v: Any) -> str:
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


def read_xlsx(path: Path, *, file: str, sheet: str | int | None, header_row: int) -> RawTable:
    """Read one sheet of an .xlsx workbook as text cells. Formulas are read as their saved
    values; a formula without a saved value (a file written by a program, never opened in
    Excel) is an error naming the cell."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputError(
            f"not a readable Excel .xlsx workbook ({type(e).__name__}: {e})",
            file=file,
            kind="unreadable",
        ) from None
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
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    if len(rows) < header_row:
        raise InputError(f"sheet {ws_name!r} is empty", file=file, kind="empty")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    head = rows[header_row - 1]
    filled = [v for v in head if v is not None and str(v).strip() != ""]
    if len(filled) <= 1 and width > 1 and len(rows) > header_row:
        nxt = [v for v in rows[header_row] if v is not None and str(v).strip() != ""]
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
    body = rows[header_row:]
    # formulas without a saved value: read the formulas and compare
    empty_cells = any(v is None for r in body for v in r)
    if empty_cells:
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
            raise InputErrors(
                bad[:50], header=f"{file}: {len(bad)} formula cell(s) without values:"
            )
    header = _check_header([_cell_text(h) for h in head], file, header_row)
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
    return RawTable(out, file, "xlsx", "", sheet=ws_name, notes=notes)


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
    _check_header(list(df.columns), file, 1)
    return RawTable(df, file, "sav", "", value_labels=labels)


def read_parquet_file(path: Path, *, file: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:
        raise InputError(
            f"not a readable Parquet file ({type(e).__name__}: {e})", file=file, kind="unreadable"
        ) from None
    _check_header(list(table.column_names), file, 1)
    return RawTable(table.to_pandas(), file, "parquet", "")


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_container(path: Path, kind: str, file: str) -> None:
    """Say what a file really is when its bytes do not match its format: gzip-compressed,
    a password-protected (encrypted) Excel workbook, an old .xls workbook, a zip archive."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:2] == b"\x1f\x8b":
        raise InputError(
            "the file is gzip-compressed; decompress it first (e.g. gunzip, or 7-Zip on "
            "Windows) and point responses.path at the decompressed file",
            file=file,
            kind="compressed",
        )
    if head == _OLE2:
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data or b"EncryptedPackage" in data:
            raise InputError(
                "the workbook is encrypted (password-protected); remove the password in Excel "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it) and save "
                "again, or export the sheet as CSV",
                file=file,
                kind="encrypted",
            )
        if kind == "xlsx" or kind == "csv":
            raise InputError(
                "the file is an old-style Excel .xls workbook (or another OLE2 document), not "
                f"{'.xlsx' if kind == 'xlsx' else 'CSV text'}; save it as .xlsx or CSV in Excel",
                file=file,
                kind="unreadable",
            )
    if kind == "csv" and head[:4] == b"PK\x03\x04":
        raise InputError(
            "the file is a zip archive (or an Excel workbook with a .csv name), not CSV text; "
            "unzip it, or rename an Excel workbook to .xlsx",
            file=file,
            kind="compressed",
        )


def read_responses(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str = "auto",
    delimiter: str = "auto",
    sheet: str | int | None = None,
    header_row: int = 1,
) -> RawTable:
    """Read a response file without changing it. Returns the table (CSV and Excel: all cells as
    text; .sav and Parquet: their own types) with the file's sha256 and what was detected."""
    path = Path(path)
    file = str(path)
    if path.is_dir():
        raise InputError(
            "is a folder, not a file: give the path of the response file itself "
            "(responses.path, e.g. data/responses.csv)",
            file=file,
            kind="is_directory",
        )
    if not path.is_file():
        raise InputError("the response file does not exist", file=file, kind="missing_file")
    kind = detect_format(path, fmt)
    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes)", file=file, kind="empty")
    check_container(path, kind, file)
    digest = sha256_file(path)
    if kind == "csv":
        raw = path.read_bytes()
        text, enc = decode_text(raw, encoding, file)
        df, delim = read_csv_text(text, file=file, delimiter=delimiter, header_row=header_row)
        out = RawTable(df, file, "csv", digest, encoding=enc, delimiter=delim)
    elif kind == "xlsx":
        out = read_xlsx(path, file=file, sheet=sheet, header_row=header_row)
    elif kind == "sav":
        out = read_sav(path, file=file)
    elif kind == "parquet":
        out = read_parquet_file(path, file=file)
    else:  # pragma: no cover - schema enum
        raise InputError(f"unknown format {kind!r}", file=file)
    out.sha256 = digest
    if len(out.data) == 0:
        raise InputError("the file has a header but no data rows", file=file, kind="no_rows")
    return out


def _identifiers_out_of_items(
    data: pd.DataFrame, items: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A phone or ID number typed into a numeric item cell is not kept as a number: the cell
    becomes missing and is reported (as ``<redacted: kind>``) with the text cells, so the
    cleaning log shows the kind, never the value."""
    from .privacy import numbers_that_identify

    cols = [c for c in items if c in data.columns]
    if not cols:
        return data, pd.DataFrame(columns=["row", "column", "value"])
    x = data[cols].to_numpy(dtype=float, copy=True)
    kind = numbers_that_identify(x)
    r, c = np.nonzero(kind != "")
    if not len(r):
        return data, pd.DataFrame(columns=["row", "column", "value"])
    data = data.copy()
    x[r, c] = np.nan
    data[cols] = x
    rows = data["source_row"].to_numpy()[r] if "source_row" in data.columns else r + 1
    typed = pd.DataFrame(
        {
            "row": rows,
            "column": np.asarray(cols, dtype=object)[c],
            "value": "<redacted: " + pd.Series(kind[r, c], dtype=object) + ">",
        }
    )
    return data, typed


def _screen_labels(labels: dict[str, dict[str, str]], kept: set[str]) -> dict[str, dict[str, str]]:
    """SPSS value labels as ingest.json may show them: only for kept columns, and a label that
    holds an identifier becomes ``<redacted: kind>``."""
    from .privacy import redact_values

    out: dict[str, dict[str, str]] = {}
    for col, m in labels.items():  # loop over labelled columns; the screen is vectorised
        if col not in kept or not m:
            continue
        keys = list(m)
        vals = redact_values(pd.Series([m[k] for k in keys], dtype=object))
        out[col] = dict(zip(keys, vals.tolist(), strict=True))
    return out


RESPONSES_DEFAULTS: dict[str, Any] = {
    "path": None,
    "format": "auto",
    "encoding": "auto",
    "delimiter": "auto",
    "sheet": None,
    "header_row": 1,
    "id_column": "respondent_id",
    "unit_column": "customer_id",
    "wave_column": "wave",
    "duration_column": "duration_sec",
    "rename": {},
}


@dataclass
class Ingested:
    """The typed, PII-free table written to clean/ingested.parquet and its report
    (clean/ingest.json)."""

    data: pd.DataFrame
    report: dict[str, Any]
    non_numeric: pd.DataFrame


def ingest_file(
    path: str | Path,
    instrument: Any,
    responses: dict[str, Any] | None = None,
    cleaning: dict[str, Any] | None = None,
    privacy: dict[str, Any] | None = None,
    *,
    seed: int = 0,
) -> Ingested:
    """Read ``path``, validate it against the instrument (structural problems raise
    :class:`InputErrors`), type it and remove identifiers and free text."""
    from .codebook import validate_codebook
    from .privacy import apply_privacy, redact_values

    rcfg = {**RESPONSES_DEFAULTS, **(responses or {})}
    ccfg = cleaning or {}
    raw = read_responses(
        path,
        fmt=rcfg["format"],
        encoding=rcfg["encoding"],
        delimiter=rcfg["delimiter"],
        sheet=rcfg["sheet"],
        header_row=int(rcfg["header_row"]),
    )
    df = raw.data
    if rcfg["rename"]:
        df = df.rename(columns=dict(rcfg["rename"]))
        _check_header(list(df.columns), raw.file, int(rcfg["header_row"]))
    attention = ((ccfg.get("attention") or {}).get("column")) or "attention_check"
    cb = validate_codebook(
        df,
        instrument,
        file=raw.file,
        id_column=rcfg["id_column"],
        unit_column=rcfg["unit_column"],
        numeric_columns=(rcfg["duration_column"], attention),
        max_offscale_share=float(ccfg.get("max_offscale_share", 0.2)),
    )
    protected = set(instrument.item_ids) | {
        "source_row",
        "respondent_id",
        "unit_id",
        rcfg["wave_column"],
        rcfg["duration_column"],
        attention,
        "region",
        "branch",
        "segment",
        "stratum",
        "psu",
        "ssu",
        "interview_start",
    }
    data, typed = _identifiers_out_of_items(cb.data, instrument.item_ids)
    priv = apply_privacy(data, privacy, protected=protected, seed=seed)
    nn = pd.concat([cb.non_numeric, typed], ignore_index=True) if len(typed) else cb.non_numeric
    nn = nn.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    nn["value"] = redact_values(nn["value"].astype(object)).to_numpy(dtype=object)
    info = raw.info()
    info["value_labels"] = _screen_labels(info["value_labels"], set(priv.data.columns))
    report = {
        **info,
        "columns_kept": [str(c) for c in priv.data.columns],
        "codebook": cb.report(),
        "privacy": priv.report(),
        "non_numeric": nn.to_dict(orient="records"),
    }
    return Ingested(data=priv.data, report=report, non_numeric=nn)
