"""Build the corpus of broken response files used by tests/test_cleaning_corpus.py.

Run ``python tests/corpus/make_corpus.py DIR`` to write the files into DIR (the tests build
them in a temporary folder). Each entry of :data:`CASES` names a file, the responses config to
read it with, and the exact problem expected: the error kind, and the row / column it names
(``None``: no row / column), or ``ok`` for files that must be read correctly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ITEMS = ["CE1", "CE2", "CE3", "PQ1", "PQ2", "PQ3", "PV1", "PV2", "PV3", "CS1", "CS2", "CC1", "CC2", "CL1", "CL2", "CL3"]  # fmt: skip
NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄勇",
    "周杰",
    "吴霞",
    "Anna Smith",
    "John Lee",
]


def good_table(n: int = 12, seed: int = 7) -> pd.DataFrame:
    """A valid raw response table by the data contract (text cells, as a CSV holds them)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "respondent_id": [f"R{k:04d}" for k in range(1, n + 1)],
            "customer_id": [f"C{k:07d}" for k in range(101, 101 + n)],
            "region": rng.choice(["华东", "华北", "华南"], n),
            "segment": rng.choice(["personal", "family", "business"], n),
            "wave": ["pilot"] * 3 + ["main"] * (n - 3),
            "duration_sec": rng.integers(300, 700, n),
        }
    )
    base = rng.integers(2, 5, n)
    for it in ITEMS:
        if it in ("CL2", "CL3"):
            df[it] = rng.integers(1, 40, n)
        else:
            df[it] = np.clip(base + rng.integers(-1, 2, n), 1, 5)
    df["attention_check"] = 4
    df["name"] = [NAMES[k % len(NAMES)] for k in range(n)]
    df["phone"] = [f"138{k:08d}" for k in range(10000000, 10000000 + n)]
    df["email"] = [f"user{k}@example.cn" for k in range(n)]
    df["comment"] = ["" if k % 3 else f"请回电 139{k:08d} thanks a lot" for k in range(n)]
    return df.astype(str).replace({"": ""})


@dataclass
class Case:
    name: str
    file: str
    kind: str  # error kind, or "ok"
    row: int | None = None
    column: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    contains: str = ""  # text the message must contain


def _csv(df: pd.DataFrame, path: Path, **kw: Any) -> None:
    df.to_csv(path, index=False, lineterminator="\n", **kw)


