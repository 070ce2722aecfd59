"""The report's segment comparison says whether measurement invariance holds (MICOM for PLS,
scalar invariance for CB-SEM), warns where it does not, and says so when it was not tested."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from csindex.instrument import load_instrument
from csindex.report import build_report
from csindex.report.synthetic import write_synthetic_version
from csindex.sem.micom import MICOM_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(ROOT / "config/instrument.yaml")


@pytest.fixture(scope="module")
def base(tmp_path_factory, instrument):
    return write_synthetic_version(tmp_path_factory.mktemp("r") / "demo" / "v1", instrument, seed=1)


def cfg(language="en"):
    return {"study": "demo", "version": "v1", "seed": 7, "language": language, "report": {}}


def section(html, sid):
    return html.split(f'<section id="{sid}"')[1].split("</section>")[0]


def variant(base, tmp_path, name, table):
    v = tmp_path / "demo" / "v1"
    shutil.copytree(base, v)
    table.to_csv(v / "model" / name, index=False)
    return v


def micom_table(cs_compositional_ok: bool) -> pd.DataFrame:
    rows = []
    for c in ("CE", "PQ", "CS"):
        rows.append(("high vs low", "1 configural", c, None, None, None, None, "established"))
        ok = cs_compositional_ok or c != "CS"
        rows.append(("high vs low", "2 compositional", c, 0.999 if ok else 0.95, 0.98, None,
                     0.6 if ok else 0.01, "established" if ok else "not established"))  # fmt: skip
        for step in ("3a means", "3b variances"):
            rows.append(("high vs low", step, c, 0.05, -0.2, 0.2, 0.5, "established"))
    return pd.DataFrame(rows, columns=MICOM_COLUMNS)


def test_not_tested_is_said_in_both_languages(base, instrument):
    en = section(build_report(base, cfg(), instrument), "ipa")
    assert "Measurement invariance across segments was not tested" in en
    zh = section(build_report(base, cfg("zh"), instrument), "ipa")
    assert "未检验各细分群体之间的测量不变性" in zh


def test_micom_failure_warns_and_the_table_is_shown(base, instrument, tmp_path):
    v = variant(base, tmp_path, "micom.csv", micom_table(False))
    html = build_report(v, cfg(), instrument)
    seg = section(html, "ipa")
    assert "not tested" not in seg
    assert "Warning: measurement invariance does not hold for" in seg
    warn = seg.split("Warning: measurement invariance")[1].split("</li>")[0]
    assert "CS" in warn and "high vs low" in warn and "PQ" not in warn
    model = section(html, "model")
    assert "Measurement invariance of composites (MICOM)" in model
    assert "0.950" in model and "✗" in model


def test_micom_holding_says_segments_may_be_compared(base, instrument, tmp_path):
    v = variant(base, tmp_path, "micom.csv", micom_table(True))
    seg = section(build_report(v, cfg(), instrument), "ipa")
    assert "Segments may be compared: MICOM" in seg and "Warning" not in seg


@pytest.mark.parametrize("scalar_ok", [True, False])
def test_cbsem_scalar_invariance(base, instrument, tmp_path, scalar_ok):
    inv = pd.DataFrame({
        "level": ["configural", "metric", "scalar"], "chisq": [100.0, 110.0, 150.0],
        "df": [80, 88, 96], "pvalue": [0.06, 0.06, 0.001], "cfi": [0.97, 0.968, 0.96 if scalar_ok
        else 0.90], "tli": [0.96] * 3, "rmsea": [0.04, 0.041, 0.045 if scalar_ok else 0.09],
        "srmr": [0.05] * 3, "aic": [1.0] * 3, "bic": [1.0] * 3, "delta_chisq": [None, 10, 40],
        "delta_df": [None, 8, 8], "delta_pvalue": [None, 0.27, 0.0001],
    })  # fmt: skip
    v = variant(base, tmp_path, "invariance.csv", inv)
    en = section(build_report(v, cfg(), instrument), "ipa")
    zh = section(build_report(v, cfg("zh"), instrument), "ipa")
    if scalar_ok:
        assert "scalar measurement invariance holds" in en
        assert "标量测量不变性成立" in zh
    else:
        assert "scalar measurement invariance does not hold" in en and "metric" in en
        assert "标量测量不变性不成立" in zh


def test_htmt_bootstrap_ci_column_and_upper_limit_rule(base, instrument, tmp_path):
    """With htmt:A-B rows in model/bootstrap_ci.csv the quality section shows the interval
    and warns when its upper limit reaches 1, even when the estimate is below 0.90."""
    ci = pd.DataFrame({
        "statistic": ["htmt:CE-PV", "htmt:PQ-PV"], "kind": "htmt", "est": [0.6, 0.6],
        "ci_lower": [0.41, 0.45], "ci_upper": [1.03, 0.78],
    })  # fmt: skip
    v = variant(base, tmp_path, "bootstrap_ci.csv", ci)
    model = section(build_report(v, cfg(), instrument), "model")
    assert "Bootstrap CI" in model
    rows = {r.split("</td>")[0]: r for r in model.split("<tr><td>")[1:]}
    assert "0.41 – 1.03" in rows["CE – PV"] and "warn" in rows["CE – PV"]
    assert "0.45 – 0.78" in rows["PQ – PV"] and "pass" in rows["PQ – PV"]
