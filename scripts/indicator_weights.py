"""Rule indicator_weights: indicators/weights.csv, index.csv, summary.json, per-method tables."""

from pathlib import Path

import pandas as pd

from csindex.estimation import DesignVariables, design_from_weights_file, survey_design
from csindex.indicators.pipeline import run_indicators
from csindex.instrument import load_instrument
from csindex.io import read_json, read_parquet, write_csv, write_json
from csindex.workflow import setup_script

log = setup_script(snakemake)
inp, out = snakemake.input, snakemake.output
cfg = dict(snakemake.params.indicators)
est = dict(snakemake.params.estimation)
instrument = load_instrument(inp.instrument)
clean = read_parquet(inp.clean)
wdf = read_parquet(inp.weights[0]) if inp.weights else None
diag = read_json(inp.diagnostics[0]) if inp.diagnostics else {}
survey_w = None
if wdf is not None:
    survey_w = (
        clean[["respondent_id"]]
        .merge(wdf[["respondent_id", "w_final"]], on="respondent_id", how="left")["w_final"]
        .to_numpy()
    )
domains = [d for d in cfg.get("domains", ["segment"]) if d in clean.columns]


def design_factory(scores: pd.DataFrame):
    data = pd.concat([clean[["respondent_id", *domains]], scores], axis=1)
    if wdf is None:
        log.info("no survey weights: unweighted index, SRS-with-replacement SEs")
        return survey_design(data, DesignVariables(weight=None))
    return design_from_weights_file(
        wdf, diag, data=data, use_replicates=est.get("variance", "replicate") == "replicate"
    )


model = {}
if inp.outer_weights:
    model["outer_weights"] = pd.read_csv(inp.outer_weights[0])
if inp.effects:
    model["effects"] = pd.read_csv(inp.effects[0])
res = run_indicators(
    cfg, instrument, clean, design_factory, base=Path("."), survey_weights=survey_w, model=model
)
for w in res.summary["warnings"]:
    log.warning(w)
write_csv(res.weights, out.weights)
write_csv(res.index, out.index)
write_json(res.summary, out.summary)
for path in out.tables:
    write_csv(res.tables[Path(path).name], path)
log.info(
    "indicator weights: %d rows; index: %d rows; CSI = %.2f",
    len(res.weights),
    len(res.index),
    res.index.loc[(res.index["node"] == "CSI") & (res.index["domain"] == "all"), "estimate"].iloc[
        0
    ],
)
