"""Privacy: direct identifiers and free text never reach results/.

Columns named in ``privacy.identifiers`` are dropped or replaced by a salted SHA-256 hash; as a
safety net, columns whose name or values look like names, phone numbers, e-mail addresses or
Chinese ID-card numbers are treated the same way. Free-text columns are dropped unless kept.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PRIVACY_DEFAULTS: dict[str, Any] = {
    "identifiers": ["name", "phone", "email"],
    "action": "drop",
    "salt_env": "CSINDEX_SALT",
    "free_text": ["comment"],
    "keep_free_text": [],
    "detect": True,
}

NAME_TOKENS = {
    "name", "names", "fullname", "firstname", "lastname", "surname", "givenname",
    "phone", "mobile", "tel", "telephone", "cellphone", "cell", "email", "mail", "e-mail",
    "address", "addr", "idcard", "ssn", "passport", "wechat", "qq",
    "姓名", "名字", "手机", "手機", "电话", "電話", "手机号", "邮箱", "郵箱", "电子邮件",
    "身份证", "身份證", "身份证号", "地址", "微信",
}  # fmt: skip
PHONE = re.compile(r"^(\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}$|^\+\d[\d\s()-]{7,}\d$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
IDCARD = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
ANY_PII = re.compile(
    r"(\+?86[\s-]?)?1[3-9]\d{9}|[^@\s]+@[^@\s]+\.[A-Za-z]{2,}|\d{17}[\dXx]|\+\d[\d\s()-]{7,}\d"
)
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
HAN_NAME = re.compile(f"^[{SURNAMES}][\u4e00-\u9fff]{{1,3}}$")
LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,2}$")


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


def _tokens(name: str) -> set[str]:
    low = name.strip().lower()
    parts = set(re.split(r"[\s_.\-/()]+", low)) | {low.replace("_", "").replace(" ", "")}
    return {p for p in parts if p}


def looks_like_pii(name: str, values: pd.Series) -> str | None:
    """Why a column looks like a direct identifier (or None): its name has a token such as
    name/phone/email/姓名/手机, or at least half of a sample of its values are phone numbers,
    e-mail addresses or ID-card numbers."""
    hit = _tokens(name) & NAME_TOKENS
    if hit:
        return f"column name contains {sorted(hit)[0]!r}"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return None
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return None
    sample = v.iloc[:: max(1, len(v) // 1000)]
    for label, pat in (
        ("phone numbers", PHONE),
        ("e-mail addresses", EMAIL),
        ("ID-card numbers", IDCARD),
    ):
        if sample.str.match(pat).mean() >= 0.5:
            return f"values look like {label}"
    # person names: mostly distinct values shaped like a Chinese or a Latin full name
    if len(v) >= 5 and sample.nunique() >= 0.5 * len(sample):
        is_name = sample.str.match(HAN_NAME) | sample.str.match(LATIN_NAME)
        if is_name.mean() >= 0.5:
            return "values look like person names"
    return None


def looks_like_free_text(values: pd.Series) -> bool:
    """Free text: mostly distinct strings, median length >= 20, most containing a space, not
    dates."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return False
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if len(v) < 5:
        return False
    if v.str.match(DATE_LIKE).mean() > 0.5:
        return False
    return bool(
        v.str.len().median() >= 20
        and v.str.contains(r"\s").mean() >= 0.5
        and v.nunique() >= 0.5 * len(v)
    )


def salt_from(config: dict[str, Any], seed: int) -> str:
    """The salt: the environment variable ``salt_env`` when set, else one derived from the
    study seed (reproducible but not secret; say so in the report)."""
    env = os.environ.get(config.get("salt_env", "CSINDEX_SALT"), "")
    return env or hashlib.sha256(f"csindex-privacy-{seed}".encode()).hexdigest()


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


def redact(text: str) -> str:
    """Replace anything that looks like a phone, e-mail or ID-card number inside ``text``."""
    return ANY_PII.sub("<redacted>", text)


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
        for c in df.columns:
            if c in protected or c in ident or c in free or c in keep_text:
                continue
            why = looks_like_pii(str(c), df[c])
            if why:
                ident.append(c)
                res.detected.append({"column": str(c), "reason": why, "treated_as": "identifier"})
            elif looks_like_free_text(df[c]):
                free.append(c)
                res.detected.append(
                    {"column": str(c), "reason": "looks like free text", "treated_as": "free_text"}
                )
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
