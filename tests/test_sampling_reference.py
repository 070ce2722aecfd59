"""The sampling library against R's sampling package on R survey's apipop (fixtures made by
tests/r/sampling_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.sampling import (
    Design,
    Stage,
    allocate,
    draw,
    inclusion_probabilities,
    largest_remainder,
    up_systematic,
)

FIX = Path(__file__).parent / "fixtures" / "sampling"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / name, comment="#", dtype={"cds": str})


@pytest.fixture(scope="module")
def apipop() -> pd.DataFrame:
    return _read("apipop.csv")


@pytest.fixture(scope="module")
def pik_ref() -> pd.DataFrame:
    return _read("pps_pik.csv")


@pytest.mark.parametrize("n", [100, 400, 2000])
def test_pps_pik_matches_r_inclusionprobabilities(apipop, pik_ref, n):
    pik = inclusion_probabilities(apipop["enroll"].to_numpy(float), n)
    ref = pik_ref[f"pik_n{n}"].to_numpy()
    np.testing.assert_allclose(pik, ref, rtol=1e-12, atol=1e-14)
    assert pik.sum() == pytest.approx(n, rel=1e-12)


def test_pps_pik_with_take_all_units_has_exact_ones(pik_ref):
    ref = pik_ref["pik_n2000"].to_numpy()
    assert (ref == 1).sum() > 0  # the fixture exercises take-all units


def test_pps_pik_within_strata_matches_r(apipop, pik_ref):
    codes, names = pd.factorize(apipop["stype"], sort=True)
    n = np.array([{"E": 300, "H": 200, "M": 100}[s] for s in names])
    pik = inclusion_probabilities(apipop["enroll"].to_numpy(float), n, codes)
    np.testing.assert_allclose(pik, pik_ref["pik_strat"].to_numpy(), rtol=1e-12, atol=1e-14)
    sums = np.bincount(codes, weights=pik)
    np.testing.assert_allclose(sums, n, rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("design", ["pps_n400", "equal_n250"])
def test_systematic_reproduces_r_upsystematic_from_same_draw(apipop, pik_ref, seed, design):
    draws = _read("systematic_draws.csv")
    u = draws.loc[(draws.seed == seed) & (draws.design == design), "u"].item()
    sel_ref = _read("systematic_selection.csv")
    N = len(apipop)
    if design == "pps_n400":
        pik, col, n = pik_ref["pik_n400"].to_numpy(), f"pps_{seed}", 400
    else:
        pik, col, n = np.full(N, 250 / N), f"eq_{seed}", 250
    sel = up_systematic(pik, u)
    ref = sel_ref[col].to_numpy()
    np.testing.assert_array_equal(sel.astype(int), ref)
    assert sel.sum() == n


def test_allocation_matches_r_quotas_and_largest_remainder():
    st = _read("allocation.csv")
    names = st["cnum"].astype(str).tolist()
    N = st["N_h"].to_numpy()
    for method, kw in [
        ("proportional", {}),
        ("neyman", {"sd": st["S_h"].to_numpy()}),
        ("optimal", {"sd": st["S_h"].to_numpy(), "cost": st["cost"].to_numpy()}),
    ]:
        a = allocate(names, N, 400, method, **kw)
        short = {"proportional": "prop"}.get(method, method)
        np.testing.assert_allclose(a.quota, st[f"q_{short}"], rtol=1e-12)
        np.testing.assert_array_equal(a.n, st[f"n_{short}"])
        assert a.n.sum() == 400


def test_largest_remainder_totals_n_where_r_round_does_not():
    st = _read("allocation.csv")
    assert st["round_prop"].sum() != 400  # R's round() misses the total
    n = largest_remainder(st["q_prop"].to_numpy(), 400)
    assert n.sum() == 400
    assert np.all(np.abs(n - st["q_prop"].to_numpy()) < 1)


def test_twostage_pi_matches_r_for_selected_units(apipop):
    ref = _read("twostage_pi.csv").set_index("cds")
    design = Design(
        "multistage",
        (Stage(unit="dnum", method="pps_systematic", n=60), Stage(method="srswor", n=5)),
        id_column="cds",
    )
    for seed in range(3):
        s = draw(apipop, design, seed).sample
        r = ref.loc[s["unit_id"]]
        np.testing.assert_allclose(s["pi_1"].to_numpy(), r["pi_1"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(s["pi_2"].to_numpy(), r["pi_2"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(s["pi"].to_numpy(), r["pi"].to_numpy(), rtol=1e-12)
        assert s["psu"].nunique() == 60
