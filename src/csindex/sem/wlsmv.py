"""WLSMV: the structural equation model for ordinal items, as lavaan's ``estimator = "WLSMV"``.

Sample statistics (thresholds, polychoric correlations, their NACOV Gamma) come from
:func:`csindex.sem.ordinal.ordinal_stats`. Model (delta parameterization, marker-variable
identification, no covariates): latent responses y* = Lambda eta + eps with Var(y*) = 1,
eta = B eta + zeta, Cov(zeta) = Psi, so

    Phi = (I - B)^-1 Psi (I - B)^-T,   P(theta) = offdiag(Lambda Phi Lambda' + Theta_offdiag),

thresholds free (one parameter per sample threshold). A construct with a single item is that
item's latent response (loading 1, total variance fixed to 1: lavaan's phantom variable for an
observed ordinal variable in a regression).

* DWLS: minimise F = (s - sigma)' W (s - sigma), W = diag(1 / diag Gamma) (Gauss-Newton);
* robust SEs (lavaan ``se = "robust.sem"``): Cov = E^-1 Delta' W Gamma W Delta E^-1 / N with
  E = Delta' W Delta, Delta = d sigma / d theta (complex-step derivatives, exact to rounding);
* chi-square T = N F; scaled-shifted test (Asparouhov & Muthén 2010; lavaan
  ``scaled.shifted``): U = W - W Delta E^-1 Delta' W, a = sqrt(df / tr((U Gamma)^2)),
  b = df - a tr(U Gamma), T_ss = a T + b on df degrees of freedom (scaling factor 1/a);
* baseline: thresholds free, correlations 0; CFI/TLI/RMSEA ".scaled" plug the scaled-shifted
  statistics of model and baseline into the usual formulas (RMSEA = sqrt(max(T/(N df) - 1/N, 0)));
* SRMR: sqrt(sum_{i<j} (r_ij - rhat_ij)^2 / (p (p + 1) / 2)) (lavaan's srmr_bentler_nomean).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError
from .ordinal import OrdinalStats, ordinal_stats
from .spec import ModelSpec
from .wlsmv_model import WLSMVModel


@dataclass(frozen=True)
class WLSMVOptions:
    """Options of :func:`fit_wlsmv`.

    ordered : the ordinal items (None = every item of the model). Every item of the model must be
        ordinal (mixed continuous/ordinal models are not supported).
    tol : convergence: largest Gauss-Newton step.
    max_iter : most Gauss-Newton iterations.
    """

    ordered: Sequence[str] | None = None
    tol: float = 1e-11
    max_iter: int = 500


@dataclass
class WLSMVResults:
    """A WLSMV fit: parameter table, fit measures, sample statistics.

    ``estimates`` columns: lhs, op, rhs, est, se, z, pvalue, free, std_all (lavaan's
    parameterEstimates names; thresholds as ``item | t1``).
    """

    spec: ModelSpec
    estimates: pd.DataFrame
    fit: dict[str, float]
    sample: OrdinalStats
    implied: np.ndarray
    phi: np.ndarray
    converged: bool
    iterations: int
    r2: dict[str, float] = field(default_factory=dict)

    # what the stages ask of the estimator (csindex.sem.estimators.fit_class)
    estimator = "wlsmv"
    refits_in_replicates = False
    """Replicate SEs of the index hold the factor-score weights fixed."""
    weights_from_moments = False

    @classmethod
    def missing_rule(cls, model_cfg: dict | None) -> str:
        """The rows the index uses: complete rows."""
        return "listwise"

    @classmethod
    def fit_from_config(
        cls, data: pd.DataFrame, spec: ModelSpec, model_cfg: dict | None, weights=None, file=None
    ) -> WLSMVResults:
        """:func:`fit_wlsmv` with the options of config ``model`` (``ordered``); weights that
        carry information are refused (:func:`check_weights`)."""
        check_weights(weights)
        return fit_wlsmv(data, spec, wlsmv_options(model_cfg), file=file)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table."""
        return self.estimates.copy()

    def summary(self) -> str:
        """Plain-text summary: test statistics, fit indices, parameter table."""
        f = self.fit
        lines = [
            f"WLSMV (DWLS, robust SEs, scaled-shifted test): N = {self.sample.n}, "
            f"converged = {self.converged} in {self.iterations} iterations",
            f"chisq = {f['chisq']:.3f}, df = {f['df']:.0f}; scaled-shifted chisq = "
            f"{f['chisq_scaled']:.3f} (p = {f['pvalue_scaled']:.4g})",
            f"CFI.scaled = {f['cfi_scaled']:.4f}, TLI.scaled = {f['tli_scaled']:.4f}, "
            f"RMSEA.scaled = {f['rmsea_scaled']:.4f}, SRMR = {f['srmr']:.4f}",
            "",
            self.estimates.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines)

    def summary_html(self) -> str:
        """HTML summary (the parameter table)."""
        return self.estimates.to_html(index=False, float_format=lambda v: f"{v:.4f}")


