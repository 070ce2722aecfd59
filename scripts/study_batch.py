"""Rule study_batch_<k>: every per-study job of a batch of studies, run in this one process by
the scripts of their own rules (csindex.batch)."""

from csindex.workflow import setup_script

log = setup_script(snakemake)

from csindex.batch import run_jobs  # noqa: E402

run_jobs(snakemake.params.jobs, snakemake.config, log)
