"""Stages depend one way: the import graph of csindex (every module, imports inside functions
included) has no cycle, no module imports a later stage, and no private name crosses modules."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "csindex"

# Stage order, earliest first; a module may import its own layer or an earlier one. Modules are
# matched by the longest prefix (so new modules of a package land in the package's layer).
LAYERS: list[tuple[str, ...]] = [
    (
        "csindex",  # the package: lazy verbs only (no static imports)
        "csindex.errors",
        "csindex.config",
        "csindex.io",
        "csindex.seeds",
        "csindex.threads",
        "csindex.versioning",
        "csindex.instrument",
    ),
    ("csindex.sampling",),
    ("csindex.simulate",),
    ("csindex.cleaning",),
    ("csindex.weighting", "csindex.estimation"),
    ("csindex.indicators",),
    ("csindex.sem",),
    ("csindex.results",),
    ("csindex.index",),
    ("csindex.validation",),
    ("csindex.report",),
    ("csindex.programme", "csindex.workflow", "csindex.batch", "csindex.preflight", "csindex.api"),
]

# Known back edges (none): add one here only with an issue that removes it.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph() -> dict[tuple[str, str], int]:
    """(importer, imported) -> line of the first such import, over csindex modules only;
    ``from pkg import sub`` counts as an import of the submodule; a module's own parent
    packages (imported anyway by Python before it) are left out."""
    mods = _modules()
    edges: dict[tuple[str, str], int] = {}
    for m, path in mods.items():
        pkg = m if path.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    b = ".".join(base + ([node.module] if node.module else []))
                else:
                    b = node.module or ""
                subs = [f"{b}.{a.name}" for a in node.names if f"{b}.{a.name}" in mods]
                targets = subs if len(subs) == len(node.names) else [b, *subs]
            for t in targets:
                while t and t not in mods:  # import a.b.c of a non-module name: its module
                    t = t.rpartition(".")[0]
                if not t or t == m or m.startswith(t + "."):
                    continue
                edges.setdefault((m, t), node.lineno)
    return edges


def layer(module: str) -> int:
    best, level = -1, None
    for k, names in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > best:
                best, level = len(n), k
    if level is None:
        raise AssertionError(f"module {module} is in no layer: add it to LAYERS in {__file__}")
    return level


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_graph_sees_imports_inside_functions():
    edges = import_graph()
    # a function-level import (csindex.results imports the bootstrap inside a method)
    assert ("csindex.results", "csindex.sem.bootstrap") in edges
    assert ("csindex.sem.outputs", "csindex.sem.cbsem") in edges
    # the check can fail: a made-up back edge makes a cycle
    assert _cycles({**edges, ("csindex.sem.acsi", "csindex.index"): 1})


def test_no_import_cycle():
    edges = {e: n for e, n in import_graph().items() if e not in KNOWN_CYCLE_EDGES}
    assert _cycles(edges) == []


def test_no_module_imports_a_later_stage():
    bad = [
        f"{a} (line {n}) imports {b}: stage {layer(a)} imports later stage {layer(b)}"
        for (a, b), n in sorted(import_graph().items())
        if layer(b) > layer(a) and (a, b) not in KNOWN_CYCLE_EDGES
    ]
    assert bad == []


def test_no_private_name_crosses_modules():
    bad = []
    for m, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.level or "csindex" in (node.module or "")
            ):
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        bad.append(f"{m}:{node.lineno} imports {a.name}")
    assert bad == []
