"""Sample size for a target margin of error of a mean or proportion, with design effect and
expected response rate (Cochran 1977, ch. 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from ..errors import ConfigError


@dataclass
class SampleSize:
    """Sample size from a margin of error (Cochran 1977, 4.2-4.3)."""

    n0: np.ndarray  # z^2 V / e^2
    n_deff: np.ndarray  # n0 * deff
    n_fpc: np.ndarray  # after the finite population correction
    n_complete: np.ndarray  # ceil(n_fpc): completes needed
    n_issued: np.ndarray  # ceil(n_complete / response_rate)
    params: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        out = dict(self.params)
        for k in ("n0", "n_deff", "n_fpc", "n_complete", "n_issued"):
            v = getattr(self, k)
            out[k] = v.tolist() if v.ndim else v.item()
        return out


def sample_size(
    margin: float,
    confidence: float = 0.95,
    p: float | None = 0.5,
    sd: float | Sequence[float] | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
    N: float | Sequence[float] | None = None,
) -> SampleSize:
    """Completes and issued sample for a margin of error ``e`` at ``confidence``.

    ``n0 = z^2 V / e^2`` with ``V = p(1-p)`` (proportion) or ``V = sd^2`` (mean), ``z`` the
    two-sided normal quantile; times the design effect; with a finite population ``N``:
    ``n = n0 / (1 + (n0 - 1)/N)`` for a proportion (exact with ``S^2 = N p q/(N-1)``) and
    ``n = n0 / (1 + n0/N)`` for a mean; completes ``ceil(n)``, issued ``ceil(completes / r)``.
    ``N`` (and ``sd``) may be arrays: one size per stratum.
    """
    if not 0 < margin:
        raise ConfigError(f"margin must be > 0, got {margin}", key="design.sample_size.margin")
    if not 0 < confidence < 1:
        raise ConfigError(
            f"confidence must be in (0, 1), got {confidence}", key="design.sample_size.confidence"
        )
    if not 0 < response_rate <= 1:
        raise ConfigError(
            f"response_rate must be in (0, 1], got {response_rate}",
            key="design.sample_size.response_rate",
        )
    if deff <= 0:
        raise ConfigError(f"deff must be > 0, got {deff}", key="design.sample_size.deff")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if sd is not None:
        V = np.asarray(sd, dtype=float) ** 2
        kind = "mean"
    else:
        if p is None or not 0 < p < 1:
            raise ConfigError(f"p must be in (0, 1), got {p}", key="design.sample_size.p")
        V = np.asarray(p * (1 - p), dtype=float)
        kind = "proportion"
    n0 = z * z * V / margin**2
    nd = n0 * deff
    if N is None:
        nf = nd
    else:
        Na = np.asarray(N, dtype=float)
        nf = nd / (1 + (nd - 1) / Na) if kind == "proportion" else nd / (1 + nd / Na)
        nf = np.minimum(nf, Na)
    nc = np.ceil(nf - 1e-9).astype(np.int64)
    ni = np.ceil(nc / response_rate - 1e-9).astype(np.int64)
    if N is not None:
        ni = np.minimum(ni, np.asarray(N, dtype=float).astype(np.int64))
    params = {
        "margin": margin,
        "confidence": confidence,
        "z": z,
        "p": None if sd is not None else p,
        "sd": None if sd is None else np.asarray(sd, dtype=float).tolist(),
        "deff": deff,
        "response_rate": response_rate,
        "N": None if N is None else np.asarray(N, dtype=float).tolist(),
        "estimand": kind,
    }
    return SampleSize(np.asarray(n0), np.asarray(nd), np.asarray(nf), nc, ni, params)
