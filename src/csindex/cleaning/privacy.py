"""Privacy: direct identifiers and free text never reach results/.

Columns named in ``privacy.identifiers`` are dropped or replaced by a salted SHA-256 hash; as a
safety net, a column is treated the same way when its *name* means an identifier (by substring
or token: 客户姓名, 联系人, 联系电话, 微信号, QQ, 地址, customer_name, MobileNo …) or when its
*values* hold one: a mainland mobile or landline number in any spacing (+86, dashes, spaces), an
18-digit resident ID number with a valid GB 11643 check digit (or a 15-digit old one), a
passport number, a WeChat or QQ id, an e-mail address, a street address, or a person's name
(Chinese, with compound surnames such as 欧阳 and minority names with ``·``, or romanised).
Identifiers are found *inside* text too, in Chinese without spaces. Free-text columns (by name:
备注, 意见, comment …, or by shape) are dropped unless kept.

Every check is a compiled regular expression applied with pandas' vectorised string methods
(one pass per pattern and column, no Python loop over rows).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError

PRIVACY_DEFAULTS: dict[str, Any] = {
    "identifiers": ["name", "phone", "email"],
    "action": "drop",
    "salt_env": "CSINDEX_SALT",
    "free_text": ["comment"],
    "keep_free_text": [],
    "detect": True,
}

# ----------------------------------------------------------------------------- column names
# Chinese (and other CJK) name fragments match as substrings: 客户姓名, 联系人电话, 微信号 ...
CJK_NAME_PARTS = (
    "姓名", "名字", "称呼", "联系人", "受访人", "受访者姓名", "客户名", "用户名", "户主",
    "电话", "電話", "手机", "手機", "座机", "固话", "联系方式", "联络方式", "联系电话", "号码",
    "邮箱", "郵箱", "邮件", "電郵", "电邮",
    "身份证", "身份證", "证件", "證件", "护照", "護照",
    "微信", "微訊", "企微", "QQ", "扣扣",
    "地址", "住址", "住所", "门牌", "邮编",
)  # fmt: skip
CJK_FREE_TEXT_PARTS = (
    "备注", "備註", "意见", "意見", "建议", "建議", "留言", "评论", "評論", "评价内容",
    "其他说明", "补充", "说明", "描述", "原因", "开放题", "开放式",
)  # fmt: skip
# Latin names match as tokens (split on _ - . space / and camelCase): customer_name, MobileNo.
LATIN_NAME_TOKENS = {
    "name", "names", "fullname", "firstname", "lastname", "surname", "givenname", "forename",
    "customername", "contactname", "contact", "contacts", "respondentname",
    "phone", "phones", "mobile", "mobileno", "tel", "telephone", "cellphone", "cell", "fax",
    "landline", "phoneno", "phonenumber", "msisdn",
    "email", "mail", "e-mail", "emailaddress",
    "address", "addr", "street", "postcode", "zipcode", "zip",
    "idcard", "idno", "idnumber", "ssn", "passport", "passportno", "nationalid", "sfz",
    "wechat", "weixin", "wx", "wxid", "qq", "qqno", "whatsapp",
}  # fmt: skip
LATIN_FREE_TEXT_TOKENS = {
    "comment", "comments", "remark", "remarks", "note", "notes", "feedback", "verbatim",
    "openended", "opentext", "freetext", "suggestion", "suggestions", "specify", "othertext",
    "memo", "beizhu",
}  # fmt: skip

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[\s_.\-/()（）:：#]+")


def _tokens(name: str) -> set[str]:
    """Latin tokens of a column name: split on separators and camelCase, lower-cased, plus the
    whole name without separators (so 'Customer Name' gives customer, name, customername)."""
    parts = _SPLIT.split(_CAMEL.sub(" ", name.strip()))
    low = [p.lower() for p in parts if p]
    out = set(low) | {"".join(low)}
    # pairs of neighbours (mobile_no -> mobileno, phone number -> phonenumber)
    out |= {a + b for a, b in zip(low, low[1:], strict=False)}
    return {p for p in out if p}


def column_kind(name: str) -> tuple[str, str] | None:
    """What a column *name* means: ("identifier" | "free_text", the fragment that matched), or
    None. Chinese fragments match anywhere in the name (客户姓名, 联系人电话); Latin ones as
    tokens, so 'brand' does not match 'and' and 'hotel' does not match 'tel'."""
    text = str(name)
    upper = text.upper()
    for part in CJK_NAME_PARTS:
        if part.upper() in upper and (part != "QQ" or re.search(r"(?<![A-Z])QQ", upper)):
            return "identifier", part
    for part in CJK_FREE_TEXT_PARTS:
        if part in text:
            return "free_text", part
    toks = _tokens(text)
    hit = toks & LATIN_NAME_TOKENS
    if hit:
        return "identifier", sorted(hit)[0]
    hit = toks & LATIN_FREE_TEXT_TOKENS
    if hit:
        return "free_text", sorted(hit)[0]
    return None


# ----------------------------------------------------------------------------- value patterns
_ND = r"(?<![0-9])"  # not preceded by a digit
_NDA = r"(?![0-9])"  # not followed by a digit
_NAN = r"(?<![0-9A-Za-z])"
_NANA = r"(?![0-9A-Za-z])"
_SEP = r"[\s\-.·]?"
# mainland mobile: 1[3-9]x xxxx xxxx with any single separators, optional +86 / 0086 / (86)
MOBILE = rf"{_ND}(?:(?:\+|00)?\(?86\)?[\s\-]*)?1[3-9]\d(?:{_SEP}\d){{8}}{_NDA}"
# landline: area code 0xx / 0xxx (optionally in brackets or after +86) and a 7-8 digit number
LANDLINE = (
    rf"{_ND}(?:(?:\+|00)86[\s\-]*\(?0?[1-9]\d{{1,2}}\)?|\(?0[1-9]\d{{1,2}}\)?)[\s\-]*"
    rf"[2-9]\d{{2,3}}[\s\-]?\d{{4}}{_NDA}"
)
INTL_PHONE = r"(?<![0-9A-Za-z])\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,4}){2,4}(?![0-9])"
ID18 = (
    rf"{_NAN}[1-9]\d{{5}}(?:18|19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    rf"\d{{3}}[\dXx]{_NANA}"
)
ID15 = rf"{_NAN}[1-9]\d{{5}}\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{{3}}{_NANA}"
PASSPORT = (
    rf"{_NAN}(?:E[0-9A-HJ-NP-Z]\d{{7}}|[EGDSP]\d{{8}}|(?:SE|DE|PE)\d{{7}}|[HM]\d{{8,10}})"
    rf"{_NANA}|(?i:护照|passport)(?:\s*(?:no\.?|number|号码?))?[\s:：#]*[A-Z0-9]{{6,10}}"
)
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
WECHAT = (
    r"(?i:微信号?|微訊|wechat(?:\s*id)?|weixin|vx|wx|V信|威信)[\s:：号是为]*"
    r"[A-Za-z][A-Za-z0-9_\-]{5,19}(?![A-Za-z0-9_\-])|(?<![A-Za-z0-9])wxid_[A-Za-z0-9]{6,}"
)
QQ = r"(?i:Q\s?Q|扣扣|企鹅)[\s:：号码是为]*[1-9]\d{4,11}(?![0-9])"
HAN = "\u4e00-\u9fff"
_CN_NUM = "0-9０-９一二三四五六七八九十百零〇"
ADDRESS_ZH = (
    rf"(?:[\u4e00-\u9fff]{{1,10}}(?:省|市|自治区|区|县|镇|乡|街道|村))*"
    rf"[\u4e00-\u9fff{_CN_NUM}]{{1,15}}(?:路|街|大道|大街|巷|弄|胡同|里|道|村|小区|花园|公寓|大厦)"
    rf"[{_CN_NUM}]+(?:号|號|弄|栋|幢|座)"
    rf"|[\u4e00-\u9fff]{{2,10}}(?:省|自治区)[\u4e00-\u9fff]{{2,10}}市[\u4e00-\u9fff]{{2,10}}(?:区|县)"
    rf"|[{_CN_NUM}]+(?:栋|幢|号楼)[{_CN_NUM}]*(?:单元)?[{_CN_NUM}]+(?:室|号房)"
    rf"|(?:家住|住在|住址|地址|寄到|送到|收货地址)[\s:：是为在]*[{HAN}{_CN_NUM}]{{4,}}"
)
ADDRESS_EN = (
    r"(?<![0-9A-Za-z])\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z]+\.?\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl"
    r"|Square|Sq|Highway|Hwy|Terrace)\b\.?"
    r"|(?i:\b(?:i live at|i live in|my address is|address:|ship to)\s+\S+(?:\s+\S+){1,})"
    r"|(?i:\b(?:room|rm|flat|apt|apartment|unit)\s*#?\d{1,5}[A-Za-z]?,?\s+(?:\w+\s+){0,3}"
    r"(?:building|bldg|tower|block|mansion|plaza)\b)"
)
COMPOUND_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|轩辕|令狐|端木|独孤|南宫"
    "|西门|百里|呼延|万俟|闻人|赫连|澹台|公冶|太史|申屠|钟离|宗政|濮阳|淳于|单于|仲孙|叔孙"
    "|东郭|南门|羊舌|微生|梁丘|左丘|谷梁|拓跋|完颜|鲜于|司空|第五|乐正|呼延|欧"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑"
    "景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_DOT = "·•・‧．.∙"
HAN_NAME = rf"(?:{COMPOUND_SURNAMES})[{HAN}]{{1,2}}|[{SURNAMES}][{HAN}]{{1,2}}"
MINORITY_NAME = rf"[{HAN}]{{1,8}}[{_DOT}][{HAN}]{{1,10}}(?:[{_DOT}][{HAN}]{{1,10}})?"
LATIN_NAME = (
    r"[A-Z][a-z]+(?:[ \-'][A-Z][a-z]+){1,2}|[A-Z]{2,}\s+[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)?"
    r"|[A-Z][a-z]+\s+[A-Z]{2,}|[A-Z][a-z]+,\s*[A-Z][a-z]+"
)
# names inside text, after a cue: 我叫欧阳娜娜, 联系人：张伟, my name is John Lee, Mr. Wang
NAME_IN_TEXT = (
    rf"(?:我叫|我是|本人|姓名|名字|联系人|找|请|致电|客户|先生|女士|经理)[\s:：是为]*"
    rf"(?:{MINORITY_NAME}|{HAN_NAME})"
    rf"|(?:{HAN_NAME})(?:先生|女士|小姐|老师|经理|师傅)"
    r"|(?i:my name is|i am|i'm|this is|contact|call|ask for|name:)\s+"
    r"(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
    r"|(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+"
)
FULL_NAME = re.compile(rf"^\s*(?:{MINORITY_NAME}|{HAN_NAME}|{LATIN_NAME})\s*$")

#: Patterns found anywhere inside a value, by kind (order: most specific first).
IN_TEXT: dict[str, re.Pattern[str]] = {
    "id_number": re.compile(f"{ID18}|{ID15}"),
    "email": re.compile(EMAIL),
    "phone": re.compile(f"{MOBILE}|{LANDLINE}|{INTL_PHONE}"),
    "passport": re.compile(PASSPORT),
    "wechat": re.compile(WECHAT),
    "qq": re.compile(QQ),
    "address": re.compile(f"{ADDRESS_ZH}|{ADDRESS_EN}"),
    "name": re.compile(NAME_IN_TEXT),
}
ID18_ONLY = re.compile(ID18)
ACCOUNT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{5,19}|wxid_[A-Za-z0-9]{6,}")
DATE_LIKE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}")
_CJK = re.compile(rf"[{HAN}]")
# GB 11643-1999: weights 2^(17-i) mod 11 and the check character for sum mod 11
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_checksum_ok(ids: pd.Series) -> pd.Series:
    """Whether 18-character resident ID numbers carry a valid GB 11643 check digit (vectorised:
    the digits as a uint8 matrix)."""
    s = ids.astype(str).str.upper()
    ok = s.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    if ok.any():
        buf = "".join(s[ok].tolist()).encode("ascii")
        m = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 18)
        total = ((m[:, :17].astype(np.int64) - 48) * _ID_WEIGHTS).sum(axis=1)
        out[ok] = _ID_CHECK[total % 11] == m[:, 17]
    return pd.Series(out, index=ids.index)


def _text(values: pd.Series) -> pd.Series:
    """Values as text ('' for missing), numbers without a trailing '.0'."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        v = pd.to_numeric(values, errors="coerce")
        whole = v.notna() & np.isfinite(v) & (v == np.round(v)) & (v.abs() < 1e18)
        out = v.astype(object).where(v.notna(), "").astype(str)
        out[whole] = v[whole].astype("int64").astype(str)
        return out
    return values.astype(object).where(values.notna(), "").astype(str)


