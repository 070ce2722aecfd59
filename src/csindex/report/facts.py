"""The facts the executive summary puts in words, each computed once from the stage outputs:
drivers of satisfaction, priorities, quality and fieldwork warnings, change against the
previous wave."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .context import THRESHOLDS, IndexFigure, ReportContext
from .folder import pick, standard_index_table
from .tables import difference_test


def drivers(ctx: ReportContext, target: str = "CS", top: int = 3) -> pd.DataFrame:
    """Constructs with the largest total effect on ``target`` (model/effects.csv), largest
    absolute effect first: ``construct, total``."""
    eff = ctx.v.csv("model/effects.csv")
    if eff is None or not {"from", "to", "total"} <= set(eff.columns):
        return pd.DataFrame(columns=["construct", "total"])
    e = eff[eff["to"].astype(str) == target]
    e = e.assign(_a=e["total"].abs()).sort_values(["_a", "from"], ascending=[False, True])
    return pd.DataFrame({"construct": e["from"].astype(str), "total": e["total"]}).head(top)


def segment_comparability(ctx: ReportContext) -> pd.DataFrame | None:
    """Whether segment indexes may be compared: the verdicts of
    :func:`csindex.sem.micom.segment_comparability` from model/micom.csv (PLS: MICOM) or
    model/invariance.csv (CB-SEM: scalar invariance); None when neither file has rows (not
    tested). Columns: comparison, construct, invariance, comparable, reason, basis."""
    from ..sem.micom import segment_comparability as verdicts

    mic = ctx.v.csv("model/micom.csv")
    if mic is not None and len(mic) and "verdict" in mic.columns:
        return verdicts(micom_table=mic).assign(basis="micom")
    inv = ctx.v.csv("model/invariance.csv")
    if inv is not None and len(inv) and "level" in inv.columns:
        return verdicts(invariance_table=inv).assign(basis="scalar")
    return None


def ipa_ranking(ipa: pd.DataFrame) -> pd.DataFrame:
    """index/ipa.csv with the priority of every point, ``importance x (100 - performance)``
    (the satisfaction gained if its gap to 100 were closed; the index stage's priority_score),
    ranked within each level, highest priority first."""
    name = pick(ipa, ["name", "item", "indicator", "construct"])
    out = pd.DataFrame(
        {
            "level": ipa["level"].astype(str) if "level" in ipa.columns else "item",
            "name": ipa[name].astype(str),
            "importance": pd.to_numeric(ipa["importance"], errors="coerce"),
            "performance": pd.to_numeric(ipa["performance"], errors="coerce"),
        }
    )
    if "quadrant" in ipa.columns:
        out["quadrant"] = ipa["quadrant"].astype(str)
    for c in ("importance_cut", "performance_cut"):
        out[c] = (
            pd.to_numeric(ipa[c], errors="coerce")
            if c in ipa.columns
            else out.groupby("level")[c.split("_")[0]].transform("mean")
        )
    if "quadrant" not in out.columns:
        hi = out["importance"] >= out["importance_cut"]
        lo = out["performance"] < out["performance_cut"]
        out["quadrant"] = np.select(
            [hi & lo, hi & ~lo, ~hi & lo], ["improve first", "maintain", "low priority"],
            "possible overkill",
        )  # fmt: skip
    out["gap"] = 100.0 - out["performance"]
    out["below_avg"] = out["performance_cut"] - out["performance"]
    out["priority"] = (
        pd.to_numeric(ipa["priority_score"], errors="coerce")
        if "priority_score" in ipa.columns
        else out["importance"] * out["gap"]
    )
    out = out.sort_values(["level", "priority", "name"], ascending=[True, False, True])
    out["rank"] = out.groupby("level").cumcount() + 1
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Warning_:
    key: str
    kw: dict


def quality_warnings(q: pd.DataFrame | None) -> list[Warning_]:
    """HTMT > 0.90, AVE < 0.50, composite reliability rho_C < 0.70 from model/quality.csv."""
    out: list[Warning_] = []
    if q is None or not {"measure", "lhs", "value"} <= set(q.columns):
        return out
    m = q["measure"].astype(str).str.lower()
    v = pd.to_numeric(q["value"], errors="coerce")
    rhs = q["rhs"] if "rhs" in q.columns else pd.Series(np.nan, index=q.index)
    for i in np.flatnonzero((m == "htmt") & (v > THRESHOLDS["htmt"])):
        out.append(Warning_("warn_htmt", {"a": q["lhs"].iloc[i], "b": rhs.iloc[i], "v": v.iloc[i]}))
    for meas, key, thr in (("ave", "warn_ave", "ave"), ("rho_c", "warn_rhoc", "rho_c")):
        for i in np.flatnonzero((m == meas) & rhs.isna() & (v < THRESHOLDS[thr])):
            out.append(Warning_(key, {"a": q["lhs"].iloc[i], "v": v.iloc[i]}))
    return out


def response_rate(ctx: ReportContext) -> tuple[float, float] | None:
    """AAPOR RR1 and RR2 in % as the cleaning stage computed them (clean/dispositions.csv)."""
    d = ctx.v.csv("clean/dispositions.csv")
    if d is None or not {"measure", "value"} <= set(d.columns):
        return None
    m = dict(zip(d["measure"].astype(str), pd.to_numeric(d["value"], errors="coerce"), strict=True))
    if "RR1" not in m:
        return None
    return 100 * float(m["RR1"]), 100 * float(m.get("RR2", np.nan))


def weighting_summary(ctx: ReportContext) -> dict | None:
    """Kish effective n and the weighting design effect of w_final (csindex.estimation)."""
    w = ctx.weights
    if w is None or "w_final" not in w.columns:
        return None
    from ..estimation import weighting_diagnostics

    return weighting_diagnostics(w["w_final"].to_numpy(dtype=float))


def fieldwork_warnings(ctx: ReportContext) -> list[Warning_]:
    out = []
    rr = response_rate(ctx)
    if rr is not None and rr[0] < THRESHOLDS["response_rate"]:
        out.append(Warning_("warn_rr", {"v": rr[0], "thr": THRESHOLDS["response_rate"]}))
    ws = weighting_summary(ctx)
    if ws is not None and ws["deff_weighting"] > THRESHOLDS["weight_deff"]:
        out.append(
            Warning_(
                "warn_deff",
                {
                    "v": ws["deff_weighting"],
                    "thr": THRESHOLDS["weight_deff"],
                    "neff": ws["kish_n_eff"],
                    "n": ws["n"],
                },
            )  # fmt: skip
        )
    return out


@dataclass(frozen=True)
class WaveChange:
    previous: str
    prev_value: float
    diff: object  # tables.DifferenceTest


def previous_wave(ctx: ReportContext, current: IndexFigure | None) -> WaveChange | None:
    """The change of the headline index against the previous wave named by
    ``report.previous_wave`` (a version folder of the earlier wave, relative to the project
    folder), with its z test; None when no earlier wave is given. Versions of the same wave
    (re-runs) are never compared."""
    prev = ctx.opt.previous_wave
    if not prev or current is None:
        return None
    p = Path(prev)
    p = p if p.is_absolute() else ctx.base / p
    if p.resolve() == ctx.v.root.resolve():
        raise ConfigError(
            f"{prev!r} is this version itself; allowed: the version folder of an earlier wave",
            key="report.previous_wave",
        )
    if current.kind == "acsi":
        f = p / "index/csi.csv"
        if not f.is_file():
            raise ConfigError(
                f"{f} does not exist; allowed: the version folder of an earlier wave with "
                "index/csi.csv",
                key="report.previous_wave",
            )
        std = standard_index_table(pd.read_csv(f), str(f))
        r = std[(std["by"] == "overall") & (std["construct"].str.upper() == "CS")]
        if not len(r):
            return None
        pv, pse = float(r["estimate"].iloc[0]), float(r["se"].iloc[0])
    else:
        f = p / "indicators/index.csv"
        if not f.is_file():
            raise ConfigError(
                f"{f} does not exist; allowed: the version folder of an earlier wave with "
                "indicators/index.csv",
                key="report.previous_wave",
            )
        ind = pd.read_csv(f)
        r = ind[(ind["node"].astype(str) == "CSI") & (ind["domain"].astype(str) == "all")]
        if not len(r):
            return None
        pv, pse = float(r["estimate"].iloc[0]), float(r["se"].iloc[0])
    ctx.v.read[f"previous wave: {f}"] = f
    if not (np.isfinite(pse) and np.isfinite(current.se)):
        return None
    d = difference_test(current.estimate, current.se, pv, pse, ctx.opt.level)
    return WaveChange(str(prev), pv, d)
