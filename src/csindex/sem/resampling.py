"""How bootstrap replicates resample the respondents (:class:`BootstrapDesign`, config
``bootstrap.design``; used by :mod:`csindex.sem.bootstrap`).

* ``iid``: replicate ``b`` draws n respondents with replacement from
  ``numpy.random.default_rng([seed, b])``, stored as counts (:func:`replicate_counts`);
* ``rao_wu``: the Rao–Wu(–Yue) rescaling bootstrap of a stratified (multi-stage) cluster
  sample: in stratum h with n_h PSUs, m_h = n_h - 1 PSUs are drawn with replacement
  (:func:`csindex.weighting.bootstrap_replicates`, one generator ``default_rng([seed, b])`` per
  replicate), so a replicate is the same whichever shard computes it.

:func:`bootstrap_design` builds the design of the model rows from the weights table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError, shown


def replicate_counts(n: int, seed: int, start: int, stop: int) -> np.ndarray:
    """Resampling counts of replicates ``start..stop-1``: array (stop - start, n) of int32; row
    ``b - start`` counts how often each of the n rows is drawn (n draws with replacement) with
    ``np.random.default_rng([seed, b])``."""
    if n < 1 or start < 0 or stop < start:
        raise ValueError(f"bad replicate range n={n}, start={start}, stop={stop}")
    out = np.empty((stop - start, n), dtype=np.int32)
    for j, b in enumerate(range(start, stop)):
        rng = np.random.default_rng([int(seed), int(b)])
        out[j] = np.bincount(rng.integers(0, n, n), minlength=n)
    return out


BOOT_DESIGNS = ("auto", "iid", "rao_wu")
"""Values of config ``bootstrap.design``."""

_LONELY = ("adjust", "remove", "certainty", "average", "fail")


@dataclass
class BootstrapDesign:
    """How bootstrap replicates resample the respondents (rows of the model data).

    Attributes
    ----------
    kind : ``iid`` (respondents with replacement) or ``rao_wu`` (PSUs within strata).
    n : rows of the data the design was built on.
    psu : PSU code (0..G-1) of every row (rao_wu).
    psu_stratum : stratum code of every PSU, single-PSU strata pooled as ``lonely_psu`` says.
    psu_fpc : population PSUs of every PSU's stratum (``fpc_1``; NaN = none, with replacement).
    lonely_psu, lonely : the setting for single-PSU strata and how many there are.
    requested : the configured value (``auto``, ``iid`` or ``rao_wu``).
    """

    kind: str = "iid"
    n: int = 0
    psu: np.ndarray | None = None
    psu_stratum: np.ndarray | None = None
    psu_fpc: np.ndarray | None = None
    lonely_psu: str = "adjust"
    lonely: int = 0
    n_strata: int = 0
    requested: str = "iid"

    @property
    def n_psu(self) -> int:
        return 0 if self.psu_stratum is None else int(self.psu_stratum.size)

    def _n_rows(self, rows: np.ndarray | None) -> int:
        return self.n if rows is None else int(np.arange(self.n)[rows].size)

    def multipliers(
        self, seed: int, start: int, stop: int, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Weight multipliers (stop - start, n_rows) of replicates ``start..stop-1`` for the
        data rows ``rows`` (boolean mask or indices; None = all): resampling counts (iid,
        :func:`replicate_counts` over the selected rows) or Rao–Wu multipliers of their PSUs.
        Replicate b depends only on (seed, b)."""
        if self.kind == "iid":
            return replicate_counts(self._n_rows(rows), seed, start, stop)
        from ..weighting import bootstrap_replicates

        if start < 0 or stop < start:
            raise ValueError(f"bad replicate range start={start}, stop={stop}")
        G = self.n_psu
        ids = np.arange(G)
        F = np.empty((stop - start, G))
        for j, b in enumerate(range(start, stop)):
            rng = np.random.default_rng([int(seed), int(b)])
            F[j] = bootstrap_replicates(self.psu_stratum, ids, 1, rng, fpc=self.psu_fpc).factors[
                :, 0
            ]
        psu = self.psu if rows is None else self.psu[rows]
        return F[:, psu]

    def jackknife_labels(
        self, groups: int, seed: int, rows: np.ndarray | None = None
    ) -> np.ndarray | None:
        """Group label of every selected row for the BCa jackknife: PSUs (rao_wu; grouped by a
        seeded permutation when there are more than ``groups``); None for iid (the caller's
        respondent-level groups)."""
        if self.kind == "iid":
            return None
        G = self.n_psu
        if G <= groups:
            lab = np.arange(G)
        else:
            lab = np.random.default_rng([int(seed), 2**31 - 2]).permutation(G) % groups
        psu = self.psu if rows is None else self.psu[rows]
        used = np.unique(lab[psu])  # renumber: groups with no selected row are dropped
        return np.searchsorted(used, lab[psu])

    def describe(self) -> str:
        """Plain description, e.g. ``rao_wu (Rao-Wu rescaling bootstrap: 62 PSUs in 8
        strata, ...)``."""
        if self.kind == "iid":
            why = " (design: auto; no stratum/psu design with two or more PSUs in a stratum)"
            return "iid (respondents resampled with replacement)" + (
                why if self.requested == "auto" else ""
            )
        fpc = (
            "with fpc_1"
            if self.psu_fpc is not None and np.isfinite(self.psu_fpc).any()
            else "no fpc"
        )
        out = (
            f"rao_wu (Rao-Wu rescaling bootstrap: {self.n_psu} PSUs in {self.n_strata} strata, "
            f"m_h = n_h - 1, {fpc}"
        )
        if self.lonely:
            out += f"; {self.lonely} single-PSU stratum/strata, lonely_psu={self.lonely_psu}"
        return out + ")"


