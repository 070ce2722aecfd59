"""WLSMV in the workflow: model/ tables, fit.json keys, config and weights checks."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_wlsmv_reference import FIX, SPECS, cut5

from csindex.config import load_config
from csindex.errors import ConfigError
from csindex.sem.outputs import MODEL_COLUMNS, fit_model, model_tables

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def tables():
    data = cut5(pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:])
    mcfg = {"estimator": "wlsmv", "ordered": "all"}
    res = fit_model(data, SPECS["cfa"], mcfg, np.ones(len(data)))
    return (
        data,
        res,
        model_tables(res, SPECS["cfa"], data, weights=np.ones(len(data)), model_cfg=mcfg),
    )


def test_tables_have_the_model_columns(tables):
    _, _, t = tables
    for name, cols in MODEL_COLUMNS.items():
        assert set(cols) <= set(getattr(t, name).columns), name


def test_estimates_hold_thresholds_and_fit_json_the_scaled_measures(tables):
    data, res, t = tables
    th = t.estimates[t.estimates.op == "|"]
    assert len(th) == sum(data[c].nunique() - 1 for c in SPECS["cfa"].items)
    assert set(th.rhs) == {"t1", "t2", "t3", "t4"}
    for key in ("chisq_scaled", "df_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert t.fit[key] == res.fit[key]
    assert t.fit["estimator"] == "wlsmv" and "robust" in t.fit["se"]
    # CI from the robust SE
    row = t.estimates[t.estimates.op == "=~"].dropna(subset=["se"]).iloc[0]
    assert row.ci_upper - row.ci_lower == pytest.approx(2 * 1.959963984540054 * row.se)


def test_index_weights_give_unit_variance_scores(tables):
    data, _, t = tables
    ow = t.outer_weights
    for c, g in ow.groupby("construct"):
        s = data[g["item"]].to_numpy(float) @ g["weight_raw"].to_numpy()
        assert np.std(s) == pytest.approx(1.0, rel=1e-10), c
        assert (g["weight"] > 0).all()


def test_informative_survey_weights_are_refused():
    data = cut5(pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:])
    w = 1 + (np.arange(len(data)) % 5) / 2
    with pytest.raises(ConfigError, match="model.estimator"):
        fit_model(data, SPECS["cfa"], {"estimator": "wlsmv"}, w)


def test_ordered_must_be_all_or_a_list():
    data = cut5(pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:])
    with pytest.raises(ConfigError, match="model.ordered"):
        fit_model(data, SPECS["cfa"], {"estimator": "wlsmv", "ordered": "some"})


def test_example_config_validates():
    cfg = load_config(ROOT / "config/config.yaml", ROOT / "config/examples/ecsi_wlsmv.yaml")
    assert cfg["model"]["estimator"] == "wlsmv"
    assert cfg["model"]["ordered"] == "all"
    assert int(cfg["bootstrap"]["replicates"]) == 0
