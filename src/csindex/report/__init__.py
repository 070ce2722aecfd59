"""The study report: report/report.html from one version folder (see :func:`build_report`)."""

from .builder import ReportBuilder, ReportOptions, build_report, find_previous_version, write_report
from .tables import answer_distribution, difference_test, kish_neff, suppress_small_cells

__all__ = [
    "ReportBuilder",
    "ReportOptions",
    "answer_distribution",
    "build_report",
    "difference_test",
    "find_previous_version",
    "kish_neff",
    "suppress_small_cells",
    "write_report",
]
