"""The survey design: :class:`SurveyDesign` (weights, Taylor stages or replicate weights,
calibration steps), built by :func:`survey_design` from a DataFrame and typed options (as R
``svydesign`` / ``svrepdesign``); the weights stage's files give theirs through
:func:`csindex.estimation.weights_file.design_from_weights_file`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import InputError
from csindex.estimation.calibration import Calibration
from csindex.estimation.common import first_index
from csindex.estimation.options import DesignVariables, ReplicateWeights, VarianceOptions
from csindex.estimation.replicates import MSE_DEFAULT, replicate_variance
from csindex.estimation.taylor import Stage, multistage_variance, pps_variance


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
            return pps_variance(z, self.stages[0], self.pi, self.pps, self.hr_p2bar)
        return multistage_variance(z, self.stages, self.lonely_psu, present)

    def replicate_variance(self, theta: np.ndarray, theta_r: np.ndarray) -> np.ndarray:
        """``scale * sum_r rscales_r (theta_r - c)^2``; theta_r is R x p (:func:`replicate_variance`)."""
        return replicate_variance(theta, theta_r, self.scale, self.rscales, self.mse)


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


# the keywords of the former 17-parameter signature: option object and field
_LEGACY: dict[str, tuple[str, str]] = {
    **{k: ("variables", k) for k in ("weight", "strata", "psu", "ssu", "tsu", "fpc", "nest")},
    "replicate_weights": ("replicates", "weights"),
    "replicate_type": ("replicates", "type"),
    **{k: ("replicates", k) for k in ("scale", "rscales", "mse")},
    **{k: ("variance", k) for k in ("lonely_psu", "pps", "hr_psum")},
}


def _legacy_options(
    variables: DesignVariables | None,
    replicates: ReplicateWeights | None,
    variance: VarianceOptions | None,
    legacy: Mapping[str, Any],
) -> tuple[DesignVariables | None, ReplicateWeights | None, VarianceOptions | None]:
    """The option objects of the deprecated keyword form ``survey_design(df, weight=...,
    strata=..., replicate_weights=..., lonely_psu=..., ...)``."""
    unknown = sorted(set(legacy) - set(_LEGACY))
    if unknown:
        raise TypeError(f"survey_design() got an unexpected keyword argument {unknown[0]!r}")
    given = {"variables": variables, "replicates": replicates, "variance": variance}
    parts: dict[str, dict[str, Any]] = {"variables": {}, "replicates": {}, "variance": {}}
    for k, v in legacy.items():
        group, name = _LEGACY[k]
        if given[group] is not None:
            raise TypeError(f"survey_design(): give {k}= inside {group}=, not both")
        parts[group][name] = v
    warnings.warn(
        "survey_design(df, weight=..., strata=..., psu=..., ...) is deprecated and goes in the "
        "next release: use survey_design(df, DesignVariables(...), "
        "replicates=ReplicateWeights(...), variance=VarianceOptions(...))",
        DeprecationWarning,
        stacklevel=3,
    )
    if parts["variables"]:
        variables = DesignVariables(**parts["variables"])
    if parts["replicates"].get("weights") is not None:  # the other keys alone were ignored
        replicates = ReplicateWeights(**parts["replicates"])
    if parts["variance"]:
        variance = VarianceOptions(**parts["variance"])
    return variables, replicates, variance


def _analysis_weights(df: pd.DataFrame, weight: str | None) -> np.ndarray:
    """The weight column as floats (1 when None); InputError at the first negative or
    non-finite weight."""
    n = len(df)
    if weight is None:
        return np.ones(n)
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
    return w


def _stage_codes(df: pd.DataFrame, v: DesignVariables) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Unit codes and stratum codes (the earlier stage's units) of every stage."""
    n = len(df)
    strata, psu = v.strata, v.psu
    stratum = _codes(df, [strata]) if strata else np.zeros(n, np.int64)
    if psu:
        unit1 = _codes(df, [strata, psu] if strata else [psu])
        if strata and not v.nest:
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
    ids = v.ids
    if (v.ssu is not None and psu is None) or (v.tsu is not None and v.ssu is None):
        raise InputError("a later-stage unit id needs the earlier ones (psu, then ssu, then tsu)")
    for k in range(1, len(ids)):  # stage k+1 units, nested in the stage-k units
        levels_units.append(_codes(df, [c for c in (strata, *ids[: k + 1]) if c]))
        strat_levels.append(levels_units[-2])
    if len(v.fpc) > len(levels_units):
        # one more stage than ids: the rows are its units (e.g. ids psu+ssu, fpc N1+N2+N3)
        levels_units.append(np.arange(n, dtype=np.int64))
        strat_levels.append(levels_units[-2])
    if len(v.fpc) > len(levels_units):
        raise InputError(
            f"{len(v.fpc)} fpc columns for a design of {len(levels_units)} stage(s)",
            column=v.fpc[-1],
        )
    return levels_units, strat_levels


