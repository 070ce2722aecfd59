"""Rule bootstrap_shard: one shard of the bootstrap replicates (PLS-PM or CB-SEM)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import numpy as np  # noqa: E402

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import write_parquet  # noqa: E402
from csindex.sem.bootstrap import (  # noqa: E402
    bootstrap_seed,
    pls_setup,
    read_bootstrap_design,
    read_model_inputs,
    shard_range,
)
from csindex.sem.spec import spec_from_config  # noqa: E402

mcfg = dict(snakemake.params.model or {})
bcfg = dict(snakemake.params.bootstrap or {})
if mcfg.get("estimator") in ("wlsmv", "plsc"):  # issue 16: no bootstrap for these yet
    from csindex.errors import ConfigError

    raise ConfigError(
        f"the bootstrap refits PLS-PM or CB-SEM (ML) models, not {mcfg['estimator']}; allowed "
        f"with estimator {mcfg['estimator']}: bootstrap.replicates 0",
        key="bootstrap.replicates",
    )
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

if mcfg.get("estimator", "pls") == "pls":
    from csindex.sem.bootstrap import bootstrap_pls

    setup = pls_setup(data, spec, w, mcfg, snakemake.params.index, instrument)
    boot = bootstrap_pls(setup, seed, start, stop, design)
else:
    from csindex.sem.cbsem import cbsem_bootstrap
    from csindex.sem.outputs import cbsem_bootstrap_options, fit_model

    res = fit_model(data, spec, mcfg, weights=w, file=str(snakemake.input.responses))
    counts = design.multipliers(seed, start, stop, rows=res.used_rows)
    boot = cbsem_bootstrap(data, spec, counts, res, weights=w, **cbsem_bootstrap_options(mcfg))
    boot["replicate"] = np.arange(start, stop, dtype=np.int64)
    boot = boot[["replicate"] + [c for c in boot.columns if c != "replicate"]]
log.info("%d replicates, %d not converged", len(boot), int((~boot["converged"]).sum()))
write_parquet(boot, snakemake.output[0])
