"""The programme report: one self-contained HTML file (no external resources), English or
Chinese: the national index with its CI and trend, sector and industry league tables, company
rankings with CIs and the biggest movers between waves. Every number is read from the roll-up
tables (:mod:`csindex.programme.rollup`), none is recomputed here."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

TEXT = {
    "en": {
        "title": "Customer satisfaction index programme",
        "national": "National index",
        "trend": "National index by wave (with {level}% confidence interval)",
        "sectors": "Sectors (league table, latest wave)",
        "industries": "Industries (league table, latest wave)",
        "companies": "Company ranking (latest wave)",
        "movers": "Biggest movers ({a} to {b})",
        "changes": "Change between waves",
        "rank": "Rank",
        "id": "Name",
        "parent": "Belongs to",
        "index": "Index",
        "se": "SE",
        "ci": "{level}% CI",
        "n": "Companies",
        "nresp": "Respondents",
        "weight": "Weight",
        "change": "Change",
        "p": "p",
        "wave": "Wave",
        "level": "Level",
        "method": (
            "Industry index: revenue-weighted mean of its companies; sector: weighted mean of its "
            "industries (weight = their revenue); national: GDP-share-weighted mean of the sectors. "
            "SEs propagated from the company SEs (independent samples): "
            "Var = sum (w_i/W)^2 SE_i^2; the SE of a change between waves is "
            "sqrt(SE_a^2 + SE_b^2), computed on the companies present in both waves."
        ),
        "no_change": "Only one wave: no change between waves.",
    },
    "zh": {
        "title": "顾客满意度指数项目报告",
        "national": "全国指数",
        "trend": "各期全国指数（{level}% 置信区间）",
        "sectors": "部门排名（最新一期）",
        "industries": "行业排名（最新一期）",
        "companies": "企业排名（最新一期）",
        "movers": "变化最大的企业（{a} 至 {b}）",
        "changes": "各期变化",
        "rank": "名次",
        "id": "名称",
        "parent": "所属",
        "index": "指数",
        "se": "标准误",
        "ci": "{level}% 置信区间",
        "n": "企业数",
        "nresp": "受访者数",
        "weight": "权重",
        "change": "变化",
        "p": "p 值",
        "wave": "期次",
        "level": "层级",
        "method": (
            "行业指数为其企业指数按营业收入加权的平均；部门指数为其行业指数按营业收入加权的平均；"
            "全国指数为各部门指数按 GDP 份额加权的平均。标准误由企业标准误传播（样本相互独立）："
            "Var = Σ (w_i/W)² SE_i²；两期之差的标准误为 sqrt(SE_a² + SE_b²)，只用两期都有的企业计算。"
        ),
        "no_change": "只有一期：没有各期变化。",
    },
}


@dataclass(frozen=True)
class ProgrammeReportOptions:
    language: str = "en"
    alpha: float = 0.05
    movers: int = 10


def _f(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def _table(df: pd.DataFrame, cols: list[tuple[str, str, int]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_f(r[c], d)}</td>" for c, _, d in cols) + "</tr>"
        for _, r in df.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _trend_svg(nat: pd.DataFrame) -> str:
    """Index by wave with CI bars, as inline SVG (deterministic, no fonts embedded)."""
    w, h, pad = 560, 220, 40
    lo = float(np.floor(nat["ci_lower"].min() - 1))
    hi = float(np.ceil(nat["ci_upper"].max() + 1))
    n = len(nat)
    xs = [pad + (w - 2 * pad) * (k + 0.5) / n for k in range(n)]

    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * (v - lo) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img">',
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>',
        f'<text x="4" y="{y(hi) + 4:.1f}" font-size="11">{hi:.0f}</text>',
        f'<text x="4" y="{y(lo) + 4:.1f}" font-size="11">{lo:.0f}</text>',
    ]
    pts = []
    for x, (_, r) in zip(xs, nat.iterrows(), strict=True):
        parts.append(
            f'<line x1="{x:.1f}" y1="{y(r["ci_lower"]):.1f}" x2="{x:.1f}" '
            f'y2="{y(r["ci_upper"]):.1f}" stroke="#1f77b4" stroke-width="2"/>'
        )
        parts.append(f'<circle cx="{x:.1f}" cy="{y(r["index"]):.1f}" r="4" fill="#1f77b4"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{h - pad + 16}" font-size="11" text-anchor="middle">'
            f"{html.escape(str(r['wave']))}</text>"
        )
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y(r["index"]) - 6:.1f}" font-size="11">'
            f"{r['index']:.1f}</text>"
        )
        pts.append(f"{x:.1f},{y(r['index']):.1f}")
    if len(pts) > 1:
        parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#1f77b4"/>')
    parts.append("</svg>")
    return "".join(parts)


def _league(df: pd.DataFrame, t: dict, level: int, with_parent: bool = True) -> str:
    d = df.sort_values(["index", "id"], ascending=[False, True]).reset_index(drop=True)
    d.insert(0, "rank", np.arange(1, len(d) + 1))
    d["ci"] = [f"{a:.1f} – {b:.1f}" for a, b in zip(d["ci_lower"], d["ci_upper"], strict=True)]
    cols = [("rank", t["rank"], 0), ("id", t["id"], 0)]
    if with_parent:
        cols.append(("parent", t["parent"], 0))
    cols += [
        ("index", t["index"], 1),
        ("se", t["se"], 2),
        ("ci", t["ci"].format(level=level), 0),
        ("n_companies", t["n"], 0),
        ("n_respondents", t["nresp"], 0),
    ]
    return _table(d, cols)


def _head(programme: str, version: str, t: dict, language: str) -> list[str]:
    """The document head (title, inline style) and the page heading."""
    return [
        "<!DOCTYPE html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        f"<title>{html.escape(t['title'])}: {html.escape(programme)} {html.escape(version)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:60em;"
        "margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
        "td:nth-child(2),th:nth-child(2){text-align:left}</style></head><body>",
        f"<h1>{html.escape(t['title'])}: {html.escape(programme)} ({html.escape(version)})</h1>",
    ]


def _national_section(
    nat: pd.DataFrame, trends: pd.DataFrame, t: dict, level: int, last: str
) -> list[str]:
    """The national index of the latest wave ``last`` with its CI, the trend chart and the
    changes between waves (``nat``: the national rows in wave order)."""
    nl = nat.iloc[-1]
    out = [
        f'<section id="national"><h2>{t["national"]}</h2>',
        f"<p><strong>{nl['index']:.1f}</strong> ({t['wave']} {html.escape(last)}; "
        f"{t['ci'].format(level=level)} {nl['ci_lower']:.1f} – {nl['ci_upper']:.1f}; "
        f"{t['se']} {nl['se']:.2f}; {t['n']} {int(nl['n_companies'])})</p>",
        f"<figure><figcaption>{t['trend'].format(level=level)}</figcaption>"
        f"{_trend_svg(nat)}</figure>",
    ]
    nat_tr = trends[(trends["level"] == "national")] if len(trends) else trends
    if len(nat_tr):
        out.append(f"<h3>{t['changes']}</h3>")
        out.append(
            _table(
                nat_tr,
                [
                    ("wave_a", "a", 0),
                    ("wave_b", "b", 0),
                    ("change", t["change"], 2),
                    ("se_change", t["se"], 2),
                    ("ci_lower", "lo", 2),
                    ("ci_upper", "hi", 2),
                    ("p_value", t["p"], 3),
                ],
            )
        )
    else:
        out.append(f"<p>{t['no_change']}</p>")
    out.append("</section>")
    return out


def _movers_section(trends: pd.DataFrame, t: dict, movers: int) -> list[str]:
    """The companies with the largest absolute change from the previous wave to the latest
    (none when there is only one wave)."""
    from .sheet import wave_order

    prev = trends[(trends["level"] == "company")] if len(trends) else trends
    if len(prev) and "comparison" in prev:
        prev = prev[prev["comparison"] == "previous"]
    if not len(prev):
        return []
    wb = max(set(prev["wave_b"]), key=wave_order)
    m = prev[prev["wave_b"] == wb]
    m = m.assign(_abs=m["change"].abs()).sort_values(["_abs", "id"], ascending=[False, True])
    m = m.head(movers)
    return [
        f'<section id="movers"><h2>'
        f"{t['movers'].format(a=html.escape(str(m['wave_a'].iloc[0])), b=html.escape(wb))}</h2>",
        _table(
            m,
            [
                ("id", t["id"], 0),
                ("parent", t["parent"], 0),
                ("index_a", "a", 1),
                ("index_b", "b", 1),
                ("change", t["change"], 2),
                ("se_change", t["se"], 2),
                ("p_value", t["p"], 3),
            ],
        ),
        "</section>",
    ]


def build_programme_report(
    programme: str,
    version: str,
    companies: pd.DataFrame,
    industries: pd.DataFrame,
    sectors: pd.DataFrame,
    national: pd.DataFrame,
    trends: pd.DataFrame,
    options: ProgrammeReportOptions | None = None,
) -> str:
    """The programme report as one HTML string (tables: the roll-up's output frames)."""
    from .sheet import wave_order

    opt = options or ProgrammeReportOptions()
    t = TEXT[opt.language]
    level = round(100 * (1 - opt.alpha))
    waves = sorted(set(national["wave"]), key=wave_order)
    last = waves[-1]
    nat = national.assign(_o=national["wave"].map(wave_order)).sort_values("_o")
    out = _head(programme, version, t, opt.language)
    out += _national_section(nat, trends, t, level, last)
    for key, df, with_parent in (
        ("sectors", sectors, False),
        ("industries", industries, True),
        ("companies", companies, True),
    ):
        out.append(f'<section id="{key}"><h2>{t[key]}</h2>')
        out.append(_league(df[df["wave"] == last], t, level, with_parent=with_parent))
        out.append("</section>")
    out += _movers_section(trends, t, opt.movers)
    out.append(f'<section id="method"><p>{html.escape(t["method"])}</p></section>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
