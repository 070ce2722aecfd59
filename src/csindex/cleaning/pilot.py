"""Pilot item analysis (seed 001: a pilot of 30-50 responses precedes the survey).

Per item, within its construct (complete cases on the construct's items):
- corrected item-total correlation r(x_i, sum of the construct's other items);
- Cronbach's alpha of the construct, alpha = k/(k-1) (1 - sum var(x_j) / var(sum x_j)), and
  alpha if the item is deleted (NaN when fewer than two items remain);
- floor and ceiling shares (answers at the scale minimum / maximum) among answered cells;
- share missing, mean and standard deviation (ddof = 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instrument import Instrument

PILOT_COLUMNS = [
    "item", "construct", "subset", "n", "n_answered", "share_missing", "mean", "sd",
    "floor_share", "ceiling_share", "item_total_r", "alpha_construct", "alpha_if_deleted", "n_complete",
]  # fmt: skip


def cronbach_alpha(X: np.ndarray) -> float:
    """alpha = k/(k-1) * (1 - sum_j var(x_j) / var(sum_j x_j)), rows complete, ddof = 1."""
    k = X.shape[1]
    if k < 2 or X.shape[0] < 2:
        return float("nan")
    tot = X.sum(axis=1).var(ddof=1)
    if tot == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - X.var(axis=0, ddof=1).sum() / tot))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def item_analysis(data: pd.DataFrame, instrument: Instrument, subset: str = "all") -> pd.DataFrame:
    """The pilot item table (module docstring) for the rows of ``data`` (items on their own scale
    after recoding)."""
    rows = []
    n = len(data)
    for con, ids in instrument.blocks().items():
        ids = [i for i in ids if i in data.columns]
        if not ids:
            continue
        B = data[ids].to_numpy(dtype=float, na_value=np.nan)
        comp = B[np.isfinite(B).all(axis=1)]
        a_all = cronbach_alpha(comp)
        for t, iid in enumerate(ids):
            it = instrument.item(iid)
            x = B[:, t]
            ans = x[np.isfinite(x)]
            lo, hi = (1.0, 5.0) if it.kind == "quantity" else (it.scale.min, it.scale.max)
            others = np.delete(comp, t, axis=1)
            rows.append(
                {
                    "item": iid,
                    "construct": con,
                    "subset": subset,
                    "n": n,
                    "n_answered": int(len(ans)),
                    "share_missing": 1 - len(ans) / n if n else float("nan"),
                    "mean": float(ans.mean()) if len(ans) else float("nan"),
                    "sd": float(ans.std(ddof=1)) if len(ans) > 1 else float("nan"),
                    "floor_share": float((ans == lo).mean()) if len(ans) else float("nan"),
                    "ceiling_share": float((ans == hi).mean()) if len(ans) else float("nan"),
                    "item_total_r": _corr(comp[:, t], others.sum(axis=1))
                    if others.shape[1]
                    else float("nan"),
                    "alpha_construct": a_all,
                    "alpha_if_deleted": cronbach_alpha(others),
                    "n_complete": int(len(comp)),
                }
            )
    return pd.DataFrame(rows, columns=PILOT_COLUMNS)


def pilot_items(
    data: pd.DataFrame, instrument: Instrument, wave_column: str = "wave", pilot_wave: str = "pilot"
) -> pd.DataFrame:
    """Item analysis of the pilot wave; when no row is marked pilot, of every row (subset
    'all')."""
    if wave_column in data.columns:
        m = (data[wave_column].astype(str) == pilot_wave).to_numpy()
        if m.any():
            return item_analysis(data[m], instrument, subset=pilot_wave)
    return item_analysis(data, instrument, subset="all")
