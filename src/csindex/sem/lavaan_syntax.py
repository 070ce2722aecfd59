"""The lavaan model-syntax parser behind :meth:`csindex.sem.spec.ModelSpec.from_lavaan`.

:func:`parse_lavaan` reads ``=~`` (loadings), ``~`` (paths), ``~~`` (variances and
covariances) and ``:=`` (defined parameters) statements with lavaan's modifiers (``0.5*x``
fixed, ``NA*x`` free, ``a*x`` labelled) into a :class:`LavaanParts`, the pieces a
:class:`~csindex.sem.spec.ModelSpec` is built from. Every unsupported construct raises
:class:`~csindex.errors.ConfigError` (key ``model.syntax``) naming the offending token.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
"""A construct, item or label name: letters, digits, ``_`` and ``.``, not starting with a digit."""

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

_STATEMENT = r"^(.+?)\s*(:=|=~|~~|~|==|(?<![=<-])<(?!=)|(?<![=-])>)\s*(.+)$"

_ARITHMETIC = (
    ast.Expression
    | ast.BinOp
    | ast.UnaryOp
    | ast.Name
    | ast.Constant
    | ast.Load
    | ast.Add
    | ast.Sub
    | ast.Mult
    | ast.Div
    | ast.Pow
    | ast.USub
    | ast.UAdd
)


@dataclass
class LavaanParts:
    """What a model syntax declares, in statement order (the fields of a ModelSpec)."""

    blocks: dict[str, list[str]] = field(default_factory=dict)
    paths: list[tuple[str, str]] = field(default_factory=list)
    covariances: list[tuple[str, str]] = field(default_factory=list)
    cross_loadings: list[tuple[str, str]] = field(default_factory=list)
    fixed: dict[tuple[str, str, str], float] = field(default_factory=dict)
    labels: dict[tuple[str, str, str], str] = field(default_factory=dict)
    freed: list[tuple[str, str, str]] = field(default_factory=list)
    defined: list[tuple[str, str]] = field(default_factory=list)
    owner: dict[str, str] = field(default_factory=dict)  # item -> its (first) construct
    loaded: list[tuple[str, str]] = field(default_factory=list)  # every (construct, item) seen


def parse_lavaan(syntax: str) -> LavaanParts:
    """Parse lavaan model syntax (see :meth:`ModelSpec.from_lavaan`) into its parts."""
    parts = LavaanParts()
    for k, st in enumerate(split_statements(syntax), 1):
        _parse_statement(parts, k, st)
    if not parts.blocks:
        raise ConfigError(
            "the model syntax defines no construct (no '=~' statement)", key="model.syntax"
        )
    _drop_default_values(parts)
    _check_defined(parts.defined, set(parts.labels.values()))
    return parts


def split_statements(syntax: str) -> list[str]:
    """The statements of ``syntax``: lines split at ``;``, ``#`` comments and blanks removed."""
    statements = []
    for raw in syntax.splitlines():
        raw = raw.split("#", 1)[0]
        statements += [s.strip() for s in raw.split(";") if s.strip()]
    return statements


def _parse_statement(parts: LavaanParts, k: int, st: str) -> None:
    """Add statement ``k`` (``lhs op rhs``) to ``parts``."""
    m = re.match(_STATEMENT, st)
    if not m:
        raise ConfigError(
            f"statement {k} {st!r} is not lavaan syntax; allowed operators: =~, ~, ~~, :=",
            key="model.syntax",
        )
    lhs_s, op, rhs_s = m.groups()
    if op in ("==", "<", ">"):
        raise ConfigError(
            f"statement {k} {st!r}: the constraint operator {op!r} is not supported; "
            "use shared labels for equality (a*x1 + a*x2)",
            key="model.syntax",
        )
    if op == ":=":
        nm = lhs_s.strip()
        if not NAME.match(nm):
            raise ConfigError(
                f"statement {k} {st!r}: {nm!r} is not a name for a defined parameter",
                key="model.syntax",
            )
        parts.defined.append((nm, rhs_s.strip()))
        return
    lhs = [x.strip() for x in lhs_s.split("+")]
    rhs_terms = [x.strip() for x in rhs_s.split("+")]
    if op in ("=~", "~") and len(lhs) != 1:
        raise ConfigError(
            f"statement {k} {st!r}: one name on the left of {op} allowed",
            key="model.syntax",
        )
    for a in lhs:
        if not NAME.match(a):
            raise ConfigError(
                f"statement {k} {st!r}: {a!r} is not a variable name", key="model.syntax"
            )
    for term in rhs_terms:
        mod, var = _split_modifier(term, st, k)
        if op == "=~":
            _add_loading(parts, lhs[0], var, mod, st, k)
        elif op == "~":
            parts.paths.append((var, lhs[0]))
            _apply_modifier(parts, (lhs[0], "~", var), mod, st, k)
        else:
            _add_covariances(parts, lhs, var, mod, st, k)


