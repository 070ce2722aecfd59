"""Design-based bootstrap (config bootstrap.design): Rao–Wu rescaling multipliers of PSUs within
strata, shard independence, agreement with the Taylor SE, iid still available, CB-SEM refits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ecsi_models import FIX
from ecsi_models import SMALL_BLOCKS as BLOCKS
from ecsi_models import SMALL_PATHS as PATHS

from csindex.errors import ConfigError, InputError
from csindex.estimation import DesignVariables, survey_design, survey_mean
from csindex.sem import cbsem as cb
from csindex.sem.bootstrap import (
    BootstrapDesign,
    bootstrap_design,
    bootstrap_pls,
    jackknife_pls,
    pls_setup,
    replicate_counts,
    shard_range,
)
from csindex.sem.bootstrap_outputs import gather_bootstrap
from csindex.sem.spec import ModelSpec


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    return ModelSpec(blocks=BLOCKS, paths=PATHS)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = pd.read_csv(FIX / "ecsi_mobi.csv", index_col=0).reset_index(drop=True)
    df.insert(0, "respondent_id", [f"r{k:03d}" for k in range(len(df))])
    df["segment"] = np.where(np.arange(len(df)) % 3 == 0, "business", "personal")
    return df


@pytest.fixture(scope="module")
def table(data) -> pd.DataFrame:
    """A weights file: 5 strata, PSUs of about 7 respondents (shuffled row order)."""
    n = len(data)
    k = np.arange(n)
    t = pd.DataFrame(
        {
            "respondent_id": data["respondent_id"],
            "w_final": np.linspace(0.6, 1.8, n),
            "stratum": [f"S{h}" for h in k % 5],
            "psu": (k // 5) // 7,
        }
    )
    return t.sample(frac=1.0, random_state=2).reset_index(drop=True)


@pytest.fixture(scope="module")
def design(data, table) -> BootstrapDesign:
    return bootstrap_design(data, table, "auto")


def test_auto_picks_rao_wu_with_strata_and_psus(data, table, design) -> None:
    assert design.kind == "rao_wu" and design.n_strata == 5
    assert design.describe().startswith("rao_wu")
    assert bootstrap_design(data, table[["respondent_id", "w_final"]], "auto").kind == "iid"
    assert bootstrap_design(data, None, "auto").kind == "iid"
    assert bootstrap_design(data, table, "iid").kind == "iid"


def test_rao_wu_without_design_columns_or_unknown_value_is_an_error(data, table) -> None:
    with pytest.raises(InputError, match="stratum or psu"):
        bootstrap_design(data, table[["respondent_id"]], "rao_wu")
    with pytest.raises(ConfigError, match="rao_wu"):
        bootstrap_design(data, table, "cluster")


def test_multipliers_follow_rao_wu_with_m_h_equal_n_h_minus_1(data, table, design) -> None:
    M = design.multipliers(3, 0, 20)
    m = data[["respondent_id"]].merge(table, on="respondent_id")
    psu_key = m["stratum"] + "/" + m["psu"].astype(str)
    for b in range(20):
        per_psu = pd.Series(M[b]).groupby(psu_key.to_numpy()).agg(["min", "max"])
        assert (per_psu["min"] == per_psu["max"]).all()  # constant within a PSU
        f = pd.Series(M[b]).groupby(psu_key.to_numpy()).first()
        strat = f.index.str.split("/").str[0]
        for h in np.unique(strat):
            fh = f[strat == h].to_numpy()
            nh = fh.size
            r = fh * (nh - 1) / nh  # draws of each PSU
            np.testing.assert_allclose(r, np.round(r), atol=1e-12)
            assert r.sum() == pytest.approx(nh - 1)


def test_multipliers_do_not_depend_on_the_range(design) -> None:
    a = design.multipliers(7, 0, 10)
    b = np.vstack([design.multipliers(7, 0, 3), design.multipliers(7, 3, 10)])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, design.multipliers(8, 0, 10))


def test_one_shard_and_four_shards_are_identical_under_rao_wu(data, spec, table, design) -> None:
    w = data[["respondent_id"]].merge(table, on="respondent_id")["w_final"].to_numpy()
    setup = pls_setup(
        data, spec, w, {"estimator": "pls"}, {"by": ["segment"], "scale": {"min": 1, "max": 10}}
    )
    R = 230
    one = bootstrap_pls(setup, 11, *shard_range(R, 1, 0), design)
    four = pd.concat(
        [bootstrap_pls(setup, 11, *shard_range(R, 4, k), design) for k in range(4)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(one, four, check_exact=True)
    assert list(one["replicate"]) == list(range(R))
    iid = bootstrap_pls(setup, 11, 0, R)
    path = "path:CS->CL"
    assert one[path].std() != iid[path].std()


def test_iid_design_equals_the_respondent_bootstrap(data, spec, table) -> None:
    d = bootstrap_design(data, table, "iid")
    setup = pls_setup(data, spec, None, {"estimator": "pls"}, None)
    np.testing.assert_array_equal(d.multipliers(4, 0, 60), replicate_counts(len(data), 4, 0, 60))
    pd.testing.assert_frame_equal(
        bootstrap_pls(setup, 4, 0, 60, d), bootstrap_pls(setup, 4, 0, 60), check_exact=True
    )
    assert d.jackknife_labels(1000, 0) is None


def test_single_psu_strata_follow_lonely_psu(data, table) -> None:
    t = table.copy()
    t.loc[t["stratum"] == "S0", "psu"] = 0
    t.loc[t["stratum"] == "S1", "psu"] = 0
    with pytest.raises(InputError, match="single PSU"):
        bootstrap_design(data, t, "rao_wu", lonely_psu="fail")
    cert = bootstrap_design(data, t, "rao_wu", lonely_psu="certainty")
    m = data[["respondent_id"]].merge(t, on="respondent_id")
    lone = m["stratum"].isin(["S0", "S1"]).to_numpy()
    assert (cert.multipliers(1, 0, 30)[:, lone] == 1.0).all()
    adj = bootstrap_design(data, t, "rao_wu", lonely_psu="adjust")  # the two pooled
    M = adj.multipliers(1, 0, 30)[:, lone]
    assert adj.lonely == 2 and set(np.unique(M)) <= {0.0, 2.0}


def test_gather_names_the_design_and_groups_the_jackknife_by_psu(data, spec, table, design) -> None:
    mcfg = {"estimator": "pls"}
    setup = pls_setup(data, spec, None, mcfg, None)
    shards = [bootstrap_pls(setup, 5, 0, 50, design), bootstrap_pls(setup, 5, 50, 80, design)]
    t = gather_bootstrap(shards, data, spec, model_cfg=mcfg, seed=9, design=design)
    assert (t.intervals["design"] == "rao_wu").all()
    lab = design.jackknife_labels(1000, 9, setup.rows)
    assert lab.max() + 1 == design.n_psu
    jk = jackknife_pls(setup, labels=lab)
    assert jk.shape[0] == design.n_psu
    t2 = gather_bootstrap(shards[:1], data, spec, model_cfg=mcfg, seed=9)
    assert (t2.intervals["design"] == "iid").all()


def test_cbsem_refit_with_rao_wu_multipliers_equals_a_weighted_fit(data, spec, design) -> None:
    res = cb.fit_cbsem(data, spec)
    M = design.multipliers(2, 0, 3, rows=res.used_rows)
    boot = cb.cbsem_bootstrap(data, spec, M, res, gtol=1e-10, max_iter=200)
    assert boot["converged"].all()
    for b in range(3):
        keep = M[b] > 0
        ref = cb.fit_cbsem(data.iloc[res.used_rows[keep]], spec, weights=M[b][keep], se="robust")
        est = ref.estimates.set_index(["lhs", "op", "rhs"])["est"]
        for col in ("CS~PQ", "CL~CS", "PQ=~PERQ2"):
            lhs, op, rhs = (
                (col.split("~")[0], "~", col.split("~")[1])
                if "=~" not in col
                else (col.split("=~")[0], "=~", col.split("=~")[1])
            )
            assert boot.loc[b, col] == pytest.approx(est[(lhs, op, rhs)], abs=1e-5)


def _clustered_sample(seed: int, H: int = 12, nh: int = 6, m: int = 10):
    """A stratified two-stage sample: H strata, nh PSUs each, m units per PSU, a PSU effect
    (intra-cluster correlation about 0.3) and unequal weights."""
    rng = np.random.default_rng(seed)
    stratum = np.repeat(np.arange(H), nh * m)
    psu = np.repeat(np.arange(H * nh), m)
    u = rng.normal(0, 0.65, H * nh)[psu]
    y = 5 + 0.2 * stratum + u + rng.normal(0, 1, psu.size)
    w = rng.uniform(1, 3, H * nh)[psu] * rng.uniform(0.8, 1.2, psu.size)
    return pd.DataFrame(
        {
            "respondent_id": [f"u{i}" for i in range(psu.size)],
            "stratum": stratum,
            "psu": psu,
            "w_final": w,
            "y": y,
        }
    )


def test_rao_wu_se_of_a_weighted_mean_is_close_to_the_taylor_se() -> None:
    """Monte Carlo: on simulated clustered samples the Rao–Wu bootstrap SE of the weighted mean
    is within ±10% of the Taylor (linearisation) SE, while the iid bootstrap is far too small."""
    ratios, iid_ratios = [], []
    for s in range(5):
        df = _clustered_sample(s)
        taylor = survey_mean(
            survey_design(df, DesignVariables(weight="w_final", strata="stratum", psu="psu")), "y"
        )["se"].iloc[0]
        w, y = df["w_final"].to_numpy(), df["y"].to_numpy()
        for kind, out in (("rao_wu", ratios), ("iid", iid_ratios)):
            V = bootstrap_design(df, df, kind).multipliers(100 + s, 0, 2000) * w
            out.append(((V @ y) / V.sum(axis=1)).std(ddof=1) / taylor)
    ratios = np.array(ratios)
    assert np.all(np.abs(ratios - 1) < 0.10), ratios
    assert abs(ratios.mean() - 1) < 0.05
    assert np.mean(iid_ratios) < 0.8  # the i.i.d. bootstrap ignores the clustering
