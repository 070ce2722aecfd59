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

Modules by concept: :mod:`.options` (typed options of a design: :class:`DesignVariables`,
:class:`ReplicateWeights`, :class:`VarianceOptions`), :mod:`.design` (:class:`SurveyDesign`,
:func:`survey_design`), :mod:`.weights_file` (:func:`design_from_weights_file`, the design of
the weights stage's output), :mod:`.taylor` (linearisation: multistage and PPS variances,
single-PSU strata), :mod:`.calibration` (calibration residuals), :mod:`.replicates` (replicate
variance, :class:`ReplicateDesign`), :mod:`.estimators` (:func:`survey_mean`,
:func:`survey_total`, :func:`survey_ratio`, :func:`survey_proportions`,
:func:`survey_replicate`, :func:`item_estimates`) and :mod:`.common` (group sums).
"""

from csindex.estimation.calibration import Calibration, GregInfo, PostStratInfo, RakingInfo
from csindex.estimation.design import SurveyDesign, survey_design
from csindex.estimation.estimators import (
    RESULT_COLUMNS,
    item_estimates,
    survey_mean,
    survey_proportions,
    survey_ratio,
    survey_replicate,
    survey_total,
)
from csindex.estimation.options import DesignVariables, ReplicateWeights, VarianceOptions
from csindex.estimation.replicates import (
    MSE_DEFAULT,
    REPLICATE_TYPES,
    ReplicateDesign,
    align_replicates,
    replicate_design,
    replicate_variance,
)
from csindex.estimation.taylor import (
    LONELY_PSU,
    PPS_METHODS,
    Stage,
    multistage_variance,
    pps_variance,
    stage_variance,
)
from csindex.estimation.weights_file import design_from_weights_file
from csindex.weighting import weighting_diagnostics as weighting_diagnostics  # re-export

__all__ = [
    "LONELY_PSU",
    "MSE_DEFAULT",
    "PPS_METHODS",
    "REPLICATE_TYPES",
    "RESULT_COLUMNS",
    "Calibration",
    "DesignVariables",
    "GregInfo",
    "PostStratInfo",
    "RakingInfo",
    "ReplicateDesign",
    "ReplicateWeights",
    "Stage",
    "SurveyDesign",
    "VarianceOptions",
    "align_replicates",
    "design_from_weights_file",
    "item_estimates",
    "multistage_variance",
    "pps_variance",
    "replicate_design",
    "replicate_variance",
    "stage_variance",
    "survey_design",
    "survey_mean",
    "survey_proportions",
    "survey_ratio",
    "survey_replicate",
    "survey_total",
    "weighting_diagnostics",
]
