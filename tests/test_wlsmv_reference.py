"""WLSMV (ordinal items) against lavaan 0.6-14: fixtures from tests/r/lavaan_wlsmv_reference.R."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from csindex.errors import ConfigError, InputError
from csindex.sem.ordinal import ordinal_stats, pbivnorm
from csindex.sem.spec import ModelSpec
from csindex.sem.wlsmv import WLSMVOptions, fit_wlsmv

FIX = Path(__file__).parent / "fixtures"
IM = [f"IMAG{i}" for i in range(1, 6)]
PQ = [f"PERQ{i}" for i in range(1, 8)]
CS = ["CUSA1", "CUSA2", "CUSA3"]
SPECS = {
    "cfa": ModelSpec(blocks={"IM": IM, "PQ": PQ, "CS": CS}, paths=[]),
    "ecsi": ModelSpec(
        blocks={
            "IM": IM,
            "CE": ["CUEX1", "CUEX2", "CUEX3"],
            "PQ": PQ,
            "PV": ["PERV1", "PERV2"],
            "CS": CS,
            "CC": ["CUSCO"],
            "CL": ["CUSL1", "CUSL2", "CUSL3"],
        },
        paths=[
            ("IM", "CE"),
            ("CE", "PQ"),
            ("CE", "PV"),
            ("PQ", "PV"),
            ("IM", "CS"),
            ("CE", "CS"),
            ("PQ", "CS"),
            ("PV", "CS"),
            ("CS", "CC"),
            ("IM", "CL"),
            ("CS", "CL"),
            ("CC", "CL"),
        ],
    ),
}


def cut5(df: pd.DataFrame) -> pd.DataFrame:
    """The R script's deterministic cut: 1-5 -> 1, 6 -> 2, 7 -> 3, 8 -> 4, 9-10 -> 5."""
    return df.apply(lambda x: pd.cut(x, [0, 5, 6, 7, 8, 10], labels=False) + 1)


@pytest.fixture(scope="module")
def data():
    return cut5(pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:])


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(FIX / "data" / "ecsi_mobi.csv").iloc[:, 1:]


@pytest.fixture(scope="module")
def fits(data, raw):
    out = {case: fit_wlsmv(data, spec) for case, spec in SPECS.items()}
    out["ecsi10"] = fit_wlsmv(raw, SPECS["ecsi"])  # the ten-point items as they are
    return out


def ref(case: str, what: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "wlsmv" / f"{case}_{what}.csv", comment="#")


def lavaan_to_ours(r: pd.DataFrame) -> pd.DataFrame:
    """lavaan names the single-item construct CC by its item CUSCO (a phantom variable)."""
    r = r.copy()
    r.loc[(r.lhs == "CUSCO") & (r.op == "~~"), ["lhs", "rhs"]] = "CC"
    r.loc[(r.lhs == "CUSCO") & (r.op == "~"), "lhs"] = "CC"
    r.loc[(r.rhs == "CUSCO") & (r.op == "~"), "rhs"] = "CC"
    return r


