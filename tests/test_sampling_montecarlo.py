"""Monte Carlo checks of every probability design: the empirical inclusion frequency of each
unit over repeated draws matches its stated pi (computed here independently of the draw), and
the Horvitz-Thompson total is unbiased. A reduced version runs in the default suite; the full
one with `pytest -m slow`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.sampling import Design, Stage, draw, inclusion_probabilities


def make_frame(N: int = 600, H: int = 3, C: int = 30, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    w = rng.gamma(1.0, 1.0, C)
    branch = np.sort(rng.choice(C, size=N, p=w / w.sum()))
    region_of = np.sort(rng.integers(0, H, C))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(N)],
            "region": [f"R{r}" for r in region_of[branch]],
            "branch": [f"B{b:03d}" for b in branch],
            "branch_size": np.bincount(branch, minlength=C)[branch].astype(float),
            "y": rng.gamma(2.0, 2.0, N).round(2) + 0.1,
        }
    )


FRAME = make_frame()


def _expected_pi(name: str, f: pd.DataFrame) -> np.ndarray:
    N = len(f)
    if name in ("srs", "systematic"):
        return np.full(N, 60 / N)
    if name == "srswr":
        return np.full(N, 1 - (1 - 1 / N) ** 60)
    if name == "pps":
        return inclusion_probabilities(f["y"].to_numpy(), 60)
    Nh = f.groupby("region")["customer_id"].transform("size").to_numpy()
    if name == "stratified":
        # proportional allocation of 60 by largest remainder, computed by hand
        counts = f["region"].value_counts().sort_index()
        q = 60 * counts / counts.sum()
        base = np.floor(q).astype(int)
        rest = 60 - base.sum()
        base[(q - base).sort_values(ascending=False, kind="stable").index[:rest]] += 1
        nh = base.to_dict()
        return f["region"].map(nh).to_numpy() / Nh
    br = f.drop_duplicates("branch").set_index("branch")
    n_br = f["branch"].value_counts()
    if name == "cluster":  # 6 branches by SRSWOR, no strata
        return np.full(N, 6 / br.shape[0])
    if name == "multistage":  # 8 branches PPS (branch_size) in region strata, then 5 per branch
        reg = br["region"]
        Bh = reg.value_counts().sort_index()
        # proportional on customers, minimum 2, largest remainder (as the library documents)
        cust = f["region"].value_counts().sort_index()
        q = 8 * cust / cust.sum()
        base = np.floor(q).astype(int)
        base[(q - base).sort_values(ascending=False, kind="stable").index[: 8 - base.sum()]] += 1
        assert (base >= 2).all() and (base <= Bh).all()
        pi1 = pd.Series(0.0, index=br.index)
        for h in Bh.index:
            k = reg.index[reg == h]
            pi1[k] = inclusion_probabilities(br.loc[k, "branch_size"].to_numpy(), base[h])
        Ni = f["branch"].map(n_br).to_numpy()
        return f["branch"].map(pi1).to_numpy() * np.minimum(5, Ni) / Ni
    raise KeyError(name)


DESIGNS = {
    "srs": Design("srs", (Stage(n=60),)),
    "srswr": Design("srs", (Stage(method="srswr", n=60),)),
    "systematic": Design("systematic", (Stage(method="systematic", n=60, sort=("y",)),)),
    "pps": Design("systematic", (Stage(method="pps_systematic", n=60, size="y"),)),
    "stratified": Design("stratified", (Stage(n=60),), strata="region", minimum=2),
    "cluster": Design("cluster", (Stage(unit="branch", n=6), Stage(method="all"))),
    "multistage": Design(
        "multistage",
        (Stage(unit="branch", method="pps_systematic", size="branch_size", n=8), Stage(n=5)),
        strata="region",
        minimum=2,
    ),
}


INDEPENDENT_UNITS = ("srs", "srswr", "stratified")


def _run(name: str, reps: int, z_mean_tol: float) -> None:
    f = FRAME
    pi = _expected_pi(name, f)
    pos = pd.Series(np.arange(len(f)), index=f["customer_id"])
    counts = np.zeros(len(f))
    ht = np.empty(reps)
    for r in range(reps):
        s = draw(f, DESIGNS[name], 1000 + r, check=False).sample
        k = pos[s["unit_id"]].to_numpy()
        np.testing.assert_allclose(s["pi"].to_numpy(), pi[k], rtol=1e-12)  # stated pi exact
        counts[k] += 1
        ht[r] = (s["y"] * s["design_weight"]).sum()
    # inclusion frequencies: standardised counts of units with 0 < pi < 1
    m = (pi > 1e-9) & (pi < 1 - 1e-9)
    z = (counts[m] - reps * pi[m]) / np.sqrt(reps * pi[m] * (1 - pi[m]))
    assert np.all(counts[pi >= 1 - 1e-9] == reps)
    assert np.all(counts[pi <= 1e-9] == 0)
    assert np.max(np.abs(z)) < 5.5, np.max(np.abs(z))
    if name in INDEPENDENT_UNITS:
        # near-independent inclusion indicators: mean z^2 ~ 1 (chi-square / N). Systematic and
        # cluster designs have few possible samples (strongly dependent units), so only the
        # per-unit bound above applies to them.
        assert abs(np.mean(z**2) - 1) < z_mean_tol, np.mean(z**2)
    # HT total unbiased
    T = f["y"].sum()
    se = ht.std(ddof=1) / np.sqrt(reps)
    assert abs(ht.mean() - T) < 4.5 * se + 1e-9 * T, (ht.mean(), T, se)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_inclusion_frequencies_and_ht_total_reduced(name):
    _run(name, reps=100, z_mean_tol=0.35)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DESIGNS))
def test_inclusion_frequencies_and_ht_total_full(name):
    _run(name, reps=4000, z_mean_tol=0.2)
