"""Sampling designs with exact first-order inclusion probabilities at every stage.

Probability designs: simple random sampling without (SRSWOR) and with (SRSWR) replacement,
systematic (equal probability with a fractional interval, and PPS systematic as R's
``sampling::UPsystematic``), stratified (any within-stratum method; proportional, equal, Neyman,
optimal or fixed allocation, rounded by largest remainder), one-stage cluster and two- or
three-stage designs. PPS probabilities with take-all units follow R's
``sampling::inclusionprobabilities``. Quota sampling is the non-probability option: its design
weights are undefined and weighting must calibrate.

Everything is vectorised over units and clusters: within-group selection uses random keys and
one sort (SRS) or grouped cumulative sums (systematic); loops run only over stages and over the
few rounds of the take-all iteration. References: Cochran (1977) *Sampling Techniques*, ch. 4-5,
9-11; Sarndal, Swensson & Wretman (1992) ch. 3; Tille (2006) *Sampling Algorithms*.

Modules by concept: :mod:`.size` (sample size), :mod:`.allocation` (over strata),
:mod:`.selection` (SRS, systematic, PPS), :mod:`.design` (the design specification),
:mod:`.multistage` (drawing and planning), :mod:`.codes` (unit codes and frame checks),
:mod:`.quota`, :mod:`.config` (designs from the config) and :mod:`.frame` (reading a frame).
"""

from ..seeds import derive_seed
from .allocation import ALLOCATIONS, Allocation, allocate, largest_remainder
from .config import (
    DEFAULT_STAGES,
    design_from_config,
    design_plan,
    draw_from_config,
    resolve_sample_size,
)
from .design import DESIGN_METHODS, Design, SampleResult, Stage
from .frame import read_frame
from .multistage import check_frame, draw, factorize, plan, prepare
from .quota import quota_sample
from .selection import (
    EPS,
    STAGE_METHODS,
    check_sizes,
    inclusion_probabilities,
    select_in_groups,
    up_systematic,
)
from .size import SampleSize, sample_size

__all__ = [
    "ALLOCATIONS",
    "Allocation",
    "DEFAULT_STAGES",
    "DESIGN_METHODS",
    "Design",
    "EPS",
    "STAGE_METHODS",
    "SampleResult",
    "SampleSize",
    "Stage",
    "allocate",
    "check_frame",
    "check_sizes",
    "derive_seed",
    "design_from_config",
    "design_plan",
    "draw",
    "draw_from_config",
    "factorize",
    "inclusion_probabilities",
    "largest_remainder",
    "plan",
    "prepare",
    "quota_sample",
    "read_frame",
    "resolve_sample_size",
    "sample_size",
    "select_in_groups",
    "up_systematic",
]
