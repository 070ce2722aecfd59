"""Typed options of :func:`csindex.estimation.survey_design`: the design's columns
(:class:`DesignVariables`), its replicate weights (:class:`ReplicateWeights`) and the choices of
the Taylor variance (:class:`VarianceOptions`), as the arguments of R ``svydesign`` /
``svrepdesign``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import ConfigError
from csindex.estimation.replicates import MSE_DEFAULT, REPLICATE_TYPES
from csindex.estimation.taylor import LONELY_PSU, PPS_METHODS


@dataclass(frozen=True)
class DesignVariables:
    """Columns of the design, as R ``svydesign(ids = ~psu + ssu + tsu, strata = ~strata,
    fpc = ~fpc_1 + fpc_2 + ..., weights = ~weight, nest = nest)``.

    ``weight``: analysis weights (None = 1). ``psu``/``ssu``/``tsu``: unit ids of stages 1-3
    (without ``psu`` every row is a PSU). ``fpc``: one column per stage holding population counts
    (N_h PSUs in the stratum; M_i units in the PSU; ...) or sampling fractions (all <= 1), or the
    inclusion probabilities with PPS (:class:`VarianceOptions`), kept as a tuple; with one more
    fpc column than unit ids the rows are the units of the last stage. ``nest=True`` numbers
    PSUs within strata (else a PSU id must not occur in two strata).
    """

    weight: str | None = "w_final"
    strata: str | None = None
    psu: str | None = None
    ssu: str | None = None
    tsu: str | None = None
    fpc: str | Sequence[str] | None = None
    nest: bool = False

    def __post_init__(self) -> None:
        fpc = self.fpc
        object.__setattr__(self, "fpc", (fpc,) if isinstance(fpc, str) else tuple(fpc or ()))

    @property
    def ids(self) -> list[str]:
        """The unit id columns given, earliest stage first."""
        return [c for c in (self.psu, self.ssu, self.tsu) if c is not None]


@dataclass(frozen=True, eq=False)
class ReplicateWeights:
    """Replicate weights of a design, as R ``svrepdesign(repweights, type, scale, rscales, mse,
    combined.weights = TRUE)``: ``weights`` are the columns of the data holding them, or a
    DataFrame / (n, R) array aligned row by row with the data (analysis weights, one column per
    replicate). ``scale`` None takes the type's: JK1 ``(R-1)/R``, BRR ``1/R``, bootstrap
    ``1/(R-1)``, otherwise 1. ``rscales`` None: all 1. Variance: ``scale * sum_r rscales_r
    (theta_r - c)^2`` (:func:`csindex.estimation.replicate_variance`)."""

    weights: pd.DataFrame | np.ndarray | Sequence[str]
    type: str | None = None
    scale: float | None = None
    rscales: Sequence[float] | np.ndarray | None = None
    mse: bool = MSE_DEFAULT

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in REPLICATE_TYPES:
            raise ConfigError(
                f"must be one of {', '.join(REPLICATE_TYPES)}", key="weighting.replicates.type"
            )


@dataclass(frozen=True)
class VarianceOptions:
    """Choices of the Taylor variance. ``lonely_psu``: single-PSU strata as R
    ``options(survey.lonely.psu)`` (adjust, remove, certainty, average, fail). ``pps``: PPS
    without replacement, the fpc columns then holding inclusion probabilities: ``"brewer"``
    (Brewer's approximation, ``f_i = 1 - pi_i``; any number of stages), ``"overton"`` or ``"hr"``
    (Hartley-Rao; one stage; :func:`csindex.estimation.taylor.pps_variance`), as R
    ``svydesign(..., pps = "brewer" | "overton" | HR(psum))``; ``hr_psum`` is R's ``HR(psum)``
    (``sum pi^2 / n``, one number or one per stratum label; None = R ``HR()``)."""

    lonely_psu: str = "adjust"
    pps: str | None = None
    hr_psum: float | Mapping[Any, float] | None = None

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_PSU:
            raise ConfigError(
                f"must be one of {', '.join(LONELY_PSU)}", key="estimation.lonely_psu"
            )
        if self.pps is not None and self.pps not in PPS_METHODS:
            raise ConfigError(f"must be one of {', '.join(PPS_METHODS)}", key="estimation.pps")
