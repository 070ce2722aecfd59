"""The sections of the report, each a function of the :class:`ReportContext`: executive summary,
method, per-question summaries, model (diagram and quality criteria), where to act (IPA) and
segments, and the appendix (configuration and diagnostics, collapsible)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import sha256_file
from . import diagram as D
from . import facts
from . import figures as F
from .context import THRESHOLDS, ReportContext
from .fmt import Section, details, flatten, fmt_num, fmt_p, html_table
from .folder import pick
from .i18n import term
from .quality import quality_blocks
from .questions import question_table, value_labels

SECTIONS = ("summary", "method", "questions", "model", "ipa", "appendix")


def _f3(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.3f}"


def _ul(items: list[str], cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>"


# --------------------------------------------------------------------------- summary
def summary(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("summary", k("summary"))
    head = ctx.headline
    if head is None and ctx.index is None:
        s.ran = False
        s.missing(ctx.lang, "index/csi.csv", ctx.folder)
        return s
    ci = k("ci", level=ctx.opt.level)
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
    # change against the previous wave
    ch = facts.previous_wave(ctx, head)
    if ch is None:
        words.append(k("wave_none"))
    else:
        d = ch.diff
        alpha = 1 - ctx.opt.level
        verdict = k("significant" if d.p < alpha else "not_significant", alpha=alpha)
        words.append(
            k("wave_change", prev=ch.previous, prev_v=d.previous, cur=d.current, diff=d.diff,
              ci=ci, lo=d.ci_low, hi=d.ci_high, z=d.z, p=fmt_p(d.p), verdict=verdict)
        )  # fmt: skip
    drv = facts.drivers(ctx)
    if len(drv):
        lst = "; ".join(f"{ctx.name(c)} ({v:.2f})" for c, v in zip(drv["construct"], drv["total"],
                                                                     strict=True))  # fmt: skip
        words.append(k("drivers", list=lst))
    else:
        words.append(k("drivers_none"))
    ipa = ctx.v.csv("index/ipa.csv")
    if ipa is not None and len(ipa):
        rk = facts.ipa_ranking(ipa)
        lvl = "item" if (rk["level"] == "item").any() else rk["level"].iloc[0]
        top = rk[rk["level"] == lvl].head(3)
        words.append(k("priorities", list="; ".join(ctx.name(n) for n in top["name"])))
    else:
        words.append(k("priorities_none"))
    s.h(k("in_words"))
    s.raw(_ul(words, "in-words"))
    warns = facts.quality_warnings(ctx.v.csv("model/quality.csv")) + facts.fieldwork_warnings(ctx)
    s.h(k("warnings_h"))
    if warns:
        s.raw(_ul([k(w.key, **w.kw) for w in warns], "warnings"))
    else:
        extra = ""
        if facts.response_rate(ctx) is not None or facts.weighting_summary(ctx) is not None:
            extra = k("extra_rr_deff", rr=THRESHOLDS["response_rate"],
                      deff=THRESHOLDS["weight_deff"])  # fmt: skip
        s.p(k("warnings_none", extra=extra))
    ctx.diagnostics["warnings"] = [{"key": w.key, **_jsonable(w.kw)} for w in warns]
    # construct scores
    std = ctx.index
    if std is not None:
        ov = std[std["by"] == "overall"]
        lv = ov[ov["construct"].isin(ctx.instrument.construct_ids)]
        lv = lv.assign(
            _o=lv["construct"].map({c: i for i, c in enumerate(ctx.instrument.construct_ids)})
        ).sort_values("_o")
        if len(lv):
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
    return s


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        a: (float(b) if isinstance(b, (float, np.floating)) else
            int(b) if isinstance(b, (int, np.integer)) else str(b))
        for a, b in d.items()
    }  # fmt: skip


# --------------------------------------------------------------------------- method
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


# --------------------------------------------------------------------------- questions
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
    from ..estimation import design_from_weights_file

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
    from .tables import suppress_small_cells

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


# --------------------------------------------------------------------------- model
def structural_paths(est: pd.DataFrame, std: pd.DataFrame | None) -> pd.DataFrame:
    """Structural paths (lavaan ``lhs ~ rhs``: rhs -> lhs) with the standardized coefficient
    (from ``std`` when given) and p value; a ``group`` column for multi-group fits."""
    cols = {str(c).lower(): c for c in est.columns}
    if not {"lhs", "op", "rhs"} <= set(cols):
        return pd.DataFrame(columns=["from", "to", "coef", "p"])
    e = est[est[cols["op"]] == "~"]
    pcol = pick(e, ["p", "pvalue", "p_value", "p-value"])
    ecol = pick(e, ["est_std", "std_all", "std", "est", "estimate"])
    out = pd.DataFrame(
        {
            "from": e[cols["rhs"]].astype(str).to_numpy(),
            "to": e[cols["lhs"]].astype(str).to_numpy(),
            "coef": pd.to_numeric(e[ecol], errors="coerce").to_numpy(),
            "p": pd.to_numeric(e[pcol], errors="coerce").to_numpy() if pcol else np.nan,
        }
    )
    if "group" in cols:  # multi-group fits: pooled rows have an empty group
        g = e[cols["group"]].fillna("").astype(str)
        out["group"] = g.to_numpy()
        if (g == "").all():
            out = out.drop(columns="group")
    if std is not None and {"lhs", "op", "rhs"} <= {str(c).lower() for c in std.columns}:
        sc = {str(c).lower(): c for c in std.columns}
        s = std[std[sc["op"]] == "~"]
        vcol = pick(s, ["est_std", "std_all", "std", "est", "estimate", "value"],
                    exclude=[sc["lhs"], sc["op"], sc["rhs"]])  # fmt: skip
        if vcol is not None and "group" not in out.columns:
            m = dict(zip(zip(s[sc["rhs"]].astype(str), s[sc["lhs"]].astype(str), strict=True),
                         pd.to_numeric(s[vcol], errors="coerce"), strict=True))  # fmt: skip
            out["coef"] = [m.get((a, b), c) for a, b, c in
                           zip(out["from"], out["to"], out["coef"], strict=True)]  # fmt: skip
    return out


def bootstrap_stars(paths: pd.DataFrame, boot: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Mark a path ``*`` when its bootstrap interval (model/bootstrap_ci.csv, statistic
    ``path:A->B``) excludes 0."""
    st = pick(boot, ["statistic", "name", "parameter"])
    lo, hi = pick(boot, ["ci_lower", "ci_low", "lower"]), pick(boot, ["ci_upper", "ci_high"])
    if not (st and lo and hi):
        return paths, False
    ci = {str(a): (float(b), float(c)) for a, b, c in
          boot[[st, lo, hi]].itertuples(index=False, name=None)}  # fmt: skip
    stars, found = [], False
    for a, b in zip(paths["from"], paths["to"], strict=True):
        iv = ci.get(f"path:{a}->{b}")
        found |= iv is not None
        stars.append("" if iv is None else "*" if iv[0] > 0 or iv[1] < 0 else "")
    return paths.assign(stars=stars), found


