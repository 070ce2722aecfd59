"""Rule design: the sampling design of the study (allocation, sample size) -> sample/design.json."""

from csindex.workflow import setup_script

log = setup_script(snakemake)  # noqa: F821

from csindex.io import write_json  # noqa: E402
from csindex.sampling import design_plan, read_frame  # noqa: E402

p = snakemake.params  # noqa: F821
frame_path = str(snakemake.input.frame)  # noqa: F821
frame = read_frame(frame_path, p.id_column)
plan = design_plan(frame, dict(p.design), int(p.seed), p.id_column, file=frame_path)
write_json(plan, snakemake.output.design)  # noqa: F821
log.info("design %s: %s stage-1 units allocated", plan["method"], plan.get("n_stage1"))
