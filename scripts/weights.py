"""Rule weights: weights/weights.parquet, diagnostics.json/.csv and item estimates."""

from csindex.estimation import design_from_weights_file, item_estimates
from csindex.instrument import load_instrument
from csindex.io import (
    read_parquet,
    read_parquet_schema,
    write_csv,
    write_json,
    write_parquet,
)
from csindex.seeds import derive_seed
from csindex.weighting import WeightingOptions, build_weights, margin_columns
from csindex.workflow import setup_script

log = setup_script(snakemake)
inp = snakemake.input
est_cfg = dict(snakemake.params.estimation)
responses = read_parquet(inp.responses)
opts = WeightingOptions.from_config(snakemake.params.weighting)
frame = None
if inp.frame and opts.calibration.margins_from == "frame":
    # only the margin variables' columns of a frame of millions of rows (a column the frame
    # lacks is left to the calibration step, which names it)
    present = set(read_parquet_schema(inp.frame[0]))
    wanted = [c for c in margin_columns(opts.calibration.variables) if c in present]
    frame = read_parquet(inp.frame[0], columns=wanted)
out = build_weights(
    responses,
    cfg=opts,
    sample=read_parquet(inp.sample[0]) if inp.sample else None,
    dispositions=read_parquet(inp.dispositions[0]) if inp.dispositions else None,
    frame=frame,
    id_column=snakemake.params.id_column,
    lonely_psu=est_cfg.get("lonely_psu", "adjust"),
    seed=derive_seed(int(snakemake.params.seed), "weights"),
)
diag = out.diagnostics
diag["pps"] = est_cfg.get("pps", "none")  # PPS-without-replacement variance of the Taylor SEs
log.info(
    "weights: %d respondents, replicates %s (%d), calibration %s",
    diag["n_respondents"],
    diag["replicate_type"],
    diag["n_replicates"],
    diag["calibration"],
)
items = [i for i in load_instrument(inp.instrument).item_ids if i in responses.columns]
design = design_from_weights_file(
    out.weights,
    diag,
    data=responses,
    use_replicates=est_cfg.get("variance", "replicate") == "replicate",
)
table = item_estimates(
    design, items, est_cfg.get("domains", ["segment"]), float(est_cfg.get("level", 0.95))
)
diag["estimation"] = {"variance": est_cfg.get("variance", "replicate"), "design_df": design.degf}
write_parquet(out.weights, snakemake.output.weights)
write_json(diag, snakemake.output.diagnostics)
write_csv(out.table, snakemake.output.table)
write_csv(
    table.sort_values(["statistic", "domain_var", "domain", "variable", "category"], kind="stable"),
    snakemake.output.estimates,
)
