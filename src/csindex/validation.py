"""A simulated study against its truth (rule ``validate``, only for simulated fieldwork).

The production stages never see the simulation's truth; this module compares their outputs
with it afterwards, from DataFrames and dicts (no file I/O):

* :func:`compare_injected`: defects caught by cleaning (``clean/summary.json``) against those
  injected by the fieldwork simulator (``fieldwork/injected.json``);
* :func:`compare_item_means`: the weighted and unweighted item means of
  ``weights/estimates.csv`` against the population item means (``fieldwork/truth.json``);
* :func:`compare_index`: the index of every construct (``index/csi.csv``) against the
  population 0-100 construct score (equal item weights, the truth's own definition), the
  equal-weight sample index against the same, and, for PLS, the index against its own
  population value (:func:`population_index`);
* :func:`compare_truth` gathers the three in a :class:`TruthComparison`
  (``validation/truth.json`` and, long, ``validation/truth.csv``).

An error is estimate − truth; ``covered`` says whether the CI [ci_lower, ci_upper] holds the
truth (empty when the estimate has no CI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .index import IndexRows, acsi_index, index_keys, index_shares
from .sem.estimators import fit_class
from .sem.spec import ModelSpec

# ------------------------------------------------------------------------------- cleaning
INJECTED_MAP = {
    "duplicates": ("duplicate", "rows"),
    "out_of_range": ("off_scale", "cells"),
    "dont_know": ("dont_know", "cells"),
    "refused": ("refused", "cells"),
    "straightliners": ("straightlining", "rows"),
    "speeders": ("speeder", "rows"),
    "attention_failed": ("attention", "rows"),
    "partials": ("min_answered", "rows"),
}
"""fieldwork/injected.json key -> (cleaning rule, unit counted in clean/summary.json)."""


def compare_injected(summary: Mapping[str, Any], injected: Mapping[str, Any]) -> dict[str, Any]:
    """Caught versus injected defects (fieldwork/injected.json). Straight-liners: the injected
    plus the respondents whose true answers happen to be identical (``straightliners_natural``)."""
    out: dict[str, Any] = {}
    for key, (rule, unit) in INJECTED_MAP.items():
        if key not in injected:
            continue
        expected = int(injected[key])
        if key == "straightliners":
            expected += int(injected.get("straightliners_natural", 0))
        caught = int(summary["rules"].get(rule, {}).get(unit, 0))
        out[key] = {
            "rule": rule,
            "unit": unit,
            "injected": expected,
            "caught": caught,
            "match": caught == expected,
        }
    return {"defects": out, "all_match": all(v["match"] for v in out.values())}


# ------------------------------------------------------------------------------- item means
def _text(s: pd.Series) -> pd.Series:
    """Labels as strings, a missing label (a CSV's empty cell) as ""."""
    return s.astype("string").fillna("").astype(str)


def compare_item_means(
    estimates: pd.DataFrame, truth: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The item means of :func:`csindex.estimation.item_estimates` (weights/estimates.csv)
    next to the population means (``item_means``, ``item_means_by_<domain>`` of the truth).

    Returns the mean rows with a truth (statistic, variable, domain_var, domain, estimate, se,
    ci_lower, ci_upper, unweighted, truth) and a summary over the overall rows: the mean
    absolute error of the weighted and of the unweighted means, how many items the weights
    moved closer to the truth, and whether the weighted means are closer on average."""
    res = estimates[estimates["statistic"] == "mean"].copy()
    res["domain_var"] = _text(res["domain_var"])
    res["domain"] = _text(res["domain"])
    tv = []
    for var, dv, d in zip(res["variable"], res["domain_var"], res["domain"], strict=True):
        if dv == "":
            tv.append(truth.get("item_means", {}).get(var, np.nan))
        else:
            tv.append(truth.get(f"item_means_by_{dv}", {}).get(d, {}).get(var, np.nan))
    res["truth"] = np.asarray(tv, float)
    res = res[res["truth"].notna()].reset_index(drop=True)
    cols = ["statistic", "variable", "domain_var", "domain", "estimate", "se"]
    cols += ["ci_lower", "ci_upper", "unweighted", "truth"]
    res = res[[c for c in cols if c in res.columns]]
    summary: dict[str, Any] = {}
    ov = res[res["domain_var"] == ""]
    if len(ov):
        ew = (ov["estimate"] - ov["truth"]).abs()
        eu = (ov["unweighted"] - ov["truth"]).abs()
        summary = {
            "items": int(len(ov)),
            "mean_abs_error_weighted": float(ew.mean()),
            "mean_abs_error_unweighted": float(eu.mean()),
            "items_closer_weighted": int((ew < eu).sum()),
            "weighted_closer_to_truth": bool(ew.mean() < eu.mean()),
        }
    return res, summary


# ------------------------------------------------------------------------------- the index
def population_index(
    truth: Mapping,
    spec: ModelSpec,
    scale: Mapping[str, tuple[float, float]],
    model_cfg: dict | None = None,
) -> dict[str, np.ndarray] | None:
    """The population value of the PLS index: the index the estimator would give on the whole
    population (a census without defects), from ``truth["item_moments"]`` (population item
    means and covariance matrix of fieldwork/truth.json).

    The outer weights come from the PLS algorithm run on the population covariance (correlation
    when ``model.pls.standardized``) with the configured scheme and modes, turned to the raw item
    scale as :func:`csindex.sem.pls.fit_pls` does; the index of a group applies these weights to
    the group's population item means (``item_means_by_<column>``), as :func:`acsi_index`
    applies the sample's weights to a group's sample means. Returns {"overall": (L,) array,
    "<column>=<group>": (L,) array, ...} in ``spec.constructs`` order, or None when the truth has
    no item moments for the model's items, the population PLS fit does not converge or the
    estimator is not PLS (CB-SEM's factor-score weights would need a population ML fit).
    """
    from .sem.pls import ModelArrays, pls_weights_from_cov

    mcfg = dict(model_cfg or {})
    mom = truth.get("item_moments") if isinstance(truth, Mapping) else None
    if not fit_class(mcfg).weights_from_moments or not mom:
        return None
    pos = {i: k for k, i in enumerate(mom["items"])}
    if any(i not in pos for i in spec.items):
        return None
    sel = np.array([pos[i] for i in spec.items])
    S = np.asarray(mom["covariance"], dtype=float)[np.ix_(sel, sel)]
    mean = np.asarray(mom["mean"], dtype=float)[sel]
    pcfg = dict(mcfg.get("pls") or {})
    standardized = bool(pcfg.get("standardized", True))
    sd = np.sqrt(np.diag(S))
    if (sd <= 0).any():
        return None
    arr = ModelArrays.from_spec(spec)
    W3, _, conv = pls_weights_from_cov(
        (S / np.outer(sd, sd) if standardized else S)[None],
        arr,
        scheme=pcfg.get("scheme", "path"),
        tol=float(pcfg.get("tol", 1e-6)),
        maxiter=int(pcfg.get("maxiter", 100)),
    )
    W = W3[0] / (sd[:, None] if standardized else 1.0)
    raw = dict(zip(spec.items, W[np.arange(len(spec.items)), arr.block], strict=True))
    sh = index_shares(raw, spec, scale).set_index("item").loc[spec.items, "share"].to_numpy()
    lo = np.array([scale[i][0] for i in spec.items])
    hi = np.array([scale[i][1] for i in spec.items])

    def index_of(m: np.ndarray) -> np.ndarray:
        return np.bincount(
            arr.block, weights=sh * (m - lo) / (hi - lo) * 100, minlength=len(spec.constructs)
        )

    if not conv[0]:
        return None
    out = {"overall": index_of(mean)}
    for key, tab in truth.items():
        if not key.startswith("item_means_by_") or not isinstance(tab, Mapping):
            continue
        col = key[len("item_means_by_") :]
        for g, means in tab.items():
            if all(i in means for i in spec.items):
                out[f"{col}={g}"] = index_of(np.array([float(means[i]) for i in spec.items]))
    return out


TRUTH_DEFINITION = "population mean of the items' 0-100 scores (equal item weights)"
"""What ``truth`` of an index row is (the simulator's construct score)."""


def covers(lower: pd.Series, upper: pd.Series, truth: pd.Series) -> pd.Series:
    """Whether [lower, upper] holds the truth; missing (<NA>) where there is no interval or
    no truth."""
    lo, hi, t = (np.asarray(x, dtype=float) for x in (lower, upper, truth))
    out = pd.Series((lo <= t) & (t <= hi), index=lower.index, dtype="boolean")
    out[np.isnan(lo) | np.isnan(hi) | np.isnan(t)] = pd.NA
    return out


def compare_index(
    csi: pd.DataFrame,
    truth: Mapping,
    rows: IndexRows,
    spec: ModelSpec,
    model_cfg: dict | None = None,
) -> pd.DataFrame:
    """The index of every construct and group (``index/csi.csv``) against a simulation's truth
    (``construct_scores`` of fieldwork/truth.json: ``overall`` and ``by_<column>``).

    ``rows`` are the index's rows (:func:`csindex.index.index_rows` of the clean responses,
    weights and options the index used). Columns: construct, group_var, group, n, index, se,
    ci_lower, ci_upper, se_method, then ``truth`` (:data:`TRUTH_DEFINITION`), ``error``, the
    equal-weight sample index (the truth's own definition) and its error, ``ci_covers_truth``
    (when there is a CI); with the population item moments in the truth and the PLS estimator,
    ``truth_index`` = the population value of the index itself (:func:`population_index`),
    ``error_index`` and ``ci_covers_truth_index``: the comparison a coverage check of the index
    needs. (The PLS index weights the items by their outer weights, so its population value
    differs from the equal-weight truth, e.g. by about 1.3 points for loyalty in the demo.)"""
    keep = ["construct", "group_var", "group", "n", "index", "se", "ci_lower", "ci_upper"]
    keep += ["se_method"]
    idx = csi[[c for c in keep if c in csi.columns]].copy()
    for c in ("construct", "group_var", "group"):
        idx[c] = _text(idx[c])
    cs = truth["construct_scores"] if "construct_scores" in truth else truth

    def true_value(c: str, gv: str, g: str) -> float:
        if gv == "overall":
            return cs["overall"].get(c, np.nan)
        return cs.get(f"by_{gv}", {}).get(g, {}).get(c, np.nan)

    idx["truth"] = np.asarray(
        [
            true_value(c, gv, g)
            for c, gv, g in zip(idx["construct"], idx["group_var"], idx["group"], strict=True)
        ],
        dtype=float,
    )
    idx["truth_definition"] = TRUTH_DEFINITION
    idx["error"] = idx["index"] - idx["truth"]
    # the sample estimate under the truth's own definition (equal weights on the 0-100 scale)
    eq = {i: 1.0 / (rows.scale[i][1] - rows.scale[i][0]) for i in spec.items}
    ew = acsi_index(rows.used, spec, eq, rows.scale, rows.weights, rows.by)
    ew = pd.Series(ew["index"].to_numpy(), index=index_keys(ew))
    idx["index_equal_weights"] = ew.reindex(index_keys(idx)).to_numpy()
    idx["error_equal_weights"] = idx["index_equal_weights"] - idx["truth"]
    has_ci = "ci_lower" in idx and idx["ci_lower"].notna().any()
    if has_ci:
        idx["ci_covers_truth"] = covers(idx["ci_lower"], idx["ci_upper"], idx["truth"])
    pop = population_index(truth, spec, rows.scale, model_cfg)
    if pop is not None:
        pos = {c: k for k, c in enumerate(spec.constructs)}
        vals = []
        for c, gv, g in zip(idx["construct"], idx["group_var"], idx["group"], strict=True):
            key = "overall" if gv == "overall" else f"{gv}={g}"
            vals.append(pop[key][pos[c]] if key in pop and c in pos else np.nan)
        idx["truth_index"] = np.asarray(vals, dtype=float)
        idx["error_index"] = idx["index"] - idx["truth_index"]
        if has_ci:
            idx["ci_covers_truth_index"] = covers(
                idx["ci_lower"], idx["ci_upper"], idx["truth_index"]
            )
    return idx


def overall_truth(index_comparison: pd.DataFrame) -> float:
    """The true population CSI of a study: the ``truth`` of the overall CSI row of a
    :func:`compare_index` table (else of CS, as :func:`csindex.programme.rollup.company_index`
    picks the estimate); NaN when there is none."""
    ov = index_comparison[index_comparison["group_var"] == "overall"]
    for name in ("CSI", "CS"):
        r = ov[ov["construct"].astype(str).str.upper() == name]
        if len(r):
            return float(r["truth"].iloc[0])
    return float("nan")


# ------------------------------------------------------------------------------- together
TABLE_COLUMNS = ["statistic", "kind", "estimate", "se", "ci_lower", "ci_upper", "truth"]
TABLE_COLUMNS += ["error", "covered"]
"""Columns of validation/truth.csv."""

KINDS = {
    "item_mean": "weighted item mean vs the population item mean",
    "item_mean_unweighted": "unweighted item mean vs the population item mean",
    "index": "index vs the population construct score (" + TRUTH_DEFINITION + ")",
    "index_equal_weights": "equal-weight sample index vs the population construct score",
    "index_population": "index vs its own population value (PLS weights of the population)",
}
"""The ``kind`` of a validation/truth.csv row: which estimate is compared with which truth."""


def _long(
    kind: str, stat: Sequence[str], est, se, lo, hi, truth, cov: pd.Series | None = None
) -> pd.DataFrame:
    n = len(stat)

    def col(x) -> np.ndarray:
        return np.full(n, np.nan) if x is None else np.asarray(x, dtype=float)

    t = col(truth)
    out = pd.DataFrame(
        {
            "statistic": list(stat),
            "kind": kind,
            "estimate": col(est),
            "se": col(se),
            "ci_lower": col(lo),
            "ci_upper": col(hi),
            "truth": t,
        }
    )
    out["error"] = out["estimate"] - t
    out["covered"] = (
        pd.Series(pd.NA, index=out.index, dtype="boolean")
        if cov is None
        else pd.Series(np.asarray(cov, dtype=object), dtype="boolean").reset_index(drop=True)
    )
    return out


@dataclass
class TruthComparison:
    """A simulated study against its truth.

    cleaning : :func:`compare_injected` (None without an injected-defect record);
    item_means, item_summary : :func:`compare_item_means` (None/{} without item estimates);
    index : :func:`compare_index` (None without an index table).
    """

    cleaning: dict[str, Any] | None = None
    item_means: pd.DataFrame | None = None
    item_summary: dict[str, Any] = field(default_factory=dict)
    index: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per estimate with a truth (:data:`TABLE_COLUMNS`; ``kind`` in :data:`KINDS`),
        the statistic named as the bootstrap names it (``mean:Q1``, ``mean:Q1|segment=a``,
        ``index:CS``, ``index:CS|segment=a``)."""
        parts = []
        m = self.item_means
        if m is not None and len(m):
            stat = [
                f"mean:{v}" if dv == "" else f"mean:{v}|{dv}={d}"
                for v, dv, d in zip(m["variable"], m["domain_var"], m["domain"], strict=True)
            ]
            lo, hi = m.get("ci_lower"), m.get("ci_upper")
            cov = covers(lo, hi, m["truth"]) if lo is not None and hi is not None else None
            parts.append(
                _long("item_mean", stat, m["estimate"], m.get("se"), lo, hi, m["truth"], cov)
            )
            parts.append(
                _long("item_mean_unweighted", stat, m["unweighted"], None, None, None, m["truth"])
            )
        x = self.index
        if x is not None and len(x):
            stat = index_keys(x)
            lo, hi = x.get("ci_lower"), x.get("ci_upper")
            ci = (x["se"], lo, hi)
            parts.append(
                _long("index", stat, x["index"], *ci, x["truth"], x.get("ci_covers_truth"))
            )
            parts.append(
                _long(
                    "index_equal_weights",
                    stat,
                    x["index_equal_weights"],
                    None,
                    None,
                    None,
                    x["truth"],
                )
            )
            if "truth_index" in x:
                cov = x.get("ci_covers_truth_index")
                parts.append(
                    _long("index_population", stat, x["index"], *ci, x["truth_index"], cov)
                )
        if not parts:
            return pd.DataFrame(columns=TABLE_COLUMNS)
        out = pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]
        return out[out["truth"].notna()].reset_index(drop=True)

    def coverage(self) -> dict[str, dict[str, float | int]]:
        """Per kind with a CI: rows compared, rows covered and their share."""
        t = self.to_frame()
        out = {}
        for kind, g in t.groupby("kind", sort=True):
            c = g["covered"].dropna()
            if len(c):
                out[str(kind)] = {
                    "rows": int(len(c)),
                    "covered": int(c.sum()),
                    "share": float(c.mean()),
                }
        return out

    def to_dict(self) -> dict[str, Any]:
        """validation/truth.json: the cleaning check, the item-mean summary, the index table
        (records) with the study's true CSI, and the CI coverage per kind."""
        out: dict[str, Any] = {"kinds": KINDS, "coverage": self.coverage()}
        if self.cleaning is not None:
            out["cleaning"] = self.cleaning
        if self.item_summary:
            out["item_means"] = self.item_summary
        if self.index is not None:
            out["index"] = self.index.to_dict(orient="records")
            out["csi_truth"] = overall_truth(self.index)
        return out

    def summary(self) -> str:
        """A few lines: defects caught, item means, the index's errors and coverage."""
        lines = []
        if self.cleaning is not None:
            d = self.cleaning["defects"]
            ok = sum(v["match"] for v in d.values())
            lines.append(f"cleaning: {ok} of {len(d)} defect kinds caught exactly as injected")
        if self.item_summary:
            s = self.item_summary
            lines.append(
                f"item means: mean |error| weighted {s['mean_abs_error_weighted']:.4g}, "
                f"unweighted {s['mean_abs_error_unweighted']:.4g} ({s['items']} items)"
            )
        for kind, c in self.coverage().items():
            lines.append(f"{kind}: CI covers the truth in {c['covered']} of {c['rows']} rows")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n = 0 if self.index is None else len(self.index)
        m = 0 if self.item_means is None else len(self.item_means)
        return f"TruthComparison(item means {m}, index rows {n})"


def compare_truth(
    truth: Mapping[str, Any],
    *,
    injected: Mapping[str, Any] | None = None,
    clean_summary: Mapping[str, Any] | None = None,
    estimates: pd.DataFrame | None = None,
    csi: pd.DataFrame | None = None,
    rows: IndexRows | None = None,
    spec: ModelSpec | None = None,
    model_cfg: dict | None = None,
) -> TruthComparison:
    """Every comparison of a simulated study with its truth that its inputs allow: cleaning
    (``injected`` and ``clean_summary``), item means (``estimates``), the index (``csi``,
    ``rows`` and ``spec``)."""
    out = TruthComparison()
    if injected is not None and clean_summary is not None:
        out.cleaning = compare_injected(clean_summary, injected)
    if estimates is not None:
        out.item_means, out.item_summary = compare_item_means(estimates, truth)
    if csi is not None and rows is not None and spec is not None:
        out.index = compare_index(csi, truth, rows, spec, model_cfg)
    return out
