"""One variance engine: every SE the index, model and report stages write equals the SE of the
engine (csindex.estimation) for the same statistic, on a small demo-like weights file with a
fully sampled stratum (rscales = 0), a single-PSU stratum and mse = FALSE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX
from ecsi_models import SMALL_BLOCKS as BLOCKS
from ecsi_models import SMALL_PATHS as PATHS

from csindex.estimation import (
    ReplicateDesign,
    design_from_weights_file,
    replicate_design,
    replicate_variance,
    survey_proportions,
    survey_replicate,
)
from csindex.index import IndexOptions, index_keys, index_tables
from csindex.report.tables import Replicates, answer_distribution
from csindex.sem.bootstrap import pls_setup, pls_stats, stat_names
from csindex.sem.outputs import fit_model, model_tables
from csindex.sem.spec import ModelSpec
from csindex.weighting import jkn_replicates

ICFG = {"by": ["segment"], "scale": {"min": 1, "max": 10}, "level": 0.95}
MCFG = {"estimator": "pls"}
ITEMS = ["CUSA1", "CUSA2", "CUSL1"]


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    df.insert(0, "respondent_id", [f"r{k:03d}" for k in range(len(df))])
    df["segment"] = np.where(np.arange(len(df)) % 3 == 0, "business", "personal")
    df.loc[[5, 11, 40], "CUSA2"] = np.nan
    return df


def _weights_file(data: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Stratum A fully sampled (fpc_1 = its PSU count: rscales 0), stratum D a single PSU."""
    n = len(data)
    k = np.arange(n)
    stratum = np.select([k < 60, k < 150, k < 245], ["A", "B", "C"], "D")
    psu = np.array([f"{s}{i // 5:02d}" for s, i in zip(stratum, k, strict=True)])
    psu[stratum == "D"] = "D00"
    npsu = pd.Series(psu).groupby(stratum).transform("nunique").to_numpy(float)
    fpc = np.where(stratum == "A", npsu, npsu * 4)
    w = np.linspace(0.5, 2.0, n)
    rep = jkn_replicates(stratum, psu, fpc=fpc, lonely_psu="adjust")
    assert (rep.rscales == 0).any() and not rep.mse
    wdf = pd.DataFrame(
        {"respondent_id": data["respondent_id"], "stratum": stratum, "psu": psu, "fpc_1": fpc}
    )
    wdf["w_final"] = w
    R = rep.factors.shape[1]
    reps = pd.DataFrame(w[:, None] * rep.factors, columns=[f"rep_{r + 1:03d}" for r in range(R)])
    wdf = pd.concat([wdf, reps], axis=1)
    diag = {
        "replicate_type": "JKn",
        "scale": rep.scale,
        "rscales": rep.rscales.tolist(),
        "mse": False,
        "lonely_psu": "adjust",
    }
    return wdf, diag


@pytest.fixture(scope="module")
def wfile(data):
    return _weights_file(data)


def test_replicate_variance_centres_on_the_replicates_with_positive_rscales() -> None:
    rng = np.random.default_rng(1)
    th = rng.normal(size=(6, 2))
    rs = np.array([1.0, 0.5, 0.0, 1.0, 0.0, 2.0])
    c = th[rs > 0].mean(axis=0)  # R svrVar: colMeans(thetas[rscales > 0, ])
    want = 0.7 * (rs[:, None] * (th - c) ** 2).sum(axis=0)
    np.testing.assert_allclose(replicate_variance([0.1, 0.2], th, 0.7, rs, False), want)
    want_mse = 0.7 * (rs[:, None] * (th - [0.1, 0.2]) ** 2).sum(axis=0)
    np.testing.assert_allclose(replicate_variance([0.1, 0.2], th, 0.7, rs, True), want_mse)
    # the mean over all replicates would differ: the test can fail
    assert not np.allclose(want, 0.7 * (rs[:, None] * (th - th.mean(0)) ** 2).sum(axis=0))


def test_one_replicate_design_type_and_one_mse_default(wfile) -> None:
    wdf, diag = wfile
    d = replicate_design(wdf, {k: v for k, v in diag.items() if k != "mse"})
    assert isinstance(d, ReplicateDesign) and d.mse is False
    r = Replicates(wdf.filter(like="rep_").to_numpy(), 1.0, np.ones(d.n_replicates))
    assert isinstance(r, ReplicateDesign) and r.mse is False
    assert design_from_weights_file(wdf, {k: v for k, v in diag.items() if k != "mse"}).mse is False


