"""The model stage's tables (csindex.sem.outputs): contract columns, config options reaching the
estimators, design-based SEs from replicate weights (PLS-PM and CB-SEM), the bootstrap gather."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX
from ecsi_models import SMALL_BLOCKS as BLOCKS
from ecsi_models import SMALL_PATHS as PATHS
from scipy.stats import norm

from csindex.errors import ConfigError
from csindex.estimation import ReplicateDesign, replicate_design
from csindex.sem import cbsem as cb
from csindex.sem.bootstrap import (
    bootstrap_intervals,
    bootstrap_pls,
    jackknife_pls,
    pls_setup,
    pls_stats,
    stat_names,
)
from csindex.sem.bootstrap_outputs import gather_bootstrap
from csindex.sem.outputs import MODEL_COLUMNS, fit_model, model_tables
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec

G = 8  # jackknife groups of the replicate weights


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    df.insert(0, "respondent_id", [f"r{k:03d}" for k in range(len(df))])
    df["segment"] = np.where(np.arange(len(df)) % 3 == 0, "business", "personal")
    return df


@pytest.fixture(scope="module")
def weights(data) -> np.ndarray:
    return np.linspace(0.6, 1.8, len(data))


@pytest.fixture(scope="module")
def replicates(data, weights) -> ReplicateDesign:
    """Delete-a-group jackknife (JK1) replicate weights, rows in a shuffled order."""
    group = np.arange(len(data)) % G
    table = pd.DataFrame({"respondent_id": data["respondent_id"]})
    for g in range(G):
        table[f"rep_{g + 1:03d}"] = np.where(group == g, 0.0, weights * G / (G - 1))
    table = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    diag = {"scale": (G - 1) / G, "rscales": [1.0] * G, "mse": True, "replicate_type": "JK1"}
    return replicate_design(table, diag, file="weights.parquet")


CBCFG = {"estimator": "cbsem", "cbsem": {"se": "robust"}}


@pytest.fixture(scope="module")
def cbfit(data, spec, weights):
    return fit_model(data, spec, CBCFG, weights)


# --------------------------------------------------------------------------- contract
def test_pls_tables_have_the_contract_columns(data, spec, weights) -> None:
    res = fit_model(data, spec, {"estimator": "pls"}, weights)
    t = model_tables(res, spec, data, weights=weights, weights_desc="w")
    for name, cols in MODEL_COLUMNS.items():
        assert set(cols) <= set(getattr(t, name).columns), name
    assert t.fit["estimator"] == "pls"
    assert t.fit["se"].startswith("none here")
    assert t.estimates["se"].isna().all()


def test_cbsem_tables_have_the_contract_columns_and_model_based_ses(data, spec, weights, cbfit):
    t = model_tables(cbfit, spec, data, weights=weights, model_cfg=CBCFG)
    for name, cols in MODEL_COLUMNS.items():
        assert set(cols) <= set(getattr(t, name).columns), name
    assert list(t.outer_weights.columns) == MODEL_COLUMNS["outer_weights"]
    pd.testing.assert_frame_equal(t.estimates, cbfit.estimates)
    assert t.fit["se_type"] == "robust" and "se" not in t.fit
    assert t.admissibility["estimator"] == "cbsem"


def test_fit_json_records_the_model_rows_and_weights(data, spec, weights) -> None:
    d = data.copy()
    d.loc[[4, 9], "CUSA2"] = np.nan
    res = fit_model(d, spec, {"pls": {"missing": "listwise"}}, weights)
    t = model_tables(res, spec, d, weights=weights, weights_desc="survey-weighted (x)")
    assert (t.fit["n"], t.fit["n_dropped"]) == (len(d) - 2, 2)
    assert t.fit["weights"] == "survey-weighted (x)" and t.fit["weighted"] is True
    assert t.fit["model"] == spec.to_dict()
    assert t.fit["quality_warnings"] == t.quality_warnings


def test_scores_start_with_the_respondent_ids_of_the_rows_used(data, spec, weights, cbfit):
    d = data.copy()
    d.loc[[0, 7], "PERQ1"] = np.nan
    res = fit_model(d, spec, {"pls": {"missing": "listwise"}})
    t = model_tables(res, spec, d)
    assert t.scores.columns[0] == "respondent_id"
    assert t.scores["respondent_id"].tolist() == d["respondent_id"].drop([0, 7]).tolist()
    assert list(t.scores.columns[1:]) == spec.constructs
    tc = model_tables(cbfit, spec, data, weights=weights, model_cfg=CBCFG)
    assert tc.scores["respondent_id"].tolist() == data["respondent_id"].tolist()


def test_unknown_estimator_is_a_config_error(data, spec) -> None:
    with pytest.raises(ConfigError, match="allowed: pls, cbsem"):
        fit_model(data, spec, {"estimator": "gsca"})


def test_fit_model_passes_every_cbsem_option(data, spec, monkeypatch) -> None:
    seen = {}

    def fake(data, spec, **kw):
        seen.update(kw)
        return "fit"

    monkeypatch.setattr(cb, "fit_cbsem", fake)
    opts = {"se": "standard", "missing": "ml", "start": "simple", "gtol": 1e-6, "max_iter": 7}
    opts["correlation_limit"] = 0.9
    assert fit_model(data, spec, {"estimator": "cbsem", "cbsem": opts}, file="f.parquet") == "fit"
    assert {k: seen[k] for k in opts} == opts
    assert seen["file"] == "f.parquet" and seen["weights"] is None


def test_cbsem_correlation_limit_reaches_the_admissibility_check(data, spec) -> None:
    loose = fit_model(data, spec, {"estimator": "cbsem"})
    tight = fit_model(data, spec, {"estimator": "cbsem", "cbsem": {"correlation_limit": 0.3}})
    assert tight.admissibility.to_dict() != loose.admissibility.to_dict()
    np.testing.assert_allclose(tight.theta, loose.theta)


# --------------------------------------------------------------------------- replicate SEs
def test_cbsem_replicate_ses_equal_cbsem_replicates(data, spec, weights, cbfit, replicates):
    t = model_tables(cbfit, spec, data, weights=weights, model_cfg=CBCFG, replicates=replicates)
    rw = replicates.table.set_index("respondent_id").loc[data["respondent_id"]]
    direct = cb.cbsem_replicates(
        data, spec, rw.to_numpy(), cbfit, scale=(G - 1) / G, rscales=np.ones(G), mse=True
    )
    se = direct.attrs["statistics"].set_index("statistic")["se"]
    est = t.estimates
    free = est.merge(
        direct[["lhs", "op", "rhs", "se"]], on=["lhs", "op", "rhs"], suffixes=("", "_d")
    )
    assert len(free) == cbfit.structure.q
    np.testing.assert_allclose(free["se"], free["se_d"], rtol=1e-10)
    np.testing.assert_allclose(free["z"], free["est"] / free["se_d"], rtol=1e-10)
    np.testing.assert_allclose(free["pvalue"], 2 * norm.sf(np.abs(free["z"])), rtol=1e-10)
    np.testing.assert_allclose(free["ci_lower"], free["est"] - norm.ppf(0.975) * free["se_d"])
    eff = t.effects
    for kind in ("direct", "indirect", "total"):
        want = se.reindex([f"{kind}:{a}->{b}" for a, b in zip(eff["from"], eff["to"], strict=True)])
        nz = eff[kind] != 0
        np.testing.assert_allclose(eff.loc[nz, f"{kind}_se"], want[nz.to_numpy()], rtol=1e-10)
        assert eff.loc[~nz, f"{kind}_se"].isna().all()
    np.testing.assert_allclose(
        t.r2["se"], se.reindex([f"r2:{v}" for v in t.r2["variable"]]), rtol=1e-10
    )
    assert t.fit["se"].startswith("replicate weights (JK1, 8 replicates")
    assert t.fit["replicates_inadmissible"] == direct["n_inadmissible"].iloc[0]
    pd.testing.assert_frame_equal(t.standardized, cbfit.standardized)


def test_cbsem_fixed_parameters_keep_zero_se_and_no_test(data, spec, weights, cbfit, replicates):
    t = model_tables(cbfit, spec, data, weights=weights, model_cfg=CBCFG, replicates=replicates)
    markers = t.estimates[t.estimates["est"].eq(1.0) & t.estimates["op"].eq("=~")]
    assert len(markers) == len(BLOCKS)
    assert (markers["se"] == 0).all()
    assert markers[["z", "pvalue"]].isna().all().all()
    assert (markers["ci_lower"] == markers["est"]).all()


def test_cbsem_full_information_ml_keeps_model_based_ses(data, spec, replicates) -> None:
    cfg = {"estimator": "cbsem", "cbsem": {"missing": "ml"}}
    res = fit_model(data, spec, cfg)
    t = model_tables(res, spec, data, model_cfg=cfg, replicates=replicates)
    pd.testing.assert_frame_equal(t.estimates, res.estimates)
    assert "replicate-weight SEs not computed" in t.fit["se"]


def test_pls_replicate_ses_equal_refits_with_each_replicate_weight(
    data, spec, weights, replicates
) -> None:
    cfg = {"estimator": "pls", "pls": {"tol": 1e-10, "maxiter": 500}}
    res = fit_model(data, spec, cfg, weights)
    t = model_tables(res, spec, data, weights=weights, model_cfg=cfg, replicates=replicates)
    rw = replicates.table.set_index("respondent_id").loc[data["respondent_id"]]
    paths = res.estimates["op"] == "~"
    thetas = np.array(
        [
            fit_pls(data, spec, weights=rw[c].to_numpy(), tol=1e-10, maxiter=500)
            .estimates.loc[paths, "est"]
            .to_numpy()
            for c in replicates.names
        ]
    )
    want = np.sqrt(
        (G - 1) / G * ((thetas - res.estimates.loc[paths, "est"].to_numpy()) ** 2).sum(0)
    )
    np.testing.assert_allclose(t.estimates.loc[paths, "se"], want, rtol=1e-6)
    np.testing.assert_allclose(t.estimates["z"], t.estimates["est"] / t.estimates["se"])
    direct = t.effects[t.effects["indirect"] == 0]
    np.testing.assert_allclose(
        direct["direct_se"].to_numpy(), direct["total_se"].to_numpy(), rtol=1e-12
    )
    assert direct["indirect_se"].isna().all()
    assert t.r2["se"].notna().all() and len(t.r2) == len(spec.endogenous)
    assert t.fit["se"] == "replicate weights (JK1, 8 replicates; the model refitted in each)"


def test_replicate_design_aligns_on_respondent_id(data, weights, replicates) -> None:
    m = replicates.matrix(data)
    group = np.arange(len(data)) % G
    np.testing.assert_allclose(m[:, 2], np.where(group == 2, 0.0, weights * G / (G - 1)))
    rows = np.arange(len(data)) % 2 == 0
    np.testing.assert_allclose(replicates.matrix(data, rows), m[rows])
    assert replicates.scale == (G - 1) / G and replicates.mse is True


def test_replicate_design_is_none_without_replicate_columns(data) -> None:
    table = pd.DataFrame({"respondent_id": data["respondent_id"], "w_final": 1.0})
    assert replicate_design(table, {"scale": 1.0}) is None
    d = replicate_design(table.assign(rep_002=1.0, rep_001=2.0), {"rscales": None})
    assert d.names == ["rep_001", "rep_002"]
    np.testing.assert_array_equal(d.rscales, [1.0, 1.0])


# --------------------------------------------------------------------------- bootstrap gather
def test_gather_bootstrap_sorts_shards_and_matches_bootstrap_intervals(data, spec) -> None:
    mcfg = {"estimator": "pls"}
    setup = pls_setup(data, spec, None, mcfg, None)
    shards = [bootstrap_pls(setup, 5, 50, 80), bootstrap_pls(setup, 5, 0, 50)]
    t = gather_bootstrap(
        shards, data, spec, model_cfg=mcfg, bootstrap_cfg={"jackknife_groups": 40}, seed=9
    )
    assert t.replicates["replicate"].tolist() == list(range(80))
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    want = bootstrap_intervals(t.replicates, est, jackknife_pls(setup, groups=40, seed=9))
    pd.testing.assert_frame_equal(t.intervals[want.columns], want)
    assert (t.intervals["replicates_total"] == 80).all()
    assert t.not_converged == 0
