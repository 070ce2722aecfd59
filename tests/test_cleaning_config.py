"""The cleaning, responses and privacy schemas: defaults equal the library's, the demo and the
ECSI example validate, and a wrong value stops with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from csindex.cleaning.ingest import RESPONSES_DEFAULTS
from csindex.cleaning.privacy import PRIVACY_DEFAULTS
from csindex.cleaning.rules import CLEANING_DEFAULTS
from csindex.config import config_errors, load_config
from csindex.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "workflow/schemas"


def _defaults(schema: dict) -> dict:
    out = {}
    for k, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            out[k] = _defaults(sub)
        else:
            out[k] = sub["default"]
    return out


@pytest.mark.parametrize(
    ("name", "lib"),
    [
        ("cleaning", CLEANING_DEFAULTS),
        ("responses", RESPONSES_DEFAULTS),
        ("privacy", PRIVACY_DEFAULTS),
    ],
)
def test_schema_defaults_equal_library_defaults(name, lib):
    schema = yaml.safe_load((SCHEMAS / f"{name}.schema.yaml").read_text(encoding="utf-8"))
    assert _defaults(schema) == lib
    assert schema["additionalProperties"] is False


def test_every_key_has_a_description():
    for name in ("cleaning", "responses", "privacy"):
        schema = yaml.safe_load((SCHEMAS / f"{name}.schema.yaml").read_text(encoding="utf-8"))
        stack = [schema]
        while stack:
            s = stack.pop()
            for k, sub in s.get("properties", {}).items():
                assert sub.get("description"), f"{name}.{k}"
                stack.append(sub)


def test_demo_and_ecsi_configs_validate():
    cfg = load_config(ROOT / "config/config.yaml")
    assert cfg["cleaning"]["speeders"]["fraction"] == 0.25
    ecsi = load_config(ROOT / "config/config.yaml", ROOT / "config/examples/ecsi_mobi.yaml")
    assert ecsi["start"] == "responses" and ecsi["study"] == "ecsi_mobi"
    assert ecsi["responses"]["id_column"] == ""


def test_wrong_cleaning_value_names_the_key():
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    cfg["cleaning"]["duplicates"]["keep"] = "best"
    cfg["privacy"]["action"] = "encrypt"
    problems = "\n".join(config_errors(cfg))
    assert "cleaning.duplicates.keep" in problems and "most_complete" in problems
    assert "privacy.action" in problems
    cfg["privacy"]["action"] = "drop"
    cfg["cleaning"]["duplicates"]["keep"] = "first"
    cfg["cleaning"]["speeders"]["fractio"] = 0.3
    with pytest.raises(ConfigError, match="did you mean 'fraction'"):
        load_config_from(cfg)


def load_config_from(cfg: dict):
    from csindex.config import check_config

    return check_config(cfg)
