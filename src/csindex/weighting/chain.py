"""The weighting chain of a study as a pipeline of steps: units and design weights -> replicate
multipliers -> unknown eligibility -> nonresponse -> calibration -> trimming -> normalisation ->
the weights table. Every step works on the matrix ``W`` (n x (1 + R)) whose first column is the
full sample and the rest replicates, so each replicate goes through the same steps (Wolter 2007,
ch. 4; Valliant, Dever & Kreuter 2018)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from csindex.errors import ConfigError, InputError, shown
from csindex.weighting.adjustment import (
    class_adjustment,
    redistribute_unknown_eligibility,
    response_propensity,
)
from csindex.weighting.calibration import calibrate, calibration_matrix, poststratify, rake_frame
from csindex.weighting.common import check_weights, codes_in_order
from csindex.weighting.design import design_weights
from csindex.weighting.diagnostics import weighting_diagnostics
from csindex.weighting.margins import cell_codes, margins_from_config, margins_from_frame
from csindex.weighting.options import (
    CalibrationOptions,
    NonresponseOptions,
    WeightingOptions,
)
from csindex.weighting.replicates import Replicates, make_replicates
from csindex.weighting.trimming import normalise, trim_columns

Margins = dict[str, dict[str, float]]


@dataclass
class WeightingOutput:
    """The weights table (respondents), its diagnostics and a per-step summary table."""

    weights: pd.DataFrame
    diagnostics: dict[str, Any]
    table: pd.DataFrame


@dataclass
class ChainState:
    """The units being weighted (sampled units, later the respondents) and their weights."""

    units: pd.DataFrame
    responded: np.ndarray
    ineligible: np.ndarray
    unknown: np.ndarray
    sampled: bool
    quota: bool
    diag: dict[str, Any]
    W: np.ndarray = field(default_factory=lambda: np.empty((0, 1)))
    rep: Replicates | None = None
    steps: dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------- units
def _check_links(resp: pd.DataFrame) -> None:
    if "unit_id" not in resp.columns:
        raise InputError(
            "clean responses have no unit_id column to link to the sample", column="unit_id"
        )
    dup = resp["unit_id"].dropna().duplicated()
    if dup.any():
        raise InputError(
            f"sampled unit {shown(resp['unit_id'].dropna()[dup].iloc[0])} has several respondents",
            column="unit_id",
        )


def _set_design_weights(smp: pd.DataFrame, diag: dict[str, Any]) -> bool:
    """Column ``w_design`` of the sample; True for a non-probability (quota) sample."""
    if "pi" in smp.columns and smp["pi"].isna().all():
        # non-probability (quota) sample: no design weights; calibration does the work
        smp["w_design"] = 1.0
        diag["note"] = (
            "non-probability (quota) sample: no design weights (all 1), no nonresponse "
            "adjustment; the weights come from calibration to the population margins"
        )
        return True
    smp["w_design"] = design_weights(smp)
    return False


def _disposition_flags(
    smp: pd.DataFrame, dispositions: pd.DataFrame | None, id_column: str, diag: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(ineligible, unknown eligibility) per sampled unit from the fieldwork dispositions."""
    ineligible = np.zeros(len(smp), bool)
    unknown = np.zeros(len(smp), bool)
    if dispositions is not None and len(dispositions):
        if id_column not in dispositions.columns:
            raise InputError(
                f"dispositions have no {id_column!r} column (frame.id_column)",
                column=id_column,
            )
        disp = dispositions.drop_duplicates(id_column).set_index(id_column)["disposition"]
        d = smp["unit_id"].map(disp)
        ineligible = (d == "ineligible").to_numpy()
        unknown = (d == "unknown_eligibility").to_numpy()
        diag["dispositions"] = {str(k): int(v) for k, v in d.value_counts().sort_index().items()}
    return ineligible, unknown


def sampled_units(
    resp: pd.DataFrame,
    sample: pd.DataFrame,
    dispositions: pd.DataFrame | None,
    id_column: str,
    diag: dict[str, Any],
) -> ChainState:
    """Step 1 with a sample: every sampled unit with its design weight, response and eligibility."""
    smp = sample.reset_index(drop=True).copy()
    _check_links(resp)
    quota = _set_design_weights(smp, diag)
    ineligible, unknown = _disposition_flags(smp, dispositions, id_column, diag)
    responded = smp["unit_id"].isin(resp["unit_id"]).to_numpy()
    # a respondent is eligible whatever the fieldwork disposition said
    ineligible = ineligible & ~responded
    unknown = unknown & ~responded
    notin = ~resp["unit_id"].isin(smp["unit_id"])
    if notin.any():
        row = int(np.flatnonzero(notin.to_numpy())[0]) + 1
        raise InputError(
            f"{int(notin.sum())} respondent(s) are not sampled units "
            f"(unit_id {shown(resp['unit_id'][notin].iloc[0])})",
            row=row,
            column="unit_id",
        )
    diag["design_weights_present"] = not quota
    units = smp
    if quota:
        for c in ("fpc_1", "fpc_2", "fpc_3"):
            if c in units.columns:
                units = units.drop(columns=c)
    return ChainState(units, responded, ineligible, unknown, True, quota, diag)


