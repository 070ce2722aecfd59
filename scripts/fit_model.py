"""Rule fit_model: fit the model (PLS-PM or CB-SEM) to the clean responses and write model/."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import read_model_inputs, write_csv, write_json, write_parquet  # noqa: E402
from csindex.sem.inputs import read_replicate_design  # noqa: E402
from csindex.sem.outputs import (  # noqa: E402
    INVARIANCE_EMPTY,
    fit_model,
    invariance_tables,
    model_tables,
    pls_group_tables,
    with_groups,
)
from csindex.sem.spec import spec_from_config  # noqa: E402

inp, out = snakemake.input, snakemake.output
mcfg = dict(snakemake.params.model or {})
spec = spec_from_config(mcfg, load_instrument(inp.instrument))
data, w, wdesc = read_model_inputs(inp.responses, list(inp.weights))
replicates = read_replicate_design(list(inp.weights), list(inp.weights_diagnostics))
log.info(
    "model %s, estimator %s, %d rows, %s", spec.name, mcfg.get("estimator", "pls"), len(data), wdesc
)

res = fit_model(data, spec, mcfg, w, file=inp.responses)
log.info("\n%s", res.summary())
t = model_tables(
    res, spec, data, weights=w, weights_desc=wdesc, model_cfg=mcfg, replicates=replicates
)
log.info("SEs: %s", t.fit.get("se", t.fit.get("se_type")))

inv = invariance_tables(data, spec, mcfg, w, file=inp.responses)
if inv is not None:
    log.info("\n%s", inv.summary())
    t.fit["invariance"] = inv.rule.describe()
    t.fit["invariance_holds"] = {lv: inv.holds(lv) for lv in inv.levels}
write_csv(inv.table if inv is not None else INVARIANCE_EMPTY, out.invariance)
micom_t, mga_t = pls_group_tables(data, spec, mcfg, int(snakemake.params.seed))
if len(micom_t):
    log.info("MICOM:\n%s\nPLS-MGA:\n%s", micom_t.to_string(), mga_t.to_string())
write_csv(micom_t, out.micom)
write_csv(mga_t, out.mga)
write_csv(with_groups(t.estimates, inv), out.estimates)
write_csv(t.standardized, out.standardized)
write_csv(t.effects, out.effects)
write_csv(t.r2, out.r2)
write_csv(t.quality, out.quality)
write_csv(t.outer_weights, out.outer_weights)
write_parquet(t.scores, out.scores)
write_json(t.fit, out.fit)
write_json(t.admissibility, out.admissibility)
log.info("quality warnings: %s", t.quality_warnings or "none")
