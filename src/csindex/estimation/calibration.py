"""Calibration steps recorded in a design, for SEs: after post-stratification, raking or
calibration the influence values are replaced by calibration residuals, as R ``svyrecvar`` does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csindex.estimation.common import group_sums


@dataclass(frozen=True)
class PostStratInfo:
    """Post-stratification: cell codes, weights before (``old``) and after (``new``)."""

    codes: np.ndarray
    old: np.ndarray
    new: np.ndarray

    def residualize(self, z: np.ndarray) -> np.ndarray:
        """R: ``x - psw * rowsum(x*oldw/psw)/sum(oldw)`` within each post-stratum."""
        psw = np.where((self.new == 0) & (self.old == 0), 1.0, self.new)
        k = int(self.codes.max()) + 1
        denom = np.bincount(self.codes, weights=self.old, minlength=k)
        ratio = z * (self.old / psw)[:, None]
        means = group_sums(ratio, self.codes, k) / np.where(denom == 0, 1.0, denom)[:, None]
        return z - means[self.codes] * psw[:, None]


@dataclass(frozen=True)
class RakingInfo:
    """Raking to several margins: the codes of each margin and the raked weights.

    R ``svyrecvar`` removes margin means from ``x/w`` by ``sweeps`` (10) rounds of backfitting."""

    margins: tuple[np.ndarray, ...]
    weights: np.ndarray
    sweeps: int = 10

    def residualize(self, z: np.ndarray) -> np.ndarray:
        w = self.weights
        safe = np.where(w == 0, 1.0, w)
        for _ in range(self.sweeps):
            for codes in self.margins:
                k = int(codes.max()) + 1
                cnt = np.bincount(codes, minlength=k).astype(float)
                means = group_sums(z / safe[:, None], codes, k) / cnt[:, None]
                z = z - w[:, None] * means[codes]
        return z


@dataclass(frozen=True)
class GregInfo:
    """Calibration (GREG, raking ratio, logit): model matrix ``X``, weights before calibration
    ``w0`` and g-weights. Residuals: ``x <- qr.resid(qr(X sqrt(w0)), x/(g sqrt(w0))) g sqrt(w0)``."""

    X: np.ndarray
    w0: np.ndarray
    g: np.ndarray

    def residualize(self, z: np.ndarray) -> np.ndarray:
        whalf = np.sqrt(self.w0)
        ww = self.g * whalf
        ok = ww != 0
        A = self.X[ok] * whalf[ok, None]
        q, r = np.linalg.qr(A)
        keep = np.abs(np.diag(r)) > 1e-7 * max(np.abs(np.diag(r)).max(), 1.0)
        if not keep.all():
            q, _ = np.linalg.qr(A[:, keep])
        y = z[ok] / ww[ok, None]
        res = y - q @ (q.T @ y)
        out = z.copy()
        out[ok] = res * ww[ok, None]
        return out


Calibration = PostStratInfo | RakingInfo | GregInfo
