"""Calibration to population margins: post-stratification, raking (IPF) and Deville–Särndal
calibration (linear/GREG, raking ratio, logit) as R ``survey`` (``postStratify``, ``rake``,
``calibrate``/``grake``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csindex.errors import ConfigError, ConvergenceError, InputError
from csindex.weighting.common import as2d, back, check_weights, col_group_sums
from csindex.weighting.margins import align_margin, cell_codes, check_margin_totals

log = logging.getLogger("csindex")


def poststratify(
    w: np.ndarray, df: pd.DataFrame, variable: str, population: Mapping[str, float]
) -> np.ndarray:
    """``w_i N_c / sum_{c} w`` in each post-stratum ``c`` (R ``postStratify``)."""
    W, was1d = as2d(w)
    codes, t = align_margin(df, variable, population, "post-stratification")
    tot = col_group_sums(W, codes, len(t))
    with np.errstate(invalid="ignore", divide="ignore"):
        f = t[:, None] / tot
    if not np.isfinite(f[:, 0]).all():
        raise InputError(f"a post-stratum of {variable!r} has zero weight", column=variable)
    return back(W * f[codes], was1d)


# --------------------------------------------------------------------------- raking
@dataclass
class RakeResult:
    """Raked weights with the number of sweeps and the final max relative margin error."""

    weights: np.ndarray
    sweeps: int
    max_rel_error: float
    converged: bool


def rake(
    w: np.ndarray,
    margins: Sequence[tuple[np.ndarray, np.ndarray]],
    rtol: float = 1e-8,
    max_sweeps: int = 100,
    raise_on_failure: bool = True,
) -> RakeResult:
    """Iterative proportional fitting (Deming–Stephan) of ``w`` to margin totals.

    ``margins`` is a list of (codes 0..k-1 per row, target total per code). The work is done on
    the cross-classified cell table (the factor only depends on the cell), so the cost is one pass
    over the rows. Stops when ``max_c |T_c(w) - N_c| / N_c <= rtol`` over every margin."""
    w = np.asarray(w, float)
    n = w.shape[0]
    sizes = [len(t) for _, t in margins]
    cell = np.zeros(n, np.int64)
    for (codes, _), k in zip(margins, sizes, strict=True):
        cell = cell * k + codes
    ncell = int(np.prod(sizes, dtype=np.float64))
    if ncell <= max(4 * n, 1 << 16):  # dense cell table: no sort needed
        ucell = np.flatnonzero(np.bincount(cell, minlength=ncell))
        ctot = np.bincount(cell, weights=w, minlength=ncell)
        pos = np.full(ncell, -1, np.int64)
        pos[ucell] = np.arange(ucell.size)
        inv = pos[cell]
        ctot = ctot[ucell]
    else:
        ucell, inv = np.unique(cell, return_inverse=True)
        ctot = np.bincount(inv, weights=w, minlength=len(ucell))
    # margin codes of each occupied cell
    mcodes = []
    rest = ucell.copy()
    for k in reversed(sizes):
        mcodes.append(rest % k)
        rest //= k
    mcodes = mcodes[::-1]
    targets = [np.asarray(t, float) for _, t in margins]
    f = np.ones(len(ucell))
    err = np.inf
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007
        for mc, t in zip(mcodes, targets, strict=True):
            cur = np.bincount(mc, weights=ctot * f, minlength=len(t))
            with np.errstate(invalid="ignore", divide="ignore"):
                adj = np.where(cur > 0, t / cur, 1.0)
            f *= adj[mc]
        err = max(
            float(
                np.max(
                    np.abs(np.bincount(mc, weights=ctot * f, minlength=len(t)) - t)
                    / np.where(t > 0, t, 1.0)
                )
            )
            for mc, t in zip(mcodes, targets, strict=True)
        )
        if err <= rtol:
            break
    converged = err <= rtol
    if not converged and raise_on_failure:
        raise ConvergenceError(
            f"raking did not converge: max relative margin error {err:.3g} after {sweeps} "
            f"sweeps (tolerance {rtol:g}); raise weighting.calibration.max_sweeps, collapse "
            "sparse categories or check that the margins are consistent"
        )
    return RakeResult(w * f[inv], sweeps, err, converged)


def rake_frame(
    w: np.ndarray,
    df: pd.DataFrame,
    margins: Mapping[str, Mapping[str, float]],
    rtol: float = 1e-8,
    max_sweeps: int = 100,
) -> tuple[np.ndarray, list[RakeResult]]:
    """Rake the columns of ``w`` (n or n x m) to named margins of ``df``'s variables."""
    check_margin_totals(margins)
    W, was1d = as2d(w)
    check_weights(W[:, 0], column="weight before raking")
    coded = [align_margin(df, v, t, "raking") for v, t in margins.items()]
    # the full sample must converge; a replicate that cannot (a category whose only PSU it
    # dropped) keeps its best weights and is counted in the diagnostics
    results = [
        rake(W[:, j], coded, rtol, max_sweeps, raise_on_failure=(j == 0)) for j in range(W.shape[1])
    ]
    bad = sum(not r.converged for r in results[1:])
    if bad:
        log.warning("raking: %d replicate(s) did not converge", bad)
    out = np.column_stack([r.weights for r in results])
    return back(out, was1d), results


