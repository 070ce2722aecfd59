"""The bootstrap stage's tables: one shard of bootstrap replicates (rule ``bootstrap_shard``)
and the gather of all shards with their percentile and BCa intervals (rule
``gather_bootstrap``), for PLS-PM and CB-SEM. No file is read or written here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .bootstrap import (
    BootstrapDesign,
    bootstrap_intervals,
    bootstrap_pls,
    bootstrap_seed,
    index_stats,
    jackknife_pls,
    pls_setup,
    pls_stats,
    replicate_counts,
    stat_names,
)
from .estimators import fit_class
from .outputs import (
    MODEL_COLUMNS,
    ModelTables,
    cbsem_outer_weights,
    cbsem_replicate_statistics,
    fill_effect_se,
    fill_se,
    fit_model,
    model_tables,
)
from .spec import ModelSpec


def _pls_shard(data, spec, weights, mcfg, index_cfg, instrument, design, seed, start, stop, file):
    setup = pls_setup(data, spec, weights, mcfg, index_cfg, instrument)
    return bootstrap_pls(setup, seed, start, stop, design)


def _cbsem_shard(data, spec, weights, mcfg, index_cfg, instrument, design, seed, start, stop, file):
    from .cbsem import cbsem_bootstrap

    res = fit_model(data, spec, mcfg, weights=weights, file=file)
    counts = design.multipliers(seed, start, stop, rows=res.used_rows)
    boot = cbsem_bootstrap(
        data, spec, counts, res, weights=weights, **cbsem_bootstrap_options(mcfg)
    )
    boot["replicate"] = np.arange(start, stop, dtype=np.int64)
    return boot[["replicate"] + [c for c in boot.columns if c != "replicate"]]


def bootstrap_shard(
    data: pd.DataFrame,
    spec: ModelSpec,
    *,
    weights: np.ndarray | None,
    model_cfg: dict | None,
    index_cfg: dict | None,
    instrument: Any,
    design: BootstrapDesign,
    seed: int,
    start: int,
    stop: int,
    file: str | None = None,
) -> pd.DataFrame:
    """Replicates ``start..stop-1`` of the bootstrap (rule ``bootstrap_shard``), one row per
    replicate: PLS-PM by :func:`~csindex.sem.bootstrap.bootstrap_pls` (index statistics
    included), CB-SEM by :func:`~csindex.sem.cbsem.cbsem_bootstrap` from the full-sample fit."""
    name = fit_class(model_cfg).estimator
    shard = {"pls": _pls_shard, "cbsem": _cbsem_shard}.get(name)
    if shard is None:
        raise ConfigError(
            f"the bootstrap refits PLS-PM or CB-SEM (ML) models, not {name}; allowed with "
            f"estimator {name}: bootstrap.replicates 0",
            key="bootstrap.replicates",
        )
    mcfg = dict(model_cfg or {})
    return shard(data, spec, weights, mcfg, index_cfg, instrument, design, seed, start, stop, file)


# --------------------------------------------------------------------------- bootstrap gather
@dataclass
class BootstrapTables:
    """The outputs of rule ``gather_bootstrap``: all replicates (``replicates``, one row per
    replicate, sorted) and the intervals (``intervals``: statistic, kind, est, se, bias,
    percentile and BCa bounds, replicates, level, replicates_total, not_converged,
    inadmissible)."""

    replicates: pd.DataFrame
    intervals: pd.DataFrame

    @property
    def not_converged(self) -> int:
        return int(self.intervals["not_converged"].iloc[0]) if len(self.intervals) else 0

    @property
    def inadmissible(self) -> int:
        return int(self.intervals["inadmissible"].iloc[0]) if len(self.intervals) else 0


_CBSEM_FLAGS = {
    "replicate",
    "converged",
    "heywood",
    "not_positive_definite",
    "near_unidentified",
    "admissible",
    "iterations",
    "gradient_max",
}


def gather_bootstrap(
    shards: Sequence[pd.DataFrame],
    data: pd.DataFrame,
    spec: ModelSpec,
    *,
    weights: np.ndarray | None = None,
    model_cfg: dict | None = None,
    bootstrap_cfg: dict | None = None,
    index_cfg: dict | None = None,
    seed: int = 0,
    instrument: Any = None,
    design: BootstrapDesign | None = None,
) -> BootstrapTables:
    """Combine the bootstrap shards and compute percentile and BCa intervals.

    The full-sample estimates and the (grouped) jackknife for the BCa acceleration are
    recomputed here: PLS-PM via :func:`~csindex.sem.bootstrap.pls_stats` and
    :func:`~csindex.sem.bootstrap.jackknife_pls` (seed ``seed``, the master seed); CB-SEM via
    :func:`~csindex.sem.cbsem.cbsem_bootstrap` (starting fit by :func:`fit_model` with every
    ``model.cbsem`` setting). Under CB-SEM the index statistics are added to every replicate:
    its factor-score weights (``sw:C:item``) applied to its weighted item means (the
    multipliers regenerated from the bootstrap seed). ``design`` (the shards' resampling
    design; None = iid) also groups the jackknife by PSU under Rao–Wu, and is named in the
    ``design`` column of the intervals.
    """
    mcfg = dict(model_cfg or {})
    bcfg = dict(bootstrap_cfg or {})
    parts = list(shards)
    boot = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    boot = boot.sort_values("replicate", kind="stable").reset_index(drop=True)
    groups = int(bcfg.get("jackknife_groups", 1000))
    gather = _GATHER[fit_class(mcfg).estimator]
    boot, est, jk = gather(
        boot, data, spec, weights, mcfg, bcfg, index_cfg, seed, instrument, groups, design
    )
    ci = bootstrap_intervals(boot, est, jk, level=float(bcfg.get("level", 0.95)))
    ci["replicates_total"] = len(boot)
    ci["not_converged"] = int((~boot["converged"].astype(bool)).sum())
    ci["inadmissible"] = int((~boot["admissible"].astype(bool)).sum())
    ci["design"] = "iid" if design is None else design.kind
    return BootstrapTables(replicates=boot, intervals=ci)


def cbsem_bootstrap_options(model_cfg: dict | None) -> dict[str, Any]:
    """Keyword options of :func:`~csindex.sem.cbsem.cbsem_bootstrap` from ``model.cbsem``
    (the admissibility flags use the same ``correlation_limit`` as the full-sample fit)."""
    ccfg = dict((model_cfg or {}).get("cbsem") or {})
    return {"correlation_limit": float(ccfg.get("correlation_limit", 0.95))}


def _pls_gather(boot, data, spec, weights, mcfg, bcfg, index_cfg, seed, instrument, groups, design):
    """Full-sample statistics and the (grouped) jackknife of a PLS-PM bootstrap."""
    setup = pls_setup(data, spec, weights, mcfg, index_cfg, instrument)
    est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
    lab = None if design is None else design.jackknife_labels(groups, seed, setup.rows)
    return boot, est, jackknife_pls(setup, groups=groups, seed=int(seed), labels=lab)


def _cbsem_gather(
    boot, data, spec, weights, mcfg, bcfg, index_cfg, seed, instrument, groups, design
):
    from .cbsem import cbsem_bootstrap

    cmcfg = {**mcfg, "estimator": "cbsem"}
    opts = cbsem_bootstrap_options(mcfg)
    res = fit_model(data, spec, cmcfg, weights=weights)
    full = cbsem_bootstrap(data, spec, np.ones((1, res.n)), res, weights=weights, **opts)
    names = [c for c in boot.columns if c not in _CBSEM_FLAGS]
    est = full.iloc[0][names].astype(float)
    n = res.n
    lab = None if design is None else design.jackknife_labels(groups, seed, res.used_rows)
    if lab is None:
        G = min(n, groups)
        lab = np.arange(n) if G == n else np.random.default_rng(0).permutation(n) % G
    G = int(lab.max()) + 1
    counts = (lab[None, :] != np.arange(G)[:, None]).astype(float)
    jkdf = cbsem_bootstrap(data, spec, counts, res, weights=weights, **opts)
    # the index under CB-SEM: factor-score weights (sw:C:item) of each replicate applied to the
    # replicate's weighted item means (counts regenerated from the same seeds)
    setup = pls_setup(data, spec, weights, mcfg, index_cfg, instrument)
    sw = [f"sw:{spec.construct_of(i)}:{i}" for i in spec.items]
    if all(c in boot.columns for c in sw) and setup.n == n:
        bseed = bootstrap_seed(bcfg, seed)
        parts = []
        for b0 in range(0, len(boot), 200):
            reps = boot["replicate"].to_numpy()[b0 : b0 + 200]
            if design is None:
                C = np.vstack([replicate_counts(n, bseed, int(r), int(r) + 1) for r in reps])
            else:
                C = np.vstack(
                    [design.multipliers(bseed, int(r), int(r) + 1, res.used_rows) for r in reps]
                )
            Wr = boot[sw].to_numpy(float)[b0 : b0 + 200]
            parts.append(index_stats(setup, C * setup.w[None, :], Wr))
        boot = pd.concat([boot, pd.concat(parts, ignore_index=True)], axis=1)
        ixe = index_stats(setup, setup.w[None, :], full[sw].to_numpy(float))
        ixj = index_stats(setup, counts * setup.w[None, :], jkdf[sw].to_numpy(float))
        est = pd.concat([est, ixe.iloc[0]])
        jkdf = pd.concat([jkdf, ixj], axis=1)
        names = list(est.index)
    return boot, est, jkdf[names].to_numpy(float)


_GATHER = {"pls": _pls_gather, "cbsem": _cbsem_gather}
"""Full-sample estimates and jackknife of the bootstrap gather, per estimator."""


__all__ = [
    "MODEL_COLUMNS",
    "BootstrapTables",
    "ModelTables",
    "bootstrap_shard",
    "cbsem_bootstrap_options",
    "cbsem_outer_weights",
    "cbsem_replicate_statistics",
    "fill_effect_se",
    "fill_se",
    "fit_model",
    "gather_bootstrap",
    "model_tables",
]
