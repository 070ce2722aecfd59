"""Rule report: report/report.html, questions.csv and diagnostics.json from the version
folder's stage outputs."""

from pathlib import Path

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.instrument import load_instrument  # noqa: E402
from csindex.report import make_report, write_report  # noqa: E402

instrument = load_instrument(snakemake.params.instrument)
report = make_report(Path(snakemake.output[0]).parent.parent, dict(snakemake.config), instrument)
write_report(report, snakemake.output[0])
log.info("report written: %s (%d bytes)", snakemake.output[0], len(report.html.encode("utf-8")))
