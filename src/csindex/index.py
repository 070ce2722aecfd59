"""The customer satisfaction index (ACSI formula) and importance–performance analysis (IPA).

Index (Fornell et al. 1996, the ACSI): the outer weights are turned to the raw item scale
(``w_i / sd_i`` for standardized PLS) and normalised per construct; with the item means
``x̄_i`` (survey-weighted) and the scale ends ``min_i``, ``max_i``

    index = (Σ w_i x̄_i − Σ w_i min_i) / (Σ w_i max_i − Σ w_i min_i) × 100.

Equivalently ``index = Σ s_i x̄'_i`` with ``x̄'_i`` the item mean on 0–100 and shares
``s_i = w_i (max_i − min_i) / Σ_j w_j (max_j − min_j)``. Under CB-SEM the factor-score weights
take the place of the outer weights.

IPA (seed 000, the combined method): importance of a driver = its total effect on the target
(satisfaction) unstandardized on the 0–100 scale, i.e. the points the target index moves when
the driver's index moves one point. A construct's index moves ``100 k_c / D_c`` per unit of
its latent variable, with ``D_c = Σ_i w_i (max_i − min_i)`` and ``k_c = Σ_i w_i λ_i`` (raw
weights and raw loadings; ``k_c = 1`` for PLS's unit-variance scores), so the importance is
``T × (k_t / D_t) / (k_d / D_d)`` — for PLS ``T_std × sd(target_0–100) / sd(driver_0–100)``. An item's
importance is its construct's importance times its share ``s_i``; performance is the index
(construct) or the item mean on 0–100. Quadrants split at the mean (or median) of importance
and of performance; the ranked list puts "improve first" (important, low performance) first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .errors import ConfigError
from .estimation import replicate_variance
from .sem.acsi import (  # noqa: F401  (the index core lives below the model stage)
    acsi_index,
    available_means,
    index_shares,
    scale_bounds,
    weighted_mean,
)
from .sem.estimators import fit_class
from .sem.spec import ModelSpec

QUADRANTS = ("improve first", "maintain", "low priority", "possible overkill")
"""Quadrant labels in the order of the ranked list."""


def item_performance(
    data: pd.DataFrame,
    spec: ModelSpec,
    scale: Mapping[str, tuple[float, float]],
    weights: np.ndarray | None = None,
) -> pd.Series:
    """Survey-weighted item means on the 0–100 scale."""
    out = {}
    for i in spec.items:
        lo, hi = scale[i]
        out[i] = (weighted_mean(data[i].to_numpy(float), weights) - lo) / (hi - lo) * 100
    return pd.Series(out)


def ipa(
    effects: pd.DataFrame,
    spec: ModelSpec,
    shares: pd.DataFrame,
    construct_index: Mapping[str, float],
    item_perf: Mapping[str, float],
    *,
    target: str = "CS",
    split: str = "mean",
    items: bool = True,
    k: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Importance–performance table: level (construct | item), name, construct, importance,
    performance, quadrant, rank (1 = improve first), within each level.

    effects: from, to, total; shares: :func:`index_shares`; k: construct ->
    ``Σ w_i λ_i`` (raw-scale weights times raw-scale loadings), the change of the weighted item
    sum per unit of the latent variable: 1 for PLS (unit-variance scores, standardized effects),
    needed for CB-SEM (latent variables in their marker metric, unstandardized effects). The
    importance is ``T × (k_t / D_t) / (k_d / D_d)``.
    """
    if target not in spec.constructs:
        raise ConfigError(
            f"target {target!r} is not a construct of the model; allowed: "
            f"{', '.join(spec.constructs)}",
            key="ipa.target",
        )
    if split not in ("mean", "median"):
        raise ConfigError(f"{split!r} not allowed; allowed: mean, median", key="ipa.split")
    D = shares.groupby("construct")["D"].first()
    tot = effects[effects["to"] == target].set_index("from")["total"]
    drivers = [c for c in spec.constructs if c in tot.index and tot[c] != 0]
    rows = []
    for c in drivers:
        kt, kd = (1.0, 1.0) if k is None else (float(k[target]), float(k[c]))
        imp = float(tot[c]) * (kt / D[target]) / (kd / D[c])
        rows.append(("construct", c, c, imp, float(construct_index[c])))
        if items:
            for r in shares[shares["construct"] == c].itertuples():
                rows.append(("item", r.item, c, imp * r.share, float(item_perf[r.item])))
    df = pd.DataFrame(rows, columns=["level", "name", "construct", "importance", "performance"])
    parts = []
    for _, g in df.groupby("level", sort=False):
        g = g.copy()
        f = np.mean if split == "mean" else np.median
        ci, cp = f(g["importance"]), f(g["performance"])
        hi_i, hi_p = g["importance"] >= ci, g["performance"] >= cp
        g["quadrant"] = np.select(
            [hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p], QUADRANTS[:3], QUADRANTS[3]
        )
        g["importance_cut"], g["performance_cut"] = ci, cp
        g["priority_score"] = g["importance"] * (100 - g["performance"])
        g["_q"] = g["quadrant"].map({q: k for k, q in enumerate(QUADRANTS)})
        g = g.sort_values(["_q", "priority_score", "name"], ascending=[True, False, True])
        g["rank"] = np.arange(1, len(g) + 1)
        parts.append(g.drop(columns="_q"))
    if not parts:
        return df.assign(quadrant=[], rank=[])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- the index stage
