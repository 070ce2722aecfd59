"""The study report: report/report.html, report/questions.csv and report/diagnostics.json from
one version folder (see :func:`make_report`)."""

from .builder import Report, ReportBuilder, ReportOptions, build_report, make_report, write_report
from .questions import question_table, value_labels
from .tables import answer_distribution, difference_test, kish_neff, suppress_small_cells

__all__ = [
    "Report",
    "ReportBuilder",
    "ReportOptions",
    "answer_distribution",
    "build_report",
    "difference_test",
    "kish_neff",
    "make_report",
    "question_table",
    "suppress_small_cells",
    "value_labels",
    "write_report",
]
