"""A seeded corpus of direct identifiers in the forms Chinese and English survey data carry them.

``build(folder, seed)`` writes the same kind of raw response file in five forms (CSV UTF-8,
CSV GBK, .xlsx, SPSS .sav, Parquet), each with identifiers placed where a hostile tester puts
them: columns whose names mean an identifier (客户姓名, 联系人, 联系电话, 微信号, QQ, 地址,
Customer Name ...), free text (备注, in Chinese without spaces, and English), columns with
innocent names whose values are identifiers, item cells (a phone typed into a quantity item, a
name in CE1, "call 139-8888-7777" in CE2) and SPSS value labels. It returns the seeded
identifiers as (kind, value, file).

``scan(outputs, seeded)`` counts, by kind, how many seeded identifiers appear in any output
text (Parquet read back as CSV text). Run ``python tests/corpus/make_pii_corpus.py`` to print
tried / leaked by kind for the library on the path (the ingest and clean steps as the rules run
them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ITEMS = ["CE1", "CE2", "CE3", "PQ1", "PQ2", "PQ3", "PV1", "PV2", "PV3", "CS1", "CS2", "CC1", "CC2", "CL1", "CL2", "CL3"]  # fmt: skip
SINGLE = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁")
COMPOUND = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "司徒", "夏侯", "令狐"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉婷雪琳晨宇浩然子轩欣怡")
MINORITY_A = ["买买提", "阿依古丽", "热依拉", "艾力", "古丽娜", "努尔", "帕提古丽", "吐尔逊"]
MINORITY_B = ["艾力", "吐尔逊", "买买提", "阿不都", "热合曼", "依明", "沙吾提"]
EN_FIRST = ["Anna", "John", "Mary", "David", "Linda", "James", "Susan", "Peter", "Grace"]
EN_LAST = ["Smith", "Brown", "Taylor", "Wilson", "Evans", "Clarke", "Turner", "Hughes"]
PINYIN = ["Zhang", "Wang", "Ouyang", "Zhuge", "Sima", "Chen", "Liu", "Huang", "Shangguan"]
STREETS_ZH = ["中山路", "人民大道", "解放街", "建国路", "长安街", "南京西路", "学院路"]
CITIES_ZH = ["北京市海淀区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "成都市武侯区"]
STREETS_EN = ["Baker Street", "Queen's Road", "Nathan Road", "Oxford Street", "Main Street"]
AREA = ["010", "021", "020", "0755", "028", "0571", "025"]
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
AREA6 = ["110105", "310104", "440106", "440305", "510107", "330106", "320102"]

KINDS = ("name", "phone", "id_number", "passport", "wechat", "qq", "email", "address")


def id18(rng: np.random.Generator) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    y = int(rng.integers(1950, 2005))
    body = (
        f"{AREA6[int(rng.integers(len(AREA6)))]}{y}{int(rng.integers(1, 13)):02d}"
        f"{int(rng.integers(1, 29)):02d}{int(rng.integers(0, 1000)):03d}"
    )
    s = int((np.array([int(c) for c in body]) * ID_WEIGHTS).sum())
    return body + "10X98765432"[s % 11]


def id15(rng: np.random.Generator) -> str:
    return (
        f"{AREA6[int(rng.integers(len(AREA6)))]}{int(rng.integers(50, 99))}"
        f"{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}{int(rng.integers(0, 1000)):03d}"
    )


def mobile(rng: np.random.Generator, style: int) -> str:
    d = f"1{int(rng.integers(3, 10))}{int(rng.integers(0, 10))}{int(rng.integers(0, 10**8)):08d}"
    return [
        d,
        f"{d[:3]}-{d[3:7]}-{d[7:]}",
        f"{d[:3]} {d[3:7]} {d[7:]}",
        f"+86 {d}",
        f"+86-{d[:3]}-{d[3:7]}-{d[7:]}",
        f"(+86){d}",
        f"0086 {d[:3]} {d[3:7]} {d[7:]}",
    ][style % 7]


def landline(rng: np.random.Generator, style: int) -> str:
    a = AREA[int(rng.integers(len(AREA)))]
    n = f"{int(rng.integers(2, 10))}{int(rng.integers(0, 10**7)):07d}"
    if len(a) == 4:
        n = n[:7]
    return [f"{a}-{n}", f"({a}) {n[:4]} {n[4:]}", f"+86 {a[1:]} {n}", f"{a} {n}"][style % 4]


def person(rng: np.random.Generator, style: int) -> str:
    g = lambda k: "".join(rng.choice(GIVEN, k))  # noqa: E731
    return [
        lambda: SINGLE[int(rng.integers(len(SINGLE)))] + g(int(rng.integers(1, 3))),
        lambda: COMPOUND[int(rng.integers(len(COMPOUND)))] + g(int(rng.integers(1, 3))),
        lambda: f"{rng.choice(MINORITY_A)}·{rng.choice(MINORITY_B)}",
        lambda: f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}",
        lambda: f"{rng.choice(PINYIN)} {rng.choice(['Wei', 'Na', 'Xiu', 'Ming', 'Jie'])}",
        lambda: f"{str(rng.choice(PINYIN)).upper()} {rng.choice(['Wei', 'Lei', 'Fang'])}",
    ][style % 6]()


def passport(rng: np.random.Generator, style: int) -> str:
    n = int(rng.integers(0, 10**8))
    return [f"E{n:08d}", f"G{n:08d}", f"E{'ABCDFGH'[n % 7]}{n % 10**7:07d}"][style % 3]


def wechat(rng: np.random.Generator) -> str:
    letters = "abcdefghijkmnpqrstuvwxyz"
    return "".join(rng.choice(list(letters), 1)) + "".join(
        rng.choice(list(letters + "0123456789_"), int(rng.integers(6, 12)))
    )


def qq(rng: np.random.Generator) -> str:
    return str(int(rng.integers(10**7, 4 * 10**9)))


def email(rng: np.random.Generator) -> str:
    user = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), int(rng.integers(4, 9))))
    return f"{user}{int(rng.integers(10, 999))}@{rng.choice(['163.com', 'qq.com', 'example.cn', 'gmail.com'])}"


def address(rng: np.random.Generator, style: int) -> str:
    if style % 2 == 0:
        return (
            f"{rng.choice(CITIES_ZH)}{rng.choice(STREETS_ZH)}{int(rng.integers(1, 300))}号"
            f"{int(rng.integers(1, 30))}栋{int(rng.integers(101, 2999))}室"
        )
    return f"{int(rng.integers(1, 400))} {rng.choice(STREETS_EN)}"


def base_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "respondent_id": [f"R{k:04d}" for k in range(1, n + 1)],
            "customer_id": [f"C{k:07d}" for k in range(101, 101 + n)],
            "region": rng.choice(["华东", "华北", "华南"], n),
            "segment": rng.choice(["personal", "family", "business"], n),
            "wave": ["main"] * n,
            "duration_sec": rng.integers(300, 700, n).astype(str),
        }
    )
    base = rng.integers(2, 5, n)
    for it in ITEMS:
        if it in ("CL2", "CL3"):
            df[it] = rng.integers(1, 40, n).astype(str)
        else:
            df[it] = np.clip(base + rng.integers(-1, 2, n), 1, 5).astype(str)
    df["attention_check"] = "4"
    return df


# (column name, kind-generator) of the identifier columns; the names vary by file
COLUMN_SETS = [
    {"name": "客户姓名", "phone": "联系电话", "wechat": "微信号", "qq": "QQ", "id": "身份证号码",
     "addr": "地址", "free": "备注", "other": "其他"},
    {"name": "联系人", "phone": "手机号码", "wechat": "微信", "qq": "QQ号", "id": "证件号",
     "addr": "家庭住址", "free": "客户意见", "other": "补充信息1"},
    {"name": "Customer Name", "phone": "Mobile No", "wechat": "WeChat ID", "qq": "qq_number",
     "id": "ID Card", "addr": "Address", "free": "Remarks", "other": "x_extra"},
    {"name": "respondentName", "phone": "tel", "wechat": "wx", "qq": "QQ账号", "id": "idNo",
     "addr": "street_addr", "free": "open_text", "other": "info"},
    {"name": "受访者", "phone": "contact", "wechat": "v2", "qq": "v3", "id": "v4",
     "addr": "v5", "free": "v6", "other": "v7"},
]  # fmt: skip

FREE_ZH = [
    "请回电{phone}谢谢",
    "我叫{name}，电话{phone}",
    "邮箱{email}有事联系",
    "我的身份证号{id}办理业务",
    "微信号{wechat}加我",
    "QQ{qq}联系",
    "家住{addr}",
    "护照{passport}出差用",
    "联系人：{name}，手机{phone}",
]
FREE_EN = [
    "please call me back on {phone} thanks",
    "my name is {name}, email {email}",
    "I live at {addr}, call {phone}",
    "passport {passport} was checked",
]


def build(folder: str | Path, seed: int = 12, n: int = 16) -> tuple[list[Path], list[tuple]]:
    """Write the five files into ``folder``; return their paths and the seeded identifiers as
    (kind, value, file name)."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files: list[Path] = []
    seeded: list[tuple] = []
    forms = ["utf8.csv", "gbk.csv", "book.xlsx", "spss.sav", "table.parquet"]
    for f, (form, cols) in enumerate(zip(forms, COLUMN_SETS, strict=True)):
        name = f"pii_{f}_{form}"
        df = base_table(n, rng)

        def seed_(kind: str, value: str, name=name) -> str:
            seeded.append((kind, value, name))
            return value

        df[cols["name"]] = [seed_("name", person(rng, k + f)) for k in range(n)]
        df[cols["phone"]] = [
            seed_("phone", mobile(rng, k) if k % 3 else landline(rng, k)) for k in range(n)
        ]
        df[cols["wechat"]] = [seed_("wechat", wechat(rng)) for _ in range(n)]
        df[cols["qq"]] = [seed_("qq", qq(rng)) for _ in range(n)]
        df[cols["id"]] = [seed_("id_number", id18(rng) if k % 4 else id15(rng)) for k in range(n)]
        df[cols["addr"]] = [seed_("address", address(rng, k + f)) for k in range(n)]
        free = []
        for k in range(n):
            tmpl = (FREE_ZH + FREE_EN)[(k + f) % (len(FREE_ZH) + len(FREE_EN))]
            english = tmpl in FREE_EN
            vals = {
                "phone": mobile(rng, k) if k % 2 else landline(rng, k),
                "name": person(rng, 3 if english else k % 3),
                "email": email(rng),
                "id": id18(rng),
                "wechat": wechat(rng),
                "qq": qq(rng),
                "addr": address(rng, 1 if english else 0),
                "passport": passport(rng, k),
            }
            kinds = {"phone": "phone", "name": "name", "email": "email", "id": "id_number",
                     "wechat": "wechat", "qq": "qq", "addr": "address", "passport": "passport"}  # fmt: skip
            for key, kind in kinds.items():
                if "{" + key + "}" in tmpl:
                    seed_(kind, vals[key])
            free.append(tmpl.format(**vals))
        df[cols["free"]] = free
        df[cols["other"]] = [
            seed_("email", email(rng)) if k % 2 else seed_("passport", passport(rng, k))
            for k in range(n)
        ]
        # identifiers typed into item cells
        ph = mobile(rng, 0)
        df.loc[1, "CL2"] = seed_("phone", ph)
        df.loc[2, "CE1"] = seed_("name", person(rng, f))
        call = mobile(rng, 1)
        df.loc[3, "CE2"] = f"call {seed_('phone', call)}"
        path = d / name
        if form == "utf8.csv":
            df.to_csv(path, index=False, lineterminator="\n")
        elif form == "gbk.csv":
            path.write_bytes(df.to_csv(index=False, lineterminator="\n").encode("gb18030"))
        elif form == "book.xlsx":
            df.to_excel(path, index=False, sheet_name="Data")
        elif form == "table.parquet":
            df.to_parquet(path, index=False)
        else:
            import pyreadstat

            sav = df.copy()
            num = [*ITEMS, "duration_sec", "attention_check"]
            for c in num:
                sav[c] = pd.to_numeric(sav[c], errors="coerce")
            sav.loc[2, "CE1"] = np.nan  # a .sav item column holds numbers only
            sav.loc[3, "CE2"] = np.nan
            seeded[:] = [
                s for s in seeded if not (s[2] == name and s[1] in (df.loc[2, "CE1"], call))
            ]
            labels = {
                "CE1": {1.0: f"不满意 {seed_('phone', mobile(rng, 2))}",
                        5.0: f"满意 {seed_('name', person(rng, 1))}"},
                "CE3": {3.0: f"一般 {seed_('email', email(rng))}"},
            }  # fmt: skip
            pyreadstat.write_sav(sav, str(path), variable_value_labels=labels)
        files.append(path)
    return files, seeded


