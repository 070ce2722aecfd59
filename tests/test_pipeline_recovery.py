"""Does the whole demo pipeline recover the simulated truth? (a survey statistician's check)

Each replication runs the demo study (config/config.yaml) through the library, as the workflow
does, with its own master seed: the multistage sample (PPS branches, SRS of customers), the
simulated fieldwork (nonresponse by segment and region, injected defects), ingest and cleaning,
the weights (nonresponse adjustment, raking, trimming, JKn replicate weights) and the PLS model
and index. A new seed is a new population, so each replication is compared with its own
fieldwork/truth.json:

* the weighted mean of every item (replicate SE) with ``item_means``;
* every construct's 0-100 score as the truth defines it (mean of its items' 0-100 means, equal
  item weights; replicate SE) with ``construct_scores``;
* the PLS index of every construct (replicate SE, model refitted per replicate) with
  ``truth_index``, the population value of the index itself (PLS outer weights of the census,
  :func:`csindex.validation.population_index`, compared as rule validate compares it:
  :func:`csindex.validation.compare_index`). Not with the equal-weight ``truth``: loyalty's PLS
  index weights its Likert item above its two quantity items and sits ~1.3 points above it.

Over R replications: bias (mean error) within 3 Monte Carlo SEs (the Student-t equivalent for
small R), and 95% CI coverage within
3 binomial SEs of 0.95 (sqrt(0.95 x 0.05 / R)); the slow test also checks that the mean
replicate SE matches the spread of the errors (the SD of R errors has relative SE
1/sqrt(2(R-1))).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from csindex.cleaning import clean_responses, ingest_file
from csindex.cleaning.rules import merge_config
from csindex.config import check_config
from csindex.estimation import design_from_weights_file, replicate_design
from csindex.index import IndexOptions, index_rows, index_tables
from csindex.instrument import load_instrument
from csindex.sampling import draw_from_config
from csindex.seeds import derive_seed
from csindex.sem.outputs import fit_model, model_tables
from csindex.sem.spec import spec_from_config
from csindex.simulate import simulate_fieldwork, simulate_frame
from csindex.validation import compare_index
from csindex.weighting import build_weights

Z = 1.959963984540054  # 95% normal quantile (design df ~100: t would move coverage < 0.1%)


@pytest.fixture(scope="module")
def study(repo_root):
    with open(repo_root / "config" / "config.yaml", encoding="utf-8") as f:
        cfg = check_config(yaml.safe_load(f))
    inst = load_instrument(repo_root / "config" / "instrument.yaml")
    frame = simulate_frame(cfg["frame"], seed=int(cfg["seed"])).frame
    return cfg, inst, frame


def _replicate_se(est: float, reps: np.ndarray, design) -> float:
    centre = est if design.mse else reps.mean()
    var = design.scale * np.sum(np.asarray(design.rscales) * (reps - centre) ** 2)
    return float(np.sqrt(var))


def run_replication(study, seed: int, tmp_dir) -> dict[str, tuple[float, float, float]]:
    """One pass of the demo pipeline with master seed ``seed``: {name: (estimate, se, truth)}
    for ``item:<id>``, ``score:<construct>`` (equal-weight 0-100) and ``pls:<construct>``."""
    cfg, inst, frame = study
    cfg = copy.deepcopy(cfg)
    idc = cfg["frame"]["id_column"]
    sample = draw_from_config(frame, dict(cfg["design"]), seed, idc).sample
    fw = simulate_fieldwork(
        sample,
        frame[[idc, "region", "branch", "segment"]],
        inst,
        cfg["fieldwork"],
        seed=seed,
        id_column=idc,
    )
    truth = fw.truth
    raw_path = tmp_dir / f"raw_{seed}.csv"
    fw.raw.to_csv(raw_path, index=False)
    ing = ingest_file(raw_path, inst, cfg["responses"], cfg["cleaning"], cfg["privacy"], seed=seed)
    non_numeric = pd.DataFrame(
        ing.report.get("non_numeric", []), columns=["row", "column", "value"]
    )
    data = clean_responses(
        ing.data, inst, merge_config(cfg["cleaning"]), non_numeric=non_numeric
    ).data
    wout = build_weights(
        data,
        cfg=cfg["weighting"],
        sample=sample,
        dispositions=fw.dispositions,
        frame=frame,
        id_column=idc,
        lonely_psu=cfg["estimation"]["lonely_psu"],
        seed=derive_seed(seed, "weights"),  # as scripts/weights.py
    )
    wdf, diag = wout.weights, wout.diagnostics
    design = design_from_weights_file(wdf, diag, data=data, use_replicates=True)
    assert design.replicate_weights is not None

    out: dict[str, tuple[float, float, float]] = {}
    items = inst.item_ids
    X = design.data[items].to_numpy(float)
    ok = ~np.isnan(X)
    Xz = np.where(ok, X, 0.0)

    def means(w: np.ndarray) -> np.ndarray:  # available-case weighted means, (R, p) or (p,)
        return (w @ Xz) / (w @ ok)

    full = means(design.weights)
    reps = means(design.replicate_weights.T)
    for j, i in enumerate(items):
        out[f"item:{i}"] = (
            full[j],
            _replicate_se(full[j], reps[:, j], design),
            truth["item_means"][i],
        )
    for c in inst.construct_ids:
        its = inst.items_of(c)
        js = [items.index(it.id) for it in its]
        lo = np.array([it.scale.min for it in its])
        hi = np.array([it.scale.max for it in its])

        def score(m: np.ndarray, js=js, lo=lo, hi=hi) -> np.ndarray:
            return ((m[..., js] - lo) / (hi - lo) * 100).mean(axis=-1)

        est = float(score(full))
        se = _replicate_se(est, score(reps), design)
        out[f"score:{c}"] = (est, se, truth["construct_scores"]["overall"][c])

    mcfg = dict(cfg["model"])
    spec = spec_from_config(mcfg, inst)
    w = data["respondent_id"].map(wdf.set_index("respondent_id")["w_final"]).to_numpy(float)
    fit = fit_model(data, spec, mcfg, w)
    tables = model_tables(fit, spec, data, weights=w, model_cfg=mcfg)
    opt = IndexOptions.from_config(cfg["index"], cfg["ipa"])
    idx = index_tables(
        data,
        spec,
        tables.outer_weights,
        tables.effects,
        weights=w,
        model_cfg=mcfg,
        options=opt,
        instrument=inst,
        replicates=replicate_design(wdf, diag),
    ).csi
    rows = index_rows(data, spec, weights=w, model_cfg=mcfg, options=opt, instrument=inst)
    idx = compare_index(idx, truth, rows, spec, mcfg)
    ov = idx[idx["group_var"] == "overall"].set_index("construct")
    for c in ov.index:
        out[f"pls:{c}"] = (ov.loc[c, "index"], ov.loc[c, "se"], ov.loc[c, "truth_index"])
    return out


def monte_carlo(study, seeds, tmp_dir) -> pd.DataFrame:
    """Per statistic: R, mean error, its Monte Carlo SE, SD of the errors, RMS of the SEs and
    the coverage of the 95% CI."""
    runs = [run_replication(study, s, tmp_dir) for s in seeds]
    rows = []
    for name in runs[0]:
        est, se, tru = (np.array([r[name][k] for r in runs], dtype=float) for k in range(3))
        err = est - tru
        rows.append(
            {
                "statistic": name,
                "R": len(runs),
                "mean_error": err.mean(),
                "mc_se": err.std(ddof=1) / np.sqrt(len(err)),
                "sd_error": err.std(ddof=1),
                "rms_se": np.sqrt(np.mean(se**2)),
                "coverage": np.mean(np.abs(err) <= Z * se),
            }
        )
    return pd.DataFrame(rows).set_index("statistic")


def _check_bias(mc: pd.DataFrame) -> None:
    """|mean error| < c MC SE, c the Student-t quantile (R - 1 df) with the two-sided level
    of 3 normal SEs (0.27%): the MC SE is itself estimated from R errors (c = 4.0 for
    R = 12, 3.03 for R = 200)."""
    R = int(mc["R"].iloc[0])
    c = stats.t.ppf(stats.norm.cdf(3.0), R - 1)
    t = mc["mean_error"] / mc["mc_se"]
    biased = mc[t.abs() >= c]
    assert biased.empty, f"significant bias (|mean error| >= {c:.2f} MC SE):\n{biased}"


def test_demo_pipeline_recovers_truth_quick(study, tmp_path) -> None:
    """Default suite: 12 replications; bias within 3 MC SE for every item, construct
    score and PLS index, and pooled CI coverage not below 0.95 - 3 binomial SEs of one
    statistic (an average of correlated coverage indicators varies no more than one)."""
    mc = monte_carlo(study, range(1, 13), tmp_path)
    _check_bias(mc)
    R = int(mc["R"].iloc[0])
    assert mc["coverage"].mean() >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / R)


@pytest.mark.slow
def test_demo_pipeline_recovers_truth(study, tmp_path) -> None:
    """200 replications (~2-3 min): no significant bias, coverage per statistic within 3
    binomial SEs of 0.95 (0.904..0.996), and the replicate SEs neither too small nor too
    large: SD of the errors / RMS SE within 3 SEs of 1 (1 +- 3/sqrt(2(R-1))) — the
    with-replacement (no-fpc) multistage jackknife is mildly conservative, so the lower
    bound is widened to 0.8."""
    mc = monte_carlo(study, range(1001, 1201), tmp_path)
    print(mc.round(4).to_string())
    _check_bias(mc)
    R = int(mc["R"].iloc[0])
    half = 3 * np.sqrt(0.95 * 0.05 / R)
    bad = mc[(mc["coverage"] < 0.95 - half) | (mc["coverage"] > 0.95 + half)]
    assert bad.empty, f"coverage outside 0.95 +- {half:.3f}:\n{bad}"
    ratio = mc["sd_error"] / mc["rms_se"]
    tol = 3 / np.sqrt(2 * (R - 1))
    bad = mc[(ratio > 1 + tol) | (ratio < 0.8)]
    assert bad.empty, f"SEs do not match the spread of the errors:\n{bad}"
