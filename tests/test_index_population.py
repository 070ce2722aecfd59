"""The population value of the PLS index (truth_index) and the replicate fpc of multistage
designs — the two fixes found by tests/test_pipeline_recovery.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX
from ecsi_models import SMALL_BLOCKS as BLOCKS
from ecsi_models import SMALL_PATHS as PATHS

from csindex.errors import InputError
from csindex.index import acsi_index
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec
from csindex.validation import population_index
from csindex.weighting import _make_replicates

SCALE = {i: (1.0, 10.0) for b in BLOCKS.values() for i in b}


def _census(df: pd.DataFrame, items: list[str]) -> dict:
    """A truth.json of a population that is exactly ``df`` (moments with divisor N)."""
    X = df[items].to_numpy(float)
    m = X.mean(axis=0)
    cov = (X - m).T @ (X - m) / len(X)
    by = {g: dict(zip(items, d[items].mean().to_numpy(), strict=True)) for g, d in df.groupby("g")}
    return {
        "item_moments": {"items": items, "mean": m.tolist(), "covariance": cov.tolist()},
        "item_means_by_g": by,
    }


@pytest.mark.parametrize("standardized", [True, False])
def test_population_index_is_the_pls_index_of_a_census(standardized) -> None:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    df["g"] = np.where(np.arange(len(df)) % 3 == 0, "a", "b")
    spec = ModelSpec(blocks=BLOCKS, paths=PATHS)
    cfg = {"estimator": "pls", "pls": {"standardized": standardized, "tol": 1e-12}}
    pop = population_index(_census(df, spec.items), spec, SCALE, cfg)
    fit = fit_pls(df, spec, standardized=standardized, tol=1e-12)
    raw = fit.outer_weights.set_index("item")["weight_raw"].to_dict()
    want = acsi_index(df, spec, raw, SCALE, by=["g"])
    np.testing.assert_allclose(pop["overall"], want[want["group_var"] == "overall"]["index"])
    for g in ("a", "b"):
        np.testing.assert_allclose(pop[f"g={g}"], want[want["group"] == g]["index"])
    assert population_index({}, spec, SCALE, cfg) is None
    assert population_index(_census(df, spec.items), spec, SCALE, {"estimator": "cbsem"}) is None


def _units(per_psu: int, psu_size: int) -> pd.DataFrame:
    """Two strata, 3 of 10 PSUs each, ``per_psu`` units drawn from PSUs of ``psu_size``."""
    rows = [(h, f"{h}-{p}") for h in ("A", "B") for p in range(3) for _ in range(per_psu)]
    u = pd.DataFrame(rows, columns=["stratum", "psu"])
    return u.assign(fpc_1=10.0, fpc_2=float(psu_size))


def _reps(units: pd.DataFrame):
    cfg = {"type": "JKn", "mse": None}
    return _make_replicates(units, cfg, "adjust", np.random.default_rng(0))


def test_multistage_replicates_drop_the_stage1_fpc() -> None:
    rep = _reps(_units(per_psu=4, psu_size=50))  # units subsampled within PSUs
    np.testing.assert_allclose(rep.rscales, 2 / 3)
    assert rep.fpc.startswith("not used")


def test_single_stage_cluster_replicates_keep_the_fpc() -> None:
    rep = _reps(_units(per_psu=4, psu_size=4))  # whole PSUs taken
    np.testing.assert_allclose(rep.rscales, (1 - 3 / 10) * 2 / 3)
    assert rep.fpc == "fpc_1"


def test_multistage_fpc_smaller_than_the_sampled_psus_still_fails() -> None:
    with pytest.raises(InputError, match="fpc_1 must count the PSUs"):
        _reps(_units(per_psu=4, psu_size=50).assign(fpc_1=2.0))
