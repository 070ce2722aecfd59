"""The tables of the model stage (``model/*``), from a fit.

* :func:`fit_model`: fit PLS-PM or CB-SEM with the options of config section ``model``.
* :func:`model_tables`: every output of rule ``fit_model`` as a :class:`ModelTables`
  (estimates, standardized, effects, R², measurement quality, outer weights, scores, fit and
  admissibility). With replicate weights (:class:`~csindex.sem.bootstrap.ReplicateDesign`)
  the model is refitted with every replicate weight and the ``se``/``z``/``pvalue``/``ci_*``
  columns of estimates, the ``*_se`` columns of effects and ``se`` of R² are the
  design-based ones (variance as R survey's ``svrepdesign``), for PLS-PM and CB-SEM alike.
The bootstrap stage's tables (shards and their gather) are in :mod:`csindex.sem.bootstrap_outputs`.

No file is read or written here: the scripts read the inputs and write the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import ConfigError
from ..estimation import ReplicateDesign
from .bootstrap import (
    pls_setup,
    replicate_weight_se,
)
from .estimators import ESTIMATORS, fit_class  # noqa: F401  (ESTIMATORS: old home)
from .invariance import TABLE_COLUMNS
from .quality import measurement_quality, quality_from_pls
from .spec import ModelSpec

MODEL_COLUMNS: dict[str, list[str]] = {
    "estimates": ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper"],
    "standardized": ["lhs", "op", "rhs", "est_std"],
    "effects": ["from", "to", "direct", "indirect", "total"],
    "r2": ["variable", "kind", "r2"],
    "quality": ["measure", "lhs", "rhs", "value"],
    "outer_weights": [
        "construct",
        "item",
        "weight",
        "weight_raw",
        "loading",
        "loading_raw",
        "mode",
        "weight_type",
    ],
}
"""Columns every model table has, whatever the estimator (more may follow)."""

_Z975 = norm.ppf(0.975)

_NO_SE_PLS = "none here: bootstrap SEs and intervals in model/bootstrap_ci.csv"


@dataclass
class ModelTables:
    """The outputs of rule ``fit_model`` (one attribute per file of ``model/``).

    Attributes
    ----------
    result : the fit (:class:`~csindex.sem.pls.PLSResult` or
        :class:`~csindex.sem.cbsem.CBSEMResult`).
    estimates, standardized, effects, r2, quality, outer_weights : the CSV tables (columns at
        least :data:`MODEL_COLUMNS`).
    scores : construct scores of the rows used (``respondent_id`` first when the data has it).
    fit : fit.json (estimator, fit measures, the model, n, weights, SE method, warnings).
    admissibility : admissibility.json.
    quality_warnings : plain-word warnings of the measurement-quality checks.
    """

    result: Any
    estimates: pd.DataFrame
    standardized: pd.DataFrame
    effects: pd.DataFrame
    r2: pd.DataFrame
    quality: pd.DataFrame
    outer_weights: pd.DataFrame
    scores: pd.DataFrame
    fit: dict[str, Any]
    admissibility: dict[str, Any]
    quality_warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The fit's summary and the quality warnings."""
        warn = "; ".join(self.quality_warnings) or "none"
        return f"{self.result.summary()}\nquality warnings: {warn}"


# --------------------------------------------------------------------------- fitting
def fit_model(
    data: pd.DataFrame,
    spec: ModelSpec,
    model_cfg: dict | None = None,
    weights: np.ndarray | None = None,
    *,
    file: str | None = None,
):
    """Fit ``spec`` by the estimator of ``model_cfg`` (config section ``model``): PLS-PM with
    the options of ``model.pls`` (scheme, standardized, tol, maxiter, missing) or CB-SEM with
    those of ``model.cbsem`` (se, missing, start, gtol, max_iter, correlation_limit).
    ``weights``: survey weights, one per row of ``data`` (None = unweighted)."""
    return fit_class(model_cfg).fit_from_config(data, spec, model_cfg, weights, file=file)


# --------------------------------------------------------------------------- SE columns
def fill_se(table: pd.DataFrame, se: np.ndarray, est: str = "est") -> pd.DataFrame:
    """Set ``se``, ``z``, ``pvalue`` (two-sided, normal) and the 95 % ``ci_lower``/``ci_upper``
    of ``table`` from the SEs ``se`` (one per row; in place, also returned)."""
    table["se"] = se
    table["z"] = table[est] / table["se"]
    table["pvalue"] = 2 * norm.sf(np.abs(table["z"]))
    table["ci_lower"] = table[est] - _Z975 * table["se"]
    table["ci_upper"] = table[est] + _Z975 * table["se"]
    return table


