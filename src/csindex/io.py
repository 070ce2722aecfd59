"""Deterministic writers and small readers shared by the workflow scripts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, shown


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table to Parquet byte-identically for identical data (no index, no pandas metadata
    that varies between runs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file, or only ``columns`` of it (a frame of millions of rows: read what is used)."""
    return pd.read_parquet(path, columns=columns)


def read_parquet_schema(path: str | Path) -> list[str]:
    """The column names of a Parquet file, read from its footer (no data)."""
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        v = float(obj)
        return None if not np.isfinite(v) else v
    if isinstance(obj, float):
        return None if not np.isfinite(obj) else obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON with sorted keys, NaN as null, numpy scalars as Python numbers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(_jsonable(obj), sort_keys=True, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv(df: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write a human table as UTF-8 CSV with a fixed float format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=index, float_format="%.10g", lineterminator="\n", encoding="utf-8")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_model_inputs(
    responses_path: str, weights_paths: Sequence[str] = ()
) -> tuple[pd.DataFrame, np.ndarray | None, str]:
    """Clean responses and their final survey weights (``w_final`` of weights/weights.parquet,
    matched on respondent_id) when a weights file is given; returns (data, weights or None,
    a plain description of the weights used)."""
    data = pd.read_parquet(responses_path)
    if not weights_paths:
        return data, None, "unweighted (no weights file)"
    wpath = str(weights_paths[0])
    wdf = pd.read_parquet(wpath)
    for col in ("respondent_id", "w_final"):
        if col not in wdf.columns:
            raise InputError(
                f"column {col!r} is missing from the weights file", file=wpath, column=col
            )
    if "respondent_id" not in data.columns:
        raise InputError("the clean responses have no respondent_id", file=responses_path)
    wmap = wdf.drop_duplicates("respondent_id").set_index("respondent_id")["w_final"]
    w = data["respondent_id"].map(wmap)
    miss = np.flatnonzero(w.isna().to_numpy())
    if miss.size:
        raise InputError(
            f"{miss.size} respondent(s) of the clean responses have no final weight, e.g. "
            f"{shown(data['respondent_id'].iloc[miss[0]])}",
            file=wpath,
            column="w_final",
        )
    return data, w.to_numpy(dtype=float), f"survey-weighted (w_final of {wpath})"
