"""The executive summary: the headline index with its interval, the findings in words (change
against the previous wave, drivers, priorities), the warnings and the construct scores."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import facts
from .. import figures as F
from ..context import THRESHOLDS, ReportContext
from ..fmt import Section, fmt_num, fmt_p, html_table
from .common import html_list


def summary(ctx: ReportContext) -> Section:
    """The executive summary: headline, findings in words, warnings and construct scores."""
    k = ctx.k
    s = Section("summary", k("summary"))
    head = ctx.headline
    if head is None and ctx.index is None:
        s.ran = False
        s.missing(ctx.lang, "index/csi.csv", ctx.folder)
        return s
    ci = k("ci", level=ctx.opt.level)
    words = _headline(ctx, s, ci)
    words.append(_wave_sentence(ctx, head, ci))
    words.append(_drivers_sentence(ctx))
    words.append(_priorities_sentence(ctx))
    s.h(k("in_words"))
    s.raw(html_list(words, "in-words"))
    _warnings(ctx, s)
    _construct_scores(ctx, s, ci)
    return s


def _headline(ctx: ReportContext, s: Section, ci: str) -> list[str]:
    """The headline index (value, interval, definition) and the secondary index; returns the
    headline's sentence for the findings in words."""
    k = ctx.k
    head = ctx.headline
    words: list[str] = []
    if head is not None:
        s.raw(
            '<div class="headline"><div class="csi-value">'
            f'{head.estimate:.1f}</div><div class="csi-label">{html.escape(head.name)}<br>'
            f'<span class="ci">{html.escape(ci)}: {head.ci_low:.1f} – {head.ci_high:.1f}'
            "</span></div></div>"
        )
        s.p(head.definition, "definition")
        words.append(
            k("headline_sentence", name=head.name, value=head.estimate, ci=ci,
              lo=head.ci_low, hi=head.ci_high)
        )  # fmt: skip
    sec = ctx.secondary
    if sec is not None:
        s.h(k("secondary_h"))
        s.p(
            k("secondary_sentence", name=sec.name, value=sec.estimate, ci=ci, lo=sec.ci_low,
              hi=sec.ci_high) + " " + sec.definition
        )  # fmt: skip
    return words


def _wave_sentence(ctx: ReportContext, head: Any, ci: str) -> str:
    """The change against the previous wave with its z test, or that there is none."""
    k = ctx.k
    ch = facts.previous_wave(ctx, head)
    if ch is None:
        return k("wave_none")
    d = ch.diff
    alpha = 1 - ctx.opt.level
    verdict = k("significant" if d.p < alpha else "not_significant", alpha=alpha)
    return k("wave_change", prev=ch.previous, prev_v=d.previous, cur=d.current, diff=d.diff,
             ci=ci, lo=d.ci_low, hi=d.ci_high, z=d.z, p=fmt_p(d.p), verdict=verdict)  # fmt: skip


def _drivers_sentence(ctx: ReportContext) -> str:
    """The drivers of satisfaction with their total effects."""
    k = ctx.k
    drv = facts.drivers(ctx)
    if len(drv):
        lst = "; ".join(f"{ctx.name(c)} ({v:.2f})" for c, v in zip(drv["construct"], drv["total"],
                                                                     strict=True))  # fmt: skip
        return k("drivers", list=lst)
    return k("drivers_none")


def _priorities_sentence(ctx: ReportContext) -> str:
    """The first three priorities of the IPA (items when there are, else constructs)."""
    k = ctx.k
    ipa = ctx.v.csv("index/ipa.csv")
    if ipa is not None and len(ipa):
        rk = facts.ipa_ranking(ipa)
        lvl = "item" if (rk["level"] == "item").any() else rk["level"].iloc[0]
        top = rk[rk["level"] == lvl].head(3)
        return k("priorities", list="; ".join(ctx.name(n) for n in top["name"]))
    return k("priorities_none")


def _warnings(ctx: ReportContext, s: Section) -> None:
    """The quality and fieldwork warnings (kept in the diagnostics too), or that there are none."""
    k = ctx.k
    warns = facts.quality_warnings(ctx.v.csv("model/quality.csv")) + facts.fieldwork_warnings(ctx)
    s.h(k("warnings_h"))
    if warns:
        s.raw(html_list([k(w.key, **w.kw) for w in warns], "warnings"))
    else:
        extra = ""
        if facts.response_rate(ctx) is not None or facts.weighting_summary(ctx) is not None:
            extra = k("extra_rr_deff", rr=THRESHOLDS["response_rate"],
                      deff=THRESHOLDS["weight_deff"])  # fmt: skip
        s.p(k("warnings_none", extra=extra))
    ctx.diagnostics["warnings"] = [{"key": w.key, **_jsonable(w.kw)} for w in warns]


def _construct_scores(ctx: ReportContext, s: Section, ci: str) -> None:
    """The whole-sample score of every construct: a table and an interval chart."""
    k = ctx.k
    std = ctx.index
    if std is None:
        return
    ov = std[std["by"] == "overall"]
    lv = ov[ov["construct"].isin(ctx.instrument.construct_ids)]
    lv = lv.assign(
        _o=lv["construct"].map({c: i for i, c in enumerate(ctx.instrument.construct_ids)})
    ).sort_values("_o")
    if not len(lv):
        return
    s.h(k("lv_scores"))
    tab = pd.DataFrame(
        {
            k("construct"): [ctx.name(c) for c in lv["construct"]],
            k("estimate"): [fmt_num(v) for v in lv["estimate"]],
            k("se"): [fmt_num(v, 2) for v in lv["se"]],
            ci: [f"{fmt_num(a)} – {fmt_num(b)}" for a, b in
                 zip(lv["ci_low"], lv["ci_high"], strict=True)],
        }
    )  # fmt: skip
    s.raw(html_table(tab, numeric_right=False))
    chart = pd.DataFrame(
        {
            "label": [ctx.label(c) for c in lv["construct"]],
            "estimate": lv["estimate"].to_numpy(),
            "ci_low": lv["ci_low"].to_numpy(),
            "ci_high": lv["ci_high"].to_numpy(),
        }
    )
    s.figure("scores", k("score_chart"),
             F.interval_chart(chart, "label", k("score_chart"), k("score")))  # fmt: skip


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        a: (float(b) if isinstance(b, (float, np.floating)) else
            int(b) if isinstance(b, (int, np.integer)) else str(b))
        for a, b in d.items()
    }  # fmt: skip