def test_bivariate_normal_cdf_matches_numerical_integration():
    for h, k, r in [
        (0.3, -0.5, 0.2),
        (1.2, 0.4, 0.8),
        (-1, -2, -0.95),
        (0.5, 0.5, 0.999),
        (2, -1, -0.5),
        (-0.2, 0.1, 0.93),
        (-1.5, 0.7, -0.6),
    ]:
        f = lambda x, k=k, r=r: stats.norm.pdf(x) * stats.norm.cdf((k - r * x) / np.sqrt(1 - r * r))  # noqa: E731
        want = integrate.quad(f, -np.inf, h, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
        assert pbivnorm(np.array([h]), np.array([k]), r)[0] == pytest.approx(want, abs=1e-13)
    assert pbivnorm(np.array([np.inf, 0.3, -np.inf]), np.array([0.2, np.inf, 1.0]), 0.5) == (
        pytest.approx([stats.norm.cdf(0.2), stats.norm.cdf(0.3), 0.0])
    )


@pytest.mark.parametrize("case", ["cfa", "ecsi", "ecsi10"])
def test_thresholds_polychorics_and_gamma_match_lavaan(data, raw, case):
    st = ordinal_stats(raw if case == "ecsi10" else data, SPECS[case[:4]].items)
    got = st.to_frame()
    r = ref(case, "sample")
    for df in (got, r):  # item order differs (lavaan lists CUSCO last): name pairs sorted
        df["name"] = ["~~".join(sorted(x.split("~~"))) for x in df["name"]]
    got, r = got.set_index("name"), r.set_index("name")
    assert set(got.index) == set(r.index)
    got = got.loc[r.index]
    # lavaan's polychoric optimiser stops at ~1e-8
    np.testing.assert_allclose(got.value, r.value, atol=1e-7)
    np.testing.assert_allclose(got.gamma_diag, r.gamma_diag, rtol=1e-6)


def _compare(case, fit, skip=()):
    r = lavaan_to_ours(ref(case, "estimates"))
    r = r[~r.op.isin(["~*~", "~1"])]
    r = r[~(r.lhs.isin(skip) & (r.op == "~~"))]
    m = r.merge(fit.estimates, on=["lhs", "op", "rhs"], how="left", suffixes=("_ref", ""))
    assert not m.est.isna().any(), m[m.est.isna()]
    rel = np.abs(m.est - m.est_ref) / np.maximum(np.abs(m.est_ref), 0.05)
    assert rel.max() < 1e-4, m.loc[rel.idxmax()]
    free = m.se_ref > 0
    rel_se = np.abs(m.se - m.se_ref)[free] / m.se_ref[free]
    assert rel_se.max() < 1e-4, m[free].loc[rel_se.idxmax()]
    assert np.all(np.isnan(m.se[~free]))
    return rel.max(), rel_se.max()


def test_cfa_estimates_and_robust_ses_match_lavaan(fits):
    _compare("cfa", fits["cfa"])


def test_ecsi_estimates_and_robust_ses_match_lavaan(fits):
    # lavaan's fixed residual variances of CUSL1-3 are stale: its implied variances of those
    # latent responses are 1.0018, 1.0001, 1.0029 (not 1), ours are 1; every free parameter and
    # every SE is compared
    _compare("ecsi", fits["ecsi"], skip=["CUSL1", "CUSL2", "CUSL3"])
    assert np.allclose(np.diag(fits["ecsi"].implied), 1.0)


def test_ecsi_on_ten_point_items_matches_lavaan(fits):
    # ten categories, many empty cells in the bivariate tables (as config/examples/ecsi_wlsmv)
    _compare("ecsi10", fits["ecsi10"], skip=["CUSL1", "CUSL2", "CUSL3"])


@pytest.mark.parametrize("case", ["cfa", "ecsi", "ecsi10"])
def test_scaled_fit_measures_match_lavaan(fits, case):
    fit = fits[case].fit
    r = ref(case, "fit")
    for name, value in zip(r.measure, r.value, strict=True):
        key = name.replace(".", "_")
        if key == "pvalue_scaled":
            assert fit[key] < 1e-12 and value < 1e-12
            continue
        assert fit[key] == pytest.approx(value, rel=1e-6), key
    for key in ("chisq_scaled", "df_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert np.isfinite(fit[key])


def test_thresholds_are_lavaan_named_and_ordered(fits, data):
    est = fits["cfa"].estimates
    th = est[(est.lhs == "IMAG1") & (est.op == "|")]
    assert list(th.rhs) == ["t1", "t2", "t3", "t4"]
    assert np.all(np.diff(th.est) > 0)
    # first threshold from the raw answers: Phi^-1(share of category 1)
    share = float(np.mean(data["IMAG1"] == 1))
    assert th.est.iloc[0] == pytest.approx(stats.norm.ppf(share), abs=1e-12)


def test_row_order_does_not_change_the_fit(data, fits):
    shuffled = data.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = fit_wlsmv(shuffled, SPECS["cfa"])
    np.testing.assert_allclose(
        again.estimates.est, fits["cfa"].estimates.est, rtol=1e-9, atol=1e-11
    )
    np.testing.assert_allclose(again.estimates.se, fits["cfa"].estimates.se, rtol=1e-8)


def test_missing_answer_names_row_and_column(data):
    bad = data.astype(float).copy()
    bad.loc[7, "PERQ3"] = np.nan
    with pytest.raises(InputError, match="PERQ3") as e:
        fit_wlsmv(bad, SPECS["cfa"], file="responses.csv")
    assert "row 8" in str(e.value) or "8" in str(e.value)


def test_ordered_list_must_cover_the_model(data):
    with pytest.raises(ConfigError, match="model.ordered"):
        fit_wlsmv(data, SPECS["cfa"], WLSMVOptions(ordered=IM))
    with pytest.raises(ConfigError, match="NOPE"):
        fit_wlsmv(data, SPECS["cfa"], WLSMVOptions(ordered=[*SPECS["cfa"].items, "NOPE"]))
