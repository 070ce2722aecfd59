"""The questionnaire of table 4-1: 16 items under the six latent variables, scales, codes, labels."""

import pytest

from csindex.errors import ConfigError
from csindex.instrument import CONSTRUCTS, instrument_from_dict, load_instrument


@pytest.fixture(scope="module")
def instrument(repo_root):
    return load_instrument(repo_root / "config/instrument.yaml")


def test_demo_instrument_has_the_sixteen_items_of_table_4_1(instrument):
    assert len(instrument.items) == 16
    assert {c: len(v) for c, v in instrument.blocks().items()} == {
        "CE": 3,
        "PQ": 3,
        "PV": 3,
        "CS": 2,
        "CC": 2,
        "CL": 3,
    }


def test_constructs_are_the_six_latent_variables_in_model_order(instrument):
    assert tuple(instrument.construct_ids) == CONSTRUCTS


def test_every_item_has_chinese_and_english_labels(instrument):
    for item in instrument.items:
        assert item.label["zh"] and item.label["en"]


def test_likert_items_default_to_five_points_with_missing_codes(instrument):
    item = instrument.item("CE1")
    assert (item.scale.points, item.scale.min, item.scale.max) == (5, 1, 5)
    assert item.missing_codes == {"dont_know": [9.0], "refused": [8.0]}


def test_reverse_coded_item_is_flagged(instrument):
    assert instrument.item("CC2").reverse
    assert not instrument.item("CC1").reverse


def test_loyalty_quantities_are_collected_as_numbers(instrument):
    for iid in ("CL2", "CL3"):
        item = instrument.item(iid)
        assert item.kind == "quantity"
        assert item.quantity["unit"] == "%"
        assert len(item.quantity["cut"]["points"]) == 6  # five intervals


def test_fourth_level_of_figure_4_3_is_available(instrument):
    assert [g["id"] for g in instrument.level4_groups] == ["PQ_product", "PQ_service"]
    assert len(instrument.level4) == 6


def test_score_maps_to_0_100(instrument):
    assert instrument.item("CE1").scale.to_0_100(4) == 75.0


def test_ten_point_item_is_allowed():
    doc = {
        "constructs": [{"id": "CS"}],
        "items": [{"id": "S1", "construct": "CS", "scale": {"points": 10, "min": 1, "max": 10}}],
    }
    assert instrument_from_dict(doc).item("S1").scale.points == 10


def test_item_with_unknown_construct_is_refused():
    doc = {"constructs": [{"id": "CS"}], "items": [{"id": "X1", "construct": "ZZ"}]}
    with pytest.raises(ConfigError, match="names construct 'ZZ'; allowed: CS"):
        instrument_from_dict(doc)


def test_duplicated_item_id_is_refused():
    doc = {"constructs": [{"id": "CS"}], "items": [{"id": "A", "construct": "CS"}] * 2}
    with pytest.raises(ConfigError, match="duplicated"):
        instrument_from_dict(doc)


def test_scale_with_unsupported_points_is_refused():
    doc = {
        "constructs": [{"id": "CS"}],
        "items": [{"id": "A", "construct": "CS", "scale": {"points": 4}}],
    }
    with pytest.raises(ConfigError, match="allowed: 5, 7, 10, 11"):
        instrument_from_dict(doc)
