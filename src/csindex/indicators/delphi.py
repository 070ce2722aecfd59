"""Delphi method (德尔菲法, seed 001 section 三.3): rounds of expert estimates fed back until
they stop changing, with Kendall's coefficient of concordance W per round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from .methods import WeightResult, record_warning


def kendalls_w(scores: pd.DataFrame) -> dict[str, float]:
    """Kendall's W for m raters (rows) ranking n objects (columns), corrected for ties.

    Ranks within each rater (average ranks for ties); R_j = column rank sums,
    S = sum_j (R_j - mean R)^2, W = 12 S / (m^2 (n^3 - n) - m sum_i T_i) with
    T_i = sum over tie groups (t^3 - t); chi2 = m (n - 1) W on n - 1 df (Kendall & Babington
    Smith 1939; Siegel & Castellan 1988, 10.3).
    """
    x = scores.to_numpy(dtype=float)
    m, n = x.shape
    if m < 2 or n < 2:
        return {
            "W": float("nan"),
            "chi2": float("nan"),
            "df": float(n - 1),
            "p_value": float("nan"),
        }
    r = stats.rankdata(x, axis=1)
    rsum = r.sum(axis=0)
    s = float(((rsum - rsum.mean()) ** 2).sum())
    # tie correction: for each rater, sum (t^3 - t) over groups of tied values
    srt = np.sort(x, axis=1)
    t_corr = 0.0
    for row in srt:  # m experts (a handful), not data rows
        _, counts = np.unique(row, return_counts=True)
        t_corr += float((counts**3 - counts).sum())
    denom = m**2 * (n**3 - n) - m * t_corr
    w = 12.0 * s / denom if denom > 0 else float("nan")
    chi2 = m * (n - 1) * w
    p = float(stats.chi2.sf(chi2, n - 1)) if np.isfinite(chi2) else float("nan")
    return {"W": w, "chi2": chi2, "df": float(n - 1), "p_value": p, "m": float(m), "n": float(n)}


def round_summary(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per-indicator summary of one round (experts in rows, indicators in columns):
    n, mean, sd (n-1), coefficient of variation sd/mean, min, quartiles (R type 7), median, max, IQR."""
    x = estimates.astype(float)
    q = x.quantile([0.25, 0.5, 0.75])
    mean = x.mean()
    sd = x.std(ddof=1)
    return pd.DataFrame(
        {
            "indicator": x.columns,
            "n": x.count().to_numpy(),
            "mean": mean.to_numpy(),
            "sd": sd.to_numpy(),
            "cv": (sd / mean).to_numpy(),
            "min": x.min().to_numpy(),
            "q1": q.loc[0.25].to_numpy(),
            "median": q.loc[0.5].to_numpy(),
            "q3": q.loc[0.75].to_numpy(),
            "max": x.max().to_numpy(),
            "iqr": (q.loc[0.75] - q.loc[0.25]).to_numpy(),
        }
    )


