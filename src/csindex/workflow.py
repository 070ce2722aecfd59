"""Helpers for the thin Snakemake scripts: logging and thread limits."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any


def limit_threads(n: int = 1) -> None:
    """Keep BLAS/OpenMP to ``n`` threads: Snakemake runs jobs side by side on few cores, and an
    oversubscribed BLAS made one SEM fit swing from 0.05 s to 10 s on two cores."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover
        pass


def setup_script(snakemake: Any) -> logging.Logger:
    """Call first in every ``script:``: one BLAS thread, stderr and logging to the rule's log."""
    limit_threads(int(getattr(snakemake, "threads", 1) or 1))
    log_files = list(getattr(snakemake, "log", []) or [])
    logger = logging.getLogger("csindex")
    logger.setLevel(logging.INFO)
    if log_files:
        fh = open(log_files[0], "w", encoding="utf-8")  # noqa: SIM115 - lives for the job
        sys.stderr = fh
        handler = logging.StreamHandler(fh)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.handlers[:] = [handler]
    sys.excepthook = _user_error_hook
    return logger


def console_lines(exc: BaseException) -> list[str]:
    """A csindex error as console lines, each complete on its own (file, row, column or config
    key, and what is allowed): one line, or one per problem of an :class:`InputErrors`."""
    from .errors import InputErrors

    if isinstance(exc, InputErrors) and exc.problems:
        return [" ".join(str(p).split()) for p in exc.problems]
    return [" ".join(line.split()) for line in str(exc).splitlines() if line.strip()][:1] + [
        "  " + " ".join(line.split()) for line in str(exc).splitlines()[1:] if line.strip()
    ]


def warn(message: str) -> None:
    """A warning the user should see: in the rule's log and on the console."""
    logging.getLogger("csindex").warning("%s", message)
    if sys.__stderr__ is not None:
        print(f"WARNING: {message}", file=sys.__stderr__, flush=True)


def _user_error_hook(exc_type, exc, tb) -> None:
    """A csindex error is the user's to fix: its message goes to the log and to the console
    (Snakemake's own summary of a failed job shows only "message: None"), no traceback. Any
    other exception is a bug: the traceback goes to the log, one line to the console."""
    from .errors import CsindexError

    if issubclass(exc_type, CsindexError):
        logging.getLogger("csindex").error("%s", exc)
        if sys.__stderr__ is not None:
            for line in console_lines(exc):
                print(f"ERROR: {line}", file=sys.__stderr__, flush=True)
        return
    sys.__excepthook__(exc_type, exc, tb)
    if sys.__stderr__ is not None and sys.stderr is not sys.__stderr__:
        print(
            f"ERROR: unexpected {exc_type.__name__}: {' '.join(str(exc).split())[:300]} "
            "(a bug in csindex, not in your input: the traceback is in the rule's log)",
            file=sys.__stderr__,
            flush=True,
        )


_UNLOCK_KEEP = (
    "--configfile",
    "--configfiles",
    "--config",
    "--snakefile",
    "-s",
    "--directory",
    "-d",
)


def unlock_command(argv: list[str]) -> str:
    """The exact command that removes a stale lock for this invocation: ``snakemake --unlock``
    with the same config files, --config values, Snakefile and directory."""
    import shlex

    keep: list[str] = []
    args = list(argv[1:])
    i = 0
    while i < len(args):
        a = args[i]
        name = a.split("=", 1)[0]
        if name in _UNLOCK_KEEP:
            keep.append(a)
            i += 1
            if "=" not in a:
                while i < len(args) and not args[i].startswith("-"):
                    keep.append(args[i])
                    i += 1
            continue
        i += 1
    return " ".join(["snakemake", "--unlock", *map(shlex.quote, keep)])


def stale_lock_hint(workdir: str | os.PathLike, argv: list[str]) -> str | None:
    """When Snakemake's lock files from an earlier run are present (a run that was killed or
    crashed leaves them; the next run then stops with LockException), the explanation with the
    exact command that removes them; None when there is no lock or this is not a user's run."""
    from pathlib import Path

    args = argv[1:]
    if any(a in ("--unlock", "--nolock", "--no-lock") for a in args) or (
        "--target-files-omit-workdir-adjustment" in args
    ):
        return None
    locks = Path(workdir) / ".snakemake" / "locks"
    try:
        present = locks.is_dir() and any(locks.iterdir())
    except OSError:
        return None
    if not present:
        return None
    return (
        f"Snakemake's lock from an earlier run is still in {locks}. If no other snakemake is "
        "running in this folder (the last run was interrupted: killed, crashed, power loss), "
        "this run will stop with 'Directory cannot be locked' (LockException): remove the "
        f"lock with\n    {unlock_command(argv)}\nand run again; finished files are kept, "
        "unfinished ones are recomputed."
    )


def drop_empty_rule_message() -> bool:
    """Snakemake 9's failure summary prints ``message: None`` for every failed job whose log
    record carries no rule message (``DefaultFormatter._format_job_error`` prints ``rule_msg``
    whenever the record has a text, and executors pass none); the one-line ``ERROR:`` printed
    by the job above it is the message. Drop that line in this (the main) process; True when
    Snakemake's formatter was found and wrapped."""
    try:
        from snakemake.logging import DefaultFormatter
    except ImportError:
        return False
    original = getattr(DefaultFormatter, "_format_job_error", None)
    if original is None or getattr(original, "_csindex_wrapped", False):
        return original is not None

    def format_job_error(self, msg):
        return [line for line in original(self, msg) if line.strip() != "message: None"]

    format_job_error._csindex_wrapped = True
    DefaultFormatter._format_job_error = format_job_error
    return True
