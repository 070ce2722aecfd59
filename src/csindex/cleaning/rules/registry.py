"""The registry of cleaning rules: each rule is a function ``rule(state, options) -> None``
registered with :func:`cleaning_rule` under a name and an order; :func:`clean_responses` runs
the enabled ones in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .options import CleaningOptions
from .state import CleaningState

RuleFunction = Callable[[CleaningState, CleaningOptions], None]


def always(options: CleaningOptions) -> bool:
    """The enabled-test of steps that always run."""
    return True


@dataclass(frozen=True)
class CleaningRule:
    """A registered rule: ``apply`` runs when ``enabled(options)``; otherwise ``when_off``
    (if any) records the rule's summary entry as switched off."""

    name: str
    order: int
    apply: RuleFunction
    enabled: Callable[[CleaningOptions], bool] = always
    when_off: RuleFunction | None = None


REGISTRY: dict[str, CleaningRule] = {}


def cleaning_rule(
    name: str,
    order: int,
    *,
    enabled: Callable[[CleaningOptions], bool] = always,
    when_off: RuleFunction | None = None,
) -> Callable[[RuleFunction], RuleFunction]:
    """Register the decorated function as the cleaning rule ``name`` run at ``order``."""

    def register(fn: RuleFunction) -> RuleFunction:
        if name in REGISTRY and REGISTRY[name].apply is not fn:
            raise ValueError(f"cleaning rule {name!r} is registered twice")
        REGISTRY[name] = CleaningRule(name, order, fn, enabled, when_off)
        return fn

    return register


def registered_rules() -> list[CleaningRule]:
    """The registered rules in run order."""
    return sorted(REGISTRY.values(), key=lambda r: r.order)