CSI_COLUMNS = [
    "construct",
    "group_var",
    "group",
    "n",
    "index",
    "weights",
    "survey_weights",
    "se",
    "ci_lower",
    "ci_upper",
    "se_method",
]
"""Columns index/csi.csv always has (bootstrap and replicate columns may follow)."""

IPA_COLUMNS = [
    "level",
    "name",
    "construct",
    "importance",
    "performance",
    "quadrant",
    "importance_cut",
    "performance_cut",
    "priority_score",
    "rank",
    "weights",
]
"""Columns of index/ipa.csv."""

SE_ORDER = {
    "auto": ["replicate", "bootstrap"],
    "replicate": ["replicate"],
    "bootstrap": ["bootstrap"],
}
"""Config ``index.se``: which SE methods are tried, in order."""


@dataclass(frozen=True)
class IndexOptions:
    """Options of the index stage (config sections ``index`` and ``ipa``).

    scale : (min, max) of items the instrument does not know (``index.scale``; None = every
        item from the instrument); by : group columns (``index.by``); level : CI level;
    se : ``auto`` | ``replicate`` | ``bootstrap`` (:data:`SE_ORDER`); target, split, items :
        the IPA's target construct, quadrant split (mean | median) and whether items are rated.
    """

    scale: tuple[float, float] | None = None
    by: tuple[str, ...] = ("segment",)
    level: float = 0.95
    se: str = "auto"
    target: str = "CS"
    split: str = "mean"
    items: bool = True

    def __post_init__(self) -> None:
        if self.se not in SE_ORDER:
            raise ConfigError(
                f"{self.se!r} not allowed; allowed: {', '.join(SE_ORDER)}", key="index.se"
            )
        if self.split not in ("mean", "median"):
            raise ConfigError(f"{self.split!r} not allowed; allowed: mean, median", key="ipa.split")
        if not 0 < self.level < 1:
            raise ConfigError(f"{self.level!r} must lie in (0, 1)", key="index.level")

    @classmethod
    def from_config(
        cls, index_cfg: Mapping | None = None, ipa_cfg: Mapping | None = None
    ) -> IndexOptions:
        """From the config sections ``index`` and ``ipa`` (defaults for missing keys)."""
        icfg, pcfg = dict(index_cfg or {}), dict(ipa_cfg or {})
        sc = icfg.get("scale")
        return cls(
            scale=(float(sc["min"]), float(sc["max"])) if sc else None,
            by=tuple(icfg.get("by", ["segment"])),
            level=float(icfg.get("level", 0.95)),
            se=str(icfg.get("se", "auto")),
            target=str(pcfg.get("target", "CS")),
            split=str(pcfg.get("split", "mean")),
            items=bool(pcfg.get("items", True)),
        )

    def index_config(self) -> dict:
        """The ``index`` section these options stand for (for :func:`pls_setup`)."""
        scale = None if self.scale is None else {"min": self.scale[0], "max": self.scale[1]}
        return {"scale": scale, "by": list(self.by), "level": self.level, "se": self.se}


