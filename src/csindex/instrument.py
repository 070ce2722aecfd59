"""The questionnaire (instrument.yaml): constructs, items, scales, codes, labels.

The indicator system of seed 001 (table 4-1) has four levels: the CSI, the six latent
variables, the third-level indicators and the questionnaire items. ``load_instrument`` reads
the YAML file into small dataclasses that every stage uses.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONSTRUCTS = ("CE", "PQ", "PV", "CS", "CC", "CL")
"""The six latent variables of figure 4-1, in the order of the model."""

ACSI_PATHS = (
    ("CE", "PQ"),
    ("CE", "PV"),
    ("PQ", "PV"),
    ("CE", "CS"),
    ("PQ", "CS"),
    ("PV", "CS"),
    ("CS", "CC"),
    ("CS", "CL"),
    ("CC", "CL"),
)
"""Structural paths of figure 4-1 as (from, to); CS -> CC is negative."""


@dataclass(frozen=True)
class Scale:
    points: int = 5
    min: float = 1
    max: float = 5

    def to_0_100(self, x):
        """Map a score on this scale to 0-100: (x - min) / (max - min) * 100."""
        return (x - self.min) / (self.max - self.min) * 100.0


@dataclass(frozen=True)
class Item:
    id: str
    construct: str
    label: dict[str, str]
    scale: Scale
    reverse: bool = False
    kind: str = "likert"  # likert | quantity
    missing_codes: dict[str, list[float]] = field(default_factory=dict)
    anchors: dict[str, dict[int, str]] = field(default_factory=dict)
    quantity: dict[str, Any] | None = None
    level4_group: str | None = None

    @property
    def all_missing_codes(self) -> list[float]:
        return [c for codes in self.missing_codes.values() for c in codes]


@dataclass(frozen=True)
class Construct:
    id: str
    label: dict[str, str]


@dataclass
class Instrument:
    name: str
    constructs: list[Construct]
    items: list[Item]
    level4: list[Item] = field(default_factory=list)
    level4_groups: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def construct_ids(self) -> list[str]:
        return [c.id for c in self.constructs]

    def item(self, item_id: str) -> Item:
        for it in self.items + self.level4:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def items_of(self, construct: str) -> list[Item]:
        return [i for i in self.items if i.construct == construct]

    def blocks(self) -> dict[str, list[str]]:
        """Measurement blocks: construct id -> item ids, in instrument order."""
        return {c.id: [i.id for i in self.items_of(c.id)] for c in self.constructs}

    def label(self, key: str, language: str = "en") -> str:
        """Label of a construct or item in ``language`` (falls back to English, then the id)."""
        for c in self.constructs:
            if c.id == key:
                return c.label.get(language) or c.label.get("en") or key
        try:
            it = self.item(key)
        except KeyError:
            return key
        return it.label.get(language) or it.label.get("en") or key

    def to_frame(self):
        import pandas as pd

        rows = [
            {
                "item": i.id,
                "construct": i.construct,
                "label_zh": i.label.get("zh"),
                "label_en": i.label.get("en"),
                "points": i.scale.points,
                "min": i.scale.min,
                "max": i.scale.max,
                "reverse": i.reverse,
                "kind": i.kind,
            }
            for i in self.items
        ]
        return pd.DataFrame(rows)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = v
    return out


def _scale(spec: dict, where: str) -> Scale:
    try:
        points = int(spec.get("points", 5))
        lo = float(spec.get("min", 1))
        hi = float(spec.get("max", lo + points - 1))
    except (TypeError, ValueError) as e:
        raise ConfigError(
            f"scale must have integer points and numeric min/max ({e})", key=where
        ) from None
    if points not in (5, 7, 10, 11):
        raise ConfigError(f"scale points {points} not allowed; allowed: 5, 7, 10, 11", key=where)
    if hi <= lo:
        raise ConfigError(f"scale max {hi} must exceed min {lo}", key=where)
    return Scale(points=points, min=lo, max=hi)


def _missing_codes(spec: dict) -> dict[str, list[float]]:
    """``missing_codes`` of an item spec as {kind: [codes as float]}."""
    return {k2: [float(x) for x in v] for k2, v in (spec.get("missing_codes") or {}).items()}


def _constructs(doc: dict, src: str) -> list[Construct]:
    """The ``constructs`` list of the document; each needs an id."""
    constructs = []
    for k, c in enumerate(doc["constructs"]):
        if "id" not in c:
            raise ConfigError(f"{src}: construct #{k + 1} has no id", key="instrument.constructs")
        constructs.append(Construct(id=str(c["id"]), label=dict(c.get("label", {}))))
    return constructs


def _item(spec: dict, k: int, src: str, known: set[str], seen: set[str]) -> Item:
    """Item ``k`` of the questionnaire (``spec`` merged over the defaults); adds its id to
    ``seen``."""
    where = f"instrument.items[{k}]"
    iid = str(spec.get("id", ""))
    if not iid:
        raise ConfigError(f"{src}: item #{k + 1} has no id", key=where)
    if iid in seen:
        raise ConfigError(f"{src}: item id {iid!r} is duplicated", key=where)
    seen.add(iid)
    if spec.get("construct") not in known:
        raise ConfigError(
            f"{src}: item {iid!r} names construct {spec.get('construct')!r}; "
            f"allowed: {', '.join(sorted(known))}",
            key=where,
        )
    kind = spec.get("kind", "likert")
    if kind not in ("likert", "quantity"):
        raise ConfigError(
            f"{src}: item {iid!r} kind {kind!r}; allowed: likert, quantity", key=where
        )
    return Item(
        id=iid,
        construct=str(spec["construct"]),
        label=dict(spec.get("indicator") or spec.get("label") or {}),
        scale=_scale(spec.get("scale", {}), where + ".scale"),
        reverse=bool(spec.get("reverse", False)),
        kind=kind,
        missing_codes=_missing_codes(spec),
        anchors={
            lang: {int(a): str(t) for a, t in m.items()}
            for lang, m in (spec.get("anchors") or {}).items()
        },
        quantity=spec.get("quantity"),
    )


def _level4_items(group: dict, raws: list, defaults: dict) -> list[Item]:
    """The level-4 items of one ``level4`` group (each merged over the defaults)."""
    out = []
    for raw in raws:
        spec = _merge(defaults, raw)
        out.append(
            Item(
                id=str(spec["id"]),
                construct=str(group["construct"]),
                label=dict(spec.get("label", {})),
                scale=_scale(spec.get("scale", {}), f"instrument.level4.{spec['id']}"),
                reverse=bool(spec.get("reverse", False)),
                missing_codes=_missing_codes(spec),
                level4_group=str(group["id"]),
            )
        )
    return out


def instrument_from_dict(doc: dict, source: str | None = None) -> Instrument:
    """Build an :class:`Instrument` from the parsed YAML document (see config/instrument.yaml)."""
    src = source or "instrument"
    if not isinstance(doc, dict) or "items" not in doc or "constructs" not in doc:
        raise ConfigError(
            f"{src} must be a mapping with 'constructs' and 'items'", key="instrument"
        )
    defaults = doc.get("defaults", {}) or {}
    constructs = _constructs(doc, src)
    known = {c.id for c in constructs}
    seen: set[str] = set()
    items = [
        _item(_merge(defaults, raw), k, src, known, seen) for k, raw in enumerate(doc["items"])
    ]
    level4: list[Item] = []
    groups: list[dict[str, Any]] = []
    for g in doc.get("level4", []) or []:
        group = g["group"]
        groups.append(group)
        level4 += _level4_items(group, g.get("items", []), defaults)
    return Instrument(
        name=str(doc.get("name", "instrument")),
        constructs=constructs,
        items=items,
        level4=level4,
        level4_groups=groups,
        source=source,
    )


def load_instrument(path: str | Path) -> Instrument:
    """Read an instrument YAML file (see config/instrument.yaml for the format)."""
    from .config import load_yaml_strict

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"instrument file {path} does not exist", key="instrument")
    doc = load_yaml_strict(path, key="instrument")  # a key given twice is refused
    return instrument_from_dict(doc, source=str(path))
