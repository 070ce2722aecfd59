"""Rule study_trend: one study's index per wave and its change between waves
(studies/<study>/trend.csv)."""

import pandas as pd

from csindex.io import write_csv
from csindex.programme.rollup import company_index, study_trend
from csindex.workflow import setup_script

log = setup_script(snakemake)
rows = []
for wave, path in zip(snakemake.params.waves, snakemake.input, strict=True):
    c = company_index(pd.read_csv(path))
    rows.append({"study": snakemake.wildcards.study, "wave": wave, **c})
trend = study_trend(pd.DataFrame(rows), alpha=float(snakemake.params.alpha))
write_csv(trend, snakemake.output[0])
log.info("\n%s", trend.to_string())
