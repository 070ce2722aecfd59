"""Per-question answer tables with the value labels of the codes *after* cleaning.

The cleaning stage recodes before anything is reported: a reverse-coded item's raw code ``x``
becomes ``min + max - x``, and a quantity item (a number such as a tolerated price rise in %)
is cut into five levels at cut points recorded in ``clean/summary.json``. The labels of the
recoded values are therefore derived here from the instrument *and* the cleaning record, never
taken from the raw questionnaire anchors directly:

- likert item, not recoded: ``label(v) = anchor(v)``;
- reverse-coded item: ``label(v) = anchor(min + max - v)`` (raw 5 "never" → 1 "never");
- quantity item: ``label(k)`` = the k-th band of the cut points with its unit.

:func:`question_table` gives ``item, value, label, n, pct, pct_weighted, se_weighted``
(``report/questions.csv``); weighted shares and their standard errors come from the
design-based engine :mod:`csindex.estimation` (``survey_proportions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..instrument import Instrument, Item
from .i18n import t, to_script

QUESTION_COLUMNS = ["item", "value", "label", "n", "pct", "pct_weighted", "se_weighted"]


def _num(x: float) -> str:
    return f"{x:g}"


def _anchors(item: Item, language: str) -> dict[float, str]:
    base = language.split("-")[0]
    a = item.anchors.get(language) or item.anchors.get(base) or item.anchors.get("en") or {}
    return {float(k): to_script(str(v), language) for k, v in a.items()}


def quantity_bands(points: Sequence[float], closed: str, unit: str, language: str) -> list[str]:
    """Labels of the five levels of a quantity cut at ``points`` (six numbers);
    ``closed='left'``: [p0,p1), ..., [p4,p5]; ``'right'``: [p0,p1], (p1,p2], ..., (p4,p5]."""
    p = [float(x) for x in points]
    u = unit or ""
    out = []
    for k in range(5):
        lo, hi = _num(p[k]), _num(p[k + 1])
        if closed == "right":
            op_lo = "≤" if k == 0 else "<"
            op_hi = "≤"
        else:
            op_lo = "≤"
            op_hi = "≤" if k == 4 else "<"
        out.append(t(language, "band", lo=lo, hi=hi, op_lo=op_lo, op_hi=op_hi, unit=u))
    return out


def value_labels(
    instrument: Instrument,
    language: str = "en",
    clean_summary: Mapping[str, Any] | None = None,
    items: Sequence[str] | None = None,
) -> dict[str, dict[float, str]]:
    """Label of every recoded value of every item: ``{item: {value: label}}``.

    ``clean_summary`` is ``clean/summary.json``: its ``rules.reverse.items`` names the items
    that were reverse-coded and ``rules.quantity_cut`` the cut points (and closed side) of each
    quantity item. Labels are in the script of ``language`` (zh = Simplified). Without it the instrument's own ``reverse`` flags and cut points are used
    (the cleaning stage's defaults)."""
    rules = dict((clean_summary or {}).get("rules") or {})
    rev_rule = rules.get("reverse")
    reversed_items = set(rev_rule.get("items") or []) if isinstance(rev_rule, Mapping) else None
    qcut = rules.get("quantity_cut") if isinstance(rules.get("quantity_cut"), Mapping) else {}
    out: dict[str, dict[float, str]] = {}
    for iid in items if items is not None else instrument.item_ids:
        it = instrument.item(iid)
        if it.kind == "quantity":
            q = it.quantity or {}
            pts = (qcut.get("points") or {}).get(iid) or (q.get("cut") or {}).get("points")
            closed = qcut.get("closed", "left")
            if pts is None or len(pts) != 6:
                out[iid] = {float(k): _num(k) for k in range(1, 6)}
                continue
            bands = quantity_bands(pts, closed, str(q.get("unit", "")), language)
            out[iid] = {float(k + 1): b for k, b in enumerate(bands)}
            continue
        anchors = _anchors(it, language)
        sc = it.scale
        codes = np.linspace(sc.min, sc.max, sc.points)
        is_rev = it.reverse if reversed_items is None else iid in reversed_items
        labels = {}
        for v in codes:
            raw = (sc.min + sc.max - v) if is_rev else v
            labels[float(v)] = anchors.get(float(raw), _num(raw) if not is_rev else "")
            if not labels[float(v)]:
                labels[float(v)] = t(language, "raw_code", code=_num(raw))
        out[iid] = labels
    return out


def item_codes(instrument: Instrument, item: str) -> np.ndarray:
    """The codes an item has after cleaning (1..5 for a quantity item)."""
    it = instrument.item(item)
    if it.kind == "quantity":
        return np.arange(1.0, 6.0)
    sc = it.scale
    return np.linspace(sc.min, sc.max, sc.points)


def question_table(
    responses: pd.DataFrame,
    instrument: Instrument,
    labels: Mapping[str, Mapping[float, str]],
    items: Sequence[str] | None = None,
    design=None,
    level: float = 0.95,
    language: str = "en",
) -> pd.DataFrame:
    """``item, value, label, n, pct, pct_weighted, se_weighted`` of every answer value of every
    item (missing answers excluded; values outside the item's codes in a row labelled as such).

    ``pct = 100 n / n_answered``; ``pct_weighted`` and ``se_weighted`` (in percentage points)
    are ``100 x`` the design-based share of :func:`csindex.estimation.survey_proportions` on
    ``design`` (a :class:`csindex.estimation.SurveyDesign` whose data hold the items), NaN
    without a design."""
    items = [i for i in (items or instrument.item_ids) if i in responses.columns]
    frames = []
    for item in items:  # a handful of items; respondents are handled vectorised
        x = pd.to_numeric(responses[item], errors="coerce").to_numpy(dtype=float)
        codes = item_codes(instrument, item)
        seen = np.unique(x[~np.isnan(x)])
        other = np.setdiff1d(seen, codes)
        values = np.concatenate([codes, other])
        counts = (x[:, None] == values[None, :]).sum(axis=0)
        answered = int((~np.isnan(x)).sum())
        lab = labels.get(item, {})
        frames.append(
            pd.DataFrame(
                {
                    "item": item,
                    "value": values,
                    "label": [
                        lab.get(float(v)) or t(language, "other_code", code=_num(v)) for v in values
                    ],
                    "n": counts.astype(np.int64),
                    "pct": 100.0 * counts / answered if answered else np.nan,
                    "pct_weighted": np.nan,
                    "se_weighted": np.nan,
                }
            )
        )
        if design is not None:
            from ..estimation import survey_proportions

            if item not in design.data.columns:
                raise InputError(f"item {item!r} is not in the design's data", column=item)
            est = survey_proportions(design, item, level=level, categories=list(values))
            frames[-1]["pct_weighted"] = 100.0 * est["estimate"].to_numpy(dtype=float)
            frames[-1]["se_weighted"] = 100.0 * est["se"].to_numpy(dtype=float)
    if not frames:
        return pd.DataFrame(columns=QUESTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[QUESTION_COLUMNS]
