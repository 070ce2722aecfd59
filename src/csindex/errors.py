"""Errors with the location of the problem: file, row and column, or config key."""

from __future__ import annotations


class CsindexError(Exception):
    """Base class of every error csindex raises on purpose."""


class InputError(CsindexError, ValueError):
    """A problem in a user's input file or table.

    The message names the file, the row (1-based data row, as a spreadsheet shows it after the
    header) and the column, and what is allowed.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        kind: str = "input",
    ) -> None:
        self.file, self.row, self.column, self.kind = file, row, column, kind
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        self.message = message
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class InputErrors(CsindexError, ValueError):
    """Several input problems reported at once (one message lists them all)."""

    def __init__(self, problems: list[InputError], header: str = "") -> None:
        self.problems = list(problems)
        lines = [header or f"{len(self.problems)} problem(s) found:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ConfigError(CsindexError, ValueError):
    """A wrong key, type or value in the study configuration."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(f"config key {key}: {message}" if key else message)


class ConvergenceError(CsindexError, RuntimeError):
    """An iterative method (raking, calibration, SEM fit) did not converge."""


class VersionError(CsindexError):
    """A finished study version would be overwritten."""


def shown(value: object) -> str:
    """A value as a message shows it: ``repr`` of the plain Python value, so a NumPy scalar
    reads ``-1.0`` or ``5``, not ``np.float64(-1.0)`` (NumPy 2's repr)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        value = item()
    return repr(value)
