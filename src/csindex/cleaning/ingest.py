"""Reading a response file: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel .xlsx, SPSS .sav,
Parquet. The file is opened read-only; every problem becomes an :class:`InputError` naming the
file, row and column. The reader of each format is in :mod:`csindex.cleaning.readers`.

Rows are numbered as a spreadsheet shows them after the header: data row 1 is the first row
below the header row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import sha256_file
from .readers import DELIMITERS as DELIMITERS
from .readers import (
    RawTable,
    check_header,
    decode_text,
    read_csv_text,
    read_parquet_file,
    read_sav,
    read_xlsx,
)

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


def _protected_columns(instrument: Any, rcfg: dict[str, Any], attention: str) -> set[str]:
    """Columns the privacy screen never drops: items, ids, wave, duration, attention check and
    the design variables."""
    return set(instrument.item_ids) | {
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
        check_header(list(df.columns), raw.file, int(rcfg["header_row"]))
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
    protected = _protected_columns(instrument, rcfg, attention)
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
