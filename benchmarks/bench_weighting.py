"""Benchmarks of the weighting and estimation stage: wall time and peak memory.

    python benchmarks/bench_weighting.py [--large]

Each case runs in a fresh subprocess; peak memory is that process's ``ru_maxrss`` minus the
baseline after imports and data generation (``tracemalloc`` peak of the timed call is also shown).
Reference figures (issue 5, same machine): raking 1,000,000 rows to three margins
(50 x 2 x 4 cells, rel. margin error 1e-8) plain numpy IPF 0.21 s; Taylor mean + SE on a
100,000-row stratified cluster sample plain numpy 0.027 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as harness  # noqa: E402
from _harness import measure  # noqa: E402

CASES = {
    "rake_1e6_3margins": 1_000_000,
    "baseline_rowwise_numpy_ipf_1e6": 1_000_000,
    "taylor_mean_se_1e5_stratified_cluster": 100_000,
    "baseline_plain_numpy_taylor_1e5": 100_000,
    "jkn_mean_se_1e5_200psu_replicates": 100_000,
    "weighting_chain_demo_size": 2_500,
}
LARGE = {
    "rake_1e7_3margins": 10_000_000,
    "taylor_mean_se_1e6_stratified_cluster": 1_000_000,
    "weighting_chain_2e4": 20_000,
}


def run_case(name: str, n: int) -> dict:
    import numpy as np
    import pandas as pd

    from csindex.estimation import DesignVariables, ReplicateWeights, survey_design, survey_mean
    from csindex.weighting import build_weights, rake

    rng = np.random.default_rng(1)
    repeat = 5
    if name.startswith(("rake", "baseline_rowwise")):
        # associated margins (as region, sex, age group are): IPF needs several sweeps
        a = rng.integers(0, 50, n)
        b = (rng.random(n) < 0.1 + 0.8 * a / 50).astype(np.int64)
        c = np.where(rng.random(n) < 0.5, b * 3, rng.integers(0, 4, n))
        w = rng.uniform(0.5, 3.0, n) * (1 + a / 50)
        # targets far from the sample distribution (about a dozen sweeps to 1e-8)
        ta = np.bincount(a, minlength=50) * rng.uniform(1.0, 4.0, 50)
        tb = np.bincount(b, minlength=2) * np.array([3.0, 1.0])
        tcc = np.bincount(c, minlength=4) * np.array([1.0, 2.0, 3.0, 4.0])
        tcc = tcc * ta.sum() / tcc.sum()
        tb = tb * ta.sum() / tb.sum()
        margins = [(a, ta), (b, tb), (c, tcc)]

        def call():
            return rake(w, margins, rtol=1e-8).sweeps

        if name.startswith("baseline"):  # plain row-wise numpy IPF, as in the figure

            def call():
                x = w.copy()
                for sweep in range(1, 101):
                    for codes, t in margins:
                        x *= (t / np.bincount(codes, weights=x, minlength=len(t)))[codes]
                    err = max(
                        np.max(np.abs(np.bincount(cd, weights=x, minlength=len(t)) - t) / t)
                        for cd, t in margins
                    )
                    if err <= 1e-8:
                        return sweep
                return -1

    elif name.startswith(("taylor", "jkn", "baseline_plain")):
        H, per = (50, 4) if name.startswith("jkn") else (50, 20)  # strata x PSUs
        strata = rng.integers(0, H, n)
        psu = strata * per + rng.integers(0, per, n)
        y = rng.normal(size=n) + psu % 7 * 0.1
        df = pd.DataFrame({"h": strata, "p": psu, "y": y, "w": rng.uniform(1, 5, n), "N": 200.0})
        if name.startswith("jkn"):
            from csindex.weighting import jkn_replicates

            rep = jkn_replicates(df["h"], df["p"])
            d = survey_design(
                df,
                DesignVariables(weight="w"),
                replicates=ReplicateWeights(
                    df["w"].to_numpy()[:, None] * rep.factors,
                    type="JKn",
                    scale=rep.scale,
                    rscales=rep.rscales,
                ),
            )
        else:
            d = survey_design(df, DesignVariables(weight="w", strata="h", psu="p", fpc="N"))

        def call():
            return float(survey_mean(d, "y")["se"].iloc[0])

        if name.startswith("baseline"):  # the bare formula, precomputed codes, no API
            wv, yv, pv = df["w"].to_numpy(), y, psu
            nh = np.bincount(np.unique(pv) // per, minlength=H).astype(float)
            fh = (200.0 - nh) / 200.0

            def call():
                ybar = (wv * yv).sum() / wv.sum()
                z = wv * (yv - ybar) / wv.sum()
                t = np.bincount(pv, weights=z, minlength=H * per)
                ph = np.arange(H * per) // per
                m = np.bincount(ph, weights=t, minlength=H) / nh
                present = np.bincount(pv, minlength=H * per) > 0
                c = (t - m[ph]) * present
                return float(np.sqrt((c * c * (fh * nh / (nh - 1))[ph]).sum()))

    else:
        from csindex.simulate import simulate_frame  # noqa: F401  (import cost excluded)

        G = 40
        H = 8
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i:07d}" for i in range(n * 20)],
                "region": rng.integers(0, H, n * 20).astype(str),
                "segment": rng.choice(["personal", "family", "business"], n * 20),
                "tenure_years": rng.gamma(2, 3, n * 20),
                "monthly_spend": rng.gamma(3, 30, n * 20),
            }
        )
        frame["branch"] = frame["region"] + "-" + rng.integers(0, G, n * 20).astype(str)
        smp = frame.sample(n, random_state=1).reset_index(drop=True)
        smp["unit_id"] = smp["customer_id"]
        smp["stratum"], smp["psu"] = smp["region"], smp["branch"]
        smp["pi"] = n / len(frame)
        smp["fpc_1"] = 1000.0
        resp = smp[rng.random(n) < 0.4][["unit_id", "region", "segment"]].copy()
        resp["respondent_id"] = [f"R{i:06d}" for i in range(len(resp))]
        repeat = 3

        def call():
            return build_weights(resp, None, smp, None, frame, seed=1).diagnostics["n_replicates"]

    return measure(name, n, call, repeat)


def main() -> None:
    cases = dict(CASES)
    if "--large" in sys.argv:
        cases.update(LARGE)
    harness.main(__file__, run_case, cases.items(), width=42)


if __name__ == "__main__":
    main()
