"""Typed options of the cleaning rules, built from the ``cleaning`` config section.

Values are kept as the config gives them (no coercion), so what the summary reports is what the
user wrote; defaults are :data:`CLEANING_DEFAULTS`.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

CLEANING_DEFAULTS: dict[str, Any] = {
    "max_offscale_share": 0.2,
    "missing_codes": {"enabled": True},
    "off_scale": {"enabled": True},
    "duplicates": {"enabled": True, "keys": ["respondent_id", "unit_id"], "keep": "first"},
    "speeders": {"enabled": True, "fraction": 0.25},
    "straightlining": {"enabled": True, "min_items": None, "min_constructs": 3},
    "attention": {
        "enabled": True,
        "column": "attention_check",
        "expected": 4,
        "missing_fails": False,
    },
    "min_answered": {"enabled": True, "share": 0.8, "count": "nonblank"},
    "reverse": {"enabled": True},
    "quantity_cut": {"enabled": True, "method": "instrument", "points": None, "closed": "left"},
    "imputation": {"method": "none"},
    "pilot": {"wave": "pilot", "drop_from_main": False},
}


def merge_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The cleaning config with defaults filled in (one level of nesting)."""
    out = copy.deepcopy(CLEANING_DEFAULTS)
    for k, v in (config or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


@dataclass(frozen=True)
class Toggle:
    """A rule with no option but on/off (``missing_codes``, ``off_scale``, ``reverse``)."""

    enabled: bool = True


@dataclass(frozen=True)
class DuplicatesOptions:
    """Rows sharing a key (tried in order) are duplicates; ``keep``: first, last, most_complete."""

    enabled: bool = True
    keys: tuple[str, ...] = ("respondent_id", "unit_id")
    keep: str = "first"


@dataclass(frozen=True)
class SpeedersOptions:
    """Speeder: duration < ``fraction`` × median duration."""

    enabled: bool = True
    fraction: float = 0.25


@dataclass(frozen=True)
class StraightliningOptions:
    """The same answer on ≥ ``min_items`` Likert items (all when None) of ≥ ``min_constructs``."""

    enabled: bool = True
    min_items: int | None = None
    min_constructs: int = 3


@dataclass(frozen=True)
class AttentionOptions:
    """Instructed-answer check: ``column`` must hold ``expected``."""

    enabled: bool = True
    column: str = "attention_check"
    expected: float = 4
    missing_fails: bool = False


@dataclass(frozen=True)
class MinAnsweredOptions:
    """Answered items < ``share`` × items drops the row; ``count``: nonblank or valid."""

    enabled: bool = True
    share: float = 0.8
    count: str = "nonblank"


@dataclass(frozen=True)
class QuantityCutOptions:
    """A quantity cut into five levels (:func:`cut_points`, :func:`cut_five`)."""

    enabled: bool = True
    method: str = "instrument"
    points: tuple[float, ...] | None = None
    closed: str = "left"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImputationOptions:
    """``method``: none, item_mean or construct_mean."""

    method: str = "none"


@dataclass(frozen=True)
class PilotOptions:
    """Rows of the pilot ``wave``, dropped from the main data when ``drop_from_main``."""

    wave: str = "pilot"
    drop_from_main: bool = False


def _section(cls: type, values: dict[str, Any]) -> Any:
    """``cls`` from the known keys of a config section (unknown keys are the schema's job)."""
    names = cls.__dataclass_fields__
    return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class CleaningOptions:
    """Every rule's options; :meth:`from_config` fills defaults from :data:`CLEANING_DEFAULTS`."""

    missing_codes: Toggle
    off_scale: Toggle
    duplicates: DuplicatesOptions
    speeders: SpeedersOptions
    straightlining: StraightliningOptions
    attention: AttentionOptions
    min_answered: MinAnsweredOptions
    reverse: Toggle
    quantity_cut: QuantityCutOptions
    imputation: ImputationOptions
    pilot: PilotOptions
    max_offscale_share: float = 0.2

    @classmethod
    def from_config(cls, config: dict[str, Any] | None = None) -> CleaningOptions:
        """Options from the ``cleaning`` config section (defaults filled by merge_config)."""
        cfg = merge_config(config)
        kinds = {
            "missing_codes": Toggle,
            "off_scale": Toggle,
            "duplicates": DuplicatesOptions,
            "speeders": SpeedersOptions,
            "straightlining": StraightliningOptions,
            "attention": AttentionOptions,
            "min_answered": MinAnsweredOptions,
            "reverse": Toggle,
            "quantity_cut": QuantityCutOptions,
            "imputation": ImputationOptions,
            "pilot": PilotOptions,
        }
        parts = {k: _section(kind, cfg[k]) for k, kind in kinds.items()}
        return cls(**parts, max_offscale_share=cfg["max_offscale_share"])
