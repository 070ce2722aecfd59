"""Monte Carlo checks (slow): Kendall's W test size under the null, and the coverage of the
weighted index's confidence interval over repeated samples from a finite population."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import DesignVariables, survey_design
from csindex.indicators import (
    build_hierarchy,
    combine_weights,
    equal_weights,
    kendalls_w,
    node_scores,
    weighted_index,
)
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_kendalls_w_chi2_test_has_nominal_size_under_independent_experts():
    rng = np.random.default_rng(11)
    p = np.array([kendalls_w(pd.DataFrame(rng.random((10, 6))))["p_value"] for _ in range(3000)])
    rate = (p < 0.05).mean()
    # the chi-square approximation is mildly conservative for m = 10 raters
    assert 0.025 <= rate <= 0.065, rate


@pytest.mark.slow
def test_index_confidence_interval_covers_population_csi():
    inst = load_instrument(ROOT / "config/instrument.yaml")
    h = build_hierarchy(inst)
    local = {}
    for p, kids in {**h.parents_at("constructs"), **h.parents_at("indicators")}.items():
        local[p] = equal_weights(kids, parent=p)
    comb = combine_weights(h, local)
    rng = np.random.default_rng(5)
    N, n, reps = 20_000, 400, 400
    latent = rng.normal(size=(N, 1))
    x = np.clip(np.round(3.2 + latent + 0.9 * rng.normal(size=(N, 16))), 1, 5)
    pop = pd.DataFrame(x, columns=inst.item_ids)
    pop_scores = node_scores(pop, inst, h, comb)
    truth = pop_scores["CSI"].mean()
    hits = 0
    for _ in range(reps):
        idx = rng.choice(N, n, replace=False)
        s = pop_scores.iloc[idx].reset_index(drop=True)
        d = survey_design(s.assign(w=N / n), DesignVariables(weight="w"))
        est = weighted_index(s[["CSI"]], h, d).iloc[0]
        hits += est["ci_lower"] <= truth <= est["ci_upper"]
    assert 0.92 <= hits / reps <= 0.98, hits / reps
