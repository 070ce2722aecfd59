"""Rule bootstrap_shard: one shard of the bootstrap replicates (PLS-PM or CB-SEM)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import read_model_inputs, write_parquet  # noqa: E402
from csindex.sem.bootstrap import bootstrap_seed, shard_range  # noqa: E402
from csindex.sem.bootstrap_outputs import bootstrap_shard  # noqa: E402
from csindex.sem.inputs import read_bootstrap_design  # noqa: E402
from csindex.sem.spec import spec_from_config  # noqa: E402

mcfg = dict(snakemake.params.model or {})
bcfg = dict(snakemake.params.bootstrap or {})
instrument = load_instrument(snakemake.input.instrument)
spec = spec_from_config(mcfg, instrument)
data, w, wdesc = read_model_inputs(snakemake.input.responses, list(snakemake.input.weights))
design = read_bootstrap_design(
    data,
    list(snakemake.input.weights),
    bcfg.get("design", "auto"),
    snakemake.params.lonely_psu,
)
seed = bootstrap_seed(bcfg, snakemake.params.seed)
shard = int(snakemake.wildcards.shard)
start, stop = shard_range(int(bcfg.get("replicates", 1000)), int(bcfg.get("shards", 1)), shard)
log.info("shard %d: replicates %d..%d, seed %d, %s", shard, start, stop - 1, seed, wdesc)
log.info("bootstrap design: %s", design.describe())

boot = bootstrap_shard(
    data,
    spec,
    weights=w,
    model_cfg=mcfg,
    index_cfg=snakemake.params.index,
    instrument=instrument,
    design=design,
    seed=seed,
    start=start,
    stop=stop,
    file=str(snakemake.input.responses),
)
log.info("%d replicates, %d not converged", len(boot), int((~boot["converged"]).sum()))
write_parquet(boot, snakemake.output[0])