def _ordered_items(spec: ModelSpec, ordered: Sequence[str] | None) -> list[str]:
    if ordered is None:
        return spec.items
    ordered = [str(x) for x in ordered]
    unknown = [x for x in ordered if x not in spec.items]
    if unknown:
        raise ConfigError(
            f"ordered item(s) {', '.join(unknown)} are not items of the model; allowed: "
            f"{', '.join(spec.items)}",
            key="model.ordered",
        )
    missing = [x for x in spec.items if x not in ordered]
    if missing:
        raise ConfigError(
            f"item(s) {', '.join(missing)} are not ordered; WLSMV here needs every item of the "
            "model ordinal (use ordered: all)",
            key="model.ordered",
        )
    return spec.items


def fit_wlsmv(
    data: pd.DataFrame,
    spec: ModelSpec,
    options: WLSMVOptions | None = None,
    *,
    file: str | None = None,
) -> WLSMVResults:
    """Fit ``spec`` to the ordinal items of ``data`` by WLSMV (module docstring)."""
    options = options or WLSMVOptions()
    spec.validate(columns=data.columns)
    items = _ordered_items(spec, options.ordered)
    st = ordinal_stats(data, items, file=file)
    mod = WLSMVModel(spec, st)
    theta, converged, it = _dwls(mod, st, options)
    nth = mod.nth
    # full parameter vector: thresholds then structural parameters
    tau = st.stats[:nth]
    se, fit = _robust_inference(mod, st, theta)
    Lam, B, Psi, Phi, Th = mod.matrices(theta)
    implied = Lam @ Phi @ Lam.T + Th
    np.fill_diagonal(implied, 1.0)
    fit["srmr"] = _srmr(st.polychoric, implied)
    est = _table(mod, st, theta, se[nth:], tau, se[:nth], Lam, B, Psi, Phi)
    r2 = {
        c: float(1 - Psi[mod.ci[c], mod.ci[c]] / Phi[mod.ci[c], mod.ci[c]]) for c in spec.endogenous
    }
    return WLSMVResults(
        spec=spec,
        estimates=est,
        fit=fit,
        sample=st,
        implied=implied,
        phi=Phi,
        converged=converged,
        iterations=it,
        r2=r2,
    )