def fill_effect_se(effects: pd.DataFrame, se: pd.Series, labels: dict[str, str]) -> pd.DataFrame:
    """Set ``direct_se``, ``indirect_se``, ``total_se`` of an effects table (from, to, direct,
    indirect, total) from SEs indexed by statistic name ``f"{labels[kind]}:FROM->TO"``; an
    effect that is exactly 0 (no such path) gets NaN. In place, also returned."""
    for kind in ("direct", "indirect", "total"):
        k = [
            f"{labels[kind]}:{a}->{b}" for a, b in zip(effects["from"], effects["to"], strict=True)
        ]
        effects[f"{kind}_se"] = se.reindex(k).to_numpy()
    effects.loc[effects["direct"] == 0, "direct_se"] = np.nan
    effects.loc[effects["indirect"] == 0, "indirect_se"] = np.nan
    return effects


# --------------------------------------------------------------------------- PLS-PM
def _pls_tables(res, spec, data, weights, model_cfg, replicates) -> dict[str, Any]:
    q = quality_from_pls(res)
    est = res.to_frame()
    std = est[["lhs", "op", "rhs"]].assign(est_std=est["est"])
    eff = res.effects.copy()
    r2 = pd.DataFrame({"variable": res.r2.index, "kind": "construct", "r2": res.r2.to_numpy()})
    r2 = r2.dropna(subset=["r2"])
    ow = res.outer_weights.assign(weight_type="PLS outer weights")
    # raw-scale loadings: regression of the item on the unit-variance score
    ow["loading_raw"] = ow["loading"].to_numpy() * res.sds.loc[ow["item"]].to_numpy()
    fit = {
        "estimator": "pls",
        "scheme": res.scheme,
        "standardized_items": res.standardized,
        "iterations": res.iterations,
        "converged": res.converged,
        "gof": res.info["gof"],
        "tol": res.info["tol"],
        "missing": res.info["missing"],
        "min_pairwise_n": res.info["min_pairwise_n"],
    }
    if replicates is not None and replicates.n_replicates:
        # design-based SEs: the model refitted with every replicate weight
        setup = pls_setup(data, spec, weights, model_cfg, None)
        rep = replicates.matrix(data, setup.rows)
        se = replicate_weight_se(
            setup, rep, replicates.scale, replicates.rscales, replicates.mse
        ).set_index("statistic")["se"]
        keys = [
            f"loading:{a}=~{b}" if op == "=~" else f"path:{b}->{a}"
            for a, op, b in zip(est["lhs"], est["op"], est["rhs"], strict=True)
        ]
        fill_se(est, se.reindex(keys).to_numpy())
        fill_effect_se(eff, se, {"direct": "path", "indirect": "indirect", "total": "total"})
        r2["se"] = se.reindex([f"r2:{c}" for c in r2["variable"]]).to_numpy()
        fit["se"] = replicates.describe("the model refitted in each")
    fit.setdefault("se", _NO_SE_PLS)
    return {
        "estimates": est,
        "standardized": std,
        "effects": eff,
        "r2": r2,
        "quality": q,
        "outer_weights": ow,
        "scores": res.scores.copy(),
        "used": res.rows_used,
        "fit": fit,
        "admissibility": res.admissibility,
    }