def responding_units(
    resp: pd.DataFrame, base_weight: str | None, diag: dict[str, Any]
) -> ChainState:
    """Step 1 without a sample: the respondents with a configured base weight or 1."""
    units = resp.copy()
    if base_weight:
        if base_weight not in units.columns:
            raise ConfigError(
                f"column {base_weight!r} not in the responses", key="weighting.base_weight"
            )
        w = pd.to_numeric(units[base_weight], errors="coerce").to_numpy(float)
        check_weights(w, column=base_weight, allow_zero=False)
        units["w_design"] = w
    else:
        units["w_design"] = 1.0
    diag["design_weights_present"] = bool(base_weight)
    if not base_weight:
        diag["note"] = "no design weights: the study starts at responses without base weights"
    none = np.zeros(len(units), bool)
    return ChainState(units, np.ones(len(units), bool), none, none, False, False, diag)


# --------------------------------------------------------------------------- adjustments
def replicate_step(
    ch: ChainState, opts: WeightingOptions, lonely_psu: str, rng: np.random.Generator
) -> None:
    """The design weights times the replicate multipliers: ``W = [w, w * F]``."""
    check_weights(ch.units["w_design"].to_numpy(), column="w_design", allow_zero=False)
    ch.rep = make_replicates(ch.units, opts.replicates, lonely_psu, rng)
    w0 = ch.units["w_design"].to_numpy(float)
    ch.W = w0[:, None] if ch.rep is None else np.column_stack([w0, w0[:, None] * ch.rep.factors])
    ch.steps["w_design"] = ch.W[:, 0].copy()


def eligibility_step(ch: ChainState) -> None:
    """Unknown eligibility redistributed within strata; the ineligible and unknown units leave."""
    units = ch.units
    if ch.unknown.any():
        strata = (
            codes_in_order(units["stratum"])
            if "stratum" in units.columns
            else np.zeros(len(units), int)
        )
        ch.W = redistribute_unknown_eligibility(ch.W, ch.unknown, strata)
    keep = ~(ch.ineligible | ch.unknown)
    ch.diag["eligibility"] = {
        "ineligible_dropped": int(ch.ineligible.sum()),
        "unknown_eligibility_redistributed": int(ch.unknown.sum()),
    }
    if not keep.all():
        ch.W, ch.responded = ch.W[keep], ch.responded[keep]
        ch.units = units[keep].reset_index(drop=True)
        ch.steps = {k: v[keep] for k, v in ch.steps.items()}


def _nonresponse_classes(ch: ChainState, nr: NonresponseOptions) -> np.ndarray:
    """Class codes for the nonresponse adjustment (and its diagnostics)."""
    if nr.method == "propensity":
        covs = [c for c in nr.covariates if c in ch.units.columns]
        missing = [c for c in nr.covariates if c not in ch.units.columns]
        if missing:
            raise ConfigError(
                f"covariates {missing} are not columns of the sample",
                key="weighting.nonresponse.covariates",
            )
        pr = response_propensity(ch.units, ch.responded, covs, nr.classes)
        ch.diag["nonresponse"] = {
            "method": "propensity classes",
            "note": "response model fitted once; class factors recomputed in each replicate",
            "covariates": covs,
            "converged": pr.converged,
            "coefficients": pr.params.to_dict(),
            "classes": pr.class_summary.to_dict(orient="records"),
        }
        return pr.classes
    if nr.method == "classes":
        ch.diag["nonresponse"] = {"method": "weighting classes", "variables": nr.class_variables}
        return cell_codes(ch.units, "*".join(nr.class_variables))[0]
    raise ConfigError(
        f"unknown method {nr.method!r}; allowed: propensity, classes, none",
        key="weighting.nonresponse.method",
    )


