"""Measurement and structural quality as SmartPLS and seminr report it: reliability (alpha,
rho_A, rho_C), AVE, loadings, HTMT (with bootstrap intervals when the bootstrap stored them),
Fornell–Larcker, VIF, R², adjusted R² and f², each with its threshold and a pass/warn mark.

Values come from model/quality.csv (csindex.sem.quality); f² and adjusted R² are computed with
:func:`csindex.sem.quality.f_squared` and :func:`~csindex.sem.quality.adjusted_r2` from the
construct correlations stored there."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .context import THRESHOLDS, ReportContext
from .fmt import html_table
from .i18n import term


def _mark(ctx: ReportContext, ok: bool | None) -> str:
    if ok is None:
        return ""
    return "✓ " + ctx.k("pass") if ok else "⚠ " + ctx.k("warn")


def _matrix(q: pd.DataFrame, measure: str) -> pd.DataFrame | None:
    g = q[q["measure"] == measure]
    if not len(g):
        return None
    return g.pivot_table(index="lhs", columns="rhs", values="value", aggfunc="first", sort=False)


def lv_correlations(q: pd.DataFrame) -> pd.DataFrame | None:
    """Construct correlations from the Fornell–Larcker rows (off-diagonal) of quality.csv."""
    fl = _matrix(q, "fornell_larcker")
    if fl is None:
        return None
    names = list(dict.fromkeys([*fl.index, *fl.columns]))
    phi = fl.reindex(index=names, columns=names).astype(float)
    phi = phi.combine_first(phi.T)
    for c in names:
        phi.loc[c, c] = 1.0
    return phi


def quality_blocks(ctx: ReportContext, paths: pd.DataFrame, r2: dict[str, float]) -> list[str]:
    """The quality tables of model/quality.csv as HTML blocks: reliability, loadings, HTMT,
    Fornell–Larcker, and R², f² and inner VIF of the structural model."""
    k = ctx.k
    q = ctx.v.csv("model/quality.csv")
    out: list[str] = []
    if q is None or not {"measure", "lhs", "value"} <= set(q.columns):
        return out
    q = q.assign(measure=q["measure"].astype(str).str.lower())
    if "rhs" not in q.columns:
        q["rhs"] = np.nan
    out.append(f"<h3>{html.escape(k('quality'))}</h3>")
    out.append(f'<p class="note">{html.escape(k("quality_intro"))}</p>')
    blocks = [_reliability(ctx, q), _loadings(ctx, q), _htmt(ctx, q), _fornell_larcker(ctx, q)]
    # inner VIF, R², adjusted R², f²
    phi = lv_correlations(q)
    fit = ctx.v.json("model/fit.json") or {}
    n = int(fit.get("n") or 0)
    if len(paths) and "group" not in paths.columns:
        blocks += _structural(ctx, q, paths, r2, phi, n)
    return out + [b for b in blocks if b is not None]


def _reliability(ctx: ReportContext, q: pd.DataFrame) -> str | None:
    """Cronbach's alpha, rho_A, rho_C and AVE per construct, with their thresholds."""
    k = ctx.k
    cons = [c for c in dict.fromkeys(q["lhs"].astype(str))]
    single = q[q["rhs"].isna()]
    rel = single.pivot_table(index="lhs", columns="measure", values="value", aggfunc="first")
    if not len(rel):
        return None
    rows = []
    lo, hi = THRESHOLDS["alpha"], THRESHOLDS["reliability_max"]
    for c in [c for c in cons if c in rel.index]:
        r = rel.loc[c]
        vals = {m: float(r[m]) if m in r and np.isfinite(r[m]) else np.nan
                for m in ("alpha", "rho_a", "rho_c", "ave")}  # fmt: skip
        checks = [lo <= vals[m] <= hi for m in ("alpha", "rho_a", "rho_c") if
                  np.isfinite(vals[m])] + ([vals["ave"] >= THRESHOLDS["ave"]] if
                  np.isfinite(vals["ave"]) else [])  # fmt: skip
        rows.append({
            k("construct"): ctx.name(c),
            "Cronbach α": f"{vals['alpha']:.2f}" if np.isfinite(vals["alpha"]) else "",
            "ρA": f"{vals['rho_a']:.2f}" if np.isfinite(vals["rho_a"]) else "",
            "ρC": f"{vals['rho_c']:.2f}" if np.isfinite(vals["rho_c"]) else "",
            "AVE": f"{vals['ave']:.2f}" if np.isfinite(vals["ave"]) else "",
            k("mark"): _mark(ctx, all(checks) if checks else None),
        })  # fmt: skip
    return html_table(pd.DataFrame(rows), k("reliability"), numeric_right=False)


def _loadings(ctx: ReportContext, q: pd.DataFrame) -> str | None:
    """Standardized loadings and outer VIF, one row per item (the pooled fit of a multi-group
    model)."""
    k = ctx.k
    est = ctx.v.csv("model/standardized.csv")
    if est is None or "op" not in est.columns:
        est = ctx.v.csv("model/estimates.csv")
    if est is not None and "group" in est.columns:  # multi-group: the pooled fit's rows
        est = est[est["group"].fillna("").astype(str) == ""]
    vif_o = q[q["measure"] == "vif_outer"]
    vif_item = dict(zip(vif_o["rhs"].astype(str), vif_o["value"].astype(float), strict=True))
    if est is None or not {"lhs", "op", "rhs"} <= set(est.columns):
        return None
    lo = est[est["op"] == "=~"]
    vcol = next((c for c in ("est_std", "std_all", "std", "est", "estimate") if c in
                 lo.columns), None)  # fmt: skip
    if vcol is None or not len(lo):
        return None
    rows = []
    for c, i, v in zip(lo["lhs"], lo["rhs"], pd.to_numeric(lo[vcol]), strict=True):
        vif = vif_item.get(str(i), np.nan)
        ok = v >= THRESHOLDS["loading"] and (not np.isfinite(vif) or vif < THRESHOLDS["vif"])
        rows.append({k("construct"): str(c), k("indicator"): ctx.name(str(i)),
                     k("loading"): f"{v:.2f}",
                     "VIF": f"{vif:.2f}" if np.isfinite(vif) else "",
                     k("mark"): _mark(ctx, bool(ok))})  # fmt: skip
    return html_table(pd.DataFrame(rows), k("loadings"), numeric_right=False)


