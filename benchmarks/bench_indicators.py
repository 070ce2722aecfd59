"""Benchmarks of the indicator-weights stage: wall time and peak memory.

    python benchmarks/bench_indicators.py [--large]

Each case runs in a fresh subprocess; peak memory is that process's ``ru_maxrss`` (and its
growth over the baseline after imports and data generation); ``tracemalloc`` peak of one call.
Cases: the whole step with the demo config (paired comparison, AHP, Delphi, entropy, CRITIC,
index by segment) on n respondents; node scores alone; entropy + CRITIC on 16 items; group AHP.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402
from _harness import measure  # noqa: E402

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

    import numpy as np
    import pandas as pd
    import yaml

    from csindex.estimation import DesignVariables, survey_design
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
            return survey_design(
                pd.concat([clean[["segment", "w"]], scores], axis=1), DesignVariables(weight="w")
            )

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

    return measure(name, n, call, repeat)


def main() -> None:
    cases = list(CASES.items())
    if "--large" in sys.argv:
        cases += list(LARGE.items())
    harness.main(__file__, run_case, cases, width=32)


if __name__ == "__main__":
    main()
