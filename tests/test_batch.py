"""Batches of per-study jobs run in one process (csindex.batch): jobs run after the jobs that
write their inputs whatever order they are given in, each job's script sees the same
``snakemake`` object as under Snakemake, the process is left as it was found after each job, and
a failing job is named (rule, study, wave) in one line."""

import logging
import random
import sys

import pytest

from csindex.batch import (
    BENCHMARK_COLUMNS,
    BatchJobError,
    encode_job,
    external_inputs,
    jobs_digest,
    order_jobs,
    run_jobs,
    snakemake_object,
)

iocontainers = pytest.importorskip("snakemake.iocontainers")


def named(cls, items, **names):
    nl = cls(items)
    for name, span in names.items():
        nl._set_name(name, *span) if isinstance(span, tuple) else nl._set_name(name, span)
    return nl


def job(rule, inputs, outputs, script="s.py", study="A", wave="2026Q3", params=None, log=None):
    return encode_job(
        rule,
        script,
        {"study": study, "wave": wave},
        named(iocontainers.InputFiles, inputs),
        named(iocontainers.OutputFiles, outputs),
        iocontainers.Params(fromdict=params or {}),
        named(iocontainers.Log, [log] if log else []),
        None,
    )


def test_jobs_run_after_the_jobs_writing_their_inputs_in_any_given_order():
    chain = [
        job("ingest", ["raw.csv"], ["ingested.parquet"]),
        job("clean", ["ingested.parquet"], ["clean.parquet"]),
        job("weights", ["clean.parquet", "sample.parquet"], ["w.parquet"]),
        job("fit_model", ["clean.parquet", "w.parquet"], ["fit.json"]),
        job("index", ["fit.json", "w.parquet", "prev/csi.csv"], ["csi.csv"]),
        job("draw_sample", ["frame.parquet"], ["sample.parquet"]),
    ]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = chain[:]
        rng.shuffle(shuffled)
        order = [j["rule"] for j in order_jobs(shuffled)]
        written = set()
        for j in order_jobs(shuffled):
            made_here = {f for other in chain for f in other["output"]["items"]}
            assert all(f in written for f in j["input"]["items"] if f in made_here), order
            written |= set(j["output"]["items"])
    assert external_inputs(chain) == ["frame.parquet", "prev/csi.csv", "raw.csv"]


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        order_jobs([job("a", ["x"], ["y"]), job("b", ["y"], ["x"])])


def test_the_script_sees_the_named_inputs_outputs_and_params_snakemake_would_give():
    inp = named(
        iocontainers.InputFiles,
        ["r.parquet", "w1.parquet", "i.yaml"],
        responses=0,
        weights=(1, 2),
        instrument=2,
    )
    out = named(iocontainers.OutputFiles, ["a.csv", "b.json"], table=0, summary=1)
    params = iocontainers.Params(fromdict={"model": {"type": "ecsi"}, "seed": 5})
    enc = encode_job(
        "fit_model", "x/../scripts/fit.py", {"study": "A", "wave": "2026Q3"}, inp, out, params,
        named(iocontainers.Log, ["l.log"]), "b.tsv",
    )  # fmt: skip
    assert enc["script"] == "scripts/fit.py"
    smk = snakemake_object(enc, {"study": "demo"})
    assert list(smk.input) == ["r.parquet", "w1.parquet", "i.yaml"]
    assert smk.input.responses == "r.parquet" and list(smk.input.weights) == ["w1.parquet"]
    assert smk.output.summary == "b.json" and smk.log[0] == "l.log"
    assert smk.params.model == {"type": "ecsi"} and smk.params.seed == 5
    assert smk.wildcards.study == "A" and smk.wildcards.wave == "2026Q3"
    assert smk.config == {"study": "demo"} and smk.rule == "fit_model" and smk.threads == 1


def test_the_digest_follows_every_param():
    a = job("clean", ["x"], ["y"], params={"cleaning": {"straightlining": True}})
    b = job("clean", ["x"], ["y"], params={"cleaning": {"straightlining": False}})
    assert jobs_digest([a]) == jobs_digest([dict(a)]) != jobs_digest([b])


