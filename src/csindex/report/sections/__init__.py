"""The sections of the report, each a function of the :class:`ReportContext`: executive summary,
method, per-question summaries, model (diagram and quality criteria), where to act (IPA) and
segments, and the appendix (configuration and diagnostics, collapsible).

One module per section: :mod:`.overview` (summary), :mod:`.methodology` (method),
:mod:`.answers` (questions), :mod:`.modelling` (model), :mod:`.priorities` (ipa) and
:mod:`.provenance` (appendix); :mod:`.common` holds what they share."""

from .answers import questions
from .methodology import method
from .modelling import bootstrap_stars, model, r2_map, structural_paths
from .overview import summary
from .priorities import ipa
from .provenance import APPENDIX_TABLES, PACKAGES, appendix, mask_small_rows

SECTIONS = ("summary", "method", "questions", "model", "ipa", "appendix")

__all__ = [
    "APPENDIX_TABLES",
    "PACKAGES",
    "SECTIONS",
    "appendix",
    "bootstrap_stars",
    "ipa",
    "mask_small_rows",
    "method",
    "model",
    "questions",
    "r2_map",
    "structural_paths",
    "summary",
]
