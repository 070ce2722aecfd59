"""Monte Carlo checks of the simulator (slow: pytest -m slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.instrument import load_instrument
from csindex.simulate import DEFAULT_FIELDWORK, simulate_fieldwork, simulate_frame

pytestmark = pytest.mark.slow

NO_DEFECTS = {"defects": {k: 0.0 for k in DEFAULT_FIELDWORK["defects"]}}
R = 40


@pytest.fixture(scope="module")
def replicates(repo_root):
    """R independent SRS of 3,000 from a 200,000 frame, default nonresponse, no defects."""
    inst = load_instrument(repo_root / "config" / "instrument.yaml")
    frame = simulate_frame({}, seed=5).frame
    cells = frame.groupby(["segment", "region"]).size().rename("N")
    out = []
    for r in range(R):
        rows = np.random.default_rng(100 + r).choice(len(frame), 3000, replace=False)
        sample = frame.iloc[np.sort(rows)].rename(columns={"customer_id": "unit_id"})
        fw = simulate_fieldwork(sample, frame, inst, NO_DEFECTS, seed=8)
        raw = fw.raw
        cs = (raw["CS1"] + raw["CS2"] - 2).astype(float) / 8 * 100
        # weighting-class adjustment: respondents post-stratified to the frame's cells
        n = raw.groupby(["segment", "region"]).size().rename("n")
        w = raw.join(cells, on=["segment", "region"]).join(n, on=["segment", "region"])
        w = (w["N"] / w["n"]).to_numpy()
        out.append(
            {
                "unweighted": cs.mean(),
                "poststratified": float(np.average(cs, weights=w)),
                "se": cs.std() / np.sqrt(len(cs)),
                "truth": fw.truth["csi"]["overall"],
            }
        )
    return pd.DataFrame(out)


def test_truth_is_the_same_in_every_replicate(replicates):
    assert replicates["truth"].nunique() == 1


def test_poststratified_csi_is_unbiased_for_the_true_csi(replicates):
    err = replicates["poststratified"] - replicates["truth"]
    assert abs(err.mean()) < 4 * err.std() / np.sqrt(R)


def test_unweighted_csi_is_biased_by_nonresponse(replicates):
    err = replicates["unweighted"] - replicates["truth"]
    assert err.mean() > 4 * err.std() / np.sqrt(R)
    assert err.mean() > 0.8  # on the 0-100 scale


def test_naive_confidence_intervals_of_the_poststratified_csi_cover(replicates):
    z = (replicates["poststratified"] - replicates["truth"]) / replicates["se"]
    assert (z.abs() < 1.96).mean() >= 0.8
