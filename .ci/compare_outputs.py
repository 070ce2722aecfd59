"""Compare two result trees byte for byte (CI: the programme run locally and through SLURM).

Legitimately different, so left out of the byte comparison:
- logs/ and *.log: time stamps, process ids, host names;
- benchmarks/: run times and memory;
- manifest.json and its sealed copy .finished/<version>.json: start/finish times and the
  environment; their ``outputs`` (sha256 of every output), ``config_hash`` and ``inputs`` are
  compared instead.
Every other file must exist in both trees with identical bytes.
usage: python .ci/compare_outputs.py A B
"""

import hashlib
import json
import sys
from pathlib import Path


def skipped(rel: Path) -> bool:
    parts = rel.parts
    return "logs" in parts or "benchmarks" in parts or rel.suffix == ".log"


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main(a: Path, b: Path) -> int:
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    problems = [f"only in {a}: {r}" for r in sorted(fa - fb) if not skipped(r)]
    problems += [f"only in {b}: {r}" for r in sorted(fb - fa) if not skipped(r)]
    n = 0
    for rel in sorted(fa & fb):
        if skipped(rel):
            continue
        if rel.name == "manifest.json" or rel.parent.name == ".finished":
            ma, mb = (json.loads((x / rel).read_text()) for x in (a, b))
            for key in ("outputs", "config_hash", "inputs"):
                if ma.get(key) != mb.get(key):
                    problems.append(f"{rel}: {key} differ")
            n += 1
            continue
        if digest(a / rel) != digest(b / rel):
            problems.append(f"differs: {rel}")
        n += 1
    for p in problems:
        print(p)
    print(f"{n} files compared, {len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
