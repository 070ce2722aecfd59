"""The where-to-act section: the importance-performance analysis (IPA) per level with the
priorities, and the segments (comparability, scores, and priorities per segment)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import InputError
from .. import facts
from .. import figures as F
from ..context import ReportContext
from ..fmt import Section, fmt_num, html_table
from .common import html_list


def ipa(ctx: ReportContext) -> Section:
    """Where to act: the IPA per level, then the segments and their priorities."""
    k = ctx.k
    s = Section("ipa", k("ipa"))
    tab = ctx.v.csv("index/ipa.csv")
    std = ctx.index
    if tab is None and std is None:
        s.ran = False
        s.missing(ctx.lang, "index/ipa.csv", ctx.folder)
        return s
    s.h(k("ipa_title"))
    rank = None
    if tab is None:
        s.missing(ctx.lang, "index/ipa.csv", ctx.folder)
    else:
        rank = _ipa(ctx, s, tab)
    s.h(k("segments"))
    if std is None:
        s.missing(ctx.lang, "index/csi.csv", ctx.folder)
        return s
    seg = std[std["by"] != "overall"].copy()
    if not len(seg):
        return s
    _comparability(ctx, s)
    seg["small"] = seg["n"].notna() & (seg["n"] < ctx.opt.min_cell)
    hidden = sorted(set(seg.loc[seg["small"], "by"] + "=" + seg.loc[seg["small"], "group"]))
    if hidden:
        s.p(k("segment_suppressed", k=ctx.opt.min_cell, names=", ".join(hidden)), "note")
    shown = seg[~seg["small"]]
    _segment_chart(ctx, s, shown)
    _segment_scores(ctx, s, shown)
    # per segment: constructs ranked by whole-sample importance x the segment's gap to 100
    if rank is not None and (rank["level"] == "construct").any():
        _segment_priorities(ctx, s, shown, rank)
    return s


def _ipa(ctx: ReportContext, s: Section, tab: pd.DataFrame) -> pd.DataFrame:
    """The IPA of index/ipa.csv: the rule, then a chart and the ranking per level (items
    first); returns the ranking (:func:`csindex.report.facts.ipa_ranking`)."""
    k = ctx.k
    for c in ("importance", "performance"):
        if c not in tab.columns:
            raise InputError(
                f"needs importance and performance columns; columns present: "
                f"{', '.join(map(str, tab.columns))}",
                file=str(ctx.v.root / "index/ipa.csv"),
                column=c,
            )
    rank = facts.ipa_ranking(tab)
    qn = dict(zip(["improve first", "maintain", "low priority", "possible overkill"],
                  k("quadrants").split("|"), strict=True))  # fmt: skip
    levels = sorted(rank["level"].unique(), key=lambda x: (x != "item", x))
    first = rank.iloc[0]
    s.p(k("ipa_rule", icut=first["importance_cut"], pcut=first["performance_cut"]))
    for level in levels:
        fid = f"ipa-{level}" if len(levels) > 1 else "ipa"
        _ipa_level(ctx, s, rank[rank["level"] == level], level, fid, qn)
    return rank


def _ipa_level(
    ctx: ReportContext, s: Section, g: pd.DataFrame, level: str, fid: str, qn: dict[str, str]
) -> None:
    """One level's IPA chart, its improve-first sentence and its ranking table."""
    k = ctx.k
    lname = k("level_item") if level == "item" else k("level_construct") \
        if level == "construct" else level  # fmt: skip
    d = g.assign(label=g["name"])
    title = f"{k('ipa_title')} ({lname})"
    s.figure(fid, title, F.ipa_chart(
        d, title, k("importance"), k("performance"), k("quadrants").split("|"),
        (float(g["importance_cut"].iloc[0]), float(g["performance_cut"].iloc[0])),
    ))  # fmt: skip
    s.h(k("priority_h", level=lname))
    imp = g[g["quadrant"].str.lower().str.startswith("improve")]
    s.p(k("improve_first_n", n=len(imp), names=", ".join(ctx.name(n) for n in imp["name"]))
        if len(imp) else k("improve_none"))  # fmt: skip
    s.raw(html_table(pd.DataFrame({
        k("rank"): g["rank"].to_numpy(),
        k("item") if level == "item" else k("construct"): [ctx.name(n) for n in g["name"]],
        k("importance"): [f"{v:.3f}" for v in g["importance"]],
        k("performance"): [fmt_num(v) for v in g["performance"]],
        k("gap"): [fmt_num(v) for v in g["gap"]],
        k("below_avg"): [fmt_num(v) if v > 0 else "–" for v in g["below_avg"]],
        k("quadrant"): [qn.get(q, q) for q in g["quadrant"]],
        k("priority"): [fmt_num(v) for v in g["priority"]],
    }), numeric_right=False))  # fmt: skip


