"""Designs from the config section ``design`` (design.schema.yaml): build, plan and draw."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..seeds import derive_seed
from .design import DESIGN_METHODS, Design, SampleResult, Stage
from .multistage import check_frame, draw, plan, prepare
from .quota import quota_sample
from .selection import STAGE_METHODS
from .size import sample_size

DEFAULT_STAGES: dict[str, list[dict[str, Any]]] = {
    "srs": [{"method": "srswor"}],
    "systematic": [{"method": "systematic"}],
    "stratified": [{"method": "srswor"}],
}


def design_from_config(section: Mapping[str, Any], id_column: str = "customer_id") -> Design:
    """Build a :class:`Design` from the config section ``design`` (see design.schema.yaml)."""
    method = section.get("method", "multistage")
    if method not in DESIGN_METHODS:
        raise ConfigError(
            f"unknown design {method!r}; allowed: {', '.join(DESIGN_METHODS)}", key="design.method"
        )
    raw = section.get("stages") or DEFAULT_STAGES.get(method)
    if not raw:
        raise ConfigError(
            f"design {method!r} needs `stages` (e.g. [{{unit: branch, method: pps_systematic, "
            "size: branch_size}, {method: srswor, n: 25}])",
            key="design.stages",
        )
    raw = [dict(r) for r in raw]
    strata = section.get("strata")
    _check_layout(method, raw, strata)
    _check_stage_methods(raw)
    stages = tuple(
        Stage(
            unit=r.get("unit"),
            method=r.get("method", "srswor"),
            n=r.get("n"),
            size=r.get("size"),
            sort=tuple(r.get("sort") or ()),
        )
        for r in raw
    )
    alloc = dict(section.get("allocation") or {})
    return Design(
        method=method,
        stages=stages,
        id_column=id_column,
        strata=strata,
        n=section.get("n"),
        allocation=alloc.get("method", "proportional"),
        minimum=int(alloc.get("minimum", 2)),
        sd=alloc.get("sd") or None,
        sd_column=alloc.get("sd_column"),
        cost=alloc.get("cost") or None,
        fixed=alloc.get("fixed") or None,
    )


def _check_layout(method: str, raw: list[dict[str, Any]], strata: str | None) -> None:
    """The stages fit the design method (a one-stage cluster design gets its take-all second
    stage added to ``raw``); a stratified design has strata."""
    if method == "cluster":
        _cluster_stages(raw)
    elif method == "multistage":
        if not 2 <= len(raw) <= 3:
            raise ConfigError(
                f"a multistage design has 2 or 3 stages, got {len(raw)}", key="design.stages"
            )
    else:
        _one_stage(method, raw, strata)
    if method == "stratified" and not strata:
        raise ConfigError(
            "a stratified design needs `strata` (the stratum column)", key="design.strata"
        )


def _cluster_stages(raw: list[dict[str, Any]]) -> None:
    """A cluster design: stage 1 selects clusters (``unit``), stage 2 takes all their units."""
    if len(raw) == 1:
        raw.append({"method": "all"})
    if len(raw) != 2 or raw[1].get("method", "all") != "all" or not raw[0].get("unit"):
        raise ConfigError(
            "a one-stage cluster design has one stage with `unit` (the cluster id column); "
            "all units of a selected cluster are taken",
            key="design.stages",
        )
    raw[1]["method"] = "all"


def _one_stage(method: str, raw: list[dict[str, Any]], strata: str | None) -> None:
    """srs, systematic, stratified (and quota): one stage of units with an allowed method."""
    if len(raw) != 1 or raw[0].get("unit"):
        raise ConfigError(
            f"design {method!r} selects units in one stage without `unit`; "
            "use method cluster or multistage for clusters",
            key="design.stages",
        )
    if method in ("srs", "systematic") and strata:
        raise ConfigError(
            f"design {method!r} has no strata; use method stratified (with stages "
            f"[{{method: {raw[0].get('method')}}}]) for a stratified design",
            key="design.strata",
        )
    allowed = {
        "srs": ("srswor", "srswr"),
        "systematic": ("systematic", "pps_systematic"),
        "stratified": ("srswor", "srswr", "systematic", "pps_systematic"),
    }[method]
    if raw[0].get("method", allowed[0]) not in allowed:
        raise ConfigError(
            f"design {method!r} selects with {' or '.join(allowed)}, not {raw[0].get('method')!r}",
            key="design.stages[0].method",
        )


def _check_stage_methods(raw: list[dict[str, Any]]) -> None:
    """Known methods; SRSWR only in one-stage designs; the first stage cannot take all."""
    for k, r in enumerate(raw):
        m = r.get("method", "srswor")
        if m not in STAGE_METHODS:
            raise ConfigError(
                f"unknown method {m!r}; allowed: {', '.join(STAGE_METHODS)}",
                key=f"design.stages[{k}].method",
            )
        if m == "srswr" and (k > 0 or len(raw) > 1):
            raise ConfigError(
                "sampling with replacement (srswr) is supported in one-stage designs only",
                key=f"design.stages[{k}].method",
            )
        if m == "all" and k == 0:
            raise ConfigError(
                "the first stage cannot take all units", key=f"design.stages[{k}].method"
            )


def resolve_sample_size(
    frame: pd.DataFrame, design: Design, section: Mapping[str, Any], file: str | None = None
) -> tuple[Design, dict[str, Any] | None]:
    """Fill in ``n`` from ``design.sample_size`` when neither ``n`` nor stage-1 ``n`` is given.

    With ``per_stratum: true`` each stratum gets the size its own margin needs (fixed
    allocation; for cluster designs divided by the expected units per stage-1 unit).
    """
    ss = section.get("sample_size") or {}
    if design.n is not None or design.stages[0].n is not None or design.allocation == "fixed":
        return design, None
    if not ss or ss.get("margin") is None:
        raise ConfigError(
            "give the sample size: design.n, or design.sample_size.margin to compute it",
            key="design.n",
        )
    use_fpc = ss.get("fpc", True)
    kw = {
        "margin": float(ss["margin"]),
        "confidence": float(ss.get("confidence", 0.95)),
        "p": ss.get("p", 0.5),
        "sd": ss.get("sd"),
        "deff": float(ss.get("deff", 1.0)),
        "response_rate": float(ss.get("response_rate", 1.0)),
    }
    if ss.get("per_stratum") and design.strata:
        if design.strata not in frame.columns:
            check_frame(frame, design, file)
        counts = frame[design.strata].value_counts(sort=False).sort_index()
        res = sample_size(N=counts.to_numpy(float) if use_fpc else None, **kw)
        per = dict(zip(counts.index.astype(str), np.atleast_1d(res.n_issued).tolist(), strict=True))
        out = res.summary()
        out["strata"] = list(per)
        total = int(sum(per.values()))
        if len(design.stages) > 1:
            m = prepare(frame, replace(design, n=total), file).m_per_psu
            per = {h: max(1, int(math.ceil(v / m - 1e-9))) for h, v in per.items()}
            out["expected_units_per_psu"] = m
        return replace(design, n=total, allocation="fixed", fixed=per), out
    res = sample_size(N=float(len(frame)) if use_fpc else None, **kw)
    return replace(design, n=int(res.n_issued)), res.summary()


def _quota_args(section: Mapping[str, Any]) -> dict[str, Any]:
    q = section.get("quota") or {}
    return {"cells": list(q.get("cells") or []), "quotas": q.get("quotas") or None}


def design_plan(
    frame: pd.DataFrame,
    section: Mapping[str, Any],
    master_seed: int,
    id_column: str = "customer_id",
    file: str | None = None,
) -> dict[str, Any]:
    """design.json: the design, the sample size computation, the allocation and the seed."""
    seed = section.get("seed")
    seed = derive_seed(master_seed, "design") if seed is None else int(seed)
    if section.get("method") == "quota":
        res = quota_sample(
            frame,
            n=section.get("n"),
            seed=seed,
            id_column=id_column,
            file=file,
            **_quota_args(section),
        )
        info = dict(res.info)
        info.pop("n_selected", None)
        info["seed"] = seed
        return info
    design = design_from_config(section, id_column)
    design, ss = resolve_sample_size(frame, design, section, file)
    info = plan(frame, design, file)
    info["sample_size"] = ss
    info["seed"] = seed
    return info


def draw_from_config(
    frame: pd.DataFrame,
    section: Mapping[str, Any],
    master_seed: int,
    id_column: str = "customer_id",
    file: str | None = None,
) -> SampleResult:
    """Draw the sample the config section ``design`` describes (same seed as the plan)."""
    seed = section.get("seed")
    seed = derive_seed(master_seed, "design") if seed is None else int(seed)
    if section.get("method") == "quota":
        res = quota_sample(
            frame,
            n=section.get("n"),
            seed=seed,
            id_column=id_column,
            file=file,
            **_quota_args(section),
        )
    else:
        design = design_from_config(section, id_column)
        design, ss = resolve_sample_size(frame, design, section, file)
        res = draw(frame, design, seed, file)
        res.info["sample_size"] = ss
    res.info["seed"] = seed
    return res
