"""Survey weights: design weights, nonresponse adjustment, post-stratification, raking,
calibration (linear, raking ratio, logit), trimming, normalisation and replicate weights.

Every adjustment works on a weight vector ``(n,)`` or a matrix ``(n, 1 + R)`` whose first column is
the full sample and the rest replicates, so each replicate goes through the same steps
(Wolter 2007, ch. 4; Valliant, Dever & Kreuter 2018). The formulas follow R ``survey``
(``postStratify``, ``rake``, ``calibrate``/``grake``, ``trimWeights``, ``as.svrepdesign``).

Modules by concept: :mod:`.design` (design weights), :mod:`.adjustment` (eligibility,
nonresponse), :mod:`.margins` (population margins), :mod:`.calibration` (post-stratification,
raking, calibration), :mod:`.trimming` (trimming, normalisation), :mod:`.replicates` (JK1, JKn,
BRR/Fay, bootstrap), :mod:`.diagnostics` (Kish n_eff, deff, CV), :mod:`.options` (typed
options of the config section) and :mod:`.chain` (:func:`build_weights`, the study's chain).
"""

from csindex.weighting.adjustment import (
    PropensityResult,
    class_adjustment,
    redistribute_unknown_eligibility,
    response_propensity,
)
from csindex.weighting.calibration import (
    CalibrationResult,
    RakeResult,
    calibrate,
    calibration_matrix,
    poststratify,
    rake,
    rake_frame,
)
from csindex.weighting.chain import WeightingOutput, build_weights
from csindex.weighting.common import (
    as2d,
    back,
    check_weights,
    codes_in_order,
    col_group_sums,
)
from csindex.weighting.design import design_weights
from csindex.weighting.diagnostics import weighting_diagnostics
from csindex.weighting.margins import (
    align_margin,
    cell_codes,
    check_margin_totals,
    margin_columns,
    margins_from_config,
    margins_from_frame,
)
from csindex.weighting.options import (
    DEFAULTS,
    CalibrationOptions,
    NonresponseOptions,
    ReplicateOptions,
    TrimmingOptions,
    WeightingOptions,
    merged_config,
)
from csindex.weighting.replicates import (
    Replicates,
    bootstrap_replicates,
    brr_replicates,
    check_fpc,
    first_rows,
    jk1_replicates,
    jkn_replicates,
    make_replicates,
    psu_codes,
    subsampled_psus,
)
from csindex.weighting.trimming import (
    TrimResult,
    normalise,
    trim_bounds,
    trim_columns,
    trim_weights,
)

# the former private names of the single-module csindex.weighting, kept for old callers
_as2d = as2d
_back = back
_col_group_sums = col_group_sums
_codes = codes_in_order
_cell_codes = cell_codes
_align_margin = align_margin
_psu_codes = psu_codes
_first_rows = first_rows
_check_fpc = check_fpc
_make_replicates = make_replicates
_subsampled_psus = subsampled_psus
_merged = merged_config

__all__ = [
    "DEFAULTS",
    "CalibrationOptions",
    "CalibrationResult",
    "NonresponseOptions",
    "PropensityResult",
    "RakeResult",
    "ReplicateOptions",
    "Replicates",
    "TrimResult",
    "TrimmingOptions",
    "WeightingOptions",
    "WeightingOutput",
    "align_margin",
    "as2d",
    "back",
    "bootstrap_replicates",
    "brr_replicates",
    "build_weights",
    "calibrate",
    "calibration_matrix",
    "cell_codes",
    "check_fpc",
    "check_margin_totals",
    "check_weights",
    "class_adjustment",
    "codes_in_order",
    "col_group_sums",
    "design_weights",
    "first_rows",
    "jk1_replicates",
    "jkn_replicates",
    "make_replicates",
    "margins_from_config",
    "margin_columns",
    "margins_from_frame",
    "merged_config",
    "normalise",
    "poststratify",
    "psu_codes",
    "rake",
    "rake_frame",
    "redistribute_unknown_eligibility",
    "response_propensity",
    "subsampled_psus",
    "trim_bounds",
    "trim_columns",
    "trim_weights",
    "weighting_diagnostics",
]
