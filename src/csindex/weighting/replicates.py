"""Replicate weights: JK1, JKn, BRR/Fay (Sylvester-Hadamard), Rao–Wu rescaled bootstrap, and
the choice among them for a study (subsampled PSUs of multistage designs detected)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import ConfigError, InputError
from csindex.weighting.common import codes_in_order
from csindex.weighting.options import ReplicateOptions

log = logging.getLogger("csindex")


@dataclass
class Replicates:
    """Replicate multipliers (n x R) with the variance constants of R ``svrepdesign``."""

    factors: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool = False
    fpc: str = "none"
    """How the first-stage finite population correction entered (for the diagnostics)."""


def psu_codes(
    strata: Any, psu: Any, sort: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratum codes per row, PSU codes per row and stratum per PSU; PSUs numbered stratum by
    stratum in order of appearance (the replicate order of R ``jknweights``) or, with ``sort``,
    strata in the sorted order of their labels as text (R ``brrweights``: ``table(strata)``)
    and PSUs by id within them (``brrweights(..., match = psu)``): codes that do not depend on
    the row order."""
    if sort:
        s = pd.factorize(pd.Series(np.asarray(strata)).astype(str).to_numpy(), sort=True)[0]
        pc = pd.factorize(np.asarray(psu), sort=True)[0]
        key = s.astype(np.int64) * (int(pc.max()) + 1) + pc
        p = pd.factorize(key, sort=True)[0].astype(np.int64)
        first = first_rows(p)
        return s.astype(np.int64), p, s[first].astype(np.int64)
    s = codes_in_order(strata)
    key = pd.Series(s).astype(str) + "\x00" + pd.Series(np.asarray(psu)).astype(str)
    p = codes_in_order(key)
    first = np.unique(p, return_index=True)[1]
    order = np.argsort(s[first], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    p = rank[p]
    return s, p, s[first][order]


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code 0..k-1."""
    first = np.empty(int(codes.max()) + 1, np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first


def check_fpc(Nh: np.ndarray, nh: np.ndarray) -> None:
    bad = np.isfinite(Nh) & (Nh < nh)
    if bad.any():
        h = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"fpc_1 (population PSUs in the stratum) is {Nh[h]:g} but {nh[h]} PSUs were "
            f"sampled in stratum #{h + 1}; fpc_1 must count the PSUs of the stratum",
            column="fpc_1",
        )


def jk1_replicates(psu: np.ndarray, fpc: float | None = None) -> Replicates:
    """Delete-one-PSU jackknife: replicate r drops PSU r, the others times n/(n-1);
    ``scale = (1 - n/N)(n - 1)/n``."""
    codes = codes_in_order(psu)
    n = int(codes.max()) + 1
    if n < 2:
        raise InputError("the jackknife needs at least two PSUs")
    F = np.full((len(codes), n), n / (n - 1))
    F[np.arange(len(codes)), codes] = 0.0
    f = 1.0 if fpc is None else (fpc - n) / fpc
    return Replicates(F, "JK1", f * (n - 1) / n, np.ones(n))


def jkn_replicates(
    strata: np.ndarray, psu: np.ndarray, fpc: np.ndarray | None = None, lonely_psu: str = "adjust"
) -> Replicates:
    """Stratified jackknife (JKn, R ``jknweights``): one replicate per PSU, dropping it and
    multiplying its stratum's other PSUs by n_h/(n_h-1); ``rscales = (1 - f_h)(n_h - 1)/n_h``."""
    s, p, ps = psu_codes(strata, psu)
    G = ps.size
    H = int(s.max()) + 1
    nh = np.bincount(ps, minlength=H)
    if fpc is not None:
        Nh = pd.Series(np.asarray(fpc, float)).groupby(s).first().reindex(range(H)).to_numpy()
        check_fpc(Nh, nh)
        fh = np.where(np.isfinite(Nh), (Nh - nh) / Nh, 1.0)
    else:
        fh = np.ones(H)
    single = nh[ps] == 1
    if single.any():
        if lonely_psu == "fail":
            raise InputError(
                f"{int(single.sum())} stratum/strata with a single PSU; set "
                "estimation.lonely_psu (adjust, remove, certainty, average)"
            )
        log.warning(
            "%d stratum/strata with a single PSU: lonely_psu=%s", int(single.sum()), lonely_psu
        )
    # PSU-level factor table G x G: column r = replicate dropping PSU r
    Fpsu = np.ones((G, G))
    same = ps[:, None] == ps[None, :]
    mult = np.where(nh[ps] > 1, nh[ps] / np.maximum(nh[ps] - 1, 1), 1.0)
    Fpsu = np.where(same, mult[None, :], 1.0)
    Fpsu[np.arange(G), np.arange(G)] = 0.0
    rsc = fh[ps] * (nh[ps] - 1) / nh[ps]
    keep = np.ones(G, bool)
    if single.any():
        nstrat = H
        for r in np.flatnonzero(single):
            if lonely_psu == "adjust":
                Fpsu[:, r] = np.where(ps == ps[r], 0.0, nstrat / (nstrat - 1))
                rsc[r] = (nstrat - 1) / nstrat
            else:
                keep[r] = False
        Fpsu[:, single & (fh[ps] == 0)] = 1.0
    Fpsu, rsc = Fpsu[:, keep], rsc[keep]
    scale = 1.0
    if lonely_psu == "average" and not keep.all():
        scale = G / keep.sum()
    return Replicates(Fpsu[p], "JKn", scale, rsc)


def brr_replicates(strata: np.ndarray, psu: np.ndarray, fay_rho: float = 0.0) -> Replicates:
    """Balanced repeated replication (Fay's method for ``fay_rho > 0``) for designs with exactly
    two PSUs per stratum: Sylvester-Hadamard columns; factors ``2 - rho`` / ``rho``;
    ``scale = 1 / (R (1 - rho)^2)``.

    Row 1 + h of the Hadamard matrix goes to the h-th stratum in sorted order (labels as text)
    and its +1 to the PSU with the smaller id: R ``brrweights(strata, psu, match = psu,
    hadamard.matrix = H)`` with the same Sylvester ``H`` (R's default ``hadamard(H)`` is that
    matrix for 2-7, 12-15, 28-31 and 60-63 strata), whatever the row order."""
    from scipy.linalg import hadamard

    s, p, ps = psu_codes(strata, psu, sort=True)
    H = int(s.max()) + 1
    nh = np.bincount(ps, minlength=H)
    if (nh != 2).any():
        bad = int(np.flatnonzero(nh != 2)[0])
        raise InputError(
            f"BRR/Fay needs exactly two PSUs per stratum; stratum #{bad + 1} has {nh[bad]} "
            "(use JKn or bootstrap replicates)"
        )
    R = 4
    while R < H + 1:
        R *= 2
    had = hadamard(R)[:, 1 : H + 1]  # R x H
    # first PSU of each stratum gets +1 -> 2 - rho, second -> rho (and vice versa)
    order = pd.Series(np.arange(len(ps))).groupby(ps).cumcount().to_numpy()
    sign = np.where(order == 0, 1, -1)
    sel = had[:, ps].T * sign[:, None] > 0  # PSU x R
    Fpsu = np.where(sel, 2 - fay_rho, fay_rho)
    return Replicates(
        Fpsu[p], "Fay" if fay_rho > 0 else "BRR", 1.0 / (R * (1 - fay_rho) ** 2), np.ones(R)
    )


def bootstrap_replicates(
    strata: np.ndarray,
    psu: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
    fpc: np.ndarray | None = None,
) -> Replicates:
    """Rao–Wu (1988) rescaled bootstrap: in stratum h draw m_h = n_h - 1 PSUs with
    replacement; factor ``1 - l + l (n_h/m_h) r_hi`` with ``l = sqrt(m_h (1 - f_h)/(n_h - 1))``
    (= ``n_h/(n_h-1) r_hi`` without fpc); ``v = sum_r (theta_r - theta)^2 / R`` (mse)."""
    s, p, ps = psu_codes(strata, psu, sort=True)
    G = len(ps)
    F = np.ones((G, replicates))
    H = int(s.max()) + 1
    fh = np.zeros(H)
    if fpc is not None:
        Nh = pd.Series(np.asarray(fpc, float)).groupby(s).first().reindex(range(H)).to_numpy()
        nh0 = np.bincount(ps, minlength=H)
        check_fpc(Nh, nh0)
        fh = np.where(np.isfinite(Nh), nh0 / Nh, 0.0)
    for h in range(H):  # strata, not respondents
        idx = np.flatnonzero(ps == h)
        n = idx.size
        if n < 2:
            continue
        m = n - 1
        r = rng.multinomial(m, np.full(n, 1.0 / n), size=replicates).T  # n x R
        lam = np.sqrt(m * (1 - fh[h]) / (n - 1))
        F[idx] = 1 - lam + lam * (n / m) * r
    return Replicates(F[p], "bootstrap", 1.0 / replicates, np.ones(replicates), mse=True)


def make_replicates(
    units: pd.DataFrame,
    cfg: ReplicateOptions | Mapping[str, Any],
    lonely_psu: str,
    rng: np.random.Generator,
) -> Replicates | None:
    """Replicate multipliers for the sampled units (columns ``stratum``, ``psu``, ``fpc_1``...):
    ``auto`` is JKn for stratified designs, JK1 otherwise, bootstrap beyond ``max_jackknife``
    PSUs; the stage-1 fpc is dropped when later stages subsampled the PSUs."""
    opts = cfg if isinstance(cfg, ReplicateOptions) else ReplicateOptions.from_config(cfg)
    rtype = opts.type
    if rtype == "none":
        return None
    has_strata = "stratum" in units and units["stratum"].notna().all()
    has_psu = "psu" in units and units["psu"].notna().all()
    strata = units["stratum"].to_numpy() if has_strata else np.zeros(len(units), np.int64)
    psu = units["psu"].to_numpy() if has_psu else np.arange(len(units))
    fpc = (
        units["fpc_1"].to_numpy(float)
        if "fpc_1" in units and units["fpc_1"].notna().all()
        else None
    )
    fpc_note = "none" if fpc is None else "fpc_1"
    if fpc is not None and has_psu and subsampled_psus(units, strata, psu):
        s_, _, ps_ = psu_codes(strata, psu)
        Nh = pd.Series(fpc).groupby(s_).first().sort_index().to_numpy()
        check_fpc(Nh, np.bincount(ps_, minlength=len(Nh)))  # an inconsistent fpc still fails
        # Multistage: the replicates drop whole PSUs (ultimate clusters), so their variance is
        # the between-PSU variance only. With the stage-1 fpc it shrinks by (1 - f_h) and the
        # variance of sampling within the PSUs is lost (R's jknweights does the same): SEs too
        # small by ~10% in the demo (CI coverage ~91%). Without it, the with-replacement
        # ultimate-cluster variance covers both stages (slightly conservative when f_h is
        # large): the usual approximation for replicate weights of multistage designs.
        fpc = None
        fpc_note = "not used: PSUs are subsampled (multistage), with-replacement replicates"
    if rtype == "auto":
        n_psu = pd.Series(strata).astype(str).add("\x00").add(pd.Series(psu).astype(str)).nunique()
        if n_psu > opts.max_jackknife:
            rtype = "bootstrap"
        elif has_strata and pd.Series(strata).nunique() > 1:
            rtype = "JKn"
        else:
            rtype = "JK1"
    if rtype == "JKn":
        rep = jkn_replicates(strata, psu, fpc=fpc, lonely_psu=lonely_psu)
    elif rtype == "JK1":
        if has_strata and pd.Series(strata).nunique() > 1:
            raise ConfigError(
                "JK1 is for unstratified designs; use JKn", key="weighting.replicates.type"
            )
        rep = jk1_replicates(psu, fpc=None if fpc is None else float(fpc[0]))
    elif rtype in ("BRR", "Fay"):
        rep = brr_replicates(strata, psu, fay_rho=opts.fay_rho if rtype == "Fay" else 0.0)
    elif rtype == "bootstrap":
        rep = bootstrap_replicates(strata, psu, opts.n, rng, fpc=fpc)
    else:
        raise ConfigError(
            f"unknown replicate type {rtype!r}; allowed: auto, JKn, JK1, BRR, Fay, bootstrap, none",
            key="weighting.replicates.type",
        )
    if opts.mse is not None and rtype != "bootstrap":
        rep.mse = opts.mse
    rep.fpc = fpc_note
    return rep


def subsampled_psus(units: pd.DataFrame, strata: np.ndarray, psu: np.ndarray) -> bool:
    """Whether a later sampling stage subsampled within the PSUs: at stage k = 2, 3 the
    population count ``fpc_k`` of a parent unit (PSU; SSU) exceeds the number of its sampled
    stage-k units (distinct ``ssu`` ids of the PSU at stage 2 of a three-stage design; rows
    otherwise)."""
    key = pd.Series(strata).astype(str).add("\x00").add(pd.Series(psu).astype(str)).to_numpy()
    has = [c for c in ("fpc_2", "fpc_3") if c in units and units[c].notna().all()]
    if not has:
        return False
    ssu = "ssu" in units and units["ssu"].notna().all()
    if "fpc_3" in has and not ssu:  # three stages without SSU ids: cannot count SSUs
        return True
    levels = [key]
    if ssu:
        levels.append(key + "\x00" + units["ssu"].astype(str).to_numpy())
    levels.append(np.arange(len(units)).astype(str))  # the rows: the last stage's units
    for k, col in enumerate(("fpc_2", "fpc_3"), start=1):
        if col not in has or k >= len(levels):
            break
        g = pd.DataFrame({"parent": levels[k - 1], "child": levels[k]})
        g["N"] = units[col].to_numpy(float)
        agg = g.groupby("parent", sort=False).agg(n=("child", "nunique"), N=("N", "first"))
        if (agg["N"] > agg["n"]).any():
            return True
    return False