def find_identifiers(values: pd.Series, *, names: bool = True) -> pd.Series:
    """The kind of identifier found in each value ('' when none): phone, id_number, email,
    passport, wechat, qq, address, name (after a cue such as 我叫 / my name is), and — with
    ``names`` — a value that is a person's name as a whole. Vectorised: one ``str.contains``
    per pattern."""
    text = _text(values)
    kind = pd.Series("", index=values.index, dtype=object)
    nonempty = text.str.strip() != ""
    if not nonempty.any():
        return kind
    t = text[nonempty]
    found = pd.Series("", index=t.index, dtype=object)
    for label, pat in IN_TEXT.items():
        todo = found == ""
        if not todo.any():
            break
        hit = t[todo].str.contains(pat, regex=True)
        if label == "id_number" and hit.any():
            # 18-digit numbers must carry a valid check digit; 15-digit ones are accepted as is
            cand = t[todo][hit].str.extractall(f"({ID18}|{ID15})")[0]
            cand = cand.str.replace(r"^[^0-9]+", "", regex=True)
            valid = (cand.str.len() == 15) | id_checksum_ok(cand)
            good = valid.groupby(level=0).any()
            hit = pd.Series(False, index=hit.index)
            hit[good[good].index] = True
        found[todo & hit.reindex(found.index, fill_value=False)] = label
    if names:
        rest = found == ""
        if rest.any():
            # a name as the whole value, or as one word of it ("满意 欧阳杰", "Anna Smith, ok")
            words = t[rest].str.split(r"[\s,，;；:：/|()（）]+", regex=True).explode()
            words = words[words.fillna("") != ""]
            hit = words.str.fullmatch(FULL_NAME).groupby(level=0).any()
            whole = t[rest].str.match(FULL_NAME) | hit.reindex(t[rest].index, fill_value=False)
            found[rest & whole.reindex(found.index, fill_value=False)] = "name"
    kind[nonempty] = found
    return kind


