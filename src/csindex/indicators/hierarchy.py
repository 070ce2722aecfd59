"""The four-level indicator system of seed 001 (table 4-1, figure 4-3) and the weighted index.

Level 1 the CSI; level 2 the six latent variables ("constructs"); level 3 the indicators, one
questionnaire item each ("indicators"); optionally the fourth level of figure 4-3 ("level4":
questions under a third-level grouping such as PQ -> product quality). Local weights (children
of one node sum to 1) combine down the tree into global weights (products along the path).

The weighted index of a node on 0-100: an item score x on its scale [min, max] maps to
s = (x - min)/(max - min) * 100 (after the cleaning stage's recoding, so reverse-coded items
are already turned); a node's score for a respondent is the weighted mean of its children's
scores over the children answered, sum_k w_k s_k / sum_{k answered} w_k (missing if the
answered weight share is below ``min_share``); the index is the survey-weighted mean of the
respondents' node scores, with its design-based SE from :mod:`csindex.estimation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..instrument import Instrument
from .methods import WeightResult

ROOT = "CSI"
LEVELS = ("constructs", "indicators", "level4")
LEVEL_NUMBER = {"CSI": 1, "constructs": 2, "indicators": 3, "level4": 4}


@dataclass
class Hierarchy:
    """Nodes of the indicator system: one row per node with its parent and level name."""

    nodes: pd.DataFrame  # node, parent, level, level_number, label_en, label_zh, is_item

    def children(self, parent: str) -> list[str]:
        return self.nodes.loc[self.nodes["parent"] == parent, "node"].tolist()

    def parents_at(self, level: str) -> dict[str, list[str]]:
        """{parent: children} for the children at ``level``."""
        sub = self.nodes[self.nodes["level"] == level]
        return {p: g["node"].tolist() for p, g in sub.groupby("parent", sort=False)}

    @property
    def items(self) -> list[str]:
        return self.nodes.loc[self.nodes["is_item"], "node"].tolist()

    def postorder(self) -> list[str]:
        """Non-leaf nodes, deepest first (children before parents)."""
        inner = self.nodes[~self.nodes["is_item"]]
        return inner.sort_values("level_number", ascending=False, kind="stable")["node"].tolist()


def build_hierarchy(instrument: Instrument, level4: bool = False) -> Hierarchy:
    """The hierarchy of ``instrument``: CSI -> constructs -> items (-> level-4 groups/items
    under their construct when ``level4``)."""
    rows = [
        dict(
            node=ROOT,
            parent="",
            level="CSI",
            label_en="CSI",
            label_zh="客戶滿意度指數",
            is_item=False,
        )
    ]
    for c in instrument.constructs:
        rows.append(
            dict(
                node=c.id,
                parent=ROOT,
                level="constructs",
                label_en=c.label.get("en", c.id),
                label_zh=c.label.get("zh", c.id),
                is_item=False,
            )
        )
    for it in instrument.items:
        rows.append(
            dict(
                node=it.id,
                parent=it.construct,
                level="indicators",
                label_en=it.label.get("en", it.id),
                label_zh=it.label.get("zh", it.id),
                is_item=True,
            )
        )
    if level4:
        for g in instrument.level4_groups:
            lab = g.get("label", {}) or {}
            rows.append(
                dict(
                    node=str(g["id"]),
                    parent=str(g["construct"]),
                    level="indicators",
                    label_en=lab.get("en", g["id"]),
                    label_zh=lab.get("zh", g["id"]),
                    is_item=False,
                )
            )
        for it in instrument.level4:
            rows.append(
                dict(
                    node=it.id,
                    parent=it.level4_group,
                    level="level4",
                    label_en=it.label.get("en", it.id),
                    label_zh=it.label.get("zh", it.id),
                    is_item=True,
                )
            )
    nodes = pd.DataFrame(rows)
    dup = nodes["node"][nodes["node"].duplicated()].tolist()
    if dup:
        raise ConfigError(
            f"{instrument.source or 'instrument'}: ids {sorted(set(dup))} are used by more than one "
            "node of the indicator system (CSI, constructs, items); give every node its own id",
            key="instrument",
        )
    nodes.insert(3, "level_number", nodes["level"].map(LEVEL_NUMBER).astype(int))
    return Hierarchy(nodes)


def combine_weights(hierarchy: Hierarchy, local: Mapping[str, WeightResult]) -> pd.DataFrame:
    """Local and global weights of every node: global = product of local weights from the CSI
    down to the node (so the global weights of each level sum to 1)."""
    nodes = hierarchy.nodes.copy()
    lw = {ROOT: 1.0}
    method = {ROOT: ""}
    for parent, res in local.items():
        kids = hierarchy.children(parent)
        if sorted(res.weights.index) != sorted(kids):
            raise InputError(
                f"weights under {parent!r} cover {sorted(res.weights.index)}; the children are "
                f"{sorted(kids)}"
            )
        for k in kids:
            lw[k] = float(res.weights[k])
            method[k] = res.method
    missing = [n for n in nodes["node"] if n not in lw]
    if missing:
        raise InputError(f"no weights for nodes {missing}")
    parent_of = dict(zip(nodes["node"], nodes["parent"], strict=True))
    gw = {}
    for n in nodes["node"]:  # tree nodes (tens), not data rows
        g, m = 1.0, n
        while m:
            g *= lw[m]
            m = parent_of[m]
        gw[n] = g
    nodes["local_weight"] = nodes["node"].map(lw)
    nodes["global_weight"] = nodes["node"].map(gw)
    nodes["method"] = nodes["node"].map(method)
    return nodes


def item_scores(data: pd.DataFrame, instrument: Instrument, items: Sequence[str]) -> pd.DataFrame:
    """0-100 score of each item: (x - min)/(max - min) * 100 on the item's scale; values outside
    [min, max] are an error (cleaning should have set them missing)."""
    out = {}
    for iid in items:
        if iid not in data.columns:
            raise InputError(
                f"item column {iid!r} not in the clean responses; the instrument needs it",
                column=iid,
            )
        sc = instrument.item(iid).scale
        x = pd.to_numeric(data[iid], errors="coerce").to_numpy(float)
        bad = np.isfinite(x) & ((x < sc.min - 1e-9) | (x > sc.max + 1e-9))
        if bad.any():
            r = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(
                f"value {x[bad][0]:g} outside the item's scale {sc.min:g}..{sc.max:g} "
                f"({int(bad.sum())} row(s)); the clean responses must hold items on their own scale",
                row=r,
                column=iid,
            )
        out[iid] = sc.to_0_100(x)
    return pd.DataFrame(out, index=data.index)


def node_scores(
    data: pd.DataFrame,
    instrument: Instrument,
    hierarchy: Hierarchy,
    weights: pd.DataFrame,
    *,
    reverse_in_parent: Sequence[str] = ("CC",),
    min_share: float = 0.5,
) -> pd.DataFrame:
    """Per-respondent 0-100 score of every node (items, third-level groups, constructs, CSI).

    ``weights``: output of :func:`combine_weights`. A node in ``reverse_in_parent`` enters its
    parent as 100 - score (complaints: more complaints lower the CSI).
    """
    scores = item_scores(data, instrument, hierarchy.items)
    lw = dict(zip(weights["node"], weights["local_weight"], strict=True))
    for node in hierarchy.postorder():
        kids = hierarchy.children(node)
        s = np.column_stack(
            [
                (100.0 - scores[k].to_numpy() if k in reverse_in_parent else scores[k].to_numpy())
                for k in kids
            ]
        )
        w = np.array([lw[k] for k in kids])
        ok = np.isfinite(s)
        den = (ok * w).sum(axis=1)
        num = np.where(ok, s, 0.0) @ w
        share = den / w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.where((den > 0) & (share >= min_share - 1e-12), num / den, np.nan)
        scores[node] = val
    return scores


def weighted_index(
    scores: pd.DataFrame,
    hierarchy: Hierarchy,
    design,
    *,
    domains: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Survey-weighted mean of every node's score, overall and by each domain, with SE and CI
    (csindex.estimation.survey_mean on ``design``, whose data must hold the score columns)."""
    from ..estimation import survey_mean

    nodes = hierarchy.nodes.set_index("node")
    order = ["CSI"] + [n for n in hierarchy.nodes["node"] if n != "CSI"]
    cols = [n for n in order if n in scores.columns]
    # one node at a time: the estimator holds (n x nodes x domain levels) arrays
    frames = [survey_mean(design, c, domain=d, level=level) for d in (None, *domains) for c in cols]
    out = pd.concat(frames, ignore_index=True).rename(columns={"variable": "node"})
    out.insert(1, "level", out["node"].map(nodes["level_number"]).astype(int))
    out.insert(2, "parent", out["node"].map(nodes["parent"]))
    out["domain_var"] = out["domain_var"].replace("", "all")
    keep = [
        "node",
        "level",
        "parent",
        "domain_var",
        "domain",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "df",
        "deff",
        "n",
    ]
    rank = {n: k for k, n in enumerate(order)}
    out = out[keep].assign(_r=out["node"].map(rank), _all=out["domain_var"] != "all")
    return (
        out.sort_values(["_r", "_all", "domain_var", "domain"], kind="stable")
        .drop(columns=["_r", "_all"])
        .reset_index(drop=True)
    )
