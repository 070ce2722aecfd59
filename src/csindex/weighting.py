"""Survey weights: design weights, nonresponse adjustment, post-stratification, raking,
calibration (linear, raking ratio, logit), trimming, normalisation and replicate weights.

Every adjustment works on a weight vector ``(n,)`` or a matrix ``(n, 1 + R)`` whose first column is
the full sample and the rest replicates, so each replicate goes through the same steps
(Wolter 2007, ch. 4; Valliant, Dever & Kreuter 2018). The formulas follow R ``survey``
(``postStratify``, ``rake``, ``calibrate``/``grake``, ``trimWeights``, ``as.svrepdesign``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import ConfigError, ConvergenceError, InputError

log = logging.getLogger("csindex")


# --------------------------------------------------------------------------- helpers
def _as2d(w: np.ndarray) -> tuple[np.ndarray, bool]:
    w = np.asarray(w, float)
    return (w[:, None], True) if w.ndim == 1 else (w, False)


def _back(w: np.ndarray, was1d: bool) -> np.ndarray:
    return w[:, 0] if was1d else w


def _col_group_sums(w: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """k x m table of column sums of ``w`` (n x m) by ``codes``."""
    out = np.empty((k, w.shape[1]))
    for j in range(w.shape[1]):
        out[:, j] = np.bincount(codes, weights=w[:, j], minlength=k)
    return out


def check_weights(w: np.ndarray, column: str = "weight", allow_zero: bool = True) -> None:
    """Raise an InputError naming the first row with a missing, negative (or zero) weight."""
    w = np.asarray(w, float)
    bad = ~np.isfinite(w) | (w < 0) | ((w == 0) if not allow_zero else False)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0]) + 1
        allowed = ">= 0" if allow_zero else "> 0"
        raise InputError(
            f"{int(bad.sum())} weight(s) not finite and {allowed} (first: {w[bad][0]!r})",
            row=row,
            column=column,
        )


# --------------------------------------------------------------------------- design weights
def design_weights(sample: pd.DataFrame) -> np.ndarray:
    """Design weight ``1/pi``; ``pi`` is the column ``pi`` or the product of ``pi_1, pi_2, ...``.

    Without inclusion probabilities but with ``fpc_1`` (one-stage, ``N_h``) the weight is
    ``N_h / n_h`` with ``n_h`` the sampled units in the stratum (column ``stratum``)."""
    if "pi" in sample.columns and sample["pi"].notna().all():
        pi = sample["pi"].to_numpy(float)
        col = "pi"
    else:
        stages = sorted(c for c in sample.columns if c.startswith("pi_"))
        if stages:
            pi = np.prod(sample[stages].to_numpy(float), axis=1)
            col = stages[0]
        elif "fpc_1" in sample.columns:
            strata = (
                sample["stratum"] if "stratum" in sample.columns else pd.Series(0, sample.index)
            )
            n_h = strata.map(strata.value_counts()).to_numpy(float)
            pi = n_h / sample["fpc_1"].to_numpy(float)
            col = "fpc_1"
        else:
            raise InputError(
                "no inclusion probabilities: need column 'pi', 'pi_1'... or 'fpc_1'",
                column="pi",
            )
    bad = ~np.isfinite(pi) | (pi <= 0) | (pi > 1 + 1e-12)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            f"inclusion probabilities must be in (0, 1]; {int(bad.sum())} are not "
            f"(first: {pi[bad][0]!r}); a quota sample has no design weights",
            row=row,
            column=col,
        )
    return 1.0 / pi


# --------------------------------------------------------------------------- nonresponse
def class_adjustment(w: np.ndarray, responded: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Weighting-class nonresponse adjustment: respondents' weights times
    ``sum_{class} w / sum_{class, respondents} w``; nonrespondents get 0.

    ``responded`` is boolean over the eligible units; ``classes`` integer codes."""
    W, was1d = _as2d(w)
    responded = np.asarray(responded, bool)
    codes = pd.factorize(np.asarray(classes), sort=True)[0]
    k = int(codes.max()) + 1
    tot = _col_group_sums(W, codes, k)
    resp = _col_group_sums(W * responded[:, None], codes, k)
    empty = (resp[:, 0] == 0) & (tot[:, 0] > 0)
    if empty.any():
        raise InputError(
            f"{int(empty.sum())} nonresponse class(es) have no respondents; use fewer classes "
            "(weighting.nonresponse.classes) or other covariates"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(resp > 0, tot / resp, 0.0)
    out = W * f[codes] * responded[:, None]
    return _back(out, was1d)


@dataclass
class PropensityResult:
    """Fitted response propensities and the classes formed from their quantiles."""

    propensity: np.ndarray
    classes: np.ndarray
    params: pd.Series
    converged: bool
    class_summary: pd.DataFrame = field(default_factory=pd.DataFrame)


def _model_matrix(df: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    parts = []
    for c in covariates:
        if c not in df.columns:
            raise InputError(f"nonresponse covariate {c!r} not found in the sample", column=c)
        col = df[c]
        if col.isna().any():
            row = int(np.flatnonzero(col.isna().to_numpy())[0]) + 1
            raise InputError("nonresponse covariate has missing values", row=row, column=c)
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            x = col.astype(float)
            parts.append(((x - x.mean()) / (x.std() or 1.0)).rename(c))
        else:
            d = pd.get_dummies(col.astype(str), prefix=c, drop_first=True, dtype=float)
            parts.append(d)
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)
    X.insert(0, "const", 1.0)
    return X


def response_propensity(
    df: pd.DataFrame, responded: np.ndarray, covariates: Sequence[str], n_classes: int = 5
) -> PropensityResult:
    """Logistic response model ``logit P(respond) = x'b`` (statsmodels, unweighted) and
    ``n_classes`` classes cut at the propensity quantiles (Little 1986)."""
    import statsmodels.api as sm

    responded = np.asarray(responded, bool)
    X = _model_matrix(df.reset_index(drop=True), covariates)
    if responded.all() or not responded.any():
        p = np.full(len(df), responded.mean())
        params = pd.Series(dtype=float)
        converged = True
    else:
        model = sm.Logit(responded.astype(float), X.to_numpy())
        try:
            fit = model.fit(disp=0, maxiter=100, method="newton")
        except np.linalg.LinAlgError:
            fit = model.fit_regularized(disp=0, alpha=1e-6)
        p = np.asarray(fit.predict(X.to_numpy()))
        params = pd.Series(np.asarray(fit.params), index=X.columns)
        converged = bool(fit.mle_retvals.get("converged", True))
    n_classes = max(1, min(int(n_classes), int(responded.sum())))
    ranks = pd.Series(p).rank(method="first").to_numpy()
    classes = np.minimum((ranks - 1) * n_classes // len(p), n_classes - 1).astype(np.int64)
    summ = (
        pd.DataFrame({"class": classes, "p": p, "r": responded})
        .groupby("class")
        .agg(n=("p", "size"), respondents=("r", "sum"), mean_propensity=("p", "mean"))
        .reset_index()
    )
    return PropensityResult(p, classes, params, converged, summ)


# --------------------------------------------------------------------------- margins
def _cell_codes(df: pd.DataFrame, var: str) -> tuple[np.ndarray, list[str]]:
    """Codes of a margin variable; ``a*b`` is the interaction of columns a and b."""
    cols = var.split("*")
    for c in cols:
        if c not in df.columns:
            raise InputError(f"margin variable {c!r} not found", column=c)
        if df[c].isna().any():
            row = int(np.flatnonzero(df[c].isna().to_numpy())[0]) + 1
            raise InputError("margin variable has missing values", row=row, column=c)
    key = df[cols[0]].astype(str)
    for c in cols[1:]:
        key = key + ":" + df[c].astype(str)
    codes, labels = pd.factorize(key, sort=True)
    return codes.astype(np.int64), [str(x) for x in labels]


def margins_from_frame(
    frame: pd.DataFrame, variables: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Population counts per category of each margin variable (``a*b`` for a cross) in the frame."""
    out = {}
    for var in variables:
        codes, labels = _cell_codes(frame, var)
        counts = np.bincount(codes, minlength=len(labels))
        out[var] = {lab: float(c) for lab, c in zip(labels, counts, strict=True)}
    return out


def margins_from_config(
    margins: Mapping[str, Mapping[str, float]], total: float | None = None, key: str = "weighting"
) -> dict[str, dict[str, float]]:
    """Counts per category; shares (each margin summing to 1) are scaled to ``total``."""
    out = {}
    for var, cats in margins.items():
        vals = {str(k): float(v) for k, v in cats.items()}
        if any(v < 0 or not np.isfinite(v) for v in vals.values()):
            raise ConfigError("margin values must be finite and >= 0", key=f"{key}.margins.{var}")
        s = sum(vals.values())
        if abs(s - 1.0) < 1e-6:
            if total is None:
                raise ConfigError(
                    "margins given as shares need a population total (weighting.population_total)",
                    key=f"{key}.margins.{var}",
                )
            vals = {k: v * total for k, v in vals.items()}
        out[var] = vals
    return out


def _align_margin(
    df: pd.DataFrame, var: str, target: Mapping[str, float], source: str
) -> tuple[np.ndarray, np.ndarray]:
    codes, labels = _cell_codes(df, var)
    tkeys = {str(k) for k in target}
    missing = [lab for lab in labels if lab not in tkeys]
    if missing:
        raise InputError(
            f"sample categories {missing} of margin {var!r} are absent from the population "
            f"margins ({source}); allowed: {sorted(tkeys)}",
            column=var,
        )
    absent = [k for k in sorted(tkeys) if k not in labels and target[k] > 0]
    if absent:
        raise InputError(
            f"population categories {absent} of margin {var!r} ({source}) have no respondents; "
            "collapse them with a neighbouring category or drop the margin",
            column=var,
        )
    t = np.array([float(target[lab]) for lab in labels])
    return codes, t


def check_margin_totals(margins: Mapping[str, Mapping[str, float]], rtol: float = 1e-6) -> float:
    """All margins must sum to the same population total; return it."""
    sums = {v: float(sum(c.values())) for v, c in margins.items()}
    if not sums:
        raise ConfigError("no margins given", key="weighting.calibration.margins")
    ref = next(iter(sums.values()))
    if any(abs(s - ref) > rtol * abs(ref) for s in sums.values()):
        raise InputError(
            "population margins do not sum to the same total: "
            + ", ".join(f"{v}={s:.10g}" for v, s in sums.items())
        )
    return ref


# --------------------------------------------------------------------------- post-stratification
def poststratify(
    w: np.ndarray, df: pd.DataFrame, variable: str, population: Mapping[str, float]
) -> np.ndarray:
    """``w_i N_c / sum_{c} w`` in each post-stratum ``c`` (R ``postStratify``)."""
    W, was1d = _as2d(w)
    codes, t = _align_margin(df, variable, population, "post-stratification")
    tot = _col_group_sums(W, codes, len(t))
    with np.errstate(invalid="ignore", divide="ignore"):
        f = t[:, None] / tot
    if not np.isfinite(f[:, 0]).all():
        raise InputError(f"a post-stratum of {variable!r} has zero weight", column=variable)
    return _back(W * f[codes], was1d)


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
    W, was1d = _as2d(w)
    check_weights(W[:, 0], column="weight before raking")
    coded = [_align_margin(df, v, t, "raking") for v, t in margins.items()]
    # the full sample must converge; a replicate that cannot (a category whose only PSU it
    # dropped) keeps its best weights and is counted in the diagnostics
    results = [
        rake(W[:, j], coded, rtol, max_sweeps, raise_on_failure=(j == 0)) for j in range(W.shape[1])
    ]
    bad = sum(not r.converged for r in results[1:])
    if bad:
        log.warning("raking: %d replicate(s) did not converge", bad)
    out = np.column_stack([r.weights for r in results])
    return _back(out, was1d), results


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
        codes, t = _align_margin(df, var, target, "calibration")
        _, labels = _cell_codes(df, var)
        for k in range(1, len(t)):
            cols.append((codes == k).astype(float))
            tots.append(t[k])
            names.append(f"{var}{labels[k]}")
    return np.column_stack(cols), np.array(tots), names


def weighting_diagnostics(w: np.ndarray) -> dict[str, float]:
    """Kish effective n ``(sum w)^2 / sum w^2``, deff due to weighting ``1 + CV^2`` (population
    CV), CV, min/max and quantiles of the weights."""
    w = np.asarray(w, float)
    n = w.size
    sw, sw2 = w.sum(), (w * w).sum()
    cv = float(w.std() / w.mean()) if n else float("nan")
    q = np.quantile(w, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]) if n else [np.nan] * 7
    return {
        "n": int(n),
        "sum": float(sw),
        "kish_n_eff": float(sw * sw / sw2) if sw2 > 0 else float("nan"),
        "deff_weighting": float(n * sw2 / (sw * sw)) if sw > 0 else float("nan"),
        "cv": cv,
        "min": float(w.min()) if n else float("nan"),
        "max": float(w.max()) if n else float("nan"),
        "max_min_ratio": float(w.max() / w.min()) if n and w.min() > 0 else float("nan"),
        **{
            f"q{int(p * 100):02d}": float(v)
            for p, v in zip([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99], q, strict=True)
        },
    }


# --------------------------------------------------------------------------- trimming
@dataclass
class TrimResult:
    """Trimmed weights, rounds, and the share of weights that were trimmed."""

    weights: np.ndarray
    rounds: int
    trimmed_share: float
    lower: float
    upper: float


def trim_weights(
    w: np.ndarray,
    lower: float = -np.inf,
    upper: float = np.inf,
    strict: bool = False,
    max_rounds: int = 100,
) -> TrimResult:
    """R ``trimWeights``: clip to ``[lower, upper]`` and add the trimmed amount equally to the
    untrimmed weights (the total is kept); ``strict`` repeats until no weight is outside."""
    w = np.asarray(w, float).copy()
    ever = np.zeros(w.shape, bool)
    rounds = 0
    while rounds < max_rounds:
        outside = (w < lower) | (w > upper)
        if not outside.any() or outside.all():
            break
        rounds += 1
        ever |= outside
        new = np.clip(w, lower, upper)
        trimmed = (w - new).sum()
        new[~outside] += trimmed / (~outside).sum()
        w = new
        if not strict:
            break
    return TrimResult(w, rounds, float(ever.mean()) if w.size else 0.0, lower, upper)


def trim_bounds(
    w: np.ndarray, method: str, lower: float | None, upper: float | None
) -> tuple[float, float]:
    """Bounds for ``fixed`` (as given), ``ratio_to_median`` (factors of the median weight) or
    ``percentile`` (percentiles 0–100 of the weights)."""
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if method == "fixed":
        return lo, hi
    if method == "ratio_to_median":
        med = float(np.median(w))
        return (
            lo * med if lower is not None else -np.inf,
            hi * med if upper is not None else np.inf,
        )
    if method == "percentile":
        return (
            float(np.percentile(w, lo)) if lower is not None else -np.inf,
            float(np.percentile(w, hi)) if upper is not None else np.inf,
        )
    raise ConfigError(
        f"unknown trimming method {method!r}; allowed: fixed, ratio_to_median, percentile",
        key="weighting.trimming.method",
    )


def normalise(
    w: np.ndarray, to: str | float = "N", population_total: float | None = None
) -> np.ndarray:
    """Scale weights to sum to ``n`` (the respondents), ``N`` (unchanged, or the given
    population total) or a number."""
    W, was1d = _as2d(w)
    s = W.sum(axis=0)
    if to == "n":
        target = W.shape[0]
    elif to == "N":
        if population_total is None:
            return _back(W, was1d)
        target = population_total
    else:
        target = float(to)
    return _back(W * (target / s), was1d)


# --------------------------------------------------------------------------- replicates
@dataclass
class Replicates:
    """Replicate multipliers (n x R) with the variance constants of R ``svrepdesign``."""

    factors: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool = False
    fpc: str = "none"
    """How the first-stage finite population correction entered (for the diagnostics)."""


def _codes(x: Any) -> np.ndarray:
    """Codes in order of first appearance (as R's ``unique``)."""
    return pd.factorize(np.asarray(x), sort=False)[0].astype(np.int64)


def _psu_codes(
    strata: Any, psu: Any, sort: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratum codes per row, PSU codes per row and stratum per PSU; PSUs numbered stratum by
    stratum in order of appearance (the replicate order of R ``jknweights``) or, with ``sort``,
    strata in the sorted order of their labels as text (R ``brrweights``: ``table(strata)``)
    and PSUs by id within them (``brrweights(..., match = psu)``): codes that do not depend on
    the row order."""
    if sort:
        s = pd.factorize(pd.Series(np.asarray(strata)).astype(str).to_numpy(), sort=True)[0]
        pc = pd.factorize(np.asarray(psu), sort=True)[0]
        key = s.astype(np.int64) * (int(pc.max()) + 1) + pc
        p = pd.factorize(key, sort=True)[0].astype(np.int64)
        first = _first_rows(p)
        return s.astype(np.int64), p, s[first].astype(np.int64)
    s = _codes(strata)
    key = pd.Series(s).astype(str) + "\x00" + pd.Series(np.asarray(psu)).astype(str)
    p = _codes(key)
    first = np.unique(p, return_index=True)[1]
    order = np.argsort(s[first], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    p = rank[p]
    return s, p, s[first][order]


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code 0..k-1."""
    first = np.empty(int(codes.max()) + 1, np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first


def _check_fpc(Nh: np.ndarray, nh: np.ndarray) -> None:
    bad = np.isfinite(Nh) & (Nh < nh)
    if bad.any():
        h = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"fpc_1 (population PSUs in the stratum) is {Nh[h]:g} but {nh[h]} PSUs were "
            f"sampled in stratum #{h + 1}; fpc_1 must count the PSUs of the stratum",
            column="fpc_1",
        )


def jk1_replicates(psu: np.ndarray, fpc: float | None = None) -> Replicates:
    """Delete-one-PSU jackknife: replicate r drops PSU r, the others times n/(n-1);
    ``scale = (1 - n/N)(n - 1)/n``."""
    codes = _codes(psu)
    n = int(codes.max()) + 1
    if n < 2:
        raise InputError("the jackknife needs at least two PSUs")
    F = np.full((len(codes), n), n / (n - 1))
    F[np.arange(len(codes)), codes] = 0.0
    f = 1.0 if fpc is None else (fpc - n) / fpc
    return Replicates(F, "JK1", f * (n - 1) / n, np.ones(n))


def jkn_replicates(
    strata: np.ndarray, psu: np.ndarray, fpc: np.ndarray | None = None, lonely_psu: str = "adjust"
) -> Replicates:
    """Stratified jackknife (JKn, R ``jknweights``): one replicate per PSU, dropping it and
    multiplying its stratum's other PSUs by n_h/(n_h-1); ``rscales = (1 - f_h)(n_h - 1)/n_h``."""
    s, p, ps = _psu_codes(strata, psu)
    G = ps.size
    H = int(s.max()) + 1
    nh = np.bincount(ps, minlength=H)
    if fpc is not None:
        Nh = pd.Series(np.asarray(fpc, float)).groupby(s).first().reindex(range(H)).to_numpy()
        _check_fpc(Nh, nh)
        fh = np.where(np.isfinite(Nh), (Nh - nh) / Nh, 1.0)
    else:
        fh = np.ones(H)
    single = nh[ps] == 1
    if single.any():
        if lonely_psu == "fail":
            raise InputError(
                f"{int(single.sum())} stratum/strata with a single PSU; set "
                "estimation.lonely_psu (adjust, remove, certainty, average)"
            )
        log.warning(
            "%d stratum/strata with a single PSU: lonely_psu=%s", int(single.sum()), lonely_psu
        )
    # PSU-level factor table G x G: column r = replicate dropping PSU r
    Fpsu = np.ones((G, G))
    same = ps[:, None] == ps[None, :]
    mult = np.where(nh[ps] > 1, nh[ps] / np.maximum(nh[ps] - 1, 1), 1.0)
    Fpsu = np.where(same, mult[None, :], 1.0)
    Fpsu[np.arange(G), np.arange(G)] = 0.0
    rsc = fh[ps] * (nh[ps] - 1) / nh[ps]
    keep = np.ones(G, bool)
    if single.any():
        nstrat = H
        for r in np.flatnonzero(single):
            if lonely_psu == "adjust":
                Fpsu[:, r] = np.where(ps == ps[r], 0.0, nstrat / (nstrat - 1))
                rsc[r] = (nstrat - 1) / nstrat
            else:
                keep[r] = False
        Fpsu[:, single & (fh[ps] == 0)] = 1.0
    Fpsu, rsc = Fpsu[:, keep], rsc[keep]
    scale = 1.0
    if lonely_psu == "average" and not keep.all():
        scale = G / keep.sum()
    return Replicates(Fpsu[p], "JKn", scale, rsc)


def brr_replicates(strata: np.ndarray, psu: np.ndarray, fay_rho: float = 0.0) -> Replicates:
    """Balanced repeated replication (Fay's method for ``fay_rho > 0``) for designs with exactly
    two PSUs per stratum: Sylvester-Hadamard columns; factors ``2 - rho`` / ``rho``;
    ``scale = 1 / (R (1 - rho)^2)``.

    Row 1 + h of the Hadamard matrix goes to the h-th stratum in sorted order (labels as text)
    and its +1 to the PSU with the smaller id: R ``brrweights(strata, psu, match = psu,
    hadamard.matrix = H)`` with the same Sylvester ``H`` (R's default ``hadamard(H)`` is that
    matrix for 2-7, 12-15, 28-31 and 60-63 strata), whatever the row order."""
    from scipy.linalg import hadamard

    s, p, ps = _psu_codes(strata, psu, sort=True)
    H = int(s.max()) + 1
    nh = np.bincount(ps, minlength=H)
    if (nh != 2).any():
        bad = int(np.flatnonzero(nh != 2)[0])
        raise InputError(
            f"BRR/Fay needs exactly two PSUs per stratum; stratum #{bad + 1} has {nh[bad]} "
            "(use JKn or bootstrap replicates)"
        )
    R = 4
    while R < H + 1:
        R *= 2
    had = hadamard(R)[:, 1 : H + 1]  # R x H
    # first PSU of each stratum gets +1 -> 2 - rho, second -> rho (and vice versa)
    order = pd.Series(np.arange(len(ps))).groupby(ps).cumcount().to_numpy()
    sign = np.where(order == 0, 1, -1)
    sel = had[:, ps].T * sign[:, None] > 0  # PSU x R
    Fpsu = np.where(sel, 2 - fay_rho, fay_rho)
    return Replicates(
        Fpsu[p], "Fay" if fay_rho > 0 else "BRR", 1.0 / (R * (1 - fay_rho) ** 2), np.ones(R)
    )


def bootstrap_replicates(
    strata: np.ndarray,
    psu: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
    fpc: np.ndarray | None = None,
) -> Replicates:
    """Rao–Wu (1988) rescaled bootstrap: in stratum h draw m_h = n_h - 1 PSUs with
    replacement; factor ``1 - l + l (n_h/m_h) r_hi`` with ``l = sqrt(m_h (1 - f_h)/(n_h - 1))``
    (= ``n_h/(n_h-1) r_hi`` without fpc); ``v = sum_r (theta_r - theta)^2 / R`` (mse)."""
    s, p, ps = _psu_codes(strata, psu, sort=True)
    G = len(ps)
    F = np.ones((G, replicates))
    H = int(s.max()) + 1
    fh = np.zeros(H)
    if fpc is not None:
        Nh = pd.Series(np.asarray(fpc, float)).groupby(s).first().reindex(range(H)).to_numpy()
        nh0 = np.bincount(ps, minlength=H)
        _check_fpc(Nh, nh0)
        fh = np.where(np.isfinite(Nh), nh0 / Nh, 0.0)
    for h in range(H):  # strata, not respondents
        idx = np.flatnonzero(ps == h)
        n = idx.size
        if n < 2:
            continue
        m = n - 1
        r = rng.multinomial(m, np.full(n, 1.0 / n), size=replicates).T  # n x R
        lam = np.sqrt(m * (1 - fh[h]) / (n - 1))
        F[idx] = 1 - lam + lam * (n / m) * r
    return Replicates(F[p], "bootstrap", 1.0 / replicates, np.ones(replicates), mse=True)


# --------------------------------------------------------------------------- the study chain
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


def _merged(defaults: Mapping[str, Any], cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(defaults)
    for k, v in (cfg or {}).items():
        if isinstance(v, Mapping) and isinstance(defaults.get(k), Mapping):
            out[k] = _merged(defaults[k], v)
        else:
            out[k] = v
    return out


@dataclass
class WeightingOutput:
    """The weights table (respondents), its diagnostics and a per-step summary table."""

    weights: pd.DataFrame
    diagnostics: dict[str, Any]
    table: pd.DataFrame


def _make_replicates(
    units: pd.DataFrame, cfg: Mapping[str, Any], lonely_psu: str, rng: np.random.Generator
) -> Replicates | None:
    rtype = cfg["type"]
    if rtype == "none":
        return None
    has_strata = "stratum" in units and units["stratum"].notna().all()
    has_psu = "psu" in units and units["psu"].notna().all()
    strata = units["stratum"].to_numpy() if has_strata else np.zeros(len(units), np.int64)
    psu = units["psu"].to_numpy() if has_psu else np.arange(len(units))
    fpc = (
        units["fpc_1"].to_numpy(float)
        if "fpc_1" in units and units["fpc_1"].notna().all()
        else None
    )
    fpc_note = "none" if fpc is None else "fpc_1"
    if fpc is not None and has_psu and _subsampled_psus(units, strata, psu):
        s_, _, ps_ = _psu_codes(strata, psu)
        Nh = pd.Series(fpc).groupby(s_).first().sort_index().to_numpy()
        _check_fpc(Nh, np.bincount(ps_, minlength=len(Nh)))  # an inconsistent fpc still fails
        # Multistage: the replicates drop whole PSUs (ultimate clusters), so their variance is
        # the between-PSU variance only. With the stage-1 fpc it shrinks by (1 - f_h) and the
        # variance of sampling within the PSUs is lost (R's jknweights does the same): SEs too
        # small by ~10% in the demo (CI coverage ~91%). Without it, the with-replacement
        # ultimate-cluster variance covers both stages (slightly conservative when f_h is
        # large): the usual approximation for replicate weights of multistage designs.
        fpc = None
        fpc_note = "not used: PSUs are subsampled (multistage), with-replacement replicates"
    if rtype == "auto":
        n_psu = pd.Series(strata).astype(str).add("\x00").add(pd.Series(psu).astype(str)).nunique()
        if n_psu > int(cfg.get("max_jackknife", 300)):
            rtype = "bootstrap"
        elif has_strata and pd.Series(strata).nunique() > 1:
            rtype = "JKn"
        else:
            rtype = "JK1"
    if rtype == "JKn":
        rep = jkn_replicates(strata, psu, fpc=fpc, lonely_psu=lonely_psu)
    elif rtype == "JK1":
        if has_strata and pd.Series(strata).nunique() > 1:
            raise ConfigError(
                "JK1 is for unstratified designs; use JKn", key="weighting.replicates.type"
            )
        rep = jk1_replicates(psu, fpc=None if fpc is None else float(fpc[0]))
    elif rtype in ("BRR", "Fay"):
        rep = brr_replicates(strata, psu, fay_rho=float(cfg["fay_rho"]) if rtype == "Fay" else 0.0)
    elif rtype == "bootstrap":
        rep = bootstrap_replicates(strata, psu, int(cfg["n"]), rng, fpc=fpc)
    else:
        raise ConfigError(
            f"unknown replicate type {rtype!r}; allowed: auto, JKn, JK1, BRR, Fay, bootstrap, none",
            key="weighting.replicates.type",
        )
    if cfg.get("mse") is not None and rtype != "bootstrap":
        rep.mse = bool(cfg["mse"])
    rep.fpc = fpc_note
    return rep


def _subsampled_psus(units: pd.DataFrame, strata: np.ndarray, psu: np.ndarray) -> bool:
    """Whether a later sampling stage subsampled within the PSUs: at stage k = 2, 3 the
    population count ``fpc_k`` of a parent unit (PSU; SSU) exceeds the number of its sampled
    stage-k units (distinct ``ssu`` ids of the PSU at stage 2 of a three-stage design; rows
    otherwise)."""
    key = pd.Series(strata).astype(str).add("\x00").add(pd.Series(psu).astype(str)).to_numpy()
    has = [c for c in ("fpc_2", "fpc_3") if c in units and units[c].notna().all()]
    if not has:
        return False
    ssu = "ssu" in units and units["ssu"].notna().all()
    if "fpc_3" in has and not ssu:  # three stages without SSU ids: cannot count SSUs
        return True
    levels = [key]
    if ssu:
        levels.append(key + "\x00" + units["ssu"].astype(str).to_numpy())
    levels.append(np.arange(len(units)).astype(str))  # the rows: the last stage's units
    for k, col in enumerate(("fpc_2", "fpc_3"), start=1):
        if col not in has or k >= len(levels):
            break
        g = pd.DataFrame({"parent": levels[k - 1], "child": levels[k]})
        g["N"] = units[col].to_numpy(float)
        agg = g.groupby("parent", sort=False).agg(n=("child", "nunique"), N=("N", "first"))
        if (agg["N"] > agg["n"]).any():
            return True
    return False


def _trim_columns(W: np.ndarray, tcfg: Mapping[str, Any]) -> tuple[np.ndarray, TrimResult | None]:
    method = tcfg["method"]
    if method == "none":
        return W, None
    out = W.copy()
    first = None
    for j in range(W.shape[1]):  # replicates, not respondents
        pos = W[:, j] > 0
        lo, hi = trim_bounds(W[pos, j], method, tcfg.get("lower"), tcfg.get("upper"))
        res = trim_weights(W[pos, j], lo, hi, strict=bool(tcfg.get("strict", True)))
        out[pos, j] = res.weights
        if j == 0:
            first = res
    return out, first


def build_weights(
    responses: pd.DataFrame,
    cfg: Mapping[str, Any] | None = None,
    sample: pd.DataFrame | None = None,
    dispositions: pd.DataFrame | None = None,
    frame: pd.DataFrame | None = None,
    id_column: str = "customer_id",
    lonely_psu: str = "adjust",
    seed: int = 0,
) -> WeightingOutput:
    """The weighting chain of a study: design weights (1/pi from the sample, a configured base
    weight or 1) -> nonresponse adjustment over all eligible sampled units -> calibration to
    population margins -> trimming -> normalisation; each replicate of the design goes through
    the same steps (so replicate SEs reflect the weighting)."""
    cfg = _merged(DEFAULTS, cfg)
    rng = np.random.default_rng(seed)
    diag: dict[str, Any] = {"lonely_psu": lonely_psu}
    resp = responses.reset_index(drop=True)
    if "respondent_id" not in resp.columns:
        raise InputError("clean responses have no respondent_id column", column="respondent_id")

    if sample is not None:
        smp = sample.reset_index(drop=True).copy()
        if "unit_id" not in resp.columns:
            raise InputError(
                "clean responses have no unit_id column to link to the sample", column="unit_id"
            )
        dup = resp["unit_id"].dropna().duplicated()
        if dup.any():
            raise InputError(
                f"sampled unit {resp['unit_id'].dropna()[dup].iloc[0]!r} has several respondents",
                column="unit_id",
            )
        if "pi" in smp.columns and smp["pi"].isna().all():
            # non-probability (quota) sample: no design weights; calibration does the work
            smp["w_design"] = 1.0
            diag["note"] = (
                "non-probability (quota) sample: no design weights (all 1), no nonresponse "
                "adjustment; the weights come from calibration to the population margins"
            )
            quota = True
        else:
            smp["w_design"] = design_weights(smp)
            quota = False
        ineligible = np.zeros(len(smp), bool)
        unknown_elig = np.zeros(len(smp), bool)
        if dispositions is not None and len(dispositions):
            if id_column not in dispositions.columns:
                raise InputError(
                    f"dispositions have no {id_column!r} column (frame.id_column)",
                    column=id_column,
                )
            disp = dispositions.drop_duplicates(id_column).set_index(id_column)["disposition"]
            d = smp["unit_id"].map(disp)
            ineligible = (d == "ineligible").to_numpy()
            unknown_elig = (d == "unknown_eligibility").to_numpy()
            diag["dispositions"] = {
                str(k): int(v) for k, v in d.value_counts().sort_index().items()
            }
        responded = smp["unit_id"].isin(resp["unit_id"]).to_numpy()
        # a respondent is eligible whatever the fieldwork disposition said
        ineligible = ineligible & ~responded
        unknown_elig = unknown_elig & ~responded
        notin = ~resp["unit_id"].isin(smp["unit_id"])
        if notin.any():
            row = int(np.flatnonzero(notin.to_numpy())[0]) + 1
            raise InputError(
                f"{int(notin.sum())} respondent(s) are not sampled units "
                f"(unit_id {resp['unit_id'][notin].iloc[0]!r})",
                row=row,
                column="unit_id",
            )
        diag["design_weights_present"] = not quota
        units = smp
        if quota:
            for c in ("fpc_1", "fpc_2", "fpc_3"):
                if c in units.columns:
                    units = units.drop(columns=c)
    else:
        units = resp.copy()
        bw = cfg["base_weight"]
        if bw:
            if bw not in units.columns:
                raise ConfigError(
                    f"column {bw!r} not in the responses", key="weighting.base_weight"
                )
            w = pd.to_numeric(units[bw], errors="coerce").to_numpy(float)
            check_weights(w, column=bw, allow_zero=False)
            units["w_design"] = w
        else:
            units["w_design"] = 1.0
        diag["design_weights_present"] = bool(bw)
        if not bw:
            diag["note"] = "no design weights: the study starts at responses without base weights"
        responded = np.ones(len(units), bool)
        ineligible = unknown_elig = np.zeros(len(units), bool)
    check_weights(units["w_design"].to_numpy(), column="w_design", allow_zero=False)

    rep = _make_replicates(units, cfg["replicates"], lonely_psu, rng)
    w0 = units["w_design"].to_numpy(float)
    W = w0[:, None] if rep is None else np.column_stack([w0, w0[:, None] * rep.factors])
    steps = {"w_design": W[:, 0].copy()}

    # unknown eligibility: their weight goes to the units of known eligibility in the stratum
    # (eligible and ineligible alike, Valliant, Dever & Kreuter 2018, sec. 13.5); then the
    # ineligible and unknown units leave
    if unknown_elig.any():
        strata = (
            _codes(units["stratum"]) if "stratum" in units.columns else np.zeros(len(units), int)
        )
        k = int(strata.max()) + 1
        tot = _col_group_sums(W, strata, k)
        known = _col_group_sums(W * ~unknown_elig[:, None], strata, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(known > 0, tot / known, 1.0)
        W = np.where(unknown_elig[:, None], 0.0, W * f[strata])
    keep = ~(ineligible | unknown_elig)
    diag["eligibility"] = {
        "ineligible_dropped": int(ineligible.sum()),
        "unknown_eligibility_redistributed": int(unknown_elig.sum()),
    }
    if not keep.all():
        W, units, responded = W[keep], units[keep].reset_index(drop=True), responded[keep]
        steps = {k_: v[keep] for k_, v in steps.items()}

    # nonresponse
    nr = cfg["nonresponse"]
    quota = sample is not None and not diag["design_weights_present"]
    if sample is not None and nr["method"] != "none" and not responded.all() and not quota:
        if nr["method"] == "propensity":
            covs = [c for c in nr["covariates"] if c in units.columns]
            missing = [c for c in nr["covariates"] if c not in units.columns]
            if missing:
                raise ConfigError(
                    f"covariates {missing} are not columns of the sample",
                    key="weighting.nonresponse.covariates",
                )
            pr = response_propensity(units, responded, covs, int(nr["classes"]))
            classes = pr.classes
            diag["nonresponse"] = {
                "method": "propensity classes",
                "note": "response model fitted once; class factors recomputed in each replicate",
                "covariates": covs,
                "converged": pr.converged,
                "coefficients": pr.params.to_dict(),
                "classes": pr.class_summary.to_dict(orient="records"),
            }
        elif nr["method"] == "classes":
            classes = _cell_codes(units, "*".join(nr["class_variables"]))[0]
            diag["nonresponse"] = {
                "method": "weighting classes",
                "variables": nr["class_variables"],
            }
        else:
            raise ConfigError(
                f"unknown method {nr['method']!r}; allowed: propensity, classes, none",
                key="weighting.nonresponse.method",
            )
        W = class_adjustment(W, responded, classes)
    steps["w_nonresponse"] = W[:, 0].copy()
    wd = steps["w_design"]
    diag["response_rate_weighted"] = float(wd[responded].sum() / wd.sum())
    diag["response_rate"] = float(responded.mean())
    # to respondents, in the order of the responses
    if sample is not None:
        pos = pd.Series(np.arange(len(units)), index=units["unit_id"])
        idx = pos.loc[resp["unit_id"]].to_numpy()
        W = W[idx]
        steps = {k: v[idx] for k, v in steps.items()}
        units = units.iloc[idx].reset_index(drop=True)
        for c in ("region", "segment"):
            if c in resp.columns:
                units[c] = resp[c].to_numpy()

    # calibration
    cal = cfg["calibration"]
    cdiag: dict[str, Any] = {"method": cal["method"]}
    if cal["method"] != "none":
        if cal["margins_from"] == "frame" and frame is not None:
            margins = margins_from_frame(frame, cal["variables"])
        elif cal["margins"]:
            margins = margins_from_config(cal["margins"], cal.get("population_total"))
        else:
            margins = {}
            cdiag["method"] = "none"
            cdiag["note"] = "no population margins (no frame and no weighting.calibration.margins)"
        if margins:
            cdiag["margins"] = margins
            if cal["method"] == "raking":
                W, rres = rake_frame(W, units, margins, float(cal["rtol"]), int(cal["max_sweeps"]))
                cdiag.update(
                    sweeps=rres[0].sweeps,
                    max_rel_error=rres[0].max_rel_error,
                    converged=rres[0].converged,
                    replicates_not_converged=sum(not r.converged for r in rres[1:]),
                    max_sweeps_replicates=max(r.sweeps for r in rres),
                )
            elif cal["method"] == "poststratify":
                var = "*".join(margins)
                if len(margins) > 1:
                    raise ConfigError(
                        "post-stratification takes one margin (use a*b for a cross)",
                        key="weighting.calibration.variables",
                    )
                W = poststratify(W, units, var, margins[var])
                cdiag.update(converged=True, sweeps=1, max_rel_error=0.0)
            elif cal["method"] in ("linear", "raking_ratio", "logit"):
                X, tot, names = calibration_matrix(units, margins)
                lo, hi = cal["bounds"]
                bounds = (-np.inf if lo is None else lo, np.inf if hi is None else hi)
                method = "raking" if cal["method"] == "raking_ratio" else cal["method"]
                gs = [
                    calibrate(W[:, j], X, tot, method, bounds, int(cal["max_iter"]), 1e-10, j == 0)
                    for j in range(W.shape[1])
                ]
                W = W * np.column_stack([g.g for g in gs])
                cdiag.update(
                    iterations=gs[0].iterations,
                    max_rel_error=gs[0].max_rel_error,
                    converged=gs[0].converged,
                    replicates_not_converged=sum(not g.converged for g in gs[1:]),
                    variables=names,
                )
            else:
                raise ConfigError(
                    f"unknown method {cal['method']!r}; allowed: raking, poststratify, linear, "
                    "raking_ratio, logit, none",
                    key="weighting.calibration.method",
                )
    diag["calibration"] = cdiag
    steps["w_calibrated"] = W[:, 0].copy()
    W, tres = _trim_columns(W, cfg["trimming"])
    diag["trimming"] = (
        {"method": "none"}
        if tres is None
        else {
            "method": cfg["trimming"]["method"],
            "lower": tres.lower,
            "upper": tres.upper,
            "rounds": tres.rounds,
            "trimmed_share": tres.trimmed_share,
        }
    )
    total = None
    if cfg["normalise"] not in ("N", "n"):
        total = float(cfg["normalise"])
    W = normalise(W, cfg["normalise"] if total is None else total)
    steps["w_final"] = W[:, 0].copy()

    out = pd.DataFrame({"respondent_id": resp["respondent_id"].astype(str)})
    if "unit_id" in resp.columns:
        out["unit_id"] = resp["unit_id"]
    for k, v in steps.items():
        out[k] = v
    for c in ("stratum", "psu", "fpc_1", "fpc_2"):
        out[c] = units[c].to_numpy() if c in units.columns else None
    for c in ("ssu", "fpc_3", "pi_1", "pi_2", "pi_3"):  # third stage; stage probabilities
        if c in units.columns:
            out[c] = units[c].to_numpy()
    for var in cdiag.get("margins", {}):  # calibration variables, for Taylor SEs downstream
        for c in var.split("*"):
            if c not in out.columns:
                out[c] = units[c].astype(str).to_numpy()
    for c in ("stratum", "psu", "ssu"):
        if c in out.columns and out[c].notna().all():
            out[c] = out[c].astype(str)
    if rep is not None:
        reps = pd.DataFrame(W[:, 1:], columns=[f"rep_{r + 1:03d}" for r in range(W.shape[1] - 1)])
        out = pd.concat([out, reps], axis=1)
        diag.update(
            replicate_type=rep.type,
            scale=float(rep.scale),
            rscales=[float(x) for x in rep.rscales],
            mse=bool(rep.mse),
            n_replicates=int(W.shape[1] - 1),
            replicate_fpc=rep.fpc,
        )
    else:
        diag.update(replicate_type=None, scale=None, rscales=None, mse=None, n_replicates=0)
    table = pd.DataFrame([{"weight": k, **weighting_diagnostics(v)} for k, v in steps.items()])
    diag["weights"] = {k: weighting_diagnostics(v) for k, v in steps.items()}
    diag["n_respondents"] = int(len(out))
    diag["n_eligible_sampled"] = int(len(responded))
    return WeightingOutput(out, diag, table)
