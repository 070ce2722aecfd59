"""The free parameters of a multi-group CB-SEM (:func:`build_mg_structure`): the covariance
structure of one group (:func:`csindex.sem.cbsem.build_structure`) repeated in every group, with
lavaan's ``group.equal`` / ``group.partial`` equality constraints and a label shared across the
syntax making parameters equal in every group; intercepts nu and (with equal intercepts, free
means) latent means alpha per group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .cbsem import Structure, build_structure
from .spec import ModelSpec

GROUP_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "regressions",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
)


@dataclass
class MGStructure:
    """Free parameters of a multi-group model: the covariance structure ``st`` of one group
    and, per group, the global index of each of its parameters (-1 = fixed at 0)."""

    st: Structure
    groups: list[str]
    cov_map: np.ndarray  # (G, st.q)
    nu_map: np.ndarray  # (G, p)
    al_map: np.ndarray  # (G, m)
    q: int
    group_equal: tuple[str, ...]
    group_partial: tuple[str, ...]

    @property
    def G(self) -> int:
        return len(self.groups)


def _norm_key(s: str) -> str:
    return "".join(str(s).split())


def _category(lhs: str, op: str, rhs: str, st: Structure) -> str:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    items = set(st.items)
    if lhs in items and rhs in items:
        return "residuals" if lhs == rhs else "residual.covariances"
    if lhs not in items and rhs not in items:
        return "lv.variances" if lhs == rhs else "lv.covariances"
    return "construct-item covariances"


def build_mg_structure(
    spec: ModelSpec,
    groups: Sequence[str],
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    item_variances: dict[str, float] | None = None,
) -> MGStructure:
    """The parameters of ``spec`` fitted in every group with the equality constraints of
    ``group_equal`` except the parameters in ``group_partial``."""
    bad = [x for x in group_equal if x not in GROUP_EQUAL]
    if bad:
        raise ConfigError(
            f"group.equal {bad[0]!r} not allowed; allowed: {', '.join(GROUP_EQUAL)}",
            key="model.group_equal",
        )
    st = build_structure(spec, item_variances)
    partial = {_norm_key(x) for x in group_partial}
    known = {
        f"{a}{o}{b}"
        for a, o, b in zip(st.table["lhs"], st.table["op"], st.table["rhs"], strict=True)
    }
    known |= {f"{x}~1" for x in st.items + st.constructs}
    unknown = [x for x in group_partial if _norm_key(x) not in known]
    if unknown:
        raise ConfigError(
            f"group.partial {unknown[0]!r} is not a parameter of the model (write it as "
            "'visual =~ x2' or 'x3 ~ 1')",
            key="model.group_partial",
        )
    eq = set(group_equal)
    G = len(groups)
    first = st.table[st.table["free"] >= 0].drop_duplicates("free").sort_values("free")
    cov_map = np.empty((G, st.q), dtype=int)
    nxt = 0
    for j, (lhs, op, rhs, lab) in enumerate(
        zip(first["lhs"], first["op"], first["rhs"], first["label"], strict=True)
    ):
        shared = bool(lab) or (
            _category(lhs, op, rhs, st) in eq and f"{lhs}{op}{rhs}" not in partial
        )
        for g in range(G):
            if g == 0 or not shared:
                cov_map[g, j] = nxt
                nxt += 1
            else:
                cov_map[g, j] = cov_map[0, j]
    nu_map = np.empty((G, st.p), dtype=int)
    for i, it in enumerate(st.items):
        shared = "intercepts" in eq and f"{it}~1" not in partial
        for g in range(G):
            if g == 0 or not shared:
                nu_map[g, i] = nxt
                nxt += 1
            else:
                nu_map[g, i] = nu_map[0, i]
    al_map = np.full((G, st.m), -1, dtype=int)
    if "intercepts" in eq and "means" not in eq:
        for g in range(1, G):
            for k in range(st.m):
                al_map[g, k] = nxt
                nxt += 1
    return MGStructure(
        st=st,
        groups=list(groups),
        cov_map=cov_map,
        nu_map=nu_map,
        al_map=al_map,
        q=nxt,
        group_equal=tuple(group_equal),
        group_partial=tuple(group_partial),
    )
