"""Report figures as deterministic SVG (matplotlib, Agg).

Every figure is written with fixed metadata (no date, fixed creator) and a fixed
``svg.hashsalt``, and text is drawn as paths, so the same data give byte-identical SVG and the
file needs no font on the reader's machine. Labels are passed in already translated.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .fonts import font_family

SVG_METADATA = {"Date": None, "Creator": "csindex", "Format": None, "Type": None}
LIKERT_COLOURS = ["#b2182b", "#ef8a62", "#e0e0e0", "#67a9cf", "#2166ac"]
ACCENT = "#2166ac"
GREY = "#888888"

# Figure 4-1 (seed 001): expectations and quality on the left, value in the middle,
# satisfaction in the centre, complaints above and loyalty below on the right.
PATH_LAYOUT = {
    "CE": (0.0, 1.4),
    "PQ": (0.0, -1.4),
    "PV": (1.7, -1.4),
    "CS": (3.4, 0.0),
    "CC": (5.1, 1.4),
    "CL": (5.1, -1.4),
}


def setup(language: str = "en", headless: bool = True) -> None:
    """Matplotlib settings for every report figure (CJK fallback font, deterministic SVG); with
    ``headless`` (the report) the Agg backend, else the current one (e.g. Jupyter's inline)."""
    import matplotlib

    if headless:
        matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update(
        {
            "font.family": font_family(language),
            "svg.hashsalt": "csindex-report",
            "svg.fonttype": "path",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "figure.dpi": 100,
        }
    )


def to_svg(fig) -> bytes:
    """The figure as SVG bytes with fixed metadata; closes the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _wrap(text: str, width: int = 22) -> str:
    """Wrap a label at spaces; text with CJK characters (no spaces) every ``width // 2``
    characters."""
    import re
    import textwrap

    if re.search(r"[\u2e80-\u9fff\uf900-\ufaff]", text) and " " not in text:
        k = max(width // 2, 1)
        return "\n".join(text[i : i + k] for i in range(0, len(text), k))
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def answer_bars(
    dist: pd.DataFrame,
    items: Sequence[str],
    item_labels: Mapping[str, str],
    code_labels: Mapping[str, Mapping[float, str]],
    value: str,
    title: str,
    suppressed_note: str,
    ylabel: str = "%",
    unweighted_label: str | None = None,
):
    """Small multiples, one panel per item: bars of the percentage of each answer (column
    ``value`` of :func:`~csindex.report.tables.answer_distribution`); suppressed cells
    (column ``suppressed``) are not drawn and are marked with a dash. With
    ``unweighted_label``, weighted bars carry the unweighted percentage as a black tick."""
    import matplotlib.pyplot as plt

    k = len(items)
    ncol = min(3, k)
    nrow = int(np.ceil(k / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol, 2.4 * nrow + 0.4), squeeze=False)
    for ax in axes.ravel()[k:]:
        ax.set_visible(False)
    any_suppressed = False
    for ax, item in zip(axes.ravel(), items, strict=False):
        d = dist[dist["item"] == item]
        x = np.arange(len(d))
        vals = d[value].to_numpy(dtype=float)
        sup = d["suppressed"].to_numpy(dtype=bool)
        any_suppressed |= bool(sup.any())
        ax.bar(x[~sup], vals[~sup], color=ACCENT, width=0.7)
        if unweighted_label and value != "pct":
            raw = d["pct"].to_numpy(dtype=float)
            ax.scatter(
                x[~sup],
                raw[~sup],
                marker="_",
                s=140,
                color="#111111",
                linewidths=1.6,
                zorder=3,
                label=unweighted_label,
            )
        for xi in x[sup]:
            ax.text(xi, 0.5, "–", ha="center", va="bottom", color=GREY, fontsize=9)
        labels = [
            "?" if np.isnan(c) else code_labels.get(item, {}).get(c, f"{c:g}")
            for c in d["code"].to_numpy(dtype=float)
        ]
        ax.set_xticks(x, [_wrap(lab, 12) for lab in labels], fontsize=6.5)
        ax.set_title(_wrap(f"{item} {item_labels.get(item, '')}", 34), fontsize=8.5)
        ax.set_ylim(0, max(10.0, float(np.nanmax(np.where(sup, 0, vals), initial=0)) * 1.15))
        ax.set_ylabel(ylabel)
    fig.suptitle(title, fontsize=10)
    if unweighted_label and value != "pct":
        axes.ravel()[0].legend(loc="upper left", frameon=False, fontsize=7)
    if any_suppressed:
        fig.text(0.01, 0.0, suppressed_note, fontsize=7, color=GREY, va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    return fig


def _palette(k: int) -> list:
    """Colours of ``k`` ordered answers (low = red, high = blue)."""
    from matplotlib import colormaps

    if k == 5:
        return list(LIKERT_COLOURS)
    return [colormaps["RdBu"](t) for t in np.linspace(0.1, 0.9, max(k, 2))][:k]


def likert_stacked(
    dist: pd.DataFrame,
    items: Sequence[str],
    item_labels: Mapping[str, str],
    value: str,
    title: str,
    legend_labels: Sequence[str],
    suppressed_note: str,
    groups: Mapping[str, str] | None = None,
):
    """Stacked horizontal bars of the Likert distribution of each item (rows grouped by
    construct as ``items`` are ordered); all items on one scale, one legend entry per answer
    (``legend_labels``). Five points use a fixed diverging palette, other scales colours
    interpolated on RdBu. Suppressed cells are left blank. ``groups`` (item -> construct) draws
    a rule between constructs."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 0.36 * len(items) + 1.6))
    any_suppressed = False
    for row, item in enumerate(items):
        d = dist[(dist["item"] == item) & dist["code"].notna()]
        vals = d[value].to_numpy(dtype=float)
        sup = d["suppressed"].to_numpy(dtype=bool)
        any_suppressed |= bool(sup.any())
        k = len(vals)
        cols = _palette(k)
        left = 0.0
        for j in range(k):
            v = 0.0 if np.isnan(vals[j]) else vals[j]
            if not sup[j]:
                ax.barh(row, v, left=left, color=cols[j], edgecolor="white", linewidth=0.5)
                if v >= 7:
                    ax.text(left + v / 2, row, f"{v:.0f}", ha="center", va="center", fontsize=6.5)
            left += v
    ax.set_yticks(range(len(items)), [_wrap(f"{i} {item_labels.get(i, '')}", 60) for i in items])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    if groups:
        for row in range(1, len(items)):
            if groups.get(items[row]) != groups.get(items[row - 1]):
                ax.axhline(row - 0.5, color="#333333", linewidth=0.8)
    ax.set_xlabel("%")
    ax.set_title(title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in _palette(len(legend_labels))]
    ax.legend(
        handles,
        legend_labels,
        ncol=min(len(legend_labels), 5 if len(legend_labels) <= 5 else 10),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        frameon=False,
    )
    if any_suppressed:
        fig.text(0.01, 0.0, suppressed_note, fontsize=7, color=GREY, va="bottom")
    fig.tight_layout()
    return fig


def p_stars(p: float) -> str:
    """``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else empty (also for NaN)."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def path_diagram(
    paths: pd.DataFrame,
    r2: Mapping[str, float],
    labels: Mapping[str, str],
    title: str,
    note: str,
):
    """Path diagram in the layout of figure 4-1: one box per latent variable (label and R²),
    one arrow per structural path labelled with its standardized coefficient and stars
    (``*`` p < .05, ``**`` p < .01, ``***`` p < .001); negative paths dashed.

    ``paths`` has columns ``from``, ``to``, ``coef`` and ``p`` (p may be NaN), or ``stars``
    (text put after the coefficient, e.g. from a bootstrap interval). Latent
    variables outside figure 4-1 (e.g. the ECSI's image) are placed in a column on the left."""
    import matplotlib.pyplot as plt

    pos = _node_positions(paths)
    fig, ax = plt.subplots(figsize=(8.5, 5.0))
    for n, (x, y) in pos.items():
        _draw_node(ax, x, y, labels.get(n, n), r2.get(n, np.nan))
    if "stars" in paths.columns:
        star_list = [str(x) if isinstance(x, str) else "" for x in paths["stars"]]
    else:
        star_list = [p_stars(float(p)) for p in paths["p"]]
    for (a, b, coef), stars in zip(
        paths[["from", "to", "coef"]].itertuples(index=False, name=None), star_list, strict=True
    ):
        _draw_path(ax, pos[a], pos[b], float(coef), stars)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.9, max(xs) + 0.9)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    fig.text(0.01, 0.01, note, fontsize=7, color=GREY)
    return fig


def _node_positions(paths: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Figure 4-1's position of every latent variable; the others in a column on the left."""
    nodes = list(dict.fromkeys([*paths["from"], *paths["to"]]))
    pos = {n: PATH_LAYOUT[n] for n in nodes if n in PATH_LAYOUT}
    extra = [n for n in nodes if n not in pos]
    for k, n in enumerate(extra):
        pos[n] = (-1.8, 1.4 - 2.8 * k / max(len(extra) - 1, 1) if len(extra) > 1 else 0.0)
    return pos


def _draw_node(ax, x: float, y: float, label: str, r2: float) -> None:
    """A rounded box with the latent variable's label and, when finite, its R²."""
    from matplotlib.patches import FancyBboxPatch

    w, h = 1.15, 0.62
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.03",
            facecolor="#eef3f8",
            edgecolor=ACCENT,
            linewidth=1.2,
        )
    )
    ax.text(x, y + 0.08, _wrap(label, 16), ha="center", va="center", fontsize=8)
    if np.isfinite(r2):
        ax.text(
            x,
            y - 0.21,
            f"R² = {r2:.2f}",
            ha="center",
            va="center",
            fontsize=7.5,
            color="#333333",
        )


