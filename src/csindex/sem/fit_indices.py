"""Fit indices of a covariance-structure model, computed as lavaan 0.6 computes them (ML,
normal likelihood: the sample covariance uses divisor N, chi-square = N * F_ML).

F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p.  Baseline model: independent observed
variables, Sigma_0 = diag(S), df_0 = p(p-1)/2.

* CFI = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_0 - df_0, 0)
* TLI = (chi2_0/df_0 - chi2/df) / (chi2_0/df_0 - 1)
* RMSEA = sqrt(max(chi2/N/df - 1/N, 0)); 90% CI from the noncentral chi-square
  (lambda with P(chi2; df, lambda) = 0.95 and 0.05); p-value of close fit (RMSEA <= 0.05).
* SRMR (Bentler): root mean square of (s_ij - sigma_ij) / sqrt(s_ii s_jj) over i <= j.
* loglik = -N/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1)); AIC = -2 loglik + 2 npar;
  BIC = -2 loglik + npar log N.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats


def f_ml(S: np.ndarray, Sigma: np.ndarray) -> float:
    """ML discrepancy log|Sigma| + tr(S Sigma^-1) - log|S| - p (inf when Sigma is not PD)."""
    p = S.shape[0]
    sign, logdet = np.linalg.slogdet(Sigma)
    if sign <= 0:
        return float("inf")
    _, logdet_s = np.linalg.slogdet(S)
    return float(logdet + np.trace(np.linalg.solve(Sigma, S)) - logdet_s - p)


def rmsea_ci(chisq: float, df: float, n: float) -> tuple[float, float]:
    """90% CI of RMSEA as lavaan: roots in lambda of pchisq(X2, df, ncp=lambda) = 0.95 / 0.05."""
    if df <= 0 or not np.isfinite(chisq):
        return float("nan"), float("nan")

    def cdf(lam: float) -> float:
        return (
            float(stats.chi2.cdf(chisq, df)) if lam <= 0 else float(stats.ncx2.cdf(chisq, df, lam))
        )

    def root(target: float) -> float:
        f = lambda lam: cdf(lam) - target  # noqa: E731
        if f(0.0) < 0:
            return 0.0
        hi = max(chisq, 1.0)
        while f(hi) > 0:
            hi *= 2.0
        return optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500)

    lo = root(0.95)
    up = root(0.05)
    return float(np.sqrt(lo / (n * df))), float(np.sqrt(up / (n * df)))


def fit_indices(S: np.ndarray, Sigma: np.ndarray, n: float, npar: int) -> dict[str, float]:
    """lavaan's fit measures from the sample (divisor N) and model-implied covariance matrices.

    ``npar`` is the number of free parameters; df = p(p+1)/2 - npar (no mean structure).
    """
    S = np.asarray(S, dtype=float)
    Sigma = np.asarray(Sigma, dtype=float)
    p = S.shape[0]
    pstar = p * (p + 1) // 2
    df = pstar - npar
    fmin = f_ml(S, Sigma)
    chisq = n * fmin
    d = np.diag(S)
    _, logdet_s = np.linalg.slogdet(S)
    chisq0 = n * float(np.sum(np.log(d)) - logdet_s)
    df0 = pstar - p
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    num = max(chisq - df, 0.0)
    den = max(chisq - df, chisq0 - df0, 0.0)
    cfi = 1.0 - num / den if den > 0 else 1.0
    tli = (chisq0 / df0 - chisq / df) / (chisq0 / df0 - 1.0) if df > 0 else float("nan")
    rmsea = float(np.sqrt(max(chisq / n / df - 1.0 / n, 0.0))) if df > 0 else float("nan")
    lo, up = rmsea_ci(chisq, df, n)
    rmsea_p = float(stats.ncx2.sf(chisq, df, n * df * 0.05**2)) if df > 0 else float("nan")
    sd = np.sqrt(d)
    resid = (S - Sigma) / np.outer(sd, sd)
    iu = np.triu_indices(p)
    srmr = float(np.sqrt(np.mean(resid[iu] ** 2)))
    sign, logdet = np.linalg.slogdet(Sigma)
    loglik = -0.5 * n * (p * np.log(2 * np.pi) + logdet + np.trace(np.linalg.solve(Sigma, S)))
    return {
        "chisq": float(chisq),
        "df": float(df),
        "pvalue": pvalue,
        "baseline_chisq": float(chisq0),
        "baseline_df": float(df0),
        "cfi": float(cfi),
        "tli": float(tli),
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": up,
        "rmsea_pvalue": rmsea_p,
        "srmr": srmr,
        "aic": float(-2 * loglik + 2 * npar),
        "bic": float(-2 * loglik + npar * np.log(n)),
        "loglik": float(loglik),
        "npar": float(npar),
        "n": float(n),
        "fmin": float(fmin / 2.0),
    }


_rmsea_ci = rmsea_ci  # old private name
