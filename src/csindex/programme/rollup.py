"""The roll-up of company indices to industry, sector and national indices, as the American
Customer Satisfaction Index defines it, with standard errors propagated from the company SEs.

Levels (one wave at a time):

- industry index = revenue-weighted mean of its companies' indices (weight = revenue);
- sector index = weighted mean of its industries, an industry weighing the sum of its
  companies' revenues (so a sector is also the revenue-weighted mean of its companies);
- national index = weighted mean of the sectors with the sector weights (GDP shares).

Standard errors. Companies are independent samples, so for a weighted mean of company indices
``x_i`` with SEs ``SE_i`` and weights ``w_i`` (``W = sum w_i``)::

    Var(sum_i w_i x_i / W) = sum_i (w_i / W)^2 SE_i^2

and, since every higher level is a fixed linear combination of company indices, the same
formula applies with the company's *effective* weight in that level (its share of the
industry, times the industry's share of the sector, times the sector's weight). Weights
(revenues, GDP shares) are treated as fixed, known constants. CI: ``index +/- z SE`` with
``z = Phi^-1(1 - alpha/2)``.

Change between waves ``a`` (earlier) and ``b``: ``d = x_b - x_a`` with
``SE_d = sqrt(SE_a^2 + SE_b^2)`` (independent samples across waves), ``z = d / SE_d``, two-sided
``p = 2 (1 - Phi(|z|))``. Overlapping samples (a panel re-interviewing the same customers)
would have a positive covariance and a smaller SE_d; csindex draws every wave as a new sample
(each wave has its own seed), so the independent-samples formula is the one that applies; with
a panel it is conservative. At aggregate levels the change is computed on the companies present
in *both* waves (a matched set), with each wave's own weights, so that a company entering or
leaving is not shown as a change; ``n_companies`` says how many were matched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, shown

LEVELS = ("company", "industry", "sector", "national")
COLUMNS = [
    "level",
    "id",
    "wave",
    "index",
    "se",
    "ci_lower",
    "ci_upper",
    "n_companies",
    "n_respondents",
    "weight",
    "parent",
]


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - alpha / 2)


def _p_two_sided(z: np.ndarray) -> np.ndarray:
    from math import erfc, sqrt

    return np.array([erfc(abs(v) / sqrt(2)) if np.isfinite(v) else np.nan for v in z])


@dataclass(frozen=True)
class RollupOptions:
    """alpha: 1 - CI level."""

    alpha: float = 0.05


@dataclass
class RollupResults:
    """Company, industry, sector and national rows for every wave (columns :data:`COLUMNS`)."""

    companies: pd.DataFrame
    industries: pd.DataFrame
    sectors: pd.DataFrame
    national: pd.DataFrame
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        return pd.concat(
            [self.companies, self.industries, self.sectors, self.national], ignore_index=True
        )

    def summary(self) -> str:
        lines = [f"Programme roll-up ({100 * (1 - self.alpha):.0f}% CIs)"]
        for _, r in self.national.iterrows():
            lines.append(
                f"  national {r['wave']}: {r['index']:.2f} (SE {r['se']:.2f}, "
                f"CI {r['ci_lower']:.2f} to {r['ci_upper']:.2f}, {int(r['n_companies'])} companies)"
            )
        return "\n".join(lines)


def _check_companies(companies: pd.DataFrame) -> None:
    need = ["id", "wave", "index", "se", "industry", "sector", "revenue"]
    miss = [c for c in need if c not in companies.columns]
    if miss:
        raise InputError(f"company table lacks column(s) {', '.join(miss)}")
    bad = companies[~(companies["revenue"] > 0)]
    if len(bad):
        raise InputError(
            f"company {shown(bad['id'].iloc[0])}: revenue must be > 0", column="revenue"
        )
    bad = companies[~(companies["se"] >= 0) | ~np.isfinite(companies["index"])]
    if len(bad):
        raise InputError(
            f"company {shown(bad['id'].iloc[0])} wave {shown(bad['wave'].iloc[0])}: index and a "
            "non-negative SE are required",
            column="se",
        )


def weighted_mean(x: np.ndarray, se: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """``sum w x / W`` and its SE ``sqrt(sum (w/W)^2 SE^2)`` (independent x, fixed w)."""
    share = np.asarray(w, float) / np.sum(w)
    return float(share @ np.asarray(x, float)), float(np.sqrt(share**2 @ np.asarray(se) ** 2))


def _level(
    rows: pd.DataFrame,
    key: str,
    parent: str | None,
    level: str,
    z: float,
    weight_of_group=None,
) -> pd.DataFrame:
    """Weighted means of ``rows`` (columns index, se, w, n_companies, n_respondents) by
    (key, wave); the group's weight is the sum of w unless ``weight_of_group`` maps it."""
    g = rows.assign(wx=rows["w"] * rows["index"], w2v=rows["w"] ** 2 * rows["se"] ** 2).groupby(
        [key, "wave"], sort=True
    )
    out = pd.DataFrame(
        {
            "W": g["w"].sum(),
            "wx": g["wx"].sum(),
            "w2v": g["w2v"].sum(),
            "n_companies": g["n_companies"].sum(),
            "n_respondents": g["n_respondents"].sum(),
        }
    ).reset_index()
    out["index"] = out["wx"] / out["W"]
    out["se"] = np.sqrt(out["w2v"]) / out["W"]
    out["ci_lower"] = out["index"] - z * out["se"]
    out["ci_upper"] = out["index"] + z * out["se"]
    out["weight"] = out["W"] if weight_of_group is None else out[key].map(weight_of_group)
    out["level"] = level
    out["id"] = out[key]
    if parent:
        out["parent"] = out[key].map(rows.drop_duplicates(key).set_index(key)[parent])
    else:
        out["parent"] = ""
    return out


