"""Hierarchy, combined weights and the weighted index of every node.

Real data (ECSI mobile, 250 respondents, 10-point items, deterministic missing cells) with a
stratified design and unequal weights: per-respondent node scores and the survey-weighted index
(overall and by domain, with SE) against R survey's svymean/svyby
(tests/r/indicators_reference.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError
from csindex.estimation import DesignVariables, survey_design
from csindex.indicators import (
    WeightResult,
    build_hierarchy,
    combine_weights,
    direct_weights,
    item_scores,
    node_scores,
    weighted_index,
)
from csindex.instrument import instrument_from_dict, load_instrument

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "indicators"
BLOCKS = {
    "IMAG": [f"IMAG{k}" for k in range(1, 6)],
    "CUEX": [f"CUEX{k}" for k in range(1, 4)],
    "PERQ": [f"PERQ{k}" for k in range(1, 8)],
    "PERV": ["PERV1", "PERV2"],
    "CUSA": [f"CUSA{k}" for k in range(1, 4)],
    "COMP": ["CUSCO"],
    "CUSL": [f"CUSL{k}" for k in range(1, 4)],
}
CONS_W = {
    "IMAG": 0.10,
    "CUEX": 0.10,
    "PERQ": 0.20,
    "PERV": 0.15,
    "CUSA": 0.25,
    "COMP": 0.05,
    "CUSL": 0.15,
}


def ecsi_instrument():
    doc = {
        "constructs": [{"id": c, "label": {"en": c}} for c in BLOCKS],
        "defaults": {"scale": {"points": 10, "min": 1, "max": 10}},
        "items": [{"id": i, "construct": c} for c, items in BLOCKS.items() for i in items],
    }
    return instrument_from_dict(doc, source="ecsi")


def ecsi_weights(h):
    local = {"CSI": direct_weights(pd.Series(CONS_W), parent="CSI")}
    for c, items in BLOCKS.items():
        k = np.arange(1, len(items) + 1, dtype=float)
        local[c] = WeightResult("direct", c, pd.Series(k / k.sum(), index=items), pd.DataFrame())
    return combine_weights(h, local)


@pytest.fixture(scope="module")
def ecsi():
    inst = ecsi_instrument()
    h = build_hierarchy(inst)
    data = pd.read_csv(FIX / "ecsi_mobi_input.csv")
    comb = ecsi_weights(h)
    scores = node_scores(data, inst, h, comb, reverse_in_parent=["COMP"], min_share=0.5)
    return inst, h, data, comb, scores


def test_node_scores_match_r_including_missing_cells(ecsi):
    *_, scores = ecsi
    ref = pd.read_csv(FIX / "ecsi_mobi_scores.csv")
    for col in ref.columns[1:]:
        np.testing.assert_allclose(
            scores[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, err_msg=col
        )
    # the min_share rule really removed someone (row 37: 6 of 7 PERQ items missing)
    assert np.isnan(scores["PERQ"].iloc[36]) and np.isfinite(scores["PERQ"].iloc[10])


def test_weighted_index_and_se_match_r_survey(ecsi):
    _, h, data, _, scores = ecsi
    df = pd.concat([data[["respondent_id", "stratum", "w", "dom"]], scores], axis=1)
    design = survey_design(df, DesignVariables(weight="w", strata="stratum"))
    idx = weighted_index(scores, h, design, domains=["dom"])
    ref = pd.read_csv(FIX / "ecsi_mobi_index.csv")
    m = ref.merge(idx, on=["node", "domain"], suffixes=("_r", ""), validate="one_to_one")
    assert len(m) == len(ref) == len(idx) == 32 * 4
    np.testing.assert_allclose(m["estimate"], m["estimate_r"], rtol=1e-10)
    np.testing.assert_allclose(m["se"], m["se_r"], rtol=1e-8)
    assert (m["ci_lower"] < m["estimate"]).all() and (m["estimate"] < m["ci_upper"]).all()


def test_global_weights_are_products_and_sum_to_one_per_level(ecsi):
    _, h, _, comb, _ = ecsi
    g = comb.set_index("node")
    assert g.loc["PERQ7", "global_weight"] == pytest.approx(0.20 * 7 / 28, rel=1e-15)
    for lv in ("constructs", "indicators"):
        assert comb.loc[comb["level"] == lv, "global_weight"].sum() == pytest.approx(1.0)


def test_index_of_a_node_is_weighted_mean_of_children_when_nothing_missing():
    inst = load_instrument(ROOT / "config/instrument.yaml")
    h = build_hierarchy(inst)
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.integers(1, 6, size=(50, 16)).astype(float), columns=inst.item_ids)
    local = {}
    for p, kids in {**h.parents_at("constructs"), **h.parents_at("indicators")}.items():
        u = rng.uniform(0.1, 1, len(kids))
        local[p] = direct_weights(pd.Series(u / u.sum(), index=kids), parent=p)
    comb = combine_weights(h, local)
    s = node_scores(data, inst, h, comb, reverse_in_parent=["CC"])
    w = comb.set_index("node")["local_weight"]
    expect_ce = sum(w[i] * (data[i] - 1) / 4 * 100 for i in ["CE1", "CE2", "CE3"])
    np.testing.assert_allclose(s["CE"], expect_ce, rtol=1e-12)
    expect_csi = sum(w[c] * (100 - s[c] if c == "CC" else s[c]) for c in inst.construct_ids)
    np.testing.assert_allclose(s["CSI"], expect_csi, rtol=1e-12)
    design = survey_design(
        pd.concat([data, s.drop(columns=inst.item_ids)], axis=1), DesignVariables(weight=None)
    )
    idx = weighted_index(s, h, design).set_index("node")
    assert idx.loc["CE", "estimate"] == pytest.approx(expect_ce.mean(), rel=1e-12)
    # unweighted: SRS-with-replacement SE = sd / sqrt(n)
    assert idx.loc["CE", "se"] == pytest.approx(expect_ce.std(ddof=1) / np.sqrt(50), rel=1e-10)


def test_item_outside_its_scale_is_an_error_naming_row_and_column():
    inst = load_instrument(ROOT / "config/instrument.yaml")
    data = pd.DataFrame({i: [3.0, 4.0, 2.0] for i in inst.item_ids})
    data.loc[1, "PV2"] = 9.0
    with pytest.raises(InputError, match=r"row 2, column 'PV2'.*outside the item's scale 1..5"):
        item_scores(data, inst, inst.item_ids)


def test_hierarchy_has_four_levels_with_level4_under_pq():
    inst = load_instrument(ROOT / "config/instrument.yaml")
    h = build_hierarchy(inst, level4=True)
    assert h.parents_at("level4") == {
        "PQ_product": ["PQ_P1", "PQ_P2", "PQ_P3"],
        "PQ_service": ["PQ_S1", "PQ_S2", "PQ_S3"],
    }
    assert h.children("PQ") == ["PQ1", "PQ2", "PQ3", "PQ_product", "PQ_service"]
    assert sorted(h.nodes["level_number"].unique()) == [1, 2, 3, 4]


def test_construct_and_item_sharing_an_id_is_a_config_error():
    doc = {
        "constructs": [{"id": "CUSCO"}],
        "items": [{"id": "CUSCO", "construct": "CUSCO"}],
    }
    from csindex.errors import ConfigError

    with pytest.raises(ConfigError, match=r"ids \['CUSCO'\] are used by more than one node"):
        build_hierarchy(instrument_from_dict(doc, source="x.yaml"))
