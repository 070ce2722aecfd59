"""The simulated fieldwork of the demo world: answers from the ACSI model (see
:mod:`csindex.simulate`), nonresponse, defects and the population truth."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..errors import ConfigError, InputError
from ..instrument import ACSI_PATHS, CONSTRUCTS, Instrument, Item
from .streams import DEFAULT_FIELDWORK, DISPOSITIONS, TRUTH_DEFINITION
from .streams import merged as _merged
from .streams import normal as _normal
from .streams import rng as _rng
from .streams import take_str as _take_str
from .streams import uniform as _uniform


# ------------------------------------------------------------------------- the ACSI model
@dataclass(frozen=True)
class _Keys:
    """Per-customer keys of the population: frame row index and the codes the model uses."""

    position: np.ndarray  # int64 frame row
    segment: np.ndarray  # int codes into segments
    region: np.ndarray  # int codes into regions
    branch: np.ndarray  # int codes into branches (sorted branch ids)
    segments: list[str]
    regions: list[str]


def _frame_keys(frame: pd.DataFrame, file: str | None = None) -> _Keys:
    for col in ("segment", "region", "branch"):
        if col not in frame.columns:
            raise InputError(
                f"the frame has no column {col!r}; the simulator needs segment, region and branch",
                file=file,
                column=col,
            )
    codes = {}
    for col in ("segment", "region", "branch"):
        c, cats = pd.factorize(frame[col], sort=True)
        if (c < 0).any():
            raise InputError(
                "missing value; every customer needs a segment, region and branch",
                file=file,
                row=int(np.flatnonzero(c < 0)[0]) + 1,
                column=col,
            )
        codes[col] = (c, cats)
    (seg, segs), (reg, regs), (br, _) = codes["segment"], codes["region"], codes["branch"]
    return _Keys(
        position=np.arange(len(frame), dtype=np.int64),
        segment=seg,
        region=reg,
        branch=br,
        segments=[str(s) for s in segs],
        regions=[str(r) for r in regs],
    )


def _subset(keys: _Keys, rows: np.ndarray | slice) -> _Keys:
    return _Keys(
        keys.position[rows],
        keys.segment[rows],
        keys.region[rows],
        keys.branch[rows],
        keys.segments,
        keys.regions,
    )


def _endogenous_order() -> list[str]:
    return [c for c in CONSTRUCTS if c != "CE"]


def _model_checked(model: Mapping[str, Any], instrument: Instrument, keys: _Keys) -> None:
    for it in instrument.items:
        for k in ("loadings", "intercepts", "error_variances"):
            if it.id not in model[k]:
                raise ConfigError(
                    f"has no value for item {it.id!r} of the instrument",
                    key=f"fieldwork.model.{k}",
                )
        if it.construct not in CONSTRUCTS:
            raise ConfigError(
                f"item {it.id!r} belongs to {it.construct!r}; the simulator knows {CONSTRUCTS}",
                key="instrument",
            )
    for s in keys.segments:
        if s not in model["ce_mean"]["segment"]:
            raise ConfigError(
                f"has no latent mean for segment {s!r} (segments in the frame: {keys.segments})",
                key="fieldwork.model.ce_mean.segment",
            )


def _thresholds(model: Mapping[str, Any], points: int) -> np.ndarray:
    tau = np.asarray(model["thresholds"], dtype=float)
    if points == len(tau) + 1:
        return tau
    return np.linspace(tau[0], tau[-1], points - 1)


def _latent(keys: _Keys, model: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
    """Latent variables of figure 4-1 for the customers in ``keys``."""
    ce = model["ce_mean"]
    seg_off = np.array([float(ce["segment"][s]) for s in keys.segments])
    reg_off = np.array([float(ce["region"].get(r, 0.0)) for r in keys.regions])
    mu = seg_off[keys.segment] + reg_off[keys.region]
    if float(ce["branch_sd"]) > 0:
        mu = mu + float(ce["branch_sd"]) * _normal(seed, "branch", keys.branch)
    psi = model["residual_variances"]
    eta = {"CE": mu + math.sqrt(float(psi["CE"])) * _normal(seed, "zeta:CE", keys.position)}
    paths = model["paths"]
    for c in _endogenous_order():
        v = float(model["latent_intercepts"].get(c, 0.0)) + math.sqrt(float(psi[c])) * _normal(
            seed, f"zeta:{c}", keys.position
        )
        for src, dst in ACSI_PATHS:
            if dst == c:
                v = v + float(paths[f"{src}->{dst}"]) * eta[src]
        eta[c] = v
    return eta


def _cut_points(it: Item) -> np.ndarray:
    q = it.quantity or {}
    pts = ((q.get("cut") or {}).get("points")) if isinstance(q.get("cut"), dict) else None
    if pts is None:
        lo, hi = float(q.get("min", 0)), float(q.get("max", 100))
        pts = np.linspace(lo, hi, it.scale.points + 1)
    return np.asarray(pts, dtype=float)


def population_answers(
    keys: _Keys, instrument: Instrument, model: Mapping[str, Any], seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Answers of the customers in ``keys`` without defects.

    Returns (recoded item values on each item's own scale, latent values, raw quantities in %
    for quantity items). A pure function of (seed, frame row): any subset gives the same
    values as the full population.
    """
    eta = _latent(keys, model, seed)
    values: dict[str, np.ndarray] = {}
    pct: dict[str, np.ndarray] = {}
    for it in instrument.items:
        xs = (
            float(model["intercepts"][it.id])
            + float(model["loadings"][it.id]) * eta[it.construct]
            + math.sqrt(float(model["error_variances"][it.id]))
            * _normal(seed, f"eps:{it.id}", keys.position)
        )
        if it.kind == "quantity":
            pts = _cut_points(it)
            n_levels = len(pts) - 1
            level = np.searchsorted(_thresholds(model, n_levels), xs)  # 0..n_levels-1
            lo, hi = pts[level], pts[level + 1]
            top = level == n_levels - 1
            hi = np.where(top, np.minimum(hi, lo + float(model["quantity_top_width"])), hi)
            # an interior integer of the interval (never on a cut point), else the midpoint
            n_int = np.ceil(hi) - np.floor(lo) - 1
            u = _uniform(seed, f"pct:{it.id}", keys.position)
            val = np.where(
                n_int >= 1, np.floor(lo) + 1 + np.floor(u * np.maximum(n_int, 1)), (lo + hi) / 2
            )
            pct[it.id] = val
            step = (it.scale.max - it.scale.min) / (n_levels - 1)
            values[it.id] = it.scale.min + step * level
        else:
            k = it.scale.points
            level = np.searchsorted(_thresholds(model, k), xs)
            step = (it.scale.max - it.scale.min) / (k - 1)
            values[it.id] = it.scale.min + step * level
    return values, eta, pct


