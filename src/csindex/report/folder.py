"""Reading one version folder: files by their path under results/<study>/<version>/, each file
read remembered for the provenance table; the index table in a standard shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

OVERALL = {"overall", "all", "total", "全體", "整體", "全体", "整体", ""}


class VersionFolder:
    """Read access to one version folder; remembers every file it read (for provenance)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"version folder {self.root} does not exist", file=str(self.root))
        self.read: dict[str, Path] = {}

    def has(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def _note(self, rel: str) -> Path:
        p = self.root / rel
        self.read[rel] = p
        return p

    def csv(self, rel: str) -> pd.DataFrame | None:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return pd.read_csv(p, comment=None)
        except (pd.errors.ParserError, UnicodeDecodeError) as e:
            raise InputError(f"cannot be read as CSV ({e})", file=str(p)) from None

    def parquet(self, rel: str) -> pd.DataFrame | None:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return pd.read_parquet(p)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types
            raise InputError(f"cannot be read as Parquet ({e})", file=str(p)) from None

    def json(self, rel: str) -> Any:
        if not self.has(rel):
            return None
        p = self._note(rel)
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"is not valid JSON ({e})", file=str(p)) from None


def pick(df: pd.DataFrame, names: Sequence[str], exclude: Sequence[str] = ()) -> str | None:
    """First column of ``df`` whose lower-cased name is in ``names`` (in that order)."""
    low = {str(c).lower(): c for c in df.columns if c not in exclude}
    for n in names:
        if n in low:
            return low[n]
    return None


def standard_index_table(csi: pd.DataFrame, source: str = "index/csi.csv") -> pd.DataFrame:
    """index/csi.csv in a standard shape: ``construct, by, group, estimate, se, ci_low,
    ci_high, n`` (``by`` = 'overall' or the grouping variable, e.g. 'segment')."""
    lv = pick(csi, ["construct", "lv", "latent", "variable", "name", "indicator"])
    est = pick(csi, ["estimate", "score", "index", "csi", "value", "mean"], exclude=[lv])
    if lv is None or est is None:
        raise InputError(
            "needs a construct column (construct/lv/variable) and an estimate column "
            f"(estimate/score/index/value); columns present: {', '.join(map(str, csi.columns))}",
            file=source,
        )
    out = pd.DataFrame(
        {"construct": csi[lv].astype(str), "estimate": pd.to_numeric(csi[est], errors="coerce")}
    )
    for key, names in {
        "se": ["se", "std_error", "stderr"],
        "ci_low": ["ci_low", "ci_lower", "lower", "lo", "ci_lo", "lcl"],
        "ci_high": ["ci_high", "ci_upper", "upper", "hi", "ci_hi", "ucl"],
        "n": ["n", "n_resp", "count", "n_respondents"],
    }.items():
        c = pick(csi, names)
        out[key] = pd.to_numeric(csi[c], errors="coerce") if c else np.nan
    by = pick(csi, ["by", "group_var", "grouping", "dimension", "by_var"])
    grp = pick(
        csi,
        ["group", "segment", "domain", "subgroup", "level", "category"],
        exclude=[by] if by else [],
    )
    g = csi[grp].astype("string").fillna("").str.strip() if grp else pd.Series("", index=csi.index)
    if by:
        b = csi[by].astype("string").fillna("overall").str.strip()
        out["by"] = np.where(b.str.lower().isin(OVERALL), "overall", b)
    elif grp:
        out["by"] = np.where(g.str.lower().isin(OVERALL), "overall", str(grp).lower())
    else:
        out["by"] = "overall"
    out["group"] = np.where(out["by"] == "overall", "", g)
    se_ok = out["se"].notna()
    z = 1.959963984540054
    out.loc[out["ci_low"].isna() & se_ok, "ci_low"] = out["estimate"] - z * out["se"]
    out.loc[out["ci_high"].isna() & se_ok, "ci_high"] = out["estimate"] + z * out["se"]
    return out


def csi_row(std: pd.DataFrame) -> tuple[pd.Series | None, bool]:
    """The overall CSI row (construct 'CSI'), else the overall CS row; and whether it is CS."""
    overall = std[std["by"] == "overall"]
    for name, is_cs in (("CSI", False), ("CS", True)):
        r = overall[overall["construct"].str.upper() == name]
        if len(r):
            return r.iloc[0], is_cs
    return None, False


def resolve_version_dir(
    given: str | Path, cwd: str | Path | None = None, starts: Sequence[str | Path] = ()
) -> Path:
    """The version folder named by ``given`` (e.g. ``CSINDEX_RESULTS``): as is when absolute;
    else the first existing of ``cwd/given`` and ``start/given`` for each of ``starts`` (the
    folder the user ran the command from, the repository root) — Jupyter starts a notebook's
    kernel in the notebook's folder, not where ``jupyter lab`` was typed. InputError naming
    every place looked at when none exists."""
    p = Path(given).expanduser()
    if p.is_absolute():
        cands = [p]
    else:
        cands = [Path(cwd or Path.cwd()) / p, *(Path(s) / p for s in starts if s)]
    for c in cands:
        if c.is_dir():
            return c.resolve()
    raise InputError(
        f"version folder {given} not found (looked in: {', '.join(str(c) for c in cands)}); "
        "run snakemake first, or give an absolute path",
        file=str(given),
    )
