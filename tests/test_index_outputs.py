"""The index stage's tables (csindex.index.index_tables): contract columns, the choice of the SE
method, design-based SEs from replicate weights, the comparison with a simulation's truth
(csindex.validation.compare_index: the index stage itself never sees the truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX
from ecsi_models import SMALL_BLOCKS as BLOCKS
from ecsi_models import SMALL_PATHS as PATHS
from scipy.stats import norm

from csindex.errors import ConfigError
from csindex.estimation import replicate_design
from csindex.index import (
    CSI_COLUMNS,
    IPA_COLUMNS,
    IndexOptions,
    acsi_index,
    index_keys,
    index_rows,
    index_tables,
    replicate_variance,
)
from csindex.sem.bootstrap import (
    bootstrap_intervals,
    bootstrap_pls,
    pls_setup,
    pls_stats,
    replicate_weight_se,
    stat_names,
)
from csindex.sem.outputs import fit_model, model_tables
from csindex.sem.pls import prepare_data
from csindex.sem.spec import ModelSpec
from csindex.validation import compare_index

G = 6
ICFG = {"by": ["segment", "region"], "scale": {"min": 1, "max": 10}, "level": 0.9}
SCALE = {i: (1.0, 10.0) for b in BLOCKS.values() for i in b}


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    df.insert(0, "respondent_id", [f"r{k:03d}" for k in range(len(df))])
    df["segment"] = np.where(np.arange(len(df)) % 3 == 0, "business", "personal")
    df.loc[[5, 11, 40], "CUSA2"] = np.nan
    return df


@pytest.fixture(scope="module")
def weights(data) -> np.ndarray:
    return np.linspace(0.5, 2.0, len(data))


@pytest.fixture(scope="module")
def replicates(data, weights):
    group = np.arange(len(data)) % G
    table = pd.DataFrame({"respondent_id": data["respondent_id"]})
    for g in range(G):
        table[f"rep_{g + 1:03d}"] = np.where(group == g, 0.0, weights * G / (G - 1))
    diag = {"scale": (G - 1) / G, "mse": False, "replicate_type": "JK1"}
    return replicate_design(table.iloc[::-1], diag)


def _model(data, spec, weights, mcfg):
    res = fit_model(data, spec, mcfg, weights)
    return model_tables(res, spec, data, weights=weights, model_cfg=mcfg)


@pytest.fixture(scope="module")
def pls(data, spec, weights):
    return _model(data, spec, weights, {"estimator": "pls"})


@pytest.fixture(scope="module")
def cbsem(data, spec, weights):
    return _model(data, spec, weights, {"estimator": "cbsem"})


@pytest.fixture(scope="module")
def boot_ci(data, spec, weights):
    setup = pls_setup(data, spec, weights, {"estimator": "pls"}, ICFG)
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    return bootstrap_intervals(bootstrap_pls(setup, 1, 0, 60), est)


def _tables(data, spec, weights, model, mcfg, **kw):
    return index_tables(
        data,
        spec,
        model.outer_weights,
        model.effects,
        weights=weights,
        weights_desc="survey-weighted",
        model_cfg=mcfg,
        options=IndexOptions.from_config(kw.pop("index_cfg", ICFG), {"target": "CS"}),
        **kw,
    )


def test_tables_have_the_contract_columns(data, spec, weights, pls) -> None:
    t = _tables(data, spec, weights, pls, {"estimator": "pls"})
    assert list(t.csi.columns) == CSI_COLUMNS
    assert list(t.ipa.columns) == IPA_COLUMNS
    assert set(t.ipa["weights"]) == {"PLS outer weights"}
    assert (t.csi["survey_weights"] == "survey-weighted").all()


def test_index_is_acsi_index_of_the_rows_used_by_the_model(data, spec, weights, cbsem) -> None:
    t = _tables(data, spec, weights, cbsem, {"estimator": "cbsem"})
    _, keep = prepare_data(data, spec, missing="listwise")
    raw = cbsem.outer_weights.set_index("item")["weight_raw"].to_dict()
    want = acsi_index(data.loc[keep], spec, raw, SCALE, weights[keep], ["segment"])
    pd.testing.assert_frame_equal(t.csi[want.columns], want)
    assert t.csi.loc[t.csi["group_var"] == "overall", "n"].eq(int(keep.sum())).all()


def test_missing_by_columns_are_skipped_and_reported(data, spec, weights, pls) -> None:
    t = _tables(data, spec, weights, pls, {"estimator": "pls"})
    assert t.skipped_by == ["region"]
    assert set(t.csi["group_var"]) == {"overall", "segment"}


def test_without_bootstrap_or_replicates_there_is_no_se(data, spec, weights, pls) -> None:
    t = _tables(data, spec, weights, pls, {"estimator": "pls"})
    assert t.se_method == "none"
    assert (t.csi["se_method"] == "none").all()
    assert t.csi[["se", "ci_lower", "ci_upper"]].isna().all().all()


def test_bootstrap_se_and_percentile_ci_from_the_intervals(
    data, spec, weights, pls, boot_ci
) -> None:
    t = _tables(data, spec, weights, pls, {"estimator": "pls"}, bootstrap_ci=boot_ci)
    sel = boot_ci.set_index("statistic").reindex(index_keys(t.csi))
    np.testing.assert_array_equal(t.csi["se"], sel["se"])
    np.testing.assert_array_equal(t.csi["ci_lower"], sel["ci_lower"])
    assert t.se_method == "bootstrap (60 replicates, percentile CI)"


def test_auto_prefers_replicates_and_bootstrap_mode_keeps_bootstrap(
    data, spec, weights, pls, boot_ci, replicates
) -> None:
    kw = {"bootstrap_ci": boot_ci, "replicates": replicates}
    auto = _tables(data, spec, weights, pls, {"estimator": "pls"}, **kw)
    assert auto.se_method.startswith("replicate weights (JK1, 6 replicates")
    np.testing.assert_array_equal(auto.csi["se"], auto.csi["se_replicate"])
    z = norm.ppf(0.95)  # level 0.9
    np.testing.assert_allclose(auto.csi["ci_upper"], auto.csi["index"] + z * auto.csi["se"])
    icfg = dict(ICFG, se="bootstrap")
    boot = _tables(data, spec, weights, pls, {"estimator": "pls"}, index_cfg=icfg, **kw)
    np.testing.assert_array_equal(boot.csi["se"], boot.csi["se_bootstrap"])
    np.testing.assert_array_equal(boot.csi["se_replicate"], auto.csi["se_replicate"])


def test_pls_replicate_se_refits_the_model(data, spec, weights, pls, replicates) -> None:
    mcfg = {"estimator": "pls"}
    t = _tables(data, spec, weights, pls, mcfg, replicates=replicates)
    setup = pls_setup(data, spec, weights, mcfg, ICFG)
    rep = replicates.table.set_index("respondent_id").loc[data["respondent_id"][setup.rows]]
    se = replicate_weight_se(setup, rep.to_numpy(), (G - 1) / G, np.ones(G), False)
    want = se.set_index("statistic")["se"].reindex(index_keys(t.csi))
    np.testing.assert_allclose(t.csi["se_replicate"], want, rtol=1e-12)
    assert t.se_method.endswith("model refitted in each)")


def test_cbsem_replicate_se_holds_score_weights_fixed(
    data, spec, weights, cbsem, replicates
) -> None:
    t = _tables(data, spec, weights, cbsem, {"estimator": "cbsem"}, replicates=replicates)
    _, keep = prepare_data(data, spec, missing="listwise")
    used = data.loc[keep]
    raw = cbsem.outer_weights.set_index("item")["weight_raw"].to_dict()
    rep = replicates.table.set_index("respondent_id").loc[used["respondent_id"]].to_numpy()
    thetas = np.array(
        [acsi_index(used, spec, raw, SCALE, rep[:, r], ["segment"])["index"] for r in range(G)]
    )
    var = replicate_variance(t.csi["index"].to_numpy(), thetas, (G - 1) / G, np.ones(G), False)
    np.testing.assert_allclose(t.csi["se"], np.sqrt(var), rtol=1e-12)
    assert t.se_method.endswith("score weights fixed)")


def test_truth_gives_errors_and_coverage(data, spec, weights, pls, boot_ci) -> None:
    truth = {"construct_scores": {"overall": {"CS": 70.0}, "by_segment": {"business": {"CE": 1}}}}
    mcfg = {"estimator": "pls"}
    t = _tables(data, spec, weights, pls, mcfg, bootstrap_ci=boot_ci)
    assert not [c for c in t.csi.columns if "truth" in c or "error" in c]
    opt = IndexOptions.from_config(ICFG, {"target": "CS"})
    rows = index_rows(data, spec, weights=weights, model_cfg=mcfg, options=opt)
    # the comparison works on the table as read back from index/csi.csv (rows shuffled)
    csi = t.csi.sample(frac=1.0, random_state=3).reset_index(drop=True)
    v = compare_index(csi, truth, rows, spec, mcfg)
    cs = v.set_index(["construct", "group_var", "group"])
    assert cs.loc[("CS", "overall", "all"), "truth"] == 70.0
    assert cs.loc[("CE", "segment", "business"), "truth"] == 1
    assert cs.loc[("CE", "overall", "all"), ["truth", "error"]].isna().all()
    np.testing.assert_allclose(v["error"], v["index"] - v["truth"])
    has = v["truth"].notna()
    covered = (v["ci_lower"] <= v["truth"]) & (v["truth"] <= v["ci_upper"])
    np.testing.assert_array_equal(v.loc[has, "ci_covers_truth"].astype(bool), covered[has])
    assert v.loc[~has, "ci_covers_truth"].isna().all()
    # the equal-weight index of the rows the model used, matched to its row after the shuffle
    eq = {i: 1.0 / 9.0 for i in spec.items}
    want = acsi_index(rows.used, spec, eq, SCALE, rows.weights, rows.by)
    want = pd.Series(want["index"].to_numpy(), index=index_keys(want))
    np.testing.assert_allclose(v["index_equal_weights"], want.loc[index_keys(v)], rtol=1e-12)
    np.testing.assert_allclose(v["error_equal_weights"], v["index_equal_weights"] - v["truth"])


def test_unknown_se_mode_is_a_config_error(data, spec, weights, pls) -> None:
    with pytest.raises(ConfigError, match="allowed: auto, replicate, bootstrap"):
        _tables(data, spec, weights, pls, {"estimator": "pls"}, index_cfg=dict(ICFG, se="taylor"))


def test_ipa_uses_the_models_total_effects(data, spec, weights, pls, cbsem) -> None:
    a = _tables(data, spec, weights, pls, {"estimator": "pls"}).ipa
    b = _tables(data, spec, weights, cbsem, {"estimator": "cbsem"}).ipa
    drivers = {c for c in spec.constructs if c != "CS"} - {"CL"}
    assert set(a.loc[a["level"] == "construct", "name"]) == drivers
    assert set(b.loc[b["level"] == "construct", "name"]) == drivers
    assert sorted(a.loc[a["level"] == "construct", "rank"]) == [1, 2, 3]
