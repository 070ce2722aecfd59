"""Rule report: build report/report.html from the version folder's stage outputs."""

from pathlib import Path

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.instrument import load_instrument  # noqa: E402
from csindex.report import build_report, write_report  # noqa: E402

instrument = load_instrument(snakemake.params.instrument)
html = build_report(
    Path(snakemake.output[0]).parent.parent,
    dict(snakemake.params.get("config") or snakemake.config),
    instrument,
)
write_report(html, snakemake.output[0])
log.info("report written: %s (%d bytes)", snakemake.output[0], len(html.encode("utf-8")))
