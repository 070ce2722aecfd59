"""The simulated fieldwork of the demo world: contacts and nonresponse of the sampled units,
the respondents' submissions (answers of :mod:`.population` with the defects of
:mod:`.defects` and the personal data of :mod:`.pii`), duplicates, and the truth of
:mod:`.truth` over the whole frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..errors import ConfigError, InputError, shown
from ..instrument import Instrument, Item
from .defects import AnswerDefects as _AnswerDefects
from .defects import DefectSets as _DefectSets
from .defects import check_defect_shares as _check_defect_shares
from .defects import defect_definitions as _defect_definitions
from .defects import draw_defect_sets as _draw_defect_sets
from .defects import inject_answer_defects as _inject_answer_defects
from .defects import n_of as _n_of
from .pii import pii_columns as _pii_columns
from .population import Keys as _Keys
from .population import check_model as _check_model
from .population import frame_keys as _frame_keys
from .population import population_answers
from .population import subset as _subset
from .streams import DEFAULT_FIELDWORK, DISPOSITIONS
from .streams import merged as _merged
from .streams import rng as _rng
from .streams import uniform as _uniform
from .truth import compute_truth
from .truth import truth_from_keys as _truth_from_keys

# compute_truth and population_answers keep their historic import path (this module)
__all__ = ["Fieldwork", "compute_truth", "population_answers", "simulate_fieldwork"]


@dataclass
class Fieldwork:
    """Result of the fieldwork simulation: raw submissions, dispositions, truth, defect counts."""

    raw: pd.DataFrame
    dispositions: pd.DataFrame
    truth: dict[str, Any]
    injected: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.raw

    def summary(self) -> pd.DataFrame:
        """Dispositions by segment (counts)."""
        return self.dispositions.pivot_table(
            index="segment", columns="disposition", values="customer_id", aggfunc="size"
        ).fillna(0)


# ------------------------------------------------------------------------------- the inputs
def _check_id_columns(
    sample: pd.DataFrame, frame: pd.DataFrame, id_column: str, src: str, frame_file: str | None
) -> None:
    """Raise InputError when the sample has no unit_id or the frame no id column."""
    if "unit_id" not in sample.columns:
        raise InputError(
            "the sample has no column 'unit_id' (the frame id of each sampled unit)",
            file=src,
            column="unit_id",
        )
    if id_column not in frame.columns:
        raise InputError(
            f"the frame has no id column {id_column!r} (config key frame.id_column)",
            file=frame_file,
            column=id_column,
        )


def _check_response_rates(resp: Mapping[str, Any], keys: _Keys) -> None:
    """Raise ConfigError unless every segment of the frame has a response rate."""
    for s in keys.segments:
        if s not in resp["segment"]:
            raise ConfigError(
                f"has no response rate for segment {s!r} (segments in the frame: {keys.segments})",
                key="fieldwork.response.segment",
            )


def _sample_positions(
    sample: pd.DataFrame, frame: pd.DataFrame, id_column: str, src: str
) -> np.ndarray:
    """Frame row of each sampled unit; InputError for a unit not in the frame or sampled twice."""
    unit = sample["unit_id"].astype("str")
    pos = pd.Index(frame[id_column].astype("str")).get_indexer(unit)
    if (pos < 0).any():
        bad = int(np.flatnonzero(pos < 0)[0])
        raise InputError(
            f"unit_id {shown(unit.iloc[bad])} is not in the frame (column {id_column!r})",
            file=src,
            row=bad + 1,
            column="unit_id",
        )
    if unit.duplicated().any():
        bad = int(np.flatnonzero(unit.duplicated().to_numpy())[0])
        raise InputError(
            f"unit_id {shown(unit.iloc[bad])} is sampled twice; one row per unit is expected",
            file=src,
            row=bad + 1,
            column="unit_id",
        )
    return pos


# ------------------------------------------------------------------- contacts and response
def _dispositions(keys: _Keys, resp: Mapping[str, Any], seed: int) -> np.ndarray:
    """Outcome of each sampled unit, counter-based (it does not depend on who else is drawn):
    P(respond) = expit(logit(rate[segment]) + region_logit[region]) among the eligible."""
    u_el = _uniform(seed, "eligibility", keys.position)
    p_in, p_unk = float(resp["ineligible"]), float(resp["unknown_eligibility"])
    rate = np.array([float(resp["segment"][s]) for s in keys.segments])
    reg_l = np.array([float(resp["region_logit"].get(r, 0.0)) for r in keys.regions])
    with np.errstate(divide="ignore"):
        p_resp = expit(logit(rate[keys.segment]) + reg_l[keys.region])
    responds = _uniform(seed, "response", keys.position) < p_resp
    refusal = _uniform(seed, "refusal", keys.position) < float(resp["refusal_share"])
    return np.where(
        u_el < p_in,
        "ineligible",
        np.where(
            u_el < p_in + p_unk,
            "unknown_eligibility",
            np.where(responds, "complete", np.where(refusal, "refusal", "noncontact")),
        ),
    ).astype(object)


def _raw_answers(
    items: Sequence[Item], vals: Mapping[str, np.ndarray], pct: Mapping[str, np.ndarray], n: int
) -> np.ndarray:
    """Raw codes as asked (respondents x items): reverse items flipped back, quantities in %."""
    raw = np.empty((n, len(items)), dtype=np.float64)
    for j, it in enumerate(items):
        if it.kind == "quantity":
            raw[:, j] = pct[it.id]
        elif it.reverse:
            raw[:, j] = it.scale.min + it.scale.max - vals[it.id]
        else:
            raw[:, j] = vals[it.id]
    return raw


# ------------------------------------------------------------------------- the submissions
@dataclass(frozen=True)
class _Schedule:
    """Wave and interview start time of each respondent."""

    pilot: np.ndarray  # bool: in the pilot wave
    pilot_n: int
    start: np.ndarray  # datetime64[s]


def _schedule(rng: np.random.Generator, p: Mapping[str, Any], n_resp: int) -> _Schedule:
    """Waves and interview times: the pilot first (days 0-2), then the main wave (from day 7)."""
    pilot_n = min(int(p["pilot_n"]), n_resp)
    pilot = np.zeros(n_resp, dtype=bool)
    pilot[rng.choice(n_resp, pilot_n, replace=False)] = True
    day0 = np.datetime64(str(p["start_date"]), "s")
    day = np.where(
        pilot, rng.integers(0, 3, n_resp), 7 + rng.integers(0, int(p["main_days"]), n_resp)
    )
    sec = rng.integers(8 * 3600, 21 * 3600, n_resp)
    return _Schedule(pilot, pilot_n, day0 + (day * 86400 + sec).astype("timedelta64[s]"))


def _respondent_ids(cust: np.ndarray, start_t: np.ndarray) -> np.ndarray:
    """Respondent ids R000001, ... in order of interview time (then customer id)."""
    n_resp = len(cust)
    order = np.lexsort((cust, start_t))
    rid_width = max(6, len(str(n_resp)))
    rid = np.empty(n_resp, dtype=object)
    rid[order] = (
        "R" + pd.Series(np.arange(1, n_resp + 1)).astype("str").str.zfill(rid_width)
    ).to_numpy()
    return rid


def _submissions(
    rng: np.random.Generator,
    fr: pd.DataFrame,
    cust: np.ndarray,
    rid: np.ndarray,
    items: Sequence[Item],
    raw: np.ndarray,
    ans: _AnswerDefects,
    sched: _Schedule,
) -> pd.DataFrame:
    """One row per respondent (frame rows ``fr``): keys, wave, times, answers, personal data."""
    out = pd.DataFrame(
        {
            "customer_id": cust,
            "region": fr["region"].astype("str").to_numpy(),
            "branch": fr["branch"].astype("str").to_numpy(),
            "segment": fr["segment"].astype("str").to_numpy(),
            "wave": np.where(sched.pilot, "pilot", "main"),
            "_t": sched.start,
            "duration_sec": ans.duration.astype(np.int64),
        }
    )
    for j, it in enumerate(items):
        col = pd.array(raw[:, j], dtype="Float64")
        whole = np.isnan(raw[:, j]) | (raw[:, j] == np.round(raw[:, j]))
        out[it.id] = col.astype("Int64") if whole.all() else col
    out["attention_check"] = pd.array(ans.attention, dtype="Float64").astype("Int64")
    out = pd.concat([out, _pii_columns(rng, len(cust))], axis=1)
    out.insert(0, "respondent_id", rid)
    return out


def _with_duplicates(
    rng: np.random.Generator, out: pd.DataFrame, share: float
) -> tuple[pd.DataFrame, int]:
    """Add resubmissions of round(share * n) questionnaires 1-30 minutes later; sort by time."""
    n_resp = len(out)
    n_dup = _n_of(share, n_resp)
    dup_rows = np.sort(rng.choice(n_resp, n_dup, replace=False))
    dups = out.iloc[dup_rows].copy()
    dups["_t"] = dups["_t"].to_numpy() + rng.integers(60, 1800, n_dup).astype("timedelta64[s]")
    dups["_dup"] = 1
    out["_dup"] = 0
    out = pd.concat([out, dups], ignore_index=True)
    out = out.sort_values(["_t", "respondent_id", "_dup"], kind="stable").reset_index(drop=True)
    out.insert(6, "interview_start", np.datetime_as_string(out["_t"].to_numpy(), unit="s"))
    out = out.drop(columns=["_t", "_dup"])
    for c in ("respondent_id", "interview_start"):
        out[c] = out[c].astype("str")
    return out, n_dup


# ---------------------------------------------------------------------- what was fielded
def _disposition_table(
    frame: pd.DataFrame,
    id_column: str,
    keys: _Keys,
    resp_idx: np.ndarray,
    rid: np.ndarray,
    disp: np.ndarray,
) -> pd.DataFrame:
    """One row per sampled unit (by customer id): respondent id, disposition, segment, region."""
    rid_unit = np.full(len(keys.position), None, dtype=object)
    rid_unit[resp_idx] = rid
    dispositions = pd.DataFrame(
        {
            "customer_id": frame[id_column].astype("str").to_numpy()[keys.position],
            "respondent_id": pd.array(rid_unit, dtype="str"),
            "disposition": pd.array(disp, dtype="str"),
            "segment": np.asarray(keys.segments, dtype=object)[keys.segment],
            "region": np.asarray(keys.regions, dtype=object)[keys.region],
        }
    )
    dispositions = dispositions.sort_values("customer_id", kind="stable").reset_index(drop=True)
    for c in ("customer_id", "segment", "region"):
        dispositions[c] = dispositions[c].astype("str")
    return dispositions


def _response_by_segment(keys: _Keys, disp: np.ndarray, resp: Mapping[str, Any]) -> dict:
    """Response rate per segment: respondents (complete or partial) / eligible sampled."""
    elig = ~np.isin(disp, ["ineligible", "unknown_eligibility"])
    rr = {}
    for gi, g in enumerate(keys.segments):
        in_g = elig & (keys.segment == gi)
        rr[g] = {
            "eligible_sampled": int(in_g.sum()),
            "respondents": int(np.isin(disp[in_g], ["complete", "partial"]).sum()),
            "configured_rate": float(resp["segment"][g]),
        }
        rr[g]["rate"] = rr[g]["respondents"] / max(rr[g]["eligible_sampled"], 1)
    return rr


def _natural_straightliners(raw: np.ndarray, likert: np.ndarray, injected: np.ndarray) -> int:
    """Respondents with identical Likert codes who were not made straight-liners."""
    lik = raw[:, likert]
    same = np.all(lik == lik[:, :1], axis=1) & ~np.isnan(lik).any(axis=1)
    same[injected] = False
    return int(same.sum())


def _injected(
    p: Mapping[str, Any],
    seed: int,
    sets: _DefectSets,
    ans: _AnswerDefects,
    natural: int,
    n_dup: int,
    totals: Mapping[str, int],
    disp: np.ndarray,
    rr: dict,
) -> dict[str, Any]:
    """``injected.json``: defect counts, then fieldwork ``totals`` (pilot ... submissions)."""
    return {
        "definitions": _defect_definitions(p),
        "duplicates": n_dup,
        "out_of_range": ans.cells.out_of_range,
        "dont_know": ans.cells.dont_know,
        "refused": ans.cells.refused,
        "cells_by_item": ans.cells.by_item,
        "straightliners": len(sets.straightliners),
        "straightliners_natural": natural,
        "speeders": len(sets.speeders),
        "attention_failed": len(sets.attention_failed),
        "partials": len(sets.partials),
        **totals,
        "dispositions": {d: int((disp == d).sum()) for d in DISPOSITIONS},
        "response_by_segment": rr,
        "speeder_max_sec": p["speeder_max_sec"],
        "normal_min_sec": p["normal_min_sec"],
        "shares": p["defects"],
        "seed": int(seed),
    }


# ------------------------------------------------------------------------------ fieldwork
def simulate_fieldwork(
    sample: pd.DataFrame,
    frame: pd.DataFrame,
    instrument: Instrument,
    truth_params: Mapping[str, Any] | None = None,
    seed: int = 0,
    *,
    id_column: str = "customer_id",
    sample_file: str | None = None,
    frame_file: str | None = None,
    chunk_size: int = 1_000_000,
) -> Fieldwork:
    """Field the questionnaire for the sampled units of ``sample`` (column ``unit_id``).

    Outcome per unit (counter-based on the frame row): ineligible / unknown eligibility with
    the configured shares; otherwise a respondent with probability
    expit(logit(rate[segment]) + region_logit[region]), else refusal or noncontact. Respondents'
    answers come from :func:`population_answers`; defects are then injected in exact numbers
    round(share * base) on disjoint respondents (partials, straight-liners, speeders, failed
    attention checks) and distinct cells (out-of-range, don't-know, refused); duplicates are
    resubmissions (same respondent_id, later time). Truth is computed over the whole frame.
    """
    p = _merged(DEFAULT_FIELDWORK, truth_params)
    model, items = p["model"], instrument.items
    _check_id_columns(sample, frame, id_column, sample_file or "sample", frame_file)
    keys_all = _frame_keys(frame, frame_file)
    _check_model(model, instrument, keys_all)
    _check_response_rates(p["response"], keys_all)
    pos = _sample_positions(sample, frame, id_column, sample_file or "sample")
    _check_defect_shares(p["defects"])
    keys = _subset(keys_all, pos)

    disp = _dispositions(keys, p["response"], seed)
    resp_idx = np.flatnonzero(disp == "complete")  # respondents, in sample order
    n_resp = len(resp_idx)
    rng = _rng(seed, "fieldwork-defects")
    sets = _draw_defect_sets(rng, p["defects"], n_resp)
    disp[resp_idx[sets.partials]] = "partial"

    # answers: the population's answers for these customers, then the defects
    vals, _, pct = population_answers(_subset(keys, resp_idx), instrument, model, seed)
    raw = _raw_answers(items, vals, pct, n_resp)
    ans = _inject_answer_defects(rng, raw, items, sets, p)
    sched = _schedule(rng, p, n_resp)
    rows = keys.position[resp_idx]
    cust = frame[id_column].astype("str").to_numpy()[rows]
    rid = _respondent_ids(cust, sched.start)
    out = _submissions(rng, frame.iloc[rows], cust, rid, items, raw, ans, sched)
    out, n_dup = _with_duplicates(rng, out, p["defects"]["duplicates"])

    totals = {"pilot": sched.pilot_n, "sampled": len(pos), "respondents": n_resp}
    totals["submissions"] = len(out)
    natural = _natural_straightliners(raw, ans.likert, sets.straightliners)
    rr = _response_by_segment(keys, disp, p["response"])
    injected = _injected(p, seed, sets, ans, natural, n_dup, totals, disp, rr)
    dispositions = _disposition_table(frame, id_column, keys, resp_idx, rid, disp)
    truth = _truth_from_keys(keys_all, instrument, model, seed, chunk_size, p)
    return Fieldwork(raw=out, dispositions=dispositions, truth=truth, injected=injected)
