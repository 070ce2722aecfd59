"""ModelSpec: ACSI/ECSI models, lavaan syntax round trip, config, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from csindex.errors import ConfigError
from csindex.instrument import load_instrument
from csindex.sem.spec import ACSI_PATHS, ModelSpec, acsi_spec, ecsi_spec, spec_from_config

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = {
    "CE": ["ce1", "ce2"],
    "PQ": ["pq1", "pq2"],
    "PV": ["pv1", "pv2"],
    "CS": ["cs1", "cs2"],
    "CC": ["cc1"],
    "CL": ["cl1", "cl2"],
}


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(ROOT / "config" / "instrument.yaml")


def test_acsi_spec_has_the_nine_paths_of_figure_4_1():
    spec = acsi_spec(BLOCKS)
    assert spec.paths == list(ACSI_PATHS)
    assert spec.exogenous == ["CE"]
    assert spec.endogenous == ["PQ", "PV", "CS", "CC", "CL"]
    assert spec.single_indicator == ["CC"]


def test_ecsi_spec_adds_image_paths():
    spec = ecsi_spec({"IM": ["im1", "im2"], **BLOCKS})
    assert {("IM", "CE"), ("IM", "CS"), ("IM", "CL")} <= set(spec.paths)
    assert len(spec.paths) == 12
    assert spec.constructs[0] == "IM"


def test_ecsi_without_complaints_keeps_the_paths_among_what_is_present():
    blocks = {k: v for k, v in BLOCKS.items() if k != "CC"}
    spec = ecsi_spec({"IM": ["im1", "im2"], **blocks})
    assert ("CS", "CC") not in spec.paths and ("CC", "CL") not in spec.paths
    assert ("CS", "CL") in spec.paths
    assert len(spec.paths) == 10


def test_lavaan_syntax_round_trip():
    spec = acsi_spec(BLOCKS)
    text = spec.to_lavaan()
    assert "CC =~ 1*cc1" in text and "cc1 ~~ 0*cc1" in text and "CS ~ CE + PQ + PV" in text
    back = ModelSpec.from_lavaan(text)
    assert back.blocks == spec.blocks
    assert set(back.paths) == set(spec.paths)
    assert back.covariances == []


def test_from_lavaan_reads_covariances_comments_and_semicolons():
    spec = ModelSpec.from_lavaan("A =~ 1*a1 + NA*a2 # note\nB =~ b1 + b2; B ~ A\na1 ~~ b1")
    assert spec.blocks == {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    assert spec.paths == [("A", "B")]
    assert spec.covariances == [("a1", "b1")]


def test_single_indicator_error_share_fixes_a_share_of_the_item_variance():
    spec = acsi_spec(BLOCKS, single_indicator_error_share=0.2)
    assert "cc1 ~~ 0.5*cc1" in spec.to_lavaan({"cc1": 2.5})
    with pytest.raises(ConfigError, match="variance of 'cc1'"):
        spec.to_lavaan()


def test_spec_from_config_defaults_to_acsi_on_the_instrument(instrument):
    spec = spec_from_config({}, instrument)
    assert spec.name == "acsi"
    assert spec.blocks == instrument.blocks()
    assert spec.paths == list(ACSI_PATHS)


def test_spec_from_config_custom_syntax(instrument):
    spec = spec_from_config(
        {"type": "custom", "syntax": "CS =~ CS1 + CS2\nCL =~ CL1 + CL2\nCL ~ CS"}, instrument
    )
    assert spec.paths == [("CS", "CL")]


@pytest.mark.parametrize(
    ("cfg", "key", "text"),
    [
        ({"type": "pls"}, "model.type", "allowed: acsi, ecsi, custom"),
        ({"type": "custom"}, "model.syntax", "syntax is empty"),
        ({"type": "custom", "syntax": "A => a1"}, "model.syntax", "allowed operators"),
        ({"type": "ecsi"}, "model.blocks", "needs construct"),
        ({"modes": {"CS": "C"}}, "model.modes.CS", "allowed: A, B"),
        ({"single_indicator_error_share": 1.0}, "share", "0 <= share < 1"),
    ],
)
def test_bad_model_config_names_key_and_allowed_values(instrument, cfg, key, text):
    with pytest.raises(ConfigError, match=text) as e:
        spec_from_config(cfg, instrument)
    assert key in str(e.value)


def test_unknown_construct_in_path_is_refused():
    with pytest.raises(ConfigError, match="not a construct"):
        ModelSpec(blocks={"A": ["a1"]}, paths=[("A", "Z")])


def test_item_in_two_blocks_is_refused():
    with pytest.raises(ConfigError, match="in both"):
        ModelSpec(blocks={"A": ["x", "y"], "B": ["x", "z"]}, paths=[])


def test_cyclic_paths_are_refused():
    with pytest.raises(ConfigError, match="cycle"):
        ModelSpec(blocks={"A": ["a"], "B": ["b"]}, paths=[("A", "B"), ("B", "A")])


def test_validate_against_data_columns_lists_missing_items():
    with pytest.raises(ConfigError, match="cl2"):
        acsi_spec(BLOCKS).validate(columns=[i for i in acsi_spec(BLOCKS).items if i != "cl2"])


def test_lavaan_modifiers_parse_to_fixed_free_labels_cross_loadings_and_defined():
    s = ModelSpec.from_lavaan(
        "A =~ NA*a1 + 1*a2 + a3\nB =~ b1 + l*b2 + a3\nB ~ p*A\nA ~~ 1*A\na1 ~~ B\nd := p*l"
    )
    assert s.blocks == {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}
    assert s.cross_loadings == [("B", "a3")]
    assert s.freed == [("A", "=~", "a1")]
    assert s.fixed == {("A", "=~", "a2"): 1.0, ("A", "~~", "A"): 1.0}
    assert s.labels == {("B", "=~", "b2"): "l", ("B", "~", "A"): "p"}
    assert s.covariances == [("a1", "B")]
    assert s.defined == [("d", "p*l")]
    assert ModelSpec.from_lavaan(s.to_lavaan()).to_dict() == s.to_dict()


@pytest.mark.parametrize(
    ("syntax", "token"),
    [
        ("A =~ a1 + start(0.5)*a2", "start(0.5)*"),
        ("A =~ a1 + a2\nA ~ 1", "~ 1"),
        ("A =~ a1 + a2\nd := q*2", "'q'"),
        ("A =~ a1 + a2\na1 == a2", "'=='"),
        ("A =~ a1 + a2\nd := __import__('os')", "only"),
    ],
)
def test_unsupported_lavaan_syntax_names_the_offending_token(syntax, token):
    with pytest.raises(ConfigError) as e:
        ModelSpec.from_lavaan(syntax)
    assert token in str(e.value)
    assert "model.syntax" in str(e.value)
