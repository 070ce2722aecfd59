"""Ordinal items: thresholds, polychoric correlations and their asymptotic covariance.

The three-stage estimator of Muthén (1984) as lavaan 0.6 computes it (``lav_samplestats_step1``,
``lav_bvord``, ``lav_muthen1984``), for ordinal items without covariates and complete data:

1. thresholds of item *i*: tau_ik = Phi^-1(P(y_i <= k)), k = 1..K_i - 1 (the univariate probit
   ML estimate);
2. polychoric correlation of items *i*, *j*: the rho maximising the bivariate likelihood
   sum_ab n_ab log pi_ab(rho) with the thresholds held at their stage-1 values (two-step),
   pi_ab = Phi2(tau_a, tau_b; rho) - ... over the cell's rectangle, on [-0.999, 0.999];
3. the asymptotic covariance of the stacked vector (thresholds | correlations): the sandwich
   W = B^-1 (S'S) B^-T from the casewise scores S of both stages, with the bread
   B = [[A11, 0], [A21, A22]] (A11 the per-item block-diagonal part of S'S over the thresholds,
   A21 = sum over cases of the correlation score times the bivariate likelihood's threshold
   scores, A22 = diag of the correlation scores' squares); NACOV (lavaan's Gamma) = N W.

Correlations are stacked as lavaan's ``vech(R, diagonal = FALSE)``: column by column below the
diagonal, (2,1), (3,1), ..., (p,1), (3,2), ...

The bivariate normal probabilities use Genz's (2004) BVND algorithm (as the pbivnorm package
lavaan calls), accurate to about 1e-15.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError

_BIG = 100.0  # lavaan's +-100 offsets for the open ends of the extreme categories

# Gauss-Legendre half-rules (6, 12 and 20 points) of Genz's BVND.
_GL_W = (
    np.array([0.1713244923791705, 0.3607615730481384, 0.4679139345726904]),
    np.array(
        [
            0.04717533638651177,
            0.1069393259953183,
            0.1600783285433464,
            0.2031674267230659,
            0.2334925365383547,
            0.2491470458134029,
        ]
    ),
    np.array(
        [
            0.01761400713915212,
            0.04060142980038694,
            0.06267204833410906,
            0.08327674157670475,
            0.1019301198172404,
            0.1181945319615184,
            0.1316886384491766,
            0.1420961093183821,
            0.1491729864726037,
            0.1527533871307259,
        ]
    ),
)
_GL_X = (
    np.array([0.9324695142031522, 0.6612093864662647, 0.2386191860831970]),
    np.array(
        [
            0.9815606342467191,
            0.9041172563704750,
            0.7699026741943050,
            0.5873179542866171,
            0.3678314989981802,
            0.1252334085114692,
        ]
    ),
    np.array(
        [
            0.9931285991850949,
            0.9639719272779138,
            0.9122344282513259,
            0.8391169718222188,
            0.7463319064601508,
            0.6360536807265150,
            0.5108670019508271,
            0.3737060887154196,
            0.2277858511416451,
            0.07652652113349733,
        ]
    ),
)


def _phi(x: np.ndarray) -> np.ndarray:
    return special.ndtr(x)


def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (finite h, k)."""
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    out = np.empty(h.shape)
    ar = np.abs(r)
    ng = np.where(ar < 0.3, 0, np.where(ar < 0.75, 1, 2))
    for g in range(3):
        for small in (True, False):
            m = (ng == g) & ((ar < 0.925) if small else (ar >= 0.925))
            if m.any():
                out[m] = (_bvnu_small if small else _bvnu_large)(h[m], k[m], r[m], g)
    return np.clip(out, 0.0, 1.0)


def _bvnu_small(h, k, r, g):
    w, x = _GL_W[g], _GL_X[g]
    hk = h * k
    hs = (h * h + k * k) / 2
    asr = np.arcsin(r)
    bvn = np.zeros(h.shape)
    for s in (-1.0, 1.0):
        sn = np.sin(asr[:, None] * (1 + s * x[None, :]) / 2)
        bvn += np.sum(w * np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn * sn)), axis=1)
    return bvn * asr / (4 * np.pi) + _phi(-h) * _phi(-k)


