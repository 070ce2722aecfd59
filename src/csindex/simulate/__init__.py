"""The demo world of Company L: a customer frame and a fieldwork simulator.

``simulate_frame`` builds the sampling frame: regions as strata of unequal size, branches as
clusters nested in regions with very unequal sizes (Dirichlet-multinomial) and the size measure
``branch_size``, customer segment, tenure and monthly spend correlated with segment and region.

``simulate_fieldwork`` answers the questionnaire for a drawn sample from the ACSI model of
figure 4-1 (seed 001)::

    CE = mu(segment, region, branch) + zeta_CE
    PQ = a_PQ + b*CE + zeta_PQ
    PV = a_PV + b*CE + b*PQ + zeta_PV
    CS = a_CS + b*CE + b*PQ + b*PV + zeta_CS
    CC = a_CC + b*CS + zeta_CC            (CS -> CC negative)
    CL = a_CL + b*CS + b*CC + zeta_CL
    x*_j = nu_j + lambda_j * eta_c(j) + e_j,   x_j = min + step * #{tau_k < x*_j}

Every customer's latent values and answers are a deterministic function of (seed, frame row):
the random numbers come from a counter-based generator (SplitMix64 of the frame row index,
keyed per seed and per named stream), so the whole population can be "interviewed" in chunks
to compute the truth (item means, 0-100 construct scores, the CSI) and a sampled respondent
answers exactly what the census says. Nonresponse depends on segment and region; defects
(out-of-range, don't-know and refused codes, straight-liners, speeders, duplicate submissions,
partial completes, failed attention checks) are injected in configured shares and counted in
``injected``.

Modules: :mod:`.streams` (defaults, counter-based random numbers), :mod:`.frame` (the customer
frame), :mod:`.population` (latent scores and answers of every customer), :mod:`.truth` (the
census values and true parameters written for validation), :mod:`.fieldwork` (contacts,
nonresponse, submissions), :mod:`.defects` (the injected defects), :mod:`.pii` (simulated
personal data), :mod:`.world` (a programme of many companies, industries and sectors over
waves, with known true changes).
"""

from __future__ import annotations

from .fieldwork import Fieldwork, simulate_fieldwork
from .frame import Frame, frame_summary, simulate_frame
from .population import population_answers
from .streams import DEFAULT_FIELDWORK, DEFAULT_FRAME, DISPOSITIONS, TRUTH_DEFINITION
from .streams import uniform as _uniform  # noqa: F401  (tests use the historic name)
from .truth import compute_truth

__all__ = [
    "DEFAULT_FIELDWORK",
    "DEFAULT_FRAME",
    "DISPOSITIONS",
    "Fieldwork",
    "Frame",
    "TRUTH_DEFINITION",
    "compute_truth",
    "frame_summary",
    "population_answers",
    "simulate_fieldwork",
    "simulate_frame",
]
