"""Lines per module and per function in src/csindex (for review notes).

Usage: python benchmarks/code_sizes.py [SRC_DIR] [--top N]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def sizes(src: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    modules, functions = [], []
    for path in sorted(src.rglob("*.py")):
        text = path.read_text()
        rel = str(path.relative_to(src.parent))
        modules.append((len(text.splitlines()), rel))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                functions.append((n, f"{rel}:{node.lineno} {node.name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main(argv: list[str]) -> None:
    top = 10
    if "--top" in argv:
        top = int(argv[argv.index("--top") + 1])
        argv = [a for i, a in enumerate(argv) if a != "--top" and argv[i - 1] != "--top"]
    src = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src" / "csindex"
    modules, functions = sizes(src)
    print(f"modules: {len(modules)}, lines: {sum(n for n, _ in modules)}")
    for n, name in modules[:top]:
        print(f"  {n:5d}  {name}")
    print(f"functions: {len(functions)}, over 80 lines: {sum(n > 80 for n, _ in functions)}")
    for n, name in functions[:top]:
        print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
