"""One bootstrap shard (rule bootstrap_shard) through the library: the same replicates whichever
shard computes them, for PLS-PM and CB-SEM, and the same numbers as the estimator's own
bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import ACSI_BLOCKS, FIX

from csindex.sem.bootstrap import bootstrap_design, bootstrap_pls, pls_setup
from csindex.sem.bootstrap_outputs import bootstrap_shard
from csindex.sem.cbsem import cbsem_bootstrap, fit_cbsem
from csindex.sem.spec import acsi_spec


@pytest.fixture(scope="module")
def inputs():
    data = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    data["segment"] = np.where(np.arange(len(data)) % 3 == 0, "business", "personal")
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(data))
    return data, acsi_spec(ACSI_BLOCKS), w, bootstrap_design(data, None, "iid")


def _shard(inputs, est, start, stop):
    data, spec, w, design = inputs
    return bootstrap_shard(
        data,
        spec,
        weights=w,
        model_cfg={"estimator": est},
        index_cfg={"scale": {"min": 1, "max": 10}, "by": ["segment"]},
        instrument=None,
        design=design,
        seed=11,
        start=start,
        stop=stop,
    )


@pytest.mark.parametrize("est", ["pls", "cbsem"])
def test_shards_give_the_same_replicates(inputs, est):
    whole = _shard(inputs, est, 0, 6)
    parts = pd.concat([_shard(inputs, est, 0, 2), _shard(inputs, est, 2, 6)], ignore_index=True)
    assert whole["replicate"].tolist() == parts["replicate"].tolist() == list(range(6))
    if est == "pls":
        pd.testing.assert_frame_equal(whole, parts)
    else:  # replicates refitted in a batch stop at the batch's tolerance, not bit for bit
        cols = [c for c in whole.columns if "~" in c or c.startswith(("r2:", "total:"))]
        ok = (whole["converged"] & parts["converged"]).to_numpy(bool)
        assert len(cols) > 20 and ok.sum() >= 4
        np.testing.assert_allclose(whole.loc[ok, cols], parts.loc[ok, cols], rtol=1e-5, atol=1e-6)


def test_shard_is_the_estimators_bootstrap(inputs):
    data, spec, w, design = inputs
    pls = _shard(inputs, "pls", 3, 5)
    setup = pls_setup(data, spec, w, {}, {"scale": {"min": 1, "max": 10}, "by": ["segment"]}, None)
    pd.testing.assert_frame_equal(pls, bootstrap_pls(setup, 11, 3, 5, design))
    cb = _shard(inputs, "cbsem", 3, 5)
    res = fit_cbsem(data, spec, weights=w)
    direct = cbsem_bootstrap(
        data, spec, design.multipliers(11, 3, 5, rows=res.used_rows), res, weights=w
    )
    np.testing.assert_allclose(cb["CS~PQ"], direct["CS~PQ"], rtol=1e-12)