def rollup(
    companies: pd.DataFrame,
    sector_weights: pd.Series | dict,
    options: RollupOptions | None = None,
) -> RollupResults:
    """Roll company indices up to industries, sectors and the nation (see module docstring).

    ``companies``: one row per company x wave with id, wave, index, se, industry, sector,
    revenue, and optionally n_respondents. ``sector_weights``: sector -> GDP share.
    """
    opt = options or RollupOptions()
    z = _z(opt.alpha)
    _check_companies(companies)
    sw = pd.Series(sector_weights, dtype=float)
    missing = sorted(set(companies["sector"]) - set(sw.index))
    if missing:
        raise InputError(f"sector(s) {', '.join(missing)} have no weight", column="sector")
    c = companies.copy()
    if "n_respondents" not in c:
        c["n_respondents"] = np.nan
    c = c.sort_values(["wave", "sector", "industry", "id"], kind="mergesort")
    c["n_companies"] = 1
    comp = c.assign(
        level="company",
        ci_lower=c["index"] - z * c["se"],
        ci_upper=c["index"] + z * c["se"],
        weight=c["revenue"],
        parent=c["industry"],
    )
    ind = _level(c.assign(w=c["revenue"]), "industry", "sector", "industry", z)
    sec = _level(
        ind.assign(w=ind["W"], sector=ind["parent"]).drop(columns=["id", "level", "parent"]),
        "sector",
        None,
        "sector",
        z,
        weight_of_group=sw / sw[sorted(set(c["sector"]))].sum(),
    )
    nat_in = sec.drop(columns=["id", "level", "parent"]).assign(
        nation="national", w=lambda d: d["weight"]
    )
    nat = _level(nat_in, "nation", None, "national", z)
    nat["weight"] = 1.0
    sec["parent"] = "national"
    ind_cols = COLUMNS
    return RollupResults(
        companies=comp[ind_cols].reset_index(drop=True),
        industries=ind[ind_cols].reset_index(drop=True),
        sectors=sec[ind_cols].reset_index(drop=True),
        national=nat[ind_cols].reset_index(drop=True),
        alpha=opt.alpha,
    )


def change(
    companies: pd.DataFrame,
    sector_weights: pd.Series | dict,
    wave_a: str,
    wave_b: str,
    options: RollupOptions | None = None,
) -> pd.DataFrame:
    """Change from ``wave_a`` to ``wave_b`` at every level, on the companies in both waves.

    Each level's index in each wave is the roll-up of the matched companies (each wave's own
    revenues); ``se_change = sqrt(se_a^2 + se_b^2)``, ``z = change / se_change``, two-sided p.
    """
    opt = options or RollupOptions()
    z = _z(opt.alpha)
    both = set(companies.loc[companies["wave"] == wave_a, "id"]) & set(
        companies.loc[companies["wave"] == wave_b, "id"]
    )
    m = companies[companies["id"].isin(both) & companies["wave"].isin([wave_a, wave_b])]
    if m.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    res = rollup(m, sector_weights, opt).to_frame()
    a = res[res["wave"] == wave_a].set_index(["level", "id"])
    b = res[res["wave"] == wave_b].set_index(["level", "id"])
    j = a.merge(b, left_index=True, right_index=True, suffixes=("_a", "_b"), how="inner")
    out = pd.DataFrame(
        {
            "level": j.index.get_level_values(0),
            "id": j.index.get_level_values(1),
            "wave_a": wave_a,
            "wave_b": wave_b,
            "index_a": j["index_a"].to_numpy(),
            "index_b": j["index_b"].to_numpy(),
            "se_a": j["se_a"].to_numpy(),
            "se_b": j["se_b"].to_numpy(),
            "n_companies": j["n_companies_b"].to_numpy(),
            "parent": j["parent_b"].to_numpy(),
        }
    )
    diff = change_test(out["index_a"], out["se_a"], out["index_b"], out["se_b"], z)
    out = pd.concat([out, diff], axis=1)
    order = {lv: i for i, lv in enumerate(LEVELS)}
    out = out.sort_values(["level", "id"], key=lambda s: s.map(order) if s.name == "level" else s)
    return out[CHANGE_COLUMNS].reset_index(drop=True)


