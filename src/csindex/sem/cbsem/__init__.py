"""Covariance-based SEM by maximum likelihood, converged to lavaan's optimum.

Model (LISREL, all-y): eta = B eta + zeta, x = Lambda eta + eps, Cov(zeta) = Psi,
Cov(eps) = Theta, so Sigma(theta) = Lambda A Psi A' Lambda' + Theta with A = (I - B)^-1.
Parameterisation as lavaan's ``sem()`` defaults: first item of a block is the marker (loading 1);
free non-marker loadings, paths, item error variances, latent (disturbance) variances and
covariances among exogenous latent variables; a single indicator's error variance fixed
(``ModelSpec.single_indicator_error_share`` of its variance, lavaan's default 0).

Estimation minimises F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p with S the (weighted)
covariance matrix with divisor N (lavaan's normal likelihood). semopy (lavaan-style syntax) gives
the start values; Fisher scoring with the analytic gradient
dF/dtheta_j = tr(M dSigma_j), M = Sigma^-1 - Sigma^-1 S Sigma^-1, and expected information
I_jk = 1/2 tr(Sigma^-1 dSigma_j Sigma^-1 dSigma_k) takes it to lavaan's optimum, then Newton
steps on the observed Hessian polish until the largest gradient element is below ``gtol``.
Every dSigma_j is a symmetric rank-2 matrix a b' + b a', which makes gradient and information
cheap and lets replicates (bootstrap, replicate weights) be fitted together in batches.

Standard errors: ``se="standard"`` (ML, expected information, as lavaan ``se="standard"``):
vcov = (N I)^-1. ``se="robust"`` (as lavaan ``estimator="MLR"``, also with
``sampling.weights=``): sandwich A^-1 B A^-1 with bread A = N/2 * Hessian of F (observed
information) and meat B = sum_i w_i^2 s_i s_i' from the case scores s_i of the log-likelihood,
weights normalised to sum to N (pseudo-maximum likelihood on weighted moments).

Missing items: ``missing="listwise"`` (lavaan's default) or ``missing="ml"`` (full-information
ML over the missing-data patterns with saturated means, as lavaan ``missing="ml"``; observed
information; chi-square against the EM-estimated unrestricted model).

Replicates (:func:`cbsem_bootstrap`, :func:`cbsem_replicates`) refit all covariance matrices
together: Newton steps with the exact Hessian (Fisher scoring where it is not positive definite),
warm-started at the full-sample estimate.

Modules by concept (everything is importable from ``csindex.sem.cbsem``):

- :mod:`.structure`: parameter layout (:class:`Structure`, :func:`build_structure`) and the
  model-implied moments (:func:`implied`, dSigma/dtheta as :func:`element_vectors`);
- :mod:`.likelihood`: F_ML, its gradient, expected information and Hessian, batched Newton /
  Fisher scoring (:func:`fisher_scoring`, :func:`newton_polish`);
- :mod:`.data`: the checked item matrix and weights, (weighted) moments;
- :mod:`.start`: start values;
- :mod:`.derived`: standardized solution, defined parameters, effects, R², score weights;
- :mod:`.inference`: standard / robust (sandwich) covariance, delta method, parameter tables;
- :mod:`.fiml`: full-information ML with missing items;
- :mod:`.results`: :class:`CBSEMResult`;
- :mod:`.fit`: :func:`fit_cbsem`;
- :mod:`.replicates`: :func:`cbsem_bootstrap`, :func:`cbsem_replicates`, :func:`replicate_se`.
"""

from .data import batch_moments, check_moments, equal_weights, prepare_items, weighted_cov
from .derived import (
    defined_values,
    effect_pairs,
    effect_values,
    r2_values,
    score_weight_matrix,
    std_all,
)
from .fiml import (
    Pattern,
    fiml_hessian,
    fiml_hessian_numeric,
    fiml_information,
    fiml_objective,
    fit_fiml,
    missing_patterns,
)
from .fit import fit_cbsem
from .inference import Z975, delta_se, ml_vcov, parameter_tables, ztable
from .likelihood import (
    chol_inv,
    exact_hessian,
    fisher_scoring,
    gradient,
    gradient_information,
    hessian_analytic,
    newton_polish,
    numeric_hessian,
    objective,
)
from .replicates import cbsem_bootstrap, cbsem_replicates, derived_columns, replicate_se
from .results import CBSEMResult
from .start import semopy_start, simple_start, start_values
from .structure import (
    BETA,
    LAM,
    PSI,
    THETA,
    XCOV,
    Structure,
    build_structure,
    element_vectors,
    free_keys,
    implied,
    model_matrices,
)

# the names these functions had when this package was one module (used by the tests)
_chol_inv = chol_inv
_hessian_analytic = hessian_analytic
_hessian = numeric_hessian
_free_keys = free_keys
_prepare = prepare_items
_patterns = missing_patterns
_fiml_hessian = fiml_hessian
_fiml_hessian_numeric = fiml_hessian_numeric
_start_semopy = semopy_start

__all__ = [
    # the public API
    "CBSEMResult",
    "Structure",
    "build_structure",
    "cbsem_bootstrap",
    "cbsem_replicates",
    "fit_cbsem",
    "implied",
    "replicate_se",
    "weighted_cov",
    # the engine (shared with csindex.sem.multigroup)
    "BETA",
    "LAM",
    "PSI",
    "THETA",
    "XCOV",
    "Pattern",
    "Z975",
    "batch_moments",
    "check_moments",
    "chol_inv",
    "defined_values",
    "delta_se",
    "derived_columns",
    "effect_pairs",
    "effect_values",
    "element_vectors",
    "equal_weights",
    "exact_hessian",
    "fiml_hessian",
    "fiml_hessian_numeric",
    "fiml_information",
    "fiml_objective",
    "fisher_scoring",
    "fit_fiml",
    "free_keys",
    "gradient",
    "gradient_information",
    "hessian_analytic",
    "missing_patterns",
    "ml_vcov",
    "model_matrices",
    "newton_polish",
    "numeric_hessian",
    "objective",
    "parameter_tables",
    "prepare_items",
    "r2_values",
    "score_weight_matrix",
    "semopy_start",
    "simple_start",
    "start_values",
    "std_all",
    "ztable",
]
