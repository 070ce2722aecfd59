"""The fieldwork simulator: the data carry the truth, defects as configured, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csindex.errors import ConfigError, InputError
from csindex.instrument import load_instrument
from csindex.io import read_json, sha256_file, write_csv, write_json, write_parquet
from csindex.simulate import DEFAULT_FIELDWORK, DISPOSITIONS, simulate_fieldwork, simulate_frame

NO_DEFECTS = {"defects": {k: 0.0 for k in DEFAULT_FIELDWORK["defects"]}}
EVERYONE = {
    **NO_DEFECTS,
    "response": {
        "segment": {"personal": 1.0, "family": 1.0, "business": 1.0},
        "ineligible": 0.05,
        "unknown_eligibility": 0.0,
    },
}


@pytest.fixture(scope="module")
def instrument(repo_root):
    return load_instrument(repo_root / "config" / "instrument.yaml")


@pytest.fixture(scope="module")
def small_frame():
    return simulate_frame({"simulate": {"n_customers": 20_000}}, seed=7).frame


@pytest.fixture(scope="module")
def big_frame():
    return simulate_frame({}, seed=7).frame


def srs(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A simple random sample of the frame in the sample contract (unit_id + frame + pi)."""
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), n, replace=False))
    s = frame.iloc[rows].reset_index(drop=True)
    s.insert(0, "unit_id", s["customer_id"])
    s["pi"] = n / len(frame)
    return s


def recode(raw: pd.DataFrame, instrument) -> pd.DataFrame:
    """What the cleaning stage does to valid answers: reverse-code, cut quantities to levels."""
    out = {}
    for it in instrument.items:
        x = raw[it.id].astype("float64")
        if it.kind == "quantity":
            pts = it.quantity["cut"]["points"]
            x = pd.Series(pd.cut(x, pts, right=False, labels=False) + 1.0, index=x.index)
        elif it.reverse:
            x = it.scale.min + it.scale.max - x
        out[it.id] = x
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def census(small_frame, instrument):
    sample = srs(small_frame, len(small_frame), 0)
    return simulate_fieldwork(sample, small_frame, instrument, EVERYONE, seed=5)


@pytest.fixture(scope="module")
def default_run(small_frame, instrument):
    return simulate_fieldwork(srs(small_frame, 8000, 1), small_frame, instrument, {}, seed=5)


def test_census_of_the_simulated_answers_reproduces_truth_exactly(census, instrument):
    raw = census.raw
    # the target population is the eligible customers: here exactly the respondents
    assert census.truth["n_frame"] == 20_000
    assert len(raw) == census.truth["n_population"] == census.injected["dispositions"]["complete"]
    assert census.injected["dispositions"]["ineligible"] == 20_000 - len(raw) > 800
    x = recode(raw, instrument)
    for iid, mean in census.truth["item_means"].items():
        assert x[iid].mean() == pytest.approx(mean, rel=1e-13, abs=1e-13), iid
    by_seg = x.groupby(raw["segment"]).mean()
    for g, means in census.truth["item_means_by_segment"].items():
        for iid, m in means.items():
            assert by_seg.loc[g, iid] == pytest.approx(m, rel=1e-13), (g, iid)


def test_truth_construct_scores_and_csi_follow_the_stated_definition(census, instrument):
    x = recode(census.raw, instrument)
    cs = ((x["CS1"] - 1) / 4 * 100 + (x["CS2"] - 1) / 4 * 100) / 2
    t = census.truth
    assert cs.mean() == pytest.approx(t["csi"]["overall"], rel=1e-12)
    assert t["csi"]["overall"] == t["construct_scores"]["overall"]["CS"]
    by_region = cs.groupby(census.raw["region"]).mean()
    for r, v in t["csi"]["by_region"].items():
        assert by_region[r] == pytest.approx(v, rel=1e-12)
    assert "(x - min) / (max - min) * 100" in t["definition"]
    assert set(t["construct_scores"]["overall"]) == {"CE", "PQ", "PV", "CS", "CC", "CL"}


def test_quantity_answers_are_percentages_strictly_inside_a_cut_interval(census, instrument):
    for iid in ("CL2", "CL3"):
        v = census.raw[iid].astype(float)
        pts = np.array(instrument.item(iid).quantity["cut"]["points"], dtype=float)
        assert v.between(0, 100).all()
        assert not np.isin(v, pts).any()  # never on a cut point: left/right-closed cuts agree
        left = pd.cut(v, pts, right=False, labels=False)
        right = pd.cut(v, pts, right=True, labels=False)
        assert (left == right).all() and left.nunique() == 5


