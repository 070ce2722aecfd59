"""The notebook verb for fitting a model: :func:`fit` returns a
:class:`~csindex.results.ModelResults` (PLS-PM or CB-SEM, one interface)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError
from .results import ModelResults, results_class
from .sem.spec import ModelSpec, acsi_spec, ecsi_spec

ECSI_BLOCKS: dict[str, list[str]] = {
    "IM": [f"IMAG{i}" for i in range(1, 6)],
    "CE": ["CUEX1", "CUEX2", "CUEX3"],
    "PQ": [f"PERQ{i}" for i in range(1, 8)],
    "PV": ["PERV1", "PERV2"],
    "CS": ["CUSA1", "CUSA2", "CUSA3"],
    "CC": ["CUSCO"],
    "CL": ["CUSL1", "CUSL2", "CUSL3"],
}
"""Item names of the ECSI mobile-phone data (data/ecsi/ecsi_mobi.csv) per construct."""


def model_spec(
    model: ModelSpec | str = "acsi", blocks: Mapping[str, Sequence[str]] | None = None
) -> ModelSpec:
    """A :class:`ModelSpec`: given, or ``"acsi"`` (figure 4-1: CE, PQ, PV, CS, CC, CL) or
    ``"ecsi"`` (plus Image) with ``blocks`` (construct -> items; default :data:`ECSI_BLOCKS`)."""
    if isinstance(model, ModelSpec):
        return model
    b = dict(blocks or ECSI_BLOCKS)
    if model == "acsi":
        return acsi_spec({c: v for c, v in b.items() if c != "IM"})
    if model == "ecsi":
        return ecsi_spec(b)
    raise ConfigError(f"model {model!r} not allowed; allowed: a ModelSpec, 'acsi', 'ecsi'")


def fit(
    data: pd.DataFrame,
    model: ModelSpec | str = "acsi",
    *,
    estimator: str = "pls",
    weights: str | Sequence[float] | np.ndarray | None = None,
    blocks: Mapping[str, Sequence[str]] | None = None,
    **options: Any,
) -> ModelResults:
    """Fit a structural equation model to ``data`` and return its results.

    ``estimator``: ``"pls"`` (:func:`csindex.sem.pls.fit_pls`; options scheme, standardized,
    tol, maxiter, missing) or ``"cbsem"`` (:func:`csindex.sem.cbsem.fit_cbsem`; options se,
    missing, start, gtol, max_iter, correlation_limit). ``weights``: survey weights (one per
    row) or the name of a column of ``data``.
    """
    spec = model_spec(model, blocks)
    cls = results_class({"estimator": estimator})
    w = data[weights].to_numpy(float) if isinstance(weights, str) else weights
    res = cls.fitter()(data, spec, weights=w, **options)
    return cls(res, data, None if w is None else np.asarray(w, dtype=float), options)
