"""Caught versus injected defects: the cleaning summary against fieldwork/injected.json."""

from __future__ import annotations

from typing import Any

INJECTED_MAP = {
    "duplicates": ("duplicate", "rows"),
    "out_of_range": ("off_scale", "cells"),
    "dont_know": ("dont_know", "cells"),
    "refused": ("refused", "cells"),
    "straightliners": ("straightlining", "rows"),
    "speeders": ("speeder", "rows"),
    "attention_failed": ("attention", "rows"),
    "partials": ("min_answered", "rows"),
}


def compare_injected(summary: dict[str, Any], injected: dict[str, Any]) -> dict[str, Any]:
    """Caught versus injected defects (fieldwork/injected.json). Straight-liners: the injected
    plus the respondents whose true answers happen to be identical (``straightliners_natural``)."""
    out: dict[str, Any] = {}
    for key, (rule, unit) in INJECTED_MAP.items():
        if key not in injected:
            continue
        expected = int(injected[key])
        if key == "straightliners":
            expected += int(injected.get("straightliners_natural", 0))
        caught = int(summary["rules"].get(rule, {}).get(unit, 0))
        out[key] = {
            "rule": rule,
            "unit": unit,
            "injected": expected,
            "caught": caught,
            "match": caught == expected,
        }
    return {"defects": out, "all_match": all(v["match"] for v in out.values())}
