"""The design config: the demo and every example in config/examples/design_*.yaml validate
against the schema and draw a sample from a simulated frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from csindex.config import load_config
from csindex.errors import ConfigError
from csindex.sampling import design_plan, draw_from_config
from csindex.seeds import derive_seed
from csindex.simulate import simulate_frame

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "config" / "examples").glob("design_*.yaml"))


@pytest.fixture(scope="module")
def frame():
    cfg = load_config(ROOT / "config" / "config.yaml")
    section = dict(cfg["frame"])
    section["simulate"] = dict(section.get("simulate") or {}, n_customers=200_000)
    return simulate_frame(section, seed=5).to_frame()


def _cfg(*overlay):
    return load_config(ROOT / "config" / "config.yaml", *overlay)


def test_all_seven_design_examples_exist():
    names = {p.stem for p in EXAMPLES}
    assert names == {
        f"design_{m}"
        for m in ("srs", "systematic", "stratified", "cluster", "multistage", "threestage", "quota")
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_validates_and_draws(frame, path):
    cfg = _cfg(path)
    assert cfg["study"] == path.stem
    plan = design_plan(frame, cfg["design"], cfg["seed"])
    res = draw_from_config(frame, cfg["design"], cfg["seed"])
    assert res.info["seed"] == plan["seed"] == derive_seed(cfg["seed"], "design")
    s = res.sample
    assert len(s) > 100 and s["unit_id"].is_unique
    assert res.info["method"] == cfg["design"]["method"]
    if cfg["design"]["method"] == "quota":
        assert s["design_weight"].isna().all()
    else:
        assert plan["n_stage1"] == res.info["n_stage1"]
        # HT estimate of the frame size is close to N (exact for self-weighting designs)
        assert s["design_weight"].sum() == pytest.approx(len(frame), rel=0.6)


def test_demo_design_is_multistage_with_computed_n(frame):
    cfg = _cfg()
    plan = design_plan(frame, cfg["design"], cfg["seed"])
    ss = plan["sample_size"]
    assert plan["method"] == "multistage"
    assert ss["n_issued"] == int(np.ceil(ss["n_complete"] / 0.72))
    res = draw_from_config(frame, cfg["design"], cfg["seed"])
    n = len(res.sample)
    assert 0.8 * ss["n_issued"] <= n <= 1.05 * ss["n_issued"]
    # PPS on branch size, then a fixed number per branch: self-weighting up to take-alls
    assert res.sample["design_weight"].sum() == pytest.approx(len(frame), rel=1e-9)


def test_per_stratum_sample_size_gives_fixed_allocation(frame):
    section = _cfg(ROOT / "config/examples/design_stratified.yaml")["design"]
    section = dict(section, allocation={"method": "proportional", "minimum": 2})
    section["sample_size"] = dict(section["sample_size"], per_stratum=True)
    plan = design_plan(frame, section, 1)
    table = plan["allocation"]["table"]
    assert plan["allocation"]["method"] == "fixed"
    assert [r["n_stage1"] for r in table] == plan["sample_size"]["n_issued"]


def test_schema_rejects_unknown_design_key_and_method():
    with pytest.raises(ConfigError, match="design"):
        load_config(ROOT / "config" / "config.yaml", overrides={"design": {"method": "snowball"}})
    with pytest.raises(ConfigError, match="design"):
        load_config(ROOT / "config" / "config.yaml", overrides={"design": {"nn": 3}})
