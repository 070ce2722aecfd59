"""The model section: the path diagram and the table of structural paths, the fit, the
measurement invariance (CB-SEM) and MICOM (PLS) across groups, and the quality criteria."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import diagram as D
from ..context import ReportContext
from ..fmt import Section, fmt_p, html_table
from ..folder import pick
from ..quality import quality_blocks


def _f3(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.3f}"


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
    """The model: path diagrams and table, fit, invariance, MICOM and quality criteria."""
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
        _path_diagrams(ctx, s, paths, r2, note)
        s.raw(html_table(_path_table(ctx, paths), numeric_right=False))
    _fit(ctx, s)
    _invariance(ctx, s, paths)
    _micom(ctx, s)
    for block in quality_blocks(ctx, paths, r2):
        s.raw(block)
    adm = ctx.v.json("model/admissibility.json")
    if adm is not None:
        ctx.diagnostics["admissibility"] = adm
    return s


def _path_diagrams(
    ctx: ReportContext, s: Section, paths: pd.DataFrame, r2: dict[str, float], note: str
) -> None:
    """One path diagram (SVG by Graphviz dot) per group, or a note that dot is missing."""
    k = ctx.k
    labels = {c: ctx.label(c) for c in set(paths["from"]) | set(paths["to"])}
    groups = list(dict.fromkeys(paths["group"])) if "group" in paths.columns else [None]
    if D.dot_path() is None:
        s.p(k("dot_missing"), "missing")
        return
    for g in groups:
        pg = paths if g is None else paths[paths["group"] == g]
        title = k("path_title") + ("" if not g else f" ({g})")
        s.svg("path" if g is None else f"path-{g}", title + " — " + note,
              D.path_svg(pg, r2, labels, ctx.lang), "diagram")  # fmt: skip


def _path_table(ctx: ReportContext, paths: pd.DataFrame) -> pd.DataFrame:
    """The structural paths: from, to, coefficient, p value (when any) and significance."""
    k = ctx.k
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
    return tab


def _fit(ctx: ReportContext, s: Section) -> None:
    """The estimator, n and the fit indices of model/fit.json."""
    k = ctx.k
    fit = ctx.v.json("model/fit.json")
    if not isinstance(fit, Mapping):
        return
    ctx.diagnostics["fit"] = fit
    s.h(k("fit"))
    extra = []
    for key, lab in (("gof", "GoF"), ("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA"),
                     ("srmr", "SRMR")):  # fmt: skip
        if isinstance(fit.get(key), (int, float)):
            extra.append(f"{lab} = {fit[key]:.3f}")
    s.p(k("fit_text", est=str(fit.get("estimator", "")).upper(), n=int(fit.get("n") or 0),
          extra=", ".join(extra)))  # fmt: skip


def _invariance(ctx: ReportContext, s: Section, paths: pd.DataFrame) -> None:
    """The measurement invariance tests across groups (model/invariance.csv), when run."""
    k = ctx.k
    inv = ctx.v.csv("model/invariance.csv")
    if inv is None or not len(inv) or "level" not in inv.columns:
        return
    s.h(k("invariance"))
    groups = sorted(g for g in paths.get("group", pd.Series(dtype=str)).unique() if g)
    s.p(k("invariance_text", groups=", ".join(groups) or "-"))
    show = pd.DataFrame({k("inv_level"): inv["level"].astype(str)})
    for c, lab in (("chisq", "χ²"), ("df", "df"), ("cfi", "CFI"), ("rmsea", "RMSEA"),
                   ("delta_chisq", "Δχ²"), ("delta_df", "Δdf"), ("delta_pvalue", "p(Δχ²)"),
                   ("delta_cfi", "ΔCFI"), ("delta_rmsea", "ΔRMSEA")):  # fmt: skip
        if c in inv.columns:
            v = pd.to_numeric(inv[c], errors="coerce")
            digits = 0 if c in ("df", "delta_df") else (2 if c in ("chisq", "delta_chisq") else 3)
            show[lab] = [("" if not np.isfinite(x) else f"{x:.{digits}f}") for x in v]
    if "holds" in inv.columns:
        show[k("inv_holds")] = [
            "" if pd.isna(h) else ("✓" if str(h).lower() in ("true", "1") else "✗")
            for h in inv["holds"]
        ]
    s.raw(html_table(show, numeric_right=False))


def _micom(ctx: ReportContext, s: Section) -> None:
    """The MICOM steps across groups (model/micom.csv), when run."""
    k = ctx.k
    mic = ctx.v.csv("model/micom.csv")
    if mic is None or not len(mic) or "verdict" not in mic.columns:
        return
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
