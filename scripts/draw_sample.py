"""Rule draw_sample: select the sample -> sample/sample.parquet (+ realised sizes)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)  # noqa: F821

from csindex.io import read_json, write_json, write_parquet  # noqa: E402
from csindex.sampling import draw_from_config, read_frame  # noqa: E402

p = snakemake.params  # noqa: F821
frame_path = str(snakemake.input.frame)  # noqa: F821
planned = read_json(snakemake.input.design)  # noqa: F821
frame = read_frame(frame_path, p.id_column)
res = draw_from_config(frame, dict(p.design), int(p.seed), p.id_column, file=frame_path)
if res.info.get("seed") != planned.get("seed"):
    raise RuntimeError("design.json is out of date (its seed differs): rerun rule design")
write_parquet(res.sample, snakemake.output.sample)  # noqa: F821
write_json(res.info, snakemake.output.selection)  # noqa: F821
if not res.info["design_weights_defined"]:
    log.warning(res.info["warning"])
log.info("drew %d units (%s)", len(res.sample), res.info["method"])
