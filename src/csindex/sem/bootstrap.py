"""Seeded, shardable, batched bootstrap of PLS-PM (paths, effects, R², weights, the index) with
percentile and BCa intervals.

* :func:`replicate_counts`: replicate ``b`` resamples n respondents with replacement from
  ``numpy.random.default_rng([seed, b])`` and is stored as counts (how often each respondent is
  drawn) — so a replicate is the same whichever shard computes it.
* :class:`BootstrapDesign` (config ``bootstrap.design``): ``iid`` resamples respondents as
  above; ``rao_wu`` is the Rao–Wu(–Yue) rescaling bootstrap of a stratified (multi-stage)
  cluster sample — in stratum h with n_h PSUs, m_h = n_h - 1 PSUs are drawn with replacement
  and a unit of PSU i gets the multiplier ``1 - l + l (n_h/m_h) r_hi`` (``l`` =
  sqrt(m_h (1 - f_h)/(n_h - 1)); = ``n_h/(n_h-1) r_hi`` without fpc), computed by the weights
  stage's :func:`csindex.weighting.bootstrap_replicates` with one generator
  ``default_rng([seed, b])`` per replicate (so still independent of the sharding).
* A replicate is a weighted PLS fit with weights ``count_i * w_i`` (``w`` the survey weights,
  ``count_i`` the resampling count or the Rao–Wu multiplier):
  all replicates of a chunk get their weighted moment matrices from one matrix product
  ``V @ [x_i x_i']`` and then iterate together on the covariance matrices
  (:func:`csindex.sem.pls.pls_weights_from_cov`), each stopping at its own iteration.
  Replicates are processed in fixed chunks of :data:`CHUNK` consecutive ids, so the numbers do
  not depend on how replicates are split into shards.
* Intervals: percentile, and BCa (Efron 1987) with bias correction
  ``z0 = Φ⁻¹(#{θ*_b < θ̂}/B)`` and acceleration from the (grouped) jackknife
  ``a = Σ(θ̄ - θ_(i))³ / (6 [Σ(θ̄ - θ_(i))²]^{3/2})``. Replicates that did not converge are
  dropped and counted; replicates with a negative outer weight are kept and counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..errors import ConfigError
from ..estimation import replicate_variance
from ..seeds import derive_seed
from ..threads import limit_blas
from .acsi import index_from_moments, scale_bounds
from .pls import ModelArrays, inner_from_lvcor, pls_weights_from_cov, prepare_data, total_effects
from .quality import htmt_pairs, htmt_values
from .resampling import (  # noqa: F401  (public names of this module since the split)
    BOOT_DESIGNS,
    BootstrapDesign,
    bootstrap_design,
    replicate_counts,
)
from .spec import ModelSpec

CHUNK = 50
"""Replicates per batch (fixed: results must not depend on the shard layout)."""

_ROW_BLOCK = 20_000
"""Respondents per block when accumulating moment matrices (bounds memory at large n)."""


# --------------------------------------------------------------------------- statistics
@dataclass
class PLSBootSetup:
    """Data and options of a PLS bootstrap (complete rows, in spec item order)."""

    spec: ModelSpec
    X: np.ndarray
    w: np.ndarray
    scheme: str = "path"
    standardized: bool = True
    tol: float = 1e-6
    maxiter: int = 100
    item_min: np.ndarray | None = None
    item_max: np.ndarray | None = None
    groups: dict[str, np.ndarray] | None = (
        None  # label -> boolean row mask, e.g. "segment=personal"
    )
    rows: np.ndarray | None = None  # mask of the data rows used (for aligning other columns)

    @classmethod
    def from_data(
        cls,
        data: pd.DataFrame,
        spec: ModelSpec,
        weights: Any = None,
        *,
        scheme: str = "path",
        standardized: bool = True,
        tol: float = 1e-6,
        maxiter: int = 100,
        missing: str = "pairwise",
        scale: dict[str, tuple[float, float]] | None = None,
        group_by: Sequence[str] = (),
    ) -> PLSBootSetup:
        """Build from a response table; ``scale`` maps item -> (min, max) for the index and
        ``group_by`` names columns (e.g. segment) for the index by group."""
        X, keep = prepare_data(data, spec, missing=missing)
        w = np.ones(len(keep)) if weights is None else np.asarray(weights, dtype=float)
        w = w[keep]
        lo = hi = None
        if scale is not None:
            lo = np.array([scale[i][0] for i in spec.items], dtype=float)
            hi = np.array([scale[i][1] for i in spec.items], dtype=float)
        groups = {}
        for col in group_by:
            vals = data.loc[keep, col].astype("string").to_numpy()
            for g in sorted({v for v in vals if v is not pd.NA and v is not None}):
                groups[f"{col}={g}"] = vals == g
        return cls(spec, X, w, scheme, standardized, tol, maxiter, lo, hi, groups or None, keep)

    @property
    def n(self) -> int:
        return self.X.shape[0]


def stat_names(setup: PLSBootSetup) -> list[str]:
    """Names of the bootstrapped statistics, in column order."""
    spec = setup.spec
    names = [f"path:{a}->{b}" for a, b in spec.paths]
    names += [f"total:{a}->{b}" for a, b in _effect_pairs(spec)]
    names += [f"indirect:{a}->{b}" for a, b in _effect_pairs(spec)]
    names += [f"r2:{c}" for c in spec.endogenous]
    names += [f"weight:{c}=~{i}" for c in spec.constructs for i in spec.blocks[c]]
    names += [f"loading:{c}=~{i}" for c in spec.constructs for i in spec.blocks[c]]
    names += [f"htmt:{a}-{b}" for a, b in htmt_pairs(spec.blocks)]
    if setup.item_min is not None:
        names += [f"index:{c}" for c in spec.constructs]
        for g in setup.groups or {}:
            names += [f"index:{c}|{g}" for c in spec.constructs]
    return names


def _effect_pairs(spec: ModelSpec) -> list[tuple[str, str]]:
    """(from, to) pairs with a directed path (direct or indirect), in construct order."""
    lv = spec.constructs
    reach = {c: set() for c in lv}
    for a, b in spec.paths:
        reach[a].add(b)
    changed = True
    while changed:
        changed = False
        for c in lv:
            new = set().union(*(reach[d] for d in reach[c])) - reach[c] if reach[c] else set()
            if new:
                reach[c] |= new
                changed = True
    return [(a, b) for a in lv for b in lv if b in reach[a]]


def _batch_means(X: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Weighted (available-case when X has NaN) item means for weight rows V (B, n)."""
    miss = np.isnan(X)
    if not miss.any():
        return (V @ X) / V.sum(axis=1)[:, None]
    return (V @ np.where(miss, 0.0, X)) / (V @ (~miss).astype(float))


