"""Model specification shared by CB-SEM and PLS-PM: blocks, paths, covariances, modes.

A :class:`ModelSpec` is the one description of the structural equation model that every
estimator reads:

* ``blocks``: construct -> ordered list of item (column) names (the measurement model,
  lavaan ``=~``). The first item of a block is the marker item for CB-SEM scaling (loading 1).
* ``paths``: list of ``(from, to)`` structural paths (lavaan ``to ~ from``), in a stable order.
* ``covariances``: extra covariances ``(a, b)`` (lavaan ``a ~~ b``) between constructs (exogenous
  or disturbances) or between item residuals.
* ``modes``: construct -> ``"A"`` (reflective) or ``"B"`` (formative) for PLS; default ``"A"``.
  CB-SEM treats every block as reflective.
* ``single_indicator_error_share``: a construct measured by a single item is handled the standard
  way: loading fixed to 1 and the item's error variance fixed to ``share * var(item)``
  (default 0: the construct *is* the item, which is lavaan's default for single indicators).

Constructs are ordered as they appear in ``blocks``; :attr:`ModelSpec.constructs`,
:attr:`ModelSpec.items`, :attr:`ModelSpec.exogenous` and :attr:`ModelSpec.endogenous` give the
orders every estimator uses for its matrices.

Build one with :func:`acsi_spec` (figure 4-1 of the seed, nine paths), :func:`ecsi_spec` (adds
Image -> CE, CS, CL), :meth:`ModelSpec.from_lavaan` (custom lavaan-style syntax) or
:func:`spec_from_config` (the ``model:`` section of the study configuration).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..instrument import ACSI_PATHS  # figure 4-1's nine paths, as (from, to)
from .lavaan_syntax import NAME, parse_lavaan

IMAGE = "IM"
"""Construct id of the ECSI's Image (used by :func:`ecsi_spec`)."""

ECSI_IMAGE_PATHS: tuple[tuple[str, str], ...] = ((IMAGE, "CE"), (IMAGE, "CS"), (IMAGE, "CL"))
"""The paths the ECSI adds to the ACSI model: Image -> expectation, satisfaction, loyalty."""

_NAME = NAME  # construct, item and label names


