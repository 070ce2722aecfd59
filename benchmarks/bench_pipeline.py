"""Wall time of one pass of the demo pipeline through the library (the replication of
tests/test_pipeline_recovery.py: sample, fieldwork, ingest, cleaning, weights with JKn
replicates, PLS model and index with replicate SEs).

Run: python benchmarks/bench_pipeline.py [--large]   (--large: 12 replications, as the
default-suite recovery test runs; otherwise 2)
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

from _harness import main, measure

ROOT = Path(__file__).resolve().parents[1]


def _recovery_module():
    spec = importlib.util.spec_from_file_location(
        "test_pipeline_recovery", ROOT / "tests" / "test_pipeline_recovery.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_case(name: str, n: int) -> dict:
    mod = _recovery_module()
    import yaml

    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as f:
        cfg = mod.check_config(yaml.safe_load(f))
    inst = mod.load_instrument(ROOT / "config" / "instrument.yaml")
    frame = mod.simulate_frame(cfg["frame"], seed=int(cfg["seed"])).frame
    study = (cfg, inst, frame)  # as the test's module fixture builds it

    def call():
        with tempfile.TemporaryDirectory() as tmp:
            mc = mod.monte_carlo(study, range(1, n + 1), Path(tmp))
        return f"{len(mc)} statistics"

    return measure(name, n, call, repeat=1)


if __name__ == "__main__":
    reps = 12 if "--large" in sys.argv else 2
    main(__file__, run_case, [("demo pipeline replications", reps)])
