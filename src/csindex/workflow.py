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


def _user_error_hook(exc_type, exc, tb) -> None:
    """A csindex error is the user's to fix: log its message only, no traceback."""
    from .errors import CsindexError

    if issubclass(exc_type, CsindexError):
        logging.getLogger("csindex").error("%s", exc)
        print(f"ERROR: {exc}", file=sys.__stderr__, flush=True)
        return
    sys.__excepthook__(exc_type, exc, tb)
