"""The truth of the demo world: the true parameters and the census values of the simulated
population (item means, 0-100 construct scores, the CSI), written for validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..instrument import ACSI_PATHS, CONSTRUCTS, Instrument
from .population import Keys, check_model, frame_keys, population_answers, subset
from .streams import DEFAULT_FIELDWORK, TRUTH_DEFINITION
from .streams import merged as _merged
from .streams import uniform as _uniform


def compute_truth(
    frame: pd.DataFrame,
    instrument: Instrument,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
) -> dict[str, Any]:
    """True population values over the whole frame, computed in chunks of ``chunk_size`` rows.

    Item means (after recoding), construct 0-100 scores and the CSI (mean CS score), overall,
    by segment and by region; see ``TRUTH_DEFINITION``. Item sums are sums of small integers
    on the scale grid, so the census of the simulated answers reproduces them exactly.
    """
    p = _merged(DEFAULT_FIELDWORK, params)
    model = p["model"]
    keys = frame_keys(frame)
    check_model(model, instrument, keys)
    return truth_from_keys(keys, instrument, model, seed, chunk_size, p)


@dataclass
class _Census:
    """Population sums per segment x region cell (cell = segment * n_regions + region)."""

    count: np.ndarray  # eligible customers
    sums: np.ndarray  # items x cells: sum of recoded item values
    lat_sums: np.ndarray  # CONSTRUCTS x cells: sum of latent values
    cross: np.ndarray  # items x items: population sum of x x' (recoded items)


def _census(keys: Keys, instrument: Instrument, model, seed: int, chunk_size: int, params):
    """Interview every eligible customer, ``chunk_size`` frame rows at a time, and sum."""
    items = instrument.item_ids
    n_reg = len(keys.regions)
    n_cell = len(keys.segments) * n_reg
    acc = _Census(
        count=np.zeros(n_cell),
        sums=np.zeros((len(items), n_cell)),
        lat_sums=np.zeros((len(CONSTRUCTS), n_cell)),
        cross=np.zeros((len(items), len(items))),
    )
    p_ineligible = float(params["response"]["ineligible"])
    for start in range(0, len(keys.position), chunk_size):
        sub = subset(keys, slice(start, start + chunk_size))
        eligible = _uniform(seed, "eligibility", sub.position) >= p_ineligible
        sub = subset(sub, eligible)
        vals, eta, _ = population_answers(sub, instrument, model, seed)
        cell = sub.segment.astype(np.int64) * n_reg + sub.region
        acc.count += np.bincount(cell, minlength=n_cell)
        for j, iid in enumerate(items):
            acc.sums[j] += np.bincount(cell, weights=vals[iid], minlength=n_cell)
        for j, c in enumerate(CONSTRUCTS):
            acc.lat_sums[j] += np.bincount(cell, weights=eta[c], minlength=n_cell)
        V = np.column_stack([vals[iid] for iid in items])
        acc.cross += V.T @ V
    return acc


def _item_means(
    items: list[str],
    sums_sr: np.ndarray,
    count_sr: np.ndarray,
    axis_keep: str | None,
    names: list[str],
) -> dict:
    """Item means overall (``axis_keep`` None) or per segment / region with customers."""
    if axis_keep is None:
        return {iid: sums_sr[j].sum() / count_sr.sum() for j, iid in enumerate(items)}
    ax = 1 if axis_keep == "segment" else 0  # axis of count_sr to sum over
    c = count_sr.sum(axis=ax)
    s = sums_sr.sum(axis=1 + ax)
    return {
        g: {iid: s[j, gi] / c[gi] for j, iid in enumerate(items)}
        for gi, g in enumerate(names)
        if c[gi] > 0
    }


def _scores(instrument: Instrument, means: Mapping[str, float]) -> dict[str, float]:
    """0-100 construct scores: the mean of the construct's items' rescaled means."""
    out = {}
    for c in instrument.construct_ids:
        its = instrument.items_of(c)
        out[c] = float(np.mean([it.scale.to_0_100(means[it.id]) for it in its]))
    return out


def _item_moments(items: list[str], sums: np.ndarray, cross: np.ndarray, n: float) -> dict:
    """Population means and covariance matrix (divisor N) of the recoded items."""
    mean = sums / n
    cov = cross / n - np.outer(mean, mean)
    cov = (cov + cov.T) / 2
    return {
        "items": list(items),
        "mean": [float(v) for v in mean],
        "covariance": [[float(v) for v in row] for row in cov],
        "n": int(n),
    }


def _latent_means_by_segment(keys: Keys, acc: _Census, count_sr: np.ndarray) -> dict:
    """Mean latent value of each construct per segment with customers."""
    n_seg, n_reg = len(keys.segments), len(keys.regions)
    return {
        g: {
            c: acc.lat_sums[j].reshape(n_seg, n_reg)[gi].sum() / count_sr[gi].sum()
            for j, c in enumerate(CONSTRUCTS)
        }
        for gi, g in enumerate(keys.segments)
        if count_sr[gi].sum() > 0
    }


def _item_scales(instrument: Instrument) -> dict:
    """Scale of each item (min, max, points, reverse, kind), for reading the item means."""
    return {
        it.id: {
            "min": it.scale.min,
            "max": it.scale.max,
            "points": it.scale.points,
            "reverse": it.reverse,
            "kind": it.kind,
        }
        for it in instrument.items
    }


def truth_from_keys(keys: Keys, instrument, model, seed, chunk_size, params) -> dict[str, Any]:
    """The truth (see :func:`compute_truth`) of the population ``keys`` of a checked model."""
    items = instrument.item_ids
    n_seg, n_reg = len(keys.segments), len(keys.regions)
    acc = _census(keys, instrument, model, seed, chunk_size, params)
    count_sr = acc.count.reshape(n_seg, n_reg)
    sums_sr = acc.sums.reshape(len(items), n_seg, n_reg)
    overall = _item_means(items, sums_sr, count_sr, None, [])
    by_seg = _item_means(items, sums_sr, count_sr, "segment", keys.segments)
    by_reg = _item_means(items, sums_sr, count_sr, "region", keys.regions)
    cs_scores = {
        "overall": _scores(instrument, overall),
        "by_segment": {g: _scores(instrument, m) for g, m in by_seg.items()},
        "by_region": {g: _scores(instrument, m) for g, m in by_reg.items()},
    }
    csi = {
        "overall": cs_scores["overall"]["CS"],
        "by_segment": {g: s["CS"] for g, s in cs_scores["by_segment"].items()},
        "by_region": {g: s["CS"] for g, s in cs_scores["by_region"].items()},
    }
    n_total = acc.count.sum()
    return {
        "definition": TRUTH_DEFINITION,
        "seed": int(seed),
        "n_population": int(n_total),
        "population_by_segment": {
            g: int(c) for g, c in zip(keys.segments, count_sr.sum(axis=1), strict=True)
        },
        "population_by_region": {
            g: int(c) for g, c in zip(keys.regions, count_sr.sum(axis=0), strict=True)
        },
        "item_means": overall,
        "item_means_by_segment": by_seg,
        "item_means_by_region": by_reg,
        "construct_scores": cs_scores,
        "csi": csi,
        "n_frame": int(len(keys.position)),
        "item_moments": _item_moments(items, acc.sums.sum(axis=1), acc.cross, n_total),
        "latent_means": {c: acc.lat_sums[j].sum() / n_total for j, c in enumerate(CONSTRUCTS)},
        "latent_means_by_segment": _latent_means_by_segment(keys, acc, count_sr),
        "parameters": {
            "model": model,
            "response": params["response"],
            "paths_figure_4_1": [f"{a}->{b}" for a, b in ACSI_PATHS],
        },
        "item_scales": _item_scales(instrument),
    }
