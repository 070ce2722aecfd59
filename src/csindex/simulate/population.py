"""The simulated population of the demo world: every customer's latent scores of the ACSI
model (figure 4-1, see :mod:`csindex.simulate`) and answers without defects.

A customer's values are a pure function of (seed, frame row): the random numbers are
counter-based (:mod:`.streams`), so any subset of the frame gets the values the census gets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..instrument import ACSI_PATHS, CONSTRUCTS, Instrument, Item
from .streams import normal as _normal
from .streams import uniform as _uniform


@dataclass(frozen=True)
class Keys:
    """Per-customer keys of the population: frame row index and the codes the model uses."""

    position: np.ndarray  # int64 frame row
    segment: np.ndarray  # int codes into segments
    region: np.ndarray  # int codes into regions
    branch: np.ndarray  # int codes into branches (sorted branch ids)
    segments: list[str]
    regions: list[str]


def frame_keys(frame: pd.DataFrame, file: str | None = None) -> Keys:
    """Keys of every customer of ``frame`` (segment, region and branch codes, sorted)."""
    for col in ("segment", "region", "branch"):
        if col not in frame.columns:
            raise InputError(
                f"the frame has no column {col!r}; the simulator needs segment, region and branch",
                file=file,
                column=col,
            )
    codes = {}
    for col in ("segment", "region", "branch"):
        c, cats = pd.factorize(frame[col], sort=True)
        if (c < 0).any():
            raise InputError(
                "missing value; every customer needs a segment, region and branch",
                file=file,
                row=int(np.flatnonzero(c < 0)[0]) + 1,
                column=col,
            )
        codes[col] = (c, cats)
    (seg, segs), (reg, regs), (br, _) = codes["segment"], codes["region"], codes["branch"]
    return Keys(
        position=np.arange(len(frame), dtype=np.int64),
        segment=seg,
        region=reg,
        branch=br,
        segments=[str(s) for s in segs],
        regions=[str(r) for r in regs],
    )


def subset(keys: Keys, rows: np.ndarray | slice) -> Keys:
    """The keys of the customers ``rows`` (positions or a boolean mask into ``keys``)."""
    return Keys(
        keys.position[rows],
        keys.segment[rows],
        keys.region[rows],
        keys.branch[rows],
        keys.segments,
        keys.regions,
    )


def check_model(model: Mapping[str, Any], instrument: Instrument, keys: Keys) -> None:
    """Raise ConfigError unless ``model`` has a value for every item and segment it needs."""
    for it in instrument.items:
        for k in ("loadings", "intercepts", "error_variances"):
            if it.id not in model[k]:
                raise ConfigError(
                    f"has no value for item {it.id!r} of the instrument",
                    key=f"fieldwork.model.{k}",
                )
        if it.construct not in CONSTRUCTS:
            raise ConfigError(
                f"item {it.id!r} belongs to {it.construct!r}; the simulator knows {CONSTRUCTS}",
                key="instrument",
            )
    for s in keys.segments:
        if s not in model["ce_mean"]["segment"]:
            raise ConfigError(
                f"has no latent mean for segment {s!r} (segments in the frame: {keys.segments})",
                key="fieldwork.model.ce_mean.segment",
            )


def _endogenous_order() -> list[str]:
    return [c for c in CONSTRUCTS if c != "CE"]


def _thresholds(model: Mapping[str, Any], points: int) -> np.ndarray:
    tau = np.asarray(model["thresholds"], dtype=float)
    if points == len(tau) + 1:
        return tau
    return np.linspace(tau[0], tau[-1], points - 1)


def _latent(keys: Keys, model: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
    """Latent variables of figure 4-1 for the customers in ``keys``."""
    ce = model["ce_mean"]
    seg_off = np.array([float(ce["segment"][s]) for s in keys.segments])
    reg_off = np.array([float(ce["region"].get(r, 0.0)) for r in keys.regions])
    mu = seg_off[keys.segment] + reg_off[keys.region]
    if float(ce["branch_sd"]) > 0:
        mu = mu + float(ce["branch_sd"]) * _normal(seed, "branch", keys.branch)
    psi = model["residual_variances"]
    eta = {"CE": mu + math.sqrt(float(psi["CE"])) * _normal(seed, "zeta:CE", keys.position)}
    paths = model["paths"]
    for c in _endogenous_order():
        v = float(model["latent_intercepts"].get(c, 0.0)) + math.sqrt(float(psi[c])) * _normal(
            seed, f"zeta:{c}", keys.position
        )
        for src, dst in ACSI_PATHS:
            if dst == c:
                v = v + float(paths[f"{src}->{dst}"]) * eta[src]
        eta[c] = v
    return eta


def _cut_points(it: Item) -> np.ndarray:
    q = it.quantity or {}
    pts = ((q.get("cut") or {}).get("points")) if isinstance(q.get("cut"), dict) else None
    if pts is None:
        lo, hi = float(q.get("min", 0)), float(q.get("max", 100))
        pts = np.linspace(lo, hi, it.scale.points + 1)
    return np.asarray(pts, dtype=float)


def _quantity_answer(
    it: Item, xs: np.ndarray, model: Mapping[str, Any], seed: int, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(recoded level on the item's scale, raw %) of a quantity item from its response x*."""
    pts = _cut_points(it)
    n_levels = len(pts) - 1
    level = np.searchsorted(_thresholds(model, n_levels), xs)  # 0..n_levels-1
    lo, hi = pts[level], pts[level + 1]
    top = level == n_levels - 1
    hi = np.where(top, np.minimum(hi, lo + float(model["quantity_top_width"])), hi)
    # an interior integer of the interval (never on a cut point), else the midpoint
    n_int = np.ceil(hi) - np.floor(lo) - 1
    u = _uniform(seed, f"pct:{it.id}", position)
    val = np.where(n_int >= 1, np.floor(lo) + 1 + np.floor(u * np.maximum(n_int, 1)), (lo + hi) / 2)
    step = (it.scale.max - it.scale.min) / (n_levels - 1)
    return it.scale.min + step * level, val


def population_answers(
    keys: Keys, instrument: Instrument, model: Mapping[str, Any], seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Answers of the customers in ``keys`` without defects.

    Returns (recoded item values on each item's own scale, latent values, raw quantities in %
    for quantity items). A pure function of (seed, frame row): any subset gives the same
    values as the full population.
    """
    eta = _latent(keys, model, seed)
    values: dict[str, np.ndarray] = {}
    pct: dict[str, np.ndarray] = {}
    for it in instrument.items:
        xs = (
            float(model["intercepts"][it.id])
            + float(model["loadings"][it.id]) * eta[it.construct]
            + math.sqrt(float(model["error_variances"][it.id]))
            * _normal(seed, f"eps:{it.id}", keys.position)
        )
        if it.kind == "quantity":
            values[it.id], pct[it.id] = _quantity_answer(it, xs, model, seed, keys.position)
        else:
            k = it.scale.points
            level = np.searchsorted(_thresholds(model, k), xs)
            step = (it.scale.max - it.scale.min) / (k - 1)
            values[it.id] = it.scale.min + step * level
    return values, eta, pct