@dataclass
class IndexTables:
    """The outputs of rule ``index``.

    Attributes
    ----------
    csi : the index of every construct overall and by group, with its SE and CI from the
        method chosen by ``index.se`` (``se``, ``ci_lower``, ``ci_upper``, ``se_method``), the
        columns of every available method (``*_bootstrap``/``*_percentile``/``*_bca``,
        ``*_replicate``). No simulation truth: the comparison with it is
        :func:`csindex.validation.compare_index` (rule ``validate``).
    ipa : the importance-performance table (:func:`ipa`) with the weight type.
    se_method : the SE method used ("none" when none was available).
    skipped_by : ``index.by`` columns not in the data (skipped).
    """

    csi: pd.DataFrame
    ipa: pd.DataFrame
    se_method: str = "none"
    skipped_by: list[str] = field(default_factory=list)


def index_keys(idx: pd.DataFrame) -> list[str]:
    """Statistic names of the rows of an :func:`acsi_index` table as the bootstrap and the
    replicate SEs name them: ``index:C`` overall, ``index:C|group_var=group`` by group."""
    return [
        f"index:{c}" if gv == "overall" else f"index:{c}|{gv}={g}"
        for c, gv, g in zip(idx["construct"], idx["group_var"], idx["group"], strict=True)
    ]


def bootstrap_index_columns(idx: pd.DataFrame, bootstrap_ci: pd.DataFrame | None) -> str | None:
    """Add ``se_bootstrap``, ``ci_lower/upper_percentile`` (and ``_bca``) to ``idx`` from
    model/bootstrap_ci.csv (in place); returns the method's description, or None when the
    intervals have no index statistics."""
    if bootstrap_ci is None:
        return None
    ci = bootstrap_ci.set_index("statistic")
    key = index_keys(idx)
    if not ci.index.isin(key).any():
        return None
    sel = ci.reindex(key)
    idx["se_bootstrap"] = sel["se"].to_numpy()
    idx["ci_lower_percentile"] = sel["ci_lower"].to_numpy()
    idx["ci_upper_percentile"] = sel["ci_upper"].to_numpy()
    if "bca_lower" in sel:
        idx["ci_lower_bca"] = sel["bca_lower"].to_numpy()
        idx["ci_upper_bca"] = sel["bca_upper"].to_numpy()
    return f"bootstrap ({int(sel['replicates'].max())} replicates, percentile CI)"


