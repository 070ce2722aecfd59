"""Response rates from final dispositions (AAPOR Standard Definitions, 9th ed., 2016).

With I complete, P partial, R refusal, NC non-contact, O other (eligible, no interview), U unknown
eligibility and e the estimated share of the unknown cases that are eligible (proportional
allocation: e = eligible / (eligible + ineligible) among the resolved cases):

    RR1 = I / ((I + P) + (R + NC + O) + U)          RR2 = (I + P) / (same)
    RR3 = I / ((I + P) + (R + NC + O) + e U)        RR4 = (I + P) / (same)
    COOP1 = I / ((I + P) + R + O)   REF1 = R / ((I + P) + (R + NC + O) + U)
    CON1 = ((I + P) + R + O) / ((I + P) + (R + NC + O) + U)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, shown

DISPOSITIONS = (
    "complete",
    "partial",
    "refusal",
    "noncontact",
    "other",
    "ineligible",
    "unknown_eligibility",
)


def _div(a: float, b: float) -> float:
    return float(a) / float(b) if b > 0 else float("nan")


def response_rates(counts: dict[str, int], e: float | None = None) -> dict[str, float]:
    """AAPOR rates from disposition counts (module docstring). ``e`` defaults to the
    proportional estimate from the resolved cases."""
    c = {k: int(counts.get(k, 0)) for k in DISPOSITIONS}
    I, P, R, NC, O = c["complete"], c["partial"], c["refusal"], c["noncontact"], c["other"]  # noqa: E741
    U, IE = c["unknown_eligibility"], c["ineligible"]
    elig = I + P + R + NC + O
    if e is None:
        e = _div(elig, elig + IE) if elig + IE > 0 else 1.0
    den1 = (I + P) + (R + NC + O) + U
    den3 = (I + P) + (R + NC + O) + e * U
    return {
        "e": float(e),
        "RR1": _div(I, den1),
        "RR2": _div(I + P, den1),
        "RR3": _div(I, den3),
        "RR4": _div(I + P, den3),
        "COOP1": _div(I, (I + P) + R + O),
        "REF1": _div(R, den1),
        "CON1": _div((I + P) + R + O, den1),
    }


def disposition_table(
    dispositions: pd.DataFrame | None,
    kept_ids: pd.Series | None = None,
    *,
    file: str = "dispositions",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Counts per disposition and the AAPOR rates as a long table (measure, value), plus the same
    as a dict. ``kept_ids`` (respondent ids kept by cleaning) adds the completes that survived
    cleaning and RR1 computed with them."""
    if dispositions is None:
        return pd.DataFrame(
            {"measure": pd.Series([], dtype=object), "value": pd.Series([], dtype=float)}
        ), {
            "available": False,
            "note": "no dispositions file (the study starts from a response file): response rates not computed",
        }
    if "disposition" not in dispositions.columns:
        raise InputError("column 'disposition' is missing", file=file, column="disposition")
    d = dispositions["disposition"].astype(str)
    bad = ~d.isin(DISPOSITIONS)
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"disposition {shown(d.iloc[k])} is not allowed; allowed: {', '.join(DISPOSITIONS)}",
            file=file,
            row=k + 1,
            column="disposition",
        )
    counts = {k: int((d == k).sum()) for k in DISPOSITIONS}
    rates = response_rates(counts)
    out: dict[str, Any] = {
        "available": True,
        "n_sampled": int(len(d)),
        "counts": counts,
        "rates": rates,
    }
    if kept_ids is not None and "respondent_id" in dispositions.columns:
        rid = dispositions["respondent_id"]
        ok = (d == "complete") & rid.isin(set(kept_ids.astype(str)))
        c2 = dict(counts)
        c2["complete_after_cleaning"] = int(ok.sum())
        out["complete_after_cleaning"] = int(ok.sum())
        # completes dropped by cleaning count as eligible non-interviews (other)
        adj = dict(
            counts,
            complete=int(ok.sum()),
            other=counts["other"] + counts["complete"] - int(ok.sum()),
        )
        out["rates_after_cleaning"] = response_rates(adj)
    rows = [("n_sampled", float(len(d)))]
    rows += [(f"n_{k}", float(v)) for k, v in counts.items()]
    rows += [(k, v) for k, v in rates.items()]
    if "complete_after_cleaning" in out:
        rows.append(("n_complete_after_cleaning", float(out["complete_after_cleaning"])))
        rows += [
            (f"{k}_after_cleaning", v) for k, v in out["rates_after_cleaning"].items() if k != "e"
        ]
    return pd.DataFrame(rows, columns=["measure", "value"]), out
