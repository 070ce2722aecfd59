"""Typed options of the weighting chain, read from the config section ``weighting``
(workflow/schemas/weighting.schema.yaml); missing keys take the values of :data:`DEFAULTS`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULTS: dict[str, Any] = {
    "base_weight": None,
    "nonresponse": {
        "method": "propensity",
        "covariates": ["region", "segment", "tenure_years", "monthly_spend"],
        "classes": 5,
        "class_variables": ["region", "segment"],
    },
    "calibration": {
        "method": "raking",
        "margins_from": "frame",
        "variables": ["region", "segment"],
        "margins": {},
        "population_total": None,
        "bounds": [None, None],
        "rtol": 1e-8,
        "max_sweeps": 100,
        "max_iter": 50,
    },
    "trimming": {"method": "ratio_to_median", "lower": None, "upper": 5.0, "strict": True},
    "normalise": "N",
    "replicates": {"type": "auto", "n": 100, "fay_rho": 0.5, "mse": False, "max_jackknife": 300},
}


def merged_config(defaults: Mapping[str, Any], cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    """``cfg`` over ``defaults``, nested mappings merged key by key."""
    out = dict(defaults)
    for k, v in (cfg or {}).items():
        if isinstance(v, Mapping) and isinstance(defaults.get(k), Mapping):
            out[k] = merged_config(defaults[k], v)
        else:
            out[k] = v
    return out


@dataclass(frozen=True)
class NonresponseOptions:
    """``propensity`` (classes of a logistic response model), ``classes`` or ``none``."""

    method: str
    covariates: list[str]
    classes: int
    class_variables: list[str]


@dataclass(frozen=True)
class CalibrationOptions:
    """``raking``, ``poststratify``, ``linear``, ``raking_ratio``, ``logit`` or ``none`` to margins
    from the frame (``variables``) or given in the config (``margins``, counts or shares)."""

    method: str
    margins_from: str
    variables: list[str]
    margins: Mapping[str, Mapping[str, float]]
    population_total: float | None
    bounds: tuple[float | None, float | None]
    rtol: float
    max_sweeps: int
    max_iter: int


@dataclass(frozen=True)
class TrimmingOptions:
    """``fixed``, ``ratio_to_median``, ``percentile`` or ``none`` with bounds (``None``: open)."""

    method: str
    lower: float | None
    upper: float | None
    strict: bool


@dataclass(frozen=True)
class ReplicateOptions:
    """``auto``, ``JKn``, ``JK1``, ``BRR``, ``Fay``, ``bootstrap`` or ``none``; ``mse`` ``None``
    keeps the replicate method's own choice."""

    type: str
    n: int
    fay_rho: float
    mse: bool | None
    max_jackknife: int

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> ReplicateOptions:
        r = merged_config(DEFAULTS["replicates"], cfg)
        mse = r.get("mse")
        return cls(
            type=r["type"],
            n=int(r["n"]),
            fay_rho=float(r["fay_rho"]),
            mse=None if mse is None else bool(mse),
            max_jackknife=int(r["max_jackknife"]),
        )


@dataclass(frozen=True)
class WeightingOptions:
    """The options of :func:`csindex.weighting.build_weights`; ``normalise`` is ``N``, ``n`` or a
    number (the sum of the final weights)."""

    base_weight: str | None
    nonresponse: NonresponseOptions
    calibration: CalibrationOptions
    trimming: TrimmingOptions
    normalise: str | float
    replicates: ReplicateOptions

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> WeightingOptions:
        """Options from the ``weighting`` config section (defaults for missing keys)."""
        c = merged_config(DEFAULTS, cfg)
        nr, cal, tr = c["nonresponse"], c["calibration"], c["trimming"]
        lo, hi = cal["bounds"]
        return cls(
            base_weight=c["base_weight"] or None,
            nonresponse=NonresponseOptions(
                method=nr["method"],
                covariates=list(nr["covariates"]),
                classes=int(nr["classes"]),
                class_variables=list(nr["class_variables"]),
            ),
            calibration=CalibrationOptions(
                method=cal["method"],
                margins_from=cal["margins_from"],
                variables=list(cal["variables"]),
                margins=cal["margins"] or {},
                population_total=cal.get("population_total"),
                bounds=(lo, hi),
                rtol=float(cal["rtol"]),
                max_sweeps=int(cal["max_sweeps"]),
                max_iter=int(cal["max_iter"]),
            ),
            trimming=TrimmingOptions(
                method=tr["method"],
                lower=tr.get("lower"),
                upper=tr.get("upper"),
                strict=bool(tr.get("strict", True)),
            ),
            normalise=c["normalise"],
            replicates=ReplicateOptions.from_config(c["replicates"]),
        )
