"""Quota sampling, the non-probability option: design weights are undefined and weighting
must calibrate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .allocation import largest_remainder
from .codes import check_frame, factorize
from .design import Design, SampleResult, Stage
from .selection import select_in_groups


def quota_sample(
    frame: pd.DataFrame,
    cells: Sequence[str],
    n: int | None,
    seed: int | np.random.Generator,
    *,
    id_column: str = "customer_id",
    quotas: Mapping[str, int] | None = None,
    file: str | None = None,
) -> SampleResult:
    """Quota sample: ``quotas`` per cell (cells = combinations of ``cells`` columns, labelled
    ``"a|b"``), or ``n`` spread over cells proportionally to the frame (largest remainder);
    within a cell the units are picked at random (standing in for the interviewers' choice).

    Not a probability sample: ``pi`` and ``design_weight`` are NaN; weighting must calibrate.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d = Design("quota", (Stage(),), id_column=id_column)
    check_frame(frame, d, file)
    _check_cells(frame, cells, file)
    code, names = _cell_codes(frame, cells)
    N_c = np.bincount(code, minlength=len(names))
    if quotas:
        n_c = _given_quotas(quotas, names, N_c, cells, file)
    else:
        n_c = _proportional_quotas(N_c, n, len(frame))
    sel, _, _ = select_in_groups("srswor", code, n_c, rng)
    idx = np.flatnonzero(sel)
    out = _quota_table(frame, id_column, idx, code, names)
    table = pd.DataFrame(
        {
            "cell": names,
            "N_units": N_c,
            "quota": n_c,
            "n_units": np.bincount(code[idx], minlength=len(names)),
        }
    )
    return SampleResult(out, _quota_info(cells, id_column, n, out, table))


def _check_cells(frame: pd.DataFrame, cells: Sequence[str], file: str | None) -> None:
    """The quota variables are frame columns with a value on every row."""
    missing = [c for c in cells if c not in frame.columns]
    if missing or not cells:
        raise ConfigError(
            f"quota cells must be frame columns; not found: {missing or '(none given)'}",
            key="design.quota.cells",
        )
    for c in cells:
        na = frame[c].isna().to_numpy()
        if na.any():
            raise InputError(
                f"{int(na.sum())} row(s) have no value for quota variable {c!r}",
                file=file,
                row=int(np.flatnonzero(na)[0]) + 1,
                column=c,
            )


def _cell_codes(frame: pd.DataFrame, cells: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Cell code 0..C-1 of every row (sorted cells) and the cell labels ``"a|b"``, from the
    codes of each quota variable (no per-row string work)."""
    code = np.zeros(len(frame), dtype=np.int64)
    parts = []
    for c in cells:
        cc, un = factorize(frame[c])
        code = code * un.size + cc
        parts.append(un)
    code, combo = pd.factorize(code, sort=True)
    code = code.astype(np.int64)
    names = []
    for x in np.asarray(combo, dtype=np.int64).tolist():  # one label per cell, not per unit
        lab = []
        for un in reversed(parts):
            lab.append(str(un[x % un.size]))
            x //= un.size
        names.append("|".join(reversed(lab)))
    return code, names


def _given_quotas(
    quotas: Mapping[str, int],
    names: list[str],
    N_c: np.ndarray,
    cells: Sequence[str],
    file: str | None,
) -> np.ndarray:
    """The configured quota per cell (0 for a cell without one), at most the cell's units."""
    q = {str(k): int(v) for k, v in quotas.items()}
    extra = [c for c in q if c not in set(names)]
    if extra:
        raise ConfigError(
            f"quota cell(s) {', '.join(map(repr, extra[:10]))} have no units in the frame; "
            f"cells are labelled like {names[0]!r}",
            key="design.quota.quotas",
        )
    n_c = np.array([q.get(s, 0) for s in names], dtype=np.int64)
    short = np.flatnonzero(n_c > N_c)
    if short.size:
        h = short[0]
        raise InputError(
            f"quota cell {names[h]!r} has {N_c[h]} unit(s) in the frame, fewer than its quota "
            f"{n_c[h]}; lower the quota or merge cells",
            file=file,
            column=",".join(cells),
        )
    return n_c


def _proportional_quotas(N_c: np.ndarray, n: int | None, n_frame: int) -> np.ndarray:
    """``n`` spread over the cells in proportion to their units, by largest remainder."""
    if n is None:
        raise ConfigError("quota sampling needs design.n or design.quota.quotas", key="design.n")
    if n > n_frame:
        raise ConfigError(f"n = {n} is larger than the frame ({n_frame} units)", key="design.n")
    return largest_remainder(N_c * (n / N_c.sum()), n)


def _quota_table(
    frame: pd.DataFrame, id_column: str, idx: np.ndarray, code: np.ndarray, names: list[str]
) -> pd.DataFrame:
    """The selected rows with unit_id, stratum (= quota_cell), psu and NaN pi, design weight and
    fpc, ordered by cell and unit id."""
    out = frame.iloc[idx].reset_index(drop=True).copy()
    out.insert(0, "unit_id", frame[id_column].to_numpy()[idx].astype(str))
    out["stratum"] = np.asarray(names, dtype=object)[code[idx]]
    out["quota_cell"] = out["stratum"]
    out["psu"] = out["unit_id"]
    out["pi_1"] = np.nan
    out["pi"] = np.nan
    out["design_weight"] = np.nan
    out["fpc_1"] = np.nan
    out["fpc_2"] = np.nan
    return out.sort_values(["stratum", "unit_id"], kind="stable").reset_index(drop=True)


def _quota_info(
    cells: Sequence[str], id_column: str, n: int | None, out: pd.DataFrame, table: pd.DataFrame
) -> dict[str, Any]:
    """design.json of a quota sample (no design weights: a warning says so)."""
    return {
        "method": "quota",
        "probability_sample": False,
        "design_weights_defined": False,
        "warning": "Quota sampling is not a probability design: inclusion probabilities and "
        "design weights are not defined (pi and design_weight are NaN). Weighting must "
        "calibrate the respondents to known population totals.",
        "id_column": id_column,
        "quota_cells": list(cells),
        "n_target": n,
        "n_selected": int(len(out)),
        "allocation": {"method": "quota", "table": table.to_dict(orient="records")},
        "stages": [],
    }
