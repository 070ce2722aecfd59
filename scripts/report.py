"""Rule report: report/report.html, questions.csv and diagnostics.json from the version
folder's stage outputs."""

from pathlib import Path

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.instrument import load_instrument  # noqa: E402
from csindex.report import make_report, write_report  # noqa: E402

instrument = load_instrument(snakemake.params.instrument)
config = dict(snakemake.params.get("config") or snakemake.config)
if snakemake.params.get("previous_wave"):  # a programme: the same study's previous wave
    config["report"] = {**config.get("report", {}), "previous_wave": snakemake.params.previous_wave}
report = make_report(Path(snakemake.output[0]).parent.parent, config, instrument)
write_report(report, snakemake.output[0])
log.info("report written: %s (%d bytes)", snakemake.output[0], len(report.html.encode("utf-8")))