def nonresponse_step(ch: ChainState, nr: NonresponseOptions) -> None:
    """Weighting-class adjustment over the eligible sampled units (not for a quota sample)."""
    if ch.sampled and nr.method != "none" and not ch.responded.all() and not ch.quota:
        ch.W = class_adjustment(ch.W, ch.responded, _nonresponse_classes(ch, nr))
    ch.steps["w_nonresponse"] = ch.W[:, 0].copy()
    wd = ch.steps["w_design"]
    ch.diag["response_rate_weighted"] = float(wd[ch.responded].sum() / wd.sum())
    ch.diag["response_rate"] = float(ch.responded.mean())


def respondents_step(ch: ChainState, resp: pd.DataFrame) -> None:
    """From the sampled units to the respondents, in the order of the responses."""
    if not ch.sampled:
        return
    pos = pd.Series(np.arange(len(ch.units)), index=ch.units["unit_id"])
    idx = pos.loc[resp["unit_id"]].to_numpy()
    ch.W = ch.W[idx]
    ch.steps = {k: v[idx] for k, v in ch.steps.items()}
    ch.units = ch.units.iloc[idx].reset_index(drop=True)
    for c in ("region", "segment"):
        if c in resp.columns:
            ch.units[c] = resp[c].to_numpy()


# --------------------------------------------------------------------------- calibration
def _margins(cal: CalibrationOptions, frame: pd.DataFrame | None, cdiag: dict[str, Any]) -> Margins:
    if cal.margins_from == "frame" and frame is not None:
        return margins_from_frame(frame, cal.variables)
    if cal.margins:
        return margins_from_config(cal.margins, cal.population_total)
    cdiag["method"] = "none"
    cdiag["note"] = "no population margins (no frame and no weighting.calibration.margins)"
    return {}


def _rake(ch: ChainState, cal: CalibrationOptions, margins: Margins, cdiag: dict[str, Any]) -> None:
    ch.W, rres = rake_frame(ch.W, ch.units, margins, cal.rtol, cal.max_sweeps)
    cdiag.update(
        sweeps=rres[0].sweeps,
        max_rel_error=rres[0].max_rel_error,
        converged=rres[0].converged,
        replicates_not_converged=sum(not r.converged for r in rres[1:]),
        max_sweeps_replicates=max(r.sweeps for r in rres),
    )


def _poststratify(ch: ChainState, margins: Margins, cdiag: dict[str, Any]) -> None:
    var = "*".join(margins)
    if len(margins) > 1:
        raise ConfigError(
            "post-stratification takes one margin (use a*b for a cross)",
            key="weighting.calibration.variables",
        )
    ch.W = poststratify(ch.W, ch.units, var, margins[var])
    cdiag.update(converged=True, sweeps=1, max_rel_error=0.0)


def _calibrate(
    ch: ChainState, cal: CalibrationOptions, margins: Margins, cdiag: dict[str, Any]
) -> None:
    X, tot, names = calibration_matrix(ch.units, margins)
    lo, hi = cal.bounds
    bounds = (-np.inf if lo is None else lo, np.inf if hi is None else hi)
    method = "raking" if cal.method == "raking_ratio" else cal.method
    gs = [
        calibrate(ch.W[:, j], X, tot, method, bounds, cal.max_iter, 1e-10, j == 0)
        for j in range(ch.W.shape[1])
    ]
    ch.W = ch.W * np.column_stack([g.g for g in gs])
    cdiag.update(
        iterations=gs[0].iterations,
        max_rel_error=gs[0].max_rel_error,
        converged=gs[0].converged,
        replicates_not_converged=sum(not g.converged for g in gs[1:]),
        variables=names,
    )


def calibration_step(ch: ChainState, cal: CalibrationOptions, frame: pd.DataFrame | None) -> None:
    """Calibration of every column to the population margins (frame or config)."""
    cdiag: dict[str, Any] = {"method": cal.method}
    if cal.method != "none":
        margins = _margins(cal, frame, cdiag)
        if margins:
            cdiag["margins"] = margins
            if cal.method == "raking":
                _rake(ch, cal, margins, cdiag)
            elif cal.method == "poststratify":
                _poststratify(ch, margins, cdiag)
            elif cal.method in ("linear", "raking_ratio", "logit"):
                _calibrate(ch, cal, margins, cdiag)
            else:
                raise ConfigError(
                    f"unknown method {cal.method!r}; allowed: raking, poststratify, linear, "
                    "raking_ratio, logit, none",
                    key="weighting.calibration.method",
                )
    ch.diag["calibration"] = cdiag
    ch.steps["w_calibrated"] = ch.W[:, 0].copy()


