"""Design-based estimation: means, totals, ratios and proportions with Taylor or replicate SEs.

The variance estimator follows R ``survey`` (Lumley 2004; ``svyrecvar``): stratified multistage
sampling, PSUs (and, when the fpc of every stage is given, later-stage units) drawn without
replacement. For influence values ``z_i`` of a statistic, stage ``s`` contributes

    V_s = sum_h  m_h f_h n_h/(n_h - 1) sum_k (z_hk - zbar_h)^2,

with ``z_hk`` the total of ``z`` over unit ``k`` of stratum ``h`` at that stage, ``n_h`` the
number of sampled units, ``f_h = (N_h - n_h)/N_h`` (1 without fpc) and ``m_h`` the product of the
sampling fractions ``n/N`` of the earlier stages. After post-stratification, raking or
calibration the influence values are first replaced by calibration residuals, as R does.
Replicate designs use ``v = scale * sum_r rscales_r (theta_r - c)^2`` (``c`` the full-sample
estimate when ``mse`` else the replicate mean). Domains are estimated as R's ``svyby``: the
statistic on the domain with the full design (out-of-domain rows have zero influence).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from csindex.errors import ConfigError, InputError
from csindex.weighting import calibration_matrix
from csindex.weighting import weighting_diagnostics as weighting_diagnostics  # re-export

log = logging.getLogger(__name__)

LONELY_PSU = ("adjust", "remove", "certainty", "average", "fail")
PPS_METHODS = ("brewer", "overton", "hr")
MSE_DEFAULT = False
"""The one default of ``mse`` (R ``getOption("survey.replicates.mse")``, FALSE)."""
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")
RESULT_COLUMNS = [
    "variable",
    "domain",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "df",
    "deff",
    "deff_replace",
    "n",
]


# --------------------------------------------------------------------------- calibration info
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
        means = _group_sums(ratio, self.codes, k) / np.where(denom == 0, 1.0, denom)[:, None]
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
                means = _group_sums(z / safe[:, None], codes, k) / cnt[:, None]
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


# --------------------------------------------------------------------------- the design
@dataclass(frozen=True)
class Stage:
    """One sampling stage: stratum and unit codes per row, sampled units per stratum (per row),
    population units per stratum (per row; None = with replacement / unknown)."""

    strata: np.ndarray
    units: np.ndarray
    n_units: np.ndarray
    pop_units: np.ndarray | None


@dataclass(frozen=True)
class SurveyDesign:
    """A survey design: analysis weights, stages (Taylor) or replicate weights, calibrations."""

    data: pd.DataFrame
    weights: np.ndarray
    stages: tuple[Stage, ...] = ()
    has_strata: bool = False
    lonely_psu: str = "adjust"
    calibrations: tuple[Any, ...] = ()
    replicate_weights: np.ndarray | None = None
    replicate_type: str | None = None
    scale: float = 1.0
    rscales: np.ndarray | None = None
    mse: bool = MSE_DEFAULT
    pps: str | None = None
    pi: np.ndarray | None = None
    hr_p2bar: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def is_replicate(self) -> bool:
        return self.replicate_weights is not None

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata (rows with non-zero weight), or for
        replicate designs the rank of the replicate weights minus one (as R ``degf``)."""
        if "degf" not in self._cache:
            if self.is_replicate:
                rw = self.replicate_weights
                sv = np.linalg.svd(rw / np.abs(rw).max(), compute_uv=False)
                self._cache["degf"] = int((sv > 1e-5 * sv[0]).sum()) - 1
            else:
                inset = self.weights != 0
                st = self.stages[0]
                self._cache["degf"] = int(
                    np.unique(st.units[inset]).size - np.unique(st.strata[inset]).size
                )
        return self._cache["degf"]

    def with_weights(self, weights: np.ndarray, calibration: Any | None = None) -> SurveyDesign:
        """A copy with new analysis weights, optionally recording a calibration step."""
        cals = self.calibrations + ((calibration,) if calibration is not None else ())
        return replace(self, weights=np.asarray(weights, float), calibrations=cals, _cache={})

    def variance(self, z: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
        """Taylor variance (diagonal) of totals of the influence columns ``z`` (n x p).

        ``present`` (n x p, bool): the rows each column is estimated on (a domain, values not
        missing); R drops the other rows, which matters only for ``lonely_psu="average"`` (the
        strata counted are those with a present row)."""
        z = np.asarray(z, float)
        if z.ndim == 1:
            z = z[:, None]
        if present is not None:
            present = np.asarray(present, bool).reshape(z.shape)
        for cal in self.calibrations:
            z = cal.residualize(z)
        if self.pps in ("overton", "hr"):
            return _pps_var(z, self.stages[0], self.pi, self.pps, self.hr_p2bar)
        return _multistage_var(z, self.stages, self.lonely_psu, present)

    def replicate_variance(self, theta: np.ndarray, theta_r: np.ndarray) -> np.ndarray:
        """``scale * sum_r rscales_r (theta_r - c)^2``; theta_r is R x p (:func:`replicate_variance`)."""
        return replicate_variance(theta, theta_r, self.scale, self.rscales, self.mse)


def replicate_variance(
    theta: np.ndarray | float,
    theta_r: np.ndarray,
    scale: float = 1.0,
    rscales: np.ndarray | Sequence[float] | float | None = None,
    mse: bool = MSE_DEFAULT,
) -> np.ndarray:
    """Replicate variance as R survey's ``svrVar``: ``scale * sum_r rscales_r (theta_r - c)^2``
    with ``c = theta`` (``mse``) or the mean of the replicates whose ``rscales > 0``
    (``colMeans(thetas[rscales > 0, ])``). ``theta_r`` is R x p (or R); replicates giving NaN
    are left out of the sum (R ``na.rm``-like, as the engine has always done)."""
    tr = np.asarray(theta_r, float)
    one = tr.ndim == 1
    if one:
        tr = tr[:, None]
    th = np.atleast_1d(np.asarray(theta, float))
    R = tr.shape[0]
    rs = (
        np.ones(R)
        if rscales is None
        else np.broadcast_to(np.asarray(rscales, float), (R,)).astype(float)
    )
    if mse or not (rs > 0).any():
        centre = th
    else:
        with warnings.catch_warnings():  # an all-NaN column: centre NaN, said by the caller
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmean(tr[rs > 0], axis=0)
    d = tr - centre
    v = float(scale) * np.nansum(d * d * rs[:, None], axis=0)
    return v[0] if one and np.ndim(theta) == 0 else v


def align_replicates(
    data: pd.DataFrame,
    table: pd.DataFrame,
    reps: list[str],
    rows: np.ndarray | None,
    file: str | None,
) -> np.ndarray:
    """(n, R) replicate weights of ``table`` (respondent_id + ``reps``) for the rows ``rows``
    of ``data`` (all rows when None), matched on respondent_id."""
    ids = data["respondent_id"] if rows is None else data.loc[rows, "respondent_id"]
    m = ids.to_frame().merge(table[["respondent_id", *reps]], on="respondent_id", how="left")
    arr = m[reps].to_numpy(dtype=float)
    if np.isnan(arr).any():
        bad = ids.iloc[int(np.flatnonzero(np.isnan(arr).any(axis=1))[0])]
        raise InputError(
            f"respondent {bad!r} has no replicate weights",
            file=None if file is None else str(file),
            column=reps[0],
        )
    return arr


@dataclass
class ReplicateDesign:
    """Replicate weights of the weights stage and the constants of their variance formula: the
    one replicate-design type of the index, the SEM and the report.

    Variance of a statistic as R survey's ``svrVar`` (:func:`replicate_variance`):
    ``scale * sum_r rscales_r (theta_r - c)^2``, ``c`` the full-sample estimate (``mse``) or the
    mean of the replicates with ``rscales > 0``.

    Attributes
    ----------
    table : respondent_id and the replicate weight columns (``names``, e.g. rep_001, ...).
    names : the replicate weight columns, sorted.
    scale, rscales, mse : the variance constants (``rscales`` one per replicate).
    replicate_type : e.g. JKn, JK1, BRR, Fay, bootstrap (for descriptions only).
    file : where the weights came from (for error messages).
    """

    table: pd.DataFrame
    names: list[str]
    scale: float = 1.0
    rscales: np.ndarray | None = None
    mse: bool = MSE_DEFAULT
    replicate_type: str = "unknown"
    file: str | None = None

    def __post_init__(self) -> None:
        if self.rscales is None:
            self.rscales = np.ones(len(self.names))
        self.rscales = np.asarray(self.rscales, dtype=float)
        if self.rscales.size == 1 and len(self.names) != 1:
            self.rscales = np.full(len(self.names), float(self.rscales.ravel()[0]))
        if self.rscales.shape != (len(self.names),):
            raise InputError(
                f"{self.rscales.size} rscales for {len(self.names)} replicate weight columns",
                file=self.file,
            )

    @classmethod
    def from_matrix(
        cls,
        weights: np.ndarray,
        scale: float = 1.0,
        rscales: np.ndarray | Sequence[float] | None = None,
        mse: bool = MSE_DEFAULT,
        replicate_type: str = "unknown",
    ) -> ReplicateDesign:
        """Replicate weights (n x R) already aligned row by row with the data."""
        w = np.asarray(weights, float)
        names = [f"rep_{r + 1:03d}" for r in range(w.shape[1])]
        table = pd.DataFrame(w, columns=names)
        table.insert(0, "respondent_id", np.arange(w.shape[0]))
        return cls(table, names, float(scale), rscales, bool(mse), replicate_type)

    @property
    def n_replicates(self) -> int:
        return len(self.names)

    @property
    def weights(self) -> np.ndarray:
        """(n, R) replicate weights in the row order of ``table``."""
        return self.table[self.names].to_numpy(dtype=float)

    def matrix(self, data: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, R) replicate weights of the rows ``rows`` of ``data`` (all when None), matched
        on respondent_id; raises InputError when a respondent has none."""
        return align_replicates(data, self.table, self.names, rows, self.file)

    def variance(self, theta: np.ndarray, theta_r: np.ndarray) -> np.ndarray:
        """Variance of ``theta`` (p) from its replicates ``theta_r`` (R x p)."""
        return replicate_variance(theta, theta_r, self.scale, self.rscales, self.mse)

    def describe(self, how: str) -> str:
        """Plain description, e.g. ``replicate weights (JKn, 102 replicates; <how>)``."""
        return f"replicate weights ({self.replicate_type}, {self.n_replicates} replicates; {how})"


def replicate_design(
    table: pd.DataFrame, diagnostics: dict, file: str | None = None
) -> ReplicateDesign | None:
    """A :class:`ReplicateDesign` from the weights table (``rep_###`` columns) and the weights
    stage's diagnostics (``scale``, ``rscales``, ``mse``, ``replicate_type``); None when the
    table has no replicate weight columns."""
    reps = sorted(c for c in table.columns if c.startswith("rep_"))
    if not reps:
        return None
    diag = diagnostics or {}
    rs = diag.get("rscales")
    return ReplicateDesign(
        table=table[["respondent_id", *reps]],
        names=reps,
        scale=float(diag.get("scale") or 1.0),
        rscales=None if rs is None else np.asarray(rs, dtype=float),
        mse=bool(diag.get("mse", MSE_DEFAULT)),
        replicate_type=str(diag.get("replicate_type", "unknown")),
        file=None if file is None else str(file),
    )


def _group_sums(z: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    out = np.empty((k, z.shape[1]))
    for j in range(z.shape[1]):
        out[:, j] = np.bincount(codes, weights=z[:, j], minlength=k)
    return out


def _first_index(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code 0..k-1 (O(n), no sort)."""
    k = int(codes.max()) + 1
    first = np.empty(k, np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return first


def _stage_var(
    z: np.ndarray, st: Stage, mult: np.ndarray, lonely: str, present: np.ndarray | None = None
) -> np.ndarray:
    """One stage of ``svyrecvar``'s ``onestage``: diagonal variance of the unit totals."""
    first = _first_index(st.units)
    k = first.size
    u_strat = st.strata[first]
    u_n = st.n_units[first].astype(float)
    if st.pop_units is None:
        f = np.ones(k)
    else:
        pop = st.pop_units[first].astype(float)
        f = np.where(np.isinf(pop), 1.0, (pop - u_n) / pop)
    u_mult = mult[first]
    tot = _group_sums(z, st.units, k)
    hk = int(u_strat.max()) + 1
    cnt = np.bincount(u_strat, minlength=hk).astype(float)
    smean = _group_sums(tot, u_strat, hk) / np.where(cnt == 0, 1.0, cnt)[:, None]
    single = u_n <= 1
    centre = smean[u_strat]
    if lonely == "adjust":
        centre = np.where(single[:, None], 0.0, centre)
    c = tot - centre
    scale = np.where(single, f, f * u_n / np.where(single, 1.0, u_n - 1.0)) * u_mult
    if single.any():
        if lonely == "fail":
            bad = sorted({str(s) for s in u_strat[single]})
            raise InputError(
                f"stratum code(s) {', '.join(bad)} have a single PSU; set "
                "estimation.lonely_psu to adjust, remove, certainty or average"
            )
        if lonely in ("remove", "certainty"):
            scale = np.where(single, 0.0, scale)
        if lonely == "average":
            scale = np.where(single, 0.0, scale)
    v = (c * c * scale[:, None]).sum(axis=0)
    if lonely == "average" and single.any():
        if present is None:
            nstrat = np.unique(u_strat).size
            nok = np.unique(u_strat[~single]).size
            v = v * nstrat / max(nok, 1)
        else:  # per column: the strata with a present row (R subsets the design)
            pres = _group_sums(present.astype(float), st.strata, hk) > 0
            lone = np.zeros(hk, bool)
            lone[u_strat[single]] = True
            nstrat = pres.sum(axis=0)
            nok = (pres & ~lone[:, None]).sum(axis=0)
            v = v * nstrat / np.maximum(nok, 1)
    return v


def _pps_var(
    z: np.ndarray, st: Stage, pi: np.ndarray, method: str, p2bar: np.ndarray | None
) -> np.ndarray:
    """PPS without replacement, one stage (R ``svydesign(..., pps = "overton" | HR(...))``):
    ``v = sum_ij D_ij z_i z_j`` over the PSU totals ``z_i`` of a stratum, ``D_ii = 1 - pi_i`` and
    for i != j ``D_ij = 1 - (n - a_i - a_j + c)/(n - 1)``: Overton ``a = pi/2, c = 0``,
    Hartley-Rao ``a = pi, c = p2bar`` (``sum pi^2/n``, or R ``HR()``'s stratum mean of pi).
    Pairs with ``a_i + a_j = 1`` get 0 as in R. Computed by stratum sums, without the n x n
    matrix: ``sum_{i!=j} (a_i + a_j - 1 - c) z_i z_j = sum_i (2 a_i - 1 - c) z_i (S - z_i)``
    with ``S`` the stratum total of ``z``."""
    first = _first_index(st.units)
    k = first.size
    tot = _group_sums(z, st.units, k)
    h = st.strata[first]
    hk = int(h.max()) + 1
    p = pi[first].astype(float)
    n = np.bincount(h, minlength=hk).astype(float)[h]
    a = p / 2 if method == "overton" else p
    c = np.zeros(k) if method == "overton" else np.asarray(p2bar, float)[first]
    S = _group_sums(tot, h, hk)[h]
    diag = ((1 - p)[:, None] * tot * tot).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        off_i = (2 * a - 1 - c)[:, None] * tot * (S - tot)
        off = np.where(n[:, None] > 1, off_i / (n - 1)[:, None], 0.0).sum(axis=0)
    # R sets D_ij = 0 where a_i + a_j == 1 (Overton: both certainty units, already 0)
    if method == "hr":
        key = pd.DataFrame({"h": h, "p": p, "i": np.arange(k), "r": np.round(p, 9)})
        other = key.rename(columns={"p": "pj", "i": "j", "r": "q"})
        part = key.assign(q=np.round(1 - p, 9)).merge(other, on=["h", "q"])
        part = part[(part["i"] != part["j"]) & (part["p"] + part["pj"] == 1)]
        if len(part):
            i, j = part["i"].to_numpy(), part["j"].to_numpy()
            dij = -c[i] / (n[i] - 1)
            off = off - (dij[:, None] * tot[i] * tot[j]).sum(axis=0)
    return diag + off


def _multistage_var(
    z: np.ndarray, stages: Sequence[Stage], lonely: str, present: np.ndarray | None = None
) -> np.ndarray:
    mult = np.ones(z.shape[0])
    v = np.zeros(z.shape[1])
    for i, st in enumerate(stages):
        v = v + _stage_var(z, st, mult, lonely, present)
        if st.pop_units is None or i + 1 >= len(stages) or stages[i + 1].pop_units is None:
            break
        mult = mult * st.n_units / st.pop_units
    return v


# --------------------------------------------------------------------------- constructors
def _codes(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    if len(cols) == 1:
        return pd.factorize(df[cols[0]], sort=True)[0].astype(np.int64)
    return df.groupby(cols, sort=True, dropna=False).ngroup().to_numpy(np.int64)


def _check_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise InputError(
                f"{what} column {c!r} not found; available: {', '.join(map(str, df.columns))}",
                column=c,
            )
        if df[c].isna().any():
            row = int(np.flatnonzero(df[c].isna().to_numpy())[0]) + 1
            raise InputError(f"{what} column has missing values", row=row, column=c)


def survey_design(
    df: pd.DataFrame,
    weight: str | None = "w_final",
    strata: str | None = None,
    psu: str | None = None,
    ssu: str | None = None,
    fpc: str | Sequence[str] | None = None,
    replicate_weights: pd.DataFrame | np.ndarray | Sequence[str] | None = None,
    replicate_type: str | None = None,
    scale: float | None = None,
    rscales: Sequence[float] | np.ndarray | None = None,
    mse: bool = MSE_DEFAULT,
    lonely_psu: str = "adjust",
    calibrations: Sequence[Any] = (),
    nest: bool = False,
    tsu: str | None = None,
    pps: str | None = None,
    hr_psum: float | Mapping[Any, float] | None = None,
) -> SurveyDesign:
    """Build a design like R ``svydesign(ids=~psu+ssu+tsu, strata=~strata, fpc=~N1+N2+N3,
    weights=~weight, nest=TRUE)`` or, with ``replicate_weights`` (analysis weights, one column per
    replicate), like ``svrepdesign(..., combined.weights=TRUE)``.

    ``fpc`` names one column per stage holding population counts (N_h PSUs in the stratum; M_i
    units in the PSU; ...) or sampling fractions (all <= 1). Without ``psu`` every row is a PSU;
    with one more fpc column than unit ids (e.g. ``psu``, ``ssu`` and three fpc columns) the rows
    are the units of the last stage. Stage s adds ``V_s`` (module docstring) times the product of
    the sampling fractions of the earlier stages (R ``multistage``). ``weight=None`` means 1.
    ``pps`` (PPS without replacement; ``fpc`` then holds the inclusion probabilities):
    ``"brewer"`` (Brewer's approximation, ``f_i = 1 - pi_i`` in the Taylor formula; any number
    of stages), ``"overton"`` or ``"hr"`` (Hartley-Rao; one stage; :func:`_pps_var`) as R
    ``svydesign(..., pps = "brewer" | "overton" | HR(psum))``; ``hr_psum`` is R's ``HR(psum)``
    (``sum pi^2 / n``, one number or one per stratum label; None = R ``HR()``).
    ``calibrations`` (PostStratInfo, RakingInfo, GregInfo) make the SEs use calibration residuals;
    ``nest=True`` numbers PSUs within strata.
    """
    if lonely_psu not in LONELY_PSU:
        raise ConfigError(f"must be one of {', '.join(LONELY_PSU)}", key="estimation.lonely_psu")
    if pps is not None and pps not in PPS_METHODS:
        raise ConfigError(f"must be one of {', '.join(PPS_METHODS)}", key="estimation.pps")
    df = df.reset_index(drop=True)
    n = len(df)
    if n == 0:
        raise InputError("the design has no rows")
    if weight is None:
        w = np.ones(n)
    else:
        _check_columns(df, [weight], "weight")
        w = pd.to_numeric(df[weight], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(
                f"weights must be finite and >= 0 (found {w[bad][0]!r} in {int(bad.sum())} row(s))",
                row=row,
                column=weight,
            )
    cols = [c for c in (strata, psu, ssu, tsu) if c is not None]
    _check_columns(df, cols, "design")
    fpcs: list[str] = [fpc] if isinstance(fpc, str) else list(fpc or [])
    _check_columns(df, fpcs, "fpc")
    stratum = _codes(df, [strata]) if strata else np.zeros(n, np.int64)
    if psu:
        unit1 = _codes(df, [strata, psu] if strata else [psu])
        if strata and not nest:
            pcodes, plabels = pd.factorize(df[psu], sort=True)
            per = pd.Series(stratum).groupby(pcodes).nunique()
            if (per > 1).any():
                bad = plabels[per.index[np.flatnonzero(per.to_numpy() > 1)[0]]]
                raise InputError(
                    f"PSU id {str(bad)!r} occurs "
                    "in several strata: use PSU ids unique across strata, or nest=True to "
                    "number PSUs within strata (R svydesign nest=TRUE)",
                    column=psu,
                )
    else:
        unit1 = np.arange(n, dtype=np.int64)
    levels_units = [unit1]
    strat_levels = [stratum]
    ids = [c for c in (psu, ssu, tsu) if c is not None]
    if (ssu is not None and psu is None) or (tsu is not None and ssu is None):
        raise InputError("a later-stage unit id needs the earlier ones (psu, then ssu, then tsu)")
    for k in range(1, len(ids)):  # stage k+1 units, nested in the stage-k units
        levels_units.append(_codes(df, [c for c in (strata, *ids[: k + 1]) if c]))
        strat_levels.append(levels_units[-2])
    if len(fpcs) > len(levels_units):
        # one more stage than ids: the rows are its units (e.g. ids psu+ssu, fpc N1+N2+N3)
        levels_units.append(np.arange(n, dtype=np.int64))
        strat_levels.append(levels_units[-2])
    if len(fpcs) > len(levels_units):
        raise InputError(
            f"{len(fpcs)} fpc columns for a design of {len(levels_units)} stage(s)",
            column=fpcs[-1],
        )
    stages = []
    fr = [pd.to_numeric(df[c], errors="coerce").to_numpy(float) for c in fpcs]
    if fr:
        allv = np.concatenate(fr)
        if np.isnan(allv).any() or (allv <= 0).any():
            raise InputError("fpc must be positive numbers", column=fpcs[0])
        as_pop = bool((allv > 1).any())
        if as_pop and (allv < 1).any():
            raise InputError(
                "fpc must be all population counts (>= 1) or all sampling fractions (<= 1)",
                column=fpcs[0],
            )
    for i, (units, strat) in enumerate(zip(levels_units, strat_levels, strict=True)):
        n_units = (
            pd.Series(units).groupby(strat).transform("nunique").to_numpy(float)
            if n
            else np.zeros(0)
        )
        pop = None
        if i < len(fr):
            pop = fr[i] if as_pop else n_units / fr[i]
            if (pop < n_units - 1e-9).any():
                row = int(np.flatnonzero(pop < n_units - 1e-9)[0]) + 1
                raise InputError(
                    f"fpc implies more sampled than population units at stage {i + 1}",
                    row=row,
                    column=fpcs[i],
                )
        stages.append(Stage(strat, units, n_units, pop))
    pi = p2bar = None
    if pps is not None:
        if not fr or as_pop:
            raise InputError(
                f"pps={pps!r} needs fpc as inclusion probabilities (all <= 1)",
                column=fpcs[0] if fpcs else None,
            )
        pi = fr[0]
        if pps != "brewer" and len(stages) > 1 and stages[1].pop_units is not None:
            raise InputError(f"pps={pps!r} is for one-stage designs (use brewer)")
        if pps == "hr":
            st1 = stages[0]
            first = _first_index(st1.units)
            if hr_psum is None:  # R HR(): the stratum mean of the PSUs' pi
                k = int(st1.strata.max()) + 1
                sums = np.bincount(st1.strata[first], weights=pi[first], minlength=k)
                cnt = np.bincount(st1.strata[first], minlength=k)
                p2bar = (sums / np.maximum(cnt, 1))[st1.strata]
            elif isinstance(hr_psum, Mapping):
                lab = df[strata].map(hr_psum) if strata else pd.Series([np.nan] * n)
                if lab.isna().any():
                    raise InputError("hr_psum has no value for some strata", column=strata)
                p2bar = lab.to_numpy(float)
            else:
                p2bar = np.full(n, float(hr_psum))
    rep = None
    rs = None
    if replicate_weights is not None:
        if isinstance(replicate_weights, pd.DataFrame):
            rep = replicate_weights.to_numpy(float)
        elif isinstance(replicate_weights, np.ndarray):
            rep = np.asarray(replicate_weights, float)
        else:
            _check_columns(df, list(replicate_weights), "replicate weight")
            rep = df[list(replicate_weights)].to_numpy(float)
        if rep.shape[0] != n:
            raise InputError(f"replicate weights have {rep.shape[0]} rows, the data {n}")
        badr = ~np.isfinite(rep) | (rep < 0)
        if badr.any():
            r, c = (int(v[0]) for v in np.nonzero(badr))
            raise InputError(
                f"replicate weights must be finite and >= 0 (replicate {c + 1}: {rep[r, c]!r})",
                row=r + 1,
            )
        if replicate_type is not None and replicate_type not in REPLICATE_TYPES:
            raise ConfigError(
                f"must be one of {', '.join(REPLICATE_TYPES)}", key="weighting.replicates.type"
            )
        R = rep.shape[1]
        if scale is None:
            scale = {"JK1": (R - 1) / R, "BRR": 1 / R, "bootstrap": 1 / (R - 1)}.get(
                replicate_type or "", 1.0
            )
        rs = np.ones(R) if rscales is None else np.asarray(rscales, float)
        if rs.shape[0] != R:
            raise InputError(f"rscales has {rs.shape[0]} values for {R} replicates")
    return SurveyDesign(
        data=df,
        weights=w,
        stages=tuple(stages),
        has_strata=strata is not None,
        lonely_psu=lonely_psu,
        calibrations=tuple(calibrations),
        replicate_weights=rep,
        replicate_type=replicate_type,
        scale=float(scale) if scale is not None else 1.0,
        rscales=rs,
        mse=bool(mse),
        pps=pps,
        pi=pi,
        hr_p2bar=p2bar,
    )


def design_from_weights_file(
    weights_df: pd.DataFrame,
    diagnostics: dict,
    data: pd.DataFrame | None = None,
    use_replicates: bool | None = None,
) -> SurveyDesign:
    """The design of ``weights/weights.parquet`` + ``weights/diagnostics.json``.

    With replicate columns ``rep_###`` (and ``use_replicates`` not False): a replicate design with
    ``replicate_type``, ``scale``, ``rscales``, ``mse`` from the diagnostics. Otherwise a Taylor
    design on ``stratum``/``psu``(/``ssu``) with ``fpc_1``/``fpc_2``(/``fpc_3``) when present
    (the rows are the last stage's units), whose SEs use the
    residuals of the calibration recorded in the diagnostics (regression of the influence values
    on the margin dummies, weights before calibration ``w_nonresponse``: the GREG form, the
    limit of R's backfitting for raked designs). ``data`` (e.g. clean responses or scores) is
    merged on ``respondent_id`` so its columns can be estimated.
    """
    wdf = weights_df
    if data is not None:
        if "respondent_id" not in data.columns:
            raise InputError("data has no respondent_id column", column="respondent_id")
        extra = [c for c in data.columns if c not in wdf.columns or c == "respondent_id"]
        wdf = wdf.merge(data[extra], on="respondent_id", how="left", validate="one_to_one")
    rep_cols = sorted(c for c in wdf.columns if c.startswith("rep_"))
    lonely = diagnostics.get("lonely_psu", "adjust")
    if rep_cols and use_replicates is not False:
        return survey_design(
            wdf,
            weight="w_final",
            replicate_weights=rep_cols,
            replicate_type=diagnostics.get("replicate_type"),
            scale=diagnostics.get("scale"),
            rscales=diagnostics.get("rscales"),
            mse=bool(diagnostics.get("mse", MSE_DEFAULT)),
            lonely_psu=lonely,
        )
    has = set(wdf.columns)
    strata = "stratum" if "stratum" in has and wdf["stratum"].notna().all() else None
    psu = "psu" if "psu" in has and wdf["psu"].notna().all() else None
    ssu = "ssu" if psu and "ssu" in has and wdf["ssu"].notna().all() else None
    fpc = []
    for c in ("fpc_1", "fpc_2", "fpc_3"):  # later stages only after the earlier ones
        if c not in has or not wdf[c].notna().all():
            break
        fpc.append(c)
    if psu is None:
        fpc = fpc[:1]
    elif ssu is None:
        # fpc_2 counts the rows' units only in a two-stage design; with a third stage
        # (fpc_3 present) but no ssu ids, fpc_2 counts SSUs: keep the first stage only
        fpc = fpc[:1] if "fpc_3" in fpc else fpc[:2]
    pps = diagnostics.get("pps") or None
    if pps not in (None, "none"):
        # PPS without replacement: the stage inclusion probabilities pi_k are the fpc
        pis = []
        for c in ("pi_1", "pi_2", "pi_3"):
            if c not in has or not wdf[c].notna().all():
                break
            pis.append(c)
        if not pis:
            raise InputError(
                f"estimation.pps={pps!r} needs the inclusion probabilities pi_1 in the weights file",
                column="pi_1",
            )
        fpc = pis[: (len(fpc) or 1)] if pps == "brewer" else pis[:1]
        if pps != "brewer" or len(fpc) == 1:
            ssu = None
    else:
        pps = None
    cals = []
    cal = diagnostics.get("calibration") or {}
    margins = cal.get("margins")
    if margins and {"w_nonresponse", "w_calibrated"} <= has:
        X, _, _ = calibration_matrix(wdf, margins)
        w0 = wdf["w_nonresponse"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(w0 > 0, wdf["w_calibrated"].to_numpy(float) / w0, 0.0)
        cals.append(GregInfo(X, w0, g))
    return survey_design(
        wdf,
        weight="w_final",
        strata=strata,
        psu=psu,
        ssu=ssu,
        fpc=fpc or None,
        lonely_psu=lonely,
        calibrations=cals,
        pps=pps,
    )


# --------------------------------------------------------------------------- estimators
def _domain_masks(design: SurveyDesign, domain: str | None) -> tuple[list[str], np.ndarray]:
    if domain is None:
        return ["all"], np.ones((design.n, 1), bool)
    if domain not in design.data.columns:
        raise InputError(f"domain column {domain!r} not found", column=domain)
    col = design.data[domain]
    levels = sorted(col.dropna().unique().tolist(), key=str)
    m = np.column_stack([(col == lv).to_numpy() for lv in levels]) if levels else None
    return [str(lv) for lv in levels], m


def _values(design: SurveyDesign, y: str | Sequence[str]) -> tuple[list[str], np.ndarray]:
    names = [y] if isinstance(y, str) else list(y)
    for c in names:
        if c not in design.data.columns:
            raise InputError(f"variable {c!r} not found", column=c)
    vals = np.column_stack(
        [pd.to_numeric(design.data[c], errors="coerce").to_numpy(float) for c in names]
    )
    return names, vals


def _ci(est: np.ndarray, se: np.ndarray, df: float, level: float):
    q = (
        stats.t.ppf(0.5 + level / 2, df)
        if np.isfinite(df) and df > 0
        else stats.norm.ppf(0.5 + level / 2)
    )
    return est - q * se, est + q * se


def _estimate(
    design: SurveyDesign,
    names: list[str],
    vals: np.ndarray,
    domain: str | None,
    level: float,
    kind: str,
    den: np.ndarray | None = None,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Core: ``kind`` is mean, total or ratio; columns = variables x domain levels.

    Missing values: ``na_rm=True`` drops the rows whose value (or denominator) is missing, as R
    ``na.rm = TRUE`` (the rest of the design is kept, as R's domain subset); ``na_rm=False``
    gives NaN (estimate and SE) wherever a row of the domain is missing, as R ``na.rm =
    FALSE``. A domain with no non-missing value gets NaN with a logged warning, never SE 0."""
    dnames, dm = _domain_masks(design, domain)
    if dm is None:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    p, L = vals.shape[1], dm.shape[1]
    # column j*L + l: variable j in domain l
    Y = np.repeat(vals, L, axis=1)
    D = np.tile(dm, (1, p))
    if den is not None:
        X = np.repeat(den, L, axis=1)
        M = D & ~np.isnan(Y) & ~np.isnan(X)
        X = np.where(M, X, 0.0)
    else:
        M = D & ~np.isnan(Y)
        X = M.astype(float)
    Y = np.where(M, Y, 0.0)
    w = design.weights
    WM = w[:, None] * M
    sw = WM.sum(axis=0)
    swy = (WM * Y).sum(axis=0)
    swx = (WM * X).sum(axis=0)
    nobs = (WM != 0).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "total":
            est = swy
        else:
            est = swy / swx
        # weighted variance of y (R svyvar), for deff
        if kind == "ratio":
            r = (Y - est * X) / swx
            rbar = (WM * r).sum(axis=0) / sw
            s2 = (WM * (r - rbar) ** 2).sum(axis=0) / sw * nobs / (nobs - 1)
        else:
            ybar = swy / sw
            s2 = (WM * (Y - ybar) ** 2).sum(axis=0) / sw * nobs / (nobs - 1)
    if design.is_replicate:
        RW = design.replicate_weights
        A = RW.T @ (M * Y)
        if kind == "total":
            theta_r = A
        else:
            B = RW.T @ (M * X)
            with np.errstate(invalid="ignore", divide="ignore"):
                theta_r = A / B
        var = design.replicate_variance(est, theta_r)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "total":
                z = WM * Y
            else:
                z = WM * (Y - est * X) / swx
        z = np.nan_to_num(z)
        var = design.variance(z, present=M)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "total":
            v_wor = s2 * sw**2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 * sw**2 / nobs
        elif kind == "ratio":
            v_wor = s2 * sw**2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 * sw**2 / nobs
        else:
            v_wor = s2 * (sw - nobs) / (sw * nobs)
            v_wr = s2 / nobs
        deff = np.where(sw > nobs, var / v_wor, np.nan)  # no N: no SRSWOR deff
        deff_r = var / v_wr
    empty = nobs == 0
    if not na_rm:
        hasna = (D & np.isnan(np.repeat(vals, L, axis=1))).any(axis=0)
        if den is not None:
            hasna |= (D & np.isnan(np.repeat(den, L, axis=1))).any(axis=0)
        empty = empty | hasna
    if empty.any():
        est = np.where(empty, np.nan, est)
        var = np.where(empty, np.nan, var)
        deff = np.where(empty, np.nan, deff)
        deff_r = np.where(empty, np.nan, deff_r)
        cols = np.flatnonzero(nobs == 0)
        if cols.size:
            what = ", ".join(
                f"{names[j // L]} in {domain or 'all'}={dnames[j % L]}" for j in cols[:5]
            )
            log.warning("no non-missing values (estimate and SE are NaN): %s", what)
    se = np.sqrt(var)
    dfree = float(design.degf)
    lo, hi = _ci(est, se, dfree, level)
    out = pd.DataFrame(
        {
            "variable": np.repeat(names, L),
            "domain": np.tile(dnames, p),
            "estimate": est,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "df": dfree,
            "deff": deff,
            "deff_replace": deff_r,
            "n": nobs.astype(np.int64),
        }
    )
    out.insert(2, "domain_var", domain or "")
    return out


def survey_mean(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Weighted mean ``sum w y / sum w`` per variable and domain, with SE (influence
    ``w (y - ybar)/sum w``), t CI on the design df and deffs. ``na_rm`` as R's ``na.rm``
    (default True: missing values dropped; False: NaN where a value is missing)."""
    names, vals = _values(design, y)
    return _estimate(design, names, vals, domain, level, "mean", na_rm=na_rm)


def survey_total(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Horvitz–Thompson total ``sum w y`` with SE (influence ``w y``) per variable and domain."""
    names, vals = _values(design, y)
    return _estimate(design, names, vals, domain, level, "total", na_rm=na_rm)


def survey_ratio(
    design: SurveyDesign,
    numerator: str | Sequence[str],
    denominator: str,
    domain: str | None = None,
    level: float = 0.95,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Ratio of totals ``sum w y / sum w x``; influence ``w (y - R x)/sum w x`` (R svyratio)."""
    names, vals = _values(design, numerator)
    _, den = _values(design, denominator)
    den = np.repeat(den, len(names), axis=1)
    out = _estimate(design, names, vals, domain, level, "ratio", den=den, na_rm=na_rm)
    out["variable"] = [f"{v}/{denominator}" for v in out["variable"]]
    return out


def survey_proportions(
    design: SurveyDesign,
    y: str | Sequence[str],
    domain: str | None = None,
    level: float = 0.95,
    categories: Sequence[Any] | None = None,
    na_rm: bool = True,
) -> pd.DataFrame:
    """Share of each category of ``y`` (missing excluded), as the mean of its indicator."""
    names = [y] if isinstance(y, str) else list(y)
    frames = []
    for name in names:
        if name not in design.data.columns:
            raise InputError(f"variable {name!r} not found", column=name)
        col = design.data[name]
        cats = list(categories) if categories is not None else sorted(col.dropna().unique())
        if not cats:
            continue
        ind = np.column_stack([(col == c).to_numpy(float) for c in cats])
        ind[col.isna().to_numpy()] = np.nan
        res = _estimate(design, [name] * len(cats), ind, domain, level, "mean", na_rm=na_rm)
        res.insert(1, "category", np.repeat([str(c) for c in cats], len(res) // len(cats)))
        frames.append(res)
    if not frames:
        return pd.DataFrame(columns=["variable", "category", *RESULT_COLUMNS[1:]])
    return pd.concat(frames, ignore_index=True)


def survey_replicate(
    design: SurveyDesign,
    statistic: Callable[[np.ndarray], Any],
    names: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Any statistic of the weights (e.g. an index, a regression coefficient, PLS paths) with
    its replicate SE: ``theta = statistic(w)``, ``theta_r = statistic(w_r)`` for every replicate,
    ``v = scale sum_r rscales_r (theta_r - c)^2``. ``statistic`` gets a weight vector aligned
    with ``design.data`` and returns a number or a 1-d array."""
    if not design.is_replicate:
        raise InputError(
            "survey_replicate needs replicate weights (weights/weights.parquet rep_### columns)"
        )
    theta = np.atleast_1d(np.asarray(statistic(design.weights), float))
    reps = np.array(
        [
            np.atleast_1d(np.asarray(statistic(design.replicate_weights[:, r]), float))
            for r in range(design.replicate_weights.shape[1])
        ]
    )
    se = np.sqrt(design.replicate_variance(theta, reps))
    dfree = float(design.degf)
    lo, hi = _ci(theta, se, dfree, level)
    labels = list(names) if names is not None else [f"stat_{i + 1}" for i in range(theta.size)]
    return pd.DataFrame(
        {
            "variable": labels,
            "estimate": theta,
            "se": se,
            "ci_lower": lo,
            "ci_upper": hi,
            "df": dfree,
        }
    )


def item_estimates(
    design: SurveyDesign,
    items: Sequence[str],
    domains: Sequence[str] = (),
    level: float = 0.95,
    proportions: bool = True,
) -> pd.DataFrame:
    """Weighted item means and (``proportions``) the share of each answer category, overall and
    per domain, next to the unweighted estimates (column ``unweighted``). A simulated study's
    comparison with the truth is :func:`csindex.validation.compare_item_means`."""
    unw = replace(
        design,
        weights=np.where(design.weights > 0, 1.0, 0.0),
        replicate_weights=None,
        calibrations=(),
        _cache={},
    )
    doms = [None, *[d for d in domains if d in design.data.columns]]

    def table(d: SurveyDesign) -> pd.DataFrame:
        parts = []
        for dom in doms:
            m = survey_mean(d, list(items), domain=dom, level=level)
            m.insert(0, "statistic", "mean")
            m.insert(2, "category", "")
            parts.append(m)
            if proportions:
                p = survey_proportions(d, list(items), domain=dom, level=level)
                p.insert(0, "statistic", "proportion")
                parts.append(p[m.columns])
        return pd.concat(parts, ignore_index=True)

    res = table(design)
    res["unweighted"] = table(unw)["estimate"].to_numpy()
    return res
