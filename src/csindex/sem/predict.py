"""Out-of-sample prediction (PLSpredict) and effect sizes of a PLS path model.

PLSpredict (Shmueli, Ray, Velasquez Estrada & Chatla 2016; Shmueli et al. 2019, Eur. J.
Marketing 53(11)): k-fold cross-validation (rows shuffled by ``seed``). In every fold the model
is fitted on the training rows; for the holdout rows

* the exogenous constructs' scores come from their items (training means, SDs and weights);
* endogenous construct scores are predicted through the structural model from the exogenous
  ones (earliest antecedents: Y_endo = T_exo->endo Y_exo with the total effects T);
* every item of an endogenous construct is predicted as mean + sd * loading * predicted score;
* the linear-model benchmark (LM) regresses each such item on all items of the exogenous
  constructs (OLS on the training rows).

Per item: RMSE and MAE of PLS and LM, and Q²_predict = 1 - SSE_PLS / SSE_naive with the naive
prediction the training mean. Per endogenous construct: Q²_predict of its (holdout) composite
score, and the items' mean RMSE / MAE.

Effect size f² of a path (Cohen 1988; as seminr and SmartPLS): f² = (R²_incl - R²_excl) /
(1 - R²_incl), R²_excl from the model re-estimated without the path. Adjusted R²:
:func:`csindex.sem.plsc.adjusted_r2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .pls import fit_pls, total_effects
from .spec import ModelSpec


def f_squared(
    data: pd.DataFrame, spec: ModelSpec, weights: Any = None, **pls_options
) -> pd.DataFrame:
    """f² of every path: the model fitted to ``data`` with and without each path (module
    docstring). Columns: from, to, r2_included, r2_excluded, f2."""
    full = fit_pls(data, spec, weights, **pls_options)
    rows = []
    for a, b in spec.paths:
        r2_in = float(full.r2[b])
        rest = [p for p in spec.paths if p != (a, b)]
        if any(t == b for _, t in rest):
            # constructs left without any path drop out (as seminr's fSquared)
            linked = {c for p in rest for c in p}
            reduced = ModelSpec(
                blocks={c: v for c, v in spec.blocks.items() if c in linked},
                paths=rest,
                modes={c: m for c, m in spec.modes.items() if c in linked},
                name=spec.name,
            )
            r2_out = float(fit_pls(data, reduced, weights, **pls_options).r2[b])
        else:
            r2_out = 0.0
        rows.append((a, b, r2_in, r2_out, (r2_in - r2_out) / (1 - r2_in)))
    return pd.DataFrame(rows, columns=["from", "to", "r2_included", "r2_excluded", "f2"])


@dataclass
class PLSPredictResult:
    """PLSpredict tables: ``items`` (construct, item, rmse_pls, mae_pls, rmse_lm, mae_lm,
    q2_predict, pls_beats_lm_rmse) and ``constructs`` (construct, q2_predict, rmse_pls,
    mae_pls, rmse_lm, mae_lm), with the folds and seed used."""

    items: pd.DataFrame
    constructs: pd.DataFrame
    folds: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        return self.items.copy()

    def summary(self) -> str:
        f = lambda v: f"{v:.4f}"  # noqa: E731
        return (
            f"PLSpredict ({self.folds}-fold, seed {self.seed})\n"
            + self.items.to_string(index=False, float_format=f)
            + "\n\n"
            + self.constructs.to_string(index=False, float_format=f)
        )


def pls_predict(
    data: pd.DataFrame,
    spec: ModelSpec,
    *,
    folds: int = 10,
    seed: int = 0,
    **pls_options,
) -> PLSPredictResult:
    """PLSpredict by ``folds``-fold cross-validation (module docstring); complete rows only."""
    if folds < 2:
        raise ConfigError(f"{folds} folds not allowed; allowed: at least 2", key="predict.folds")
    spec.validate(columns=data.columns)
    X = data[spec.items].apply(pd.to_numeric, errors="coerce")
    X = X[X.notna().all(axis=1)].reset_index(drop=True)
    n = len(X)
    if n < 2 * folds:
        raise ConfigError(f"{n} complete rows are too few for {folds} folds", key="predict.folds")
    rng = np.random.default_rng(seed)
    fold = np.empty(n, dtype=int)
    fold[rng.permutation(n)] = np.arange(n) % folds
    pr = _Predictions.empty(spec, n)
    Xa = X.to_numpy(float)
    for f in range(folds):
        tr, te = fold != f, fold == f
        fit = fit_pls(X[tr], spec, **pls_options)
        _predict_fold(pr, spec, fit, Xa, tr, te)
    items, constructs = _prediction_tables(spec, pr, Xa)
    return PLSPredictResult(items=items, constructs=constructs, folds=folds, seed=seed)


@dataclass
class _Predictions:
    """Holdout predictions of every row: endogenous items (PLS, LM, naive) and endogenous
    construct scores (from their items, predicted, naive)."""

    endo_items: list[str]
    pred_pls: np.ndarray
    pred_lm: np.ndarray
    pred_naive: np.ndarray
    score_true: np.ndarray
    score_pred: np.ndarray
    score_naive: np.ndarray

    @classmethod
    def empty(cls, spec: ModelSpec, n: int) -> _Predictions:
        endo = spec.endogenous
        endo_items = [i for c in endo for i in spec.blocks[c]]
        k = len(endo_items)
        return cls(
            endo_items,
            np.zeros((n, k)),
            np.zeros((n, k)),
            np.zeros((n, k)),
            np.zeros((n, len(endo))),
            np.zeros((n, len(endo))),
            np.zeros((n, len(endo))),
        )


def _predict_fold(pr: _Predictions, spec: ModelSpec, fit, Xa: np.ndarray, tr, te) -> None:
    """Predictions for the holdout rows ``te`` from the fit on the training rows ``tr``:
    Y_endo = T_exo->endo Y_exo, items mean + sd * loading * score, and the LM benchmark."""
    exo, endo, cons = spec.exogenous, spec.endogenous, spec.constructs
    exo_items = [i for c in exo for i in spec.blocks[c]]
    pos = {x: k for k, x in enumerate(spec.items)}
    ei = [pos[i] for i in pr.endo_items]
    xi = [pos[i] for i in exo_items]
    m = fit.means.loc[spec.items].to_numpy()
    sd = fit.sds.loc[spec.items].to_numpy()
    ow = fit.outer_weights.set_index("item")
    Z = (Xa[te] - m) / sd
    Ztr = (Xa[tr] - m) / sd
    W = np.zeros((len(spec.items), len(cons)))
    for it, r in ow.iterrows():
        W[pos[it], cons.index(r["construct"])] = r["weight"]
    Y = Z @ W  # holdout composites (training weights)
    Ytr = Ztr @ W
    B = np.zeros((len(cons), len(cons)))
    est = fit.estimates[fit.estimates.op == "~"]
    for r in est.itertuples():
        B[cons.index(r.lhs), cons.index(r.rhs)] = r.est
    T = total_effects(B)
    ix = [cons.index(c) for c in exo]
    ie = [cons.index(c) for c in endo]
    Yhat = Y[:, ix] @ T[np.ix_(ie, ix)].T
    pr.score_true[te] = Y[:, ie]
    pr.score_pred[te] = Yhat
    pr.score_naive[te] = Ytr[:, ie].mean(axis=0)
    lam = fit.estimates[fit.estimates.op == "=~"].set_index("rhs")["est"]
    for k, it in enumerate(pr.endo_items):
        c = ie.index(cons.index(spec.construct_of(it)))
        pr.pred_pls[te, k] = m[pos[it]] + sd[pos[it]] * lam[it] * Yhat[:, c]
    # LM benchmark: each endogenous item on all exogenous items
    A = np.column_stack([np.ones(tr.sum()), Xa[tr][:, xi]])
    coef, *_ = np.linalg.lstsq(A, Xa[tr][:, ei], rcond=None)
    pr.pred_lm[te] = np.column_stack([np.ones(te.sum()), Xa[te][:, xi]]) @ coef
    pr.pred_naive[te] = Xa[tr][:, ei].mean(axis=0)


def _prediction_tables(
    spec: ModelSpec, pr: _Predictions, Xa: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per item RMSE, MAE (PLS, LM) and Q²_predict = 1 - SSE_PLS / SSE_naive; per construct
    Q²_predict of its score and the items' mean RMSE / MAE."""
    endo_items = pr.endo_items
    pos = {x: k for k, x in enumerate(spec.items)}
    y = Xa[:, [pos[i] for i in endo_items]]
    e_pls, e_lm = y - pr.pred_pls, y - pr.pred_lm
    items = pd.DataFrame(
        {
            "construct": [spec.construct_of(i) for i in endo_items],
            "item": endo_items,
            "rmse_pls": np.sqrt(np.mean(e_pls**2, axis=0)),
            "mae_pls": np.mean(np.abs(e_pls), axis=0),
            "rmse_lm": np.sqrt(np.mean(e_lm**2, axis=0)),
            "mae_lm": np.mean(np.abs(e_lm), axis=0),
            "q2_predict": 1 - np.sum(e_pls**2, axis=0) / np.sum((y - pr.pred_naive) ** 2, axis=0),
        }
    )
    items["pls_beats_lm_rmse"] = items["rmse_pls"] < items["rmse_lm"]
    q2c = 1 - np.sum((pr.score_true - pr.score_pred) ** 2, axis=0) / np.sum(
        (pr.score_true - pr.score_naive) ** 2, axis=0
    )
    agg = items.groupby("construct", sort=False)[
        ["rmse_pls", "mae_pls", "rmse_lm", "mae_lm"]
    ].mean()
    constructs = pd.DataFrame({"construct": spec.endogenous, "q2_predict": q2c}).merge(
        agg, left_on="construct", right_index=True
    )
    return items, constructs
