"""The fast paths for large frames (integer ids, clusters stored contiguously) give exactly the
results and error messages of the general paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csindex.sampling.codes as sampling  # the module whose fast paths are tested
from csindex.errors import InputError
from csindex.sampling import Design, Stage, draw

TWO_STAGE = Design(
    "multistage",
    (Stage(unit="branch", method="pps_systematic", size="branch_size", n=12), Stage(n=5)),
    strata="region",
    minimum=1,
)
CLUSTER = Design(
    "cluster",
    (Stage(unit="branch", method="pps_systematic", size="branch_size", n=6), Stage(method="all")),
    strata="region",
    minimum=1,
)


def int_frame(N: int = 5000, H: int = 5, C: int = 80, seed: int = 2) -> pd.DataFrame:
    """Integer ids, branches contiguous and in id order (the fast path's case)."""
    rng = np.random.default_rng(seed)
    branch = np.sort(rng.choice(C, size=N, p=rng.dirichlet(np.ones(C))))
    _, branch = np.unique(branch, return_inverse=True)
    region = np.sort(rng.integers(0, H, branch.max() + 1))[branch]
    size = np.bincount(branch)[branch]
    return pd.DataFrame(
        {
            "customer_id": np.arange(N, dtype=np.int64) + 1000,
            "region": region.astype(np.int16),
            "branch": branch.astype(np.int32) + 7,
            "branch_size": size.astype(float),
        }
    )


def str_frame() -> pd.DataFrame:
    f = int_frame()
    return f.assign(
        customer_id=[f"C{i:06d}" for i in f["customer_id"]],
        region=[f"R{r:02d}" for r in f["region"]],
        branch=[f"B{b:04d}" for b in f["branch"]],
    )


@pytest.mark.parametrize("design", [TWO_STAGE, CLUSTER], ids=["two_stage", "cluster"])
@pytest.mark.parametrize("make", [int_frame, str_frame], ids=["int_ids", "str_ids"])
def test_sorted_cluster_fast_path_matches_general_path(monkeypatch, design, make):
    f = make()
    assert sampling._runs(sampling.factorize(f["branch"])[0], f["branch"].nunique()) is not None
    fast = draw(f, design, 11)
    monkeypatch.setattr(sampling, "_runs", lambda codes, K: None)
    slow = draw(f, design, 11)
    pd.testing.assert_frame_equal(fast.sample, slow.sample, check_exact=True)
    assert fast.info == slow.info


def test_runs_rejects_codes_not_in_code_order():
    assert sampling._runs(np.array([1, 1, 0, 0, 2]), 3) is None  # contiguous, out of order
    assert sampling._runs(np.array([0, 1, 0, 2]), 3) is None  # code 0 in two runs
    r = sampling._runs(np.array([0, 0, 1, 2, 2, 2]), 3)
    assert r is not None and r.start.tolist() == [0, 2, 3] and r.end.tolist() == [2, 3, 6]
    assert r.rows(np.array([0, 2])).tolist() == [0, 1, 3, 4, 5]


def test_duplicate_integer_ids_are_found_in_an_unsorted_frame():
    f = int_frame().sample(frac=1.0, random_state=3).reset_index(drop=True)
    f.loc[40, "customer_id"] = f.loc[7, "customer_id"]
    dup = f.loc[7, "customer_id"]
    with pytest.raises(InputError, match=rf"1 duplicate unit id.*\b{dup}\b.* in rows 8 and 41"):
        draw(f, TWO_STAGE, 1)


@pytest.mark.parametrize("make", [int_frame, str_frame], ids=["int_ids", "str_ids"])
def test_cluster_in_two_strata_found_in_a_sorted_frame(make):
    f = make()
    b = f["branch"].iloc[0]
    last = int(np.flatnonzero(f["branch"] == b)[-1])
    other = f["region"].iloc[-1]
    f.loc[last - 1, "region"] = other
    with pytest.raises(InputError, match=r"branch id .* appears in more than one region") as e:
        draw(f, TWO_STAGE, 1)
    assert e.value.row == last  # 1-based row of the moved unit


def test_size_varying_within_a_sorted_cluster_names_the_row():
    f = int_frame()
    f.loc[2, "branch_size"] += 1.0
    with pytest.raises(InputError, match=r"size measure differs within branch") as e:
        draw(f, TWO_STAGE, 1)
    assert e.value.row == 3
