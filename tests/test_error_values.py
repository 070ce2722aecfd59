"""Error messages show values as plain Python values: a NumPy scalar from a DataFrame reads
``-1.0`` or ``7``, never ``np.float64(-1.0)`` (NumPy 2's repr); checked for the helper and, over
the source, for every message that formats a value taken out of an array or a frame."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csindex.errors import InputError, shown

SRC = Path(__file__).resolve().parents[1] / "src" / "csindex"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.float64(-1.0), "-1.0"),
        (np.int64(7), "7"),
        (np.str_("A1"), "'A1'"),
        (np.bool_(True), "True"),
        (pd.Series([2.5]).iloc[0], "2.5"),
        ("A1", "'A1'"),
        (3, "3"),
    ],
)
def test_a_value_reads_as_plain_python(value, text):
    assert shown(value) == text


def test_no_message_reprs_a_value_taken_out_of_an_array():
    """``{x.iloc[k]!r}`` / ``{w[r]!r}`` in an f-string prints NumPy's repr; use shown()."""
    pattern = re.compile(r"\{(?!str\()[^{}]*(?:\.iloc\[|\.iat\[|\.values\[)[^{}]*!r\}")
    found = [
        f"{p.relative_to(SRC.parent)}:{i}"
        for p in SRC.rglob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found


def test_a_negative_weight_in_the_cbsem_data_reads_as_a_number():
    from csindex.sem.cbsem.data import prepare_items
    from csindex.sem.spec import ModelSpec

    data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    spec = ModelSpec(blocks={"X": ["a", "b"]}, paths=[])
    with pytest.raises(InputError) as err:
        prepare_items(data, spec, np.array([1.0, -1.0, 1.0, 1.0]))
    assert "weight -1.0 is not allowed" in str(err.value)
    assert "np.float64" not in str(err.value)


def test_a_negative_direct_weight_reads_as_a_number():
    from csindex.indicators.methods import direct_weights

    with pytest.raises(InputError) as err:
        direct_weights(pd.Series({"A": 0.5, "B": -0.25}))
    assert "is -0.25;" in str(err.value) and "np.float64" not in str(err.value)
