"""Path diagrams of any structural model laid out by Graphviz ``dot`` (driven by subprocess).

:func:`path_dot` writes the DOT text (constructs as boxes with their R², paths as arrows
labelled with the standardized coefficient and its significance); :func:`render` runs
``dot -Tsvg`` (the figure) or ``dot -Tjson`` (positions, for the overlap check of
:func:`layout_boxes`). ``dot`` places edge labels as nodes of its rank layout, so labels do not
overlap boxes or each other for ACSI, ECSI, custom or multi-group models alike.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections.abc import Mapping

import pandas as pd


class DotMissing(RuntimeError):
    """Graphviz's dot is not installed."""


def dot_path() -> str | None:
    return shutil.which("dot")


def p_stars(p: float) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _q(s: str) -> str:
    """A DOT string literal (newlines as DOT line breaks)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


DOT_FONT = {"en": "DejaVu Sans", "zh-Hans": "Noto Sans CJK SC", "zh-Hant": "Noto Sans CJK TC"}


def path_dot(
    paths: pd.DataFrame,
    r2: Mapping[str, float],
    labels: Mapping[str, str],
    language: str = "en",
) -> str:
    """DOT text of the structural model: ``paths`` has ``from, to, coef`` and ``p`` or
    ``stars``; ``r2`` the R² of each explained construct; ``labels`` the construct names."""
    font = _q(DOT_FONT.get(language, DOT_FONT["en"]))
    nodes = list(dict.fromkeys([*paths["from"], *paths["to"]]))
    lines = [
        "digraph model {",
        f"  graph [rankdir=TB, nodesep=0.5, ranksep=0.45, splines=true, fontname={font}];",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3f8", color="#2166ac",'
        f' fontname={font}, fontsize=11, margin="0.15,0.08"];',
        f'  edge [color="#333333", fontname={font}, fontsize=10, arrowsize=0.7];',
    ]
    for n in nodes:
        lab = f"{n}\n{labels.get(n, n)}"
        v = r2.get(n)
        if v is not None and math.isfinite(float(v)):
            lab += f"\nR² = {float(v):.2f}"
        lines.append(f"  {_q(n)} [label={_q(lab)}];")
    stars = (
        paths["stars"].fillna("").astype(str).tolist()
        if "stars" in paths.columns
        else [
            p_stars(float(p))
            for p in (paths["p"] if "p" in paths.columns else [math.nan] * len(paths))
        ]
    )
    for a, b, c, st in zip(paths["from"], paths["to"], paths["coef"], stars, strict=True):
        coef = float(c)
        ok = math.isfinite(coef)
        style = ", style=dashed" if ok and coef < 0 else ""
        pen = max(0.8, min(3.5, 0.8 + 4 * abs(coef))) if ok else 1.0
        text = f"{coef:.2f}{st}" if ok else "?"
        lines.append(f"  {_q(a)} -> {_q(b)} [label={_q(text)}, penwidth={pen:.2f}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: str = "svg") -> bytes:
    """Run ``dot -T<fmt>`` on ``dot_text``; :class:`DotMissing` when dot is not installed."""
    exe = dot_path()
    if exe is None:
        raise DotMissing("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
    res = subprocess.run(
        [exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, check=False
    )
    if res.returncode != 0:
        raise RuntimeError(f"dot failed: {res.stderr.decode('utf-8', 'replace').strip()}")
    return res.stdout


def layout_boxes(dot_text: str) -> list[tuple[str, float, float, float, float]]:
    """Boxes of the laid-out diagram in points: ``(name, x0, y0, x1, y1)`` for every construct
    box and every path label (from ``dot -Tjson``: node ``pos``/``width``/``height``, label
    text drawing ops of ``_ldraw_``)."""
    g = json.loads(render(dot_text, "json"))
    boxes = []
    for n in g.get("objects", []):
        x, y = (float(v) for v in n["pos"].split(","))
        w, h = 72 * float(n["width"]) / 2, 72 * float(n["height"]) / 2
        boxes.append((f"node:{n['name']}", x - w, y - h, x + w, y + h))
    for e in g.get("edges", []):
        size = 10.0
        for op in e.get("_ldraw_", []):
            if op.get("op") == "F":
                size = float(op["size"])
            if op.get("op") == "T":
                x, y = op["pt"]
                w = float(op["width"])
                x0 = {"l": x, "r": x - w}.get(op.get("align", "c"), x - w / 2)
                boxes.append((f"label:{e.get('label', '')}", x0, y - 0.25 * size, x0 + w,
                              y + 0.85 * size))  # fmt: skip
    return boxes


def overlaps(boxes: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of boxes that intersect."""
    out = []
    for i in range(len(boxes)):
        a = boxes[i]
        for b in boxes[i + 1 :]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                out.append((a[0], b[0]))
    return out


def path_svg(
    paths: pd.DataFrame,
    r2: Mapping[str, float],
    labels: Mapping[str, str],
    language: str = "en",
) -> bytes:
    """The diagram as SVG bytes (deterministic: dot's output depends only on the DOT text)."""
    svg = render(path_dot(paths, r2, labels, language), "svg")
    # drop dot's version comment so the report does not change with the Graphviz release
    text = re.sub(r"<!-- Generated by graphviz.*?-->\n?", "", svg.decode("utf-8"), flags=re.S)
    return text.encode("utf-8")