def _dwls(mod: WLSMVModel, st: OrdinalStats, options: WLSMVOptions) -> tuple[np.ndarray, bool, int]:
    """Minimise F = (s - sigma)' W (s - sigma), W = diag(1 / diag Gamma), over the correlations
    by Gauss-Newton with Levenberg-Marquardt damping; returns theta, converged, iterations."""
    nth = mod.nth
    wd = 1.0 / np.diag(st.nacov)
    s_cor = st.stats[nth:]
    w_cor = wd[nth:]
    theta = mod.start(st.polychoric)

    def fval(t):
        r = s_cor - mod.sigma_cor(t)
        return float(np.sum(w_cor * r * r))

    f = fval(theta)
    converged = False
    it = 0
    lam = 1e-3  # Levenberg-Marquardt damping: Gauss-Newton once close
    while it < options.max_iter:
        it += 1
        J = mod.jacobian(theta)
        r = s_cor - mod.sigma_cor(theta)
        E = J.T @ (w_cor[:, None] * J)
        g = J.T @ (w_cor * r)
        d = np.diag(E) + 1e-12
        while True:
            step = np.linalg.solve(E + lam * np.diag(d), g)
            t_new = theta + step
            f_new = fval(t_new)
            if np.isfinite(f_new) and f_new <= f + 1e-14 * max(1.0, abs(f)):
                lam = max(lam / 10, 1e-12)
                break
            lam *= 10
            if lam > 1e12:
                break
        if lam > 1e12:
            break
        theta, f = t_new, f_new
        if np.max(np.abs(step)) < options.tol:
            converged = True
            break
    return theta, converged, it


def _robust_inference(
    mod: WLSMVModel, st: OrdinalStats, theta: np.ndarray
) -> tuple[np.ndarray, dict[str, float]]:
    """Robust SEs (thresholds then structural parameters), Cov = E^-1 Delta' W Gamma W Delta
    E^-1 / N with E = Delta' W Delta, and the fit measures (:func:`_fit_measures`)."""
    nth = mod.nth
    n = st.n
    gamma = st.nacov
    wd = 1.0 / np.diag(gamma)
    tau = st.stats[:nth]
    # lavaan holds the variances of single-item constructs (phantom variables) fixed at their
    # current values when it differentiates; so do the SEs and the scaled test here
    psi_now = np.diag(mod.matrices(theta)[2]).copy()
    J = mod.jacobian(theta, psi_now)
    k = len(st.stats)
    delta = np.zeros((k, nth + mod.q))
    delta[:nth, :nth] = np.eye(nth)
    delta[nth:, nth:] = J
    resid = st.stats - np.concatenate([tau, mod.sigma_cor(theta)])
    WD = wd[:, None] * delta
    E = delta.T @ WD
    E_inv = np.linalg.inv(E)
    meat = WD.T @ gamma @ WD
    vcov = E_inv @ meat @ E_inv / (n - 1)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    fit = _fit_measures(st, resid, delta, wd, E_inv, gamma, n, nth + mod.q)
    return se, fit


def _scaled_shifted(T, df, delta, wd, E_inv, gamma):
    """Scaled-shifted statistic: (stat, a, b, tr U Gamma, tr (U Gamma)^2)."""
    WD = wd[:, None] * delta
    U = np.diag(wd) - WD @ E_inv @ WD.T
    UG = U @ gamma
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    return a * T + b, a, b, tr1, tr2


def _fit_measures(st, resid, delta, wd, E_inv, gamma, n, npar) -> dict[str, float]:
    k = len(st.stats)
    nth = st.n_thresholds
    df = float(k - npar)
    T = float((n - 1) * np.sum(wd * resid * resid))
    Ts, a, b, _, _ = _scaled_shifted(T, df, delta, wd, E_inv, gamma)
    # baseline: thresholds free, correlations zero
    d0 = np.zeros((k, nth))
    d0[:nth, :nth] = np.eye(nth)
    r0 = np.concatenate([np.zeros(nth), st.stats[nth:]])
    T0 = float((n - 1) * np.sum(wd * r0 * r0))
    df0 = float(k - nth)
    E0_inv = np.linalg.inv(d0.T @ (wd[:, None] * d0))
    T0s, _, _, _, _ = _scaled_shifted(T0, df0, d0, wd, E0_inv, gamma)
    out = {
        "ntotal": float(n),
        "npar": float(npar),
        "chisq": T,
        "df": df,
        "pvalue": float(stats.chi2.sf(T, df)) if df > 0 else float("nan"),
        "chisq_scaled": float(Ts),
        "df_scaled": df,
        "pvalue_scaled": float(stats.chi2.sf(Ts, df)) if df > 0 else float("nan"),
        "chisq_scaling_factor": float(1 / a),
        "chisq_shift_parameter": float(b),
        "baseline_chisq": T0,
        "baseline_df": df0,
        "baseline_chisq_scaled": float(T0s),
        "baseline_df_scaled": df0,
        "cfi": _cfi(T, df, T0, df0),
        "tli": _tli(T, df, T0, df0),
        "rmsea": _rmsea(T, df, n - 1),
        "cfi_scaled": _cfi(Ts, df, T0s, df0),
        "tli_scaled": _tli(Ts, df, T0s, df0),
        "rmsea_scaled": _rmsea(Ts, df, n - 1),
    }
    return out


