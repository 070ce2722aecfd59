"""Rule clean: apply the cleaning rules, write the clean responses, the log and the summaries."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import pandas as pd  # noqa: E402

from csindex.cleaning import clean_responses, disposition_table, pilot_items  # noqa: E402
from csindex.cleaning.rules import merge_config  # noqa: E402
from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import read_json, write_csv, write_json, write_parquet  # noqa: E402

instrument = load_instrument(snakemake.input.instrument)
data = pd.read_parquet(snakemake.input.data)
report = read_json(snakemake.input.report)
rcfg = snakemake.params.responses
cfg = merge_config(snakemake.params.cleaning)
non_numeric = pd.DataFrame(report.get("non_numeric", []), columns=["row", "column", "value"])
res = clean_responses(
    data,
    instrument,
    cfg,
    non_numeric=non_numeric,
    duration_column=rcfg.get("duration_column", "duration_sec"),
    wave_column=rcfg.get("wave_column", "wave"),
)
summary = dict(res.summary, file=report["file"], sha256=report["sha256"])

disp_files = list(snakemake.input.get("dispositions", []) or [])
disp = pd.read_parquet(disp_files[0]) if disp_files else None
disp_table, disp_summary = disposition_table(
    disp, res.data["respondent_id"], file=disp_files[0] if disp_files else "dispositions"
)
summary["dispositions"] = disp_summary

wave = rcfg.get("wave_column", "wave")
pilot = pilot_items(res.data, instrument, wave_column=wave, pilot_wave=cfg["pilot"]["wave"])

summary["pilot"] = {
    "subset": pilot["subset"].iloc[0] if len(pilot) else None,
    "n": int(pilot["n"].iloc[0]) if len(pilot) else 0,
}

write_parquet(res.data, snakemake.output.responses)
write_csv(res.log, snakemake.output.log)
write_json(summary, snakemake.output.summary)
write_csv(disp_table, snakemake.output.dispositions)
write_csv(pilot, snakemake.output.pilot)
log.info(
    "clean: %d rows in, %d kept, %d log entries",
    res.summary["rows_in"],
    len(res.data),
    len(res.log),
)
