"""Three-stage samples through the weights file: a unit id and a population count per stage
(psu, ssu; fpc_1, fpc_2, fpc_3), R's three-stage Taylor formula downstream, and replicate
weights that see the subsampling within PSUs (and so drop the stage-1 fpc)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import DesignVariables, design_from_weights_file, survey_design, survey_mean
from csindex.sampling import Design, Stage, draw
from csindex.weighting import build_weights

CFG = {
    "nonresponse": {"method": "none"},
    "calibration": {"method": "none"},
    "trimming": {"method": "none"},
}


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    N = 30_000
    region = rng.choice([f"R{i}" for i in range(8)], N)
    branch = np.char.add(np.char.add(region.astype(str), "-B"), rng.integers(0, 9, N).astype(str))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(N)],
            "region": region,
            "branch": branch,
            "tenure_years": rng.gamma(2.0, 3.0, N),
        }
    )
    frame["Q1"] = np.clip(
        np.round(3 + 0.1 * frame["tenure_years"] + rng.normal(0, 1, N) + (region == "R1")), 1, 5
    )
    frame = frame.sort_values(["region", "branch"], kind="stable").reset_index(drop=True)
    d = Design(
        "multistage",
        (
            Stage(unit="region", method="srswor", n=5),
            Stage(unit="branch", method="srswor", n=3),
            Stage(method="srswor", n=6),
        ),
        strata=None,
    )
    smp = draw(frame, d, 11).sample
    resp = smp[["unit_id", "Q1"]].copy()
    resp.insert(0, "respondent_id", [f"R{i:04d}" for i in range(len(resp))])
    return smp.drop(columns="Q1"), resp


def test_weights_file_has_a_unit_id_and_population_count_per_stage(sample) -> None:
    smp, resp = sample
    out = build_weights(resp, dict(CFG, replicates={"type": "none"}), smp, id_column="customer_id")
    w = out.weights
    assert {"psu", "ssu", "fpc_1", "fpc_2", "fpc_3"} <= set(w.columns)
    assert (w["fpc_1"] == 8).all()
    np.testing.assert_array_equal(w["ssu"], smp["ssu"].astype(str))
    np.testing.assert_array_equal(w["fpc_3"], smp["fpc_3"])


def test_taylor_design_of_the_weights_file_is_the_three_stage_design(sample) -> None:
    smp, resp = sample
    out = build_weights(resp, dict(CFG, replicates={"type": "none"}), smp, id_column="customer_id")
    d = design_from_weights_file(out.weights, out.diagnostics, data=resp)
    assert len(d.stages) == 3
    got = survey_mean(d, "Q1")["se"].iloc[0]
    df = out.weights.merge(resp, on="respondent_id")
    ref = survey_design(df, DesignVariables(psu="psu", ssu="ssu", fpc=["fpc_1", "fpc_2", "fpc_3"]))
    assert got == pytest.approx(survey_mean(ref, "Q1")["se"].iloc[0], rel=1e-12)
    # the old reading (rows as stage-2 units of population fpc_2) is a different number
    two = survey_design(
        df.assign(fpc_2=df["fpc_3"]), DesignVariables(psu="psu", fpc=["fpc_1", "fpc_2"])
    )
    assert survey_mean(two, "Q1")["se"].iloc[0] != pytest.approx(got, rel=1e-3)


def test_replicates_detect_subsampling_at_a_later_stage(sample) -> None:
    smp, resp = sample
    out = build_weights(resp, dict(CFG, replicates={"type": "JK1"}), smp, id_column="customer_id")
    assert out.diagnostics["replicate_fpc"].startswith("not used: PSUs are subsampled")
    # SSUs fully taken but units subsampled: still subsampled (stage 3)
    full2 = smp.assign(fpc_2=smp.groupby("psu")["ssu"].transform("nunique").astype(float))
    out2 = build_weights(
        resp, dict(CFG, replicates={"type": "JK1"}), full2, id_column="customer_id"
    )
    assert out2.diagnostics["replicate_fpc"].startswith("not used")
    # every later stage a census: the stage-1 fpc is kept
    full3 = full2.assign(fpc_3=full2.groupby("ssu")["unit_id"].transform("size").astype(float))
    out3 = build_weights(
        resp, dict(CFG, replicates={"type": "JK1"}), full3, id_column="customer_id"
    )
    assert out3.diagnostics["replicate_fpc"] == "fpc_1"
