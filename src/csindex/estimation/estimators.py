"""Estimators on a :class:`~csindex.estimation.design.SurveyDesign`: means, totals, ratios,
proportions and any statistic of the weights (replicate SEs), per domain, and the weights
stage's item estimates. Domains are estimated as R's ``svyby``: the statistic on the domain with
the full design (out-of-domain rows have zero influence)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from csindex.errors import InputError
from csindex.estimation.design import SurveyDesign

log = logging.getLogger(__name__)

RESULT_COLUMNS = [
    "variable",
    "domain",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "df",
    "deff",
    "deff_replace",
    "n",
]


def _domain_masks(design: SurveyDesign, domain: str | None) -> tuple[list[str], np.ndarray]:
    if domain is None:
        return ["all"], np.ones((design.n, 1), bool)
    if domain not in design.data.columns:
        raise InputError(f"domain column {domain!r} not found", column=domain)
    col = design.data[domain]
    levels = sorted(col.dropna().unique().tolist(), key=str)
    m = np.column_stack([(col == lv).to_numpy() for lv in levels]) if levels else None
    return [str(lv) for lv in levels], m


def _values(design: SurveyDesign, y: str | Sequence[str]) -> tuple[list[str], np.ndarray]:
    names = [y] if isinstance(y, str) else list(y)
    for c in names:
        if c not in design.data.columns:
            raise InputError(f"variable {c!r} not found", column=c)
    vals = np.column_stack(
        [pd.to_numeric(design.data[c], errors="coerce").to_numpy(float) for c in names]
    )
    return names, vals


def _ci(est: np.ndarray, se: np.ndarray, df: float, level: float):
    q = (
        stats.t.ppf(0.5 + level / 2, df)
        if np.isfinite(df) and df > 0
        else stats.norm.ppf(0.5 + level / 2)
    )
    return est - q * se, est + q * se


def _variance(
    design: SurveyDesign,
    kind: str,
    est: np.ndarray,
    M: np.ndarray,
    Y: np.ndarray,
    X: np.ndarray,
    WM: np.ndarray,
    swx: np.ndarray,
) -> np.ndarray:
    """Replicate variance of the replicate estimates, or Taylor variance of the influence
    values ``w y`` (total) or ``w (y - est x)/sum w x`` (mean, ratio)."""
    if design.is_replicate:
        RW = design.replicate_weights
        A = RW.T @ (M * Y)
        if kind == "total":
            theta_r = A
        else:
            B = RW.T @ (M * X)
            with np.errstate(invalid="ignore", divide="ignore"):
                theta_r = A / B
        return design.replicate_variance(est, theta_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "total":
            z = WM * Y
        else:
            z = WM * (Y - est * X) / swx
    z = np.nan_to_num(z)
    return design.variance(z, present=M)


def _deffs(
    kind: str, var: np.ndarray, s2: np.ndarray, sw: np.ndarray, nobs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Design effects against simple random sampling without (``deff``; NaN without N) and
    with replacement (``deff_replace``), from the weighted variance ``s2`` (R ``svyvar``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "total":
            v_wor = s2 * sw**2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 * sw**2 / nobs
        elif kind == "ratio":
            v_wor = s2 * sw**2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 * sw**2 / nobs
        else:
            v_wor = s2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 / nobs
        deff = np.where(sw > nobs, var / v_wor, np.nan)  # no N: no SRSWOR deff
        deff_r = var / v_wr
    return deff, deff_r


def _estimate(
    design: SurveyDesign,
    names: list[str],
    vals: np.ndarray,
    domain: str | None,
    level: float,
    kind: str,
    den: np.ndarray | None = None,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Core: ``kind`` is mean, total or ratio; columns = variables x domain levels.

    Missing values: ``na_rm=True`` drops the rows whose value (or denominator) is missing, as R
    ``na.rm = TRUE`` (the rest of the design is kept, as R's domain subset); ``na_rm=False``
    gives NaN (estimate and SE) wherever a row of the domain is missing, as R ``na.rm =
    FALSE``. A domain with no non-missing value gets NaN with a logged warning, never SE 0."""
    dnames, dm = _domain_masks(design, domain)
    if dm is None:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    p, L = vals.shape[1], dm.shape[1]
    c = _columns(vals, dm, den)
    pt = _point(design.weights, kind, c)
    var = _variance(design, kind, pt.est, c.M, c.Y, c.X, pt.WM, pt.swx)
    deff, deff_r = _deffs(kind, var, pt.s2, pt.sw, pt.nobs)
    est = pt.est
    empty = pt.nobs == 0
    if not na_rm:
        empty = empty | _has_missing(c.D, vals, den, L)
    if empty.any():
        est = np.where(empty, np.nan, est)
        var = np.where(empty, np.nan, var)
        deff = np.where(empty, np.nan, deff)
        deff_r = np.where(empty, np.nan, deff_r)
        _warn_no_values(pt.nobs, names, dnames, domain, L)
    se = np.sqrt(var)
    dfree = float(design.degf)
    lo, hi = _ci(est, se, dfree, level)
    out = pd.DataFrame(
        {
            "variable": np.repeat(names, L),
            "domain": np.tile(dnames, p),
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "df": dfree,
            "deff": deff,
            "deff_replace": deff_r,
            "n": pt.nobs.astype(np.int64),
        }
    )
    out.insert(2, "domain_var", domain or "")
    return out


