"""PLS path modelling (Wold / Lohmöller), as R plspm and seminr compute it, with survey weights.

The algorithm runs on the (weighted) covariance matrix ``S`` of the indicators, which carries
all the information the iterations use (Lohmöller 1989, ch. 2):

* standardized indicators (default): ``S`` is the correlation matrix; raw: the covariance of
  the centred items (plspm ``scaled = FALSE``);
* start: every outer weight 1, scaled so that each latent variable (LV) has unit variance;
* outer proxies ``Y = X W`` standardized: ``R_Y = D W'SW D``;
* inner weights ``E`` (symmetric adjacency ``A`` of the paths):
  centroid ``sign(R_Y) * A``; factorial ``R_Y * A``; path: for LV k, its predecessors get the
  coefficients of the regression of k on them, its successors their correlation with k;
* inner proxies ``Z = Y E``; new outer weights: mode A ``w_k = cov(X_k, Z_k)``, mode B
  ``w_k = S_kk^{-1} cov(X_k, Z_k)`` (the OLS regression of ``Z_k`` on the block);
* stop when ``sum((|w_old| - |w_new|)^2) < tol`` (plspm's criterion, tol 1e-6, 100 iterations);
  finally scale ``W`` so that every LV has unit variance.

Path coefficients are the OLS regressions of each endogenous LV on its predecessors
(``beta = R_PP^{-1} r_Pk``, ``R^2 = beta' r_Pk``), loadings the correlations of the items with
their LV, effects total ``(I - B)^{-1} - I`` and indirect = total - direct.

Survey weights: every moment is weighted (weighted means, standardisation, covariances, OLS);
with equal weights this is exactly the unweighted algorithm (plspm uses 1/n moments too). The
same core takes a stack of covariance matrices, so a bootstrap runs all replicates at once
(see :mod:`csindex.sem.bootstrap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError, shown
from ..threads import limit_blas
from .pls_algorithm import (  # noqa: F401  (public names of this module since the split)
    SCHEMES,
    ModelArrays,
    inner_from_lvcor,
    model_arrays,
    pls_weights_from_cov,
    total_effects,
)
from .spec import ModelSpec

_Arrays = ModelArrays  # the old private name, used inside this module


# --------------------------------------------------------------------------- moments
def weighted_moments(
    X: np.ndarray, w: np.ndarray | None, *, center_in_place: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean m = Σ w x / Σ w and covariance S = Σ w (x-m)(x-m)' / Σ w (1/n moments when
    unweighted, as plspm). With ``center_in_place`` X is centred in place (no copy; large n)."""
    if w is None:
        m = X.mean(axis=0)
        Xc = X if center_in_place else X.copy()
        Xc -= m
        return m, Xc.T @ Xc / X.shape[0]
    w = np.asarray(w, dtype=float)
    sw = w.sum()
    m = w @ X / sw
    Xc = X if center_in_place else X.copy()
    Xc -= m
    S = Xc.T @ (Xc * w[:, None]) / sw
    return m, 0.5 * (S + S.T)