def test_cc2_is_answered_reversed(census, instrument):
    raw = census.raw
    recoded_cc2 = 6 - raw["CC2"]
    assert np.corrcoef(raw["CC1"], recoded_cc2)[0, 1] > 0.2
    assert np.corrcoef(raw["CC1"], raw["CC2"])[0, 1] < -0.2


def test_a_customers_answers_do_not_depend_on_who_else_is_sampled(small_frame, instrument):
    a = simulate_fieldwork(srs(small_frame, 3000, 1), small_frame, instrument, EVERYONE, seed=5)
    b = simulate_fieldwork(srs(small_frame, 3000, 2), small_frame, instrument, EVERYONE, seed=5)
    items = instrument.item_ids
    common = a.raw.merge(b.raw, on="customer_id", suffixes=("_a", "_b"))
    assert len(common) > 200
    for iid in items:
        assert (common[f"{iid}_a"] == common[f"{iid}_b"]).all(), iid
    assert a.truth == b.truth


def test_large_srs_item_means_are_within_4_se_of_the_truth(big_frame, instrument):
    n = 20_000
    fw = simulate_fieldwork(srs(big_frame, n, 3), big_frame, instrument, EVERYONE, seed=9)
    x = recode(fw.raw, instrument)
    fpc = 1 - n / len(big_frame)
    z = (x.mean() - pd.Series(fw.truth["item_means"])) / (x.std() * np.sqrt(fpc / n))
    assert (z.abs() < 4).all(), z.round(2).to_dict()
    assert z.abs().max() > 0  # a sample, not the census


def test_cs_to_cc_correlation_is_negative(census, instrument):
    x = recode(census.raw, instrument)
    r = np.corrcoef(x["CS1"] + x["CS2"], x["CC1"] + x["CC2"])[0, 1]
    assert r < -0.15
    r_cl = np.corrcoef(x["CS1"] + x["CS2"], x["CL1"] + x["CL2"] + x["CL3"])[0, 1]
    assert r_cl > 0.3


def test_latent_means_differ_by_segment_so_weighting_matters(census):
    csi = census.truth["csi"]["by_segment"]
    assert csi["family"] - csi["business"] > 10


def test_nonresponse_depends_on_segment_as_configured(big_frame, instrument):
    fw = simulate_fieldwork(srs(big_frame, 20_000, 4), big_frame, instrument, NO_DEFECTS, seed=3)
    d = fw.dispositions
    resp = DEFAULT_FIELDWORK["response"]
    eligible = d[~d["disposition"].isin(["ineligible", "unknown_eligibility"])]
    responded = eligible["disposition"].isin(["complete", "partial"])
    from scipy.special import expit, logit

    expected = expit(
        logit(eligible["segment"].map(resp["segment"]).astype(float))
        + eligible["region"].map(resp["region_logit"]).astype(float)
    )
    for g in ("personal", "family", "business"):
        m = eligible["segment"] == g
        rate, p = responded[m].mean(), expected[m].mean()
        se = np.sqrt(p * (1 - p) / m.sum())
        assert abs(rate - p) < 4 * se, (g, rate, p)
        assert fw.injected["response_by_segment"][g]["rate"] == pytest.approx(rate)
    rates = responded.groupby(eligible["segment"]).mean()
    assert rates["family"] > rates["personal"] + 0.1 > rates["business"] + 0.2
    # respondents over-represent the satisfied segment: the unweighted CSI is biased upwards
    x = fw.raw
    cs = ((x["CS1"] + x["CS2"] - 2) / 8 * 100).mean()
    assert cs - fw.truth["csi"]["overall"] > 0.5


def test_dispositions_cover_every_sampled_unit(default_run):
    d = default_run.dispositions
    assert len(d) == 8000 and d["customer_id"].is_unique
    assert set(d["disposition"]) <= set(DISPOSITIONS)
    has_rid = d["respondent_id"].notna()
    assert (has_rid == d["disposition"].isin(["complete", "partial"])).all()
    raw_ids = set(default_run.raw["respondent_id"])
    assert set(d.loc[has_rid, "respondent_id"]) == raw_ids
    counts = d["disposition"].value_counts().to_dict()
    assert {k: counts.get(k, 0) for k in DISPOSITIONS} == default_run.injected["dispositions"]


