"""A wrong key, type or value in the study configuration stops the run with a message that names
the key, the value and what is allowed."""

import copy
import subprocess
import sys

import pytest
import yaml

from csindex.config import check_config, config_errors, load_config
from csindex.errors import ConfigError


@pytest.fixture
def demo(repo_root):
    return yaml.safe_load((repo_root / "config/config.yaml").read_text(encoding="utf-8"))


def errors_of(cfg):
    return "\n".join(config_errors(cfg))


def test_demo_config_is_valid(demo):
    assert config_errors(demo) == []


def test_defaults_are_filled_in(demo):
    del demo["language"]
    filled = check_config(demo)
    assert filled["language"] == "en"
    assert filled["start"] == "frame"


def test_validation_does_not_modify_the_input(demo):
    before = copy.deepcopy(demo)
    check_config(demo)
    assert demo == before


def test_misspelt_top_level_key_is_named_with_a_suggestion(demo):
    demo["desing"] = {}
    msg = errors_of(demo)
    assert "unknown key 'desing'" in msg
    assert "did you mean 'design'" in msg
    assert "allowed keys:" in msg


def test_missing_version_is_named(demo):
    del demo["version"]
    assert "config key version: required key is missing" in errors_of(demo)


def test_missing_study_is_named(demo):
    del demo["study"]
    assert "config key study: required key is missing" in errors_of(demo)


def test_language_outside_enum_lists_the_allowed_values(demo):
    demo["language"] = "fr"
    assert "config key language: value 'fr' is not allowed; allowed: en, zh" in errors_of(demo)


def test_start_outside_enum_lists_the_allowed_values(demo):
    demo["start"] = "sample"
    assert (
        "config key start: value 'sample' is not allowed; allowed: frame, responses"
        in errors_of(demo)
    )


def test_seed_of_wrong_type_names_the_expected_type(demo):
    demo["seed"] = "abc"
    msg = errors_of(demo)
    assert "config key seed: value 'abc' is a string; expected integer" in msg


def test_negative_seed_gives_the_minimum(demo):
    demo["seed"] = -1
    assert "config key seed: value -1 is too small; allowed: >= 0" in errors_of(demo)


def test_study_name_with_a_space_names_the_pattern(demo):
    demo["study"] = "company l"
    msg = errors_of(demo)
    assert "config key study: value 'company l' does not match the pattern" in msg


def test_version_with_a_slash_is_refused(demo):
    demo["version"] = "v1/../../etc"
    assert "config key version: value 'v1/../../etc' does not match" in errors_of(demo)


def test_section_of_wrong_type_is_named(demo):
    demo["design"] = "multistage"
    assert "config key design: value 'multistage' is a string; expected object" in errors_of(demo)


def test_instrument_of_wrong_type_is_named(demo):
    demo["instrument"] = 5
    assert "config key instrument: value 5 is an integer; expected string" in errors_of(demo)


def test_every_problem_is_reported_at_once(demo):
    demo["language"] = "fr"
    demo["seed"] = "x"
    demo["bogus"] = 1
    assert len(config_errors(demo)) == 3


def test_check_config_raises_config_error_listing_problems(demo):
    demo["language"] = "fr"
    with pytest.raises(ConfigError, match="1 problem"):
        check_config(demo)


def test_overlay_files_merge_recursively(tmp_path, repo_root):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("version: v9\nlanguage: zh\n", encoding="utf-8")
    cfg = load_config(repo_root / "config/config.yaml", overlay, overrides={"seed": 7})
    assert (cfg["version"], cfg["language"], cfg["seed"]) == ("v9", "zh", 7)
    assert cfg["study"] == "company_l"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("language=fr", "config key language: value 'fr' is not allowed; allowed: en, zh"),
        ("desing=1", "unknown key 'desing'"),
    ],
)
def test_snakemake_stops_before_any_rule_with_the_message(repo_root, tmp_path, override, expected):
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--config", override, "version=cfgtest"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert expected in out.stdout + out.stderr
    assert not (repo_root / "results/company_l/cfgtest").exists()
