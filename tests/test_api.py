"""The public API: the README's library example runs as printed, ``import csindex`` is lazy and
lists the verbs, and PLS-PM and CB-SEM results share one interface whose numbers are the ones
the stages compute."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX

import csindex
from csindex.index import IndexOptions, index_tables
from csindex.results import CBSEMResults, ModelResults, PLSResults, Summary, results_class
from csindex.sem.outputs import model_tables


def _readme_block(repo_root) -> str:
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    section = text.split("## Library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_library_example_runs_as_printed(repo_root):
    code = _readme_block(repo_root)
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 10
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True
    ).stdout
    assert "PLS path model results" in out and "Structural paths" in out
    # the CSI line: satisfaction's index, as the index stage computes it
    data = pd.read_csv(repo_root / "data/ecsi/ecsi_mobi.csv", index_col=0)
    cs = csindex.fit(data, model="acsi").index(scale=(1, 10)).set_index("construct")
    assert f"{cs.loc['CS', 'index']:.6f}" in out


def test_import_is_lazy_and_lists_the_verbs():
    code = (
        "import sys, csindex; heavy = [m for m in ('pandas', 'scipy', 'csindex.sem') "
        "if m in sys.modules]; print(heavy); print(' '.join(dir(csindex)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]"
    verbs = set(out[1].split())
    assert {"draw_sample", "weight", "survey_design", "estimate", "fit", "acsi_index"} <= verbs
    assert "importlib" not in verbs
    with pytest.raises(AttributeError):
        csindex.no_such_verb  # noqa: B018


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0)


@pytest.fixture(scope="module")
def fits(data):
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(data))
    return {
        "pls": csindex.fit(data, model="acsi", weights=w),
        "cbsem": csindex.fit(data, model="acsi", estimator="cbsem", weights=w),
        "w": w,
    }


@pytest.mark.parametrize("est", ["pls", "cbsem"])
def test_one_interface_for_both_estimators(fits, est):
    res = fits[est]
    assert isinstance(res, ModelResults)
    assert isinstance(res, {"pls": PLSResults, "cbsem": CBSEMResults}[est])
    assert results_class({"estimator": est}) is type(res)
    assert type(ModelResults.of(res.fit, res.data)) is type(res)
    p = res.params
    assert p.index.names == ["lhs", "op", "rhs"]
    assert p.loc[("CS", "~", "PQ")] == pytest.approx(
        res.fit.to_frame().query("lhs == 'CS' and rhs == 'PQ'")["est"].iloc[0]
    )
    ci = res.conf_int(0.10)
    se = res.bse
    ok = se.notna() & (se > 0)
    if est == "cbsem":
        assert ok.sum() > 20
        half = (ci["upper"] - ci["lower"])[ok] / 2
        np.testing.assert_allclose(half, 1.6448536269514722 * se[ok], rtol=1e-12)
    else:
        assert not ok.any()  # PLS-PM: SEs from bootstrap() or replicate weights
    assert len(repr(res)) < 120 and "\n" not in repr(res)
    assert len(repr(res.fit)) < 120
    s = res.summary()
    assert isinstance(s, Summary)
    assert "Structural paths" in str(s) and "<table" in s._repr_html_()
    assert set(res.rsquared.index) >= {"PQ", "PV", "CS", "CC", "CL"}
    assert isinstance(res.admissible, bool)
    assert res.admissible == bool(res.admissibility["admissible"])
    assert len(res.used_rows) == res.nobs == 250


@pytest.mark.parametrize("est", ["pls", "cbsem"])
def test_index_is_the_index_stage_number(fits, data, est):
    # one computation: res.index() equals the index stage's table from the model stage's
    # outer weights (PLS outer weights / CB-SEM factor-score weights)
    res, w = fits[est], fits["w"]
    data = data.assign(segment=np.where(np.arange(len(data)) % 3 == 0, "business", "personal"))
    mt = model_tables(res.fit, res.spec, data, weights=w, model_cfg={"estimator": est})
    stage = index_tables(
        data,
        res.spec,
        mt.outer_weights,
        mt.effects,
        weights=w,
        model_cfg={"estimator": est},
        options=IndexOptions(scale=(1, 10), by=("segment",)),
    ).csi
    res.data = data
    mine = res.index(scale=(1, 10), by=["segment"])
    np.testing.assert_allclose(mine["index"], stage["index"], rtol=1e-12)
    assert list(mine["group"]) == list(stage["group"])


def test_bootstrap_is_seeded_and_gives_intervals(fits):
    a = fits["pls"].bootstrap(60, seed=4)
    b = fits["pls"].bootstrap(60, seed=4)
    pd.testing.assert_frame_equal(a, b)
    row = a.set_index("statistic").loc["path:PQ->CS"]
    assert row["ci_lower"] < fits["pls"].params.loc[("CS", "~", "PQ")] < row["ci_upper"]
    assert row["se"] > 0


def test_blas_threads_are_limited_inside_a_fit(data, monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    from csindex import threads
    from csindex.sem import pls

    seen = []
    real = pls.prepare_data

    def spy(*a, **k):
        seen.append(max(i["num_threads"] for i in threadpool_info()))
        return real(*a, **k)

    monkeypatch.setattr(pls, "prepare_data", spy)
    with threadpool_limits(2):  # as a notebook on a two-core machine
        csindex.fit(data, model="acsi")
        threads.set_blas_threads(None)  # the check can fail: unlimited, the fit sees 2
        try:
            csindex.fit(data, model="acsi")
        finally:
            threads.set_blas_threads(1)
    assert seen == [1, 2]
    with pytest.raises(ValueError):
        threads.set_blas_threads(0)


def test_unknown_estimator_or_model_is_a_config_error(data):
    from csindex.errors import ConfigError

    with pytest.raises(ConfigError, match="allowed: pls, cbsem"):
        csindex.fit(data, estimator="gsca")
    with pytest.raises(ConfigError, match="'acsi', 'ecsi'"):
        csindex.fit(data, model="nps")