def replicate_index_se(
    idx: pd.DataFrame,
    data: pd.DataFrame,
    keep: np.ndarray,
    spec: ModelSpec,
    raw_weights: Mapping[str, float],
    scale: Mapping[str, tuple[float, float]],
    replicates,
    *,
    weights: np.ndarray | None = None,
    by: Sequence[str] = (),
    model_cfg: dict | None = None,
    index_cfg: dict | None = None,
    instrument=None,
) -> tuple[np.ndarray, str]:
    """Design-based SEs of the rows of ``idx`` (an :func:`acsi_index` table of the rows
    ``keep`` of ``data``) from the replicate weights ``replicates``
    (:class:`~csindex.sem.bootstrap.ReplicateDesign`), variance as R survey's svrepdesign.

    PLS-PM: the model is refitted with each replicate weight (new outer weights each time);
    CB-SEM: the factor-score weights ``raw_weights`` are held fixed and only the item means
    are reweighted. Returns (SEs, description).
    """
    from .sem.bootstrap import pls_setup, replicate_weight_se

    mcfg = dict(model_cfg or {})
    rtype, R = replicates.replicate_type, replicates.n_replicates
    if fit_class(mcfg).refits_in_replicates:
        setup = pls_setup(data, spec, weights, mcfg, index_cfg, instrument)
        rep = replicates.matrix(data, setup.rows)
        se = replicate_weight_se(setup, rep, replicates.scale, replicates.rscales, replicates.mse)
        out = se.set_index("statistic")["se"].reindex(index_keys(idx)).to_numpy()
        return out, f"replicate weights ({rtype}, {R} replicates, model refitted in each)"
    used = data.loc[keep].reset_index(drop=True)
    rep = replicates.matrix(data, keep)
    thetas = np.column_stack(
        [acsi_index(used, spec, raw_weights, scale, rep[:, r], by)["index"] for r in range(R)]
    ).T
    var = replicate_variance(
        idx["index"].to_numpy(),
        thetas,
        float(replicates.scale),
        replicates.rscales,
        bool(replicates.mse),
    )
    return np.sqrt(var), f"replicate weights ({rtype}, {R} replicates, score weights fixed)"


@dataclass(frozen=True)
class IndexRows:
    """The rows of the clean responses the index uses (those the model used: PLS-PM
    ``model.pls.missing``, CB-SEM complete rows), their survey weights, the item scale ends and
    the group columns (``index.by`` columns present in the data; the others in ``skipped_by``)."""

    keep: np.ndarray
    used: pd.DataFrame
    weights: np.ndarray | None
    scale: dict[str, tuple[float, float]]
    by: list[str]
    skipped_by: list[str]


def index_rows(
    data: pd.DataFrame,
    spec: ModelSpec,
    *,
    weights: np.ndarray | None = None,
    model_cfg: dict | None = None,
    options: IndexOptions | None = None,
    instrument=None,
) -> IndexRows:
    """The rows, weights, scale ends and group columns of the index (:class:`IndexRows`)."""
    from .sem.pls import prepare_data

    mcfg = dict(model_cfg or {})
    opt = options if options is not None else IndexOptions()
    scale = scale_bounds(spec.items, instrument, opt.scale)
    missing = fit_class(mcfg).missing_rule(mcfg)  # the rows the model used
    _, keep = prepare_data(data, spec, missing=missing)
    return IndexRows(
        keep=keep,
        used=data.loc[keep].reset_index(drop=True),
        weights=None if weights is None else weights[keep],
        scale=scale,
        by=[c for c in opt.by if c in data.columns],
        skipped_by=[c for c in opt.by if c not in data.columns],
    )