def _bvnu_large(h, k, r, g):
    w, x = _GL_W[g], _GL_X[g]
    k = np.where(r < 0, -k, k)
    hk = h * k
    bvn = np.zeros(h.shape)
    lt1 = np.abs(r) < 1
    if lt1.any():
        hh, kk, rr, hkk = h[lt1], k[lt1], r[lt1], hk[lt1]
        as_ = (1 - rr) * (1 + rr)
        a = np.sqrt(as_)
        bs = (hh - kk) ** 2
        c = (4 - hkk) / 8
        d = (12 - hkk) / 16
        asr = -(bs / as_ + hkk) / 2
        b0 = np.where(
            asr > -100,
            a * np.exp(asr) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5),
            0.0,
        )
        b = np.sqrt(bs)
        sp = np.sqrt(2 * np.pi) * _phi(-b / a)
        b0 = b0 - np.where(
            hkk > -100, np.exp(-hkk / 2) * sp * b * (1 - c * bs * (1 - d * bs / 5) / 3), 0.0
        )
        a2 = a / 2
        for s in (-1.0, 1.0):
            xs = (a2[:, None] + a2[:, None] * s * x[None, :]) ** 2
            rs = np.sqrt(1 - xs)
            asr2 = -(bs[:, None] / xs + hkk[:, None]) / 2
            sp2 = 1 + c[:, None] * xs * (1 + d[:, None] * xs)
            ep = np.exp(-hkk[:, None] * xs / (2 * (1 + rs) ** 2)) / rs
            term = a2[:, None] * w * np.exp(asr2) * (ep - sp2)
            b0 = b0 + np.sum(np.where(asr2 > -100, term, 0.0), axis=1)
        bvn[lt1] = -b0 / (2 * np.pi)
    pos = r > 0
    res = np.empty(h.shape)
    res[pos] = bvn[pos] + _phi(-np.maximum(h[pos], k[pos]))
    neg = ~pos
    hn, kn, bn = h[neg], k[neg], bvn[neg]
    ell = np.where(hn < 0, _phi(kn) - _phi(hn), _phi(-hn) - _phi(-kn))
    res[neg] = np.where(hn >= kn, -bn, ell - bn)
    return res


