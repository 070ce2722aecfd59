"""Population margins: counts from the frame or the config, cell codes and alignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from csindex.errors import ConfigError, InputError


def margin_columns(variables: list[str] | tuple[str, ...]) -> list[str]:
    """The frame columns the margin variables name (``a*b`` names a and b), in order, once."""
    return list(dict.fromkeys(c for var in variables for c in var.split("*")))


def cell_codes(df: pd.DataFrame, var: str) -> tuple[np.ndarray, list[str]]:
    """Codes of a margin variable; ``a*b`` is the interaction of columns a and b."""
    cols = var.split("*")
    for c in cols:
        if c not in df.columns:
            raise InputError(f"margin variable {c!r} not found", column=c)
        if df[c].isna().any():
            row = int(np.flatnonzero(df[c].isna().to_numpy())[0]) + 1
            raise InputError("margin variable has missing values", row=row, column=c)
    key = df[cols[0]].astype(str)
    for c in cols[1:]:
        key = key + ":" + df[c].astype(str)
    codes, labels = pd.factorize(key, sort=True)
    return codes.astype(np.int64), [str(x) for x in labels]


def margins_from_frame(
    frame: pd.DataFrame, variables: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Population counts per category of each margin variable (``a*b`` for a cross) in the frame."""
    out = {}
    for var in variables:
        codes, labels = cell_codes(frame, var)
        counts = np.bincount(codes, minlength=len(labels))
        out[var] = {lab: float(c) for lab, c in zip(labels, counts, strict=True)}
    return out


def margins_from_config(
    margins: Mapping[str, Mapping[str, float]], total: float | None = None, key: str = "weighting"
) -> dict[str, dict[str, float]]:
    """Counts per category; shares (each margin summing to 1) are scaled to ``total``."""
    out = {}
    for var, cats in margins.items():
        vals = {str(k): float(v) for k, v in cats.items()}
        if any(v < 0 or not np.isfinite(v) for v in vals.values()):
            raise ConfigError("margin values must be finite and >= 0", key=f"{key}.margins.{var}")
        s = sum(vals.values())
        if abs(s - 1.0) < 1e-6:
            if total is None:
                raise ConfigError(
                    "margins given as shares need a population total (weighting.population_total)",
                    key=f"{key}.margins.{var}",
                )
            vals = {k: v * total for k, v in vals.items()}
        out[var] = vals
    return out


def align_margin(
    df: pd.DataFrame, var: str, target: Mapping[str, float], source: str
) -> tuple[np.ndarray, np.ndarray]:
    codes, labels = cell_codes(df, var)
    tkeys = {str(k) for k in target}
    missing = [lab for lab in labels if lab not in tkeys]
    if missing:
        raise InputError(
            f"sample categories {missing} of margin {var!r} are absent from the population "
            f"margins ({source}); allowed: {sorted(tkeys)}",
            column=var,
        )
    absent = [k for k in sorted(tkeys) if k not in labels and target[k] > 0]
    if absent:
        raise InputError(
            f"population categories {absent} of margin {var!r} ({source}) have no respondents; "
            "collapse them with a neighbouring category or drop the margin",
            column=var,
        )
    t = np.array([float(target[lab]) for lab in labels])
    return codes, t


def check_margin_totals(margins: Mapping[str, Mapping[str, float]], rtol: float = 1e-6) -> float:
    """All margins must sum to the same population total; return it."""
    sums = {v: float(sum(c.values())) for v, c in margins.items()}
    if not sums:
        raise ConfigError("no margins given", key="weighting.calibration.margins")
    ref = next(iter(sums.values()))
    if any(abs(s - ref) > rtol * abs(ref) for s in sums.values()):
        raise InputError(
            "population margins do not sum to the same total: "
            + ", ".join(f"{v}={s:.10g}" for v, s in sums.items())
        )
    return ref
