"""PLS multi-group analysis: path differences between two groups.

* Permutation test (Chin & Dibbern 2010): the observed difference d = beta_1 - beta_2 of every
  path against its distribution when the group labels are permuted (group sizes kept);
  two-sided p = (1 + #{|d*| >= |d|}) / (1 + P).
* Henseler's PLS-MGA (Henseler, Ringle & Sinkovics 2009; Sarstedt, Henseler & Ringle 2011):
  B bootstrap replicates within each group; p = (1/B^2) sum_ij Theta(2 bbar_1 - b1_i - 2 bbar_2
  + b2_j) with Theta the step function (1 for a positive argument): near 1 when beta_1 is larger,
  near 0 when beta_2 is; significant (two-sided, level alpha) when p < alpha/2 or
  p > 1 - alpha/2 (``p_henseler``; SmartPLS's "PLS-MGA p-value").

Every group fit is PLS-PM (:mod:`csindex.sem.pls`) on the group's own correlation matrix
(standardized items), complete rows, unweighted; all permutations and replicates are fitted in
one stacked call. Randomness comes from ``seed`` (numpy Generator).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .pls import inner_from_lvcor, model_arrays, pls_weights_from_cov
from .spec import ModelSpec


@dataclass(frozen=True)
class GroupFits:
    """Stacked PLS-PM fits of B row masks: weights W (B, p, L) on within-mask standardized
    items, construct correlations R (B, L, L), path matrices Bm (B, L, L) with Bm[to, from]."""

    W: np.ndarray
    R: np.ndarray
    Bm: np.ndarray
    converged: np.ndarray


def group_pls(
    X: np.ndarray,
    masks: np.ndarray,
    spec: ModelSpec,
    *,
    scheme: str = "path",
    tol: float = 1e-7,
    maxiter: int = 300,
) -> GroupFits:
    """PLS-PM on the rows of ``X`` (n x p, the items of ``spec``) selected by each row of
    ``masks`` (B x n, 0/1 or counts), all at once."""
    arr = model_arrays(spec)
    M = np.asarray(masks, float)
    nb = M.sum(axis=1)
    mean = (M @ X) / nb[:, None]
    cross = np.einsum("bn,np,nq->bpq", M, X, X, optimize=True) / nb[:, None, None]
    cov = cross - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.einsum("bpp->bp", cov))
    if np.any(sd <= 1e-12):
        raise InputError("an item takes a single value within a group; it cannot be fitted")
    S = cov / (sd[:, :, None] * sd[:, None, :])
    W, _, conv = pls_weights_from_cov(S, arr, scheme=scheme, tol=tol, maxiter=maxiter)
    R = np.einsum("bpl,bpq,bqm->blm", W, S, W)
    Bm, _ = inner_from_lvcor(R, arr)
    return GroupFits(W=W, R=R, Bm=Bm, converged=conv)


def complete_items(
    data: pd.DataFrame, spec: ModelSpec, group: str
) -> tuple[np.ndarray, np.ndarray]:
    """(X, labels): the items of ``spec`` and the group column over rows answering every item."""
    spec.validate(columns=data.columns)
    if group not in data.columns:
        raise ConfigError(
            f"grouping column {group!r} is not a column of the data", key="model.groups"
        )
    X = data[spec.items].apply(pd.to_numeric, errors="coerce")
    keep = X.notna().all(axis=1).to_numpy() & data[group].notna().to_numpy()
    return X.to_numpy(float)[keep], data[group].to_numpy()[keep]


def _two_groups(labels: np.ndarray, groups: Sequence | None):
    levels = sorted(pd.unique(labels).tolist(), key=str) if groups is None else list(groups)
    if len(levels) != 2:
        raise ConfigError(
            f"a two-group comparison needs exactly two groups; got {len(levels)}: {levels}",
            key="model.groups",
        )
    g1 = labels == levels[0]
    g2 = labels == levels[1]
    for g, m in zip(levels, (g1, g2), strict=True):
        if m.sum() < 10:
            raise ConfigError(
                f"group {g!r} has {int(m.sum())} rows; at least 10 needed", key="model.groups"
            )
    return levels, g1, g2


def permutation_masks(g1: np.ndarray, rng: np.random.Generator, n_perm: int) -> np.ndarray:
    """(n_perm, n) 0/1 masks of the first group under random relabelling (sizes kept)."""
    n, n1 = len(g1), int(g1.sum())
    keys = rng.random((n_perm, n))
    order = np.argsort(keys, axis=1)
    M = np.zeros((n_perm, n))
    np.put_along_axis(M, order[:, :n1], 1.0, axis=1)
    return M


@dataclass
class MGAResult:
    """Path-by-path group comparison: ``table`` columns path (from -> to), from, to,
    est_<g1>, est_<g2>, diff, p_permutation, p_henseler, significant (at ``alpha``)."""

    groups: list
    table: pd.DataFrame
    n_permutations: int
    n_bootstrap: int
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        return (
            f"PLS-MGA {self.groups[0]} vs {self.groups[1]} ({self.n_permutations} permutations, "
            f"{self.n_bootstrap} bootstrap replicates per group)\n"
            + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        )


def pls_mga(
    data: pd.DataFrame,
    spec: ModelSpec,
    group: str,
    *,
    groups: Sequence | None = None,
    n_permutations: int = 1000,
    n_bootstrap: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    scheme: str = "path",
) -> MGAResult:
    """Permutation test and Henseler's bootstrap PLS-MGA of every path (module docstring)."""
    X, labels = complete_items(data, spec, group)
    levels, g1, g2 = _two_groups(labels, groups)
    rng = np.random.default_rng(seed)
    cons = spec.constructs
    idx = [(cons.index(b), cons.index(a)) for a, b in spec.paths]
    obs = group_pls(X, np.vstack([g1, g2]).astype(float), spec, scheme=scheme)
    b1 = np.array([obs.Bm[0][i, j] for i, j in idx])
    b2 = np.array([obs.Bm[1][i, j] for i, j in idx])
    d = b1 - b2
    p_perm = np.full(len(idx), np.nan)
    if n_permutations > 0:
        M = permutation_masks(g1, rng, n_permutations)
        f1 = group_pls(X, M, spec, scheme=scheme)
        f2 = group_pls(X, 1.0 - M, spec, scheme=scheme)
        dp = np.stack([f1.Bm[:, i, j] - f2.Bm[:, i, j] for i, j in idx], axis=1)
        p_perm = (1 + (np.abs(dp) >= np.abs(d) - 1e-12).sum(axis=0)) / (1 + n_permutations)
    p_h = np.full(len(idx), np.nan)
    if n_bootstrap > 0:
        bb = []
        for gm in (g1, g2):
            rows = np.flatnonzero(gm)
            draws = rng.integers(0, len(rows), size=(n_bootstrap, len(rows)))
            C = np.zeros((n_bootstrap, len(X)))
            np.add.at(C, (np.repeat(np.arange(n_bootstrap), len(rows)), rows[draws].ravel()), 1.0)
            f = group_pls(X, C, spec, scheme=scheme)
            bb.append(np.stack([f.Bm[:, i, j] for i, j in idx], axis=1))
        m1, m2 = bb[0].mean(axis=0), bb[1].mean(axis=0)
        for k in range(len(idx)):
            x = 2 * m1[k] - bb[0][:, k]
            y = 2 * m2[k] - bb[1][:, k]
            # Theta(2 bbar1 - b1_i - 2 bbar2 + b2_j) = 1{(2 bbar1 - b1_i) - (2 bbar2 - b2_j) > 0}
            ys = np.sort(y)
            p_h[k] = np.searchsorted(ys, x, side="left").sum() / n_bootstrap**2
    table = pd.DataFrame(
        {
            "path": [f"{a} -> {b}" for a, b in spec.paths],
            "from": [a for a, _ in spec.paths],
            "to": [b for _, b in spec.paths],
            f"est_{levels[0]}": b1,
            f"est_{levels[1]}": b2,
            "diff": d,
            "p_permutation": p_perm,
            "p_henseler": p_h,
        }
    )
    table["significant"] = table["p_permutation"] < alpha
    return MGAResult(
        groups=levels,
        table=table,
        n_permutations=n_permutations,
        n_bootstrap=n_bootstrap,
        alpha=alpha,
    )