# --------------------------------------------------------------------------- calibration
def _calfun(method: str):
    if method == "linear":

        def Fm1(u, L, U):
            return np.clip(u + 1, L, U) - 1

        def dF(u, L, U):
            return ((u < U - 1) & (u > L - 1)).astype(float)

    elif method == "raking":

        def Fm1(u, L, U):
            return np.clip(np.exp(u), L, U) - 1

        def dF(u, L, U):
            return np.where((u < U - 1) & (u > L - 1), np.exp(u), 0.0)

    elif method == "logit":

        def Fm1(u, L, U):
            A = (U - L) / ((U - 1) * (1 - L))
            e = np.exp(A * u)
            return (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e) - 1

        def dF(u, L, U):
            A = (U - L) / ((U - 1) * (1 - L))
            e = np.exp(A * u)
            den = U - 1 + (1 - L) * e
            return (
                U * (1 - L) * e * A / den
                - (L * (U - 1) + U * (1 - L) * e) * ((1 - L) * e * A) / den**2
            )

    else:
        raise ConfigError(
            f"unknown calibration method {method!r}; allowed: linear, raking, logit",
            key="weighting.calibration.method",
        )
    return Fm1, dF


@dataclass
class CalibrationResult:
    """g-weights (new weight = g * old), iterations and final relative misfit."""

    g: np.ndarray
    iterations: int
    max_rel_error: float
    converged: bool


def calibrate(
    w: np.ndarray,
    X: np.ndarray,
    totals: np.ndarray,
    method: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    max_iter: int = 50,
    epsilon: float = 1e-7,
    raise_on_failure: bool = True,
) -> CalibrationResult:
    """Calibration (Deville & Särndal 1992) of weights ``w`` so that ``sum g w x = totals``.

    Newton iterations as R ``grake``: ``g = 1 + F^{-1}(X eta)`` with the linear (GREG),
    raking-ratio or logit distance and g-bounds ``(L, U)``; convergence when
    ``max |misfit| / (1 + |total|) < epsilon``."""
    w = np.asarray(w, float)
    X = np.asarray(X, float)
    totals = np.asarray(totals, float)
    L, U = float(bounds[0]), float(bounds[1])
    if method == "logit" and not (np.isfinite(L) and np.isfinite(U)):
        raise ConfigError(
            "logit calibration needs finite bounds", key="weighting.calibration.bounds"
        )
    Fm1, dF = _calfun(method)
    ww = w.copy()
    sample_total = X.T @ ww
    if sample_total.shape != totals.shape:
        raise InputError(
            f"{len(totals)} population totals for {len(sample_total)} calibration variables"
        )
    scales = totals / np.where(sample_total == 0, np.nan, sample_total)
    rescale = None
    if np.nanmin(scales) > 20:
        rescale = float(np.nanmean(scales))
        ww = ww * rescale
        sample_total = sample_total * rescale
    eta = np.zeros(X.shape[1])
    xeta = X @ eta
    it = 1
    achieved = np.inf
    while True:
        deriv = dF(xeta, L, U)
        T = (X * (ww * deriv)[:, None]).T @ X
        misfit = totals - sample_total - X.T @ (ww * Fm1(xeta, L, U))
        deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = X @ eta
        g = 1 + Fm1(xeta, L, U)
        deriv = dF(xeta, L, U)
        while it < max_iter and (not np.isfinite(g).all() or not np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = X @ eta
            g = 1 + Fm1(xeta, L, U)
        misfit = totals - sample_total - X.T @ (ww * Fm1(xeta, L, U))
        achieved = float(np.max(np.abs(misfit) / (1 + np.abs(totals))))
        if achieved < epsilon:
            converged = True
            break
        it += 1
        if it > max_iter:
            converged = False
            break
    g = 1 + Fm1(xeta, L, U)
    if rescale is not None:
        g = g * rescale
    if not converged and raise_on_failure:
        raise ConvergenceError(
            f"calibration ({method}, bounds {L:g}..{U:g}) did not converge: max relative misfit "
            f"{achieved:.3g} after {it} iterations; widen weighting.calibration.bounds or raise "
            "weighting.calibration.max_iter"
        )
    return CalibrationResult(g, it, achieved, converged)


def calibration_matrix(
    df: pd.DataFrame, margins: Mapping[str, Mapping[str, float]]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Model matrix and totals for categorical margins: intercept (population total) plus the
    dummies of every category but the first of each margin (R ``model.matrix`` coding)."""
    total = check_margin_totals(margins)
    cols = [np.ones(len(df))]
    tots = [total]
    names = ["(Intercept)"]
    for var, target in margins.items():
        codes, t = align_margin(df, var, target, "calibration")
        _, labels = cell_codes(df, var)
        for k in range(1, len(t)):
            cols.append((codes == k).astype(float))
            tots.append(t[k])
            names.append(f"{var}{labels[k]}")
    return np.column_stack(cols), np.array(tots), names