def outputs_text(paths: list[Path]) -> str:
    """All outputs as one text: Parquet read back as CSV (with column names), others as text."""
    parts = []
    for p in paths:
        p = Path(p)
        if p.suffix == ".parquet":
            t = pd.read_parquet(p)
            parts.append(" ".join(map(str, t.columns)))
            parts.append(t.to_csv(index=False))
        else:
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def scan(paths: list[Path], seeded: list[tuple]) -> dict[str, dict[str, int]]:
    """Tried and leaked (found in any output text) by kind."""
    text = outputs_text(paths)
    out: dict[str, dict[str, int]] = {}
    for kind, value, _ in seeded:
        row = out.setdefault(kind, {"tried": 0, "leaked": 0})
        row["tried"] += 1
        row["leaked"] += int(value in text)
    return dict(sorted(out.items()))


def run_library(files: list[Path], results: Path, instrument_path: Path) -> list[Path]:
    """Ingest and clean each file as the rules do; write the outputs under ``results``;
    return the paths written."""
    from csindex.cleaning import clean_responses, ingest_file
    from csindex.instrument import load_instrument
    from csindex.io import write_csv, write_json, write_parquet

    inst = load_instrument(instrument_path)
    written: list[Path] = []
    for f in files:
        out = results / f.stem / "clean"
        ing = ingest_file(f, inst)
        res = clean_responses(ing.data, inst, non_numeric=ing.non_numeric)
        outs = {
            "ingested.parquet": lambda p, ing=ing: write_parquet(ing.data, p),
            "ingest.json": lambda p, ing=ing: write_json(ing.report, p),
            "responses.parquet": lambda p, res=res: write_parquet(res.data, p),
            "log.csv": lambda p, res=res: write_csv(res.log, p),
            "summary.json": lambda p, res=res: write_json(res.summary, p),
        }
        for name, write in outs.items():
            write(out / name)
            written.append(out / name)
    return written


if __name__ == "__main__":
    import tempfile

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        files, seeded = build(Path(tmp) / "raw")
        written = run_library(files, Path(tmp) / "results", root / "config/instrument.yaml")
        res = scan(written, seeded)
    total = {"tried": 0, "leaked": 0}
    for kind, row in res.items():
        print(f"{kind:10s} tried {row['tried']:4d} leaked {row['leaked']:4d}")
        total = {k: total[k] + row[k] for k in total}
    print(f"{'total':10s} tried {total['tried']:4d} leaked {total['leaked']:4d}")
    sys.exit(0)