def _stages(df: pd.DataFrame, v: DesignVariables) -> tuple[list[Stage], list[np.ndarray], bool]:
    """The Taylor stages, the fpc columns as floats and whether they are population counts
    (else sampling fractions or inclusion probabilities)."""
    n = len(df)
    fpcs = list(v.fpc)
    levels_units, strat_levels = _stage_codes(df, v)
    stages = []
    fr = [pd.to_numeric(df[c], errors="coerce").to_numpy(float) for c in fpcs]
    as_pop = False
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
    return stages, fr, as_pop


def _pps_probabilities(
    df: pd.DataFrame,
    v: DesignVariables,
    opt: VarianceOptions,
    stages: list[Stage],
    fr: list[np.ndarray],
    as_pop: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """First-stage inclusion probabilities ``pi`` (the first fpc column) and, for Hartley-Rao,
    ``p2bar`` per row (``hr_psum``; None: R ``HR()``, the stratum mean of the PSUs' pi)."""
    pps = opt.pps
    if not fr or as_pop:
        raise InputError(
            f"pps={pps!r} needs fpc as inclusion probabilities (all <= 1)",
            column=v.fpc[0] if v.fpc else None,
        )
    pi = fr[0]
    if pps != "brewer" and len(stages) > 1 and stages[1].pop_units is not None:
        raise InputError(f"pps={pps!r} is for one-stage designs (use brewer)")
    if pps != "hr":
        return pi, None
    n, hr_psum, strata = len(df), opt.hr_psum, v.strata
    st1 = stages[0]
    first = first_index(st1.units)
    if hr_psum is None:  # R HR(): the stratum mean of the PSUs' pi
        k = int(st1.strata.max()) + 1
        sums = np.bincount(st1.strata[first], weights=pi[first], minlength=k)
        cnt = np.bincount(st1.strata[first], minlength=k)
        return pi, (sums / np.maximum(cnt, 1))[st1.strata]
    if isinstance(hr_psum, Mapping):
        lab = df[strata].map(hr_psum) if strata else pd.Series([np.nan] * n)
        if lab.isna().any():
            raise InputError("hr_psum has no value for some strata", column=strata)
        return pi, lab.to_numpy(float)
    return pi, np.full(n, float(hr_psum))


def _replicate_matrix(
    df: pd.DataFrame, opt: ReplicateWeights
) -> tuple[np.ndarray, float, np.ndarray]:
    """(n, R) replicate weights, ``scale`` (the type's when None) and ``rscales``."""
    n = len(df)
    rw = opt.weights
    if isinstance(rw, pd.DataFrame):
        rep = rw.to_numpy(float)
    elif isinstance(rw, np.ndarray):
        rep = np.asarray(rw, float)
    else:
        _check_columns(df, list(rw), "replicate weight")
        rep = df[list(rw)].to_numpy(float)
    if rep.shape[0] != n:
        raise InputError(f"replicate weights have {rep.shape[0]} rows, the data {n}")
    badr = ~np.isfinite(rep) | (rep < 0)
    if badr.any():
        r, c = (int(v[0]) for v in np.nonzero(badr))
        raise InputError(
            f"replicate weights must be finite and >= 0 (replicate {c + 1}: {rep[r, c]!r})",
            row=r + 1,
        )
    R = rep.shape[1]
    scale = opt.scale
    if scale is None:
        scale = {"JK1": (R - 1) / R, "BRR": 1 / R, "bootstrap": 1 / (R - 1)}.get(
            opt.type or "", 1.0
        )
    rs = np.ones(R) if opt.rscales is None else np.asarray(opt.rscales, float)
    if rs.shape[0] != R:
        raise InputError(f"rscales has {rs.shape[0]} values for {R} replicates")
    return rep, float(scale), rs


def survey_design(
    df: pd.DataFrame,
    variables: DesignVariables | None = None,
    *,
    replicates: ReplicateWeights | None = None,
    variance: VarianceOptions | None = None,
    calibrations: Sequence[Calibration] = (),
    **legacy: Any,
) -> SurveyDesign:
    """Build a design like R ``svydesign(ids=~psu+ssu+tsu, strata=~strata, fpc=~N1+N2+N3,
    weights=~weight, nest=TRUE)`` or, with ``replicates`` (analysis weights, one column per
    replicate), like ``svrepdesign(..., combined.weights=TRUE)``.

    ``variables`` (:class:`DesignVariables`; default: weight ``w_final``, every row a PSU): the
    columns of weights, strata, unit ids and fpc. Stage s adds ``V_s`` (see
    :mod:`csindex.estimation.taylor`) times the product of the sampling fractions of the earlier
    stages (R ``multistage``). ``variance`` (:class:`VarianceOptions`): single-PSU strata and PPS
    without replacement. ``calibrations`` (PostStratInfo, RakingInfo, GregInfo) make the SEs use
    calibration residuals. Example::

        survey_design(df, DesignVariables(weight="w", strata="h", psu="psu", fpc="N"))

    The keywords of the former signature (``weight=``, ``strata=``, ``psu=``, ``ssu=``, ``tsu=``,
    ``fpc=``, ``nest=``, ``replicate_weights=``, ``replicate_type=``, ``scale=``, ``rscales=``,
    ``mse=``, ``lonely_psu=``, ``pps=``, ``hr_psum=``) still work for this release, with a
    DeprecationWarning.
    """
    if legacy:
        variables, replicates, variance = _legacy_options(variables, replicates, variance, legacy)
    v = variables if variables is not None else DesignVariables()
    opt = variance if variance is not None else VarianceOptions()
    if not isinstance(v, DesignVariables):
        raise TypeError(f"variables must be a DesignVariables, not {type(v).__name__}")
    df = df.reset_index(drop=True)
    n = len(df)
    if n == 0:
        raise InputError("the design has no rows")
    w = _analysis_weights(df, v.weight)
    _check_columns(df, [c for c in (v.strata, *v.ids) if c is not None], "design")
    _check_columns(df, list(v.fpc), "fpc")
    stages, fr, as_pop = _stages(df, v)
    pi = p2bar = None
    if opt.pps is not None:
        pi, p2bar = _pps_probabilities(df, v, opt, stages, fr, as_pop)
    rep = rs = None
    scale = 1.0
    if replicates is not None:
        rep, scale, rs = _replicate_matrix(df, replicates)
    return SurveyDesign(
        data=df,
        weights=w,
        stages=tuple(stages),
        has_strata=v.strata is not None,
        lonely_psu=opt.lonely_psu,
        calibrations=tuple(calibrations),
        replicate_weights=rep,
        replicate_type=None if replicates is None else replicates.type,
        scale=scale,
        rscales=rs,
        mse=MSE_DEFAULT if replicates is None else bool(replicates.mse),
        pps=opt.pps,
        pi=pi,
        hr_p2bar=p2bar,
    )
