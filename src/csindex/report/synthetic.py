"""A small synthetic version folder that follows the stage contracts (docs/DEVELOPING.md), for
the report's tests, benchmarks and notebooks when no real run is at hand.

The numbers are made up (seeded); nothing here is an estimate. ``stages`` selects which stage
outputs to write, so tests can check how the report handles stages that have not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..instrument import ACSI_PATHS, Instrument
from ..io import write_csv, write_json, write_parquet

ALL_STAGES = ("sample", "fieldwork", "clean", "weights", "model", "index")


@dataclass(frozen=True)
class _Responses:
    """The made-up respondents every stage's outputs describe, and the generator to go on with."""

    rng: np.random.Generator
    table: pd.DataFrame  # clean/responses.parquet
    rid: np.ndarray
    seg: np.ndarray
    region: np.ndarray
    psu: np.ndarray
    regions: np.ndarray
    w_design: np.ndarray
    w_final: np.ndarray


def _responses(instrument: Instrument, n: int, seed: int, small_segment: int) -> _Responses:
    """Respondents in segments and regions, items driven by one latent factor, weights."""
    rng = np.random.default_rng(seed)
    regions = np.array(["R01", "R02", "R03", "R04"])
    seg = np.array(["personal", "family", "business"])[rng.integers(0, 3, n)]
    seg[: min(small_segment, n)] = "vip"
    region = regions[rng.integers(0, 4, n)]
    psu = np.char.add(np.char.add(region, "-B"), rng.integers(0, 6, n).astype(str).astype("U2"))
    rid = np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    eta = rng.normal(0, 1, n)
    resp = pd.DataFrame(
        {
            "respondent_id": rid,
            "unit_id": np.char.add("C", rid),
            "region": region,
            "branch": psu,
            "segment": seg,
            "wave": "main",
        }
    )
    for it in instrument.items:
        sc = instrument.item(it.id).scale
        sign = -1.0 if it.construct == "CC" else 1.0
        raw = sc.min + (sc.max - sc.min) * (0.62 + 0.18 * sign * eta + rng.normal(0, 0.17, n))
        x = np.clip(np.round(raw), sc.min, sc.max).astype(float)
        x[rng.random(n) < 0.03] = np.nan
        resp[it.id] = x
    w_design = np.where(region == "R01", 40.0, np.where(region == "R02", 55.0, 70.0))
    w_final = w_design * rng.uniform(0.8, 1.25, n)
    return _Responses(rng, resp, rid, seg, region, psu, regions, w_design, w_final)


def _write_sample(folder: Path, r: _Responses, n: int, seed: int) -> None:
    """sample/design.json."""
    write_json(
        {
            "method": "stratified_two_stage_pps",
            "seed": seed,
            "n": int(n * 1.6),
            "allocation": [
                {"stratum": g, "N_h": 40, "n_h": 6, "n_units": int(n * 0.4)} for g in r.regions
            ],
        },
        folder / "sample/design.json",
    )


