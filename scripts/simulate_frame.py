"""Rule simulate_frame: the Company L customer frame and its summary (region x segment)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.io import write_csv, write_json, write_parquet  # noqa: E402
from csindex.simulate import simulate_frame  # noqa: E402

frame = simulate_frame(snakemake.params.frame, seed=int(snakemake.params.seed))
log.info("simulated %d customers in %d branches", len(frame.frame), frame.frame["branch"].nunique())
write_parquet(frame.frame, snakemake.output.frame)
write_csv(frame.summary(), snakemake.output.summary_csv)
write_json(frame.summary_json(), snakemake.output.summary_json)