# --------------------------------------------------------------------------- final weights
def trimming_step(ch: ChainState, opts: WeightingOptions) -> None:
    """Trimming of every column, then normalisation (``N``, ``n`` or a number)."""
    ch.W, tres = trim_columns(ch.W, opts.trimming)
    ch.diag["trimming"] = (
        {"method": "none"}
        if tres is None
        else {
            "method": opts.trimming.method,
            "lower": tres.lower,
            "upper": tres.upper,
            "rounds": tres.rounds,
            "trimmed_share": tres.trimmed_share,
        }
    )
    to = opts.normalise
    ch.W = normalise(ch.W, to if to in ("N", "n") else float(to))
    ch.steps["w_final"] = ch.W[:, 0].copy()


def weights_table(ch: ChainState, resp: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent: ids, the weight of every step, design columns, the calibration
    variables (for Taylor SEs downstream) and the replicate weights ``rep_001``..."""
    units = ch.units
    out = pd.DataFrame({"respondent_id": resp["respondent_id"].astype(str)})
    if "unit_id" in resp.columns:
        out["unit_id"] = resp["unit_id"]
    for k, v in ch.steps.items():
        out[k] = v
    for c in ("stratum", "psu", "fpc_1", "fpc_2"):
        out[c] = units[c].to_numpy() if c in units.columns else None
    for c in ("ssu", "fpc_3", "pi_1", "pi_2", "pi_3"):  # third stage; stage probabilities
        if c in units.columns:
            out[c] = units[c].to_numpy()
    for var in ch.diag["calibration"].get("margins", {}):
        for c in var.split("*"):
            if c not in out.columns:
                out[c] = units[c].astype(str).to_numpy()
    for c in ("stratum", "psu", "ssu"):
        if c in out.columns and out[c].notna().all():
            out[c] = out[c].astype(str)
    if ch.rep is not None:
        R = ch.W.shape[1] - 1
        reps = pd.DataFrame(ch.W[:, 1:], columns=[f"rep_{r + 1:03d}" for r in range(R)])
        out = pd.concat([out, reps], axis=1)
    return out


def _finish_diagnostics(ch: ChainState, n_respondents: int) -> pd.DataFrame:
    """Replicate constants and weight diagnostics of every step; the per-step table."""
    rep = ch.rep
    if rep is not None:
        ch.diag.update(
            replicate_type=rep.type,
            scale=float(rep.scale),
            rscales=[float(x) for x in rep.rscales],
            mse=bool(rep.mse),
            n_replicates=int(ch.W.shape[1] - 1),
            replicate_fpc=rep.fpc,
        )
    else:
        ch.diag.update(replicate_type=None, scale=None, rscales=None, mse=None, n_replicates=0)
    table = pd.DataFrame([{"weight": k, **weighting_diagnostics(v)} for k, v in ch.steps.items()])
    ch.diag["weights"] = {k: weighting_diagnostics(v) for k, v in ch.steps.items()}
    ch.diag["n_respondents"] = int(n_respondents)
    ch.diag["n_eligible_sampled"] = int(len(ch.responded))
    return table


def build_weights(
    responses: pd.DataFrame,
    cfg: WeightingOptions | Mapping[str, Any] | None = None,
    sample: pd.DataFrame | None = None,
    dispositions: pd.DataFrame | None = None,
    frame: pd.DataFrame | None = None,
    id_column: str = "customer_id",
    lonely_psu: str = "adjust",
    seed: int = 0,
) -> WeightingOutput:
    """The weighting chain of a study: design weights (1/pi from the sample, a configured base
    weight or 1) -> nonresponse adjustment over all eligible sampled units -> calibration to
    population margins -> trimming -> normalisation; each replicate of the design goes through
    the same steps (so replicate SEs reflect the weighting). ``cfg`` is the ``weighting`` config
    section or its :class:`WeightingOptions`."""
    opts = cfg if isinstance(cfg, WeightingOptions) else WeightingOptions.from_config(cfg)
    rng = np.random.default_rng(seed)
    diag: dict[str, Any] = {"lonely_psu": lonely_psu}
    resp = responses.reset_index(drop=True)
    if "respondent_id" not in resp.columns:
        raise InputError("clean responses have no respondent_id column", column="respondent_id")
    if sample is not None:
        ch = sampled_units(resp, sample, dispositions, id_column, diag)
    else:
        ch = responding_units(resp, opts.base_weight, diag)
    replicate_step(ch, opts, lonely_psu, rng)
    eligibility_step(ch)
    nonresponse_step(ch, opts.nonresponse)
    respondents_step(ch, resp)
    calibration_step(ch, opts.calibration, frame)
    trimming_step(ch, opts)
    out = weights_table(ch, resp)
    table = _finish_diagnostics(ch, len(out))
    return WeightingOutput(out, ch.diag, table)