def redact_values(values: pd.Series, *, names: bool = True) -> pd.Series:
    """Each value, or ``<redacted: kind>`` when it holds an identifier (the kind, never the
    value): for logs and summaries."""
    kind = find_identifiers(values, names=names)
    out = _text(values).astype(object)
    hit = kind != ""
    out[hit] = "<redacted: " + kind[hit] + ">"
    return out


def redact(text: str) -> str:
    """One string, or ``<redacted: kind>`` when it holds an identifier."""
    return str(redact_values(pd.Series([text], dtype=object)).iloc[0])


@dataclass
class PrivacyResult:
    data: pd.DataFrame
    dropped: list[str] = field(default_factory=list)
    hashed: list[str] = field(default_factory=list)
    free_text_dropped: list[str] = field(default_factory=list)
    detected: list[dict[str, str]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "dropped": self.dropped,
            "hashed": self.hashed,
            "free_text_dropped": self.free_text_dropped,
            "detected": self.detected,
        }


def looks_like_pii(name: str, values: pd.Series) -> str | None:
    """Why a column looks like a direct identifier (or None): its name means one (客户姓名,
    联系电话, customer_name ...), any value holds a phone, ID, passport, WeChat/QQ id, e-mail or
    address, or at least half of its (mostly distinct) values are person names."""
    kind = column_kind(str(name))
    if kind and kind[0] == "identifier":
        return f"column name contains {kind[1]!r}"
    v = values[values.notna()]
    if v.empty:
        return None
    found = find_identifiers(v, names=False)
    strong = found[found != ""]
    if len(strong):
        kinds = strong.value_counts()
        return f"values hold {kinds.index[0]} identifiers ({int(kinds.iloc[0])} value(s))"
    txt = _text(v).str.strip()
    txt = txt[txt != ""]
    if len(txt) >= 3 and txt.nunique() >= 0.5 * len(txt):
        if txt.str.match(FULL_NAME).mean() >= 0.5:
            return "values look like person names"
    if len(txt) >= 8 and txt.nunique() >= 0.95 * len(txt):
        # distinct per row and shaped like an account id: a WeChat id or a QQ number
        account = txt.str.fullmatch(ACCOUNT_ID) & txt.str.contains(r"[\d_]")
        qq_like = txt.str.fullmatch(r"[1-9]\d{4,11}")
        if account.mean() >= 0.8:
            return "values are distinct per row and shaped like account ids (WeChat)"
        if qq_like.mean() >= 0.8 and pd.to_numeric(txt, errors="coerce").min() >= 10000:
            return "values are distinct per row and shaped like account numbers (QQ)"
    return None


