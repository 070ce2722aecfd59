"""Rule programme_report: results/<programme>/<version>/programme/report.html."""

import pandas as pd

from csindex.programme.report import ProgrammeReportOptions, build_programme_report
from csindex.workflow import setup_script

log = setup_script(snakemake)
inp, p = snakemake.input, snakemake.params
tables = {
    k: pd.read_csv(inp[k], keep_default_na=False, na_values=[""])
    for k in ("companies", "industries", "sectors", "national", "trends")
}
for k in ("id", "parent", "wave", "wave_a", "wave_b"):
    for df in tables.values():
        if k in df:
            df[k] = df[k].astype(str)
html = build_programme_report(
    p.programme,
    p.version,
    **tables,
    options=ProgrammeReportOptions(language=p.language, alpha=float(p.alpha)),
)
with open(snakemake.output[0], "w", encoding="utf-8") as fh:
    fh.write(html)
log.info("programme report written: %d bytes", len(html.encode("utf-8")))
