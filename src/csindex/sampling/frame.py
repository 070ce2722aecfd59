"""Reading a sampling frame from Parquet, CSV or Excel (optionally only the columns needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import InputError


def read_frame(
    path: str | Path, id_column: str = "customer_id", columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a sampling frame (Parquet, CSV or Excel); the id column is read as text.

    ``columns``: read only these (e.g. :meth:`Design.columns` of the design), in the file's
    order; a column the file lacks is an :class:`InputError` naming it."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv", ".txt", ".xlsx", ".xls"):
        raise InputError(
            f"unknown frame format {suffix!r}; allowed: .parquet, .csv, .xlsx", file=str(path)
        )
    cols = None if columns is None else list(dict.fromkeys(columns))
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path, columns=cols)
        elif suffix in (".csv", ".txt"):
            df = pd.read_csv(path, dtype={id_column: str}, usecols=cols)
        else:
            df = pd.read_excel(path, dtype={id_column: str}, usecols=cols)
    except (ValueError, KeyError) as e:
        if cols is None:
            raise
        import pyarrow.parquet as pq

        have = (
            pq.read_schema(path).names
            if suffix in (".parquet", ".pq")
            else list(pd.read_csv(path, nrows=0).columns)
            if suffix in (".csv", ".txt")
            else list(pd.read_excel(path, nrows=0).columns)
        )
        missing = [c for c in cols if c not in have]
        if not missing:
            raise
        raise InputError(
            f"the frame has no column {missing[0]!r} (needed by the design)",
            file=str(path),
            column=missing[0],
        ) from e
    return df