def numbers_that_identify(x: np.ndarray) -> np.ndarray:
    """Which numbers are identifiers typed into a numeric cell (a mobile number, an ID number):
    the kind per cell, '' for none. Only numbers of 7 or more digits are checked."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, "", dtype=object)
    big = np.isfinite(x) & (np.abs(x) >= 1e6)
    if big.any():
        out[big] = find_identifiers(pd.Series(x[big]), names=False).to_numpy(dtype=object)
    return out


def looks_like_free_text(values: pd.Series) -> bool:
    """Free text: mostly distinct strings, not dates, and long (median >= 20 characters) or
    Chinese of median length >= 6 (no spaces needed)."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return False
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if len(v) < 3:
        return False
    if v.str.match(DATE_LIKE).mean() > 0.5:
        return False
    if v.nunique() < 0.5 * len(v):
        return False
    med = v.str.len().median()
    cjk = v.str.contains(_CJK).mean() >= 0.5
    return bool(
        med >= 20 or (cjk and med >= 6) or (v.str.contains(r"\s").mean() >= 0.5 and med >= 12)
    )


SALT_HELP = (
    "privacy.action is 'hash' but the secret salt is not set: hashes without a secret salt can "
    "be reversed by trying every phone number. Set it before running, e.g. "
    "`export {env}=$(python -c 'import secrets; print(secrets.token_hex(32))')`, keep the value "
    "outside the repository (the same salt gives the same hashes in every run), or use "
    "privacy.action: drop"
)


