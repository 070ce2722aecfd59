"""The questions section: the answers to every question (weighted with design-based standard
errors when the weights stage ran), as stacked charts and one table per construct."""

from __future__ import annotations

import pandas as pd

from ...errors import InputError
from .. import figures as F
from ..context import ReportContext
from ..fmt import Section, html_table
from ..questions import question_table, value_labels


def _design(ctx: ReportContext, resp: pd.DataFrame):
    """The survey design of the weights stage with the clean responses merged (or None)."""
    w = ctx.weights
    if w is None or "w_final" not in w.columns or "respondent_id" not in resp.columns:
        return None
    m = resp[["respondent_id"]].merge(w[["respondent_id", "w_final"]], on="respondent_id",
                                      how="left")  # fmt: skip
    if m["w_final"].isna().any():
        bad = m.loc[m["w_final"].isna(), "respondent_id"].iloc[0]
        raise InputError(
            f"respondent {bad!r} of clean/responses.parquet has no weight "
            "(every kept respondent needs a w_final)",
            file=str(ctx.v.root / "weights/weights.parquet"),
            column="w_final",
        )
    from ...estimation import design_from_weights_file

    diag = ctx.v.json("weights/diagnostics.json") or {}
    items = [c for c in resp.columns if c in set(ctx.instrument.item_ids)]
    wdf = w[w["respondent_id"].isin(resp["respondent_id"])]
    return design_from_weights_file(wdf, diag, data=resp[["respondent_id", *items]])


def questions(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("questions", k("questions"))
    resp = ctx.v.parquet("clean/responses.parquet")
    if resp is None:
        s.ran = False
        s.missing(ctx.lang, "clean/responses.parquet", ctx.folder)
        return s
    items = [i for i in ctx.instrument.item_ids if i in resp.columns]
    labels = value_labels(ctx.instrument, ctx.lang, ctx.clean_summary, items)
    design = _design(ctx, resp)
    q = question_table(resp, ctx.instrument, labels, items, design, ctx.opt.level, ctx.lang)
    from ..tables import suppress_small_cells

    sup = suppress_small_cells(q.rename(columns={"value": "code"}), ctx.opt.min_cell).to_numpy()
    ctx.questions = q.assign(suppressed=sup)
    weighted = design is not None
    s.p(k("weighted_basis" if weighted else "unweighted_basis"), "note")
    rev = [i for i in items if ctx.instrument.item(i).reverse]
    qty = [i for i in items if ctx.instrument.item(i).kind == "quantity"]
    if rev or qty:
        s.p(k("labels_note", rev=", ".join(rev) or "–", qty=", ".join(qty) or "–"), "note")
    s.p(
        k("suppression_summary", n=int(sup.sum()), k=ctx.opt.min_cell)
        if sup.any() else k("suppression_none", k=ctx.opt.min_cell),
        "note",
    )  # fmt: skip
    value = "w_pct" if weighted else "pct"
    dist = ctx.questions.rename(
        columns={"value": "code", "pct_weighted": "w_pct", "se_weighted": "w_se"}
    )
    note = k("suppressed_note", k=ctx.opt.min_cell)
    item_labels = {i: ctx.label(i) for i in items}
    # one stacked chart per set of answer labels (each with its own legend)
    groups: dict[tuple[str, ...], list[str]] = {}
    for i in items:
        groups.setdefault(tuple(labels[i].values()), []).append(i)
    for gi, (labs, its) in enumerate(groups.items()):
        title = k("likert_title", scale=", ".join(its) if len(its) <= 3 else f"{its[0]}–{its[-1]}")
        fid = "likert" if gi == 0 else f"likert-{gi + 1}"
        s.figure(fid, title, F.likert_stacked(
            dist, its, item_labels, value, title, list(labs), note,
            groups={i: ctx.instrument.item(i).construct for i in its},
        ))  # fmt: skip
    # per construct: one compact table per label set (rows: questions, columns: answers)
    for c in ctx.instrument.construct_ids:
        its = [i for i in ctx.instrument.blocks()[c] if i in items]
        if not its:
            continue
        s.h(k("answers_of", construct=ctx.name(c)))
        sets: dict[tuple[str, ...], list[str]] = {}
        for i in its:
            sets.setdefault(tuple(labels[i].values()), []).append(i)
        for labs, group in sets.items():
            rows = []
            for i in group:
                d = dist[dist["item"] == i]
                cells = {}
                for r in d.itertuples(index=False):
                    if r.suppressed:
                        cells[r.label] = "–"
                    elif weighted:
                        cells[r.label] = f"{r.w_pct:.1f} ({r.w_se:.1f})"
                    else:
                        cells[r.label] = f"{r.pct:.1f}"
                rows.append({k("item"): ctx.name(i), **{lab: cells.get(lab, "") for lab in
                             dict.fromkeys([*labs, *cells])}})  # fmt: skip
            cap = k("w_pct") + " (" + k("w_se") + ")" if weighted else k("pct")
            s.raw(html_table(pd.DataFrame(rows), cap, numeric_right=False))
    if sup.any():
        s.p(note, "note")
    return s
