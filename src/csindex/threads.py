"""BLAS threads inside the library's fits: one by default (``csindex.set_blas_threads``).

An oversubscribed BLAS made one CB-SEM fit on 250 rows take 6.63 s at two BLAS threads against
0.27 s at one on a loaded two-core machine, so :func:`fit_pls`, :func:`fit_cbsem` and the
bootstraps run under :func:`blas_threads` (threadpoolctl) whether they are called from a
Snakemake job or a notebook. ``set_blas_threads(None)`` leaves BLAS alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_limit: int | None = 1
_depth = 0


def set_blas_threads(n: int | None) -> None:
    """BLAS/OpenMP threads used inside the library's fits (``None`` = do not limit)."""
    global _limit
    if n is not None and int(n) < 1:
        raise ValueError("BLAS threads must be >= 1 (or None for no limit)")
    _limit = None if n is None else int(n)


def get_blas_threads() -> int | None:
    return _limit


@contextmanager
def blas_threads(n: int | None = None) -> Iterator[None]:
    """Limit BLAS threads to ``n`` (default: :func:`set_blas_threads`'s value) in the block;
    nested blocks keep the outer limit (one threadpoolctl call per outermost fit)."""
    global _depth
    limit = _limit if n is None else n
    if limit is None or _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency of the project
        yield
        return
    _depth += 1
    try:  # a fresh scan each time: a BLAS loaded later (scipy's) is limited too
        with threadpool_limits(limits=limit):
            yield
    finally:
        _depth -= 1


def limit_blas(func: F) -> F:
    """Decorator: run ``func`` under :func:`blas_threads`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_threads():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