@dataclass
class _Columns:
    """Variables x domain levels as columns ``j*L + l`` (variable j in domain l)."""

    Y: np.ndarray  # the values, 0 where not used
    X: np.ndarray  # the denominator (ratio), else the indicator of a used value
    M: np.ndarray  # used: in the domain and not missing
    D: np.ndarray  # in the domain


def _columns(vals: np.ndarray, dm: np.ndarray, den: np.ndarray | None) -> _Columns:
    """The values (and denominators) repeated per domain level, with the mask of used cells."""
    p, L = vals.shape[1], dm.shape[1]
    Y = np.repeat(vals, L, axis=1)
    D = np.tile(dm, (1, p))
    if den is not None:
        X = np.repeat(den, L, axis=1)
        M = D & ~np.isnan(Y) & ~np.isnan(X)
        X = np.where(M, X, 0.0)
    else:
        M = D & ~np.isnan(Y)
        X = M.astype(float)
    Y = np.where(M, Y, 0.0)
    return _Columns(Y, X, M, D)


@dataclass
class _Point:
    """Point estimates per column and the weighted sums the variance and deffs use."""

    est: np.ndarray
    s2: np.ndarray  # weighted variance of y (or of the ratio residual), R svyvar
    sw: np.ndarray
    swx: np.ndarray
    nobs: np.ndarray
    WM: np.ndarray  # the weights of the used cells


def _point(w: np.ndarray, kind: str, c: _Columns) -> _Point:
    """``sum w y`` (total) or ``sum w y / sum w x`` (mean, ratio), and the weighted variance
    ``s2 = sum w (y - ybar)^2 / sum w * n/(n-1)`` (of ``(y - R x)/sum w x`` for a ratio)."""
    Y, X = c.Y, c.X
    WM = w[:, None] * c.M
    sw = WM.sum(axis=0)
    swy = (WM * Y).sum(axis=0)
    swx = (WM * X).sum(axis=0)
    nobs = (WM != 0).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "total":
            est = swy
        else:
            est = swy / swx
        # weighted variance of y (R svyvar), for deff
        if kind == "ratio":
            r = (Y - est * X) / swx
            rbar = (WM * r).sum(axis=0) / sw
            s2 = (WM * (r - rbar) ** 2).sum(axis=0) / sw * nobs / (nobs - 1)
        else:
            ybar = swy / sw
            s2 = (WM * (Y - ybar) ** 2).sum(axis=0) / sw * nobs / (nobs - 1)
    return _Point(est, s2, sw, swx, nobs, WM)


def _has_missing(D: np.ndarray, vals: np.ndarray, den: np.ndarray | None, L: int) -> np.ndarray:
    """Columns with a missing value (or denominator) on a row of the domain (R na.rm = FALSE)."""
    hasna = (D & np.isnan(np.repeat(vals, L, axis=1))).any(axis=0)
    if den is not None:
        hasna |= (D & np.isnan(np.repeat(den, L, axis=1))).any(axis=0)
    return hasna


def _warn_no_values(
    nobs: np.ndarray, names: list[str], dnames: list[str], domain: str | None, L: int
) -> None:
    """Log the (first five) columns without a non-missing value."""
    cols = np.flatnonzero(nobs == 0)
    if cols.size:
        what = ", ".join(f"{names[j // L]} in {domain or 'all'}={dnames[j % L]}" for j in cols[:5])
        log.warning("no non-missing values (estimate and SE are NaN): %s", what)


