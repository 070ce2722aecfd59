"""The ACSI index, replicate-weight SEs and the importance-performance analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ecsi_models import ACSI_BLOCKS as BLOCKS
from ecsi_models import ACSI_MODEL_PATHS as PATHS
from ecsi_models import FIX

from csindex.errors import ConfigError
from csindex.index import (
    QUADRANTS,
    acsi_index,
    index_shares,
    ipa,
    item_performance,
    replicate_variance,
    scale_bounds,
)
from csindex.instrument import load_instrument
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec

ROOT = Path(__file__).parents[1]

SCALE = {i: (1.0, 10.0) for b in BLOCKS.values() for i in b}


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0)
    df["segment"] = np.where(np.arange(len(df)) % 4 == 0, "business", "personal")
    return df


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


def test_index_is_the_acsi_formula(mobi, spec) -> None:
    w = np.linspace(1, 3, len(mobi))
    res = fit_pls(mobi, spec, weights=w)
    raw = res.outer_weights.set_index("item")["weight_raw"]
    out = acsi_index(mobi, spec, raw, SCALE, w, by=["segment"])
    for c, items in BLOCKS.items():
        wi = raw.loc[items].to_numpy() / raw.loc[items].sum()
        for grp, mask in [
            ("all", np.ones(len(mobi), bool)),
            ("business", mobi.segment == "business"),
        ]:
            xbar = np.average(mobi.loc[mask, items].to_numpy(float), axis=0, weights=w[mask])
            hand = (wi @ xbar - wi.sum() * 1) / (wi.sum() * 10 - wi.sum() * 1) * 100
            got = out[(out.construct == c) & (out.group == grp)]["index"].item()
            assert got == pytest.approx(hand, abs=1e-10)
    assert set(out.group_var) == {"overall", "segment"}


def test_equal_weights_give_mean_of_item_scores_on_0_100(mobi, spec) -> None:
    eq = {i: 1.0 for i in SCALE}
    out = acsi_index(mobi, spec, eq, SCALE).set_index("construct")["index"]
    for c, items in BLOCKS.items():
        assert out[c] == pytest.approx(((mobi[items] - 1) / 9 * 100).to_numpy().mean(), abs=1e-10)


def test_a_group_where_an_item_has_no_answer_has_no_index_for_its_construct(mobi, spec) -> None:
    """A small segment whose respondents all skipped one item: that construct's index is not
    estimable in the segment (NaN); the segment's other constructs and the overall index stand.
    The same gap in the whole sample is an error."""
    from csindex.errors import InputError

    eq = {i: 1.0 for i in SCALE}
    item = BLOCKS["CS"][0]
    data = mobi.copy()
    data.loc[data.segment == "business", item] = np.nan
    out = acsi_index(data, spec, eq, SCALE, by=["segment"]).set_index(["construct", "group"])
    assert np.isnan(out.loc[("CS", "business"), "index"])
    for c in BLOCKS:
        assert np.isfinite(out.loc[(c, "all"), "index"]) and np.isfinite(
            out.loc[(c, "personal"), "index"]
        )
        if c != "CS":
            items = BLOCKS[c]
            rows = data.segment == "business"
            hand = ((data.loc[rows, items] - 1) / 9 * 100).to_numpy().mean()
            assert out.loc[(c, "business"), "index"] == pytest.approx(hand, abs=1e-10)
    data[item] = np.nan
    with pytest.raises(InputError, match="no answer"):
        acsi_index(data, spec, eq, SCALE, by=["segment"])


def test_index_shares_sum_to_one_and_handle_mixed_scales(spec) -> None:
    scale = dict(SCALE, CUEX1=(1.0, 5.0))
    sh = index_shares({i: 1.0 for i in SCALE}, spec, scale)
    np.testing.assert_allclose(sh.groupby("construct")["share"].sum(), 1.0)
    ce = sh[sh.construct == "CE"].set_index("item")["share"]
    assert ce["CUEX1"] == pytest.approx(4 / (4 + 9 + 9))


def test_scale_bounds_from_instrument_and_error_for_unknown_item() -> None:
    inst = load_instrument(ROOT / "config" / "instrument.yaml")
    b = scale_bounds(["CE1", "CS2"], inst)
    assert b["CE1"] == (1.0, 5.0)
    with pytest.raises(ConfigError, match="index.scale"):
        scale_bounds(["CUEX1"], inst)
    assert scale_bounds(["CUEX1"], inst, (1, 10))["CUEX1"] == (1.0, 10.0)


def test_replicate_variance_matches_svrepdesign_formula() -> None:
    theta = np.array([50.0, 60.0])
    reps = np.array([[49.0, 61.0], [52.0, 60.5], [50.5, 58.0]])
    rs = np.array([0.5, 1.0, 1.0])
    v = replicate_variance(theta, reps, 2.0, rs, mse=True)
    assert v[0] == pytest.approx(2 * (0.5 * 1 + 4 + 0.25))
    v2 = replicate_variance(theta, reps, 2.0, rs, mse=False)
    m = reps.mean(axis=0)
    assert v2[1] == pytest.approx(2 * (rs * (reps[:, 1] - m[1]) ** 2).sum())


def test_ipa_importance_is_the_unstandardized_slope_on_0_100(mobi) -> None:
    # one driver: the total effect on the 0-100 scale is the OLS slope of CS_100 on CE_100
    spec = ModelSpec(blocks={"CE": BLOCKS["CE"], "CS": BLOCKS["CS"]}, paths=[("CE", "CS")])
    res = fit_pls(mobi, spec)
    raw = res.outer_weights.set_index("item")["weight_raw"]
    sh = index_shares(raw, spec, SCALE)

    def score100(c):
        s = sh[sh.construct == c]
        x = (mobi[s["item"]].to_numpy(float) - 1) / 9 * 100
        return x @ s["share"].to_numpy()

    slope = np.polyfit(score100("CE"), score100("CS"), 1)[0]
    idx = acsi_index(mobi, spec, raw, SCALE).set_index("construct")["index"]
    perf = item_performance(mobi, spec, SCALE)
    t = ipa(res.effects, spec, sh, idx.to_dict(), perf.to_dict(), target="CS")
    row = t[(t.level == "construct") & (t.name == "CE")].iloc[0]
    assert row["importance"] == pytest.approx(slope, rel=1e-10)
    assert row["performance"] == pytest.approx(idx["CE"])
    items = t[t.level == "item"].set_index("name")
    assert items["importance"].sum() == pytest.approx(slope, rel=1e-10)


def test_ipa_quadrants_and_ranking(mobi, spec) -> None:
    res = fit_pls(mobi, spec)
    raw = res.outer_weights.set_index("item")["weight_raw"]
    sh = index_shares(raw, spec, SCALE)
    idx = acsi_index(mobi, spec, raw, SCALE).set_index("construct")["index"]
    perf = item_performance(mobi, spec, SCALE)
    t = ipa(res.effects, spec, sh, idx.to_dict(), perf.to_dict(), target="CS")
    cons = t[t.level == "construct"]
    assert set(cons["name"]) == {"CE", "PQ", "PV"}  # the drivers of CS
    for r in cons.itertuples():
        hi_i = r.importance >= cons["importance"].mean()
        hi_p = r.performance >= cons["performance"].mean()
        expect = {(True, False): QUADRANTS[0], (True, True): QUADRANTS[1]}.get(
            (hi_i, hi_p), QUADRANTS[2] if not hi_p else QUADRANTS[3]
        )
        assert r.quadrant == expect
    order = [QUADRANTS.index(q) for q in cons.sort_values("rank")["quadrant"]]
    assert order == sorted(order)
    assert list(cons.sort_values("rank")["rank"]) == [1, 2, 3]
    med = ipa(res.effects, spec, sh, idx.to_dict(), perf.to_dict(), split="median")
    assert med["importance_cut"].iloc[0] == pytest.approx(cons["importance"].median())


def test_ipa_rejects_unknown_target(mobi, spec) -> None:
    res = fit_pls(mobi, spec)
    raw = res.outer_weights.set_index("item")["weight_raw"]
    sh = index_shares(raw, spec, SCALE)
    with pytest.raises(ConfigError, match="ipa.target"):
        ipa(res.effects, spec, sh, {}, {}, target="SAT")
    with pytest.raises(ConfigError, match="ipa.split"):
        ipa(res.effects, spec, sh, {}, {}, split="mode")


def test_ipa_scale_factor_is_one_for_pls_and_rescales_for_other_metrics(mobi, spec) -> None:
    res = fit_pls(mobi, spec)
    ow = res.outer_weights
    lam_raw = ow["loading"].to_numpy() * res.sds.loc[ow["item"]].to_numpy()
    k = (ow["weight_raw"] * lam_raw).groupby(ow["construct"]).sum()
    np.testing.assert_allclose(k.to_numpy(), 1.0, atol=1e-12)  # unit-variance PLS scores
    raw = ow.set_index("item")["weight_raw"]
    sh = index_shares(raw, spec, SCALE)
    idx = acsi_index(mobi, spec, raw, SCALE).set_index("construct")["index"]
    perf = item_performance(mobi, spec, SCALE)
    base = ipa(res.effects, spec, sh, idx.to_dict(), perf.to_dict())
    with_k = ipa(res.effects, spec, sh, idx.to_dict(), perf.to_dict(), k=k.to_dict())
    np.testing.assert_allclose(with_k["importance"], base["importance"], rtol=1e-12)
    # a latent variable in another metric: eta' = 2 eta for PQ halves the effect PQ -> CS and
    # halves k_PQ (loadings on eta' are half); the importance is unchanged
    eff2 = res.effects.copy()
    eff2.loc[(eff2["from"] == "PQ") & (eff2["to"] == "CS"), "total"] /= 2
    k2 = dict(k.to_dict(), PQ=0.5)
    alt = ipa(eff2, spec, sh, idx.to_dict(), perf.to_dict(), k=k2).set_index(["level", "name"])
    b = base.set_index(["level", "name"])
    assert alt.loc[("construct", "PQ"), "importance"] == pytest.approx(
        b.loc[("construct", "PQ"), "importance"], rel=1e-12
    )
