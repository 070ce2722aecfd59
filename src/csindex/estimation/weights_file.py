"""The survey design of the weights stage's output (``weights/weights.parquet`` and
``weights/diagnostics.json``): replicate weights when present, otherwise the Taylor design of
its strata, PSUs, fpc or inclusion probabilities and calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csindex.errors import InputError
from csindex.estimation.calibration import GregInfo
from csindex.estimation.design import SurveyDesign, survey_design
from csindex.estimation.options import DesignVariables, ReplicateWeights, VarianceOptions
from csindex.estimation.replicates import MSE_DEFAULT
from csindex.weighting import calibration_matrix


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
            DesignVariables(weight="w_final"),
            replicates=ReplicateWeights(
                rep_cols,
                type=diagnostics.get("replicate_type"),
                scale=diagnostics.get("scale"),
                rscales=diagnostics.get("rscales"),
                mse=bool(diagnostics.get("mse", MSE_DEFAULT)),
            ),
            variance=VarianceOptions(lonely_psu=lonely),
        )
    variables, pps = _taylor_variables(wdf, diagnostics.get("pps") or None)
    return survey_design(
        wdf,
        variables,
        variance=VarianceOptions(lonely_psu=lonely, pps=pps),
        calibrations=_calibrations(wdf, diagnostics),
    )


def _complete(wdf: pd.DataFrame, cols: tuple[str, ...]) -> list[str]:
    """The leading columns of ``cols`` present in ``wdf`` without missing values."""
    out = []
    for c in cols:  # later stages only after the earlier ones
        if c not in wdf.columns or not wdf[c].notna().all():
            break
        out.append(c)
    return out


def _taylor_variables(wdf: pd.DataFrame, pps: str | None) -> tuple[DesignVariables, str | None]:
    """The Taylor design's columns in the weights file (``stratum``, ``psu``, ``ssu``, ``fpc_k``
    or, with PPS, ``pi_k``) and the PPS method (None for ``none``)."""
    has = set(wdf.columns)
    strata = "stratum" if "stratum" in has and wdf["stratum"].notna().all() else None
    psu = "psu" if "psu" in has and wdf["psu"].notna().all() else None
    ssu = "ssu" if psu and "ssu" in has and wdf["ssu"].notna().all() else None
    fpc = _complete(wdf, ("fpc_1", "fpc_2", "fpc_3"))
    if psu is None:
        fpc = fpc[:1]
    elif ssu is None:
        # fpc_2 counts the rows' units only in a two-stage design; with a third stage
        # (fpc_3 present) but no ssu ids, fpc_2 counts SSUs: keep the first stage only
        fpc = fpc[:1] if "fpc_3" in fpc else fpc[:2]
    if pps not in (None, "none"):
        # PPS without replacement: the stage inclusion probabilities pi_k are the fpc
        pis = _complete(wdf, ("pi_1", "pi_2", "pi_3"))
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
    variables = DesignVariables(weight="w_final", strata=strata, psu=psu, ssu=ssu, fpc=fpc or None)
    return variables, pps


def _calibrations(wdf: pd.DataFrame, diagnostics: dict) -> list[GregInfo]:
    """The calibration recorded in the diagnostics as a GREG step (model matrix of the margins,
    weights before calibration ``w_nonresponse``), when the weights file has both weights."""
    cals = []
    cal = diagnostics.get("calibration") or {}
    margins = cal.get("margins")
    if margins and {"w_nonresponse", "w_calibrated"} <= set(wdf.columns):
        X, _, _ = calibration_matrix(wdf, margins)
        w0 = wdf["w_nonresponse"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(w0 > 0, wdf["w_calibrated"].to_numpy(float) / w0, 0.0)
        cals.append(GregInfo(X, w0, g))
    return cals