def survey_mean(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Weighted mean ``sum w y / sum w`` per variable and domain, with SE (influence
    ``w (y - ybar)/sum w``), t CI on the design df and deffs. ``na_rm`` as R's ``na.rm``
    (default True: missing values dropped; False: NaN where a value is missing)."""
    names, vals = _values(design, y)
    return _estimate(design, names, vals, domain, level, "mean", na_rm=na_rm)


def survey_total(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Horvitz–Thompson total ``sum w y`` with SE (influence ``w y``) per variable and domain."""
    names, vals = _values(design, y)
    return _estimate(design, names, vals, domain, level, "total", na_rm=na_rm)


def survey_ratio(
    design: SurveyDesign,
    numerator: str | Sequence[str],
    denominator: str,
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Ratio of totals ``sum w y / sum w x``; influence ``w (y - R x)/sum w x`` (R svyratio)."""
    names, vals = _values(design, numerator)
    _, den = _values(design, denominator)
    den = np.repeat(den, len(names), axis=1)
    out = _estimate(design, names, vals, domain, level, "ratio", den=den, na_rm=na_rm)
    out["variable"] = [f"{v}/{denominator}" for v in out["variable"]]
    return out


def survey_proportions(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    categories: Sequence[Any] | None = None,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Share of each category of ``y`` (missing excluded), as the mean of its indicator."""
    names = [y] if isinstance(y, str) else list(y)
    frames = []
    for name in names:
        if name not in design.data.columns:
            raise InputError(f"variable {name!r} not found", column=name)
        col = design.data[name]
        cats = list(categories) if categories is not None else sorted(col.dropna().unique())
        if not cats:
            continue
        ind = np.column_stack([(col == c).to_numpy(float) for c in cats])
        ind[col.isna().to_numpy()] = np.nan
        res = _estimate(design, [name] * len(cats), ind, domain, level, "mean", na_rm=na_rm)
        res.insert(1, "category", np.repeat([str(c) for c in cats], len(res) // len(cats)))
        frames.append(res)
    if not frames:
        return pd.DataFrame(columns=["variable", "category", *RESULT_COLUMNS[1:]])
    return pd.concat(frames, ignore_index=True)


def survey_replicate(
    design: SurveyDesign,
    statistic: Callable[[np.ndarray], Any],
    names: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Any statistic of the weights (e.g. an index, a regression coefficient, PLS paths) with
    its replicate SE: ``theta = statistic(w)``, ``theta_r = statistic(w_r)`` for every replicate,
    ``v = scale sum_r rscales_r (theta_r - c)^2``. ``statistic`` gets a weight vector aligned
    with ``design.data`` and returns a number or a 1-d array."""
    if not design.is_replicate:
        raise InputError(
            "survey_replicate needs replicate weights (weights/weights.parquet rep_### columns)"
        )
    theta = np.atleast_1d(np.asarray(statistic(design.weights), float))
    reps = np.array(
        [
            np.atleast_1d(np.asarray(statistic(design.replicate_weights[:, r]), float))
            for r in range(design.replicate_weights.shape[1])
        ]
    )
    se = np.sqrt(design.replicate_variance(theta, reps))
    dfree = float(design.degf)
    lo, hi = _ci(theta, se, dfree, level)
    labels = list(names) if names is not None else [f"stat_{i + 1}" for i in range(theta.size)]
    return pd.DataFrame(
        {
            "variable": labels,
            "estimate": theta,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "df": dfree,
        }
    )


def item_estimates(
    design: SurveyDesign,
    items: Sequence[str],
    domains: Sequence[str] = (),
    level: float = 0.95,
    proportions: bool = True,
) -> pd.DataFrame:
    """Weighted item means and (``proportions``) the share of each answer category, overall and
    per domain, next to the unweighted estimates (column ``unweighted``). A simulated study's
    comparison with the truth is :func:`csindex.validation.compare_item_means`."""
    unw = replace(
        design,
        weights=np.where(design.weights > 0, 1.0, 0.0),
        replicate_weights=None,
        calibrations=(),
        _cache={},
    )
    doms = [None, *[d for d in domains if d in design.data.columns]]

    def table(d: SurveyDesign) -> pd.DataFrame:
        parts = []
        for dom in doms:
            m = survey_mean(d, list(items), domain=dom, level=level)
            m.insert(0, "statistic", "mean")
            m.insert(2, "category", "")
            parts.append(m)
            if proportions:
                p = survey_proportions(d, list(items), domain=dom, level=level)
                p.insert(0, "statistic", "proportion")
                parts.append(p[m.columns])
        return pd.concat(parts, ignore_index=True)

    res = table(design)
    res["unweighted"] = table(unw)["estimate"].to_numpy()
    return res
