"""Rule fieldwork: simulated answers of the sampled customers, dispositions, truth, defects."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import write_csv, write_json, write_parquet  # noqa: E402
from csindex.simulate import simulate_fieldwork  # noqa: E402

id_column = snakemake.params.id_column
# only the columns the simulator needs (a 10-million frame stays small); a missing one is
# reported by the library with the file name
names = pq.read_schema(snakemake.input.frame).names
columns = [c for c in (id_column, "region", "branch", "segment") if c in names]
frame = pd.read_parquet(snakemake.input.frame, columns=columns)
sample = pd.read_parquet(snakemake.input.sample)
result = simulate_fieldwork(
    sample,
    frame,
    load_instrument(snakemake.input.instrument),
    snakemake.params.fieldwork,
    seed=int(snakemake.params.seed),
    id_column=id_column,
    sample_file=str(snakemake.input.sample),
    frame_file=str(snakemake.input.frame),
)
log.info(
    "%d sampled, %d respondents, %d submissions; true CSI %.3f",
    result.injected["sampled"],
    result.injected["respondents"],
    result.injected["submissions"],
    result.truth["csi"]["overall"],
)
write_csv(result.raw, snakemake.output.raw)
write_parquet(result.dispositions, snakemake.output.dispositions)
write_json(result.truth, snakemake.output.truth)
write_json(result.injected, snakemake.output.injected)
