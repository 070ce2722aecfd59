"""Privacy: identifiers dropped or hashed with a salt, free text dropped unless kept, the
safety net finds identifiers by name or by value, text logged from item cells is redacted."""

from __future__ import annotations

import pandas as pd

from csindex.cleaning import apply_privacy, looks_like_pii
from csindex.cleaning.privacy import redact, salt_from, salted_hash


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


def test_salt_from_seed_when_env_unset(monkeypatch):
    monkeypatch.delenv("CSINDEX_SALT", raising=False)
    assert salt_from({}, 1) != salt_from({}, 2)
    assert salted_hash(pd.Series(["a", None]), "x").iloc[1] is None


def test_safety_net_by_name_and_by_value():
    assert looks_like_pii("手机号", pd.Series(["x"]))
    assert looks_like_pii("customer name", pd.Series(["x"]))
    assert "phone" in looks_like_pii(
        "c7", pd.Series(["+86 138-1234-5678"] * 3 + ["13912345678"] * 3)
    )
    assert "e-mail" in looks_like_pii("c8", pd.Series([f"a{k}@b.org" for k in range(5)]))
    assert looks_like_pii("region", pd.Series(["华东", "华北"] * 10)) is None
    assert looks_like_pii("segment", pd.Series(["personal", "family"] * 10)) is None
    assert looks_like_pii("score", pd.Series([1.0, 2.0])) is None


def test_redact_removes_contacts_inside_text():
    assert redact("call 13812345678 or a.b@c.com now") == "call <redacted> or <redacted> now"