SCRIPT_COPY = """\
from csindex.workflow import setup_script
log = setup_script(snakemake)
import sys
text = open(snakemake.input[0], encoding="utf-8").read()
print("to the job's stderr", file=sys.stderr)
log.info("copying %s for study %s", snakemake.input[0], snakemake.wildcards.study)
open(snakemake.output[0], "w", encoding="utf-8").write(text + snakemake.params.suffix)
"""


def _write_jobs(tmp_path, script_text, n=2):
    script = tmp_path / "copy.py"
    script.write_text(script_text, encoding="utf-8")
    (tmp_path / "in.txt").write_text("x", encoding="utf-8")
    jobs = []
    for k in range(n):
        j = job(
            "step",
            [str(tmp_path / ("in.txt" if k == 0 else f"out{k - 1}.txt"))],
            [str(tmp_path / f"out{k}.txt")],
            script=str(script),
            study=f"S{k}",
            params={"suffix": str(k)},
            log=str(tmp_path / f"logs/step{k}.log"),
        )
        j["benchmark"] = str(tmp_path / f"benchmarks/step{k}.tsv")
        jobs.append(j)
    return jobs[::-1]  # given in the wrong order


def test_jobs_write_their_files_logs_and_benchmarks_and_leave_the_process_as_found(tmp_path):
    jobs = _write_jobs(tmp_path, SCRIPT_COPY, n=3)
    stderr, hook = sys.stderr, sys.excepthook
    handlers = list(logging.getLogger("csindex").handlers)
    run_jobs(jobs, {})
    assert (tmp_path / "out2.txt").read_text(encoding="utf-8") == "x012"
    for k in range(3):
        log = (tmp_path / f"logs/step{k}.log").read_text(encoding="utf-8")
        assert f"for study S{k}" in log and "to the job's stderr" in log
        header, row = (tmp_path / f"benchmarks/step{k}.tsv").read_text().splitlines()
        assert header.split("\t") == list(BENCHMARK_COLUMNS)
        assert float(row.split("\t")[0]) >= 0 and float(row.split("\t")[-1]) >= 0
    assert sys.stderr is stderr and sys.excepthook is hook
    assert logging.getLogger("csindex").handlers == handlers


def test_an_input_error_names_the_job_in_one_line_without_traceback(tmp_path):
    bad = SCRIPT_COPY.replace(
        "open(snakemake.output[0]",
        "from csindex.errors import InputError\n"
        "raise InputError('value 11 is out of range 1..10', file='r.csv', row=3, column='q1')\n"
        "open(snakemake.output[0]",
    )
    jobs = _write_jobs(tmp_path, bad, n=1)
    with pytest.raises(BatchJobError) as err:
        run_jobs(jobs, {})
    msg = str(err.value)
    assert msg.startswith("rule step (study S0, wave 2026Q3): ")
    assert "r.csv" in msg and "row 3" in msg and "q1" in msg and "Traceback" not in msg
    assert "value 11 is out of range" in (tmp_path / "logs/step0.log").read_text()


def test_a_bug_names_the_job_and_leaves_its_traceback_in_the_jobs_log(tmp_path):
    jobs = _write_jobs(tmp_path, SCRIPT_COPY.replace("text = ", "text = 1 / 0 or "), n=2)
    with pytest.raises(BatchJobError) as err:
        run_jobs(jobs, {})
    msg = str(err.value)
    assert msg.startswith("rule step (study S0, wave 2026Q3): unexpected ZeroDivisionError")
    assert str(tmp_path / "logs/step0.log") in msg
    assert "Traceback" in (tmp_path / "logs/step0.log").read_text()
    assert not (tmp_path / "out1.txt").exists()  # the batch stopped at the failing job


def test_batch_size_is_how_a_version_runs_not_what_it_is():
    from csindex.versioning import config_hash

    base = {"study": "p", "programme": {"batch_size": 0, "alpha": 0.05}}
    resolved = {"studies_resolved": {"A/2026Q3": base}}
    batched = {**base, "programme": {"batch_size": 25, "alpha": 0.05}}
    assert config_hash(base) == config_hash(batched)
    assert config_hash({**base, **resolved}) == config_hash(
        {**batched, "studies_resolved": {"A/2026Q3": batched}}
    )
    assert config_hash(base) != config_hash({**base, "programme": {"alpha": 0.1}})
