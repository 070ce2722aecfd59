"""csindex: customer satisfaction index studies, from sampling frame to report.

The verbs of the stages (loaded on first use, so ``import csindex`` stays fast)::

    draw_sample(frame, design, seed)      csindex.sampling.draw
    weight(responses, cfg, ...)           csindex.weighting.build_weights
    survey_design(data, DesignVariables(weight=, strata=, psu=, fpc=), replicates=, variance=)
                                          csindex.estimation.survey_design (SurveyDesign)
    estimate(design, y)                   csindex.estimation.survey_mean (also survey_total,
                                          survey_ratio, survey_proportions)
    fit(data, model="acsi", estimator="pls"|"cbsem", weights=...)  -> ModelResults
    acsi_index(data, spec, raw_weights, scale)   the ACSI 0-100 index
    index_tables(...)                     the index stage's tables (index, SE, IPA)
    compare_truth(truth, ...)             a simulated study against its truth (rule validate)

Results of ``fit`` share one interface (:class:`csindex.results.ModelResults`): ``params``,
``bse``, ``conf_int()``, ``summary()``, ``to_frame()``, ``index()``, ``bootstrap()``.
BLAS runs on one thread inside the fits: ``set_blas_threads(n)`` changes it.
"""

import importlib as _importlib
from typing import Any as _Any

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str]] = {
    # sampling
    "draw_sample": ("csindex.sampling", "draw"),
    "draw_from_config": ("csindex.sampling", "draw_from_config"),
    "Design": ("csindex.sampling", "Design"),
    # weighting
    "weight": ("csindex.weighting", "build_weights"),
    "build_weights": ("csindex.weighting", "build_weights"),
    # estimation with a survey design
    "SurveyDesign": ("csindex.estimation", "SurveyDesign"),
    "survey_design": ("csindex.estimation", "survey_design"),
    "DesignVariables": ("csindex.estimation", "DesignVariables"),
    "ReplicateWeights": ("csindex.estimation", "ReplicateWeights"),
    "VarianceOptions": ("csindex.estimation", "VarianceOptions"),
    "estimate": ("csindex.estimation", "survey_mean"),
    "survey_mean": ("csindex.estimation", "survey_mean"),
    "survey_total": ("csindex.estimation", "survey_total"),
    "survey_ratio": ("csindex.estimation", "survey_ratio"),
    "survey_proportions": ("csindex.estimation", "survey_proportions"),
    # models
    "fit": ("csindex.api", "fit"),
    "model_spec": ("csindex.api", "model_spec"),
    "ECSI_BLOCKS": ("csindex.api", "ECSI_BLOCKS"),
    "ModelSpec": ("csindex.sem.spec", "ModelSpec"),
    "acsi_spec": ("csindex.sem.spec", "acsi_spec"),
    "ecsi_spec": ("csindex.sem.spec", "ecsi_spec"),
    "fit_pls": ("csindex.sem.pls", "fit_pls"),
    "fit_cbsem": ("csindex.sem.cbsem", "fit_cbsem"),
    "ModelResults": ("csindex.results", "ModelResults"),
    "Summary": ("csindex.results", "Summary"),
    # index
    "acsi_index": ("csindex.sem.acsi", "acsi_index"),
    "index_tables": ("csindex.index", "index_tables"),
    "IndexOptions": ("csindex.index", "IndexOptions"),
    "index_rows": ("csindex.index", "index_rows"),
    # a simulated study against its truth
    "compare_truth": ("csindex.validation", "compare_truth"),
    # utilities
    "derive_seed": ("csindex.seeds", "derive_seed"),
    "set_blas_threads": ("csindex.threads", "set_blas_threads"),
    "load_instrument": ("csindex.instrument", "load_instrument"),
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> _Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'csindex' has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
