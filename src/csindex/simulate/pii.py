"""The simulated personal data of the demo world's respondents: names (Chinese or English),
mobile phones, e-mails and free-text comments (some with a phone number), for the cleaning
stage's PII handling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .streams import take_str as _take_str

_ZH_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"]  # fmt: skip
_ZH_SURNAMES_PY = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo"]  # fmt: skip
_ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英"]  # fmt: skip
_ZH_GIVEN_PY = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie", "juan", "tao", "ming", "chao", "xiuying", "xia", "ping", "gang", "guiying"]  # fmt: skip
_EN_FIRST = ["James", "Mary", "John", "Linda", "David", "Emma", "Michael", "Sarah", "Daniel", "Grace", "Kevin", "Alice"]  # fmt: skip
_EN_LAST = ["Smith", "Chen", "Wong", "Brown", "Lee", "Taylor", "Wilson", "Lam", "Ho", "Cheung"]  # fmt: skip
_DOMAINS = ["example.com", "example.cn", "example.net", "mail.example.org"]
_PHONE_PREFIX = ["130", "131", "136", "137", "138", "139", "150", "158", "186", "188"]
_COMMENTS = [
    "信号不好，经常掉线",
    "客服态度很好",
    "网速太慢了",
    "希望降低资费",
    "营业厅排队时间太长",
    "The bill was too high this month",
    "Great service at the branch",
    "5G coverage is poor in my area",
    "套餐太复杂，看不懂",
    "Please call me back about my contract",
]
_COMMENT_WITH_PHONE = "请回电 "


def pii_columns(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Synthetic names (Chinese or English), mobile phones like 13812345678, e-mails, comments."""
    english = rng.random(n) < 0.2
    s = rng.integers(0, len(_ZH_SURNAMES), n)
    gvn = rng.integers(0, len(_ZH_GIVEN), n)
    f_en = rng.integers(0, len(_EN_FIRST), n)
    l_en = rng.integers(0, len(_EN_LAST), n)
    zh_name = _take_str(_ZH_SURNAMES, s) + _take_str(_ZH_GIVEN, gvn)
    en_name = _take_str(_EN_FIRST, f_en) + " " + _take_str(_EN_LAST, l_en)
    name = zh_name.where(~english, en_name)
    zh_user = _take_str(_ZH_GIVEN_PY, gvn) + "." + _take_str(_ZH_SURNAMES_PY, s)
    en_user = (_take_str(_EN_FIRST, f_en) + "." + _take_str(_EN_LAST, l_en)).str.lower()
    user = zh_user.where(~english, en_user)
    digits = pd.Series(rng.integers(0, 100, n)).astype("str").str.zfill(2)
    email = user + digits + "@" + _take_str(_DOMAINS, rng.integers(0, len(_DOMAINS), n))
    phone = _take_str(_PHONE_PREFIX, rng.integers(0, len(_PHONE_PREFIX), n)) + pd.Series(
        rng.integers(0, 100_000_000, n)
    ).astype("str").str.zfill(8)
    kind = rng.random(n)
    text = _take_str(_COMMENTS, rng.integers(0, len(_COMMENTS), n))
    comment = text.where(kind < 0.30, "")
    comment = comment.where(~(kind >= 0.97), _COMMENT_WITH_PHONE + phone)
    return pd.DataFrame({"name": name, "phone": phone, "email": email, "comment": comment})