@dataclass
class ModelSpec:
    """A structural equation model: measurement blocks, structural paths, covariances.

    Attributes
    ----------
    blocks : dict construct -> list of item names (ordered; first item = CB-SEM marker).
    paths : list of (from, to) construct pairs (to is regressed on from).
    covariances : list of (a, b) pairs freed in addition to the defaults (constructs or items).
    modes : dict construct -> "A" or "B" (PLS outer mode); missing constructs are "A".
    single_indicator_error_share : error variance of a single-indicator construct's item is fixed
        to this share of the item's variance (0 <= share < 1); loading fixed to 1.
    name : a label ("acsi", "ecsi", "custom").
    """

    blocks: dict[str, list[str]]
    paths: list[tuple[str, str]]
    covariances: list[tuple[str, str]] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)
    single_indicator_error_share: float = 0.0
    name: str = "custom"
    cross_loadings: list[tuple[str, str]] = field(default_factory=list)
    fixed: dict[tuple[str, str, str], float] = field(default_factory=dict)
    labels: dict[tuple[str, str, str], str] = field(default_factory=dict)
    freed: list[tuple[str, str, str]] = field(default_factory=list)
    defined: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.blocks = {str(c): [str(i) for i in items] for c, items in self.blocks.items()}
        self.paths = [(str(a), str(b)) for a, b in self.paths]
        self.covariances = [(str(a), str(b)) for a, b in self.covariances]
        self.cross_loadings = [(str(a), str(b)) for a, b in self.cross_loadings]
        self.fixed = {tuple(map(str, k)): float(v) for k, v in (self.fixed or {}).items()}
        self.labels = {tuple(map(str, k)): str(v) for k, v in (self.labels or {}).items()}
        self.freed = [tuple(map(str, k)) for k in self.freed]
        self.defined = [(str(a), str(b)) for a, b in self.defined]
        self.modes = {str(c): str(m).upper() for c, m in (self.modes or {}).items()}
        self.single_indicator_error_share = float(self.single_indicator_error_share)
        self.validate()

    # ------------------------------------------------------------------ orders
    @property
    def constructs(self) -> list[str]:
        """Construct ids in block order."""
        return list(self.blocks)

    @property
    def items(self) -> list[str]:
        """All item names, block by block (the column order of every estimator)."""
        return [i for items in self.blocks.values() for i in items]

    @property
    def endogenous(self) -> list[str]:
        """Constructs that are the target of at least one path, in construct order."""
        targets = {b for _, b in self.paths}
        return [c for c in self.constructs if c in targets]

    @property
    def exogenous(self) -> list[str]:
        """Constructs that are the target of no path, in construct order."""
        targets = {b for _, b in self.paths}
        return [c for c in self.constructs if c not in targets]

    @property
    def single_indicator(self) -> list[str]:
        """Constructs measured by exactly one item."""
        return [c for c, items in self.blocks.items() if len(items) == 1]

    @property
    def cbsem_only(self) -> list[str]:
        """The lavaan features used that only CB-SEM estimates (empty for a plain PLS model)."""
        out = []
        for what, used in (
            ("cross-loadings", self.cross_loadings),
            ("fixed values", self.fixed),
            ("labels", self.labels),
            ("free markers (NA*)", self.freed),
            ("defined parameters (:=)", self.defined),
        ):
            if used:
                out.append(what)
        return out

    def mode(self, construct: str) -> str:
        """PLS outer mode of ``construct`` ("A" unless set)."""
        return self.modes.get(construct, "A")

    def predecessors(self, construct: str) -> list[str]:
        """Constructs with a path into ``construct``, in path order."""
        return [a for a, b in self.paths if b == construct]

    def construct_of(self, item: str) -> str:
        """The construct an item belongs to."""
        for c, items in self.blocks.items():
            if item in items:
                return c
        raise KeyError(item)

    # -------------------------------------------------------------- validation
    def validate(self, columns: Iterable[str] | None = None, where: str = "model") -> None:
        """Check names, duplicates, paths and (if ``columns`` is given) that every item exists.

        Raises :class:`~csindex.errors.ConfigError` naming the key and what is allowed.
        """
        seen = self._check_blocks(where)
        self._check_paths(where)
        self._check_extras(seen, where)
        self._check_options(where)
        if columns is not None:
            cols = set(columns)
            missing = [i for i in self.items if i not in cols]
            if missing:
                raise ConfigError(
                    f"item(s) {', '.join(missing)} of the model are not columns of the data",
                    key=f"{where}.blocks",
                )

    def _check_blocks(self, where: str) -> dict[str, str]:
        """Construct names, non-empty blocks, each item in one block; returns item -> construct."""
        if not self.blocks:
            raise ConfigError(
                "the model has no constructs (blocks is empty)", key=f"{where}.blocks"
            )
        seen: dict[str, str] = {}
        for c, items in self.blocks.items():
            if not _NAME.match(c):
                raise ConfigError(
                    f"construct name {c!r} is not allowed; use letters, digits, _ and ., "
                    "starting with a letter",
                    key=f"{where}.blocks",
                )
            if not items:
                raise ConfigError(f"construct {c!r} has no items", key=f"{where}.blocks.{c}")
            for i in items:
                if i in seen:
                    raise ConfigError(
                        f"item {i!r} is in both {seen[i]!r} and {c!r}; each item measures one "
                        "construct",
                        key=f"{where}.blocks.{c}",
                    )
                if i in self.blocks:
                    raise ConfigError(
                        f"item {i!r} has the same name as a construct", key=f"{where}.blocks.{c}"
                    )
                seen[i] = c
        return seen

    def _check_paths(self, where: str) -> None:
        """Paths join two constructs, no self-loops, no duplicates, no cycle (recursive model)."""
        known = set(self.blocks)
        for a, b in self.paths:
            for x in (a, b):
                if x not in known:
                    raise ConfigError(
                        f"path {a} -> {b} names {x!r}, which is not a construct; constructs: "
                        f"{', '.join(self.constructs)}",
                        key=f"{where}.paths",
                    )
            if a == b:
                raise ConfigError(f"path {a} -> {b} is a self-loop", key=f"{where}.paths")
        if len(set(self.paths)) != len(self.paths):
            raise ConfigError("a structural path is listed twice", key=f"{where}.paths")
        if _has_cycle(self.constructs, self.paths):
            raise ConfigError(
                "the structural paths contain a cycle; only recursive models are supported",
                key=f"{where}.paths",
            )

    def _check_extras(self, seen: Mapping[str, str], where: str) -> None:
        """Covariances, cross-loadings, fixed values, labels and NA* name model variables."""
        known = set(self.blocks)
        allowed = known | set(seen)
        for a, b in self.covariances:
            for x in (a, b):
                if x not in allowed:
                    raise ConfigError(
                        f"covariance {a} ~~ {b} names {x!r}, which is neither a construct nor "
                        "an item of the model",
                        key=f"{where}.covariances",
                    )
        for c, it in self.cross_loadings:
            if c not in known or it not in seen:
                raise ConfigError(
                    f"cross-loading {c} =~ {it} must name a construct and an item of the model",
                    key=f"{where}.syntax",
                )
            if (
                seen[it] == c
                or (c, it) in self.cross_loadings[: self.cross_loadings.index((c, it))]
            ):
                raise ConfigError(f"item {it!r} listed twice for {c!r}", key=f"{where}.syntax")
        for key in list(self.fixed) + list(self.labels) + list(self.freed):
            for x in (key[0], key[2]):
                if x not in allowed:
                    raise ConfigError(
                        f"'{key[0]} {key[1]} {key[2]}' names {x!r}, which is neither a construct "
                        "nor an item of the model",
                        key=f"{where}.syntax",
                    )

    def _check_options(self, where: str) -> None:
        """PLS modes (A or B, known constructs) and 0 <= single_indicator_error_share < 1."""
        for c, m in self.modes.items():
            if c not in self.blocks:
                raise ConfigError(f"mode given for unknown construct {c!r}", key=f"{where}.modes")
            if m not in ("A", "B"):
                raise ConfigError(
                    f"mode {m!r} of {c!r} not allowed; allowed: A, B", key=f"{where}.modes.{c}"
                )
        if not 0.0 <= self.single_indicator_error_share < 1.0:
            raise ConfigError(
                f"{self.single_indicator_error_share} not allowed; allowed: 0 <= share < 1",
                key=f"{where}.single_indicator_error_share",
            )

    # ------------------------------------------------------------------ lavaan
    def to_lavaan(self, item_variances: Mapping[str, float] | None = None) -> str:
        """lavaan/semopy model syntax.

        Blocks become ``C =~ x1 + x2``; a single-indicator construct ``C =~ 1*x`` with
        ``x ~~ v*x`` where ``v = share * item_variances[x]`` (``0*x`` when the share is 0; with a
        positive share ``item_variances`` is required). Paths become ``to ~ from1 + from2`` and
        covariances ``a ~~ b``.
        """
        lines: list[str] = ["# measurement model"]
        fixed: list[str] = []
        fixed_items = {its[0] for its in self.blocks.values() if len(its) == 1}
        for c, items in self.blocks.items():
            if len(items) == 1:
                x = items[0]
                lines.append(f"{c} =~ 1*{x}")
                if self.single_indicator_error_share == 0:
                    fixed.append(f"{x} ~~ 0*{x}")
                else:
                    if item_variances is None or x not in item_variances:
                        raise ConfigError(
                            f"single-indicator construct {c!r}: the error variance is a share of "
                            f"the variance of {x!r}, which was not given",
                            key="model.single_indicator_error_share",
                        )
                    v = self.single_indicator_error_share * float(item_variances[x])
                    fixed.append(f"{x} ~~ {v!r}*{x}")
            else:
                its = items + [x for cc, x in self.cross_loadings if cc == c]
                lines.append(f"{c} =~ " + " + ".join(self._term((c, "=~", x)) for x in its))
        if self.paths:
            lines.append("# structural model")
            for c in self.endogenous:
                lines.append(
                    f"{c} ~ " + " + ".join(self._term((c, "~", a)) for a in self.predecessors(c))
                )
        var_keys = [
            k
            for k in list(self.fixed) + list(self.labels)
            if k[1] == "~~" and k[0] == k[2] and not (k in self.fixed and k[0] in fixed_items)
        ]
        if fixed or self.covariances or var_keys:
            lines.append("# (co)variances")
            lines += fixed
            lines += [f"{k[0]} ~~ {self._term(k)}" for k in dict.fromkeys(var_keys)]
            lines += [f"{a} ~~ {self._term((a, '~~', b))}" for a, b in self.covariances]
        if self.defined:
            lines.append("# defined parameters")
            lines += [f"{nm} := {expr}" for nm, expr in self.defined]
        return "\n".join(lines) + "\n"

    def _term(self, key: tuple[str, str, str]) -> str:
        """``mod*rhs`` of one parameter (fixed value, label or NA) for :meth:`to_lavaan`."""
        if key in self.fixed:
            return f"{self.fixed[key]!r}*{key[2]}"
        if key in self.labels:
            return f"{self.labels[key]}*{key[2]}"
        if key in self.freed:
            return f"NA*{key[2]}"
        return key[2]

    @classmethod
    def from_lavaan(
        cls,
        syntax: str,
        *,
        modes: Mapping[str, str] | None = None,
        single_indicator_error_share: float = 0.0,
        name: str = "custom",
    ) -> ModelSpec:
        """Parse lavaan model syntax: ``=~`` (loadings), ``~`` (paths), ``~~`` (variances and
        covariances), ``:=`` (defined parameters).

        Lines may be separated by newlines or ``;``; ``#`` starts a comment. Modifiers as lavaan:
        ``0.5*x`` fixes a parameter, ``NA*x`` frees it (e.g. a block's first item, the marker),
        ``a*x`` labels it (parameters sharing a label are equal), ``name := a*b`` defines a
        function of labelled parameters (``+ - * / ^ **``, parentheses, numbers). An item listed
        under a second construct is a cross-loading. Covariances may join constructs
        (exogenous variables or disturbances), item residuals, or a construct and an item. A
        fixed residual variance ``x ~~ 0*x`` of a single indicator is the default policy and is
        dropped. Anything else (intercepts ``~ 1``, ``==``/``<``/``>`` constraints, ``start()``
        and other modifier functions) raises ConfigError naming the offending token.
        """
        p = parse_lavaan(syntax)
        return cls(
            blocks=p.blocks,
            paths=p.paths,
            covariances=p.covariances,
            modes=dict(modes or {}),
            single_indicator_error_share=single_indicator_error_share,
            name=name,
            cross_loadings=p.cross_loadings,
            fixed=p.fixed,
            labels=p.labels,
            freed=p.freed,
            defined=p.defined,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (for outputs and logs)."""
        return {
            "name": self.name,
            "blocks": {c: list(v) for c, v in self.blocks.items()},
            "paths": [list(p) for p in self.paths],
            "covariances": [list(p) for p in self.covariances],
            "modes": {c: self.mode(c) for c in self.constructs},
            "single_indicator_error_share": self.single_indicator_error_share,
            "cross_loadings": [list(p) for p in self.cross_loadings],
            "fixed": [[*k, v] for k, v in self.fixed.items()],
            "labels": [[*k, v] for k, v in self.labels.items()],
            "freed": [list(k) for k in self.freed],
            "defined": [list(d) for d in self.defined],
        }


def _has_cycle(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> bool:
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        out[a].append(b)
    state = dict.fromkeys(nodes, 0)

    def visit(n: str) -> bool:
        state[n] = 1
        for m in out[n]:
            if state[m] == 1 or (state[m] == 0 and visit(m)):
                return True
        state[n] = 2
        return False

    return any(state[n] == 0 and visit(n) for n in nodes)


def _paths_among(blocks: Mapping[str, Sequence[str]], paths: Iterable[tuple[str, str]]):
    return [(a, b) for a, b in paths if a in blocks and b in blocks]


def acsi_spec(
    blocks: Mapping[str, Sequence[str]],
    *,
    modes: Mapping[str, str] | None = None,
    single_indicator_error_share: float = 0.0,
) -> ModelSpec:
    """The ACSI model of figure 4-1: the nine paths CE->PQ, CE->PV, PQ->PV, CE->CS, PQ->CS,
    PV->CS, CS->CC, CS->CL, CC->CL among the constructs CE, PQ, PV, CS, CC, CL.

    ``blocks`` maps these construct ids to item names (e.g. ``Instrument.blocks()``). Constructs
    not in ``blocks`` are left out with their paths; CE, PQ, PV, CS and CL are required.
    """
    required = ["CE", "PQ", "PV", "CS", "CL"]
    _require(blocks, required, "ACSI")
    order = [c for c in ("CE", "PQ", "PV", "CS", "CC", "CL") if c in blocks]
    extra = [c for c in blocks if c not in order]
    if extra:
        raise ConfigError(
            f"construct(s) {', '.join(extra)} are not part of the ACSI model; allowed: CE, PQ, "
            "PV, CS, CC, CL (use model.type: custom with model.syntax for other models)",
            key="model.blocks",
        )
    return ModelSpec(
        blocks={c: list(blocks[c]) for c in order},
        paths=_paths_among(blocks, ACSI_PATHS),
        modes=dict(modes or {}),
        single_indicator_error_share=single_indicator_error_share,
        name="acsi",
    )


def ecsi_spec(
    blocks: Mapping[str, Sequence[str]],
    *,
    modes: Mapping[str, str] | None = None,
    single_indicator_error_share: float = 0.0,
) -> ModelSpec:
    """The ECSI model: the ACSI paths among the constructs present plus Image (``IM``) -> CE,
    CS, CL.

    ``blocks`` must have ``IM``, CE, PQ, PV, CS, CL; CC (complaints) is optional — without it
    (e.g. ecsi_satisfaction.csv) the paths CS->CC and CC->CL are dropped. Construct order:
    IM, CE, PQ, PV, CS, [CC], CL.
    """
    required = [IMAGE, "CE", "PQ", "PV", "CS", "CL"]
    _require(blocks, required, "ECSI")
    order = [c for c in (IMAGE, "CE", "PQ", "PV", "CS", "CC", "CL") if c in blocks]
    extra = [c for c in blocks if c not in order]
    if extra:
        raise ConfigError(
            f"construct(s) {', '.join(extra)} are not part of the ECSI model; allowed: IM, CE, "
            "PQ, PV, CS, CC, CL",
            key="model.blocks",
        )
    paths = list(ECSI_IMAGE_PATHS) + _paths_among(blocks, ACSI_PATHS)
    return ModelSpec(
        blocks={c: list(blocks[c]) for c in order},
        paths=paths,
        modes=dict(modes or {}),
        single_indicator_error_share=single_indicator_error_share,
        name="ecsi",
    )


def _require(blocks: Mapping[str, Sequence[str]], required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in blocks]
    if missing:
        raise ConfigError(
            f"the {what} model needs construct(s) {', '.join(missing)}; given: "
            f"{', '.join(blocks) or 'none'}",
            key="model.blocks",
        )


def spec_from_config(model_cfg: Mapping[str, Any] | None, instrument: Any = None) -> ModelSpec:
    """The model of the ``model:`` config section (see workflow/schemas/model.schema.yaml).

    Keys used: ``type`` (acsi | ecsi | custom; default acsi), ``syntax`` (lavaan syntax, for
    custom), ``blocks`` (construct -> items; default ``instrument.blocks()``), ``modes``,
    ``single_indicator_error_share``. ``instrument`` is a :class:`csindex.instrument.Instrument`
    (or None when ``blocks``/``syntax`` give everything).
    """
    cfg = dict(model_cfg or {})
    kind = cfg.get("type", "acsi")
    modes = dict(cfg.get("modes") or {})
    share = float(cfg.get("single_indicator_error_share", 0.0) or 0.0)
    if kind == "custom":
        syntax = cfg.get("syntax") or ""
        if not syntax.strip():
            raise ConfigError(
                "model.type is custom but model.syntax is empty; give lavaan-style syntax "
                "(=~, ~, ~~)",
                key="model.syntax",
            )
        spec = ModelSpec.from_lavaan(syntax, modes=modes, single_indicator_error_share=share)
    elif kind in ("acsi", "ecsi"):
        blocks = cfg.get("blocks") or None
        if not blocks:
            if instrument is None:
                raise ConfigError(
                    "no model.blocks given and no instrument to take them from", key="model.blocks"
                )
            blocks = instrument.blocks()
        maker = acsi_spec if kind == "acsi" else ecsi_spec
        spec = maker(blocks, modes=modes, single_indicator_error_share=share)
    else:
        raise ConfigError(f"{kind!r} not allowed; allowed: acsi, ecsi, custom", key="model.type")
    if instrument is not None and not cfg.get("blocks") and kind != "custom":
        known = set(instrument.item_ids)
        missing = [i for i in spec.items if i not in known]
        if missing:
            raise ConfigError(
                f"item(s) {', '.join(missing)} are not in the instrument", key="model.blocks"
            )
    return spec
