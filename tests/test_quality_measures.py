"""Measurement quality against hand computations and plspm's printed alpha."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.sem.pls import fit_pls
from csindex.sem.quality import quality_from_pls
from csindex.sem.spec import ModelSpec

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "pls" / "reference.json").read_text())


@pytest.fixture(scope="module")
def mobi_fit():
    case = REF["cases"]["mobi_ecsi_path"]
    data = pd.read_csv(FIX / "data" / case["data"], index_col=0)
    spec = ModelSpec(
        blocks={k: case["blocks"][k] for k in case["construct_order"]},
        paths=[tuple(p) for p in case["paths"]],
    )
    return data, spec, fit_pls(data, spec), case


def test_alpha_matches_hand_computation_and_plspm(mobi_fit) -> None:
    data, spec, res, case = mobi_fit
    q = quality_from_pls(res).get("alpha").set_index("lhs")["value"]
    for c, items in spec.blocks.items():
        if len(items) < 2:
            assert np.isnan(q[c])
            continue
        Z = data[items].to_numpy(float)
        Z = (Z - Z.mean(0)) / Z.std(0)
        k = len(items)
        hand = k / (k - 1) * (1 - Z.var(0).sum() / Z.sum(1).var())
        assert q[c] == pytest.approx(hand, abs=1e-12)
        assert q[c] == pytest.approx(case["results"]["1e-06"]["alpha"][c], abs=1e-9)


def test_htmt_matches_hand_computation(mobi_fit) -> None:
    data, spec, res, _ = mobi_fit
    h = quality_from_pls(res).get("htmt")
    R = np.abs(data[spec.items].corr().to_numpy())  # HTMT on |r| (Henseler et al. 2015)
    pos = {i: j for j, i in enumerate(spec.items)}

    def mean_mono(items):
        vals = [R[pos[a], pos[b]] for k, a in enumerate(items) for b in items[k + 1 :]]
        return sum(vals) / len(vals)

    for r in h.itertuples():
        a, b = spec.blocks[r.lhs], spec.blocks[r.rhs]
        if len(a) < 2 or len(b) < 2:
            assert np.isnan(r.value)
            continue
        het = sum(R[pos[x], pos[y]] for x in a for y in b) / (len(a) * len(b))
        assert r.value == pytest.approx(het / np.sqrt(mean_mono(a) * mean_mono(b)), abs=1e-12)


def test_htmt_uses_absolute_correlations() -> None:
    """A block whose items are negatively worded (complaints against satisfaction): HTMT
    is a ratio of mean absolute correlations (Henseler, Ringle & Sarstedt 2015; seminr,
    SmartPLS, semTools::htmt), so reversing a block's items leaves it unchanged and positive.
    Hand computation from the correlation matrix on the ECSI data."""
    data = pd.read_csv(FIX / "data" / REF["cases"]["mobi_ecsi_path"]["data"], index_col=0)
    d = data[["CUSA1", "CUSA2", "CUSA3", "CUSL1", "CUSL3"]].astype(float).copy()
    d["CC1"], d["CC2"] = 11 - d.pop("CUSL1"), 11 - d.pop("CUSL3")  # reversed: r < 0 with CS
    d["CC2"] = d["CC2"] + 0.3 * d["CUSA1"]  # a mixed-sign pair within the heterotrait block
    spec = ModelSpec(blocks={"CS": ["CUSA1", "CUSA2", "CUSA3"], "CC": ["CC1", "CC2"]},
                     paths=[("CS", "CC")])  # fmt: skip
    R = d[spec.items].corr()
    assert (R.loc[["CUSA2", "CUSA3"], ["CC1", "CC2"]].to_numpy() < 0).all()
    A = R.abs().to_numpy()
    het = A[:3, 3:].mean()
    mono_cs = (A[0, 1] + A[0, 2] + A[1, 2]) / 3
    want = het / np.sqrt(mono_cs * A[3, 4])
    got = quality_from_pls(fit_pls(d, spec)).get("htmt")["value"].iloc[0]
    assert got == pytest.approx(want, abs=1e-12) and got > 0


def test_rho_c_ave_and_rho_a_follow_their_formulas(mobi_fit) -> None:
    data, spec, res, _ = mobi_fit
    q = quality_from_pls(res)
    lam = res.loadings
    R = data[spec.items].corr()
    w = res.outer_weights.set_index("item")["weight"]
    for c, items in spec.blocks.items():
        if len(items) < 2:
            continue
        lc = lam.loc[items, c].to_numpy()
        rc = lc.sum() ** 2 / (lc.sum() ** 2 + (1 - lc**2).sum())
        assert q.get("rho_c").set_index("lhs").loc[c, "value"] == pytest.approx(rc, abs=1e-12)
        assert q.get("ave").set_index("lhs").loc[c, "value"] == pytest.approx(
            np.mean(lc**2), abs=1e-12
        )
        # rho_A by its definition with explicit sums over i != j
        wc = w.loc[items].to_numpy()
        Rc = R.loc[items, items].to_numpy()
        k = len(items)
        num = sum(wc[i] * wc[j] * Rc[i, j] for i in range(k) for j in range(k) if i != j)
        den = sum(wc[i] ** 2 * wc[j] ** 2 for i in range(k) for j in range(k) if i != j)
        assert q.get("rho_a").set_index("lhs").loc[c, "value"] == pytest.approx(
            (wc @ wc) ** 2 * num / den, abs=1e-12
        )


def test_vif_and_fornell_larcker_present(mobi_fit) -> None:
    _, spec, res, _ = mobi_fit
    q = quality_from_pls(res)
    vif_in = q.get("vif_inner")
    # CS has four predictors in the ECSI model: IM, CE, PQ, PV
    assert set(vif_in.loc[vif_in["lhs"] == "CS", "rhs"]) == {"IM", "CE", "PQ", "PV"}
    phi = res.lv_cor.loc[["IM", "CE", "PQ", "PV"], ["IM", "CE", "PQ", "PV"]].to_numpy()
    expected = np.diag(np.linalg.inv(phi))
    got = vif_in[vif_in["lhs"] == "CS"].set_index("rhs").loc[["IM", "CE", "PQ", "PV"], "value"]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert (vif_in["value"] >= 1).all()
    fl = q.get("fornell_larcker")
    assert len(fl) == len(spec.constructs) ** 2
