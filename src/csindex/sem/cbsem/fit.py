"""ML / MLR estimation of a CB-SEM (:func:`fit_cbsem`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ...threads import limit_blas
from ..fit_indices import fit_indices
from ..spec import ModelSpec
from .data import check_moments, equal_weights, prepare_items, weighted_cov
from .fiml import fit_fiml
from .inference import ml_vcov, parameter_tables
from .likelihood import fisher_scoring, newton_polish
from .results import CBSEMResult, fit_admissibility
from .start import start_values
from .structure import Structure, build_structure


@limit_blas
def fit_cbsem(
    data: pd.DataFrame,
    spec: ModelSpec,
    weights: str | Sequence[float] | np.ndarray | None = None,
    se: str | None = None,
    *,
    start: str | np.ndarray = "semopy",
    gtol: float = 1e-10,
    max_iter: int = 500,
    correlation_limit: float = 0.95,
    missing: str = "listwise",
    file: str | None = None,
) -> CBSEMResult:
    """Fit ``spec`` to ``data`` by ML (pseudo-ML with ``weights``) as lavaan ``sem()``.

    Parameters
    ----------
    data : DataFrame with the item columns of ``spec`` (numeric; rows with a missing item are
        dropped, listwise, as lavaan's default).
    weights : column name or array of survey weights (normalised to sum to n), or None.
        Weights that are all equal carry no design information: the fit is then the
        unweighted one (as lavaan without ``sampling.weights``; ``equal_weights`` is set).
    se : "standard" (expected information, as lavaan ML; with informative weights as lavaan
        ``sampling.weights`` with ``se = "standard"``), "robust" (sandwich, as lavaan MLR) or
        "auto"/None: robust with informative weights, else standard.
    start : "semopy" (semopy's fit, the modelling front end), "simple", or a parameter vector.
    gtol : convergence when the largest |dF/dtheta| is below this.
    correlation_limit : latent correlations above it are reported as near-unidentification.
    missing : "listwise" (complete rows only, lavaan's default) or "ml" (full-information ML
        over every row with an answer, as lavaan ``missing="ml"``: saturated means, observed
        information; chi-square against the EM-estimated unrestricted model).
    file : name of the data file, for error messages.
    """
    se, weights, all_equal = _se_and_weights(data, weights, se)
    spec.validate()
    if missing not in ("listwise", "ml"):
        raise ConfigError(
            f"missing {missing!r} not allowed; allowed: listwise, ml", key="model.cbsem.missing"
        )
    if missing == "ml":
        res = fit_fiml(data, spec, weights, se, start, gtol, max_iter, correlation_limit, file)
        res.equal_weights = all_equal
        return res
    return _fit_listwise(
        data, spec, weights, se, start, gtol, max_iter, correlation_limit, file, all_equal
    )


def _fit_listwise(
    data, spec, weights, se, start, gtol, max_iter, correlation_limit, file, all_equal
) -> CBSEMResult:
    """fit_cbsem with missing="listwise": ML on the (weighted) moments of the complete rows."""
    X, w, ok_rows, n = prepare_items(data, spec, weights, file=file)
    mu, S = weighted_cov(X, w)
    check_moments(S, spec.items, n, file)
    var = {it: S[k, k] for k, it in enumerate(spec.items)}
    st = build_structure(spec, var)
    theta, converged, n_iter, gnorm = _estimate(st, X, S, start, gtol, max_iter)
    mats, information, vcov, se_free = ml_vcov(st, theta, S, X, mu, w, n, se)
    tables = parameter_tables(st, theta, vcov, se_free)
    W = tables.pop("W")
    sc = X @ W.T - mu @ W.T  # no n x p temporary
    scores = pd.DataFrame(sc, columns=st.constructs, index=data.index[ok_rows])
    fit = fit_indices(S, mats["Sigma"], n, st.q)
    adm = fit_admissibility(
        st, mats, mats["Sigma"], information, converged, gnorm, n_iter, correlation_limit
    )
    return CBSEMResult(
        spec=spec,
        structure=st,
        theta=theta,
        vcov=vcov,
        estimates=tables["estimates"],
        standardized=tables["standardized"],
        fit=fit,
        r2=tables["r2"],
        effects=tables["effects"],
        scores=scores,
        score_weights=tables["score_weights"],
        admissibility=adm,
        se_type=se,
        weighted=w is not None,
        n=n,
        S=S,
        mean=mu,
        used_rows=np.nonzero(ok_rows)[0],
        information=information,
        equal_weights=all_equal,
    )


def _se_and_weights(data: pd.DataFrame, weights, se: str | None) -> tuple[str, Any, bool]:
    """The SE type (auto: robust with informative weights), the weights (None when all equal)
    and whether they were all equal."""
    if se not in (None, "auto", "standard", "robust"):
        raise ConfigError(
            f"se {se!r} not allowed; allowed: auto, standard, robust", key="model.cbsem.se"
        )
    all_equal = equal_weights(data, weights)
    if all_equal:
        weights = None
    if se is None or se == "auto":
        se = "robust" if weights is not None else "standard"
    return se, weights, all_equal


def _estimate(
    st: Structure, X: np.ndarray, S: np.ndarray, start, gtol: float, max_iter: int
) -> tuple[np.ndarray, bool, int, float]:
    """Minimise F_ML: Fisher scoring / Newton from the start values, then Newton polishing;
    returns theta, converged (largest |gradient| below max(gtol, 1e-8)), iterations and that
    gradient."""
    theta0 = start_values(st, X, S, start)
    theta, F, conv, iters, gmax = fisher_scoring(
        st, theta0[None], S[None], max_iter=max_iter, gtol=gtol, xtol=1e-12
    )
    theta = theta[0]
    converged, n_iter, gnorm = bool(conv[0]), int(iters[0]), float(gmax[0])
    theta, gnorm, n_iter = newton_polish(st, theta, S, gtol, n_iter)
    converged = bool(np.isfinite(gnorm) and gnorm < max(gtol, 1e-8))
    return theta, converged, n_iter, gnorm
