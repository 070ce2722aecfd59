"""What every section of the report needs: the options, the version folder, the instrument
labels in the report's language and script, and the facts several sections share (the
headline index, the answer table, the quality warnings), each computed once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..instrument import Instrument
from .folder import VersionFolder, pick, standard_index_table
from .i18n import LANGUAGES, normalise_language, t, to_script

HEADLINES = ("acsi", "indicators")

# Thresholds of the warnings (named in the text wherever they are used).
THRESHOLDS = {
    "htmt": 0.90,
    "ave": 0.50,
    "rho_c": 0.70,
    "alpha": 0.70,
    "rho_a": 0.70,
    "reliability_max": 0.95,
    "loading": 0.708,
    "vif": 5.0,
    "response_rate": 50.0,
    "weight_deff": 2.0,
}


@dataclass
class ReportOptions:
    """Options of the report (config section ``report``)."""

    language: str = "en"
    min_cell: int = 10
    level: float = 0.95
    headline: str = "acsi"
    previous_wave: str | None = None
    max_table_rows: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReportOptions:
        rep = dict(config.get("report") or {})
        lang = rep.get("language") or config.get("language") or "en"
        if lang not in LANGUAGES:
            raise ConfigError(
                f"value {lang!r} is not allowed; allowed: {', '.join(LANGUAGES)}",
                key="report.language" if rep.get("language") else "language",
            )
        min_cell = int(rep.get("min_cell", 10))
        if min_cell < 1:
            raise ConfigError(
                f"value {min_cell} is too small; allowed: >= 1", key="report.min_cell"
            )
        level = float(rep.get("level", 0.95))
        if not 0.5 <= level < 1:
            raise ConfigError(
                f"value {level} not allowed; allowed: 0.5 <= level < 1", key="report.level"
            )
        headline = rep.get("headline") or "acsi"
        if headline not in HEADLINES:
            raise ConfigError(
                f"value {headline!r} is not allowed; allowed: {', '.join(HEADLINES)}",
                key="report.headline",
            )
        return cls(
            language=lang,
            min_cell=min_cell,
            level=level,
            headline=headline,
            previous_wave=rep.get("previous_wave"),
            max_table_rows=int(rep.get("max_table_rows", 200)),
        )


@dataclass(frozen=True)
class IndexFigure:
    """One index value with its interval: which index, its name and one-sentence definition."""

    kind: str  # acsi | indicators
    name: str
    definition: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float


class ReportContext:
    """The inputs of one report and the facts shared by its sections."""

    def __init__(
        self,
        version_dir: str | Path,
        config: Mapping[str, Any],
        instrument: Instrument,
        options: ReportOptions | None = None,
        base: str | Path | None = None,
    ) -> None:
        self.v = VersionFolder(version_dir)
        self.config = dict(config)
        self.instrument = instrument
        self.opt = options or ReportOptions.from_config(config)
        self.lang = normalise_language(self.opt.language)
        self.folder = str(Path(version_dir))
        self.base = Path(base) if base is not None else Path.cwd()
        self.diagnostics: dict[str, Any] = {}

    # -- wording and labels
    def k(self, key: str, **kw) -> str:
        return t(self.lang, key, **kw)

    def label(self, key: str) -> str:
        """Label of a construct or item from the instrument, in the report's script."""
        base = self.lang.split("-")[0]
        lab = self.instrument.label(key, self.lang)
        if lab == key or lab == self.instrument.label(key, "en"):
            lab = self.instrument.label(key, base)
        return to_script(lab, self.lang)

    def name(self, key: str) -> str:
        """``ID label`` of a construct or item."""
        lab = self.label(key)
        return key if lab == key else f"{key} {lab}"

    # -- shared data
    @cached_property
    def index(self) -> pd.DataFrame | None:
        csi = self.v.csv("index/csi.csv")
        if csi is None:
            return None
        return standard_index_table(csi, str(self.v.root / "index/csi.csv"))

    @cached_property
    def indicator_index(self) -> pd.DataFrame | None:
        return self.v.csv("indicators/index.csv")

    @cached_property
    def weights(self) -> pd.DataFrame | None:
        return self.v.parquet("weights/weights.parquet")

    @cached_property
    def clean_summary(self) -> dict[str, Any] | None:
        s = self.v.json("clean/summary.json")
        return s if isinstance(s, dict) else None

    def _acsi(self) -> IndexFigure | None:
        std = self.index
        if std is None:
            return None
        ov = std[std["by"] == "overall"]
        r = ov[ov["construct"].str.upper() == "CS"]
        if not len(r):
            return None
        r = r.iloc[0]
        return IndexFigure(
            "acsi", self.k("csi_acsi_name"), self.k("csi_acsi_def"),
            float(r["estimate"]), float(r["se"]), float(r["ci_low"]), float(r["ci_high"]),
        )  # fmt: skip

    def _indicators(self) -> IndexFigure | None:
        ind = self.indicator_index
        if ind is None or not len(ind):
            return None
        node = pick(ind, ["node", "name", "construct"])
        est = pick(ind, ["estimate", "index", "value"])
        if node is None or est is None:
            raise InputError(
                "needs node and estimate columns; columns present: "
                + ", ".join(map(str, ind.columns)),
                file=str(self.v.root / "indicators/index.csv"),
            )
        m = ind[node].astype(str).str.upper() == "CSI"
        dom = pick(ind, ["domain"])
        if dom is not None:
            m &= ind[dom].astype(str).str.lower().isin(["all", "overall", ""])
        if not m.any():
            return None
        r = ind[m].iloc[0]
        se = float(r["se"]) if "se" in ind.columns else np.nan
        lo_c, hi_c = pick(ind, ["ci_lower", "ci_low"]), pick(ind, ["ci_upper", "ci_high"])
        z = 1.959963984540054  # normal interval when the file gives only the SE
        lo = float(r[lo_c]) if lo_c else float(r[est]) - z * se
        hi = float(r[hi_c]) if hi_c else float(r[est]) + z * se
        return IndexFigure(
            "indicators", self.k("csi_ind_name"), self.k("csi_ind_def"), float(r[est]), se, lo, hi
        )

    @cached_property
    def headline(self) -> IndexFigure | None:
        """The study's CSI as its config defines it (``report.headline``)."""
        return self._acsi() if self.opt.headline == "acsi" else self._indicators()

    @cached_property
    def secondary(self) -> IndexFigure | None:
        """The other index, shown with its own definition."""
        return self._indicators() if self.opt.headline == "acsi" else self._acsi()
