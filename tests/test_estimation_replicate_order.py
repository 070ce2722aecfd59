"""Replicate SEs do not depend on the row order: for every replicate type (JK1, JKn, BRR, Fay,
Rao-Wu bootstrap) the SEs of means, ratios and domain means of a shuffled copy of the data equal
those of the original."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.estimation import (
    DesignVariables,
    ReplicateWeights,
    survey_design,
    survey_mean,
    survey_ratio,
)
from csindex.weighting import (
    bootstrap_replicates,
    brr_replicates,
    jk1_replicates,
    jkn_replicates,
)


def _data(two_per_stratum: bool) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    H = 9
    rows = []
    for h in range(H):
        npsu = 2 if two_per_stratum else 2 + h % 3
        for c in range(npsu):
            m = 3 + (h + c) % 4
            rows.append(
                pd.DataFrame(
                    {
                        "stratum": f"s{h}",  # text labels: "s10" sorts before "s2"
                        "psu": 100 * h + 7 * c,
                        "y": rng.normal(5 + h, 2, m) + c,
                        "x": rng.gamma(3, 1, m) + 0.3 * h,
                        "dom": rng.choice(["a", "b", "c"], m),
                        "w": rng.uniform(1, 4, m),
                    }
                )
            )
    df = pd.concat(rows, ignore_index=True)
    df.loc[df.index % 13 == 0, "y"] = np.nan
    df["stratum"] = df["stratum"].replace({"s8": "s10"})
    return df


def _replicates(df: pd.DataFrame, kind: str):
    s, p = df["stratum"].to_numpy(), df["psu"].to_numpy()
    if kind == "JK1":
        return jk1_replicates(p)
    if kind == "JKn":
        return jkn_replicates(s, p)
    if kind == "BRR":
        return brr_replicates(s, p)
    if kind == "Fay":
        return brr_replicates(s, p, fay_rho=0.3)
    return bootstrap_replicates(s, p, 40, np.random.default_rng(5))


def _ses(df: pd.DataFrame, kind: str) -> np.ndarray:
    rep = _replicates(df, kind)
    d = survey_design(
        df,
        DesignVariables(weight="w"),
        replicates=ReplicateWeights(
            df["w"].to_numpy()[:, None] * rep.factors,
            type=rep.type if rep.type in ("JK1", "JKn", "BRR", "Fay") else "bootstrap",
            scale=rep.scale,
            rscales=rep.rscales,
            mse=rep.mse,
        ),
    )
    parts = [
        survey_mean(d, ["y", "x"]),
        survey_ratio(d, "y", "x"),
        survey_mean(d, "y", domain="dom"),
        survey_ratio(d, "y", "x", domain="dom"),
    ]
    return np.concatenate([p["se"].to_numpy() for p in parts])


@pytest.mark.parametrize("kind", ["JK1", "JKn", "BRR", "Fay", "bootstrap"])
def test_replicate_ses_of_means_ratios_and_domains_ignore_row_order(kind: str) -> None:
    df = _data(two_per_stratum=kind in ("BRR", "Fay"))
    base = _ses(df, kind)
    assert np.isfinite(base).all() and (base > 0).all()
    for seed in (1, 2):
        shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        np.testing.assert_allclose(_ses(shuffled, kind), base, rtol=1e-12)


def test_brr_gives_hadamard_rows_to_strata_in_sorted_order() -> None:
    df = _data(two_per_stratum=True)
    rep = brr_replicates(df["stratum"].to_numpy(), df["psu"].to_numpy())
    from scipy.linalg import hadamard

    labels = sorted(df["stratum"].unique())  # as text, as R's table(strata)
    had = hadamard(rep.factors.shape[1])
    for h, lab in enumerate(labels):
        rows = df.index[df["stratum"] == lab]
        first = rows[df.loc[rows, "psu"] == df.loc[rows, "psu"].min()][0]
        np.testing.assert_array_equal(rep.factors[first] == 2.0, had[h + 1] > 0)
