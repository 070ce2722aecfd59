"""Rule index: the ACSI index of every construct (overall and by group) and the IPA."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import pandas as pd  # noqa: E402

from csindex.index import IndexOptions, index_tables  # noqa: E402
from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import read_model_inputs, write_csv  # noqa: E402
from csindex.sem.inputs import read_replicate_design  # noqa: E402
from csindex.sem.spec import spec_from_config  # noqa: E402

inp = snakemake.input
mcfg = dict(snakemake.params.model or {})
instrument = load_instrument(inp.instrument)
spec = spec_from_config(mcfg, instrument)
data, w, wdesc = read_model_inputs(inp.responses, list(inp.weights))
ci_files = list(inp.get("ci", []) or [])

t = index_tables(
    data,
    spec,
    pd.read_csv(inp.outer_weights),
    pd.read_csv(inp.effects),
    weights=w,
    weights_desc=wdesc,
    model_cfg=mcfg,
    options=IndexOptions.from_config(snakemake.params.index, snakemake.params.ipa),
    instrument=instrument,
    bootstrap_ci=pd.read_csv(ci_files[0]) if ci_files else None,
    replicates=read_replicate_design(
        list(inp.weights), list(inp.get("weights_diagnostics", []) or [])
    ),
)
if t.skipped_by:
    log.info("index.by columns not in the data, skipped: %s", t.skipped_by)
if t.se_method == "none":
    log.info("no SE for the index: index.se and no matching bootstrap or replicate weights")
log.info("\n%s", t.csi.to_string())
log.info("\n%s", t.ipa.to_string())
write_csv(t.csi, snakemake.output.csi)
write_csv(t.ipa, snakemake.output.ipa)
