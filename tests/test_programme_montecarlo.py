"""Monte Carlo: the roll-up recovers the true national and sector changes between two waves
with CI coverage near 95%.

Simulated at the level of company indices (running the whole pipeline for 40 companies x 2
waves x 500 replications is far too slow for a test): each company's estimate in each wave is
its true index plus an independent normal sampling error with a known SE, as the per-study
pipeline delivers (its own SE coverage is checked by the study-level Monte Carlo tests). The
world is the demo programme's: 40 companies, 8 industries, 3 sectors, its revenues and GDP
shares, and a true change per company."""

import numpy as np
import pandas as pd
import pytest

from csindex.programme.rollup import change, rollup
from csindex.simulate.world import WorldOptions, simulate_world

pytestmark = pytest.mark.slow


def test_rollup_recovers_true_changes_with_nominal_coverage():
    sheet, sectors, truth = simulate_world(WorldOptions(), seed=7)
    gdp = sectors.set_index("sector")["weight"]
    base = sheet[["study", "wave", "industry", "sector", "revenue"]].rename(columns={"study": "id"})
    base = base.assign(revenue=base.revenue.astype(float))
    # true CSI: 70 + 10 x the CS intercept (a latent unit is about 10 index points)
    true_index = 70 + 10 * truth["cs_intercept"].to_numpy()
    rng = np.random.default_rng(11)
    se = rng.uniform(0.6, 1.6, len(base))
    t = change(base.assign(index=true_index, se=0.0), gdp, "2026Q2", "2026Q3")
    true_change = t.set_index(["level", "id"])["change"]
    targets = [("national", "national")] + [("sector", s) for s in gdp.index]
    reps = 600
    cover = {k: 0 for k in targets}
    err = {k: [] for k in targets}
    for _ in range(reps):
        est = base.assign(index=true_index + rng.normal(0, se), se=se)
        c = change(est, gdp, "2026Q2", "2026Q3").set_index(["level", "id"])
        for k in targets:
            r = c.loc[k]
            cover[k] += r["ci_lower"] <= true_change[k] <= r["ci_upper"]
            err[k].append((r["change"] - true_change[k]) / r["se_change"])
    for k in targets:
        rate = cover[k] / reps
        z = np.asarray(err[k])
        # binomial SE of the coverage is 0.009 at 600 reps: 4 SEs either side
        assert 0.915 <= rate <= 0.985, (k, rate)
        assert abs(z.mean()) < 0.2 and 0.85 < z.std() < 1.15, (k, z.mean(), z.std())
    # the levels are means of the rows below (the point estimate is unbiased for the truth)
    nat = rollup(base.assign(index=true_index, se=se), gdp).national
    assert len(nat) == 2 and pd.notna(nat["se"]).all()
