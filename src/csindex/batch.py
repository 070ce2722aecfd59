"""Run many rule jobs in one process: the per-study rules of a batch of studies.

A programme of hundreds of studies runs ~14 rules per study x wave; as separate Snakemake jobs
each pays a Python start-up and the imports (~1 s of a job's ~1.3 s at ACSI scale). With
``programme.batch_size`` set, one rule per batch of studies runs every per-study job of its
studies here, in one process: Snakemake resolves each job (inputs, outputs, params, log) from the
rule that defines it (:func:`encode_job`), and :func:`run_jobs` executes the rule's own
``script:`` file with that job as its ``snakemake`` object, so a batched study is computed by
exactly the code of the per-rule route and writes byte-identical files.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import os
import resource
import runpy
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import CsindexError
from .workflow import console_lines

#: columns of Snakemake's benchmark files; a batched job writes its own row with these names
BENCHMARK_COLUMNS = (
    "s",
    "h:m:s",
    "max_rss",
    "max_vms",
    "max_uss",
    "max_pss",
    "io_in",
    "io_out",
    "mean_load",
    "cpu_time",
)


def encode_namedlist(items: Iterable[Any], names: Iterable[tuple[str, tuple[int, Any]]]) -> dict:
    """A Snakemake named list (input, output, log) as plain data: its items and the
    ``name -> [start, end]`` spans of its named entries (``end`` None: one item)."""
    return {
        "items": [str(x) for x in items],
        "names": {name: [int(i), None if j is None else int(j)] for name, (i, j) in names},
    }


def encode_job(
    rule: str,
    script: str,
    wildcards: Mapping[str, str],
    input: Any,
    output: Any,
    params: Any,
    log: Any,
    benchmark: str | None,
    threads: int = 1,
) -> dict:
    """One job of a rule as plain, repr-stable data (Snakemake's ``input``/``output``/``log``
    named lists and ``params``), for :func:`run_jobs` in another process."""
    return {
        "rule": rule,
        "script": os.path.normpath(script),
        "wildcards": dict(wildcards),
        "input": encode_namedlist(input, input._get_names()),
        "output": encode_namedlist(output, output._get_names()),
        "log": encode_namedlist(log, log._get_names()),
        "params": [[name, value] for name, value in params.items()],
        "benchmark": None if benchmark is None else str(benchmark),
        "threads": int(threads),
    }


def jobs_digest(jobs: Sequence[Mapping]) -> str:
    """sha256 of the jobs' plain form: a change of any job's params, files or script name
    changes it (Snakemake reruns a batch whose digest param changed)."""
    return hashlib.sha256(repr(list(jobs)).encode("utf-8")).hexdigest()


def order_jobs(jobs: Sequence[Mapping]) -> list[Mapping]:
    """The jobs in an order where every job comes after the jobs writing its inputs (Kahn's
    algorithm; ties keep the given order). Raises ValueError on a cycle."""
    producer = {f: k for k, job in enumerate(jobs) for f in job["output"]["items"]}
    needs = [
        sorted({producer[f] for f in job["input"]["items"] if f in producer} - {k})
        for k, job in enumerate(jobs)
    ]
    users: list[list[int]] = [[] for _ in jobs]
    for k, deps in enumerate(needs):
        for d in deps:
            users[d].append(k)
    waiting = [len(d) for d in needs]
    ready = [k for k, w in enumerate(waiting) if w == 0]
    order: list[int] = []
    heapq.heapify(ready)
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for u in users[k]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(jobs):
        stuck = [jobs[k]["rule"] for k in range(len(jobs)) if k not in set(order)]
        raise ValueError(f"the batch's jobs depend on each other in a cycle: {stuck}")
    return [jobs[k] for k in order]


def external_inputs(jobs: Sequence[Mapping]) -> list[str]:
    """The files the jobs read that none of them writes (the batch rule's input), sorted."""
    made = {f for job in jobs for f in job["output"]["items"]}
    return sorted({f for job in jobs for f in job["input"]["items"]} - made)


def _namedlist(cls: type, data: Mapping) -> Any:
    nl = cls(data["items"])
    for name, (i, j) in data["names"].items():
        nl._set_name(name, i, end=j)
    return nl


def snakemake_object(job: Mapping, config: Mapping) -> Any:
    """The ``snakemake`` object the rule's script sees when Snakemake runs the job itself."""
    from snakemake.iocontainers import (
        InputFiles,
        Log,
        OutputFiles,
        Params,
        ResourceList,
        Snakemake,
        Wildcards,
    )

    params = Params(fromdict=dict(job["params"]))
    resources = ResourceList(fromdict={"_cores": job["threads"], "_nodes": 1})
    return Snakemake(
        _namedlist(InputFiles, job["input"]),
        _namedlist(OutputFiles, job["output"]),
        params,
        Wildcards(fromdict=job["wildcards"]),
        job["threads"],
        resources,
        _namedlist(Log, job["log"]),
        dict(config),
        job["rule"],
        0,
        os.path.dirname(job["script"]),
    )


def describe(job: Mapping) -> str:
    """``rule clean (study C001, wave 2026Q3)``: a job as the console names it."""
    wc = ", ".join(f"{k} {v}" for k, v in job["wildcards"].items())
    return f"rule {job['rule']}" + (f" ({wc})" if wc else "")


class BatchJobError(CsindexError):
    """A job of the batch failed: the message names the job (rule, study, wave), the cause in
    one line, and for a bug the log holding the traceback."""


def _write_benchmark(path: str, wall: float, cpu: float, max_rss_mb: float) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    hms = time.strftime("%H:%M:%S", time.gmtime(wall))
    row = [f"{wall:.4f}", hms, f"{max_rss_mb:.2f}", "-", "-", "-", "-", "-", "-", f"{cpu:.2f}"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\t".join(BENCHMARK_COLUMNS) + "\n" + "\t".join(row) + "\n")


def run_job(job: Mapping, config: Mapping) -> tuple[float, float]:
    """Run one job's script in this process as Snakemake would (``snakemake`` global set, run
    as ``__main__``); the process's stderr, excepthook and the csindex logger are restored
    after it. A failure is raised as :class:`BatchJobError` (a traceback of a bug goes to the
    job's log first). Returns (wall s, CPU s)."""
    for f in job["output"]["items"] + job["log"]["items"]:
        os.makedirs(os.path.dirname(f) or ".", exist_ok=True)
    stderr, hook = sys.stderr, sys.excepthook
    logger = logging.getLogger("csindex")
    handlers = list(logger.handlers)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        runpy.run_path(
            job["script"],
            init_globals={"snakemake": snakemake_object(job, config)},
            run_name="__main__",
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise BatchJobError(f"{describe(job)} exited with status {exc.code}") from exc
    except CsindexError as exc:  # the user's input: its own lines, no traceback
        logger.error("%s", exc)
        lines = console_lines(exc)
        raise BatchJobError(f"{describe(job)}: " + "\n".join(lines)) from exc
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)  # the job's log once its script set it up
        where = job["log"]["items"][0] if job["log"]["items"] else "the batch log"
        raise BatchJobError(
            f"{describe(job)}: unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            f" (a bug in csindex, not in your input: the traceback is in {where})"
        ) from exc
    finally:
        if sys.stderr is not stderr:
            try:
                sys.stderr.close()
            finally:
                sys.stderr = stderr
        sys.excepthook = hook
        for h in logger.handlers:
            if h not in handlers:
                h.close()
        logger.handlers[:] = handlers
        _close_figures()
    return time.perf_counter() - t0, time.process_time() - c0


def _close_figures() -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def run_jobs(jobs: Sequence[Mapping], config: Mapping, log: logging.Logger | None = None) -> None:
    """Run the jobs in dependency order, each as :func:`run_job`, writing each job's benchmark
    file (wall and CPU time of the job; max_rss is the process's peak so far). The first
    failing job stops the batch (:class:`BatchJobError`)."""
    log = log or logging.getLogger("csindex.batch")
    ordered = order_jobs(jobs)
    for k, job in enumerate(ordered, start=1):
        wall, cpu = run_job(job, config)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if job["benchmark"]:
            _write_benchmark(job["benchmark"], wall, cpu, rss_mb)
        log.info("%d/%d %s: %.2f s (CPU %.2f s)", k, len(ordered), describe(job), wall, cpu)
