"""Rule gather_bootstrap: combine the shards, compute percentile and BCa intervals."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import pandas as pd  # noqa: E402

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import (  # noqa: E402
    read_model_inputs,  # noqa: E402
    write_csv,
    write_parquet,
)
from csindex.sem.bootstrap_outputs import gather_bootstrap  # noqa: E402
from csindex.sem.inputs import read_bootstrap_design  # noqa: E402
from csindex.sem.spec import spec_from_config  # noqa: E402

mcfg = dict(snakemake.params.model or {})
instrument = load_instrument(snakemake.input.instrument)
spec = spec_from_config(mcfg, instrument)
data, w, wdesc = read_model_inputs(snakemake.input.responses, list(snakemake.input.weights))
bcfg = dict(snakemake.params.bootstrap or {})
design = read_bootstrap_design(
    data,
    list(snakemake.input.weights),
    bcfg.get("design", "auto"),
    snakemake.params.lonely_psu,
)
log.info("bootstrap design: %s", design.describe())

t = gather_bootstrap(
    [pd.read_parquet(f) for f in snakemake.input.shards],
    data,
    spec,
    weights=w,
    model_cfg=mcfg,
    bootstrap_cfg=bcfg,
    index_cfg=snakemake.params.index,
    seed=int(snakemake.params.seed),
    instrument=instrument,
    design=design,
)
log.info(
    "%d replicates: %d not converged (dropped), %d inadmissible (kept)",
    len(t.replicates),
    t.not_converged,
    t.inadmissible,
)
write_parquet(t.replicates, snakemake.output.boot)
write_csv(t.intervals, snakemake.output.ci)