# ------------------------------------------------------------------------------- the truth
def compute_truth(
    frame: pd.DataFrame,
    instrument: Instrument,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
) -> dict[str, Any]:
    """True population values over the whole frame, computed in chunks of ``chunk_size`` rows.

    Item means (after recoding), construct 0-100 scores and the CSI (mean CS score), overall,
    by segment and by region; see ``TRUTH_DEFINITION``. Item sums are sums of small integers
    on the scale grid, so the census of the simulated answers reproduces them exactly.
    """
    p = _merged(DEFAULT_FIELDWORK, params)
    model = p["model"]
    keys = _frame_keys(frame)
    _model_checked(model, instrument, keys)
    return _truth_from_keys(keys, instrument, model, seed, chunk_size, p)


def _truth_from_keys(keys, instrument, model, seed, chunk_size, params) -> dict[str, Any]:
    items = instrument.item_ids
    n_seg, n_reg = len(keys.segments), len(keys.regions)
    n_cell = n_seg * n_reg
    count = np.zeros(n_cell)
    sums = np.zeros((len(items), n_cell))
    lat_sums = np.zeros((len(CONSTRUCTS), n_cell))
    cross = np.zeros((len(items), len(items)))  # population sum of x x' (recoded items)
    p_ineligible = float(params["response"]["ineligible"])
    for start in range(0, len(keys.position), chunk_size):
        sub = _subset(keys, slice(start, start + chunk_size))
        eligible = _uniform(seed, "eligibility", sub.position) >= p_ineligible
        sub = _subset(sub, eligible)
        vals, eta, _ = population_answers(sub, instrument, model, seed)
        cell = sub.segment.astype(np.int64) * n_reg + sub.region
        count += np.bincount(cell, minlength=n_cell)
        for j, iid in enumerate(items):
            sums[j] += np.bincount(cell, weights=vals[iid], minlength=n_cell)
        for j, c in enumerate(CONSTRUCTS):
            lat_sums[j] += np.bincount(cell, weights=eta[c], minlength=n_cell)
        V = np.column_stack([vals[iid] for iid in items])
        cross += V.T @ V

    count_sr = count.reshape(n_seg, n_reg)
    sums_sr = sums.reshape(len(items), n_seg, n_reg)

    def item_means(axis_keep: str | None) -> dict:
        if axis_keep is None:
            return {iid: sums_sr[j].sum() / count_sr.sum() for j, iid in enumerate(items)}
        ax = 1 if axis_keep == "segment" else 0  # axis of count_sr to sum over
        names = keys.segments if axis_keep == "segment" else keys.regions
        c = count_sr.sum(axis=ax)
        s = sums_sr.sum(axis=1 + ax)
        return {
            g: {iid: s[j, gi] / c[gi] for j, iid in enumerate(items)}
            for gi, g in enumerate(names)
            if c[gi] > 0
        }

    def scores(means: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for c in instrument.construct_ids:
            its = instrument.items_of(c)
            out[c] = float(np.mean([it.scale.to_0_100(means[it.id]) for it in its]))
        return out

    overall = item_means(None)
    by_seg = item_means("segment")
    by_reg = item_means("region")
    cs_scores = {
        "overall": scores(overall),
        "by_segment": {g: scores(m) for g, m in by_seg.items()},
        "by_region": {g: scores(m) for g, m in by_reg.items()},
    }
    csi = {
        "overall": cs_scores["overall"]["CS"],
        "by_segment": {g: s["CS"] for g, s in cs_scores["by_segment"].items()},
        "by_region": {g: s["CS"] for g, s in cs_scores["by_region"].items()},
    }
    n_total = count.sum()
    return {
        "definition": TRUTH_DEFINITION,
        "seed": int(seed),
        "n_population": int(n_total),
        "population_by_segment": {
            g: int(c) for g, c in zip(keys.segments, count_sr.sum(axis=1), strict=True)
        },
        "population_by_region": {
            g: int(c) for g, c in zip(keys.regions, count_sr.sum(axis=0), strict=True)
        },
        "item_means": overall,
        "item_means_by_segment": by_seg,
        "item_means_by_region": by_reg,
        "construct_scores": cs_scores,
        "csi": csi,
        "n_frame": int(len(keys.position)),
        "item_moments": _item_moments(items, sums.sum(axis=1), cross, n_total),
        "latent_means": {c: lat_sums[j].sum() / n_total for j, c in enumerate(CONSTRUCTS)},
        "latent_means_by_segment": {
            g: {
                c: lat_sums[j].reshape(n_seg, n_reg)[gi].sum() / count_sr[gi].sum()
                for j, c in enumerate(CONSTRUCTS)
            }
            for gi, g in enumerate(keys.segments)
            if count_sr[gi].sum() > 0
        },
        "parameters": {
            "model": model,
            "response": params["response"],
            "paths_figure_4_1": [f"{a}->{b}" for a, b in ACSI_PATHS],
        },
        "item_scales": {
            it.id: {
                "min": it.scale.min,
                "max": it.scale.max,
                "points": it.scale.points,
                "reverse": it.reverse,
                "kind": it.kind,
            }
            for it in instrument.items
        },
    }


def _item_moments(items: list[str], sums: np.ndarray, cross: np.ndarray, n: float) -> dict:
    """Population means and covariance matrix (divisor N) of the recoded items."""
    mean = sums / n
    cov = cross / n - np.outer(mean, mean)
    cov = (cov + cov.T) / 2
    return {
        "items": list(items),
        "mean": [float(v) for v in mean],
        "covariance": [[float(v) for v in row] for row in cov],
        "n": int(n),
    }


# ------------------------------------------------------------------------------ fieldwork
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


_ZH_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"]  # fmt: skip
_ZH_SURNAMES_PY = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo"]  # fmt: skip
_ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英"]  # fmt: skip
_ZH_GIVEN_PY = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie", "juan", "tao", "ming", "chao", "xiuying", "xia", "ping", "gang", "guiying"]  # fmt: skip
_EN_FIRST = ["James", "Mary", "John", "Linda", "David", "Emma", "Michael", "Sarah", "Daniel", "Grace", "Kevin", "Alice"]  # fmt: skip
_EN_LAST = ["Smith", "Chen", "Wong", "Brown", "Lee", "Taylor", "Wilson", "Lam", "Ho", "Cheung"]  # fmt: skip
_DOMAINS = ["example.com", "example.cn", "example.net", "mail.example.org"]
_PHONE_PREFIX = ["130", "131", "136", "137", "138", "139", "150", "158", "186", "188"]
_COMMENTS = [
    "信号不好，经常掉线",
    "客服态度很好",
    "网速太慢了",
    "希望降低资费",
    "营业厅排队时间太长",
    "The bill was too high this month",
    "Great service at the branch",
    "5G coverage is poor in my area",
    "套餐太复杂，看不懂",
    "Please call me back about my contract",
]
_COMMENT_WITH_PHONE = "请回电 "


def _pii(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Synthetic names (Chinese or English), mobile phones like 13812345678, e-mails, comments."""
    english = rng.random(n) < 0.2
    s = rng.integers(0, len(_ZH_SURNAMES), n)
    gvn = rng.integers(0, len(_ZH_GIVEN), n)
    f_en = rng.integers(0, len(_EN_FIRST), n)
    l_en = rng.integers(0, len(_EN_LAST), n)
    zh_name = _take_str(_ZH_SURNAMES, s) + _take_str(_ZH_GIVEN, gvn)
    en_name = _take_str(_EN_FIRST, f_en) + " " + _take_str(_EN_LAST, l_en)
    name = zh_name.where(~english, en_name)
    zh_user = _take_str(_ZH_GIVEN_PY, gvn) + "." + _take_str(_ZH_SURNAMES_PY, s)
    en_user = (_take_str(_EN_FIRST, f_en) + "." + _take_str(_EN_LAST, l_en)).str.lower()
    user = zh_user.where(~english, en_user)
    digits = pd.Series(rng.integers(0, 100, n)).astype("str").str.zfill(2)
    email = user + digits + "@" + _take_str(_DOMAINS, rng.integers(0, len(_DOMAINS), n))
    phone = _take_str(_PHONE_PREFIX, rng.integers(0, len(_PHONE_PREFIX), n)) + pd.Series(
        rng.integers(0, 100_000_000, n)
    ).astype("str").str.zfill(8)
    kind = rng.random(n)
    text = _take_str(_COMMENTS, rng.integers(0, len(_COMMENTS), n))
    comment = text.where(kind < 0.30, "")
    comment = comment.where(~(kind >= 0.97), _COMMENT_WITH_PHONE + phone)
    return pd.DataFrame({"name": name, "phone": phone, "email": email, "comment": comment})


def _n_of(share: float, total: int) -> int:
    return int(math.floor(float(share) * total + 0.5))


def _out_of_range_codes(it: Item) -> np.ndarray:
    """Off-scale codes for an item: e.g. 0, 6, 7, 55 on a 1-5 scale; 101, 150, 250 for a %."""
    missing = set(it.all_missing_codes)
    if it.kind == "quantity":
        q = it.quantity or {}
        hi = float(q.get("max", 100))
        cand = [hi + 1, hi + 50, hi + 150]
    else:
        cand = [it.scale.min - 1, it.scale.max + 1, it.scale.max + 2, 55]
    return np.array([c for c in cand if c not in missing and not it.scale.min <= c <= it.scale.max])


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
    model, resp, defects = p["model"], p["response"], p["defects"]
    src = sample_file or "sample"
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
    keys_all = _frame_keys(frame, frame_file)
    _model_checked(model, instrument, keys_all)
    for s in keys_all.segments:
        if s not in resp["segment"]:
            raise ConfigError(
                f"has no response rate for segment {s!r} (segments in the frame: "
                f"{keys_all.segments})",
                key="fieldwork.response.segment",
            )
    unit = sample["unit_id"].astype("str")
    pos = pd.Index(frame[id_column].astype("str")).get_indexer(unit)
    if (pos < 0).any():
        bad = int(np.flatnonzero(pos < 0)[0])
        raise InputError(
            f"unit_id {unit.iloc[bad]!r} is not in the frame (column {id_column!r})",
            file=src,
            row=bad + 1,
            column="unit_id",
        )
    if unit.duplicated().any():
        bad = int(np.flatnonzero(unit.duplicated().to_numpy())[0])
        raise InputError(
            f"unit_id {unit.iloc[bad]!r} is sampled twice; one row per unit is expected",
            file=src,
            row=bad + 1,
            column="unit_id",
        )
    share_sum = sum(
        float(defects[k]) for k in ("partials", "straightliners", "speeders", "attention_failed")
    )
    if share_sum > 1:
        raise ConfigError(
            f"partials + straightliners + speeders + attention_failed = {share_sum:g} exceeds 1 "
            "(they are injected on different respondents)",
            key="fieldwork.defects",
        )
    keys = _subset(keys_all, pos)
    n = len(pos)

    # ---- dispositions (counter-based: a unit's outcome does not depend on who else is drawn)
    u_el = _uniform(seed, "eligibility", keys.position)
    p_in, p_unk = float(resp["ineligible"]), float(resp["unknown_eligibility"])
    rate = np.array([float(resp["segment"][s]) for s in keys.segments])
    reg_l = np.array([float(resp["region_logit"].get(r, 0.0)) for r in keys.regions])
    with np.errstate(divide="ignore"):
        p_resp = expit(logit(rate[keys.segment]) + reg_l[keys.region])
    responds = _uniform(seed, "response", keys.position) < p_resp
    refusal = _uniform(seed, "refusal", keys.position) < float(resp["refusal_share"])
    disp = np.where(
        u_el < p_in,
        "ineligible",
        np.where(
            u_el < p_in + p_unk,
            "unknown_eligibility",
            np.where(responds, "complete", np.where(refusal, "refusal", "noncontact")),
        ),
    ).astype(object)
    resp_idx = np.flatnonzero(disp == "complete")  # respondents, in sample order
    n_resp = len(resp_idx)

    rng = _rng(seed, "fieldwork-defects")
    perm = rng.permutation(n_resp)
    counts = {
        k: _n_of(defects[k], n_resp)
        for k in ("partials", "straightliners", "speeders", "attention_failed")
    }
    sets, start = {}, 0
    for k in ("partials", "straightliners", "speeders", "attention_failed"):
        sets[k] = np.sort(perm[start : start + counts[k]])
        start += counts[k]
    disp[resp_idx[sets["partials"]]] = "partial"

    # ---- answers: the population's answers for these customers
    vals, _, pct = population_answers(_subset(keys, resp_idx), instrument, model, seed)
    items = instrument.items
    raw = np.empty((n_resp, len(items)), dtype=np.float64)
    for j, it in enumerate(items):
        if it.kind == "quantity":
            raw[:, j] = pct[it.id]
        elif it.reverse:
            raw[:, j] = it.scale.min + it.scale.max - vals[it.id]
        else:
            raw[:, j] = vals[it.id]

    # straight-liners: every Likert item the same raw code
    likert = np.array([it.kind != "quantity" for it in items])
    sl = sets["straightliners"]
    if len(sl):
        codes = rng.choice(np.array([5.0, 4.0, 3.0, 1.0]), size=len(sl), p=[0.5, 0.2, 0.2, 0.1])
        raw[np.ix_(sl, np.flatnonzero(likert))] = codes[:, None]

    # partials: break off after k items (3 <= k <= n_items - 4); the rest is missing
    n_items = len(items)
    answered = np.full(n_resp, n_items)
    pa_ = sets["partials"]
    if len(pa_):
        k = rng.integers(3, max(4, n_items - 3), len(pa_))
        answered[pa_] = k
        raw[np.arange(n_items)[None, :] >= answered[:, None]] = np.nan

    # cell defects on the answered cells of non-partial, non-straight-liner respondents
    clean_resp = np.ones(n_resp, dtype=bool)
    clean_resp[pa_] = False
    clean_resp[sl] = False
    cand_rows = np.flatnonzero(clean_resp)
    m = len(cand_rows) * n_items
    n_oor = _n_of(defects["out_of_range"], m)
    n_dk = _n_of(defects["dont_know"], m)
    n_rf = _n_of(defects["refused"], m)
    cells = rng.choice(m, size=n_oor + n_dk + n_rf, replace=False) if m else np.array([], int)
    rows, cols = cand_rows[cells // n_items], cells % n_items
    by_item: dict[str, dict[str, int]] = {"out_of_range": {}, "dont_know": {}, "refused": {}}
    kinds = np.repeat(np.array([0, 1, 2]), [n_oor, n_dk, n_rf])
    for j, it in enumerate(items):  # loop over the 16 items only
        sel = cols == j
        for kind_code, name in enumerate(("out_of_range", "dont_know", "refused")):
            s = sel & (kinds == kind_code)
            if not s.any():
                continue
            if name == "out_of_range":
                cand = _out_of_range_codes(it)
                raw[rows[s], j] = cand[rng.integers(0, len(cand), int(s.sum()))]
            else:
                codes = it.missing_codes.get(name)
                if not codes:
                    raise ConfigError(
                        f"item {it.id!r} has no {name!r} missing code but "
                        f"fieldwork.defects.{name} > 0",
                        key=f"fieldwork.defects.{name}",
                    )
                raw[rows[s], j] = codes[0]
            by_item[name][it.id] = int(s.sum())

    # attention check ("choose 4"), asked after the third block
    attention_pos = min(9, n_items)
    att = np.full(n_resp, 4.0)
    af = sets["attention_failed"]
    att[af] = rng.choice(np.array([1.0, 2.0, 3.0, 5.0]), len(af))
    att[answered < attention_pos] = np.nan

    # durations: normal ~ lognormal(median 420 s), floored; speeders well below the floor
    dur = np.maximum(
        np.round(420 * np.exp(0.35 * rng.standard_normal(n_resp))), p["normal_min_sec"]
    )
    dur = np.where(answered < n_items, np.maximum(np.round(dur * answered / n_items), 120), dur)
    sp = sets["speeders"]
    dur[sp] = rng.integers(30, int(p["speeder_max_sec"]), len(sp))

    # waves and interview times: the pilot first, then the main wave
    pilot_n = min(int(p["pilot_n"]), n_resp)
    pilot = np.zeros(n_resp, dtype=bool)
    pilot[rng.choice(n_resp, pilot_n, replace=False)] = True
    day0 = np.datetime64(str(p["start_date"]), "s")
    day = np.where(
        pilot, rng.integers(0, 3, n_resp), 7 + rng.integers(0, int(p["main_days"]), n_resp)
    )
    sec = rng.integers(8 * 3600, 21 * 3600, n_resp)
    start_t = day0 + (day * 86400 + sec).astype("timedelta64[s]")

    cust = frame[id_column].astype("str").to_numpy()[keys.position[resp_idx]]
    fr = frame.iloc[keys.position[resp_idx]]
    out = pd.DataFrame(
        {
            "customer_id": cust,
            "region": fr["region"].astype("str").to_numpy(),
            "branch": fr["branch"].astype("str").to_numpy(),
            "segment": fr["segment"].astype("str").to_numpy(),
            "wave": np.where(pilot, "pilot", "main"),
            "_t": start_t,
            "duration_sec": dur.astype(np.int64),
        }
    )
    for j, it in enumerate(items):
        col = pd.array(raw[:, j], dtype="Float64")
        whole = np.isnan(raw[:, j]) | (raw[:, j] == np.round(raw[:, j]))
        out[it.id] = col.astype("Int64") if whole.all() else col
    out["attention_check"] = pd.array(att, dtype="Float64").astype("Int64")
    out = pd.concat([out, _pii(rng, n_resp)], axis=1)

    # respondent ids in order of interview time
    order = np.lexsort((cust, start_t))
    rid_width = max(6, len(str(n_resp)))
    rid = np.empty(n_resp, dtype=object)
    rid[order] = (
        "R" + pd.Series(np.arange(1, n_resp + 1)).astype("str").str.zfill(rid_width)
    ).to_numpy()
    out.insert(0, "respondent_id", rid)

    # duplicates: resubmissions of the same questionnaire 1-30 minutes later
    n_dup = _n_of(defects["duplicates"], n_resp)
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

    # ---- dispositions: one row per sampled unit
    rid_unit = np.full(n, None, dtype=object)
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

    # natural straight-liners: identical Likert codes without being injected
    lik = raw[:, likert]
    same = np.all(lik == lik[:, :1], axis=1) & ~np.isnan(lik).any(axis=1)
    same[sl] = False
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
    injected = {
        "definitions": {
            "counts": "respondents or cells among first submissions (duplicates excluded)",
            "duplicates": "extra rows: resubmission with the same respondent_id 1-30 min later",
            "out_of_range": "cells with an off-scale code (e.g. 0, 6, 7, 55; >100 for % items)",
            "dont_know": "cells with the item's dont_know code (9; 999 for % items)",
            "refused": "cells with the item's refused code (8; 998 for % items)",
            "straightliners": "respondents with one raw code on every Likert item (injected)",
            "straightliners_natural": "respondents whose true answers happen to be identical",
            "speeders": f"duration_sec < {p['speeder_max_sec']} (others >= 120, completes >= "
            f"{p['normal_min_sec']})",
            "attention_failed": "attention_check != 4 (instructed response: choose 4)",
            "partials": "disposition partial: items after a break-off point missing",
        },
        "duplicates": n_dup,
        "out_of_range": n_oor,
        "dont_know": n_dk,
        "refused": n_rf,
        "cells_by_item": by_item,
        "straightliners": len(sl),
        "straightliners_natural": int(same.sum()),
        "speeders": len(sp),
        "attention_failed": len(af),
        "partials": len(pa_),
        "pilot": pilot_n,
        "sampled": n,
        "respondents": n_resp,
        "submissions": len(out),
        "dispositions": {d: int((disp == d).sum()) for d in DISPOSITIONS},
        "response_by_segment": rr,
        "speeder_max_sec": p["speeder_max_sec"],
        "normal_min_sec": p["normal_min_sec"],
        "shares": defects,
        "seed": int(seed),
    }
    truth = _truth_from_keys(keys_all, instrument, model, seed, chunk_size, p)
    return Fieldwork(raw=out, dispositions=dispositions, truth=truth, injected=injected)
