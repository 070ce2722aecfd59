"""Privacy: identifiers dropped or hashed with a salt, free text dropped unless kept, the
safety net finds identifiers by name or by value, text logged from item cells is redacted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.cleaning import apply_privacy, looks_like_pii
from csindex.cleaning.privacy import (
    column_kind,
    find_identifiers,
    id_checksum_ok,
    numbers_that_identify,
    redact,
    redact_values,
    salt_from,
    salted_hash,
)
from csindex.errors import ConfigError


def frame() -> pd.DataFrame:
    n = 8
    return pd.DataFrame(
        {
            "respondent_id": [f"R{k}" for k in range(n)],
            "name": ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"],
            "phone": [f"1381234{k:04d}" for k in range(n)],
            "email": [f"u{k}@example.com" for k in range(n)],
            "comment": [f"please call me back on 1391111{k:04d} soon" for k in range(n)],
            "note": [f"the service in my area was slow on day {k} sadly" for k in range(n)],
            "idno": [f"11010519491231{k:03d}X" for k in range(n)],
            "region": ["华东"] * n,
            "interview_start": [f"2026-09-0{k + 1} 10:00:00" for k in range(n)],
        }
    )


def test_default_drops_identifiers_and_free_text():
    res = apply_privacy(frame(), protected={"respondent_id", "region", "interview_start"})
    assert list(res.data.columns) == ["respondent_id", "region", "interview_start"]
    assert res.dropped[:3] == ["name", "phone", "email"]
    assert {"comment", "note"} <= set(res.free_text_dropped)
    assert {d["column"] for d in res.detected} == {"note", "idno"}


def test_hash_replaces_values_with_salted_digests(monkeypatch):
    monkeypatch.setenv("TEST_SALT", "s3cret")
    cfg = {
        "action": "hash",
        "salt_env": "TEST_SALT",
        "free_text": [],
        "keep_free_text": ["comment"],
        "detect": False,
    }
    res = apply_privacy(frame(), cfg, protected={"respondent_id"})
    assert res.hashed == ["name", "phone", "email"]
    assert not set(frame()["phone"]) & set(res.data["phone"])
    assert res.data["phone"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert res.data["phone"].nunique() == 8
    again = apply_privacy(frame(), cfg, protected={"respondent_id"})
    pd.testing.assert_frame_equal(res.data, again.data)
    monkeypatch.setenv("TEST_SALT", "other")
    assert (apply_privacy(frame(), cfg).data["phone"] != res.data["phone"]).all()
    assert "comment" in res.data.columns  # kept explicitly


def test_hash_without_secret_salt_is_refused_with_how_to_set_it(monkeypatch):
    monkeypatch.delenv("CSINDEX_SALT", raising=False)
    with pytest.raises(ConfigError) as ei:
        apply_privacy(frame(), {"action": "hash"}, protected={"respondent_id"})
    msg = str(ei.value)
    assert "privacy.salt_env" in msg and "export CSINDEX_SALT=" in msg
    with pytest.raises(ConfigError):
        salt_from({}, 1)
    monkeypatch.setenv("CSINDEX_SALT", "")  # empty counts as unset
    with pytest.raises(ConfigError):
        salt_from({}, 1)
    assert salted_hash(pd.Series(["a", None]), "x").iloc[1] is None


def test_safety_net_by_name_and_by_value():
    assert looks_like_pii("手机号", pd.Series(["x"]))
    assert looks_like_pii("customer name", pd.Series(["x"]))
    assert "phone" in looks_like_pii(
        "c7", pd.Series(["+86 138-1234-5678"] * 3 + ["13912345678"] * 3)
    )
    assert "email" in looks_like_pii("c8", pd.Series([f"a{k}@b.org" for k in range(5)]))
    assert looks_like_pii("region", pd.Series(["华东", "华北"] * 10)) is None
    assert looks_like_pii("segment", pd.Series(["personal", "family"] * 10)) is None
    assert looks_like_pii("score", pd.Series([1.0, 2.0])) is None


def test_redact_removes_contacts_inside_text():
    assert redact("call 13812345678 or a.b@c.com now") == "<redacted: email>"
    assert redact("call 139-8888-7777") == "<redacted: phone>"
    assert redact("four") == "four"


VALUES = {
    "请回电139-8888-7777谢谢": "phone",
    "+86 138 1234 5678": "phone",
    "0086 138 1234 5678": "phone",
    "(+86)13812345678": "phone",
    "联系我：010-62751234": "phone",
    "(021) 6123 4567": "phone",
    "+86 755 88881234": "phone",
    "身份证11010519491231002X": "id_number",
    "号码110105491231002": "id_number",
    "邮箱abc.d@163.com谢谢": "email",
    "护照E12345678": "passport",
    "EA1234567": "passport",
    "微信号wxabc_123": "wechat",
    "加vx:zhang_san88": "wechat",
    "QQ:123456789": "qq",
    "扣扣12345678": "qq",
    "北京市海淀区中关村大街27号": "address",
    "家住上海市浦东新区": "address",
    "12 Baker Street": "address",
    "我叫欧阳娜娜": "name",
    "欧阳娜娜": "name",
    "诸葛亮": "name",
    "上官婉儿": "name",
    "买买提·艾力": "name",
    "阿依古丽•吐尔逊": "name",
    "Zhang Wei": "name",
    "OUYANG Xiu": "name",
    "my name is John Lee thanks": "name",
    "很满意": "",
    "服务很好，网速快": "",
    "3": "",
    "R0001": "",
    "2026-09-01 10:00:00": "",
    "20260901": "",
}


def test_identifier_kinds_inside_values_without_spaces():
    got = find_identifiers(pd.Series(list(VALUES)))
    assert dict(zip(VALUES, got, strict=True)) == VALUES


def test_id_numbers_need_the_gb11643_check_digit():
    ok = id_checksum_ok(pd.Series(["11010519491231002X", "110105194912310021", "abc"]))
    assert ok.tolist() == [True, False, False]
    # an 18-digit number with a wrong check digit is not called an ID number
    assert find_identifiers(pd.Series(["110105194912310021"]), names=False).iloc[0] == ""


def test_column_names_match_by_meaning_not_equality():
    for name in ("客户姓名", "联系人", "联系电话", "微信", "微信号", "QQ", "QQ号", "地址",
                 "家庭住址", "身份证号码", "Customer Name", "CustomerName", "mobile_no", "e-mail",
                 "wechat_id", "contact_phone"):  # fmt: skip
        assert column_kind(name)[0] == "identifier", name
    for name in ("备注", "客户意见", "Remarks", "open_comments"):
        assert column_kind(name)[0] == "free_text", name
    for name in ("region", "brand", "hotel_type", "segment", "duration_sec", "满意度"):
        assert column_kind(name) is None, name


def test_redact_values_gives_the_kind_never_the_value():
    out = redact_values(pd.Series(["13912345678", "张伟", "four", None, "3"]))
    assert out.tolist() == ["<redacted: phone>", "<redacted: name>", "four", "", "3"]


def test_numbers_typed_into_items():
    kinds = numbers_that_identify(np.array([[13912345678.0, 3.0], [np.nan, 110105491231002.0]]))
    assert kinds.tolist() == [["phone", ""], ["", "id_number"]]


def test_columns_of_account_ids_are_identifiers():
    rng = np.random.default_rng(1)
    qq = pd.Series(rng.integers(10**5, 10**10, 20))
    wx = pd.Series([f"user_{k}x{k * 7}" for k in range(20)])
    assert "QQ" in looks_like_pii("v3", qq)
    assert "WeChat" in looks_like_pii("v2", wx)
    assert looks_like_pii("score", pd.Series(rng.integers(1, 6, 20))) is None