def _add_loading(parts: LavaanParts, c: str, var: str, mod: str | None, st: str, k: int) -> None:
    """``c =~ mod*var``: a block item, or a cross-loading when ``var`` has a construct already."""
    if (c, var) in parts.loaded:
        raise ConfigError(
            f"statement {k} {st!r}: item {var!r} listed twice",
            key="model.syntax",
        )
    parts.loaded.append((c, var))
    if var in parts.owner:
        parts.cross_loadings.append((c, var))  # a second construct: cross-loading
    else:
        parts.owner[var] = c
        parts.blocks.setdefault(c, []).append(var)
    _apply_modifier(parts, (c, "=~", var), mod, st, k)


def _add_covariances(
    parts: LavaanParts, lhs: Sequence[str], var: str, mod: str | None, st: str, k: int
) -> None:
    """``a ~~ mod*var`` for every name ``a`` on the left."""
    for a in lhs:
        if a == var and mod is not None and _is_zero(mod):
            # x ~~ 0*x: the single-indicator default (kept as a fixed value
            # for an item of a larger block or a construct)
            parts.fixed[(a, "~~", var)] = 0.0
            continue
        if a != var:
            parts.covariances.append((a, var))
        _apply_modifier(parts, (a, "~~", var), mod, st, k)


def _apply_modifier(
    parts: LavaanParts, key: tuple[str, str, str], mod: str | None, st: str, k: int
) -> None:
    """Record the modifier ``mod*`` of parameter ``key``: a fixed value, a label or NA (free)."""
    if mod is None:
        return
    kind, val = _modifier(mod, st, k)
    if kind == "fixed":
        parts.fixed[key] = val
    elif kind == "label":
        parts.labels[key] = val
    else:
        parts.freed.append(key)


def _drop_default_values(parts: LavaanParts) -> None:
    """Drop the fixed values that are the defaults anyway: ``x ~~ 0*x`` of a single indicator
    and a marker loading written ``1*x``."""
    single = {its[0] for its in parts.blocks.values() if len(its) == 1}
    parts.fixed = {
        key: v
        for key, v in parts.fixed.items()
        if not (key[0] == key[2] and key[0] in single and key[1] == "~~" and v == 0.0)
    }
    for c, its in parts.blocks.items():  # a marker written 1*x is the default
        if parts.fixed.get((c, "=~", its[0])) == 1.0:
            del parts.fixed[(c, "=~", its[0])]


def _modifier(mod: str, st: str, k: int) -> tuple[str, Any]:
    """("fixed", value), ("free", None) or ("label", name) of a lavaan modifier ``mod*``."""
    if _NUMBER.match(mod):
        return "fixed", float(mod)
    if mod.upper() == "NA":
        return "free", None
    if NAME.match(mod):
        return "label", mod
    raise ConfigError(
        f"statement {k} {st!r}: modifier {mod + '*'!r} not supported; allowed: a number (fixed "
        "value), NA (free) or a label (letters, digits, _ and .)",
        key="model.syntax",
    )


def _check_defined(defined: Sequence[tuple[str, str]], labels: set[str]) -> None:
    """Every name in a ``:=`` expression is a label or an earlier defined parameter."""
    known = set(labels)
    for nm, expr in defined:
        try:
            tree = ast.parse(expr.replace("^", "**"), mode="eval")
        except SyntaxError:
            raise ConfigError(
                f"defined parameter '{nm} := {expr}': {expr!r} is not an arithmetic expression",
                key="model.syntax",
            ) from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in known:
                raise ConfigError(
                    f"defined parameter '{nm} := {expr}' uses {node.id!r}, which is not a "
                    f"parameter label (labels: {', '.join(sorted(labels)) or 'none'})",
                    key="model.syntax",
                )
            if not isinstance(node, _ARITHMETIC):
                raise ConfigError(
                    f"defined parameter '{nm} := {expr}': only + - * / ^ and parentheses are "
                    "allowed",
                    key="model.syntax",
                )
        if nm in known:
            raise ConfigError(
                f"defined parameter {nm!r} has the name of a label or of another defined parameter",
                key="model.syntax",
            )
        known.add(nm)


def _is_zero(mod: str) -> bool:
    """Whether the modifier is the number 0."""
    try:
        return float(mod) == 0.0
    except ValueError:
        return False


def _split_modifier(term: str, st: str, k: int) -> tuple[str | None, str]:
    """(modifier or None, variable name) of one right-hand term ``mod*var``."""
    if "*" in term:
        mod, var = (x.strip() for x in term.split("*", 1))
    else:
        mod, var = None, term.strip()
    if var == "1":
        raise ConfigError(
            f"statement {k} {st!r}: intercepts and means ('~ 1') are not supported in a "
            "single-group model",
            key="model.syntax",
        )
    if not NAME.match(var):
        raise ConfigError(
            f"statement {k} {st!r}: {var!r} is not a variable name", key="model.syntax"
        )
    return mod, var
