"""The `indicator_weights` step: weights per level from the config's methods, combined down the
hierarchy, and the weighted index of every node (overall and by domain).

Config (section ``indicators``, schema workflow/schemas/indicators.schema.yaml)::

    levels:
      constructs: {method: paired_comparison, files: [config/experts/paired_constructs.csv]}
      indicators: {method: ahp, files: [config/experts/ahp_indicators.csv]}
    alternatives:                      # computed and reported, not used for the index
      - {level: constructs, method: delphi, files: [round1.csv, round2.csv, round3.csv]}
      - {level: indicators, method: entropy}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..instrument import Instrument
from . import experts as ex
from .delphi import DelphiResult, delphi
from .hierarchy import (
    ROOT,
    Hierarchy,
    build_hierarchy,
    combine_weights,
    node_scores,
    weighted_index,
)
from .methods import (
    WeightResult,
    ahp,
    check_paired_matrix,
    check_reciprocal,
    critic_weights,
    direct_comparison,
    direct_weights,
    entropy_weights,
    equal_weights,
    paired_comparison,
    weights_from_outer_weights,
    weights_from_total_effects,
)

log = logging.getLogger("csindex")

METHODS = (
    "equal",
    "direct",
    "direct_comparison",
    "paired_comparison",
    "ahp",
    "delphi",
    "entropy",
    "critic",
    "outer_weights",
    "total_effects",
)
FILE_METHODS = ("direct", "direct_comparison", "paired_comparison", "ahp", "delphi")
DATA_METHODS = ("entropy", "critic")
MODEL_METHODS = ("outer_weights", "total_effects")
LEVEL_ORDER = ("level4", "indicators", "constructs")  # bottom-up


@dataclass
class LevelWeights:
    """Weights of every parent at one level by one method, with intermediate tables."""

    level: str
    method: str
    results: dict[str, WeightResult]
    delphi: dict[str, DelphiResult] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        return pd.concat([r.to_frame() for r in self.results.values()], ignore_index=True)

    def table(self) -> pd.DataFrame:
        """The intermediate tables of all parents stacked, with the parent first."""
        return pd.concat(
            [
                r.table.assign(parent=p)[["parent"] + list(r.table.columns)]
                for p, r in self.results.items()
            ],
            ignore_index=True,
        )


def _files(spec: Mapping[str, Any], key: str, base: Path) -> list[Path]:
    files = spec.get("files") or []
    if not files:
        raise ConfigError(f"method {spec['method']!r} needs expert files", key=f"{key}.files")
    return [base / f for f in files]


def _matrix_weights(
    method: str,
    spec: Mapping[str, Any],
    allowed: dict[str, list[str]],
    *,
    key: str,
    base: Path,
    settings: Mapping[str, Any],
) -> dict[str, WeightResult]:
    """Paired-comparison or AHP weights under every parent from the experts' matrices (each
    matrix checked against its own file and rows first)."""
    res: dict[str, WeightResult] = {}
    blocks: list[ex.MatrixBlock] = []
    for f in _files(spec, key, base):
        blocks += ex.read_matrix_file(f, allowed)
    for p, kids in allowed.items():
        bl = [b for b in blocks if b.parent == p]
        if not bl:
            raise InputError(
                f"no {method} matrix under {p!r} (children {', '.join(kids)}) in the files "
                f"{[str(f) for f in spec['files']]}",
            )
        files = {b.file for b in bl}
        fname = ", ".join(sorted(files))
        for b in bl:  # validate each block against its own file and rows
            if method == "paired_comparison":
                check_paired_matrix(b.matrix, file=b.file, row_offset=b.row_offset)
            else:
                check_reciprocal(b.matrix, file=b.file, row_offset=b.row_offset)
        if method == "paired_comparison":
            res[p] = paired_comparison([b.matrix for b in bl], parent=p, file=fname)
        else:
            res[p] = ahp(
                [b.matrix for b in bl],
                parent=p,
                file=fname,
                row_offsets=[b.row_offset for b in bl],
                cr_max=float(settings.get("ahp_cr_max", 0.1)),
                experts=[b.expert for b in bl],
            )
    return res


def _direct_weights(
    method: str, spec: Mapping[str, Any], allowed: dict[str, list[str]], *, key: str, base: Path
) -> dict[str, WeightResult]:
    """Direct weights or direct-comparison multiples: the experts' mean under every parent."""
    res: dict[str, WeightResult] = {}
    (f,) = _files(spec, key, base)[:1]
    value = "weight" if method == "direct" else "multiple"
    wide = ex.read_long_file(f, allowed, value)
    for p in allowed:
        if p not in wide:
            raise InputError(f"no {value}s under {p!r}", file=str(f))
        mean = wide[p].mean(axis=0)
        if method == "direct":
            res[p] = direct_weights(mean, parent=p, file=str(f))
        else:
            res[p] = direct_comparison(mean, parent=p, file=str(f))
    return res