def bootstrap_design(
    data: pd.DataFrame,
    table: pd.DataFrame | None = None,
    design: str = "auto",
    lonely_psu: str = "adjust",
    file: str | None = None,
) -> BootstrapDesign:
    """The :class:`BootstrapDesign` of the rows of ``data`` from the weights table ``table``
    (``respondent_id`` and the design columns ``stratum``, ``psu``, optionally ``fpc_1``, as in
    weights/weights.parquet), matched on respondent_id.

    ``design``: ``iid``; ``rao_wu`` (needs a ``stratum`` and/or ``psu`` column: without
    ``psu`` every respondent is a PSU, without ``stratum`` there is one stratum); ``auto`` =
    rao_wu when the table has stratum/psu and some stratum has two or more PSUs, else iid.
    Single-PSU strata follow ``lonely_psu`` (estimation.lonely_psu): ``fail`` stops;
    ``remove``/``certainty`` give them multiplier 1 (no variance contribution); ``adjust``/
    ``average`` pool them into one pseudo-stratum (collapsed strata) when there are two or more
    (one alone contributes nothing, as with certainty).
    """
    _check_options(design, lonely_psu)
    n = len(data)
    iid = BootstrapDesign("iid", n, lonely_psu=lonely_psu, requested=design)
    if design == "iid":
        return iid
    m, cols = _design_columns(data, table, design, file)
    if m is None:
        return iid
    strata = m["stratum"].astype(str).to_numpy() if "stratum" in cols else np.zeros(n, str)
    psu = m["psu"].astype(str).to_numpy() if "psu" in cols else np.arange(n).astype(str)
    s_code = pd.factorize(strata, sort=True)[0]
    key = pd.MultiIndex.from_arrays([s_code, psu])
    p_code, uniq = pd.factorize(key, sort=True)
    ps = np.asarray(uniq.get_level_values(0), dtype=np.int64)  # stratum of every PSU
    H = int(s_code.max()) + 1
    nh = np.bincount(ps, minlength=H)
    if design == "auto" and not (nh >= 2).any():
        return iid
    fpc = None
    if "fpc_1" in m.columns:
        first = np.unique(p_code, return_index=True)[1]
        fpc = m["fpc_1"].to_numpy(float)[first]
    single = nh[ps] == 1
    lonely = int(single.sum())
    if lonely:
        ps, fpc = _pool_lonely_psus(ps, fpc, single, strata, s_code, H, lonely_psu, file)
    return BootstrapDesign(
        "rao_wu",
        n,
        psu=p_code.astype(np.int64),
        psu_stratum=ps,
        psu_fpc=fpc,
        lonely_psu=lonely_psu,
        lonely=lonely,
        n_strata=H,
        requested=design,
    )


def _check_options(design: str, lonely_psu: str) -> None:
    """``design`` and ``lonely_psu`` are allowed values."""
    if design not in BOOT_DESIGNS:
        raise ConfigError(
            f"{design!r} not allowed; allowed: {', '.join(BOOT_DESIGNS)}", key="bootstrap.design"
        )
    if lonely_psu not in _LONELY:
        raise ConfigError(
            f"{lonely_psu!r} not allowed; allowed: {', '.join(_LONELY)}",
            key="estimation.lonely_psu",
        )


def _design_columns(
    data: pd.DataFrame, table: pd.DataFrame | None, design: str, file: str | None
) -> tuple[pd.DataFrame | None, list[str]]:
    """The design columns (stratum, psu, fpc_1) of every data row, matched on respondent_id,
    and which of stratum/psu there are; (None, []) when the table has neither (iid)."""
    cols = [] if table is None else [c for c in ("stratum", "psu") if c in table.columns]
    cols = [c for c in cols if table[c].notna().all()]
    if not cols:
        if design == "rao_wu":
            raise InputError(
                "bootstrap.design is rao_wu but the weights file has no stratum or psu column "
                "(without missing values); use design: iid or auto",
                file=file,
                column="psu",
            )
        return None, []
    if "respondent_id" not in data.columns or "respondent_id" not in table.columns:
        raise InputError("respondent_id is needed to match the design columns", file=file)
    keep = ["respondent_id", *cols] + (
        ["fpc_1"] if "fpc_1" in table.columns and table["fpc_1"].notna().all() else []
    )
    m = data[["respondent_id"]].merge(
        table[keep].drop_duplicates("respondent_id"), on="respondent_id", how="left"
    )
    miss = m[cols].isna().any(axis=1).to_numpy()
    if miss.any():
        raise InputError(
            f"{int(miss.sum())} respondent(s) have no {'/'.join(cols)} in the weights file, "
            f"e.g. {shown(m['respondent_id'].iloc[int(np.flatnonzero(miss)[0])])}",
            file=file,
            column=cols[0],
        )
    return m, cols


def _pool_lonely_psus(ps, fpc, single, strata, s_code, H: int, lonely_psu: str, file):
    """Single-PSU strata as ``lonely_psu`` says: ``fail`` stops; ``adjust``/``average`` pool two
    or more into one pseudo-stratum (code H, no fpc); otherwise they stay (multiplier 1)."""
    if lonely_psu == "fail":
        bad = sorted({strata[int(np.flatnonzero(s_code == h)[0])] for h in ps[single]})
        raise InputError(
            f"stratum/strata {', '.join(bad)} have a single PSU; set estimation.lonely_psu "
            "to adjust, remove, certainty or average",
            file=file,
            column="stratum",
        )
    if lonely_psu in ("adjust", "average") and single.sum() >= 2:
        ps = np.where(single, H, ps)  # collapse the single-PSU strata into one
        if fpc is not None:
            fpc = np.where(single, np.nan, fpc)
    return ps, fpc
