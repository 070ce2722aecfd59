"""The frame and fieldwork config sections: schema defaults, the demo config, bad values."""

from __future__ import annotations

import pytest
import yaml

from csindex.config import config_errors
from csindex.simulate import DEFAULT_FIELDWORK, DEFAULT_FRAME


@pytest.fixture
def demo(repo_root):
    return yaml.safe_load((repo_root / "config/config.yaml").read_text(encoding="utf-8"))


def schema_defaults(schema: dict) -> dict:
    """The config a section gets from its schema's defaults (every nested object filled)."""
    out = {}
    for key, sub in schema["properties"].items():
        if "properties" in sub:
            out[key] = {**sub.get("default", {}), **schema_defaults(sub)}
        else:
            out[key] = sub["default"]
    return out


@pytest.mark.parametrize(
    ("name", "defaults"), [("frame", DEFAULT_FRAME), ("fieldwork", DEFAULT_FIELDWORK)]
)
def test_schema_defaults_equal_the_library_defaults(repo_root, name, defaults):
    path = repo_root / "workflow" / "schemas" / f"{name}.schema.yaml"
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert schema_defaults(schema) == defaults


def test_empty_sections_are_valid(demo):
    demo["frame"], demo["fieldwork"] = {}, {}
    assert config_errors(demo) == []


def test_demo_config_writes_out_the_true_parameters(demo):
    assert demo["frame"] == DEFAULT_FRAME
    assert demo["fieldwork"] == DEFAULT_FIELDWORK
    assert demo["fieldwork"]["model"]["paths"]["CS->CC"] < 0


@pytest.mark.parametrize(
    ("section", "patch", "expected"),
    [
        ("frame", {"simulate": {"n_customers": "many"}}, "frame.simulate.n_customers"),
        ("frame", {"simulate": {"n_customer": 10}}, "n_customer"),
        ("frame", {"simulate": {"regions": {"R01": -1}}}, "frame.simulate.regions.R01"),
        ("fieldwork", {"pilot_n": -5}, "fieldwork.pilot_n"),
        ("fieldwork", {"defects": {"speeders": 1.5}}, "fieldwork.defects.speeders"),
        ("fieldwork", {"model": {"paths": {"CS->XX": 0.3}}}, "CS->XX"),
        ("fieldwork", {"response": {"segment": {"personal": 1.2}}}, "fieldwork.response.segment"),
        ("fieldwork", {"start_date": "1 Sept"}, "fieldwork.start_date"),
    ],
)
def test_wrong_value_names_the_key(demo, section, patch, expected):
    demo[section] = patch
    msg = "\n".join(config_errors(demo))
    assert expected in msg, msg