def _xlsx_with_title(df: pd.DataFrame, path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["客户满意度调查 2026 — Company L"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
    ws.append(list(df.columns))
    for r in df.itertuples(index=False):
        ws.append(list(r))
    wb.save(path)


def _xlsx_formula(df: pd.DataFrame, path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(list(df.columns))
    for r in df.itertuples(index=False):
        ws.append(list(r))
    col = list(df.columns).index("CS1") + 1
    ws.cell(row=5, column=col, value="=B2+1")  # data row 4, no cached value
    wb.save(path)


def _xlsx_plain(df: pd.DataFrame, path: Path, sheet: str = "Data") -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        df.to_excel(xw, sheet_name=sheet, index=False)


def build(folder: str | Path) -> list[Case]:
    """Write every corpus file into ``folder``; return the cases."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    g = good_table()
    cases: list[Case] = []

    def add(name: str, kind: str, row=None, column=None, config=None, contains="") -> Case:
        c = Case(name, str(d / name), kind, row, column, config or {}, contains)
        cases.append(c)
        return c

    (d / "empty.csv").write_bytes(b"")
    add("empty.csv", "empty", contains="empty")
    (d / "blank_lines.csv").write_text("\n\n  \n", encoding="utf-8")
    add("blank_lines.csv", "empty", contains="empty")
    (d / "header_only.csv").write_text(",".join(g.columns) + "\n", encoding="utf-8")
    add("header_only.csv", "no_rows", contains="no data rows")
    _csv(g, d / "semicolon.csv", sep=";")
    add(
        "semicolon.csv",
        "delimiter",
        column=";".join(g.columns)[:60],
        config={"delimiter": ","},
        contains="delimiter",
    )
    add("semicolon.csv", "ok", config={"delimiter": "auto"})  # auto-detected
    (d / "gbk.csv").write_bytes(g.to_csv(index=False, lineterminator="\n").encode("gbk"))
    first_cn = 1  # row 1 has Chinese in region
    add("gbk.csv", "decode", row=first_cn, config={"encoding": "utf-8"}, contains="GBK")
    add("gbk.csv", "ok", config={"encoding": "auto"})
    add("gbk.csv", "ok", config={"encoding": "gbk"})
    (d / "bom.csv").write_bytes(g.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
    add("bom.csv", "ok")
    add("bom.csv", "ok", config={"encoding": "utf-8"})
    _xlsx_with_title(g, d / "merged_header.xlsx")
    add("merged_header.xlsx", "merged_header", contains="header_row: 2")
    add("merged_header.xlsx", "ok", config={"header_row": 2})
    _xlsx_formula(g, d / "formula.xlsx")
    add("formula.xlsx", "formula", row=4, column="CS1", contains="=B2+1")
    _xlsx_plain(g, d / "sheets.xlsx")
    add("sheets.xlsx", "sheet", config={"sheet": "Sheet1"}, contains="Data")
    add("sheets.xlsx", "sheet", config={"sheet": 3}, contains="Data")
    add("sheets.xlsx", "ok", config={"sheet": "Data"})
    dup = g.copy()
    cols = list(dup.columns)
    cols[cols.index("PQ2")] = "PQ1"
    dup.columns = cols
    _csv(dup, d / "duplicated_columns.csv")
    add("duplicated_columns.csv", "duplicate_column", column="PQ1", contains="appears twice")
    txt = g.copy()
    txt.loc[2, "CE1"] = "four"
    txt.loc[5, "duration_sec"] = "ten minutes"
    _csv(txt, d / "text_in_numeric.csv")
    add("text_in_numeric.csv", "non_numeric", row=3, column="CE1")
    am = g.copy()
    am["PV2"] = ""
    _csv(am, d / "all_missing_item.csv")
    add("all_missing_item.csv", "all_missing", column="PV2", contains="no answer")
    ten = g.copy()
    ten["CS2"] = (np.arange(len(ten)) % 10 + 1).astype(str)
    _csv(ten, d / "ten_point_as_five.csv")
    add("ten_point_as_five.csv", "scale_mismatch", column="CS2", contains="10-point")
    lz = g.copy()
    lz["respondent_id"] = [f"{k:05d}" for k in range(1, len(lz) + 1)]
    _csv(lz, d / "leading_zeros.csv")
    add("leading_zeros.csv", "ok")
    sav = g.drop(columns=["comment"]).copy()
    for c in ITEMS + ["duration_sec", "attention_check"]:
        sav[c] = sav[c].astype(float)
    import pyreadstat

    pyreadstat.write_sav(
        sav,
        str(d / "good.sav"),
        variable_value_labels={"CE1": {1.0: "very dissatisfied", 5.0: "very satisfied"}},
    )
    add("good.sav", "ok")
    raw = (d / "good.sav").read_bytes()
    (d / "truncated.sav").write_bytes(raw[: len(raw) // 3])
    add("truncated.sav", "unreadable", contains=".sav")
    _csv(g.drop(columns=["respondent_id"]), d / "no_id_column.csv")
    add("no_id_column.csv", "missing_id_column", column="respondent_id", contains="id column")
    _csv(g.drop(columns=["CL3"]), d / "missing_item.csv")
    add("missing_item.csv", "missing_item", column="CL3")
    eid = g.copy()
    eid.loc[6, "respondent_id"] = ""
    _csv(eid, d / "empty_id.csv")
    add("empty_id.csv", "empty_id", row=7, column="respondent_id")
    text = g.to_csv(index=False, lineterminator="\n").splitlines()
    text[5] = text[5] + ",extra,fields"
    (d / "ragged.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    add("ragged.csv", "parse", row=5, contains="fields")
    (d / "not_excel.xlsx").write_text("respondent_id,CE1\nR1,3\n", encoding="utf-8")
    add("not_excel.xlsx", "unreadable", contains="Excel")
    (d / "corrupt.parquet").write_bytes(b"PAR1\x00\x01garbage")
    add("corrupt.parquet", "unreadable", contains="Parquet")
    _csv(g, d / "responses.dat")
    add("responses.dat", "unknown_format", contains=".dat")
    add("does_not_exist.csv", "missing_file", contains="does not exist")
    g.to_parquet(d / "good.parquet", index=False)
    add("good.parquet", "ok")
    dupid = pd.concat([g, g.iloc[[4]]], ignore_index=True)
    _csv(dupid, d / "duplicate_ids.csv")
    add("duplicate_ids.csv", "duplicate_id", row=13, column="respondent_id")
    hidden = g.rename(columns={"phone": "contact_no", "name": "受访者"})
    _csv(hidden, d / "pii_unnamed.csv")
    add("pii_unnamed.csv", "ok")
    _csv(g.rename(columns={"respondent_id": "resp_id"}), d / "renamed_id.csv")
    add("renamed_id.csv", "missing_id_column", column="respondent_id", contains="resp_id")
    add("renamed_id.csv", "ok", config={"id_column": "resp_id"})
    (d / "header_row_too_far.csv").write_text(",".join(g.columns) + "\nR1\n", encoding="utf-8")
    add("header_row_too_far.csv", "empty", config={"header_row": 5}, contains="header_row")
    codes = g.copy()
    codes.loc[0, "CE1"] = "0"
    codes.loc[1, "PQ2"] = "6"
    codes.loc[2, "CS1"] = "55"
    codes.loc[3, "CL2"] = "150"
    codes.loc[4, "PV1"] = "9"
    codes.loc[5, "CL3"] = "998"
    codes.loc[6, "CC1"] = "3.5"
    _csv(codes, d / "off_scale_codes.csv")
    add("off_scale_codes.csv", "ok")
    with pd.ExcelWriter(d / "header_only.xlsx", engine="openpyxl") as xw:
        g.iloc[:0].to_excel(xw, sheet_name="Data", index=False)
    add("header_only.xlsx", "no_rows", contains="no data rows")
    sp = g.copy()
    sp.columns = [f"  {c} " for c in sp.columns]
    _csv(sp, d / "spaces_in_header.csv")
    add("spaces_in_header.csv", "ok")
    _more_cases(d, g, add)
    return cases


def _more_cases(d: Path, g: pd.DataFrame, add) -> None:
    """Issue 12: the inputs that gave a traceback, were accepted silently or got a misleading
    message."""
    import gzip
    import zipfile

    (d / "a_folder.csv").mkdir(exist_ok=True)
    add("a_folder.csv", "is_directory", contains="folder")
    _xlsx_plain(g, d / "sheet_ok.xlsx")
    with (
        zipfile.ZipFile(d / "sheet_ok.xlsx") as zin,
        zipfile.ZipFile(d / "truncated_sheet.xlsx", "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            zout.writestr(info, data)
    (d / "sheet_ok.xlsx").unlink()
    add("truncated_sheet.xlsx", "unreadable", contains="damaged or truncated")
    import openpyxl

    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "Old"
    old.append(["note", "this sheet is hidden"])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("Data")
    ws.append(list(g.columns))
    for r in g.itertuples(index=False):
        ws.append(list(r))
    wb.active = 1
    wb.save(d / "hidden_first_sheet.xlsx")
    add("hidden_first_sheet.xlsx", "ok")
    (d / "gzipped.csv").write_bytes(gzip.compress(g.to_csv(index=False).encode("utf-8"), mtime=0))
    add("gzipped.csv", "compressed", contains="gzip-compressed")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    (d / "encrypted.xlsx").write_bytes(
        ole + "EncryptedInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
    )
    add("encrypted.xlsx", "encrypted", contains="password-protected")
    (d / "old_excel.xlsx").write_bytes(ole + "Workbook".encode("utf-16-le") * 8)
    add("old_excel.xlsx", "unreadable", contains=".xls")
    with zipfile.ZipFile(d / "zipped.csv", "w") as z:
        z.writestr("responses.csv", g.to_csv(index=False))
    add("zipped.csv", "compressed", contains="zip archive")
    nul = g.copy()
    nul.loc[4, "respondent_id"] = "R00\x0005"
    _csv(nul, d / "nul_in_id.csv")
    add("nul_in_id.csv", "control_char_id", row=5, column="respondent_id", contains="NUL")
    same = g.copy()
    same["respondent_id"] = "R0001"
    _csv(same, d / "same_id_everywhere.csv")
    add("same_id_everywhere.csv", "constant_id", column="respondent_id", contains="same")
    ts = g.copy()
    ts["CE1"] = pd.to_datetime("2026-09-01") + pd.to_timedelta(np.arange(len(ts)), unit="D")
    ts.to_parquet(d / "timestamp_item.parquet", index=False)
    add("timestamp_item.parquet", "column_type", column="CE1", contains="timestamps")
    lst = g.copy()
    lst["CE2"] = [[1, 2]] * len(lst)
    lst.to_parquet(d / "list_item.parquet", index=False)
    add("list_item.parquet", "column_type", column="CE2", contains="values")
    _csv(g, d / "id_is_an_item.csv")
    add("id_is_an_item.csv", "config", column="responses.id_column", config={"id_column": "CE1"},
        contains="is an item of the instrument")  # fmt: skip


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/corpus/files"
    for c in build(out):
        print(f"{c.name:28s} {c.kind:18s} row={c.row} column={c.column} config={c.config}")
