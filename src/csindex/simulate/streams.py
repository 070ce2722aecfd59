"""Defaults of the simulated world and its counter-based random numbers (shared by the
frame and the fieldwork simulators)."""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

# ------------------------------------------------------------------------------- defaults
# Keep in step with workflow/schemas/frame.schema.yaml and fieldwork.schema.yaml (a test checks).
DEFAULT_FRAME: dict[str, Any] = {
    "path": None,
    "id_column": "customer_id",
    "simulate": {
        "n_customers": 200_000,
        "regions": {
            "R01": 0.22,
            "R02": 0.17,
            "R03": 0.15,
            "R04": 0.12,
            "R05": 0.11,
            "R06": 0.09,
            "R07": 0.08,
            "R08": 0.06,
        },
        "customers_per_branch": 500,
        "branch_concentration": 0.7,
        "segments": {"personal": 0.62, "family": 0.28, "business": 0.10},
        "segment_concentration": 20.0,
        "tenure_mean": {"personal": 4.0, "family": 6.0, "business": 8.0},
        "spend_median": {"personal": 80.0, "family": 160.0, "business": 650.0},
        "region_spend_sd": 0.15,
    },
}

DEFAULT_FIELDWORK: dict[str, Any] = {
    "pilot_n": 40,
    "start_date": "2026-09-01",
    "main_days": 28,
    "model": {
        "loadings": {
            "CE1": 0.75,
            "CE2": 0.80,
            "CE3": 0.70,
            "PQ1": 0.85,
            "PQ2": 0.80,
            "PQ3": 0.75,
            "PV1": 0.80,
            "PV2": 0.85,
            "PV3": 0.75,
            "CS1": 0.90,
            "CS2": 0.85,
            "CC1": 0.80,
            "CC2": 0.75,
            "CL1": 0.85,
            "CL2": 0.70,
            "CL3": 0.70,
        },
        "intercepts": {
            "CE1": 0.9,
            "CE2": 0.9,
            "CE3": 0.8,
            "PQ1": 0.8,
            "PQ2": 0.7,
            "PQ3": 0.8,
            "PV1": 0.5,
            "PV2": 0.3,
            "PV3": 0.5,
            "CS1": 0.8,
            "CS2": 0.6,
            "CC1": -0.9,
            "CC2": -1.1,
            "CL1": 0.8,
            "CL2": -0.3,
            "CL3": -0.4,
        },
        "error_variances": {
            "CE1": 0.45,
            "CE2": 0.40,
            "CE3": 0.50,
            "PQ1": 0.30,
            "PQ2": 0.35,
            "PQ3": 0.40,
            "PV1": 0.35,
            "PV2": 0.30,
            "PV3": 0.40,
            "CS1": 0.25,
            "CS2": 0.30,
            "CC1": 0.35,
            "CC2": 0.40,
            "CL1": 0.30,
            "CL2": 0.50,
            "CL3": 0.50,
        },
        "paths": {
            "CE->PQ": 0.60,
            "CE->PV": 0.20,
            "PQ->PV": 0.55,
            "CE->CS": 0.10,
            "PQ->CS": 0.45,
            "PV->CS": 0.35,
            "CS->CC": -0.50,
            "CS->CL": 0.60,
            "CC->CL": -0.20,
        },
        "residual_variances": {
            "CE": 1.0,
            "PQ": 0.64,
            "PV": 0.55,
            "CS": 0.35,
            "CC": 0.75,
            "CL": 0.50,
        },
        "latent_intercepts": {"PQ": 0.0, "PV": 0.0, "CS": 0.0, "CC": 0.0, "CL": 0.0},
        "ce_mean": {
            "segment": {"personal": 0.0, "family": 0.5, "business": -0.8},
            "region": {
                "R01": 0.20,
                "R02": 0.00,
                "R03": -0.10,
                "R04": 0.15,
                "R05": -0.25,
                "R06": 0.05,
                "R07": -0.30,
                "R08": 0.10,
            },
            "branch_sd": 0.2,
        },
        "thresholds": [-1.5, -0.5, 0.5, 1.5],
        "quantity_top_width": 30,
    },
    "response": {
        "segment": {"personal": 0.40, "family": 0.60, "business": 0.15},
        "region_logit": {
            "R01": 0.3,
            "R02": 0.0,
            "R03": -0.15,
            "R04": 0.2,
            "R05": -0.35,
            "R06": 0.05,
            "R07": -0.45,
            "R08": 0.15,
        },
        "ineligible": 0.02,
        "unknown_eligibility": 0.03,
        "refusal_share": 0.6,
    },
    "defects": {
        "duplicates": 0.02,
        "out_of_range": 0.004,
        "dont_know": 0.02,
        "refused": 0.01,
        "straightliners": 0.03,
        "speeders": 0.03,
        "attention_failed": 0.03,
        "partials": 0.05,
    },
    "speeder_max_sec": 90,
    "normal_min_sec": 180,
}