def salt_from(config: dict[str, Any], seed: int | None = None) -> str:
    """The secret salt from the environment variable ``salt_env``. There is no fallback: a salt
    derived from the seed would be public (the manifest records the seed)."""
    env = config.get("salt_env", "CSINDEX_SALT")
    salt = os.environ.get(env, "")
    if not salt:
        raise ConfigError(SALT_HELP.format(env=env), key="privacy.salt_env")
    return salt


def salted_hash(values: pd.Series, salt: str) -> pd.Series:
    """SHA-256 of salt + value, first 16 hex digits; missing stays missing. (hashlib has no
    vectorised form: one call per distinct value.)"""
    present = values.notna().to_numpy()
    text = values.astype(str).to_numpy(dtype=object)
    codes, uniq = pd.factorize(text[present])
    digests = np.asarray(
        [hashlib.sha256((salt + u).encode("utf-8")).hexdigest()[:16] for u in uniq], dtype=object
    )
    out = np.full(len(values), None, dtype=object)
    out[present] = digests[codes]
    return pd.Series(out, index=values.index, dtype=object)


def apply_privacy(
    df: pd.DataFrame,
    config: dict[str, Any] | None = None,
    *,
    protected: set[str] | frozenset[str] = frozenset(),
    seed: int = 0,
) -> PrivacyResult:
    """Drop or hash identifier columns and drop free text (see module docstring). Columns in
    ``protected`` (respondent id, unit id, items, known design columns) are never touched."""
    cfg = {**PRIVACY_DEFAULTS, **(config or {})}
    res = PrivacyResult(data=df)
    ident = [c for c in cfg["identifiers"] if c in df.columns and c not in protected]
    keep_text = set(cfg["keep_free_text"])
    free = [
        c for c in cfg["free_text"] if c in df.columns and c not in keep_text and c not in protected
    ]
    if cfg["detect"]:
        for c in df.columns:  # loop over columns; each check is vectorised over rows
            if c in protected or c in ident or c in free:
                continue
            why = looks_like_pii(str(c), df[c])
            if why:
                ident.append(c)
                res.detected.append({"column": str(c), "reason": why, "treated_as": "identifier"})
                continue
            if c in keep_text:
                continue
            kind = column_kind(str(c))
            if kind and kind[0] == "free_text":
                reason = f"column name contains {kind[1]!r} (free text)"
            elif looks_like_free_text(df[c]):
                reason = "looks like free text"
            else:
                continue
            free.append(c)
            res.detected.append({"column": str(c), "reason": reason, "treated_as": "free_text"})
    out = df
    if cfg["action"] == "hash" and ident:
        salt = salt_from(cfg, seed)
        out = out.copy()
        for c in ident:
            out[c] = salted_hash(out[c], salt)
        res.hashed = list(ident)
    else:
        res.dropped = list(ident)
    drop = list(res.dropped) + free
    res.free_text_dropped = free
    res.data = out.drop(columns=drop) if drop else out
    return res
