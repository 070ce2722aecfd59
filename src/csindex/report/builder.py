"""Build the study report (report/report.html) from one version folder.

``build_report`` reads whatever stage outputs exist under ``results/<study>/<version>/``
(see docs/DEVELOPING.md for the file names), builds the sections (:mod:`.sections`) —
executive summary, method, per-question summaries, model, where to act and segments,
appendix — and renders one self-contained HTML file (figures embedded as base64 SVG, CSS
inline, no network). A section whose stage has not run says so in plain words.
``write_report`` also writes ``report/questions.csv`` (the answer table every per-question
chart and table is drawn from) and ``report/diagnostics.json`` (configuration and
diagnostics, machine-readable).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..instrument import Instrument
from . import sections as S
from .context import ReportContext, ReportOptions
from .fmt import Section
from .folder import csi_row, standard_index_table
from .i18n import t
from .questions import QUESTION_COLUMNS

SECTIONS = S.SECTIONS

__all__ = [
    "SECTIONS",
    "Report",
    "ReportBuilder",
    "ReportOptions",
    "build_report",
    "csi_row",
    "render_html",
    "standard_index_table",
    "write_report",
]


@dataclass
class Report:
    """A built report: its HTML, the answer table and the diagnostics."""

    html: str
    questions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUESTION_COLUMNS))
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def questions_csv(self) -> pd.DataFrame:
        """report/questions.csv: suppressed cells (fewer than min_cell respondents) blank."""
        q = self.questions.copy()
        if "suppressed" in q.columns:
            sup = q.pop("suppressed").to_numpy(dtype=bool)
            for c in ("n", "pct", "pct_weighted", "se_weighted"):
                q[c] = q[c].astype("float64")
                q.loc[sup, c] = float("nan")
        return q[QUESTION_COLUMNS]


class ReportBuilder:
    """Collects the sections of one version's report."""

    def __init__(
        self,
        version_dir: str | Path,
        config: Mapping[str, Any],
        instrument: Instrument,
        options: ReportOptions | None = None,
        base: str | Path | None = None,
    ) -> None:
        from . import figures as F

        self.ctx = ReportContext(version_dir, config, instrument, options, base)
        self.ctx.questions = pd.DataFrame(columns=QUESTION_COLUMNS)
        self.lang = self.ctx.lang
        F.setup(self.lang)

    def build(self) -> list[Section]:
        c = self.ctx
        out = [S.summary(c), S.method(c), S.questions(c), S.model(c), S.ipa(c)]
        out.append(S.appendix(c))  # last: it lists every file the others read
        return out


def render_html(sections: Sequence[Section], config: Mapping[str, Any], language: str) -> str:
    """Render the sections with the Jinja2 template (CSS inlined)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    tdir = Path(__file__).parent / "templates"
    env = Environment(
        loader=FileSystemLoader(str(tdir)),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    css = (tdir / "report.css").read_text(encoding="utf-8")
    tpl = env.get_template("report.html.j2")
    return tpl.render(
        lang=t(language, "language"),
        title=t(language, "title"),
        toc=t(language, "toc"),
        study_label=t(language, "study"),
        version_label=t(language, "version"),
        study=config.get("study", ""),
        version=config.get("version", ""),
        css=css,
        sections=sections,
    )


def make_report(
    version_dir: str | Path,
    config: Mapping[str, Any],
    instrument: Instrument,
    options: ReportOptions | None = None,
    base: str | Path | None = None,
) -> Report:
    """The report of one version folder with its answer table and diagnostics."""
    b = ReportBuilder(version_dir, config, instrument, options, base)
    sections = b.build()
    return Report(render_html(sections, config, b.lang), b.ctx.questions, b.ctx.diagnostics)


def build_report(
    version_dir: str | Path,
    config: Mapping[str, Any],
    instrument: Instrument,
    options: ReportOptions | None = None,
    base: str | Path | None = None,
) -> str:
    """The report of one version folder as a self-contained HTML string. ``base`` is the
    project folder the config's relative paths start from (default: the working directory)."""
    return make_report(version_dir, config, instrument, options, base).html


def write_report(report: Report | str, path: str | Path) -> None:
    """Write report.html as UTF-8 with LF line ends; with a :class:`Report`, also
    questions.csv and diagnostics.json beside it."""
    from ..io import write_csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html_text = report if isinstance(report, str) else report.html
    path.write_bytes(html_text.encode("utf-8"))
    if isinstance(report, Report):
        write_csv(report.questions_csv(), path.parent / "questions.csv")
        (path.parent / "diagnostics.json").write_bytes(
            (
                json.dumps(
                    report.diagnostics, sort_keys=True, indent=2, default=str, ensure_ascii=False
                )
                + "\n"
            ).encode("utf-8")  # fmt: skip
        )
