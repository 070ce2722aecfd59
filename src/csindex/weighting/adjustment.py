"""Adjustments before calibration: unknown eligibility, nonresponse weighting classes and
response-propensity classes (Valliant, Dever & Kreuter 2018, ch. 13; Little 1986)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csindex.errors import InputError
from csindex.weighting.common import as2d, back, col_group_sums


def class_adjustment(w: np.ndarray, responded: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Weighting-class nonresponse adjustment: respondents' weights times
    ``sum_{class} w / sum_{class, respondents} w``; nonrespondents get 0.

    ``responded`` is boolean over the eligible units; ``classes`` integer codes."""
    W, was1d = as2d(w)
    responded = np.asarray(responded, bool)
    codes = pd.factorize(np.asarray(classes), sort=True)[0]
    k = int(codes.max()) + 1
    tot = col_group_sums(W, codes, k)
    resp = col_group_sums(W * responded[:, None], codes, k)
    empty = (resp[:, 0] == 0) & (tot[:, 0] > 0)
    if empty.any():
        raise InputError(
            f"{int(empty.sum())} nonresponse class(es) have no respondents; use fewer classes "
            "(weighting.nonresponse.classes) or other covariates"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(resp > 0, tot / resp, 0.0)
    out = W * f[codes] * responded[:, None]
    return back(out, was1d)


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


def redistribute_unknown_eligibility(
    w: np.ndarray, unknown: np.ndarray, strata: np.ndarray
) -> np.ndarray:
    """Weight of the units of unknown eligibility moved to the units of known eligibility
    (eligible and ineligible alike) of their stratum: ``w_i sum_h w / sum_{h, known} w``; the
    unknown units get 0 (Valliant, Dever & Kreuter 2018, sec. 13.5). ``strata`` are codes."""
    W, was1d = as2d(w)
    unknown = np.asarray(unknown, bool)
    k = int(strata.max()) + 1
    tot = col_group_sums(W, strata, k)
    known = col_group_sums(W * ~unknown[:, None], strata, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(known > 0, tot / known, 1.0)
    return back(np.where(unknown[:, None], 0.0, W * f[strata]), was1d)
