"""Batched PLS bootstrap: seeds, shards, equality with single weighted fits, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import ACSI_BLOCKS as BLOCKS
from ecsi_models import ACSI_MODEL_PATHS as PATHS
from ecsi_models import FIX
from scipy.stats import norm

from csindex.sem.bootstrap import (
    CHUNK,
    PLSBootSetup,
    bootstrap_intervals,
    bootstrap_pls,
    jackknife_pls,
    pls_stats,
    replicate_counts,
    shard_range,
    stat_names,
)
from csindex.sem.pls import fit_pls
from csindex.sem.spec import ModelSpec


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0)
    df["segment"] = np.where(np.arange(len(df)) % 3 == 0, "business", "personal")
    return df


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


@pytest.fixture(scope="module")
def setup(mobi, spec) -> PLSBootSetup:
    w = np.linspace(0.5, 1.5, len(mobi))
    return PLSBootSetup.from_data(
        mobi, spec, w, scale={i: (1, 10) for i in spec.items}, group_by=["segment"]
    )


def test_replicate_counts_do_not_depend_on_the_range() -> None:
    a = replicate_counts(40, 7, 0, 10)
    b = np.vstack([replicate_counts(40, 7, 0, 3), replicate_counts(40, 7, 3, 10)])
    np.testing.assert_array_equal(a, b)
    assert (a.sum(axis=1) == 40).all()
    rng = np.random.default_rng([7, 4])
    np.testing.assert_array_equal(a[4], np.bincount(rng.integers(0, 40, 40), minlength=40))
    assert not np.array_equal(a, replicate_counts(40, 8, 0, 10))


def test_shard_ranges_cover_all_replicates_in_whole_chunks() -> None:
    for R, K in [(1000, 4), (1000, 3), (130, 2), (49, 5)]:
        ranges = [shard_range(R, K, k) for k in range(K)]
        assert ranges[0][0] == 0 and ranges[-1][1] == R
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert all(r[0] % CHUNK == 0 for r in ranges if r[1] > r[0])  # empty shards allowed


def test_one_shard_and_four_shards_are_identical(setup) -> None:
    R = 230
    one = bootstrap_pls(setup, 11, *shard_range(R, 1, 0))
    four = pd.concat(
        [bootstrap_pls(setup, 11, *shard_range(R, 4, k)) for k in range(4)], ignore_index=True
    )
    pd.testing.assert_frame_equal(one, four, check_exact=True)
    assert list(one["replicate"]) == list(range(R))


def test_a_replicate_equals_a_weighted_fit_with_counts(mobi, spec, setup) -> None:
    boot = bootstrap_pls(setup, 3, 0, 5)
    counts = replicate_counts(setup.n, 3, 0, 5)
    for b in (0, 4):
        res = fit_pls(mobi, spec, weights=counts[b] * setup.w)
        row = boot.iloc[b]
        for r in res.paths.itertuples():
            assert row[f"path:{r.rhs}->{r.lhs}"] == pytest.approx(r.est, abs=1e-12)
        for r in res.effects.itertuples():
            assert row[f"total:{r._1}->{r.to}"] == pytest.approx(r.total, abs=1e-12)
        for c, v in res.r2.dropna().items():
            assert row[f"r2:{c}"] == pytest.approx(v, abs=1e-12)
        for r in res.outer_weights.itertuples():
            assert row[f"weight:{r.construct}=~{r.item}"] == pytest.approx(r.weight, abs=1e-12)


def test_full_sample_statistics_equal_fit_and_index_formula(mobi, spec, setup) -> None:
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    res = fit_pls(mobi, spec, weights=setup.w)
    ow = res.outer_weights
    for c in spec.constructs:
        o = ow[ow["construct"] == c]
        wr = o["weight_raw"].to_numpy()
        xbar = np.average(mobi[o["item"]].to_numpy(float), axis=0, weights=setup.w)
        hand = (wr @ xbar - wr.sum() * 1) / (wr.sum() * 10 - wr.sum() * 1) * 100
        assert est[f"index:{c}"] == pytest.approx(hand, abs=1e-10)
        m = (mobi["segment"] == "business").to_numpy()
        xg = np.average(mobi.loc[m, o["item"]].to_numpy(float), axis=0, weights=setup.w[m])
        hand_g = (wr @ xg - wr.sum()) / (9 * wr.sum()) * 100
        assert est[f"index:{c}|segment=business"] == pytest.approx(hand_g, abs=1e-10)


def test_percentile_interval_and_se(setup) -> None:
    boot = bootstrap_pls(setup, 5, 0, 200)
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    ci = bootstrap_intervals(boot, est, None, level=0.9).set_index("statistic")
    col = boot["path:PQ->CS"].to_numpy()
    assert ci.loc["path:PQ->CS", "se"] == pytest.approx(col.std(ddof=1), rel=1e-12)
    assert ci.loc["path:PQ->CS", "ci_lower"] == pytest.approx(np.quantile(col, 0.05), rel=1e-12)
    assert ci.loc["path:PQ->CS", "ci_upper"] == pytest.approx(np.quantile(col, 0.95), rel=1e-12)
    assert ci.loc["path:PQ->CS", "kind"] == "path"


def test_bca_follows_efron_formula(setup) -> None:
    boot = bootstrap_pls(setup, 5, 0, 300)
    names = stat_names(setup)
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=names)
    jk = jackknife_pls(setup)
    assert jk.shape == (setup.n, len(names))
    ci = bootstrap_intervals(boot, est, jk).set_index("statistic")
    k = names.index("index:CS")
    t = boot["index:CS"].to_numpy()
    z0 = norm.ppf(np.mean(t < est.iloc[k]))
    d = jk[:, k].mean() - jk[:, k]
    a = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
    lo = norm.cdf(z0 + (z0 - 1.959963984540054) / (1 - a * (z0 - 1.959963984540054)))
    assert ci.loc["index:CS", "bca_lower"] == pytest.approx(np.quantile(t, lo), rel=1e-10)
    assert ci.loc["index:CS", "acceleration"] == pytest.approx(a, rel=1e-10)


def test_nonconverged_replicates_are_dropped_and_counted(setup) -> None:
    boot = bootstrap_pls(setup, 5, 0, 60)
    boot.loc[[3, 7], "converged"] = False
    boot.loc[3, "path:PQ->CS"] = 99.0
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    ci = bootstrap_intervals(boot, est).set_index("statistic")
    assert (ci["replicates"] == 58).all()
    assert ci.loc["path:PQ->CS", "ci_upper"] < 1


def test_index_stats_with_given_weights_equal_the_pls_index(setup) -> None:
    from csindex.sem.bootstrap import index_stats

    boot = bootstrap_pls(setup, 9, 0, 20)
    counts = replicate_counts(setup.n, 9, 0, 20)
    spec = setup.spec
    sd = np.sqrt(
        np.array(
            [
                np.cov(setup.X[:, j], aweights=counts[b] * setup.w, bias=True)
                for b in range(20)
                for j in range(setup.X.shape[1])
            ]
        ).reshape(20, -1)
    )
    wcols = [f"weight:{spec.construct_of(i)}=~{i}" for i in spec.items]
    Wraw = boot[wcols].to_numpy() / sd
    got = index_stats(setup, counts * setup.w[None, :], Wraw)
    for c in got.columns:
        np.testing.assert_allclose(got[c].to_numpy(), boot[c].to_numpy(), rtol=1e-10)


def test_empty_shard_has_typed_columns(setup) -> None:
    start, stop = shard_range(60, 4, 3)  # two chunks of 50 over four shards: one is empty
    assert start == stop
    empty = bootstrap_pls(setup, 1, start, stop)
    assert len(empty) == 0 and empty["path:PQ->CS"].dtype == np.float64
    assert empty["replicate"].dtype == np.int64 and empty["converged"].dtype == bool


def test_replicates_with_missing_items_equal_weighted_pairwise_fits(mobi, spec) -> None:
    df = mobi.copy()
    rng = np.random.default_rng(8)
    for c in ["CUEX2", "PERQ1", "PERV2", "CUSL1"]:
        df.loc[rng.random(len(df)) < 0.12, c] = np.nan
    w = np.linspace(0.5, 1.5, len(df))
    st = PLSBootSetup.from_data(
        df, spec, w, scale={i: (1, 10) for i in spec.items}, group_by=["segment"]
    )
    assert np.isnan(st.X).any() and st.n == len(df)
    boot = bootstrap_pls(st, 4, 0, 3)
    counts = replicate_counts(st.n, 4, 0, 3)
    for b in range(3):
        res = fit_pls(df, spec, weights=counts[b] * w)
        row = boot.iloc[b]
        for r in res.paths.itertuples():
            assert row[f"path:{r.rhs}->{r.lhs}"] == pytest.approx(r.est, abs=1e-10)
        for r in res.outer_weights.itertuples():
            assert row[f"loading:{r.construct}=~{r.item}"] == pytest.approx(r.loading, abs=1e-10)
    # the index uses available-case weighted item means
    from csindex.index import acsi_index

    full = pd.Series(pls_stats(st, st.w[None, :])[0][0], index=stat_names(st))
    res = fit_pls(df, spec, weights=w)
    raw = res.outer_weights.set_index("item")["weight_raw"]
    idx = acsi_index(df, spec, raw, {i: (1, 10) for i in spec.items}, w, by=["segment"])
    for r in idx.itertuples():
        key = (
            f"index:{r.construct}"
            if r.group_var == "overall"
            else (f"index:{r.construct}|segment={r.group}")
        )
        assert full[key] == pytest.approx(r.index, abs=1e-9)


def test_replicate_weight_se_refits_every_replicate(mobi, spec, setup) -> None:
    from csindex.sem.bootstrap import replicate_weight_se

    rng = np.random.default_rng(12)
    R = 7
    rep = setup.w[:, None] * rng.uniform(0.0, 2.0, (setup.n, R))
    rs = np.linspace(0.5, 1.0, R)
    out = replicate_weight_se(setup, rep, 0.8, rs, mse=True).set_index("statistic")
    full = fit_pls(mobi, spec, weights=setup.w)
    thetas = np.array(
        [fit_pls(mobi, spec, weights=rep[:, r]).paths["est"].to_numpy() for r in range(R)]
    )
    hand = np.sqrt(0.8 * (rs[:, None] * (thetas - full.paths["est"].to_numpy()) ** 2).sum(axis=0))
    keys = [f"path:{r.rhs}->{r.lhs}" for r in full.paths.itertuples()]
    np.testing.assert_allclose(out.loc[keys, "se"].to_numpy(), hand, rtol=1e-9)
    assert (out["replicates"] == R).all()


def test_bootstrap_htmt_is_quality_htmt(mobi, spec, setup) -> None:
    """htmt:A-B statistics (pairs with two or more items per block); at the full-sample
    weights they equal the HTMT of model/quality.csv (one computation: sem.quality)."""
    from csindex.sem.quality import quality_from_pls

    names = stat_names(setup)
    hn = [n for n in names if n.startswith("htmt:")]
    multi = [c for c in spec.constructs if len(spec.blocks[c]) > 1]
    assert len(hn) == len(multi) * (len(multi) - 1) // 2
    full, _, _ = pls_stats(setup, setup.w[None, :])
    got = dict(zip(names, full[0], strict=True))
    res = fit_pls(mobi, spec, np.linspace(0.5, 1.5, len(mobi)))
    q = quality_from_pls(res).get("htmt").dropna()
    assert len(q) == len(hn)
    for r in q.itertuples():
        assert got[f"htmt:{r.lhs}-{r.rhs}"] == pytest.approx(r.value, abs=1e-10)
    boot, _, _ = pls_stats(setup, replicate_counts(setup.n, 3, 0, 20) * setup.w)
    h = boot[:, [names.index(n) for n in hn]]
    assert np.isfinite(h).all() and (h > 0).all() and h.std(axis=0).min() > 0