def _draw_path(
    ax, start: tuple[float, float], end: tuple[float, float], coef: float, stars: str
) -> None:
    """An arrow (dashed and red when negative) labelled with the coefficient and stars."""
    from matplotlib.patches import FancyArrowPatch

    (x0, y0), (x1, y1) = start, end
    ax.add_patch(
        FancyArrowPatch(
            (x0, y0),
            (x1, y1),
            arrowstyle="-|>",
            mutation_scale=12,
            shrinkA=30,
            shrinkB=30,
            color="#444444" if coef >= 0 else "#b2182b",
            linestyle="-" if coef >= 0 else "--",
            linewidth=1.1,
        )
    )
    mx, my = x0 + 0.5 * (x1 - x0), y0 + 0.5 * (y1 - y0)
    ax.text(
        mx,
        my,
        f"{coef:.2f}{stars}",
        ha="center",
        va="center",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
    )


def ipa_chart(
    ipa: pd.DataFrame,
    title: str,
    xlabel: str,
    ylabel: str,
    quadrant_names: Sequence[str],
    cuts: tuple[float, float] | None = None,
):
    """Importance–performance chart: items at (importance, performance), cut at ``cuts``
    (importance, performance; default the mean of each axis); ``quadrant_names`` = (improve first, keep up, low priority, possible overkill)
    for (high importance & low performance, high & high, low & low, low & high)."""
    import matplotlib.pyplot as plt

    x = ipa["importance"].to_numpy(dtype=float)
    y = ipa["performance"].to_numpy(dtype=float)
    xc, yc = cuts if cuts is not None else (float(np.nanmean(x)), float(np.nanmean(y)))
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    improve = (x >= xc) & (y < yc)
    ax.scatter(x[~improve], y[~improve], color=ACCENT, s=28, zorder=3)
    ax.scatter(x[improve], y[improve], color="#b2182b", s=40, zorder=3, marker="D")
    for xi, yi, lab in zip(x, y, ipa["label"], strict=True):
        ax.annotate(str(lab), (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.axvline(xc, color=GREY, linewidth=0.8, linestyle=":")
    ax.axhline(yc, color=GREY, linewidth=0.8, linestyle=":")
    dx = (np.nanmax(x) - np.nanmin(x)) or 1.0
    dy = (np.nanmax(y) - np.nanmin(y)) or 1.0
    ax.set_xlim(np.nanmin(x) - 0.15 * dx, np.nanmax(x) + 0.25 * dx)
    ax.set_ylim(np.nanmin(y) - 0.15 * dy, np.nanmax(y) + 0.15 * dy)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    kw = {"fontsize": 8, "color": GREY, "alpha": 0.9}
    ax.text(x1, y0, quadrant_names[0], ha="right", va="bottom", color="#b2182b", fontsize=8.5)
    ax.text(x1, y1, quadrant_names[1], ha="right", va="top", **kw)
    ax.text(x0, y0, quadrant_names[2], ha="left", va="bottom", **kw)
    ax.text(x0, y1, quadrant_names[3], ha="left", va="top", **kw)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def interval_chart(
    table: pd.DataFrame,
    label: str,
    title: str,
    xlabel: str,
    group: str | None = None,
    note: str | None = None,
):
    """Point estimates with confidence intervals (horizontal), one row per ``label`` (and a
    colour per ``group`` when given). Columns: ``estimate``, ``ci_low``, ``ci_high``."""
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(table[label]))
    groups = list(dict.fromkeys(table[group])) if group else [None]
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(labels) * max(1, len(groups) * 0.6) + 1.4))
    colours = ["#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#4d4d4d"]
    step = 0.7 / max(len(groups), 1)
    for gi, g in enumerate(groups):
        d = table if g is None else table[table[group] == g]
        pos = np.array([labels.index(v) for v in d[label]], dtype=float)
        pos = pos + (gi - (len(groups) - 1) / 2) * step
        est = d["estimate"].to_numpy(dtype=float)
        lo = d["ci_low"].to_numpy(dtype=float)
        hi = d["ci_high"].to_numpy(dtype=float)
        err = np.vstack([est - lo, hi - est])
        ax.errorbar(
            est,
            pos,
            xerr=np.where(np.isfinite(err), err, 0),
            fmt="o",
            color=colours[gi % len(colours)],
            capsize=3,
            markersize=5,
            label=None if g is None else str(g),
        )
    ax.set_yticks(range(len(labels)), [_wrap(str(v), 28) for v in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", color="#eeeeee")
    if group:
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=min(len(groups), 4), frameon=False
        )
    if note:
        fig.text(0.01, 0.0, note, fontsize=7, color=GREY, va="bottom")
    fig.tight_layout()
    return fig