# --------------------------------------------------------------------------- CB-SEM
def cbsem_outer_weights(res, spec: ModelSpec, data: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """Own-block factor-score weights of a CB-SEM fit in the outer-weights layout, and the
    measurement quality from them.

    The weights are scaled to unit-variance scores (``weight_raw`` on the raw items,
    ``weight`` on standardized items); ``loading`` is the item-score correlation and
    ``loading_raw`` the marker-metric loading of the fit. Returns (table, QualityResult).
    """
    sw = res.score_weights[res.score_weights["own_block"]].copy()
    scores = res.scores.reset_index(drop=True)
    used = np.zeros(len(data), dtype=bool)
    used[res.used_rows] = True
    X = data.loc[used, spec.items].to_numpy(float)
    sdi = X.std(axis=0)
    sds = scores.std(ddof=0)
    # factor-score weights scaled to unit-variance scores, on raw and on standardized items
    sw["weight_raw"] = sw["weight"].to_numpy() / sds.loc[sw["construct"]].to_numpy()
    pos = {it: k for k, it in enumerate(spec.items)}
    sw["weight"] = sw["weight_raw"] * sdi[[pos[i] for i in sw["item"]]]
    item_cor = pd.DataFrame(np.corrcoef(X.T), index=spec.items, columns=spec.items)
    allc = np.corrcoef(np.column_stack([X, scores.to_numpy()]).T)
    p = len(spec.items)
    cross = pd.DataFrame(allc[:p, p:], index=spec.items, columns=spec.constructs)
    lv_cor = pd.DataFrame(allc[p:, p:], index=spec.constructs, columns=spec.constructs)
    loadings = [cross.loc[i, c] for c, i in zip(sw["construct"], sw["item"], strict=True)]
    ow = sw.assign(loading=loadings, mode="A", weight_type="CB-SEM factor-score weights")
    lam = res.estimates[res.estimates["op"] == "=~"].set_index(["lhs", "rhs"])["est"]
    ow["loading_raw"] = [lam[(c, i)] for c, i in zip(ow["construct"], ow["item"], strict=True)]
    ow = ow[MODEL_COLUMNS["outer_weights"]]
    q = measurement_quality(spec, item_cor, cross, ow.set_index("item")["weight"], lv_cor)
    return ow, q


def cbsem_replicate_statistics(
    res, spec: ModelSpec, data: pd.DataFrame, replicates: ReplicateDesign, model_cfg=None
) -> pd.DataFrame:
    """Design-based SEs of a CB-SEM fit: :func:`~csindex.sem.cbsem.cbsem_replicates` with the
    replicate weights of every data row; returns its ``.attrs["statistics"]`` (statistic, est,
    se: parameters ``lhs op rhs``, ``direct:/indirect:/total:FROM->TO``, ``r2:VAR``, ...) with
    ``.attrs["n_inadmissible"]``."""
    from .cbsem import cbsem_replicates

    ccfg = dict((model_cfg or {}).get("cbsem") or {})
    out = cbsem_replicates(
        data,
        spec,
        replicates.matrix(data),
        res,
        scale=replicates.scale,
        rscales=replicates.rscales,
        mse=replicates.mse,
        correlation_limit=float(ccfg.get("correlation_limit", 0.95)),
    )
    stats = out.attrs["statistics"].copy()
    stats.attrs["n_inadmissible"] = int(out["n_inadmissible"].iloc[0]) if len(out) else 0
    return stats


def _cbsem_tables(res, spec, data, weights, model_cfg, replicates) -> dict[str, Any]:
    est = res.estimates
    eff = res.effects
    r2 = res.r2
    scores = res.scores.reset_index(drop=True)
    used = np.zeros(len(data), dtype=bool)
    used[res.used_rows] = True
    ow, q = cbsem_outer_weights(res, spec, data)
    fit = dict(res.fit, estimator="cbsem", se_type=res.se_type)
    missing = dict((model_cfg or {}).get("cbsem") or {}).get("missing", "listwise")
    if replicates is not None and replicates.n_replicates:
        if missing == "ml":
            fit["se"] = (
                f"{res.se_type} (model-based); replicate-weight SEs not computed: "
                "model.cbsem.missing is ml and the replicate refits use complete rows"
            )
        else:
            est, eff, r2 = est.copy(), eff.copy(), r2.copy()
            stats = cbsem_replicate_statistics(res, spec, data, replicates, model_cfg)
            se = stats.set_index("statistic")["se"]
            keys = [f"{a}{o}{b}" for a, o, b in zip(est["lhs"], est["op"], est["rhs"], strict=True)]
            fixed = ~np.isin(keys, se.index)
            with np.errstate(divide="ignore", invalid="ignore"):
                fill_se(est, np.where(fixed, 0.0, se.reindex(keys).to_numpy()))
            est.loc[fixed, ["z", "pvalue"]] = np.nan  # fixed parameters, as the model-based table
            labels = {"direct": "direct", "indirect": "indirect", "total": "total"}
            fill_effect_se(eff, se, labels)
            r2["se"] = se.reindex([f"r2:{v}" for v in r2["variable"]]).to_numpy()
            fit["se"] = replicates.describe(
                "the model refitted in each; standardized.csv keeps the model-based "
                f"{res.se_type} SEs"
            )
            fit["replicates_inadmissible"] = stats.attrs["n_inadmissible"]
            fit["se_type"] = "replicate"
    if getattr(res, "equal_weights", False):
        fit["weights_note"] = (
            "the survey weights are all equal: fitted unweighted as lavaan without "
            "sampling.weights; "
            + (
                "SEs from the replicate weights of the design"
                if fit["se_type"] == "replicate"
                else f"{res.se_type} SEs (expected information)"
            )
        )
    return {
        "estimates": est,
        "standardized": res.standardized,
        "effects": eff,
        "r2": r2,
        "quality": q,
        "outer_weights": ow,
        "scores": scores,
        "used": used,
        "fit": fit,
        "admissibility": dict(res.admissibility.to_dict(), estimator="cbsem"),
    }


def _plsc_tables(result, spec, data, weights, model_cfg, replicates) -> dict[str, Any]:
    """Consistent PLS: the PLS-PM tables of its composites with the consistent estimates
    (:func:`csindex.sem.plsc.plsc_tables`); no replicate SEs (they would refit PLSc)."""
    from .plsc import plsc_tables

    return plsc_tables(result, _pls_tables(result.pls, spec, data, weights, model_cfg, None))


def _wlsmv_tables(result, spec, data, weights, model_cfg, replicates) -> dict[str, Any]:
    """WLSMV (:func:`csindex.sem.wlsmv.wlsmv_tables`): robust DWLS SEs, no replicates."""
    from .wlsmv import wlsmv_tables

    return wlsmv_tables(result, data)


# --------------------------------------------------------------------------- the stage
def group_column(data: pd.DataFrame, model_cfg: dict | None) -> str | None:
    """The grouping column of ``model.groups`` (None without groups); with
    ``model.group_threshold`` a derived column ``<groups>_group`` holding 'high' (value >=
    threshold) or 'low' is added to ``data`` (in place)."""
    mcfg = dict(model_cfg or {})
    col = mcfg.get("groups") or None
    if col is None:
        return None
    if col not in data.columns:
        raise ConfigError(
            f"model.groups {col!r} is not a column of the clean responses; columns: "
            f"{', '.join(map(str, data.columns[:30]))}",
            key="model.groups",
        )
    cut = mcfg.get("group_threshold")
    if cut is None:
        return col
    v = pd.to_numeric(data[col], errors="coerce")
    name = f"{col}_group"
    data[name] = np.where(v.isna(), None, np.where(v >= float(cut), "high", "low"))
    return name


def invariance_tables(
    data: pd.DataFrame,
    spec: ModelSpec,
    model_cfg: dict | None,
    weights: np.ndarray | None = None,
    *,
    file: str | None = None,
):
    """Measurement invariance of the ``model`` config (``groups``, ``group_threshold``,
    ``invariance``, ``group_partial``, ``cbsem.se``): the
    :class:`~csindex.sem.invariance.InvarianceResult`, or None without ``model.groups``."""
    from .invariance import measurement_invariance

    mcfg = dict(model_cfg or {})
    d = data.copy()
    col = group_column(d, mcfg)
    if col is None:
        return None
    if mcfg.get("estimator", "pls") in ("pls", "plsc"):
        return None  # PLS: MICOM and PLS-MGA instead (pls_group_tables)
    if mcfg.get("estimator", "pls") != "cbsem":
        raise ConfigError(
            "model.groups (multi-group SEM and invariance) needs model.estimator: cbsem, pls "
            "or plsc",
            key="model.groups",
        )
    ccfg = dict(mcfg.get("cbsem") or {})
    return measurement_invariance(
        d,
        spec,
        col,
        list(mcfg.get("invariance") or ["configural", "metric", "scalar"]),
        weights=weights,
        se=ccfg.get("se"),
        group_partial=list(mcfg.get("group_partial") or []),
        file=file,
    )


MGA_COLUMNS = ["path", "groups", "difference", "p_permutation", "p_henseler"]
"""Columns of ``model/mga.csv``."""


def pls_group_tables(
    data: pd.DataFrame, spec: ModelSpec, model_cfg: dict | None, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``model/micom.csv`` and ``model/mga.csv`` of a PLS (or PLSc) model with ``model.groups``:
    MICOM (:func:`~csindex.sem.micom.micom`) and PLS-MGA (:func:`~csindex.sem.mga.pls_mga`, every
    pair of groups) with ``model.permutations`` permutations and seeds derived from ``seed``
    (labels "micom", "mga"). Header-only tables without groups or for CB-SEM."""
    from itertools import combinations

    from ..seeds import derive_seed
    from .mga import complete_items, pls_mga
    from .micom import MICOM_COLUMNS, micom

    mcfg = dict(model_cfg or {})
    empty = pd.DataFrame(columns=MICOM_COLUMNS), pd.DataFrame(columns=MGA_COLUMNS)
    if mcfg.get("estimator", "pls") not in ("pls", "plsc"):
        return empty
    d = data.copy()
    col = group_column(d, mcfg)
    if col is None:
        return empty
    n_perm = int(mcfg.get("permutations", 1000))
    scheme = str(dict(mcfg.get("pls") or {}).get("scheme", "path"))
    mic = micom(d, spec, col, n_permutations=n_perm, seed=derive_seed(seed, "micom"), scheme=scheme)
    _, labels = complete_items(d, spec, col)
    levels = sorted(pd.unique(labels).tolist(), key=str)
    parts = []
    for a, b in combinations(levels, 2):
        r = pls_mga(
            d,
            spec,
            col,
            groups=[a, b],
            n_permutations=n_perm,
            n_bootstrap=n_perm,
            seed=derive_seed(seed, "mga", f"{a} vs {b}"),
            scheme=scheme,
        ).table
        parts.append(
            pd.DataFrame(
                {
                    "path": r["path"],
                    "groups": f"{a} vs {b}",
                    "difference": r["diff"],
                    "p_permutation": r["p_permutation"],
                    "p_henseler": r["p_henseler"],
                }
            )
        )
    return mic, pd.concat(parts, ignore_index=True)[MGA_COLUMNS]


INVARIANCE_EMPTY = pd.DataFrame(columns=TABLE_COLUMNS)
"""model/invariance.csv without model.groups (header only)."""


def with_groups(estimates: pd.DataFrame, inv) -> pd.DataFrame:
    """model/estimates.csv with a ``group`` column: the pooled fit's rows (group empty), then
    the most constrained invariance level's rows per group (when ``inv`` is given)."""
    out = estimates.copy()
    out.insert(3, "group", "")
    if inv is None:
        return out
    g = inv.final.estimates
    return pd.concat([out, g[[c for c in out.columns if c in g.columns]]], ignore_index=True)


def model_tables(
    result,
    spec: ModelSpec,
    data: pd.DataFrame,
    *,
    weights: np.ndarray | None = None,
    weights_desc: str = "unweighted",
    model_cfg: dict | None = None,
    replicates: ReplicateDesign | None = None,
) -> ModelTables:
    """Every output table of rule ``fit_model`` from a fit of ``spec`` to ``data``.

    Parameters
    ----------
    result : :class:`~csindex.sem.pls.PLSResult` or :class:`~csindex.sem.cbsem.CBSEMResult`
        (e.g. from :func:`fit_model` with the same ``data``, ``weights`` and ``model_cfg``).
    weights : the survey weights of the fit (one per row of ``data``; None = unweighted).
    weights_desc : plain description of the weights, for fit.json.
    model_cfg : config section ``model`` (PLS options for the replicate refits; CB-SEM
        ``cbsem.missing`` and ``cbsem.correlation_limit``).
    replicates : replicate weights of the weights stage; when given (and not empty) the
        estimates, effects and R² get design-based SEs from refitting the model with each
        replicate weight. Otherwise PLS-PM tables carry no SEs (they come from the bootstrap)
        and CB-SEM tables the model-based ones (standard or robust).
    """
    tables = {
        "pls": _pls_tables,
        "cbsem": _cbsem_tables,
        "plsc": _plsc_tables,
        "wlsmv": _wlsmv_tables,
    }[result.estimator]
    t = tables(result, spec, data, weights, model_cfg, replicates)
    used, q, adm, fit, scores = t["used"], t["quality"], t["admissibility"], t["fit"], t["scores"]
    fit.update(
        {
            "model": spec.to_dict(),
            "n": int(used.sum()),
            "n_dropped": int((~used).sum()),
            "weights": weights_desc,
            "weighted": weights is not None,
            "quality_warnings": q.warnings,
            "admissible": bool(adm.get("admissible", True)),
        }
    )
    if "respondent_id" in data:
        ids = data["respondent_id"].astype(str).to_numpy()
        scores.insert(0, "respondent_id", ids[used])
    return ModelTables(
        result=result,
        estimates=t["estimates"],
        standardized=t["standardized"],
        effects=t["effects"],
        r2=t["r2"],
        quality=q.table,
        outer_weights=t["outer_weights"],
        scores=scores,
        fit=fit,
        admissibility=adm,
        quality_warnings=list(q.warnings),
    )


# --------------------------------------------------------------------------- bootstrap shard