CHANGE_COLUMNS = [
    "level",
    "id",
    "wave_a",
    "wave_b",
    "index_a",
    "index_b",
    "change",
    "se_change",
    "ci_lower",
    "ci_upper",
    "z",
    "p_value",
    "se_a",
    "se_b",
    "n_companies",
    "parent",
]


def change_test(
    index_a, se_a, index_b, se_b, z_crit: float | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """``change = b - a``, ``se_change = sqrt(se_a^2 + se_b^2)`` (independent samples), CI,
    ``z = change / se_change`` and two-sided p."""
    zc = _z(alpha) if z_crit is None else z_crit
    d = np.asarray(index_b, float) - np.asarray(index_a, float)
    s = np.sqrt(np.asarray(se_a, float) ** 2 + np.asarray(se_b, float) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        zz = np.where(s > 0, d / s, np.nan)
    return pd.DataFrame(
        {
            "change": d,
            "se_change": s,
            "ci_lower": d - zc * s,
            "ci_upper": d + zc * s,
            "z": zz,
            "p_value": _p_two_sided(zz),
        }
    )


def study_trend(rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One study's index per wave with the change to the previous wave and to the same wave a
    year earlier (when present), each with ``SE_diff = sqrt(SE_a^2 + SE_b^2)``, z and p.

    ``rows``: one row per wave (wave, index, se, n_respondents). Waves are distinct samples;
    a re-run (another version) of the same wave is not a wave and never appears here.
    """
    from .sheet import wave_order, year_earlier

    if rows["wave"].duplicated().any():
        dup = rows.loc[rows["wave"].duplicated(), "wave"].iloc[0]
        raise InputError(f"wave {dup!r} appears twice for one study", column="wave")
    r = rows.copy()
    r["_o"] = r["wave"].map(wave_order)
    r = r.sort_values("_o").drop(columns="_o").reset_index(drop=True)
    z = _z(alpha)
    r["ci_lower"] = r["index"] - z * r["se"]
    r["ci_upper"] = r["index"] + z * r["se"]
    by_wave = r.set_index("wave")
    for tag, ref in (
        ("previous", [None] + r["wave"].tolist()[:-1]),
        ("year", [year_earlier(w) for w in r["wave"]]),
    ):
        ref = [w if w in by_wave.index else None for w in ref]
        ia = np.array([by_wave.at[w, "index"] if w else np.nan for w in ref], float)
        sa = np.array([by_wave.at[w, "se"] if w else np.nan for w in ref], float)
        t = change_test(ia, sa, r["index"], r["se"], z)
        r[f"{tag}_wave"] = [w or "" for w in ref]
        r[f"change_{tag}"] = t["change"]
        r[f"se_change_{tag}"] = t["se_change"]
        r[f"z_{tag}"] = t["z"]
        r[f"p_{tag}"] = t["p_value"]
    return r


def company_index(csi: pd.DataFrame) -> dict:
    """A study's CSI from its ``index/csi.csv``: the overall row of construct CSI (else CS):
    index, se, n_respondents (a simulated study's true CSI is ``csi_truth`` of its
    validation/truth.json, :func:`csindex.validation.overall_truth`)."""
    overall = csi[csi["group_var"] == "overall"]
    for name in ("CSI", "CS"):
        r = overall[overall["construct"].astype(str).str.upper() == name]
        if len(r):
            row = r.iloc[0]
            return {
                "index": float(row["index"]),
                "se": float(row["se"]),
                "n_respondents": int(row["n"]),
            }
    raise InputError("no overall CSI or CS row", column="construct")


def trends(
    companies: pd.DataFrame, sector_weights: pd.Series | dict, options: RollupOptions | None = None
) -> pd.DataFrame:
    """Change at every level between each wave and (a) the previous wave of the programme,
    (b) the same wave a year earlier, when present (see :func:`change`)."""
    from .sheet import wave_order, year_earlier

    waves = sorted(set(companies["wave"]), key=wave_order)
    parts = []
    for k, w in enumerate(waves):
        refs = []
        if k > 0:
            refs.append(("previous", waves[k - 1]))
        ye = year_earlier(w)
        if ye in waves:
            refs.append(("year", ye))
        for kind, ref in refs:
            t = change(companies, sector_weights, ref, w, options)
            parts.append(t.assign(comparison=kind))
    if not parts:
        return pd.DataFrame(columns=CHANGE_COLUMNS + ["comparison"])
    return pd.concat(parts, ignore_index=True)
