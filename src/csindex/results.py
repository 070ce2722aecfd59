"""One results interface for PLS-PM and CB-SEM fits (statsmodels/semopy style).

:class:`ModelResults` holds a fit (:class:`~csindex.sem.pls.PLSResult` or
:class:`~csindex.sem.cbsem.CBSEMResult`) with the data, survey weights and model it came from,
and gives both the same fields and verbs:

* ``params``, ``bse``, ``pvalues`` (Series indexed by ``(lhs, op, rhs)`` as lavaan's parameter
  table), ``conf_int(alpha)``, ``rsquared``, ``nobs``, ``used_rows``, ``admissible``;
* ``summary()`` (a :class:`Summary`: text with ``print``, HTML in Jupyter), ``to_frame()``, a
  one-line ``repr``;
* ``index()``: the ACSI 0-100 index of every construct
  (:func:`csindex.sem.acsi.acsi_index` with the fit's raw-scale index weights: PLS outer
  weights, or CB-SEM factor-score weights, on the rows the fit used);
* ``bootstrap(n, seed)``: percentile and BCa intervals of every statistic
  (:mod:`csindex.sem.bootstrap`, :func:`csindex.sem.cbsem.cbsem_bootstrap`).

What differs between the estimators is a method of the subclass (:class:`PLSResults`,
:class:`CBSEMResults`), not a branch on ``estimator == "pls"``; :func:`results_class` picks the
class for config section ``model``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import norm

from .errors import ConfigError
from .sem.spec import ModelSpec

_KEY = ["lhs", "op", "rhs"]


# --------------------------------------------------------------------------- summary
@dataclass
class Summary:
    """A results summary: a title, key facts, tables and notes; ``str()`` gives text,
    ``_repr_html_()`` the HTML Jupyter shows."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        width = 78
        out = [self.title, "=" * width]
        if self.facts:
            k = max(len(a) for a, _ in self.facts)
            out += [f"{a:<{k}}  {b}" for a, b in self.facts]
        for name, tab in self.tables:
            out += ["", name, "-" * width, tab.to_string(float_format=lambda v: f"{v:.4f}")]
        if self.notes:
            out += [""] + [f"! {n}" for n in self.notes]
        return "\n".join(out)

    def as_html(self) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.facts:
            rows = "".join(
                f"<tr><th style='text-align:left'>{html.escape(a)}</th>"
                f"<td style='text-align:left'>{html.escape(b)}</td></tr>"
                for a, b in self.facts
            )
            parts.append(f"<table>{rows}</table>")
        for name, tab in self.tables:
            parts.append(f"<h5>{html.escape(name)}</h5>")
            parts.append(tab.to_html(float_format=lambda v: f"{v:.4f}", border=0))
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<ul>{items}</ul>")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