def _delphi_level(
    spec: Mapping[str, Any],
    allowed: dict[str, list[str]],
    *,
    key: str,
    base: Path,
    settings: Mapping[str, Any],
) -> dict[str, DelphiResult]:
    """Delphi under every parent from the rounds' files (one file per round)."""
    dres: dict[str, DelphiResult] = {}
    files = _files(spec, key, base)
    rounds = [ex.read_long_file(f, allowed, "estimate", require_expert=True) for f in files]
    d = dict(settings.get("delphi", {}))
    for p in allowed:
        per = []
        for f, r in zip(files, rounds, strict=True):
            if p not in r:
                raise InputError(f"no Delphi estimates under {p!r}", file=str(f))
            per.append(r[p])
        dres[p] = delphi(
            per,
            parent=p,
            cv_max=float(d.get("cv_max", 0.25)),
            change_max=float(d.get("change_max", 0.02)),
            statistic=str(d.get("statistic", "mean")),
            files=[str(f) for f in files],
        )
    return dres


def _data_weights(
    method: str,
    allowed: dict[str, list[str]],
    data: pd.DataFrame | None,
    survey_weights: np.ndarray | None,
    *,
    key: str,
) -> dict[str, WeightResult]:
    """Entropy or CRITIC weights from the children's scores (a single child gets weight 1)."""
    if data is None:
        raise ConfigError(f"method {method!r} needs the response data", key=f"{key}.method")
    res: dict[str, WeightResult] = {}
    fn = entropy_weights if method == "entropy" else critic_weights
    for p, kids in allowed.items():
        if len(kids) == 1:
            res[p] = equal_weights(kids, parent=p)
            res[p].method = method
            continue
        res[p] = fn(data, kids, weights=survey_weights, parent=p)
    return res


def _model_weights(
    method: str,
    spec: Mapping[str, Any],
    allowed: dict[str, list[str]],
    model: Mapping[str, pd.DataFrame] | None,
    *,
    key: str,
) -> dict[str, WeightResult]:
    """Weights from the SEM stage: its normalised outer weights, or the total effects on
    ``spec['target']`` (default CS)."""
    res: dict[str, WeightResult] = {}
    if method == "outer_weights":
        if not model or "outer_weights" not in model:
            raise ConfigError(
                "method 'outer_weights' needs the model's outer weights", key=f"{key}.method"
            )
        ow = weights_from_outer_weights(model["outer_weights"])
        for p, kids in allowed.items():
            if p not in ow:
                raise InputError(f"the model's outer weights have no block {p!r}")
            r = ow[p]
            r.weights = r.weights.loc[kids]
            res[p] = r
    else:
        if not model or "effects" not in model:
            raise ConfigError(
                "method 'total_effects' needs the model's effects", key=f"{key}.method"
            )
        for p, kids in allowed.items():
            res[p] = weights_from_total_effects(
                model["effects"], parent=p, target=spec.get("target", "CS"), children=kids
            )
    return res


