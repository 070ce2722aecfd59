"""Run every benchmark in this folder, each in its own process (so peak memory is its own).

python benchmarks/run_all.py           # realistic sizes
python benchmarks/run_all.py --large   # also the large sizes (10M frame, 1M responses)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    failed = []
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {bench.name} {' '.join(argv)}", flush=True)
        rc = subprocess.call([sys.executable, str(bench), *argv], env=env)
        if rc:
            failed.append(bench.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
