"""Formatting for people: numbers rounded for reading, HTML tables with translated headers,
collapsible blocks, and the Section/Figure containers the report template renders."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import figures as F
from .i18n import t


def fmt_num(v: float, digits: int = 1) -> str:
    """``v`` rounded to ``digits`` decimals ('' for missing)."""
    if v is None or v is pd.NA or not np.isfinite(float(v)):
        return ""
    return f"{float(v):,.{digits}f}"


def fmt_p(p: float) -> str:
    """A p value for reading: three decimals, '<0.001' below."""
    if p is None or not np.isfinite(float(p)):
        return ""
    return f"{p:.3f}" if p >= 0.001 else "<0.001"


def details(summary: str, body: str) -> str:
    """A collapsible block (closed by default; printed closed)."""
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"


def fmt_cell(v: Any, col: str = "", digits: int = 3) -> str:
    """One table cell: integers with thousands separators, p values as :func:`fmt_p`, other
    numbers with ``digits`` decimals."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        c = col.lower()
        if c in ("p", "pvalue", "p_value", "pval") or c.startswith("p_"):
            return f"{v:.3f}" if v >= 0.001 else "<0.001"
        if float(v).is_integer() and abs(v) < 1e12 and c in ("n", "count", "n_item"):
            return f"{int(v):,}"
        return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.1f}"
    return str(v)


def html_table(
    df: pd.DataFrame,
    caption: str | None = None,
    numeric_right: bool = True,
    max_rows: int | None = None,
    digits: int = 3,
) -> str:
    """A plain HTML table (escaped, deterministic number formatting) in a scrolling wrapper."""
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(shown.columns, row, strict=True):
            num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            cls = ' class="num"' if num and numeric_right else ""
            cells.append(f"<td{cls}>{html.escape(fmt_cell(v, str(c), digits))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f'<p class="note">{len(df) - max_rows} more row(s) in the CSV file.</p>'
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead><tbody>'
        + "".join(body)
        + f"</tbody></table></div>{more}"
    )


def flatten(d: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(d, Mapping):
        for k in sorted(d, key=str):
            out += flatten(d[k], f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(d, list) and d and all(isinstance(x, Mapping) for x in d):
        for i, x in enumerate(d):
            out += flatten(x, f"{prefix}[{i}]")
    else:
        if isinstance(d, float):
            d = fmt_cell(d)
        elif (
            isinstance(d, list)
            and len(d) > 12
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in d)
        ):
            arr = np.asarray(d, dtype=float)
            d = f"{len(d)} values, {fmt_cell(float(arr.min()))} to {fmt_cell(float(arr.max()))}"
        elif isinstance(d, list):
            d = ", ".join(fmt_cell(x) if isinstance(x, float) else str(x) for x in d)
        out.append((prefix, str(d)))
    return out


@dataclass
class Figure:
    id: str
    caption: str
    svg: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


@dataclass
class Section:
    id: str
    title: str
    blocks: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    ran: bool = True

    def p(self, text: str, cls: str = "") -> None:
        c = f' class="{cls}"' if cls else ""
        self.blocks.append(f"<p{c}>{html.escape(text)}</p>")

    def h(self, text: str) -> None:
        self.blocks.append(f"<h3>{html.escape(text)}</h3>")

    def raw(self, markup: str) -> None:
        self.blocks.append(markup)

    def figure(self, fig_id: str, caption: str, fig) -> None:
        """A matplotlib figure (closed after it is written as SVG)."""
        self.svg(fig_id, caption, F.to_svg(fig))

    def svg(self, fig_id: str, caption: str, svg: bytes, cls: str = "") -> None:
        """A figure given as SVG bytes (e.g. a Graphviz diagram: ``cls='diagram'``, drawn at
        its natural size)."""
        f = Figure(fig_id, caption, svg)
        self.figures.append(f)
        c = f' class="{cls}"' if cls else ""
        self.blocks.append(
            f'<figure id="fig-{fig_id}"{c}><img alt="{html.escape(caption)}" src="{f.data_uri}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def missing(self, lang: str, what: str, folder: str) -> None:
        self.p(t(lang, "not_run", what=what, folder=folder), "missing")