def _comparability(ctx: ReportContext, s: Section) -> None:
    """Whether the segments may be compared (MICOM or scalar invariance), or not tested."""
    k = ctx.k
    comp = facts.segment_comparability(ctx)
    if comp is None:
        s.p(k("comparability_untested"), "note")
    elif not comp["comparable"].all():
        bad = comp[~comp["comparable"]]
        if bad["basis"].iloc[0] == "micom":
            items = [f"{ctx.name(str(c))} ({g})" for c, g in
                     zip(bad["construct"], bad["comparison"], strict=True)]  # fmt: skip
            warn = k("comparability_warn", items="; ".join(items))
        else:
            warn = k("comparability_warn_scalar", level=str(bad["invariance"].iloc[0]))
        s.raw(html_list([warn], "warnings"))
    else:
        key = (
            "comparability_ok_micom"
            if comp["basis"].iloc[0] == "micom"
            else "comparability_ok_scalar"
        )
        s.p(k(key, groups=", ".join(dict.fromkeys(comp["comparison"].astype(str)))))


def _segment_chart(ctx: ReportContext, s: Section, shown: pd.DataFrame) -> None:
    """The headline index (CS, else CSI) per segment with its interval."""
    k = ctx.k
    head = "CS" if (shown["construct"].str.upper() == "CS").any() else "CSI"
    chart = shown[shown["construct"].str.upper() == head].copy()
    hname = ctx.headline.name if ctx.headline is not None else head
    if len(chart):
        chart["label"] = chart["group"]
        title = k("segment_chart", name=hname if head == "CS" else head)
        s.figure("segments", title, F.interval_chart(chart, "label", title, k("score")))


def _segment_scores(ctx: ReportContext, s: Section, shown: pd.DataFrame) -> None:
    """A table of every construct's score ± half its interval per segment."""
    k = ctx.k
    ci = k("ci_short", level=ctx.opt.level)
    lv = [c for c in ctx.instrument.construct_ids if c in set(shown["construct"])]
    wide = []
    for (_by, g), d in shown.groupby(["by", "group"], sort=True):
        row = {k("segment"): f"{g}", k("n"): f"{int(d['n'].iloc[0]):,}" if d["n"].notna().any()
               else ""}  # fmt: skip
        for c in lv:
            r = d[d["construct"] == c]
            half = (r["ci_high"].iloc[0] - r["ci_low"].iloc[0]) / 2 if len(r) else np.nan
            row[ctx.name(c)] = (
                (
                    f"{r['estimate'].iloc[0]:.1f} ± {half:.1f}"
                    if np.isfinite(half)
                    else f"{r['estimate'].iloc[0]:.1f}"
                )
                if len(r)
                else ""
            )
        wide.append(row)
    if wide:
        s.raw(html_table(pd.DataFrame(wide), f"{k('estimate')} ± {k('half_ci', ci=ci)}",
                             numeric_right=False))  # fmt: skip


def _segment_priorities(
    ctx: ReportContext, s: Section, shown: pd.DataFrame, rank: pd.DataFrame
) -> None:
    """Per segment, the first three constructs by importance x (100 - the segment's score)."""
    k = ctx.k
    imp = dict(
        zip(
            rank.loc[rank["level"] == "construct", "name"],
            rank.loc[rank["level"] == "construct", "importance"],
            strict=True,
        )
    )
    rows = []
    for (_by, g), d in shown.groupby(["by", "group"], sort=True):
        d = d[d["construct"].isin(imp)]
        pr = sorted(
            ((imp[c] * (100 - e), c) for c, e in zip(d["construct"], d["estimate"], strict=True)),
            reverse=True,
        )
        rows.append({k("segment"): g, k("priority"): "; ".join(
            f"{ctx.name(c)} ({p:.1f})" for p, c in pr[:3])})  # fmt: skip
    if rows:
        s.h(k("segment_priorities"))
        s.raw(html_table(pd.DataFrame(rows), numeric_right=False))