def r2_map(ctx: ReportContext) -> dict[str, float]:
    r2t = ctx.v.csv("model/r2.csv")
    if r2t is None:
        return {}
    lvc = pick(r2t, ["construct", "lv", "variable", "lhs", "name", "endogenous"])
    rc = pick(r2t, ["r2", "rsquare", "r_squared", "r²", "est", "value"])
    if not (lvc and rc):
        return {}
    return dict(zip(r2t[lvc].astype(str), pd.to_numeric(r2t[rc], errors="coerce"), strict=True))


def model(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("model", k("model"))
    est = ctx.v.csv("model/estimates.csv")
    if est is None:
        s.ran = False
        s.missing(ctx.lang, "model/estimates.csv", ctx.folder)
        return s
    paths = structural_paths(est, ctx.v.csv("model/standardized.csv"))
    r2 = r2_map(ctx)
    note = k("path_note")
    boot = ctx.v.csv("model/bootstrap_ci.csv")
    if len(paths) and paths["p"].isna().all() and boot is not None:
        paths, found = bootstrap_stars(paths, boot)
        if found:
            note = k("path_note_boot", level=ctx.opt.level)
    if len(paths):
        labels = {c: ctx.label(c) for c in set(paths["from"]) | set(paths["to"])}
        groups = list(dict.fromkeys(paths["group"])) if "group" in paths.columns else [None]
        if D.dot_path() is None:
            s.p(k("dot_missing"), "missing")
        else:
            for g in groups:
                pg = paths if g is None else paths[paths["group"] == g]
                title = k("path_title") + ("" if not g else f" ({g})")
                s.svg("path" if g is None else f"path-{g}", title + " — " + note,
                      D.path_svg(pg, r2, labels, ctx.lang), "diagram")  # fmt: skip
        stars = (paths["stars"] if "stars" in paths.columns
                 else paths["p"].map(D.p_stars))  # fmt: skip
        tab = pd.DataFrame(
            {
                k("path_from"): [ctx.name(c) for c in paths["from"]],
                k("path_to"): [ctx.name(c) for c in paths["to"]],
                k("coef"): [f"{v:.2f}" for v in paths["coef"]],
                k("p"): [fmt_p(v) for v in paths["p"]],
                k("sig"): stars.fillna("").to_numpy(),
            }
        )
        if "group" in paths.columns:
            tab.insert(0, "group", paths["group"].to_numpy())
        if paths["p"].isna().all():
            tab = tab.drop(columns=[k("p")])
        s.raw(html_table(tab, numeric_right=False))
    fit = ctx.v.json("model/fit.json")
    if isinstance(fit, Mapping):
        ctx.diagnostics["fit"] = fit
        s.h(k("fit"))
        extra = []
        for key, lab in (("gof", "GoF"), ("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA"),
                         ("srmr", "SRMR")):  # fmt: skip
            if isinstance(fit.get(key), (int, float)):
                extra.append(f"{lab} = {fit[key]:.3f}")
        s.p(k("fit_text", est=str(fit.get("estimator", "")).upper(), n=int(fit.get("n") or 0),
              extra=", ".join(extra)))  # fmt: skip
    inv = ctx.v.csv("model/invariance.csv")
    if inv is not None and len(inv) and "level" in inv.columns:
        s.h(k("invariance"))
        groups = sorted(g for g in paths.get("group", pd.Series(dtype=str)).unique() if g)
        s.p(k("invariance_text", groups=", ".join(groups) or "-"))
        show = pd.DataFrame({k("inv_level"): inv["level"].astype(str)})
        for c, lab in (("chisq", "χ²"), ("df", "df"), ("cfi", "CFI"), ("rmsea", "RMSEA"),
                       ("delta_chisq", "Δχ²"), ("delta_df", "Δdf"), ("delta_pvalue", "p(Δχ²)"),
                       ("delta_cfi", "ΔCFI"), ("delta_rmsea", "ΔRMSEA")):  # fmt: skip
            if c in inv.columns:
                v = pd.to_numeric(inv[c], errors="coerce")
                digits = (
                    0 if c in ("df", "delta_df") else (2 if c in ("chisq", "delta_chisq") else 3)
                )
                show[lab] = [("" if not np.isfinite(x) else f"{x:.{digits}f}") for x in v]
        if "holds" in inv.columns:
            show[k("inv_holds")] = [
                "" if pd.isna(h) else ("✓" if str(h).lower() in ("true", "1") else "✗")
                for h in inv["holds"]
            ]
        s.raw(html_table(show, numeric_right=False))
    mic = ctx.v.csv("model/micom.csv")
    if mic is not None and len(mic) and "verdict" in mic.columns:
        s.h(k("micom"))
        s.p(k("micom_text"))
        num = {c: pd.to_numeric(mic[c], errors="coerce") for c in
               ("statistic", "quantile_lower", "quantile_upper", "pvalue")}  # fmt: skip
        s.raw(html_table(pd.DataFrame({
            k("comparison"): mic["comparison"].astype(str),
            k("micom_step"): mic["step"].astype(str),
            k("construct"): [ctx.name(str(c)) for c in mic["construct"]],
            k("micom_statistic"): num["statistic"].map(_f3),
            k("micom_interval"): [
                "" if not (np.isfinite(lo) or np.isfinite(hi)) else f"{_f3(lo) or '−∞'} – {_f3(hi) or '∞'}"
                for lo, hi in zip(num["quantile_lower"], num["quantile_upper"], strict=True)
            ],
            "p": num["pvalue"].map(_f3),
            k("micom_verdict"): ["✓" if v == "established" else "✗" for v in mic["verdict"]],
        }), numeric_right=False))  # fmt: skip
    for block in quality_blocks(ctx, paths, r2):
        s.raw(block)
    adm = ctx.v.json("model/admissibility.json")
    if adm is not None:
        ctx.diagnostics["admissibility"] = adm
    return s


# --------------------------------------------------------------------------- ipa
def ipa(ctx: ReportContext) -> Section:
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
            g = rank[rank["level"] == level]
            lname = k("level_item") if level == "item" else k("level_construct") \
                if level == "construct" else level  # fmt: skip
            d = g.assign(label=g["name"])
            title = f"{k('ipa_title')} ({lname})"
            s.figure(f"ipa-{level}" if len(levels) > 1 else "ipa", title, F.ipa_chart(
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
    s.h(k("segments"))
    if std is None:
        s.missing(ctx.lang, "index/csi.csv", ctx.folder)
        return s
    seg = std[std["by"] != "overall"].copy()
    if not len(seg):
        return s
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
        s.raw(_ul([warn], "warnings"))
    else:
        key = (
            "comparability_ok_micom"
            if comp["basis"].iloc[0] == "micom"
            else "comparability_ok_scalar"
        )
        s.p(k(key, groups=", ".join(dict.fromkeys(comp["comparison"].astype(str)))))
    seg["small"] = seg["n"].notna() & (seg["n"] < ctx.opt.min_cell)
    hidden = sorted(set(seg.loc[seg["small"], "by"] + "=" + seg.loc[seg["small"], "group"]))
    if hidden:
        s.p(k("segment_suppressed", k=ctx.opt.min_cell, names=", ".join(hidden)), "note")
    shown = seg[~seg["small"]]
    head = "CS" if (shown["construct"].str.upper() == "CS").any() else "CSI"
    chart = shown[shown["construct"].str.upper() == head].copy()
    hname = ctx.headline.name if ctx.headline is not None else head
    if len(chart):
        chart["label"] = chart["group"]
        title = k("segment_chart", name=hname if head == "CS" else head)
        s.figure("segments", title, F.interval_chart(chart, "label", title, k("score")))
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
    # per segment: constructs ranked by whole-sample importance x the segment's gap to 100
    if rank is not None and (rank["level"] == "construct").any():
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
                (
                    (imp[c] * (100 - e), c)
                    for c, e in zip(d["construct"], d["estimate"], strict=True)
                ),
                reverse=True,
            )
            rows.append({k("segment"): g, k("priority"): "; ".join(
                f"{ctx.name(c)} ({p:.1f})" for p, c in pr[:3])})  # fmt: skip
        if rows:
            s.h(k("segment_priorities"))
            s.raw(html_table(pd.DataFrame(rows), numeric_right=False))
    return s


# --------------------------------------------------------------------------- appendix
APPENDIX_TABLES = (
    "index/csi.csv",
    "indicators/index.csv",
    "indicators/weights.csv",
    "model/estimates.csv",
    "model/effects.csv",
    "model/r2.csv",
    "model/outer_weights.csv",
    "model/bootstrap_ci.csv",
    "weights/estimates.csv",
    "clean/pilot_items.csv",
    "clean/dispositions.csv",
)


def _kv(d: Any, key: str, value: str) -> str:
    rows = flatten(d)
    return html_table(pd.DataFrame(rows, columns=[key, value]), numeric_right=False)


def mask_small_rows(df: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, int]:
    """Rows of an estimate table whose respondent count (column n/count) is below
    ``min_cell``: every other numeric value is replaced by '–'."""
    ncol = pick(df, ["n", "n_resp", "count", "n_respondents"])
    if ncol is None:
        return df, 0
    small = pd.to_numeric(df[ncol], errors="coerce") < min_cell
    if not small.any():
        return df, 0
    out = df.copy()
    for c in out.columns:
        if c != ncol and pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(object)
            out.loc[small, c] = "–"
    return out, int(small.sum())


def appendix(ctx: ReportContext) -> Section:
    k = ctx.k
    s = Section("appendix", k("appendix"))
    s.p(k("appendix_intro"), "note")
    diag_blocks = []
    for name, d in ctx.diagnostics.items():
        if d is None or name == "warnings":
            continue
        diag_blocks.append(details(name, _kv(d, k("key"), k("value"))))
    if diag_blocks:
        s.raw(details(k("diagnostics"), "".join(diag_blocks)))
    tables = []
    for rel in APPENDIX_TABLES:
        df = ctx.v.csv(rel)
        if df is None:
            continue
        df, n_small = mask_small_rows(df, ctx.opt.min_cell)
        note = f'<p class="note">{html.escape(k("rows_masked", n=n_small, k=ctx.opt.min_cell))}</p>'
        tables.append(details(rel, (note if n_small else "")
                              + html_table(df, max_rows=ctx.opt.max_table_rows)))  # fmt: skip
    if tables:
        s.raw(details(k("full_tables"), "".join(tables)))
    from .. import versioning

    prov = {
        k("study"): ctx.config.get("study", ""),
        k("version"): ctx.config.get("version", ""),
        k("config_hash"): versioning.config_hash(ctx.config),
        "git commit": versioning.git_commit(ctx.base),
    }
    seeds = versioning.collect_seeds(ctx.config)
    inputs = versioning.input_hashes(ctx.config, ctx.base)
    manifest = ctx.v.json("manifest.json")
    files = sorted(ctx.v.read.items())
    body = _kv(prov, k("key"), k("value"))
    if seeds:
        body += details(k("seed"), _kv(seeds, k("key"), k("value")))
    if inputs:
        body += details(k("inputs"), html_table(
            pd.DataFrame({k("file"): list(inputs), k("sha256"): list(inputs.values())}),
            numeric_right=False))  # fmt: skip
    if manifest is not None:
        body += details("manifest.json", _kv(manifest, k("key"), k("value")))
    body += details(k("files"), html_table(pd.DataFrame({
        k("file"): [rel for rel, _ in files], k("sha256"): [sha256_file(p) for _, p in files],
    }), numeric_right=False))  # fmt: skip
    body += details(
        k("packages"),
        html_table(
            pd.DataFrame(_package_versions(), columns=["package", "version"]), numeric_right=False
        ),
    )
    s.raw(details(k("manifest"), body))
    s.raw(
        details(
            k("config"),
            "<pre>"
            + html.escape(
                json.dumps(ctx.config, sort_keys=True, indent=2, default=str, ensure_ascii=False)
            )
            + "</pre>",
        )
    )
    ctx.diagnostics["provenance"] = {
        **prov,
        "seeds": seeds,
        "inputs": inputs,
        "files": {rel: sha256_file(p) for rel, p in files},
    }
    return s


PACKAGES = ("csindex", "numpy", "pandas", "scipy", "statsmodels", "semopy", "matplotlib",
            "pyarrow", "jinja2", "snakemake", "noto-cjk-sans-otc", "opencc")  # fmt: skip


def _package_versions() -> list[tuple[str, str]]:
    from importlib import metadata

    from ..versioning import package_versions

    rows = dict(package_versions())
    for name in PACKAGES:
        if name not in rows:
            try:
                rows[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                rows[name] = "not installed"
    return sorted(rows.items())
