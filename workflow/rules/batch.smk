# Batches (config key programme.batch_size): at programme scale the per-study rules of many
# studies run in one process, one job per batch of studies instead of ~14 jobs per study x wave
# (each paying a Python start-up and the imports). Snakemake resolves every per-study job from
# its own rule (inputs, outputs, params, log); the batch runs the rules' own scripts in
# dependency order (csindex.batch), so a batched study writes the same files, byte for byte.
# All waves of a study are in the same batch (a wave's index reads the previous wave's).
from functools import lru_cache

from snakemake.iocontainers import Wildcards

from csindex.batch import encode_job, external_inputs, jobs_digest, order_jobs

BATCH_SIZE = int(PROGRAMME_CFG.get("batch_size") or 0)
# per study x wave, then per study (study_trend)
BATCH_WAVE_RULES = [
    "simulate_frame",
    "design",
    "draw_sample",
    "fieldwork",
    "ingest",
    "clean",
    "weights",
    "fit_model",
    "indicator_weights",
    "bootstrap_shard",
    "gather_bootstrap",
    "index",
    "validate",
    "report",
]
BATCH_STUDY_RULES = ["study_trend"] if IS_PROGRAMME else []


def batch_members():
    """The studies of each batch (sheet order), batch_size studies per batch."""
    studies = list(dict.fromkeys(r.study for r in STUDY_ROWS))
    return [studies[i : i + BATCH_SIZE] for i in range(0, len(studies), BATCH_SIZE)]


def _batch_rule_used(name, wildcards):
    if name == "bootstrap_shard":
        return _rule_used("gather_bootstrap", wildcards)
    return _rule_used(name, wildcards)


def _batch_wildcards(members):
    """(rule name, wildcards) of every job of the batch, in study, wave, rule order."""
    out = []
    for study in members:
        waves = sorted((r.wave for r in STUDY_ROWS if r.study == study), key=wave_order)
        for wave in waves:
            wc = {"study": study, "wave": wave} if IS_PROGRAMME else {"study": study}
            for name in BATCH_WAVE_RULES:
                if not rules.has(name) or not _batch_rule_used(name, SimpleNamespace(**wc)):
                    continue
                if name == "bootstrap_shard":
                    n = int(C(SimpleNamespace(**wc))["bootstrap"].get("shards", 1) or 1)
                    out += [(name, {**wc, "shard": str(k)}) for k in range(n)]
                else:
                    out.append((name, wc))
        out += [(name, {"study": study}) for name in BATCH_STUDY_RULES if rules.has(name)]
    return out


def _batch_outputs(members):
    files, logs = [], []
    for name, wc in _batch_wildcards(members):
        rl = getattr(rules, name).rule
        output, _ = rl.expand_output(Wildcards(fromdict=wc))
        files += list(output)
        logs += [str(f) for f in rl.expand_log(Wildcards(fromdict=wc))]
    return files, logs


@lru_cache(maxsize=None)
def batch_jobs(k):
    """Every job of batch ``k`` as plain data, in dependency order (csindex.batch.encode_job)."""
    jobs = []
    for name, wc in _batch_wildcards(batch_members()[k]):
        rl = getattr(rules, name).rule
        w = Wildcards(fromdict=wc)
        output, _ = rl.expand_output(w)
        input, _, _, _ = rl.expand_input(w)
        params, _ = rl.expand_params(w, input, output, None)
        script = os.path.join(rl.basedir.get_path_or_uri(secret_free=True), rl.script)
        jobs.append(
            encode_job(
                rl.name, script, wc, input, output, params,
                rl.expand_log(w), rl.expand_benchmark(w),
            )
        )  # fmt: skip
    return tuple(order_jobs(jobs))


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
