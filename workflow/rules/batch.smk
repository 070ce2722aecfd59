# Batches (config key programme.batch_size): at programme scale the per-study rules of many
# studies run in one process, one job per batch of studies instead of ~14 jobs per study x wave
# (each paying a Python start-up and the imports). Snakemake resolves every per-study job from
# its own rule (inputs, outputs, params, log); the batch runs the rules' own scripts in
# dependency order (csindex.batch), so a batched study writes the same files, byte for byte.
# All waves of a study are in the same batch (a wave's index reads the previous wave's).
if BATCH_SIZE:
    _batch_rules = []
    for _k, _members in enumerate(batch_members()):
        _files, _logs = _batch_outputs(_members)

        rule:
            name:
                f"study_batch_{_k + 1}"
            threads: 1
            resources:
                mem_mb=3000,
                # minutes: ~0.1-3 s per job at ACSI size; generous for a loaded node
                runtime=lambda wildcards, k=_k: 10 + len(batch_jobs(k)) // 10,
            input:
                lambda wildcards, k=_k: external_inputs(batch_jobs(k)),
            output:
                _files,
            params:
                # the jobs themselves are derived from the input (Snakemake then keeps them out
                # of its per-file metadata); their digest triggers a rerun when any job changes
                jobs=lambda wildcards, input, k=_k: batch_jobs(k),
                digest=lambda wildcards, k=_k: jobs_digest(batch_jobs(k)),
            log:
                [f"{OUT}/logs/study_batch_{_k + 1}.log"] + _logs,
            benchmark:
                f"{OUT}/benchmarks/study_batch_{_k + 1}.tsv"
            conda:
                "../envs/csindex.yaml"
            script:
                "../../scripts/study_batch.py"

        _batch_rules.append(f"study_batch_{_k + 1}")
    # a batch, not the per-study rule, writes its studies' files
    workflow.ruleorder(
        *_batch_rules,
        *[getattr(rules, n).rule.name for n in BATCH_WAVE_RULES + BATCH_STUDY_RULES if rules.has(n)],
    )