def level_weights(
    level: str,
    spec: Mapping[str, Any],
    hierarchy: Hierarchy,
    *,
    key: str,
    base: Path = Path("."),
    data: pd.DataFrame | None = None,
    survey_weights: np.ndarray | None = None,
    model: Mapping[str, pd.DataFrame] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> LevelWeights:
    """Weights of the children of every parent at ``level`` by ``spec['method']``.

    ``data``: per-respondent 0-100 scores of the level's children (for entropy/CRITIC);
    ``model``: {'outer_weights': ..., 'effects': ...} tables from the SEM stage.
    """
    settings = dict(settings or {})
    method = spec.get("method", "equal")
    if method not in METHODS:
        raise ConfigError(
            f"unknown method {method!r}; allowed: {', '.join(METHODS)}", key=f"{key}.method"
        )
    allowed = hierarchy.parents_at(level)
    if not allowed:
        raise ConfigError(f"the hierarchy has no level {level!r}", key=key)
    res: dict[str, WeightResult] = {}
    dres: dict[str, DelphiResult] = {}
    if method == "equal":
        res = {p: equal_weights(k, parent=p) for p, k in allowed.items()}
    elif method in ("paired_comparison", "ahp"):
        res = _matrix_weights(method, spec, allowed, key=key, base=base, settings=settings)
    elif method in ("direct", "direct_comparison"):
        res = _direct_weights(method, spec, allowed, key=key, base=base)
    elif method == "delphi":
        dres = _delphi_level(spec, allowed, key=key, base=base, settings=settings)
        res = {p: dr.result for p, dr in dres.items()}
    elif method in DATA_METHODS:
        res = _data_weights(method, allowed, data, survey_weights, key=key)
    elif method in MODEL_METHODS:
        res = _model_weights(method, spec, allowed, model, key=key)
    for r in res.values():
        for w in r.warnings:
            log.warning(w)
    return LevelWeights(level, method, res, dres)


def _levels_present(hierarchy: Hierarchy) -> list[str]:
    return [lv for lv in LEVEL_ORDER if hierarchy.parents_at(lv)]


def table_names(cfg: Mapping[str, Any]) -> list[str]:
    """File names (under indicators/) of the per-method intermediate tables the config asks for:
    <method>_<level>.csv, and for Delphi also delphi_<level>_rounds.csv, _concordance.csv,
    _feedback.csv."""
    names = []
    specs = [(lv, s) for lv, s in (cfg.get("levels") or {}).items()]
    specs += [(a["level"], a) for a in cfg.get("alternatives") or []]
    for lv, s in specs:
        m = s.get("method", "equal")
        names.append(f"{m}_{lv}.csv")
        if m == "delphi":
            names += [f"delphi_{lv}_{t}.csv" for t in ("rounds", "concordance", "feedback")]
    return sorted(set(names))


@dataclass
class IndicatorRun:
    weights: pd.DataFrame  # all levels, used and alternative methods
    index: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    scores: pd.DataFrame


def _check_level_names(levels_cfg: Mapping[str, Any]) -> None:
    """Every configured level is one of constructs, indicators, level4."""
    for lv in levels_cfg:
        if lv not in ("constructs", "indicators", "level4"):
            raise ConfigError(
                f"unknown level {lv!r}; allowed: constructs, indicators, level4",
                key=f"indicators.levels.{lv}",
            )


def _check_levels_present(levels_cfg: Mapping[str, Any], present: list[str]) -> None:
    """Every configured level is in this indicator system."""
    for lv in levels_cfg:
        if lv not in present:
            raise ConfigError(
                f"level {lv!r} is not in the indicator system (level4 needs the instrument's "
                "level-4 items in the clean responses)",
                key=f"indicators.levels.{lv}",
            )


@dataclass(frozen=True)
class _Scorer:
    """Node scores of the clean responses under the weights chosen so far (equal weights at
    the levels not yet weighted)."""

    clean: pd.DataFrame
    instrument: Instrument
    hier: Hierarchy
    present: list[str]
    reverse: list[str]
    min_share: float

    def __call__(self, current: Mapping[str, LevelWeights]) -> pd.DataFrame:
        local: dict[str, WeightResult] = {}
        for lv in self.present:
            if lv in current:
                local.update(current[lv].results)
            else:
                local.update(
                    {p: equal_weights(k, parent=p) for p, k in self.hier.parents_at(lv).items()}
                )
        comb = combine_weights(self.hier, local)
        return node_scores(
            self.clean,
            self.instrument,
            self.hier,
            comb,
            reverse_in_parent=self.reverse,
            min_share=self.min_share,
        )


def _alternatives(
    cfg: Mapping[str, Any],
    hier: Hierarchy,
    present: list[str],
    final_scores: pd.DataFrame,
    **kw: Any,
) -> list[LevelWeights]:
    """The alternative methods of ``cfg['alternatives']`` (reported, not used for the index);
    data-driven ones see the final scores."""
    alts: list[LevelWeights] = []
    for k, a in enumerate(cfg.get("alternatives") or []):
        lv = a.get("level")
        if lv not in present:
            raise ConfigError(
                f"level {lv!r} is not in the hierarchy; allowed: {', '.join(present)}",
                key=f"indicators.alternatives[{k}].level",
            )
        alts.append(
            level_weights(
                lv,
                a,
                hier,
                key=f"indicators.alternatives[{k}]",
                data=final_scores if a.get("method") in DATA_METHODS else None,
                **kw,
            )
        )
    return alts


def _weights_table(
    hier: Hierarchy, used: Mapping[str, LevelWeights], alts: list[LevelWeights]
) -> pd.DataFrame:
    """Combined (global) weights of the used methods, then the alternatives' local weights; in
    hierarchy order (role, alternative, level, parent, node)."""
    local = {p: r for lwt in used.values() for p, r in lwt.results.items()}
    comb = combine_weights(hier, local)
    comb["role"] = "used"
    rows = [comb]
    for a in alts:
        f = a.frame().rename(columns={"indicator": "node", "weight": "local_weight"})
        f["level"] = a.level
        f["role"] = "alternative"
        rows.append(f)
    weights = pd.concat(rows, ignore_index=True)
    weights = weights[weights["node"] != ROOT]
    weights["level_number"] = weights["level"].map({"constructs": 2, "indicators": 3, "level4": 4})
    weights = weights[
        [
            "role",
            "level",
            "level_number",
            "parent",
            "node",
            "method",
            "local_weight",
            "global_weight",
        ]
    ]
    rank = {n: k for k, n in enumerate(hier.nodes["node"])}
    alt_order = {f"{a.level}:{a.method}": k for k, a in enumerate(alts)}
    weights = weights.assign(
        _role=weights["role"].map({"used": 0, "alternative": 1}),
        _a=(weights["level"] + ":" + weights["method"]).map(alt_order).fillna(-1),
        _p=weights["parent"].map(rank),
        _n=weights["node"].map(rank),
    )
    weights = weights.sort_values(["_role", "_a", "level_number", "_p", "_n"], kind="stable")
    weights = weights.drop(columns=["_role", "_a", "_p", "_n"])
    return weights.reset_index(drop=True)


def _domains(cfg: Mapping[str, Any], design) -> list[str]:
    """The configured index domains present in the design's data (a warning for each absent)."""
    domains = [d for d in cfg.get("domains", ["segment"]) if d in design.data.columns]
    for d in cfg.get("domains", ["segment"]):
        if d not in design.data.columns:
            log.warning("indicators.domains: column %r not in the data; index by %r skipped", d, d)
    return domains


def _delphi_tables(lwt: LevelWeights) -> dict[str, pd.DataFrame]:
    """delphi_<level>_rounds/_concordance/_feedback.csv: every parent's rounds stacked."""
    rnd, conc, fb = [], [], []
    for p, dr in lwt.delphi.items():
        rnd.append(dr.summary_frame().assign(parent=p))
        conc.append(dr.concordance.assign(parent=p))
        fb.append(
            pd.concat([f.assign(round=k + 1) for k, f in enumerate(dr.feedback)]).assign(parent=p)
        )
    return {
        f"delphi_{lwt.level}_rounds.csv": _parent_first(pd.concat(rnd, ignore_index=True)),
        f"delphi_{lwt.level}_concordance.csv": _parent_first(pd.concat(conc, ignore_index=True)),
        f"delphi_{lwt.level}_feedback.csv": _parent_first(pd.concat(fb, ignore_index=True)),
    }


def _level_info(lwt: LevelWeights) -> dict[str, Any]:
    """Summary of one level's weights: per parent, and the Delphi convergence if any."""
    info: dict[str, Any] = {
        "level": lwt.level,
        "method": lwt.method,
        "parents": {p: r.summary() for p, r in lwt.results.items()},
    }
    if lwt.delphi:
        info["delphi"] = {
            p: {
                "converged": dr.converged,
                "converged_round": dr.converged_round,
                "concordance": dr.concordance.to_dict(orient="records"),
                "settings": dr.settings,
            }
            for p, dr in lwt.delphi.items()
        }
    return info


@dataclass
class _Outputs:
    """The intermediate tables by file name and the summary of all levels."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]


def _outputs(used: Mapping[str, LevelWeights], alts: list[LevelWeights]) -> _Outputs:
    """Tables and summary of the used levels, then the alternatives."""
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {"levels": {}, "alternatives": [], "warnings": []}
    for src, lst in (("levels", list(used.values())), ("alternatives", alts)):
        for lwt in lst:
            tables[f"{lwt.method}_{lwt.level}.csv"] = lwt.table()
            info = _level_info(lwt)
            for r in lwt.results.values():
                summary["warnings"] += r.warnings
            if lwt.delphi:
                tables.update(_delphi_tables(lwt))
            if src == "levels":
                summary["levels"][lwt.level] = info
            else:
                summary["alternatives"].append(info)
    return _Outputs(tables, summary)


def run_indicators(
    cfg: Mapping[str, Any],
    instrument: Instrument,
    clean: pd.DataFrame,
    design_factory,
    *,
    base: Path = Path("."),
    survey_weights: np.ndarray | None = None,
    model: Mapping[str, pd.DataFrame] | None = None,
) -> IndicatorRun:
    """Weights at every level (bottom-up, so data-driven methods at a level see the scores of
    its children), the alternatives, combined weights and the weighted index.

    ``design_factory(scores)`` returns a csindex.estimation design whose data hold the score
    columns (rows aligned with ``clean``); ``survey_weights`` (aligned with ``clean``) are
    used by entropy/CRITIC.
    """
    level4 = bool(instrument.level4) and all(it.id in clean.columns for it in instrument.level4)
    hier = build_hierarchy(instrument, level4=level4)
    levels_cfg = dict(cfg.get("levels") or {})
    _check_level_names(levels_cfg)
    settings = {k: cfg.get(k) for k in ("ahp_cr_max", "delphi") if cfg.get(k) is not None}
    reverse = list(cfg.get("reverse_in_csi", ["CC"]))
    min_share = float(cfg.get("min_share", 0.5))
    present = _levels_present(hier)
    _check_levels_present(levels_cfg, present)
    scores_with = _Scorer(clean, instrument, hier, present, reverse, min_share)
    kw = {"base": base, "survey_weights": survey_weights, "model": model, "settings": settings}
    used: dict[str, LevelWeights] = {}
    for lv in present:
        spec = levels_cfg.get(lv, {"method": "equal"})
        data = scores_with(used) if spec.get("method") in DATA_METHODS else None
        used[lv] = level_weights(lv, spec, hier, key=f"indicators.levels.{lv}", data=data, **kw)
    final_scores = scores_with(used)
    alts = _alternatives(cfg, hier, present, final_scores, **kw)
    weights = _weights_table(hier, used, alts)

    design = design_factory(final_scores)
    domains = _domains(cfg, design)
    index = weighted_index(
        final_scores, hier, design, domains=domains, level=float(cfg.get("confidence", 0.95))
    )
    out = _outputs(used, alts)
    out.summary["hierarchy"] = {
        "level4": level4,
        "reverse_in_csi": reverse,
        "min_share": min_share,
        "domains": domains,
    }
    return IndicatorRun(weights, index, out.tables, out.summary, final_scores)


def _parent_first(df: pd.DataFrame) -> pd.DataFrame:
    return df[["parent"] + [c for c in df.columns if c != "parent"]]


def read_model_tables(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """Read the SEM stage's outer_weights.csv / effects.csv for model-derived weights."""
    out = {}
    for k, p in paths.items():
        out[k] = pd.read_csv(p)
    return out


__all__: Sequence[str] = ["run_indicators", "level_weights", "table_names", "METHODS"]
