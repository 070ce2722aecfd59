"""The method section: the design, the dispositions and response rates, cleaning and weighting."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ...errors import InputError
from .. import facts
from ..context import ReportContext
from ..fmt import Section, fmt_num, html_table
from ..i18n import term


def method(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("method", k("method"))
    from_responses = ctx.config.get("start") == "responses"
    s.h(k("design"))
    design = ctx.v.json("sample/design.json")
    if design is None:
        if from_responses:
            s.p(k("start_responses"))
        else:
            s.missing(ctx.lang, "sample/design.json", ctx.folder)
    else:
        ctx.diagnostics["design"] = design
        ss = design.get("sample_size") or {}
        strata = design.get("strata")
        s.p(
            k(
                "design_text",
                method=term(ctx.lang, str(design.get("method", ""))).capitalize(),
                n_target=int(design.get("n_target") or 0),
                frame=int(design.get("frame_units") or 0),
                strata=k("design_strata", strata=strata) if strata else "",
                n_complete=f"{int(ss['n_complete']):,}" if ss.get("n_complete") else "–",
            )
        )
    s.h(k("dispositions"))
    disp = ctx.v.parquet("fieldwork/dispositions.parquet")
    if disp is None and from_responses:
        s.p(k("start_responses"))
    elif disp is None:
        s.missing(ctx.lang, "fieldwork/dispositions.parquet", ctx.folder)
    else:
        if "disposition" not in disp.columns:
            raise InputError(
                "column 'disposition' is missing",
                file=str(ctx.v.root / "fieldwork/dispositions.parquet"),
                column="disposition",
            )
        cnt = disp["disposition"].value_counts().sort_index()
        tab = pd.DataFrame(
            {
                k("disposition"): [term(ctx.lang, str(c)) for c in cnt.index],
                k("count"): [f"{v:,}" for v in cnt.to_numpy()],
                k("pct"): [fmt_num(v) for v in 100 * cnt.to_numpy() / cnt.sum()],
            }
        )
        s.raw(html_table(tab, numeric_right=False))
    rr = facts.response_rate(ctx)
    if rr is not None:
        s.p(k("rr_text", rr1=rr[0], rr2=rr[1]))
    s.h(k("cleaning"))
    cs = ctx.clean_summary
    if cs is None:
        s.missing(ctx.lang, "clean/summary.json", ctx.folder)
    else:
        ctx.diagnostics["cleaning"] = cs
        if "rows_in" in cs and "rows_out" in cs:
            s.p(k("cleaning_text", rows_in=int(cs["rows_in"]), rows_out=int(cs["rows_out"]),
                  dropped=int(cs["rows_in"]) - int(cs["rows_out"])))  # fmt: skip
        rules = cs.get("rules") or {}
        rows = [
            (term(ctx.lang, name), int(r["rows"]))
            for name, r in sorted(rules.items())
            if isinstance(r, Mapping) and r.get("rows")
        ]
        if rows:
            s.raw(html_table(pd.DataFrame(rows, columns=[k("rule"), k("rows_removed")]),
                             numeric_right=False))  # fmt: skip
    s.h(k("weighting"))
    ws = facts.weighting_summary(ctx)
    if ws is None:
        s.missing(ctx.lang, "weights/weights.parquet", ctx.folder)
    else:
        s.p(k("weighting_text", n=ws["n"], neff=ws["kish_n_eff"], deff=ws["deff_weighting"]))
        ctx.diagnostics["weights"] = ctx.v.json("weights/diagnostics.json")
    return s