def _cfi(x2, df, x20, df0):
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x20 - df0, 0.0)
    return 1.0 if t2 == 0 else float(1 - t1 / t2)


def _tli(x2, df, x20, df0):
    t1 = (x2 - df) * df0
    t2 = (x20 - df0) * df
    return float(1 - t1 / t2) if df > 0 and abs(t2) > 0 else 1.0


def _rmsea(x2, df, n):
    return float(np.sqrt(max(x2 / n / df - 1.0 / n, 0.0))) if df > 0 else 0.0


def _srmr(R: np.ndarray, implied: np.ndarray) -> float:
    p = R.shape[0]
    lo = np.tril_indices(p, -1)
    return float(np.sqrt(np.sum((R[lo] - implied[lo]) ** 2) / (p * (p + 1) / 2)))


def _table(mod: WLSMVModel, st: OrdinalStats, theta, se, tau, se_tau, Lam, B, Psi, Phi):
    rows: list[dict[str, Any]] = []
    sd = np.sqrt(np.abs(np.diag(Phi)))
    cons = mod.cons
    for c, its in mod.spec.blocks.items():
        rows.append({"lhs": c, "op": "=~", "rhs": its[0], "est": 1.0, "se": np.nan, "free": False})
    for v, s, pr in zip(theta, se, mod.pars, strict=True):
        rows.append(
            {
                "lhs": pr.lhs,
                "op": pr.op,
                "rhs": pr.rhs,
                "est": float(v),
                "se": float(s),
                "free": True,
            }
        )
    for c in mod.topo:
        k = mod.ci[c]
        rows.append(
            {"lhs": c, "op": "~~", "rhs": c, "est": float(Psi[k, k]), "se": np.nan, "free": False}
        )
    k = 0
    for x, th in zip(st.items, st.thresholds, strict=True):
        for t in range(len(th)):
            rows.append(
                {
                    "lhs": x,
                    "op": "|",
                    "rhs": f"t{t + 1}",
                    "est": float(tau[k]),
                    "se": float(se_tau[k]),
                    "free": True,
                }
            )
            k += 1
    expl = np.diag(Lam @ Phi @ Lam.T)
    for i, x in enumerate(mod.items):
        rows.append(
            {"lhs": x, "op": "~~", "rhs": x, "est": float(1 - expl[i]), "se": np.nan, "free": False}
        )
    df = pd.DataFrame(rows)
    df["z"] = df["est"] / df["se"]
    df["pvalue"] = 2 * stats.norm.sf(np.abs(df["z"]))
    # standardized (std.all): Var(y*) = 1
    std = []
    for r in df.itertuples():
        if r.op == "=~":
            std.append(r.est * sd[cons.index(r.lhs)])
        elif r.op == "~":
            std.append(r.est * sd[cons.index(r.rhs)] / sd[cons.index(r.lhs)])
        elif r.op == "~~" and r.lhs in mod.ci:
            std.append(r.est / (sd[mod.ci[r.lhs]] * sd[mod.ci[r.rhs]]))
        elif r.op == "~~":
            std.append(r.est)
        else:
            std.append(r.est)
    df["std_all"] = std
    return df[["lhs", "op", "rhs", "est", "se", "z", "pvalue", "free", "std_all"]]


