"""Benchmarks of the indicator-weights stage: wall time and peak memory.

    python benchmarks/bench_indicators.py [--large]

Each case runs in a fresh subprocess; peak memory is that process's ``ru_maxrss`` (and its
growth over the baseline after imports and data generation); ``tracemalloc`` peak of one call.
Cases: the whole step with the demo config (paired comparison, AHP, Delphi, entropy, CRITIC,
index by segment) on n respondents; node scores alone; entropy + CRITIC on 16 items; group AHP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "indicator_step_demo_config": 2_500,
    "node_scores_16_items": 100_000,
    "entropy_critic_16_items": 100_000,
    "group_ahp_9x9_50_experts": 50,
}
LARGE = {
    "indicator_step_demo_config": 200_000,
    "node_scores_16_items": 1_000_000,
    "entropy_critic_16_items": 1_000_000,
}


def run_case(name: str, n: int) -> dict:
    import resource
    import tracemalloc

    import numpy as np
    import pandas as pd
    import yaml

    from csindex.estimation import survey_design
    from csindex.indicators import (
        ahp,
        build_hierarchy,
        combine_weights,
        critic_weights,
        entropy_weights,
        equal_weights,
        node_scores,
    )
    from csindex.indicators.pipeline import run_indicators
    from csindex.instrument import load_instrument

    rng = np.random.default_rng(1)
    inst = load_instrument(ROOT / "config/instrument.yaml")
    repeat = 3
    if name.startswith(("indicator_step", "node_scores", "entropy")):
        x = np.clip(np.round(3.5 + rng.normal(size=(n, 1)) + 0.8 * rng.normal(size=(n, 16))), 1, 5)
        x[rng.random(x.shape) < 0.03] = np.nan
        clean = pd.DataFrame(x, columns=inst.item_ids)
        clean.insert(0, "respondent_id", [f"R{k:07d}" for k in range(n)])
        clean.insert(1, "segment", rng.choice(["personal", "family", "business"], n))
        sw = rng.uniform(0.5, 3.0, n)
    if name.startswith("indicator_step"):
        cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))[
            "indicators"
        ]
        clean["w"] = sw

        def factory(scores):
            return survey_design(pd.concat([clean[["segment", "w"]], scores], axis=1), weight="w")

        def call():
            r = run_indicators(cfg, inst, clean, factory, base=ROOT, survey_weights=sw)
            return round(float(r.index["estimate"].iloc[0]), 3)

    elif name.startswith("node_scores"):
        h = build_hierarchy(inst)
        local = {
            p: equal_weights(k, parent=p)
            for p, k in {**h.parents_at("constructs"), **h.parents_at("indicators")}.items()
        }
        comb = combine_weights(h, local)

        def call():
            return round(float(np.nanmean(node_scores(clean, inst, h, comb)["CSI"])), 3)

    elif name.startswith("entropy"):

        def call():
            e = entropy_weights(clean, inst.item_ids, weights=sw)
            c = critic_weights(clean, inst.item_ids, weights=sw)
            return round(float(e.weights.max() + c.weights.max()), 4)

    else:
        ids = [f"c{k}" for k in range(9)]
        true = rng.uniform(1, 5, 9)
        mats = []
        for _ in range(n):
            a = np.outer(true, 1 / true) * np.exp(rng.normal(0, 0.2, (9, 9)))
            a = np.clip(np.triu(a, 1), 1 / 9, 9) * np.triu(np.ones((9, 9)), 1)
            a = a + np.tril(1 / a.T, -1) * (np.tril(np.ones((9, 9)), -1)) + np.eye(9)
            a[np.tril_indices(9, -1)] = 1 / a.T[np.tril_indices(9, -1)]
            mats.append(pd.DataFrame(a, index=ids, columns=ids))
        repeat = 5

        def call():
            return round(ahp(mats).diagnostics["CR"], 4)

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        info = call()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": name,
        "n": n,
        "best_s": min(times),
        "median_s": sorted(times)[len(times) // 2],
        "peak_rss_mb": rss / 1024,
        "rss_over_baseline_mb": (rss - base) / 1024,
        "tracemalloc_peak_mb": peak / 2**20,
        "info": info,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], int(sys.argv[3]))))
        return
    cases = list(CASES.items())
    if "--large" in sys.argv:
        cases += list(LARGE.items())
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(
        f"{'case':32s} {'n':>10s} {'best s':>9s} {'median s':>9s} {'RSS MB':>8s} "
        f"{'+RSS MB':>8s} {'tracemalloc MB':>14s}  info"
    )
    for name, n in cases:
        res = subprocess.run(
            [sys.executable, __file__, "--case", name, str(n)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:32s} {r['n']:>10d} {r['best_s']:>9.4f} {r['median_s']:>9.4f} "
            f"{r['peak_rss_mb']:>8.1f} {r['rss_over_baseline_mb']:>8.1f} "
            f"{r['tracemalloc_peak_mb']:>14.1f}  {r['info']}"
        )


if __name__ == "__main__":
    main()
