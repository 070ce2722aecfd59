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


# ----------------------------------------------------------------- checked before any rule runs
def _demo_config(repo_root, *overlays):
    return load_config(repo_root / "config/config.yaml", *overlays)


def test_a_key_given_twice_in_an_overlay_is_refused(tmp_path, repo_root):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("version: v9\nseed: 1\nlanguage: zh\nseed: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        load_config(repo_root / "config/config.yaml", overlay)
    msg = str(ei.value)
    assert str(overlay) in msg and "'seed' is given twice (lines 2 and 4)" in msg
    from csindex.preflight import duplicate_key_problems

    assert duplicate_key_problems([overlay]) == [msg]


def test_merge_keys_may_be_overridden_without_a_duplicate_error(tmp_path):
    from csindex.config import load_yaml_strict

    p = tmp_path / "m.yaml"
    p.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n", encoding="utf-8")
    assert load_yaml_strict(p)["other"] == {"x": 3, "y": 2}


def test_a_key_given_twice_in_the_instrument_is_refused(tmp_path, repo_root):
    from csindex.instrument import load_instrument

    text = (repo_root / "config/instrument.yaml").read_text(encoding="utf-8")
    p = tmp_path / "inst.yaml"
    p.write_text(text.replace("name: company_l_csi\n", "name: a\nname: b\n", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config key instrument: .*'name' is given twice"):
        load_instrument(p)


def test_missing_code_inside_the_scale_is_refused(tmp_path, repo_root):
    from csindex.preflight import preflight

    text = (repo_root / "config/instrument.yaml").read_text(encoding="utf-8")
    p = tmp_path / "inst.yaml"
    p.write_text(text.replace("dont_know: [9]", "dont_know: [3]", 1), encoding="utf-8")
    cfg = _demo_config(repo_root)
    cfg["instrument"] = str(p)
    probs = preflight(cfg)
    assert probs and all(
        "missing_codes.dont_know 3 lies inside the valid scale 1..5" in x for x in probs
    )
    assert "item CE1" in probs[0]


def _problems(cfg):
    from csindex.preflight import preflight

    return preflight(cfg)


def test_demo_and_examples_pass_the_preflight(repo_root):
    assert _problems(_demo_config(repo_root)) == []
    for f in (repo_root / "config/examples").glob("*.yaml"):
        if not f.name.endswith("_instrument.yaml"):
            assert _problems(_demo_config(repo_root, f)) == [], f.name


def test_bad_model_syntax_is_found_before_any_rule(repo_root):
    cfg = _demo_config(repo_root)
    cfg["model"]["type"] = "custom"
    cfg["model"]["syntax"] = "CS =~ CS1 + CS2\nCS ~ NOPE\nCL ~~"
    probs = _problems(cfg)
    assert len(probs) == 1 and probs[0].startswith("config key model")


def test_fixed_allocation_is_checked_against_the_declared_strata(repo_root):
    cfg = _demo_config(repo_root)
    cfg["design"]["method"] = "stratified"
    cfg["design"]["strata"] = "region"
    cfg["design"]["allocation"] = {**cfg["design"]["allocation"], "method": "fixed", "fixed": {}}
    assert "no size per stratum" in "\n".join(_problems(cfg))
    regions = list(cfg["frame"]["simulate"]["regions"])
    fixed = dict.fromkeys(regions[:-1], 10) | {"R99": 5}
    cfg["design"]["allocation"]["fixed"] = fixed
    text = "\n".join(_problems(cfg))
    assert "R99 not in the frame's strata" in text
    assert f"no size for stratum/strata {regions[-1]}" in text
    assert "design.allocation.fixed" in text


def test_calibration_margins_are_checked_before_any_rule(repo_root):
    cfg = _demo_config(repo_root)
    cal = cfg["weighting"]["calibration"]
    cal.update(margins_from="config", margins={})
    assert "no margins are given" in "\n".join(_problems(cfg))
    cal["margins"] = {
        "region": {"R01": 600, "R02": 400},
        "segment": {"personal": 700, "family": 200},
    }
    assert "different population totals" in "\n".join(_problems(cfg))
    cal["margins"] = {"segment": {"personal": 0.7, "family": 0.2, "pets": 0.1}}
    text = "\n".join(_problems(cfg))
    assert "need weighting.calibration.population_total" in text
    assert "categories pets are not in the frame" in text


def test_expert_files_are_read_before_any_rule(repo_root, tmp_path):
    cfg = _demo_config(repo_root)
    cfg["indicators"]["levels"]["constructs"]["files"] = [str(tmp_path / "nope.csv")]
    assert "does not exist" in "\n".join(_problems(cfg))
    bad = tmp_path / "bad.csv"
    bad.write_text("expert,indicator,CE,XX\nE1,CE,,1\n", encoding="utf-8")
    cfg["indicators"]["levels"]["constructs"]["files"] = [str(bad)]
    probs = _problems(cfg)
    assert probs and "Traceback" not in probs[0]
    assert str(bad) in probs[0] or "indicators.levels.constructs" in probs[0]


def test_hash_without_salt_and_a_folder_as_responses_are_found(repo_root, tmp_path, monkeypatch):
    monkeypatch.delenv("CSINDEX_SALT", raising=False)
    cfg = _demo_config(repo_root)
    cfg["privacy"]["action"] = "hash"
    cfg["responses"]["path"] = str(tmp_path)
    text = "\n".join(_problems(cfg))
    assert "config key privacy.salt_env" in text and "export CSINDEX_SALT=" in text
    assert "config key responses.path" in text and "is a folder" in text


def test_long_version_and_study_names_are_refused(demo):
    demo["version"] = "v" * 300
    demo["study"] = "s" * 65
    text = errors_of(demo)
    assert "config key version" in text and "at most 64 characters" in text
    assert "config key study" in text


def test_snakemake_stops_on_a_duplicate_key_and_a_bad_syntax_before_any_rule(repo_root, tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        f"version: pre1\nresults_dir: {tmp_path / 'r'}\nseed: 1\nseed: 2\n", encoding="utf-8"
    )
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(overlay)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "'seed' is given twice (lines 3 and 4)" in text
    assert "Traceback" not in text
    assert not (tmp_path / "r").exists()