# --------------------------------------------------------------------------- workflow tables
def wlsmv_options(model_cfg: dict | None) -> WLSMVOptions:
    """:class:`WLSMVOptions` from config section ``model`` (key ``ordered``: ``all`` or a list)."""
    ordered = (model_cfg or {}).get("ordered", "all")
    if ordered in (None, "all"):
        return WLSMVOptions()
    if isinstance(ordered, str) or not isinstance(ordered, Sequence):
        raise ConfigError(
            f"{ordered!r} not allowed; allowed: all or a list of items", key="model.ordered"
        )
    return WLSMVOptions(ordered=[str(x) for x in ordered])


def check_weights(weights: np.ndarray | None) -> None:
    """WLSMV here is unweighted: survey weights that carry information are refused."""
    if weights is None:
        return
    w = np.asarray(weights, float)
    if len(w) and not np.allclose(w, w[0]):
        raise ConfigError(
            "estimator wlsmv does not take survey weights (the weights of this study are not all "
            "equal); allowed: an unweighted study, or estimator cbsem / pls",
            key="model.estimator",
        )


def wlsmv_tables(res: WLSMVResults, data: pd.DataFrame) -> dict[str, Any]:
    """The ``model/`` tables of a WLSMV fit in the layout of :mod:`csindex.sem.outputs`.

    Index weights: own-block factor-score weights on the latent-response (polychoric) scale,
    w_c = Sigma*_cc^-1 lambda_c (Sigma*_cc the model-implied correlations of the block), applied
    to the standardized item codes and scaled to unit-variance scores.
    """
    from .quality import measurement_quality

    spec = res.spec
    est = res.estimates
    z = _Z975
    table = est[["lhs", "op", "rhs", "est", "se", "z", "pvalue"]].copy()
    table["ci_lower"] = table["est"] - z * table["se"]
    table["ci_upper"] = table["est"] + z * table["se"]
    std = est[["lhs", "op", "rhs"]].assign(est_std=est["std_all"])
    effects = _effects(spec, est)
    resid = est[(est.op == "~~") & (est.lhs == est.rhs) & est.lhs.isin(spec.items)]
    r2 = _r2_table(res, resid)
    fs = _factor_scores(res, data)
    q = measurement_quality(
        spec, fs.item_cor, fs.cross, fs.outer_weights.set_index("item")["weight"], fs.lv_cor
    )
    adm = _admissibility(res, resid)
    return {
        "estimates": table,
        "standardized": std,
        "effects": effects,
        "r2": r2,
        "quality": q,
        "outer_weights": fs.outer_weights,
        "scores": fs.scores,
        "used": np.ones(len(data), dtype=bool),
        "fit": _fit_table(res),
        "admissibility": adm,
    }


def _effects(spec: ModelSpec, est: pd.DataFrame) -> pd.DataFrame:
    """Effects: direct B, total (I - B)^-1 - I, indirect = total - direct."""
    cons = spec.constructs
    m = len(cons)
    B = np.zeros((m, m))
    for r in est[est.op == "~"].itertuples():
        B[cons.index(r.lhs), cons.index(r.rhs)] = r.est
    T = np.linalg.inv(np.eye(m) - B) - np.eye(m)
    eff = [
        {
            "from": cons[j],
            "to": cons[i],
            "direct": B[i, j],
            "indirect": T[i, j] - B[i, j],
            "total": T[i, j],
        }
        for j in range(m)
        for i in range(m)
        if abs(T[i, j]) > 0 or B[i, j] != 0
    ]
    return pd.DataFrame(eff, columns=["from", "to", "direct", "indirect", "total"])


def _r2_table(res: WLSMVResults, resid: pd.DataFrame) -> pd.DataFrame:
    """R² of the constructs, then of the items (1 - residual variance of y*)."""
    return pd.concat(
        [
            pd.DataFrame(
                {"variable": list(res.r2), "kind": "construct", "r2": list(res.r2.values())}
            ),
            pd.DataFrame(
                {"variable": resid.lhs.to_numpy(), "kind": "item", "r2": 1 - resid.est.to_numpy()}
            ),
        ],
        ignore_index=True,
    )