def _write_fieldwork(folder: Path, n: int) -> None:
    """fieldwork/dispositions.parquet: the completes plus refusals, noncontacts, ..."""
    disp = np.array(
        ["complete"] * n
        + ["refusal"] * (n // 5)
        + ["noncontact"] * (n // 6)
        + ["partial"] * (n // 20)
        + ["ineligible"] * (n // 25)
    )
    write_parquet(
        pd.DataFrame({"customer_id": [f"C{i:07d}" for i in range(len(disp))], "disposition": disp}),
        folder / "fieldwork/dispositions.parquet",
    )


def _write_clean(folder: Path, r: _Responses, n: int) -> None:
    """clean/responses.parquet, clean/summary.json and clean/log.csv."""
    write_parquet(r.table, folder / "clean/responses.parquet")
    write_json(
        {
            "n_raw": n + 25,
            "n_kept": n,
            "dropped": {"duplicate": 12, "speeder": 8, "straightliner": 5},
        },
        folder / "clean/summary.json",
    )
    write_csv(
        pd.DataFrame(
            {
                "respondent_id": r.rid[:5],
                "rule": ["out_of_range"] * 3 + ["dont_know"] * 2,
                "column": ["CE1", "PQ2", "CS1", "CL2", "PV1"],
            }
        ),
        folder / "clean/log.csv",
    )


def _write_weights(folder: Path, r: _Responses, n: int) -> None:
    """weights/weights.parquet and weights/diagnostics.json (n_eff = (sum w)^2 / sum w^2)."""
    w_final = r.w_final
    write_parquet(
        pd.DataFrame(
            {
                "respondent_id": r.rid,
                "w_design": r.w_design,
                "w_nonresponse": r.w_design * 1.1,
                "w_calibrated": w_final,
                "w_final": w_final,
                "stratum": r.region,
                "psu": r.psu,
                "fpc_1": 40.0,
                "fpc_2": 500.0,
            }
        ),
        folder / "weights/weights.parquet",
    )
    write_json(
        {
            "n_eff": float(w_final.sum() ** 2 / (w_final**2).sum()),
            "deff_weighting": float(n / (w_final.sum() ** 2 / (w_final**2).sum())),
            "replicate_type": "JK1",
            "scale": 1.0,
            "mse": True,
            "converged": True,
        },
        folder / "weights/diagnostics.json",
    )


def _model_estimates(instrument: Instrument, rng: np.random.Generator) -> pd.DataFrame:
    """model/estimates.csv rows: loadings 0.8, then ACSI paths with random coefficients."""
    rows = [
        {"lhs": c, "op": "=~", "rhs": i, "est": 0.8, "se": 0.05, "z": 16.0, "p": 0.0}
        for c, its in instrument.blocks().items()
        for i in its
    ]
    coefs = rng.uniform(0.1, 0.6, len(ACSI_PATHS))
    for (a, b), cf in zip(ACSI_PATHS, coefs, strict=True):
        cf = -cf if (a, b) == ("CS", "CC") else cf
        rows.append(
            {
                "lhs": b,
                "op": "~",
                "rhs": a,
                "est": cf,
                "se": 0.08,
                "z": cf / 0.08,
                "p": 2 * (1 - _phi(abs(cf / 0.08))),
            }
        )
    return pd.DataFrame(rows)


def _model_quality(lvs: list[str]) -> pd.DataFrame:
    """quality.csv in csindex.sem.quality's long form; CE-PQ HTMT 0.94 (above 0.90)."""
    q = [
        (m, c, None, v)
        for c in lvs
        for m, v in (("alpha", 0.8), ("rho_a", 0.81), ("rho_c", 0.85), ("ave", 0.6))
    ]
    for a_i, a in enumerate(lvs):
        for b in lvs[a_i + 1 :]:
            q.append(("htmt", a, b, 0.94 if (a, b) == ("CE", "PQ") else 0.6))
        for b in lvs:
            q.append(("fornell_larcker", a, b, 0.6**0.5 if a == b else 0.5))
    return pd.DataFrame(q, columns=["measure", "lhs", "rhs", "value"])


def _write_model(folder: Path, instrument: Instrument, r: _Responses, n: int) -> None:
    """model/: estimates, standardized, r2, fit, effects and quality."""
    est = _model_estimates(instrument, r.rng)
    write_csv(est, folder / "model/estimates.csv")
    std = est[["lhs", "op", "rhs"]].assign(est_std=est["est"] * 0.95)
    write_csv(std, folder / "model/standardized.csv")
    write_csv(
        pd.DataFrame(
            {"construct": ["PQ", "PV", "CS", "CC", "CL"], "r2": [0.3, 0.45, 0.7, 0.2, 0.5]}
        ),
        folder / "model/r2.csv",
    )
    write_json(
        {
            "chisq": 250.3,
            "df": 95,
            "cfi": 0.95,
            "tli": 0.94,
            "rmsea": 0.05,
            "srmr": 0.04,
            "n": n,
        },
        folder / "model/fit.json",
    )
    write_csv(
        pd.DataFrame({"from": [a for a, _ in ACSI_PATHS if _ == "CS"],
                      "to": "CS", "total": [0.3, 0.5, 0.35]}),
        folder / "model/effects.csv",
    )  # fmt: skip
    write_csv(_model_quality(list(instrument.construct_ids)), folder / "model/quality.csv")


def _csi_table(lvs: list[str], r: _Responses, n: int, csi_shift: float) -> pd.DataFrame:
    """index/csi.csv as the index stage writes it: construct scores (CS is the ACSI-style
    satisfaction index) overall, and CS by segment; ci = estimate -/+ 1.96 se."""
    base = {c: 60 + 3 * k + csi_shift for k, c in enumerate(lvs)}
    base["CS"] = 71.0 + csi_shift
    rows = [
        {"construct": c, "by": "overall", "group": "", "estimate": v,
         "se": 0.9 if c == "CS" else 1.0, "n": n}
        for c, v in base.items()
    ]  # fmt: skip
    for g in ["business", "family", "personal", "vip"]:
        ng = int((r.seg == g).sum())
        rows.append(
            {
                "construct": "CS",
                "by": "segment",
                "group": g,
                "estimate": 71.0 + csi_shift + r.rng.normal(0, 2),
                "se": 1.8,
                "n": ng,
            }
        )
    csi = pd.DataFrame(rows)
    csi["ci_low"] = csi["estimate"] - 1.959963984540054 * csi["se"]
    csi["ci_high"] = csi["estimate"] + 1.959963984540054 * csi["se"]
    return csi


def _write_index(
    folder: Path, instrument: Instrument, r: _Responses, n: int, csi_shift: float
) -> None:
    """index/csi.csv, indicators/index.csv and index/ipa.csv."""
    write_csv(_csi_table(list(instrument.construct_ids), r, n, csi_shift), folder / "index/csi.csv")
    est = 69.5 + csi_shift
    write_csv(
        pd.DataFrame(
            {"node": ["CSI"], "level": [1], "parent": [""], "domain_var": ["all"],
             "domain": ["all"], "estimate": [est], "se": [0.8],
             "ci_lower": [est - 1.568], "ci_upper": [est + 1.568], "n": [n]}
        ),
        folder / "indicators/index.csv",
    )  # fmt: skip
    ipa = pd.DataFrame(
        {
            "level": "item",
            "name": instrument.item_ids,
            "construct": [i.construct for i in instrument.items],
            "importance": r.rng.uniform(0.05, 0.4, len(instrument.items)),
            "performance": r.rng.uniform(50, 85, len(instrument.items)),
        }
    )
    write_csv(ipa, folder / "index/ipa.csv")


def write_synthetic_version(
    folder: str | Path,
    instrument: Instrument,
    n: int = 300,
    seed: int = 1,
    stages: Iterable[str] = ALL_STAGES,
    csi_shift: float = 0.0,
    small_segment: int = 6,
) -> Path:
    """Write contract-shaped outputs of ``stages`` into ``folder`` (results/<study>/<version>).

    Responses: ``n`` respondents in segments personal/family/business plus a tiny segment
    ("vip", ``small_segment`` respondents) so small-cell suppression has something to hide;
    items on the instrument's scales driven by one latent factor; a few missing answers."""
    folder = Path(folder)
    stages = set(stages)
    r = _responses(instrument, n, seed, small_segment)
    if "sample" in stages:
        _write_sample(folder, r, n, seed)
    if "fieldwork" in stages:
        _write_fieldwork(folder, n)
    if "clean" in stages:
        _write_clean(folder, r, n)
    if "weights" in stages:
        _write_weights(folder, r, n)
    if "model" in stages:
        _write_model(folder, instrument, r, n)
    if "index" in stages:
        _write_index(folder, instrument, r, n, csi_shift)
    return folder


def _phi(x: float) -> float:
    from math import erf, sqrt

    return 0.5 * (1 + erf(x / sqrt(2)))
