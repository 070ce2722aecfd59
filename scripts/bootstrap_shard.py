"""Rule bootstrap_shard: one shard of the bootstrap replicates (PLS-PM or CB-SEM)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import numpy as np  # noqa: E402

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import write_parquet  # noqa: E402
from csindex.sem.bootstrap import (  # noqa: E402
    bootstrap_seed,
    pls_setup,
    read_model_inputs,
    replicate_counts,
    shard_range,
)
from csindex.sem.spec import spec_from_config  # noqa: E402

mcfg = dict(snakemake.params.model or {})
bcfg = dict(snakemake.params.bootstrap or {})
instrument = load_instrument(snakemake.input.instrument)
spec = spec_from_config(mcfg, instrument)
data, w, wdesc = read_model_inputs(snakemake.input.responses, list(snakemake.input.weights))
seed = bootstrap_seed(bcfg, snakemake.params.seed)
shard = int(snakemake.wildcards.shard)
start, stop = shard_range(int(bcfg.get("replicates", 1000)), int(bcfg.get("shards", 1)), shard)
log.info("shard %d: replicates %d..%d, seed %d, %s", shard, start, stop - 1, seed, wdesc)

if mcfg.get("estimator", "pls") == "pls":
    from csindex.sem.bootstrap import bootstrap_pls

    setup = pls_setup(data, spec, w, mcfg, snakemake.params.index, instrument)
    boot = bootstrap_pls(setup, seed, start, stop)
else:
    from csindex.sem.cbsem import cbsem_bootstrap, fit_cbsem

    res = fit_cbsem(data, spec, weights=w)
    counts = replicate_counts(res.n, seed, start, stop)
    boot = cbsem_bootstrap(data, spec, counts, res, weights=w)
    boot["replicate"] = np.arange(start, stop, dtype=np.int64)
    boot = boot[["replicate"] + [c for c in boot.columns if c != "replicate"]]
log.info("%d replicates, %d not converged", len(boot), int((~boot["converged"]).sum()))
write_parquet(boot, snakemake.output[0])
