"""The indicator_weights step as the workflow runs it: the demo config's methods and expert
files (config/config.yaml, config/experts/) on a small synthetic clean data set."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from csindex.estimation import DesignVariables, survey_design
from csindex.indicators.pipeline import run_indicators, table_names
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_cfg():
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    return cfg["indicators"]


@pytest.fixture(scope="module")
def inst():
    return load_instrument(ROOT / "config/instrument.yaml")


def clean_data(inst, n=300, seed=7):
    rng = np.random.default_rng(seed)
    x = np.clip(np.round(3.5 + rng.normal(size=(n, 1)) + 0.8 * rng.normal(size=(n, 16))), 1, 5)
    x[rng.random(x.shape) < 0.03] = np.nan
    df = pd.DataFrame(x, columns=inst.item_ids)
    df.insert(0, "respondent_id", [f"R{k:06d}" for k in range(n)])
    df.insert(1, "segment", rng.choice(["personal", "family", "business"], n))
    return df


def run(cfg, inst, clean, **kw):
    def factory(scores):
        return survey_design(
            pd.concat([clean[["respondent_id", "segment"]], scores], axis=1),
            DesignVariables(weight=None),
        )

    return run_indicators(cfg, inst, clean, factory, base=ROOT, **kw)


def test_demo_config_gives_weights_of_every_level_and_declared_tables(demo_cfg, inst):
    clean = clean_data(inst)
    res = run(demo_cfg, inst, clean)
    used = res.weights[res.weights["role"] == "used"]
    assert set(used["node"]) == set(inst.construct_ids) | set(inst.item_ids)
    for lv in ("constructs", "indicators"):
        assert used.loc[used["level"] == lv, "global_weight"].sum() == pytest.approx(1.0)
    assert set(used.loc[used["level"] == "constructs", "method"]) == {"paired_comparison"}
    assert set(used.loc[used["level"] == "indicators", "method"]) == {"ahp"}
    alt = res.weights[res.weights["role"] == "alternative"]
    assert set(alt["method"]) == {"delphi", "entropy", "critic"}
    assert sorted(res.tables) == table_names(demo_cfg)
    delphi_info = res.summary["alternatives"][0]["delphi"]["CSI"]
    assert delphi_info["converged"] and delphi_info["converged_round"] == 3
    assert res.summary["warnings"] == []


def test_index_has_every_node_overall_and_by_segment(demo_cfg, inst):
    clean = clean_data(inst)
    res = run(demo_cfg, inst, clean)
    idx = res.index
    assert len(idx) == (1 + 6 + 16) * 4
    csi = idx[(idx["node"] == "CSI") & (idx["domain"] == "all")].iloc[0]
    assert csi["level"] == 1 and 0 < csi["estimate"] < 100 and csi["se"] > 0
    # unweighted, no missing CSI: the index is the plain mean of the respondents' CSI scores
    assert csi["estimate"] == pytest.approx(res.scores["CSI"].mean(), rel=1e-12)


def test_run_is_deterministic(demo_cfg, inst):
    clean = clean_data(inst)
    a, b = run(demo_cfg, inst, clean), run(demo_cfg, inst, clean)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    pd.testing.assert_frame_equal(a.index, b.index)


def test_entropy_at_indicator_level_uses_survey_weights(demo_cfg, inst):
    clean = clean_data(inst)
    cfg = copy.deepcopy(demo_cfg)
    cfg["levels"]["indicators"] = {"method": "entropy"}
    cfg["alternatives"] = []
    w1 = run(cfg, inst, clean).weights
    sw = np.where(clean["segment"] == "business", 5.0, 1.0)
    w2 = run(cfg, inst, clean, survey_weights=sw).weights
    a = w1.set_index("node")["local_weight"]
    b = w2.set_index("node")["local_weight"]
    assert not np.allclose(a.loc[inst.item_ids], b.loc[inst.item_ids])
    assert a.loc[["CE1", "CE2", "CE3"]].sum() == pytest.approx(1.0)


def test_model_derived_weights_wire_outer_weights_and_total_effects(demo_cfg, inst):
    clean = clean_data(inst)
    cfg = {
        "levels": {
            "constructs": {"method": "total_effects", "target": "CL"},
            "indicators": {"method": "outer_weights"},
        }
    }
    ow = pd.DataFrame(
        {
            "construct": [i.construct for i in inst.items],
            "item": inst.item_ids,
            "weight": np.linspace(0.3, 0.6, 16),
        }
    )
    effects = pd.DataFrame(
        {
            "from": ["CE", "PQ", "PV", "CS", "CC", "CL"],
            "to": "CL",
            "total": [0.1, 0.2, 0.15, 0.4, -0.15, 1.0],
        }
    )
    res = run(cfg, inst, clean, model={"outer_weights": ow, "effects": effects})
    w = res.weights.set_index("node")
    assert w.loc["CC", "local_weight"] == pytest.approx(0.15 / 2.0)
    assert w.loc["CE1", "local_weight"] == pytest.approx(ow.weight[0] / ow.weight[:3].sum())


def test_level4_questions_enter_when_present_in_the_data(inst):
    clean = clean_data(inst)
    rng = np.random.default_rng(2)
    for it in inst.level4:
        clean[it.id] = rng.integers(1, 6, len(clean)).astype(float)
    cfg = {"levels": {"level4": {"method": "entropy"}}}
    res = run(cfg, inst, clean)
    used = res.weights.set_index("node")
    assert used.loc["PQ_P1", "level"] == "level4" and used.loc["PQ_P1", "method"] == "entropy"
    assert used.loc["PQ_product", "parent"] == "PQ"
    level4 = res.weights[res.weights["level"] == "level4"]
    assert level4["global_weight"].sum() == pytest.approx(
        used.loc[["PQ_product", "PQ_service"], "global_weight"].sum()
    )
    assert {"PQ_product", "PQ_S3"} <= set(res.index["node"])


def test_level_configured_but_absent_is_a_config_error(inst):
    from csindex.errors import ConfigError

    with pytest.raises(ConfigError, match=r"indicators.levels.level4: level 'level4' is not in"):
        run({"levels": {"level4": {"method": "equal"}}}, inst, clean_data(inst))