def index_tables(
    data: pd.DataFrame,
    spec: ModelSpec,
    outer_weights: pd.DataFrame,
    effects: pd.DataFrame,
    *,
    weights: np.ndarray | None = None,
    weights_desc: str = "unweighted",
    model_cfg: dict | None = None,
    options: IndexOptions | None = None,
    instrument=None,
    bootstrap_ci: pd.DataFrame | None = None,
    replicates=None,
) -> IndexTables:
    """The outputs of rule ``index``: the ACSI index of every construct (overall and by the
    ``index.by`` columns), its SE and CI, and the importance-performance analysis.

    Parameters
    ----------
    data : the clean responses; ``weights`` their survey weights (None = unweighted),
        ``weights_desc`` a plain description of them.
    outer_weights : model/outer_weights.csv (item, construct, weight_raw, loading_raw,
        weight_type); effects : model/effects.csv (from, to, total).
    model_cfg : config section ``model`` (estimator and PLS options of the replicate refits).
    options : :class:`IndexOptions` (``IndexOptions.from_config(cfg["index"], cfg["ipa"])``;
        None = the defaults).
    instrument : the instrument (answer scales of the items).
    bootstrap_ci : model/bootstrap_ci.csv when the bootstrap ran (else None).
    replicates : :class:`~csindex.sem.bootstrap.ReplicateDesign` of the weights stage, or None.

    ``index.se`` picks the SE: ``auto`` = replicate weights when present, else the bootstrap.
    Rows used are those of the model: PLS-PM ``model.pls.missing``; CB-SEM complete rows.
    """
    mcfg = dict(model_cfg or {})
    opt = options if options is not None else IndexOptions()
    rows = index_rows(
        data, spec, weights=weights, model_cfg=mcfg, options=opt, instrument=instrument
    )
    keep, used, wu, scale, by = rows.keep, rows.used, rows.weights, rows.scale, rows.by
    weight_type = str(outer_weights["weight_type"].iloc[0])
    raw_w = outer_weights.set_index("item")["weight_raw"].to_dict()
    idx = _index_table(rows, spec, raw_w, weight_type, weights_desc)
    z = norm.ppf(0.5 + opt.level / 2)
    methods = {}
    how = bootstrap_index_columns(idx, bootstrap_ci)
    if how is not None:
        methods["bootstrap"] = ("se_bootstrap", "ci_lower_percentile", "ci_upper_percentile", how)
    if replicates is not None and replicates.n_replicates:
        se, how = replicate_index_se(
            idx,
            data,
            keep,
            spec,
            raw_w,
            scale,
            replicates,
            weights=weights,
            by=by,
            model_cfg=mcfg,
            index_cfg=opt.index_config(),
            instrument=instrument,
        )
        idx["se_replicate"] = se
        idx["ci_lower_replicate"] = idx["index"] - z * idx["se_replicate"]
        idx["ci_upper_replicate"] = idx["index"] + z * idx["se_replicate"]
        methods["replicate"] = ("se_replicate", "ci_lower_replicate", "ci_upper_replicate", how)
    se_method = _choose_se(idx, methods, opt.se)
    table = _ipa_table(idx, used, spec, outer_weights, effects, raw_w, scale, wu, opt)
    table["weights"] = weight_type
    return IndexTables(csi=idx, ipa=table, se_method=se_method, skipped_by=rows.skipped_by)


def _index_table(
    rows: IndexRows, spec: ModelSpec, raw_w: dict, weight_type: str, weights_desc: str
) -> pd.DataFrame:
    """The ACSI index of every construct (overall and by group) with empty SE/CI columns."""
    idx = acsi_index(rows.used, spec, raw_w, rows.scale, rows.weights, rows.by)
    idx["weights"] = weight_type
    idx["survey_weights"] = weights_desc
    idx["se"] = np.nan
    idx["ci_lower"] = np.nan
    idx["ci_upper"] = np.nan
    idx["se_method"] = "none"
    return idx


def _choose_se(idx: pd.DataFrame, methods: dict[str, tuple[str, str, str, str]], se: str) -> str:
    """Fill se, ci_lower, ci_upper and se_method of ``idx`` from the first method of
    ``SE_ORDER[se]`` that ran; returns its description ("none" without one)."""
    se_method = "none"
    for m in SE_ORDER[se]:
        if m in methods:
            c_se, c_lo, c_hi, se_method = methods[m]
            idx["se"], idx["ci_lower"], idx["ci_upper"] = idx[c_se], idx[c_lo], idx[c_hi]
            idx["se_method"] = se_method
            break
    return se_method


def _ipa_table(idx, used, spec, outer_weights, effects, raw_w, scale, wu, opt) -> pd.DataFrame:
    """The importance-performance table (:func:`ipa`) from the overall index and item means."""
    shares = index_shares(raw_w, spec, scale)
    overall = idx[idx["group_var"] == "overall"].set_index("construct")["index"]
    perf = item_performance(used, spec, scale, wu)
    ow = outer_weights
    return ipa(
        effects,
        spec,
        shares,
        overall.to_dict(),
        perf.to_dict(),
        target=opt.target,
        split=opt.split,
        items=opt.items,
        k=(ow["weight_raw"] * ow["loading_raw"]).groupby(ow["construct"]).sum().to_dict(),
    )