DISPOSITIONS = ("complete", "partial", "refusal", "noncontact", "ineligible", "unknown_eligibility")

TRUTH_DEFINITION = (
    "Population = every eligible customer of the frame (eligibility is a fixed property of each "
    "customer: ineligible with probability fieldwork.response.ineligible), answering without "
    "defects. Item means are on "
    "each item's own scale after recoding (reverse-coded items recoded, quantities cut to their "
    "five levels). A construct's 0-100 score for a customer is the mean over its items of "
    "(x - min) / (max - min) * 100 on the item scale after recoding; the population score is "
    "its mean over customers (overall, by segment, by region). The CSI is the population mean "
    "0-100 score of customer satisfaction (CS). item_moments holds the population means and "
    "covariance matrix (divisor N) of the recoded items, from which the population value of an "
    "index with estimated item weights (e.g. PLS outer weights) follows: see "
    "csindex.validation.population_index."
)


_ID_MAPS = frozenset(
    {
        "regions",
        "segments",
        "tenure_mean",
        "spend_median",
        "loadings",
        "intercepts",
        "error_variances",
        "segment",
        "region",
        "region_logit",
    }
)
"""Settings keyed by item, segment or region ids: a given map replaces the default as a whole
(as the config schema's defaults do), so a study with other segments gets no stray defaults."""


def _merged(defaults: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Deep-merge ``given`` over ``defaults``: dicts merged key by key, except the id-keyed maps
    of ``_ID_MAPS`` and non-dict values, which are replaced."""
    out = copy.deepcopy(dict(defaults))
    for k, v in (given or {}).items():
        if k not in _ID_MAPS and isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merged(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# ------------------------------------------------------------ counter-based random numbers
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _stream_key(seed: int, name: str) -> np.uint64:
    """64-bit key of the named random stream under ``seed`` (via numpy's SeedSequence)."""
    ss = np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))])
    return ss.generate_state(1, np.uint64)[0]


def _splitmix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014), vectorised over uint64."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _uniform(seed: int, name: str, index: np.ndarray) -> np.ndarray:
    """U(0,1) for counters ``index`` in stream ``name``: a pure function of (seed, name, index)."""
    z = (np.asarray(index, dtype=np.uint64) + np.uint64(1)) * _GOLDEN + _stream_key(seed, name)
    z = _splitmix(z)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def _normal(seed: int, name: str, index: np.ndarray) -> np.ndarray:
    """Standard normal by inversion of :func:`_uniform`."""
    return ndtri(_uniform(seed, name, index))


def _rng(seed: int, name: str) -> np.random.Generator:
    """An ordinary seeded generator for draws that are not per customer (PII, defects)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))]))
    )


def _take_str(categories: np.ndarray | list[str], codes: np.ndarray) -> pd.Series:
    """Strings from integer codes without Python objects per row (pyarrow take)."""
    import pyarrow as pa

    arr = pa.array(list(categories), type=pa.string()).take(pa.array(codes))
    return arr.to_pandas()


# Public names for the other simulate modules (the definitions keep their historic names).
merged = _merged
stream_key = _stream_key
splitmix = _splitmix
uniform = _uniform
normal = _normal
rng = _rng
take_str = _take_str
ID_MAPS = _ID_MAPS