def test_raw_responses_have_the_contract_columns(default_run, instrument):
    cols = list(default_run.raw.columns)
    assert cols[:8] == [
        "respondent_id",
        "customer_id",
        "region",
        "branch",
        "segment",
        "wave",
        "interview_start",
        "duration_sec",
    ]
    assert cols[8:24] == instrument.item_ids
    assert cols[24:] == ["attention_check", "name", "phone", "email", "comment"]
    raw = default_run.raw
    assert raw["respondent_id"].str.fullmatch(r"R\d{6}").all()
    assert pd.to_datetime(raw["interview_start"], format="%Y-%m-%dT%H:%M:%S").notna().all()


def test_pilot_wave_has_pilot_n_respondents_before_the_main_wave(default_run):
    first = default_run.raw.drop_duplicates("respondent_id")
    pilot = first[first["wave"] == "pilot"]
    assert len(pilot) == DEFAULT_FIELDWORK["pilot_n"] == default_run.injected["pilot"]
    main = first[first["wave"] == "main"]
    assert pilot["interview_start"].max() < main["interview_start"].min()


def test_pii_columns_look_like_names_phones_and_emails(default_run):
    raw = default_run.raw
    assert raw["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert raw["email"].str.fullmatch(r"[a-z.]+\d\d@[a-z.]+").all()
    assert raw["name"].str.contains(r"[\u4e00-\u9fff]").mean() > 0.5
    assert raw["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").mean() > 0.05
    assert (raw["comment"] != "").mean() > 0.1


def _valid(raw: pd.DataFrame, instrument) -> dict[str, pd.DataFrame]:
    out = {"oor": {}, "dk": {}, "ref": {}}
    for it in instrument.items:
        x = raw[it.id].astype("float64")
        dk = x.isin(it.missing_codes["dont_know"])
        ref = x.isin(it.missing_codes["refused"])
        if it.kind == "quantity":
            ok = x.between(it.quantity["min"], it.quantity["max"])
        else:
            ok = x.isin(np.arange(it.scale.min, it.scale.max + 1))
        out["oor"][it.id] = x.notna() & ~ok & ~dk & ~ref
        out["dk"][it.id], out["ref"][it.id] = dk, ref
    return {k: pd.DataFrame(v) for k, v in out.items()}


def test_injected_counts_equal_what_is_in_the_file(default_run, instrument):
    inj, raw = default_run.injected, default_run.raw
    first = raw.drop_duplicates("respondent_id", keep="first")
    assert len(raw) - len(first) == inj["duplicates"] == inj["submissions"] - inj["respondents"]
    cells = _valid(first, instrument)
    assert int(cells["oor"].to_numpy().sum()) == inj["out_of_range"]
    assert int(cells["dk"].to_numpy().sum()) == inj["dont_know"]
    assert int(cells["ref"].to_numpy().sum()) == inj["refused"]
    for name, key in (("oor", "out_of_range"), ("dk", "dont_know"), ("ref", "refused")):
        per_item = cells[name].sum()
        assert {k: int(v) for k, v in per_item[per_item > 0].items()} == inj["cells_by_item"][key]
    lik = first[[it.id for it in instrument.items if it.kind == "likert"]].astype("float64")
    straight = lik.notna().all(axis=1) & lik.eq(lik.iloc[:, 0], axis=0).all(axis=1)
    assert straight.sum() == inj["straightliners"] + inj["straightliners_natural"]
    assert (first["duration_sec"] < inj["speeder_max_sec"]).sum() == inj["speeders"]
    att = first["attention_check"]
    assert (att.notna() & (att != 4)).sum() == inj["attention_failed"]
    partial = first[instrument.item_ids].isna().any(axis=1)
    assert partial.sum() == inj["partials"]
    d = default_run.dispositions
    assert set(first.loc[partial, "respondent_id"]) == set(
        d.loc[d["disposition"] == "partial", "respondent_id"]
    )


def test_defects_are_injected_at_the_configured_shares(default_run, instrument):
    inj = default_run.injected
    shares = DEFAULT_FIELDWORK["defects"]
    n = inj["respondents"]
    for k in ("duplicates", "partials", "straightliners", "speeders", "attention_failed"):
        assert inj[k] == int(np.floor(shares[k] * n + 0.5)), k
        assert inj[k] > 0
    clean_rows = n - inj["partials"] - inj["straightliners"]
    m = clean_rows * len(instrument.items)
    for k in ("out_of_range", "dont_know", "refused"):
        assert inj[k] == int(np.floor(shares[k] * m + 0.5)), k


def test_same_seed_gives_byte_identical_files_other_seed_differs(small_frame, instrument, tmp_path):
    sample = srs(small_frame, 2000, 1)
    digests = []
    for k, seed in enumerate((21, 21, 22)):
        fw = simulate_fieldwork(sample, small_frame, instrument, {}, seed=seed)
        d = tmp_path / str(k)
        write_csv(fw.raw, d / "raw_responses.csv")
        write_parquet(fw.dispositions, d / "dispositions.parquet")
        write_json(fw.truth, d / "truth.json")
        write_json(fw.injected, d / "injected.json")
        digests.append(
            [
                sha256_file(d / f)
                for f in (
                    "raw_responses.csv",
                    "dispositions.parquet",
                    "truth.json",
                    "injected.json",
                )
            ]
        )
    assert digests[0] == digests[1]
    assert all(a != b for a, b in zip(digests[0], digests[2], strict=True))
    back = pd.read_csv(tmp_path / "0" / "raw_responses.csv", dtype={"customer_id": str})
    assert back["customer_id"].str.startswith("C").all()
    assert read_json(tmp_path / "0" / "truth.json")["seed"] == 21


def test_unit_not_in_frame_names_file_row_and_column(small_frame, instrument):
    sample = srs(small_frame, 10, 1)
    sample.loc[3, "unit_id"] = "C9999999"
    with pytest.raises(InputError) as e:
        simulate_fieldwork(sample, small_frame, instrument, {}, seed=1, sample_file="s.parquet")
    msg = str(e.value)
    assert "s.parquet" in msg and "row 4" in msg and "'unit_id'" in msg and "C9999999" in msg


def test_sample_without_unit_id_is_an_input_error(small_frame, instrument):
    sample = srs(small_frame, 10, 1).drop(columns="unit_id")
    with pytest.raises(InputError, match="no column 'unit_id'"):
        simulate_fieldwork(sample, small_frame, instrument, {}, seed=1)


def test_unit_sampled_twice_is_an_input_error(small_frame, instrument):
    sample = srs(small_frame, 10, 1)
    sample.loc[5, "unit_id"] = sample.loc[2, "unit_id"]
    with pytest.raises(InputError, match="row 6.*sampled twice|sampled twice"):
        simulate_fieldwork(sample, small_frame, instrument, {}, seed=1)


def test_segment_without_response_rate_names_the_config_key(small_frame, instrument):
    params = {"response": {"segment": {"personal": 0.5, "family": 0.5}}}
    params["response"]["segment"].pop("business", None)
    with pytest.raises(ConfigError, match=r"fieldwork.response.segment.*'business'"):
        simulate_fieldwork(srs(small_frame, 50, 1), small_frame, instrument, params, seed=1)


def test_respondent_defect_shares_above_one_are_a_config_error(small_frame, instrument):
    params = {"defects": {"partials": 0.5, "straightliners": 0.4, "speeders": 0.2}}
    with pytest.raises(ConfigError, match="fieldwork.defects"):
        simulate_fieldwork(srs(small_frame, 50, 1), small_frame, instrument, params, seed=1)


def test_frame_without_segment_names_the_frame_file(small_frame, instrument):
    frame = small_frame.drop(columns="segment")
    with pytest.raises(InputError) as e:
        simulate_fieldwork(
            srs(small_frame, 10, 1), frame, instrument, {}, seed=1, frame_file="f.parquet"
        )
    assert "f.parquet" in str(e.value) and "'segment'" in str(e.value)


def test_frame_with_missing_region_names_the_row(small_frame, instrument):
    frame = small_frame.copy()
    frame.loc[41, "region"] = None
    with pytest.raises(InputError, match=r"row 42, column 'region'"):
        simulate_fieldwork(srs(small_frame, 10, 1), frame, instrument, {}, seed=1)
