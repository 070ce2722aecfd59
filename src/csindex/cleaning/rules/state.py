"""What the cleaning rules share: the working table (:class:`CleaningState`), the audit log,
the summary, and the result (:class:`CleanResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError
from ...instrument import Instrument
from .audit import AuditLog


@dataclass
class CleanResult:
    """Cleaned responses, the log of every change and the counts per rule."""

    data: pd.DataFrame
    log: pd.DataFrame
    summary: dict[str, Any]
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.data


@dataclass
class CleaningState:
    """The table being cleaned. ``X`` holds the item answers of the current rows, ``pos`` their
    positions in the input ``df``; rules change ``X`` in place, drop rows through ``keep`` (the
    duplicates rule, over the input) or ``flags`` (row rules, over the de-duplicated rows), and
    record every change in ``log`` and their counts in ``summary["rules"]``."""

    df: pd.DataFrame
    instrument: Instrument
    cols: list[str]
    X: np.ndarray
    pos: np.ndarray
    log: AuditLog
    ids: pd.Series
    rows: np.ndarray
    text_pos: np.ndarray
    text_col: np.ndarray
    text_val: np.ndarray
    duration_column: str = "duration_sec"
    wave_column: str = "wave"
    summary: dict[str, Any] = field(default_factory=dict)
    keep: np.ndarray = field(default_factory=lambda: np.ones(0, bool))
    nonblank: np.ndarray | None = None
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    reasons: dict[str, np.ndarray] = field(default_factory=dict)
    flag_pos: np.ndarray | None = None

    @property
    def items(self) -> list:
        return self.instrument.items

    @property
    def rules(self) -> dict[str, Any]:
        """The summary's counts per rule."""
        return self.summary["rules"]

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        instrument: Instrument,
        non_numeric: pd.DataFrame | None = None,
        *,
        duration_column: str = "duration_sec",
        wave_column: str = "wave",
    ) -> CleaningState:
        """The state before any rule: every row, item columns as float; ``non_numeric`` (row,
        column, value) the item cells holding text at ingest."""
        cols = [it.id for it in instrument.items]
        n0 = len(df)
        absent = [c for c in ["respondent_id", *cols] if c not in df.columns]
        if absent:
            raise InputError(
                f"the table to clean lacks column(s) {', '.join(absent)} (ingest it first: "
                "csindex.cleaning.ingest_file)",
                column=absent[0],
            )
        ids = df["respondent_id"].astype(str)
        rows = (
            df["source_row"].to_numpy(dtype=np.int64)
            if "source_row" in df.columns
            else np.arange(1, n0 + 1, dtype=np.int64)
        )
        X = np.empty((n0, len(cols)), dtype=float, order="F")
        for j, c in enumerate(cols):
            X[:, j] = df[c].to_numpy(dtype=float, na_value=np.nan)
        text_pos, text_col, text_val = _text_cells(non_numeric, cols, rows)
        return cls(
            df=df, instrument=instrument, cols=cols, X=X, pos=np.arange(n0), ids=ids,
            rows=rows, log=AuditLog(ids, rows, cols), text_pos=text_pos, text_col=text_col,
            text_val=text_val, duration_column=duration_column, wave_column=wave_column,
            summary={"rows_in": int(n0), "rules": {}}, keep=np.ones(n0, bool),
        )  # fmt: skip

    def column(self, name: str) -> np.ndarray | None:
        """A non-item column of the current rows as numbers (None when absent)."""
        if name not in self.df.columns:
            return None
        x = pd.to_numeric(self.df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return x[self.pos]

    def result(self) -> CleanResult:
        """The cleaned table (input column order, no ``source_row``), log, summary and flags."""
        df, cols = self.df, self.cols
        other = [c for c in df.columns if c not in cols and c != "source_row"]
        out = df[other].take(self.pos).reset_index(drop=True)
        for j, c in enumerate(cols):
            out[c] = self.X[:, j]
        out = out[[c for c in df.columns if c != "source_row"]]
        n0 = self.summary["rows_in"]
        self.summary["rows_out"] = int(len(out))
        self.summary["rows_dropped"] = int(n0 - len(out))
        self.summary["items"] = cols
        fp = self.flag_pos if self.flag_pos is not None else self.pos
        flag_frame = pd.DataFrame(
            {"respondent_id": self.ids.to_numpy()[fp], "row": self.rows[fp], **self.flags}
        )
        return CleanResult(data=out, log=self.log.frame(), summary=self.summary, flags=flag_frame)


def _text_cells(
    non_numeric: pd.DataFrame | None, cols: list[str], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions, item column indices and (first 40 characters of) the text of the item cells
    found holding text at ingest."""
    text_pos = np.array([], dtype=np.int64)
    text_col = np.array([], dtype=np.int64)
    text_val = np.array([], dtype=object)
    if non_numeric is not None and len(non_numeric):
        nn = non_numeric[non_numeric["column"].isin(cols) & non_numeric["row"].isin(rows)]
        at_row = pd.Series(np.arange(len(rows)), index=rows)
        text_pos = at_row.loc[nn["row"].to_numpy()].to_numpy()
        text_col = nn["column"].map({c: j for j, c in enumerate(cols)}).to_numpy(dtype=np.int64)
        text_val = nn["value"].astype(str).str.slice(0, 40).to_numpy(dtype=object)
    return text_pos, text_col, text_val