def test_model_and_index_replicate_ses_equal_the_engine(data, spec, wfile) -> None:
    wdf, diag = wfile
    w = wdf["w_final"].to_numpy()
    reps = replicate_design(wdf, diag)
    res = fit_model(data, spec, MCFG, w)
    mt = model_tables(res, spec, data, weights=w, model_cfg=MCFG, replicates=reps)
    it = index_tables(
        data,
        spec,
        mt.outer_weights,
        mt.effects,
        weights=w,
        model_cfg=MCFG,
        options=IndexOptions.from_config(ICFG),
        replicates=reps,
    )
    design = design_from_weights_file(wdf, diag, data=data)
    assert design.is_replicate and (design.rscales == 0).any()
    setup = pls_setup(data, spec, w, MCFG, ICFG)

    def stat(wv: np.ndarray) -> np.ndarray:
        return pls_stats(setup, wv[setup.rows][None, :])[0][0]

    eng = survey_replicate(design, stat, names=stat_names(setup)).set_index("variable")["se"]
    est = mt.estimates
    keys = [
        f"loading:{a}=~{b}" if op == "=~" else f"path:{b}->{a}"
        for a, op, b in zip(est["lhs"], est["op"], est["rhs"], strict=True)
    ]
    np.testing.assert_allclose(est["se"], eng.reindex(keys).to_numpy(), rtol=1e-10)
    r2 = mt.r2
    np.testing.assert_allclose(
        r2["se"], eng.reindex([f"r2:{c}" for c in r2["variable"]]), rtol=1e-10
    )
    eff = mt.effects
    tkeys = [f"total:{a}->{b}" for a, b in zip(eff["from"], eff["to"], strict=True)]
    np.testing.assert_allclose(eff["total_se"], eng.reindex(tkeys), rtol=1e-10)
    np.testing.assert_allclose(
        it.csi["se_replicate"], eng.reindex(index_keys(it.csi)).to_numpy(), rtol=1e-10
    )


def _answers(data: pd.DataFrame, wdf: pd.DataFrame, **kw) -> pd.DataFrame:
    codes = {i: np.arange(1.0, 11.0) for i in ITEMS}
    return answer_distribution(data, ITEMS, codes, wdf["w_final"], **kw)


def _engine_pct(design) -> pd.DataFrame:
    p = survey_proportions(design, ITEMS)
    return pd.DataFrame(
        {
            "item": p["variable"],
            "code": p["category"].astype(float),
            "pct_e": 100 * p["estimate"],
            "se_e": 100 * p["se"],
        }
    )


def test_report_replicate_ses_equal_the_engine(data, wfile) -> None:
    wdf, diag = wfile
    reps = Replicates(
        wdf.filter(like="rep_").to_numpy(), diag["scale"], np.asarray(diag["rscales"]), False
    )
    got = _answers(data, wdf, replicates=reps)
    m = got.merge(_engine_pct(design_from_weights_file(wdf, diag, data=data)), on=["item", "code"])
    assert len(m) == got["n"].gt(0).sum()
    np.testing.assert_allclose(m["w_pct"], m["pct_e"], rtol=1e-12)
    np.testing.assert_allclose(m["w_se"], m["se_e"], rtol=1e-10)


@pytest.mark.parametrize("lonely", ["adjust", "remove", "average"])
def test_report_taylor_ses_equal_the_engine_and_follow_lonely_psu(data, wfile, lonely) -> None:
    wdf, diag = wfile
    diag = dict(diag, lonely_psu=lonely)
    design = design_from_weights_file(wdf, diag, data=data, use_replicates=False)
    eng = _engine_pct(design)
    got = _answers(data, wdf, design=design).merge(eng, on=["item", "code"])
    np.testing.assert_allclose(got["w_se"], got["se_e"], rtol=1e-10)
    # the stratum/psu path (no fpc) honours lonely_psu too
    nofpc = design_from_weights_file(
        wdf.drop(columns="fpc_1"), diag, data=data, use_replicates=False
    )
    got2 = _answers(data, wdf, stratum=wdf["stratum"], psu=wdf["psu"], lonely_psu=lonely)
    got2 = got2.merge(_engine_pct(nofpc), on=["item", "code"])
    np.testing.assert_allclose(got2["w_se"], got2["se_e"], rtol=1e-10)


def test_report_lonely_psu_setting_changes_the_se(data, wfile) -> None:
    wdf, _ = wfile
    a = _answers(data, wdf, stratum=wdf["stratum"], psu=wdf["psu"], lonely_psu="adjust")
    r = _answers(data, wdf, stratum=wdf["stratum"], psu=wdf["psu"], lonely_psu="remove")
    ok = a["w_se"] > 0
    assert (a.loc[ok, "w_se"] > r.loc[ok, "w_se"]).any()
