"""Model-stage inputs: clean responses matched with final weights; seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError
from csindex.io import read_model_inputs
from csindex.sem.bootstrap import bootstrap_seed, derived_seed


@pytest.fixture()
def files(tmp_path):
    resp = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"], "CE1": [1, 2, 3]})
    w = pd.DataFrame({"respondent_id": ["R3", "R1", "R2", "R9"], "w_final": [3.0, 1.0, 2.0, 9.0]})
    resp.to_parquet(tmp_path / "responses.parquet")
    w.to_parquet(tmp_path / "weights.parquet")
    return tmp_path


def test_weights_are_matched_on_respondent_id(files) -> None:
    data, w, desc = read_model_inputs(files / "responses.parquet", [files / "weights.parquet"])
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])
    assert desc.startswith("survey-weighted")
    data, w, desc = read_model_inputs(files / "responses.parquet", [])
    assert w is None and desc.startswith("unweighted")


def test_respondent_without_weight_is_named(files) -> None:
    pd.DataFrame({"respondent_id": ["R1", "R2"], "w_final": [1.0, 2.0]}).to_parquet(
        files / "w2.parquet"
    )
    with pytest.raises(InputError, match=r"'R3'.*w_final|w_final.*'R3'"):
        read_model_inputs(files / "responses.parquet", [files / "w2.parquet"])


def test_weights_file_without_w_final_is_named(files) -> None:
    pd.DataFrame({"respondent_id": ["R1"]}).to_parquet(files / "w3.parquet")
    with pytest.raises(InputError, match="w_final"):
        read_model_inputs(files / "responses.parquet", [files / "w3.parquet"])


def test_seeds_are_stable_and_configurable() -> None:
    assert derived_seed(20261123, "bootstrap") == derived_seed(20261123, "bootstrap")
    assert derived_seed(20261123, "bootstrap") != derived_seed(20261124, "bootstrap")
    assert bootstrap_seed({"seed": 5}, 1) == 5
    assert bootstrap_seed({"seed": None}, 1) == derived_seed(1, "bootstrap")
