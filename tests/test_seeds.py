"""One seed derivation (csindex.seeds): stable, label-specific, the same one every stage uses."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from csindex.seeds import derive_seed, rng, seed_sequence


def test_derive_seed_is_numpys_seed_sequence_of_the_labels():
    ss = np.random.SeedSequence([20261123, zlib.crc32(b"weights")])
    assert derive_seed(20261123, "weights") == int(ss.generate_state(1, np.uint32)[0])
    assert derive_seed(20261123, "weights", bits=64) == int(ss.generate_state(1, np.uint64)[0])
    assert seed_sequence(7, "a", 3).entropy == [7, zlib.crc32(b"a"), 3]


def test_stages_get_different_streams():
    seeds = {derive_seed(1, s) for s in ("design", "weights", "bootstrap", "fieldwork")}
    assert len(seeds) == 4
    assert derive_seed(1, "weights") != derive_seed(2, "weights")
    assert derive_seed(1, "a", "b") != derive_seed(1, "b", "a")
    a, b = rng(5, "x").random(3), rng(5, "x").random(3)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        derive_seed(1, "x", bits=16)


def test_stages_use_it():
    from csindex.sem.bootstrap import bootstrap_seed

    assert bootstrap_seed({}, 99) == derive_seed(99, "bootstrap")
    assert bootstrap_seed({"seed": 5}, 99) == 5
    script = (
        __import__("pathlib").Path(__file__).parents[1] / "scripts" / "weights.py"
    ).read_text()
    assert 'derive_seed(int(snakemake.params.seed), "weights")' in script