def pairwise_moments(X: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Available-case weighted moments of X with NaN: item means over the rows answering the
    item; covariances over the rows answering both items (with the means of those rows):
    S_jk = Σ w m_j m_k x_j x_k / A_jk - (Σ w m_j m_k x_j / A_jk)(Σ w m_j m_k x_k / A_jk),
    A_jk = Σ w m_j m_k (m = answered). Equals :func:`weighted_moments` without NaN."""
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=float)
    M = (~np.isnan(X)).astype(float)
    X0 = np.where(M > 0, X, 0.0)
    m = (w @ X0) / (w @ M)
    c = np.nan_to_num(m)
    X0 = np.where(M > 0, X0 - c, 0.0)  # centre for numerical stability
    Mw = M * w[:, None]
    A = Mw.T @ M
    Bj = (X0 * w[:, None]).T @ M  # Σ w x_j m_k
    Q = (X0 * w[:, None]).T @ X0
    with np.errstate(invalid="ignore", divide="ignore"):
        S = Q / A - (Bj / A) * (Bj.T / A)
    return m, 0.5 * (S + S.T)


def _check_weights(w: Any, n: int, where: str = "weights") -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.shape != (n,):
        raise InputError(f"{w.shape[0] if w.ndim else 0} weights given for {n} rows", column=where)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise InputError(
            f"weight {float(w[bad[0]])} is not allowed; allowed: finite numbers >= 0",
            row=int(bad[0]) + 1,
            column=where,
        )
    if w.sum() <= 0:
        raise InputError("all weights are zero", column=where)
    return w


def prepare_data(
    data: pd.DataFrame, spec: ModelSpec, missing: str = "listwise", file: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Item matrix X (n_used, p) in spec item order and the boolean mask of rows used.

    missing: "pairwise" (available-case moments: keeps rows with an answer in every block;
    X may hold NaN), "listwise" drops rows with any missing item, "mean" imputes item means.
    Raises InputError naming the column when an item is absent, not numeric, or constant.
    """
    missing_cols = [i for i in spec.items if i not in data.columns]
    if missing_cols:
        raise InputError(
            f"item column(s) {', '.join(missing_cols)} of the model are missing; the data has "
            f"{', '.join(map(str, data.columns[:30]))}",
            file=file,
            column=missing_cols[0],
        )
    X = np.empty((len(data), len(spec.items)), dtype=float, order="F")
    for j, i in enumerate(spec.items):
        s = data[i]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            conv = pd.to_numeric(s, errors="coerce")
            bad = np.flatnonzero(conv.isna().to_numpy() & s.notna().to_numpy())
            if bad.size:
                raise InputError(
                    f"value {shown(s.iloc[bad[0]])} is not a number; items must be numeric",
                    file=file,
                    row=int(bad[0]) + 1,
                    column=i,
                )
            s = conv
        X[:, j] = s.to_numpy(dtype=float, na_value=np.nan)
    if missing == "listwise":
        keep = ~np.isnan(X).any(axis=1)
        if not keep.all():
            X = X[keep]
    elif missing == "pairwise":
        # keep rows with at least one answered item in every block (a score can be formed)
        obs = ~np.isnan(X)
        arr = _Arrays.from_spec(spec)
        per_block = np.zeros((X.shape[0], len(arr.constructs)), dtype=np.int64)
        for k in range(len(arr.constructs)):
            per_block[:, k] = obs[:, arr.block == k].sum(axis=1)
        keep = (per_block > 0).all(axis=1)
        if not keep.all():
            X = X[keep]
    elif missing == "mean":
        keep = np.ones(X.shape[0], dtype=bool)
        mu = np.nanmean(X, axis=0)
        X = np.where(np.isnan(X), mu, X)
    else:
        raise ConfigError(
            f"{missing!r} not allowed; allowed: pairwise, listwise, mean",
            key="model.pls.missing",
        )
    if X.shape[0] < 3:
        raise InputError(
            f"only {X.shape[0]} complete row(s) for the model's items; PLS needs at least 3",
            file=file,
        )
    return X, keep


# --------------------------------------------------------------------------- result
@dataclass
class PLSResult:
    """A fitted PLS path model. Tables use construct and item names of the spec."""

    spec: ModelSpec
    estimates: pd.DataFrame
    r2: pd.Series
    effects: pd.DataFrame
    outer_weights: pd.DataFrame
    scores: pd.DataFrame
    admissibility: dict[str, Any]
    loadings: pd.DataFrame  # cross-loadings: items x constructs (correlations)
    lv_cor: pd.DataFrame
    item_cor: pd.DataFrame
    means: pd.Series
    sds: pd.Series
    n: int
    iterations: int
    converged: bool
    scheme: str
    standardized: bool
    weighted: bool
    rows_used: np.ndarray = field(repr=False, default=None)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> pd.DataFrame:
        return self.estimates[self.estimates["op"] == "~"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The estimates table (lhs, op, rhs, est, se, z, pvalue, ci_lower, ci_upper)."""
        return self.estimates.copy()

    def summary(self) -> str:
        """A short plain-text summary."""
        lines = [
            f"PLS path model ({self.spec.name}), n = {self.n}, scheme {self.scheme}, "
            f"{'standardized' if self.standardized else 'raw'} indicators"
            f"{', survey-weighted' if self.weighted else ''}; "
            f"{'converged' if self.converged else 'NOT converged'} in {self.iterations} iterations",
            "paths:",
        ]
        for r in self.paths.itertuples():
            lines.append(f"  {r.rhs} -> {r.lhs}: {r.est:.4f}")
        lines.append("R2: " + ", ".join(f"{k} {v:.3f}" for k, v in self.r2.dropna().items()))
        for msg in self.admissibility.get("messages", []):
            lines.append("! " + msg)
        return "\n".join(lines)

    # the names shared with CBSEMResult (see csindex.results.ModelResults)
    @property
    def used_rows(self) -> np.ndarray:
        """Positions of the data rows the fit used (``rows_used`` is the boolean mask)."""
        return np.flatnonzero(self.rows_used)

    @property
    def rsquared(self) -> pd.Series:
        """R² of the endogenous constructs."""
        return self.r2.dropna()

    @property
    def admissible(self) -> bool:
        return bool(self.admissibility.get("admissible", True))

    def admissibility_dict(self) -> dict[str, Any]:
        return dict(self.admissibility)

    def __repr__(self) -> str:
        return (
            f"<PLSResult: {self.spec.name}, n={self.n}, "
            f"{'converged' if self.converged else 'NOT converged'}>"
        )

    # what the stages ask of the estimator (csindex.sem.estimators.fit_class)
    estimator = "pls"
    refits_in_replicates = True
    """Replicate SEs of the index refit the model (new outer weights in every replicate)."""
    weights_from_moments = True
    """The outer weights are a function of the item covariance matrix alone."""

    @classmethod
    def missing_rule(cls, model_cfg: dict | None) -> str:
        """The rows the fit uses: ``model.pls.missing`` (default pairwise)."""
        return dict((model_cfg or {}).get("pls") or {}).get("missing", "pairwise")

    @classmethod
    def fit_from_config(
        cls, data: pd.DataFrame, spec: ModelSpec, model_cfg: dict | None, weights=None, file=None
    ) -> PLSResult:
        """:func:`fit_pls` with the options of config ``model.pls``; lavaan-syntax features
        only CB-SEM estimates (labels, fixed values, ``:=``, residual covariances …) are
        refused."""
        if spec.cbsem_only:
            raise ConfigError(
                f"model.syntax uses {', '.join(spec.cbsem_only)}, which PLS path modelling does "
                "not estimate; use model.estimator: cbsem (or drop them)",
                key="model.syntax",
            )
        pcfg = dict((model_cfg or {}).get("pls") or {})
        return fit_pls(
            data,
            spec,
            weights=weights,
            scheme=pcfg.get("scheme", "path"),
            standardized=bool(pcfg.get("standardized", True)),
            tol=float(pcfg.get("tol", 1e-6)),
            maxiter=int(pcfg.get("maxiter", 100)),
            missing=pcfg.get("missing", "pairwise"),
            file=file,
        )


_EST_COLUMNS = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper"]


@limit_blas
def fit_pls(
    data: pd.DataFrame,
    spec: ModelSpec,
    weights: Any = None,
    *,
    scheme: str = "path",
    standardized: bool = True,
    tol: float = 1e-6,
    maxiter: int = 100,
    missing: str = "pairwise",
    file: str | None = None,
) -> PLSResult:
    """Fit a PLS path model (plspm / seminr algorithm) to ``data`` (items as columns).

    weights : survey weights (array, Series or the name of a column of ``data``); None = equal.
    scheme : inner weighting scheme (path, centroid, factorial); standardized: indicators
    scaled to unit (weighted) variance (plspm ``scaled=TRUE``). See the module docstring.
    """
    arr = _Arrays.from_spec(spec)
    X, keep, w = _rows_and_weights(data, spec, weights, missing, file)
    X, m, S, pair_min = _item_moments(X, w, missing)
    sd = _item_sds(spec, m, S, file)
    Rx = S / np.outer(sd, sd)
    Suse = Rx if standardized else S
    W3, iters, conv = pls_weights_from_cov(Suse[None], arr, scheme=scheme, tol=tol, maxiter=maxiter)
    W = W3[0]
    Y = X @ (W / sd[:, None]) if standardized else X @ W
    C = W.T @ Suse @ W
    R = C  # unit variances by construction
    Bm, r2 = inner_from_lvcor(R[None], arr)
    Bm, r2 = Bm[0], r2[0]
    T = total_effects(Bm)
    # cross-loadings: corr(x_i, Y_k) = cov / (sd_i * 1)
    cross = (Suse @ W) / np.sqrt(np.diag(Suse))[:, None]
    lv, items = arr.constructs, arr.items
    est = _estimates_table(spec, arr, cross, Bm)
    effects = _effects_table(lv, Bm, T)
    ow = _outer_weights_table(arr, W, sd, cross, standardized)
    scores = pd.DataFrame(Y, columns=lv)
    gof = _gof(arr, cross, r2)
    adm = pls_admissibility(ow, bool(conv[0]), int(iters[0]), maxiter, Rx, R)
    return PLSResult(
        spec=spec,
        estimates=est,
        r2=pd.Series(r2, index=lv, name="r2"),
        effects=effects,
        outer_weights=ow,
        scores=scores,
        admissibility=adm,
        loadings=pd.DataFrame(cross, index=items, columns=lv),
        lv_cor=pd.DataFrame(R, index=lv, columns=lv),
        item_cor=pd.DataFrame(Rx, index=items, columns=items),
        means=pd.Series(m, index=items),
        sds=pd.Series(sd, index=items),
        n=int(X.shape[0]),
        iterations=int(iters[0]),
        converged=bool(conv[0]),
        scheme=scheme,
        standardized=standardized,
        weighted=w is not None,
        rows_used=keep,
        info={
            "tol": tol,
            "maxiter": maxiter,
            "missing": missing,
            "n_dropped": int((~keep).sum()),
            "min_pairwise_n": pair_min,
            "gof": gof,
        },
    )


def _rows_and_weights(
    data: pd.DataFrame, spec: ModelSpec, weights: Any, missing: str, file: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The items of the rows used (:func:`prepare_data`), the row mask and their weights."""
    if isinstance(weights, str):
        if weights not in data.columns:
            raise InputError("weight column is missing", file=file, column=weights)
        weights = data[weights].to_numpy(dtype=float)
    X, keep = prepare_data(data, spec, missing=missing, file=file)
    w = None
    if weights is not None:
        w = _check_weights(weights, len(keep))[keep]
        if w.sum() <= 0:
            raise InputError("the weights of the rows used sum to zero", file=file)
    return X, keep, w


def _item_moments(
    X: np.ndarray, w: np.ndarray | None, missing: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centred item scores, weighted means and covariances (pairwise with unanswered items: an
    unanswered item scores at its mean) and the smallest pairwise number of rows."""
    if missing == "pairwise" and np.isnan(X).any():
        answered = (~np.isnan(X)).astype(float)
        pair_min = float((answered.T @ answered).min())
        m, S = pairwise_moments(X, w)
        X = np.nan_to_num(X - m)  # scores: an unanswered item counts at its mean
    else:
        m, S = weighted_moments(X, w, center_in_place=True)  # X is centred from here on
        pair_min = float(X.shape[0])
    return X, m, S, pair_min


def _item_sds(spec: ModelSpec, m: np.ndarray, S: np.ndarray, file: str | None) -> np.ndarray:
    """Item standard deviations; a constant item (SD ~ 0) is refused."""
    sd = np.sqrt(np.diag(S))
    const = [spec.items[j] for j in np.flatnonzero(sd <= 1e-12 * np.maximum(1.0, np.abs(m)))]
    if const:
        raise InputError(
            f"item(s) {', '.join(const)} take a single value in the rows used; a constant item "
            "cannot measure a construct",
            file=file,
            column=const[0],
        )
    return sd


def _estimates_table(
    spec: ModelSpec, arr: ModelArrays, cross: np.ndarray, Bm: np.ndarray
) -> pd.DataFrame:
    """Loadings (own-construct correlations) and path coefficients, in the estimates layout."""
    lv, items = arr.constructs, arr.items
    rows = []
    for j, it in enumerate(items):
        k = arr.block[j]
        rows.append((lv[k], "=~", it, cross[j, k]))
    for a, b in spec.paths:
        rows.append((b, "~", a, Bm[lv.index(b), lv.index(a)]))
    est = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est"])
    for c in _EST_COLUMNS[4:]:
        est[c] = np.nan
    return est[_EST_COLUMNS]


def _effects_table(lv: list[str], Bm: np.ndarray, T: np.ndarray) -> pd.DataFrame:
    """Direct, indirect (total - direct) and total effects of every linked pair."""
    eff = []
    for i, frm in enumerate(lv):
        for j, to in enumerate(lv):
            if i != j and T[j, i] != 0:
                eff.append((frm, to, Bm[j, i], T[j, i] - Bm[j, i], T[j, i]))
    return pd.DataFrame(eff, columns=["from", "to", "direct", "indirect", "total"])


def _outer_weights_table(
    arr: ModelArrays, W: np.ndarray, sd: np.ndarray, cross: np.ndarray, standardized: bool
) -> pd.DataFrame:
    """Outer weights (standardized and on the raw item scale), loadings and modes per item."""
    lv, items = arr.constructs, arr.items
    wr = W / (sd[:, None] if standardized else 1.0)
    return pd.DataFrame(
        {
            "construct": [lv[k] for k in arr.block],
            "item": items,
            "weight": W[np.arange(len(items)), arr.block],
            "weight_raw": wr[np.arange(len(items)), arr.block],
            "loading": cross[np.arange(len(items)), arr.block],
            "mode": [arr.modes[k] for k in arr.block],
        }
    )


def _gof(arr: ModelArrays, cross: np.ndarray, r2: np.ndarray) -> float:
    """GoF = sqrt(mean squared loading of multi-item blocks x mean R²) (NaN without one)."""
    lv, items = arr.constructs, arr.items
    multi = np.bincount(arr.block, minlength=len(lv))[arr.block] > 1
    load = cross[np.arange(len(items)), arr.block]
    return float(np.sqrt(np.mean(load[multi] ** 2) * np.nanmean(r2))) if multi.any() else np.nan


def pls_admissibility(
    outer_weights: pd.DataFrame,
    converged: bool,
    iterations: int,
    maxiter: int,
    item_cor: np.ndarray | None = None,
    lv_cor: np.ndarray | None = None,
) -> dict[str, Any]:
    """Plain-words admissibility of a PLS solution: non-convergence, negative outer weights
    (an item that lowers its own construct), loadings above 1 in absolute value, and item or
    construct correlation matrices that are not positive definite (possible with pairwise
    moments, or with collinear constructs)."""
    msgs = []
    neg = outer_weights.loc[outer_weights["weight"] < 0, ["construct", "item"]]
    big = outer_weights.loc[outer_weights["loading"].abs() > 1, ["construct", "item"]]
    if not converged:
        msgs.append(
            f"the PLS algorithm did not converge in {maxiter} iterations; the estimates are "
            "those of the last iteration and should not be used"
        )
    for r in neg.itertuples():
        msgs.append(
            f"item {r.item} has a negative outer weight on {r.construct}: a higher answer "
            "lowers the construct score (check reverse coding or drop the item)"
        )
    for r in big.itertuples():
        msgs.append(f"item {r.item} has a loading above 1 in absolute value on {r.construct}")
    not_pd = []
    for name, M in (("item", item_cor), ("construct", lv_cor)):
        if M is not None and np.linalg.eigvalsh(M).min() <= 1e-10:
            not_pd.append(name)
            msgs.append(
                f"the {name} correlation matrix is not positive definite"
                + (
                    " (pairwise moments from a patchy missing-data pattern; try "
                    "model.pls.missing: listwise)"
                    if name == "item"
                    else " (a construct is a linear combination of others)"
                )
            )
    return {
        "estimator": "pls",
        "converged": bool(converged),
        "iterations": int(iterations),
        "negative_outer_weights": [f"{r.construct}:{r.item}" for r in neg.itertuples()],
        "loadings_above_1": [f"{r.construct}:{r.item}" for r in big.itertuples()],
        "not_positive_definite": not_pd,
        "admissible": not msgs,
        "messages": msgs,
    }
