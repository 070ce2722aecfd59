"""Rule validate (simulated fieldwork only): the study's outputs against the simulation's truth,
validation/truth.json and validation/truth.csv."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

import pandas as pd  # noqa: E402

from csindex.index import IndexOptions, index_rows  # noqa: E402
from csindex.instrument import load_instrument  # noqa: E402
from csindex.io import read_json, read_model_inputs, write_csv, write_json  # noqa: E402
from csindex.sem.spec import spec_from_config  # noqa: E402
from csindex.validation import compare_truth  # noqa: E402

inp = snakemake.input
mcfg = dict(snakemake.params.model or {})
instrument = load_instrument(inp.instrument)
spec = spec_from_config(mcfg, instrument)
data, w, _ = read_model_inputs(inp.responses, [inp.weights])
labels = {c: str for c in ("statistic", "variable", "domain_var", "domain", "category")}
res = compare_truth(
    read_json(inp.truth),
    injected=read_json(inp.injected),
    clean_summary=read_json(inp.clean_summary),
    estimates=pd.read_csv(inp.estimates, dtype=labels),
    csi=pd.read_csv(inp.csi, dtype={"construct": str, "group_var": str, "group": str}),
    rows=index_rows(
        data,
        spec,
        weights=w,
        model_cfg=mcfg,
        options=IndexOptions.from_config(snakemake.params.index, snakemake.params.ipa),
        instrument=instrument,
    ),
    spec=spec,
    model_cfg=mcfg,
)
if res.cleaning is not None:
    for k, v in res.cleaning["defects"].items():
        (log.info if v["match"] else log.warning)(
            "%s: injected %d, caught %d (%s)", k, v["injected"], v["caught"], v["rule"]
        )
log.info("\n%s", res.summary())
write_json(res.to_dict(), snakemake.output.json)
write_csv(res.to_frame(), snakemake.output.table)