# --------------------------------------------------------------------------- results
class ModelResults:
    """A fitted structural equation model with its data: the interface shared by PLS-PM and
    CB-SEM. Build with :func:`csindex.fit` (or ``ModelResults.of(fit, data, weights)``)."""

    estimator: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(
        self,
        fit: Any,
        data: pd.DataFrame | None = None,
        weights: np.ndarray | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.fit = fit
        self.data = data
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.options = dict(options or {})

    @staticmethod
    def of(fit: Any, data: pd.DataFrame | None = None, weights=None, options=None):
        """The results class of ``fit`` (PLSResult -> PLSResults, CBSEMResult -> CBSEMResults)."""
        for cls in (PLSResults, CBSEMResults):
            if getattr(fit, "estimator", None) == cls.estimator:
                return cls(fit, data, weights, options)
        raise TypeError(f"not a model fit: {type(fit).__name__}")

    # ---- fields shared by both estimators
    @property
    def spec(self) -> ModelSpec:
        return self.fit.spec

    @property
    def nobs(self) -> int:
        """Rows used by the fit."""
        return int(self.fit.n)

    @property
    def used_rows(self) -> np.ndarray:
        """Positions (0-based) of the rows of ``data`` the fit used."""
        return self.fit.used_rows

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (lhs, op, rhs, est, se, z, pvalue, ci_lower, ci_upper, ...)."""
        return self.fit.to_frame()

    @property
    def params(self) -> pd.Series:
        """Estimates indexed by (lhs, op, rhs), lavaan's parameter labels."""
        return self.to_frame().set_index(_KEY)["est"]

    @property
    def bse(self) -> pd.Series:
        """Standard errors (NaN where the fit gives none: PLS-PM, see :meth:`bootstrap`)."""
        return self.to_frame().set_index(_KEY)["se"].astype(float)

    @property
    def pvalues(self) -> pd.Series:
        return self.to_frame().set_index(_KEY)["pvalue"].astype(float)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Normal-theory interval ``est ± z_{1-alpha/2} se`` (columns lower, upper)."""
        z = norm.ppf(1 - alpha / 2)
        est, se = self.params.astype(float), self.bse
        return pd.DataFrame({"lower": est - z * se, "upper": est + z * se})

    @property
    def rsquared(self) -> pd.Series:
        """R² of every endogenous construct (and, for CB-SEM, item)."""
        return self.fit.rsquared

    @property
    def admissible(self) -> bool:
        return bool(self.fit.admissible)

    @property
    def admissibility(self) -> dict[str, Any]:
        """The admissibility checks as one dict (``admissible``, flags, ``messages``)."""
        return self.fit.admissibility_dict()

    # ---- the index
    def index_weights(self) -> pd.Series:
        """Raw-scale item weights of the index (item -> weight)."""
        raise NotImplementedError

    def index(
        self,
        scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
        *,
        by: Sequence[str] = (),
        instrument: Any = None,
    ) -> pd.DataFrame:
        """The ACSI 0-100 index of every construct, overall and by the columns ``by``
        (:func:`csindex.sem.acsi.acsi_index` on the rows the fit used, survey-weighted).

        ``scale``: (min, max) of every item, or item -> (min, max); default: the instrument's
        answer scales, else the observed range of the items."""
        from .sem.acsi import acsi_index, scale_bounds

        data = self._data("index")
        items = self.spec.items
        if isinstance(scale, Mapping):
            bounds = {i: (float(scale[i][0]), float(scale[i][1])) for i in items}
        else:
            default = scale
            if default is None and instrument is None:
                X = data[items].to_numpy(float)
                default = (float(np.nanmin(X)), float(np.nanmax(X)))
            bounds = scale_bounds(items, instrument, default)
        used = data.iloc[self.used_rows].reset_index(drop=True)
        w = None if self.weights is None else self.weights[self.used_rows]
        return acsi_index(used, self.spec, self.index_weights().to_dict(), bounds, w, by)

    # ---- bootstrap
    def bootstrap(self, n: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
        """Bootstrap of every statistic: ``n`` resamples of the respondents (generator
        ``default_rng([seed, b])`` per replicate), percentile and BCa intervals at ``level``
        (columns statistic, est, se, ci_lower, ci_upper, bca_lower, bca_upper, ...)."""
        raise NotImplementedError

    # ---- display
    def _data(self, what: str) -> pd.DataFrame:
        if self.data is None:
            raise ValueError(
                f"{what}() needs the data of the fit: build with csindex.fit(data, ...)"
            )
        return self.data

    def _facts(self) -> list[tuple[str, str]]:
        return [
            ("Model", self.spec.name),
            ("Estimator", self.label),
            ("Observations", str(self.nobs)),
            ("Survey weights", "yes" if self.weights is not None else "no"),
            ("Admissible", "yes" if self.admissible else "NO"),
        ]

    def summary(self) -> Summary:
        """Key facts, structural paths, measurement, R² (text with print, HTML in Jupyter)."""
        est = self.to_frame()
        cols = [c for c in ("est", "se", "z", "pvalue", "ci_lower", "ci_upper") if c in est]
        paths = est[est["op"] == "~"].set_index(_KEY)[cols].dropna(axis=1, how="all")
        meas = est[est["op"] == "=~"].set_index(_KEY)[cols].dropna(axis=1, how="all")
        r2 = self.rsquared.dropna().to_frame("R2")
        return Summary(
            title=f"{self.label} results",
            facts=self._facts(),
            tables=[("Structural paths", paths), ("Measurement", meas), ("R-squared", r2)],
            notes=list(self.admissibility.get("messages", [])),
        )

    def __repr__(self) -> str:
        ok = "admissible" if self.admissible else "NOT admissible"
        return (
            f"<{type(self).__name__}: {self.spec.name}, {len(self.spec.constructs)} constructs, "
            f"{len(self.spec.items)} items, n={self.nobs}, {ok}>"
        )


class PLSResults(ModelResults):
    """PLS-PM results (:func:`csindex.sem.pls.fit_pls`); ``bse`` is NaN (no model-based SEs):
    use :meth:`bootstrap` or replicate weights."""

    estimator = "pls"
    label = "PLS path model"

    @staticmethod
    def fitter():
        """The fitting function: :func:`csindex.sem.pls.fit_pls`."""
        from .sem.pls import fit_pls

        return fit_pls

    def index_weights(self) -> pd.Series:
        ow = self.fit.outer_weights.set_index("item")
        return ow["weight_raw"].reindex(self.spec.items)

    def _facts(self):
        f = self.fit
        return super()._facts() + [
            ("Scheme", f.scheme),
            ("Indicators", "standardized" if f.standardized else "raw"),
            ("Converged", f"{'yes' if f.converged else 'NO'} ({f.iterations} iterations)"),
        ]

    def bootstrap(self, n: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
        from .sem.bootstrap import (
            PLSBootSetup,
            bootstrap_intervals,
            bootstrap_pls,
            jackknife_pls,
            pls_stats,
            stat_names,
        )

        f = self.fit
        setup = PLSBootSetup.from_data(
            self._data("bootstrap"),
            self.spec,
            self.weights,
            scheme=f.scheme,
            standardized=f.standardized,
            tol=float(f.info.get("tol", 1e-6)),
            maxiter=int(self.options.get("maxiter", 100)),
            missing=f.info.get("missing", "pairwise"),
        )
        est = pd.Series(pls_stats(setup, setup.w[None, :])[0][0], index=stat_names(setup))
        boot = bootstrap_pls(setup, int(seed), 0, int(n))
        jk = jackknife_pls(setup, seed=int(seed))
        return bootstrap_intervals(boot, est, jk, level=level)


class CBSEMResults(ModelResults):
    """CB-SEM (ML) results (:func:`csindex.sem.cbsem.fit_cbsem`); the index weights are the
    factor-score (regression) weights of each construct's own items."""

    estimator = "cbsem"
    label = "CB-SEM (ML)"

    @staticmethod
    def fitter():
        """The fitting function: :func:`csindex.sem.cbsem.fit_cbsem`."""
        from .sem.cbsem import fit_cbsem

        return fit_cbsem

    def index_weights(self) -> pd.Series:
        sw = self.fit.score_weights
        sw = sw[sw["own_block"]]
        sd = self.fit.scores.std(ddof=0)
        raw = sw["weight"].to_numpy() / sd.loc[sw["construct"]].to_numpy()
        return pd.Series(raw, index=sw["item"].to_numpy()).reindex(self.spec.items)

    def _facts(self):
        f = self.fit.fit
        return super()._facts() + [
            ("SE", self.fit.se_type),
            ("Chi-square", f"{f['chisq']:.3f} (df {f['df']:.0f}, p {f['pvalue']:.4g})"),
            ("CFI / TLI", f"{f['cfi']:.3f} / {f['tli']:.3f}"),
            ("RMSEA", f"{f['rmsea']:.3f} [{f['rmsea_ci_lower']:.3f}, {f['rmsea_ci_upper']:.3f}]"),
            ("SRMR", f"{f['srmr']:.3f}"),
        ]

    def bootstrap(self, n: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
        from .sem.bootstrap import bootstrap_intervals, replicate_counts
        from .sem.cbsem import cbsem_bootstrap

        data, res = self._data("bootstrap"), self.fit
        m = res.n
        flags = ["replicate", "converged", "heywood", "not_positive_definite"]
        flags += ["near_unidentified", "admissible", "iterations", "gradient_max"]
        full = cbsem_bootstrap(data, self.spec, np.ones((1, m)), res, weights=self.weights)
        names = [c for c in full.columns if c not in flags]
        est = full.iloc[0][names].astype(float)
        boot = cbsem_bootstrap(
            data, self.spec, replicate_counts(m, int(seed), 0, int(n)), res, weights=self.weights
        )
        G = min(m, 1000)
        lab = np.arange(m) if G == m else np.random.default_rng(int(seed)).permutation(m) % G
        counts = (lab[None, :] != np.arange(G)[:, None]).astype(float)
        jk = cbsem_bootstrap(data, self.spec, counts, res, weights=self.weights)
        return bootstrap_intervals(boot, est, jk[names].to_numpy(float), level=level)


def results_class(model_cfg: Mapping[str, Any] | None) -> type[ModelResults]:
    """The results class of config section ``model`` (``estimator``: pls | cbsem)."""
    from .sem.estimators import fit_class

    name = fit_class(model_cfg).estimator
    for cls in (PLSResults, CBSEMResults):
        if cls.estimator == name:
            return cls
    raise ConfigError(
        f"estimator {name!r} has no results interface yet; allowed here: pls, cbsem "
        f"(fit it with csindex.sem.outputs.fit_model)",
        key="model.estimator",
    )


__all__ = ["CBSEMResults", "ModelResults", "PLSResults", "Summary", "results_class"]