def _htmt(ctx: ReportContext, q: pd.DataFrame) -> str | None:
    """HTMT per pair of constructs, with the bootstrap interval when the bootstrap stored it."""
    k = ctx.k
    ht = q[q["measure"] == "htmt"]
    if not len(ht):
        return None
    boot = ctx.v.csv("model/bootstrap_ci.csv")
    bci = {}
    if boot is not None and "statistic" in boot.columns:
        b = boot[boot["statistic"].astype(str).str.startswith("htmt:")]
        bci = {s: (lo_, hi_) for s, lo_, hi_ in zip(b["statistic"], b["ci_lower"],
                                                   b["ci_upper"], strict=True)}  # fmt: skip
    rows = []
    for a, c, v in zip(ht["lhs"], ht["rhs"], ht["value"].astype(float), strict=True):
        iv = bci.get(f"htmt:{a}-{c}") or bci.get(f"htmt:{c}-{a}")
        row = {k("pair"): f"{a} – {c}", "HTMT": f"{v:.2f}" if np.isfinite(v) else ""}
        if bci:
            row[k("ci_boot")] = f"{iv[0]:.2f} – {iv[1]:.2f}" if iv else ""
        ok = (v < THRESHOLDS["htmt"]) if np.isfinite(v) else None
        if iv is not None and ok is not None:
            ok = ok and iv[1] < 1
        row[k("mark")] = _mark(ctx, ok)
        rows.append(row)
    return html_table(pd.DataFrame(rows), k("htmt"), numeric_right=False)


def _fornell_larcker(ctx: ReportContext, q: pd.DataFrame) -> str | None:
    """The Fornell–Larcker matrix; a construct passes when its sqrt(AVE) (the diagonal)
    exceeds its correlations with every other construct."""
    k = ctx.k
    fl = _matrix(q, "fornell_larcker")
    if fl is None:
        return None
    m = fl.copy()
    disp = m.map(lambda x: f"{x:.2f}" if np.isfinite(x) else "")
    names = list(m.index)
    marks = []
    for c in names:
        diag = m.loc[c, c] if c in m.columns else np.nan
        others = pd.concat([m.loc[c].drop(c, errors="ignore"),
                            m[c].drop(c, errors="ignore") if c in m.columns else
                            pd.Series(dtype=float)]).abs()  # fmt: skip
        marks.append(_mark(ctx, bool(diag > others.max())) if np.isfinite(diag) else "")
    disp.insert(0, k("construct"), names)
    disp[k("mark")] = marks
    return html_table(disp.reset_index(drop=True), k("fl"), numeric_right=False)


def _structural(
    ctx: ReportContext,
    q: pd.DataFrame,
    paths: pd.DataFrame,
    r2: dict[str, float],
    phi: pd.DataFrame | None,
    n: int,
) -> list[str]:
    """R² and adjusted R² per endogenous construct, and f² with the inner VIF per path (when
    the construct correlations cover the model)."""
    from ..sem.quality import adjusted_r2, f_squared

    k = ctx.k
    preds = {t: list(paths.loc[paths["to"] == t, "from"]) for t in dict.fromkeys(paths["to"])}
    rows = []
    for t, pr in preds.items():
        v = r2.get(t, np.nan)
        rows.append(
            {
                k("construct"): ctx.name(t),
                k("r2"): f"{v:.2f}",
                k("r2_adj"): f"{adjusted_r2(v, n, len(pr)):.2f}" if n else "",
            }
        )
    out = [html_table(pd.DataFrame(rows), k("r2_h"), numeric_right=False)]
    vin = q[q["measure"] == "vif_inner"]
    vif_in = {
        (str(a), str(b)): float(v)
        for a, b, v in zip(vin["lhs"], vin["rhs"], vin["value"], strict=True)
    }
    if phi is not None and set(paths["from"]) | set(paths["to"]) <= set(phi.index):
        f2 = f_squared(phi, preds)
        ctx.diagnostics["f2"] = f2.to_dict(orient="records")
        size = ["–", *(term(ctx.lang, x) for x in ("small", "medium", "large"))]
        rows = []
        for a, b, f in zip(f2["from"], f2["to"], f2["f2"], strict=True):
            vf = vif_in.get((b, a), np.nan)
            rows.append({k("path_from"): ctx.name(a), k("path_to"): ctx.name(b),
                         "f²": f"{f:.3f}",
                         "": size[int(np.searchsorted([0.02, 0.15, 0.35], f, side="right"))],
                         "VIF": f"{vf:.2f}" if np.isfinite(vf) else "",
                         k("mark"): _mark(ctx, None if not np.isfinite(vf) else
                                          vf < THRESHOLDS["vif"])})  # fmt: skip
        out.append(html_table(pd.DataFrame(rows), k("f2") + " / " + k("vif"),
                              numeric_right=False))  # fmt: skip
    return out