@dataclass
class _FactorScores:
    """Own-block factor-score weights and what the quality measures need of them."""

    outer_weights: pd.DataFrame
    scores: pd.DataFrame
    cross: pd.DataFrame  # item-score correlations (items x constructs)
    lv_cor: pd.DataFrame
    item_cor: pd.DataFrame


def _factor_scores(res: WLSMVResults, data: pd.DataFrame) -> _FactorScores:
    """Own-block weights w_c = Sigma*_cc^-1 lambda_c on the standardized item codes, scaled to
    unit-variance scores; the outer-weights table and the scores' correlations."""
    spec = res.spec
    est = res.estimates
    cons = spec.constructs
    items = spec.items
    X = data[items].to_numpy(float)
    sdi = X.std(axis=0)
    Zs = (X - X.mean(axis=0)) / sdi
    pos = {x: k for k, x in enumerate(items)}
    lam = est[est.op == "=~"].set_index(["lhs", "rhs"])["est"]
    rows, scores = [], {}
    for c, its in spec.blocks.items():
        ix = [pos[x] for x in its]
        lc = np.array([lam[(c, x)] for x in its])
        w = np.linalg.solve(res.implied[np.ix_(ix, ix)], lc)
        s = Zs[:, ix] @ w
        sd = s.std()
        w, s = w / sd, s / sd
        scores[c] = s
        for k, x in enumerate(its):
            rows.append(
                {
                    "construct": c,
                    "item": x,
                    "weight": w[k],
                    "weight_raw": w[k] / sdi[ix[k]],
                    "loading_raw": lc[k],
                }
            )
    sc = pd.DataFrame(scores)[cons]
    allc = np.corrcoef(np.column_stack([X, sc.to_numpy()]).T)
    p = len(items)
    cross = pd.DataFrame(allc[:p, p:], index=items, columns=cons)
    lv_cor = pd.DataFrame(allc[p:, p:], index=cons, columns=cons)
    ow = pd.DataFrame(rows)
    ow["loading"] = [cross.loc[i, c] for c, i in zip(ow["construct"], ow["item"], strict=True)]
    ow["mode"] = "A"
    ow["weight_type"] = "WLSMV factor-score weights (latent-response scale)"
    ow = ow[
        [
            "construct",
            "item",
            "weight",
            "weight_raw",
            "loading",
            "loading_raw",
            "mode",
            "weight_type",
        ]
    ]
    item_cor = pd.DataFrame(np.corrcoef(X.T), index=items, columns=items)
    return _FactorScores(ow, sc, cross, lv_cor, item_cor)


def _admissibility(res: WLSMVResults, resid: pd.DataFrame) -> dict[str, Any]:
    """Converged and no negative construct or item residual variance."""
    est = res.estimates
    var = est[(est.op == "~~") & (est.lhs == est.rhs) & est.lhs.isin(res.spec.constructs)]
    negative = [f"{r.lhs} ~~ {r.rhs} = {r.est:.4g}" for r in var.itertuples() if r.est < 0]
    negative += [f"{r.lhs} ~~ {r.rhs} = {r.est:.4g}" for r in resid.itertuples() if r.est < 0]
    return {
        "estimator": "wlsmv",
        "converged": bool(res.converged),
        "negative_variances": negative,
        "admissible": bool(res.converged and not negative),
    }


def _fit_table(res: WLSMVResults) -> dict[str, Any]:
    """The fit measures with the estimator, SE and test descriptions."""
    fit = dict(res.fit)
    fit.update(
        {
            "estimator": "wlsmv",
            "se": "robust (DWLS sandwich, lavaan robust.sem); unweighted",
            "se_type": "robust.sem",
            "test": "scaled.shifted",
            "ordered": list(res.sample.items),
            "converged": bool(res.converged),
            "iterations": int(res.iterations),
        }
    )
    return fit


_Z975 = float(stats.norm.ppf(0.975))