def batch_moments(X: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted item means (B, p) and covariance matrices (B, p, p) for the weight rows of V
    (B, n) in a few matrix products (upper triangle only). With NaN in X: available-case means
    and pairwise covariances as :func:`csindex.sem.pls.pairwise_moments`."""
    B, n = V.shape
    p = X.shape[1]
    iu, ju = np.triu_indices(p)
    miss = np.isnan(X)
    m0 = np.nanmean(X, axis=0)
    Xc = np.where(miss, 0.0, X - m0)
    if not miss.any():
        s0 = V.sum(axis=1)
        M1 = (V @ Xc) / s0[:, None]
        Q = np.zeros((B, iu.size))
        for r0 in range(0, n, _ROW_BLOCK):
            blk = Xc[r0 : r0 + _ROW_BLOCK]
            Q += V[:, r0 : r0 + _ROW_BLOCK] @ (blk[:, iu] * blk[:, ju])
        S = np.empty((B, p, p))
        S[:, iu, ju] = Q / s0[:, None]
        S[:, ju, iu] = S[:, iu, ju]
        S -= M1[:, :, None] * M1[:, None, :]
        return M1 + m0, S
    Mk = (~miss).astype(float)
    A = np.zeros((B, iu.size))
    Q = np.zeros((B, iu.size))
    Bj = np.zeros((B, p * p))
    for r0 in range(0, n, _ROW_BLOCK):
        sl = slice(r0, r0 + _ROW_BLOCK)
        xb, mb, vb = Xc[sl], Mk[sl], V[:, sl]
        A += vb @ (mb[:, iu] * mb[:, ju])
        Q += vb @ (xb[:, iu] * xb[:, ju])
        Bj += vb @ (xb[:, :, None] * mb[:, None, :]).reshape(len(xb), -1)
    Bj = Bj.reshape(B, p, p)
    Af = np.empty((B, p, p))
    Af[:, iu, ju] = A
    Af[:, ju, iu] = A
    Qf = np.empty((B, p, p))
    Qf[:, iu, ju] = Q
    Qf[:, ju, iu] = Q
    S = Qf / Af - (Bj / Af) * (Bj.transpose(0, 2, 1) / Af)
    M1 = np.einsum("bjj->bj", Bj) / np.einsum("bjj->bj", Af)
    return M1 + m0, 0.5 * (S + S.transpose(0, 2, 1))


def pls_stats(setup: PLSBootSetup, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Statistics for a chunk of weight vectors V (B, n) (counts × survey weights).

    Returns (stats (B, k) in :func:`stat_names` order, converged (B,), admissible (B,)).
    """
    spec, X = setup.spec, setup.X
    arr = ModelArrays.from_spec(spec)
    p = X.shape[1]
    M, S = batch_moments(X, V)
    sd = np.sqrt(np.einsum("bii->bi", S))
    Suse = S / (sd[:, :, None] * sd[:, None, :]) if setup.standardized else S
    W, _, conv = pls_weights_from_cov(
        Suse, arr, scheme=setup.scheme, tol=setup.tol, maxiter=setup.maxiter
    )
    lvcor = np.einsum("bpl,bpq,bqm->blm", W, Suse, W)
    Bm, r2 = inner_from_lvcor(lvcor, arr)
    T = total_effects(Bm)
    pos = {c: k for k, c in enumerate(arr.constructs)}
    cols = [Bm[:, pos[b], pos[a]] for a, b in spec.paths]
    pairs = _effect_pairs(spec)
    cols += [T[:, pos[b], pos[a]] for a, b in pairs]
    cols += [T[:, pos[b], pos[a]] - Bm[:, pos[b], pos[a]] for a, b in pairs]
    cols += [r2[:, pos[c]] for c in spec.endogenous]
    jj = np.arange(p)
    wown = W[:, jj, arr.block]
    cross = np.einsum("bpq,bql->bpl", Suse, W) / np.sqrt(np.einsum("bii->bi", Suse))[:, :, None]
    cols += list(wown.T)
    cols += list(cross[:, jj, arr.block].T)
    Rcor = S / (sd[:, :, None] * sd[:, None, :])
    cols += list(htmt_values(Rcor, list(spec.items), spec.blocks, htmt_pairs(spec.blocks)).T)
    if setup.item_min is not None:
        Wraw = wown / sd if setup.standardized else wown
        L = len(arr.constructs)
        cols += list(index_from_moments(Wraw, M, arr.block, L, setup.item_min, setup.item_max).T)
        for mask in (setup.groups or {}).values():
            Mg = _batch_means(X[mask], V[:, mask])
            cols += list(
                index_from_moments(Wraw, Mg, arr.block, L, setup.item_min, setup.item_max).T
            )
    stats = np.column_stack(cols)
    admissible = conv & (wown >= 0).all(axis=1)
    return stats, conv, admissible


def _chunks(start: int, stop: int) -> Iterator[tuple[int, int]]:
    """Fixed global chunks [k*CHUNK, (k+1)*CHUNK) intersected with [start, stop)."""
    b = start
    while b < stop:
        e = min(stop, (b // CHUNK + 1) * CHUNK)
        yield b, e
        b = e


@limit_blas
def bootstrap_pls(
    setup: PLSBootSetup,
    seed: int,
    start: int,
    stop: int,
    design: BootstrapDesign | None = None,
) -> pd.DataFrame:
    """Replicates ``start..stop-1`` of a PLS bootstrap: one row per replicate with columns
    replicate, converged, admissible and the statistics of :func:`stat_names`. ``design``
    (built on the data the setup came from) gives the multipliers; None = iid counts."""
    names = stat_names(setup)
    parts = []
    for b0, b1 in _chunks(start, stop):
        if design is None:
            C = replicate_counts(setup.n, seed, b0, b1)
        else:
            C = design.multipliers(seed, b0, b1, rows=setup.rows)
        st, conv, adm = pls_stats(setup, C * setup.w[None, :])
        df = pd.DataFrame(st, columns=names)
        df.insert(0, "admissible", adm)
        df.insert(0, "converged", conv)
        df.insert(0, "replicate", np.arange(b0, b1, dtype=np.int64))
        parts.append(df)
    if not parts:  # an empty shard (more shards than chunks of replicates)
        cols = {"replicate": np.empty(0, np.int64), "converged": np.empty(0, bool)}
        cols["admissible"] = np.empty(0, bool)
        cols.update({k: np.empty(0) for k in names})
        return pd.DataFrame(cols)
    return pd.concat(parts, ignore_index=True)


def shard_range(replicates: int, shards: int, shard: int) -> tuple[int, int]:
    """Replicate range [start, stop) of one shard: whole chunks split as evenly as possible."""
    if shards < 1 or not 0 <= shard < shards:
        raise ConfigError(f"shard {shard} of {shards} does not exist", key="bootstrap.shards")
    nchunks = -(-replicates // CHUNK)
    bounds = np.linspace(0, nchunks, shards + 1).round().astype(int)
    return min(replicates, bounds[shard] * CHUNK), min(replicates, bounds[shard + 1] * CHUNK)


@limit_blas
def jackknife_pls(
    setup: PLSBootSetup, groups: int = 1000, seed: int = 0, labels: np.ndarray | None = None
) -> np.ndarray:
    """Delete-one (n <= groups) or delete-group jackknife estimates (G, k): respondents are
    assigned to ``groups`` groups by a seeded permutation, each group left out once.
    ``labels`` (group 0..G-1 of every row of the setup, e.g. its PSU from
    :meth:`BootstrapDesign.jackknife_labels`) replaces the random groups."""
    n = setup.n
    if labels is not None:
        lab = np.asarray(labels, dtype=np.int64)
        G = int(lab.max()) + 1
    else:
        G = min(n, groups)
        if G == n:
            lab = np.arange(n)
        else:
            lab = np.random.default_rng([int(seed), 2**31 - 1]).permutation(n) % G
    out = []
    for g0 in range(0, G, CHUNK):
        gs = np.arange(g0, min(G, g0 + CHUNK))
        V = (lab[None, :] != gs[:, None]).astype(float) * setup.w[None, :]
        out.append(pls_stats(setup, V)[0])
    return np.vstack(out)


# --------------------------------------------------------------------------- intervals
def bootstrap_intervals(
    boot: pd.DataFrame,
    estimate: pd.Series,
    jackknife: np.ndarray | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Percentile and BCa intervals from replicate rows ``boot`` (statistic columns named as
    ``estimate``'s index). Replicates that did not converge are dropped."""
    names = list(estimate.index)
    ok = boot["converged"].to_numpy(bool)
    T = boot.loc[ok, names].to_numpy(float)
    theta = estimate.to_numpy(float)
    Bn = T.shape[0]
    alpha = 1 - level
    rows = {
        "statistic": names,
        "est": theta,
        "se": T.std(axis=0, ddof=1) if Bn > 1 else np.full(len(names), np.nan),
        "bias": T.mean(axis=0) - theta if Bn else np.full(len(names), np.nan),
        "ci_lower": np.quantile(T, alpha / 2, axis=0) if Bn else np.nan,
        "ci_upper": np.quantile(T, 1 - alpha / 2, axis=0) if Bn else np.nan,
    }
    if jackknife is not None and Bn:
        prop = ((T < theta).sum(axis=0) + 0.5 * (T == theta).sum(axis=0)) / Bn
        z0 = norm.ppf(np.clip(prop, 1 / (2 * Bn), 1 - 1 / (2 * Bn)))
        d = jackknife.mean(axis=0) - jackknife
        num = (d**3).sum(axis=0)
        den = 6 * ((d**2).sum(axis=0)) ** 1.5
        a = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        lo_hi = []
        for q in (alpha / 2, 1 - alpha / 2):
            zq = norm.ppf(q)
            adj = norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
            lo_hi.append(
                np.array([np.quantile(T[:, j], adj[j]) for j in range(T.shape[1])])  # per stat
            )
        rows["bca_lower"], rows["bca_upper"] = lo_hi
        rows["acceleration"], rows["z0"] = a, z0
    out = pd.DataFrame(rows)
    out.insert(1, "kind", out["statistic"].str.split(":", n=1).str[0])
    out["replicates"] = Bn
    out["level"] = level
    return out


def derived_seed(master: int, name: str) -> int:
    """A stage seed from the master seed and a name: :func:`csindex.seeds.derive_seed`."""
    return derive_seed(master, name)


def bootstrap_seed(bootstrap_cfg: dict, master_seed: int) -> int:
    """config bootstrap.seed, or one derived from the master seed."""
    s = (bootstrap_cfg or {}).get("seed")
    return int(s) if s is not None else derived_seed(master_seed, "bootstrap")


def pls_setup(
    data: pd.DataFrame,
    spec: ModelSpec,
    weights: np.ndarray | None,
    model_cfg: dict,
    index_cfg: dict | None,
    instrument: Any = None,
) -> PLSBootSetup:
    """A :class:`PLSBootSetup` from the config sections ``model`` (its ``pls`` options) and
    ``index`` (scale and the group columns present in the data; None = no index statistics)."""
    from .estimators import fit_class

    pcfg = dict((model_cfg or {}).get("pls") or {})
    pcfg["missing"] = fit_class(model_cfg).missing_rule(model_cfg)  # the rows of the fit
    if index_cfg is None:  # no index statistics
        scale, by = None, []
    else:
        icfg = dict(index_cfg)
        sc = icfg.get("scale")
        scale = scale_bounds(spec.items, instrument, (sc["min"], sc["max"]) if sc else None)
        by = [c for c in icfg.get("by", ["segment"]) if c in data.columns]
    return PLSBootSetup.from_data(
        data,
        spec,
        weights,
        scheme=pcfg.get("scheme", "path"),
        standardized=bool(pcfg.get("standardized", True)),
        tol=float(pcfg.get("tol", 1e-6)),
        maxiter=int(pcfg.get("maxiter", 100)),
        missing=pcfg.get("missing", "pairwise"),
        scale=scale,
        group_by=by,
    )


def index_stats(setup: PLSBootSetup, V: np.ndarray, Wraw: np.ndarray) -> pd.DataFrame:
    """Index columns (``index:C`` and ``index:C|group``) for weight vectors V (B, n) and
    raw-scale item weights Wraw (B, p) given from outside (e.g. CB-SEM factor-score weights of
    each replicate), with the replicate-weighted item means."""
    spec = setup.spec
    arr = ModelArrays.from_spec(spec)
    L = len(arr.constructs)
    cols: dict[str, np.ndarray] = {}
    M = _batch_means(setup.X, V)
    ix = index_from_moments(Wraw, M, arr.block, L, setup.item_min, setup.item_max)
    for k, c in enumerate(arr.constructs):
        cols[f"index:{c}"] = ix[:, k]
    for g, mask in (setup.groups or {}).items():
        Mg = _batch_means(setup.X[mask], V[:, mask])
        ix = index_from_moments(Wraw, Mg, arr.block, L, setup.item_min, setup.item_max)
        for k, c in enumerate(arr.constructs):
            cols[f"index:{c}|{g}"] = ix[:, k]
    return pd.DataFrame(cols)


@limit_blas
def replicate_weight_se(
    setup: PLSBootSetup,
    rep_weights: np.ndarray,
    scale: float,
    rscales: Sequence[float] | np.ndarray,
    mse: bool,
) -> pd.DataFrame:
    """Design-based SEs of every statistic from replicate weights (n, R) of the rows used: the
    model is refitted with each replicate weight (all at once) and the variance is
    scale * Σ_r rscales_r (θ_r - c)² as R survey's svrepdesign (c = θ̂ when mse, else the
    replicate mean). Returns statistic, est, se, replicates, not_converged."""
    names = stat_names(setup)
    est, _, _ = pls_stats(setup, setup.w[None, :])
    R = rep_weights.shape[1]
    parts, convs = [], []
    for r0 in range(0, R, CHUNK):
        st, conv, _ = pls_stats(setup, np.ascontiguousarray(rep_weights[:, r0 : r0 + CHUNK].T))
        parts.append(st)
        convs.append(conv)
    reps = np.vstack(parts)
    conv = np.concatenate(convs)
    rs = np.asarray(rscales, dtype=float)
    var = replicate_variance(est[0], reps[conv], float(scale), rs[conv], bool(mse))
    return pd.DataFrame(
        {
            "statistic": names,
            "est": est[0],
            "se": np.sqrt(var),
            "replicates": int(conv.sum()),
            "not_converged": int((~conv).sum()),
        }
    )