def feedback_table(estimates: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Feedback for the next round: each expert's estimate beside the group median and
    quartiles, with a flag for estimates outside the interquartile range (the expert is asked
    to revise or give reasons)."""
    s = summary.set_index("indicator")
    long = estimates.stack().rename("own").reset_index()
    long.columns = ["expert", "indicator", "own"]
    long = long.join(s[["median", "q1", "q3", "mean"]], on="indicator")
    long["deviation_from_median"] = long["own"] - long["median"]
    long["outside_iqr"] = (long["own"] < long["q1"]) | (long["own"] > long["q3"])
    return long.sort_values(["indicator", "expert"], kind="stable").reset_index(drop=True)


@dataclass
class DelphiResult:
    """All rounds of a Delphi exercise for one node: summaries, W, feedback, convergence."""

    parent: str
    rounds: list[pd.DataFrame]  # round summaries
    concordance: pd.DataFrame  # round, W, chi2, df, p_value, max_cv, max_change
    feedback: list[pd.DataFrame]
    converged: bool
    converged_round: int | None
    result: WeightResult
    settings: dict[str, Any] = field(default_factory=dict)

    def summary_frame(self) -> pd.DataFrame:
        """All round summaries stacked, with the round number."""
        return pd.concat(
            [r.assign(round=k + 1) for k, r in enumerate(self.rounds)], ignore_index=True
        )[["round"] + list(self.rounds[0].columns)]


def _round_estimates(
    est: pd.DataFrame, cols: list, k: int, file: str | None, normalise_experts: bool
) -> pd.DataFrame:
    """Round ``k``'s estimates in round 1's indicator order; with ``normalise_experts`` each
    expert's row divided by its sum."""
    if sorted(est.columns) != sorted(cols):
        raise InputError(
            f"Delphi round {k + 1} names indicators {sorted(est.columns)}, round 1 names "
            f"{sorted(cols)}; every round must rate the same indicators",
            file=file,
        )
    est = est[cols].astype(float)
    if normalise_experts:
        tot = est.sum(axis=1)
        if (tot <= 0).any():
            bad = tot[tot <= 0].index[0]
            raise InputError(
                f"expert {bad!r} gives all-zero estimates in round {k + 1}; at least one "
                "must be positive",
                file=file,
            )
        est = est.div(tot, axis=0)
    return est


def _concordance_row(
    k: int,
    est: pd.DataFrame,
    summ: pd.DataFrame,
    stat: pd.Series,
    prev: pd.Series | None,
    *,
    cv_max: float,
    change_max: float,
) -> dict[str, Any]:
    """Round ``k``'s line of the concordance table: Kendall's W with its chi2 test, the largest
    CV, the largest change of the group statistic since the previous round, and convergence
    (change <= change_max and max CV <= cv_max, from round 2 on)."""
    kw = kendalls_w(est)
    change = float((stat - prev).abs().max()) if prev is not None else float("nan")
    max_cv = float(summ["cv"].max())
    return {
        "round": k + 1,
        "n_experts": int(len(est)),
        "W": kw["W"],
        "chi2": kw["chi2"],
        "df": kw["df"],
        "p_value": kw["p_value"],
        "max_cv": max_cv,
        "max_change": change,
        "converged": bool(prev is not None and change <= change_max and max_cv <= cv_max),
    }


def _delphi_weights(
    parent: str,
    summaries: list[pd.DataFrame],
    conc: list[dict[str, Any]],
    converged_round: int | None,
    *,
    statistic: str,
    cv_max: float,
    change_max: float,
) -> WeightResult:
    """Final weights: the last round's group ``statistic`` normalised to sum 1, with a warning
    when no round converged."""
    msgs: list[str] = []
    final = summaries[-1].set_index("indicator")[statistic]
    w = final / final.sum()
    if converged_round is None:
        record_warning(
            msgs,
            f"Delphi under {parent!r} did not converge in {len(summaries)} round(s) "
            f"(need max change <= {change_max} and max CV <= {cv_max}); run another round",
        )
    last = conc[-1]
    return WeightResult(
        "delphi",
        parent,
        w,
        summaries[-1].assign(weight=w.to_numpy()),
        {
            "rounds": len(summaries),
            "converged": converged_round is not None,
            "converged_round": converged_round,
            "kendall_W": last["W"],
            "kendall_chi2": last["chi2"],
            "kendall_p": last["p_value"],
            "max_cv": last["max_cv"],
        },
        msgs,
    )


def delphi(
    rounds: Sequence[pd.DataFrame],
    *,
    parent: str = "CSI",
    cv_max: float = 0.25,
    change_max: float = 0.02,
    statistic: str = "mean",
    normalise_experts: bool = True,
    files: Sequence[str] | None = None,
) -> DelphiResult:
    """Delphi weights from rounds of expert estimates.

    Each round is a wide table (index expert, columns indicator). With ``normalise_experts``
    each expert's estimates are divided by their sum (weights on a common scale). Convergence:
    the first round r >= 2 where the largest change of the group ``statistic`` between rounds
    r-1 and r is <= ``change_max`` and the largest coefficient of variation is <= ``cv_max``.
    Final weights: the last round's group ``statistic`` (mean or median), normalised.
    """
    if not rounds:
        raise InputError("Delphi needs at least one round of estimates")
    files = list(files) if files is not None else [None] * len(rounds)
    cols = list(rounds[0].columns)
    summaries, feedbacks, conc = [], [], []
    prev = None
    for k, (est, f) in enumerate(zip(rounds, files, strict=True)):
        est = _round_estimates(est, cols, k, f, normalise_experts)
        summ = round_summary(est)
        summaries.append(summ)
        feedbacks.append(feedback_table(est, summ))
        stat = summ.set_index("indicator")[statistic]
        conc.append(
            _concordance_row(k, est, summ, stat, prev, cv_max=cv_max, change_max=change_max)
        )
        prev = stat
    converged_round = next((c["round"] for c in conc if c["converged"]), None)
    res = _delphi_weights(
        parent,
        summaries,
        conc,
        converged_round,
        statistic=statistic,
        cv_max=cv_max,
        change_max=change_max,
    )
    return DelphiResult(
        parent,
        summaries,
        pd.DataFrame(conc),
        feedbacks,
        converged_round is not None,
        converged_round,
        res,
        {"cv_max": cv_max, "change_max": change_max, "statistic": statistic},
    )