def pbivnorm(x: np.ndarray, y: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
    """P(X <= x, Y <= y) of the standard bivariate normal with correlation ``rho`` (Genz BVND).

    Infinite limits are allowed.
    """
    x, y, rho = np.broadcast_arrays(
        np.asarray(x, float), np.asarray(y, float), np.asarray(rho, float)
    )
    out = np.empty(x.shape)
    lo = (x == -np.inf) | (y == -np.inf)
    xi, yi = x == np.inf, y == np.inf
    out[lo] = 0.0
    m = ~lo & xi & yi
    out[m] = 1.0
    m = ~lo & xi & ~yi
    out[m] = _phi(y[m])
    m = ~lo & yi & ~xi
    out[m] = _phi(x[m])
    m = ~lo & ~xi & ~yi
    if m.any():
        out[m] = _bvnu(-x[m], -y[m], rho[m])
    return out


def dbinorm(x: np.ndarray, y: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
    """Density of the standard bivariate normal with correlation ``rho`` (0 at infinite x, y)."""
    x, y, rho = np.broadcast_arrays(
        np.asarray(x, float), np.asarray(y, float), np.asarray(rho, float)
    )
    fin = np.isfinite(x) & np.isfinite(y)
    out = np.zeros(x.shape)
    xx, yy, rr = x[fin], y[fin], rho[fin]
    det = 1 - rr * rr
    out[fin] = np.exp(-(xx * xx - 2 * rr * xx * yy + yy * yy) / (2 * det)) / (
        2 * np.pi * np.sqrt(det)
    )
    return out


@dataclass
class OrdinalStats:
    """Sample statistics of ordinal items (Muthén 1984, as lavaan).

    Attributes
    ----------
    items : item names (the order of every array).
    categories : per item, the sorted observed values (category k = the k-th value).
    thresholds : per item, its K_i - 1 thresholds.
    polychoric : p x p polychoric correlation matrix.
    stats : stacked vector (all thresholds, item by item | vech of the correlations below the
        diagonal, column by column).
    names : lavaan names of ``stats`` ("item|t1", ..., "item_a~~item_b").
    nacov : N x the asymptotic covariance of ``stats`` (lavaan's Gamma / NACOV).
    n : number of rows.
    """

    items: list[str]
    categories: list[np.ndarray]
    thresholds: list[np.ndarray]
    polychoric: np.ndarray
    stats: np.ndarray
    names: list[str]
    nacov: np.ndarray
    n: int

    @property
    def n_thresholds(self) -> int:
        return int(sum(len(t) for t in self.thresholds))

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: name, value, NACOV diagonal."""
        return pd.DataFrame(
            {"name": self.names, "value": self.stats, "gamma_diag": np.diag(self.nacov)}
        )


def _codes(data: pd.DataFrame, items: Sequence[str], file: str | None):
    codes, cats = [], []
    for c in items:
        col = pd.to_numeric(data[c], errors="coerce")
        if col.isna().any():
            row = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise InputError(
                f"ordinal item {c} has a missing or non-numeric answer; WLSMV needs complete "
                "ordinal answers (drop or impute incomplete rows)",
                file=file,
                row=row + 1,
                column=c,
            )
        v = col.to_numpy(dtype=float)
        u, inv = np.unique(v, return_inverse=True)
        if len(u) < 2:
            raise InputError(
                f"ordinal item {c} has a single observed category; allowed: at least two",
                file=file,
                column=c,
            )
        codes.append(inv.astype(np.intp))
        cats.append(u)
    return codes, cats


def _pair_tables(rho, t1, t2):
    """Cell probabilities and d pi / d rho tables for one pair (categories x categories)."""
    a = np.concatenate(([-np.inf], t1, [np.inf]))
    b = np.concatenate(([-np.inf], t2, [np.inf]))
    A, B = np.meshgrid(a, b, indexing="ij")
    F = pbivnorm(A, B, rho)
    pi = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
    pi = np.maximum(pi, np.finfo(float).eps ** (2 / 3))
    D = dbinorm(A, B, rho)
    dpi = D[1:, 1:] - D[:-1, 1:] - D[1:, :-1] + D[:-1, :-1]
    return pi, dpi


def _polychoric(freq, t1, t2, start):
    """Two-step ML polychoric correlation of one table (thresholds fixed), on [-0.999, 0.999]."""
    if freq.shape == (2, 2):
        f = freq.astype(float)
        if f[0, 0] * f[1, 1] == f[0, 1] * f[1, 0]:
            return 0.0

    def grad(r):
        pi, dpi = _pair_tables(r, t1, t2)
        return float(np.sum(freq * dpi / pi))

    lo, hi = -0.999, 0.999
    glo, ghi = grad(lo), grad(hi)
    if glo <= 0:
        return lo
    if ghi >= 0:
        return hi
    from scipy.optimize import brentq

    return float(brentq(grad, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))


def ordinal_stats(
    data: pd.DataFrame, items: Sequence[str], file: str | None = None
) -> OrdinalStats:
    """Thresholds, polychoric correlations and NACOV of ordinal ``items`` (module docstring)."""
    items = [str(i) for i in items]
    codes, cats = _codes(data, items, file)
    n = len(data)
    p = len(items)
    ths, th_sc = _thresholds(codes, cats, n)
    nth = int(sum(len(t) for t in ths))
    th_start = np.cumsum([0] + [len(t) for t in ths])
    pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
    pstar = len(pairs)
    R = np.eye(p)
    sc_cor = np.zeros((n, pstar))
    a21 = np.zeros((pstar, nth))
    std = [np.std(c.astype(float)) for c in codes]
    for k, (i, j) in enumerate(pairs):
        rho, sc_cor[:, k], g_i, g_j = _pair_statistics(
            codes[i], codes[j], len(cats[i]), len(cats[j]), ths[i], ths[j], std[i], std[j]
        )
        R[i, j] = R[j, i] = rho
        a21[k, th_start[i] : th_start[i + 1]] = g_i
        a21[k, th_start[j] : th_start[j + 1]] = g_j
    nacov = _nacov(th_sc, sc_cor, a21, th_start, n)
    names = [f"{items[i]}|t{k + 1}" for i in range(p) for k in range(len(ths[i]))]
    names += [f"{items[i]}~~{items[j]}" for i, j in pairs]
    stats_vec = np.concatenate([np.concatenate(ths), [R[i, j] for i, j in pairs]])
    return OrdinalStats(
        items=items,
        categories=cats,
        thresholds=ths,
        polychoric=R,
        stats=stats_vec,
        names=names,
        nacov=nacov,
        n=n,
    )


def _thresholds(
    codes: list[np.ndarray], cats: list[np.ndarray], n: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Thresholds tau_k = Phi^-1(P(y <= k)) of every item and their casewise scores
    (1{y=k} phi(tau_k) - 1{y=k+1} phi(tau_k)) / P(y)."""
    ths, th_sc = [], []
    for y, u in zip(codes, cats, strict=True):
        K = len(u)
        prop = np.bincount(y, minlength=K) / n
        th = special.ndtri(np.cumsum(prop)[:-1])
        ths.append(th)
        # univariate scores: (1{y=k} phi(tau_k) - 1{y=k+1} phi(tau_k)) / P(y)
        dens = np.exp(-0.5 * th * th) / np.sqrt(2 * np.pi)
        pk = prop[y]
        s = np.zeros((n, K - 1))
        rows = np.arange(n)
        up = y < K - 1
        s[rows[up], y[up]] += dens[y[up]]
        dn = y > 0
        s[rows[dn], y[dn] - 1] -= dens[y[dn] - 1]
        th_sc.append(s / pk[:, None])
    return ths, th_sc


def _pair_statistics(yi, yj, Ki: int, Kj: int, th_i, th_j, std_i: float, std_j: float):
    """Polychoric correlation of one pair, the casewise scores of rho and the pair's row of A21
    (sum over cells of n_ab * srho_ab * d pi_ab / d threshold) for the two items' thresholds."""
    freq = np.bincount(yi * Kj + yj, minlength=Ki * Kj).reshape(Ki, Kj)
    if std_i == 0 or std_j == 0:
        start = 0.0
    else:
        start = float(np.corrcoef(yi, yj)[0, 1])
    rho = _polychoric(freq, th_i, th_j, start)
    pi, dpi = _pair_tables(rho, th_i, th_j)
    # casewise score of rho and the bivariate likelihood's threshold scores (per cell)
    srho = dpi / pi
    d_i1, d_i2, d_j1, d_j2 = _cell_threshold_derivatives(rho, th_i, th_j)
    # A21 entries: sum over cells of n_ab * srho_ab * dx_th_ab
    wcell = freq * srho / pi
    # threshold k of y1 is the upper bound of category k and the lower bound of k+1
    g_i = np.sum(wcell[:-1, :] * d_i1[:-1, :], axis=1) - np.sum(wcell[1:, :] * d_i2[1:, :], axis=1)
    g_j = np.sum(wcell[:, :-1] * d_j1[:, :-1], axis=0) - np.sum(wcell[:, 1:] * d_j2[:, 1:], axis=0)
    return rho, srho[yi, yj], g_i, g_j


def _cell_threshold_derivatives(rho: float, th_i: np.ndarray, th_j: np.ndarray):
    """d pi_ab / d (upper, lower threshold of y1) and (upper, lower of y2) for every cell."""
    r = np.sqrt(1 - rho * rho)
    ti = np.concatenate((th_i, [_BIG]))  # upper bound z1 of category a
    tj = np.concatenate((th_j, [_BIG]))
    tli = np.concatenate(([-_BIG], th_i))  # lower bound z2
    tlj = np.concatenate(([-_BIG], th_j))
    # d/d(upper and lower threshold of y1) of the cell probability
    d_i1 = _dnorm(ti)[:, None] * (
        _phi((tj[None, :] - rho * ti[:, None]) / r) - _phi((tlj[None, :] - rho * ti[:, None]) / r)
    )
    d_i2 = _dnorm(tli)[:, None] * (
        _phi((tj[None, :] - rho * tli[:, None]) / r) - _phi((tlj[None, :] - rho * tli[:, None]) / r)
    )
    d_j1 = _dnorm(tj)[None, :] * (
        _phi((ti[:, None] - rho * tj[None, :]) / r) - _phi((tli[:, None] - rho * tj[None, :]) / r)
    )
    d_j2 = _dnorm(tlj)[None, :] * (
        _phi((ti[:, None] - rho * tlj[None, :]) / r) - _phi((tli[:, None] - rho * tlj[None, :]) / r)
    )
    return d_i1, d_i2, d_j1, d_j2


def _nacov(th_sc, sc_cor, a21, th_start, n: int) -> np.ndarray:
    """NACOV = N B^-1 (S'S) B^-T with B = [[A11, 0], [A21, A22]] (module docstring)."""
    nth = a21.shape[1]
    pstar = a21.shape[0]
    p = len(th_sc)
    sc = np.hstack(th_sc + [sc_cor])
    inner = sc.T @ sc
    a11 = np.zeros((nth, nth))
    for i in range(p):
        s = slice(th_start[i], th_start[i + 1])
        a11[s, s] = inner[s, s]
    a22 = np.sum(sc_cor * sc_cor, axis=0)
    a11_inv = np.linalg.inv(a11)
    b_inv = np.zeros((nth + pstar, nth + pstar))
    b_inv[:nth, :nth] = a11_inv
    b_inv[nth:, nth:] = np.diag(1.0 / a22)
    b_inv[nth:, :nth] = -(a21 / a22[:, None]) @ a11_inv
    wls_w = b_inv @ inner @ b_inv.T
    nacov = n * wls_w
    return (nacov + nacov.T) / 2


def _dnorm(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.asarray(x) ** 2) / np.sqrt(2 * np.pi)
