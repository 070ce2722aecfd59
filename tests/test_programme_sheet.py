"""The studies sheet and the sector weights: validated with file/row/column messages; the
per-study config is the base config merged with the row's overlay."""

import pytest

from csindex.errors import InputError, InputErrors
from csindex.programme.sheet import (
    StudyRow,
    parse_set,
    read_sectors,
    read_studies,
    study_config,
    study_seed,
    wave_order,
    year_earlier,
)

HEADER = "study\twave\tindustry\tsector\trevenue\tset\n"


def write(tmp_path, text, name="studies.tsv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_good_sheet_reads(tmp_path):
    p = write(tmp_path, HEADER + "A\t2026Q2\tI1\tS1\t10\t\nA\t2026Q3\tI1\tS1\t10\tseed=3\n")
    df = read_studies(p)
    assert list(df.study) == ["A", "A"] and df.revenue.tolist() == [10.0, 10.0]


@pytest.mark.parametrize(
    "row, column, words",
    [
        ("A\t2026Q5\tI1\tS1\t10\t", "wave", "not a wave label"),
        ("A\t2026Q2\tI1\tS1\t-1\t", "revenue", "positive number"),
        ("A\t2026Q2\tI1\tS1\tabc\t", "revenue", "positive number"),
        ("A\t2026Q2\tI1\tS1\tinf\t", "revenue", "positive number"),
        ("A b\t2026Q2\tI1\tS1\t1\t", "study", "not an id"),
        ("A\t2026Q2\tI1\tS1\t1\tfoo", "set", "key=value"),
    ],
)
def test_bad_cells_name_file_row_and_column(tmp_path, row, column, words):
    p = write(tmp_path, HEADER + "B\t2026Q2\tI1\tS1\t1\t\n" + row + "\n")
    with pytest.raises(InputErrors) as e:
        read_studies(p)
    msg = str(e.value)
    assert f"row 2, column {column!r}" in msg and words in msg and "studies.tsv" in msg


def test_duplicates_and_inconsistent_hierarchy(tmp_path):
    p = write(
        tmp_path,
        HEADER + "A\t2026Q2\tI1\tS1\t1\t\nA\t2026Q2\tI1\tS1\t1\t\nB\t2026Q2\tI1\tS2\t1\t\n",
    )
    with pytest.raises(InputErrors) as e:
        read_studies(p)
    msg = str(e.value)
    assert "appears twice" in msg and "several sectors" in msg


def test_missing_columns_and_files(tmp_path):
    with pytest.raises(InputError, match="missing column"):
        read_studies(write(tmp_path, "study\twave\n"))
    with pytest.raises(InputError, match="does not exist"):
        read_studies(tmp_path / "nope.tsv")
    p = write(
        tmp_path, "study\twave\tindustry\tsector\trevenue\toverlay\nA\t2026\tI\tS\t1\tx.yaml\n"
    )
    with pytest.raises(InputErrors, match="column 'overlay'.*does not exist"):
        read_studies(p)


def test_sector_weights(tmp_path):
    p = write(tmp_path, "sector\tweight\nS1\t3\nS2\t1\nS9\t5\n", "sectors.tsv")
    w = read_sectors(p, ["S1", "S2"])
    assert w.to_dict() == {"S1": 0.75, "S2": 0.25}
    with pytest.raises(InputErrors, match="sector 'S3' of the studies sheet has no weight"):
        read_sectors(p, ["S1", "S3"])
    bad = write(tmp_path, "sector\tweight\nS1\t0\n", "bad.tsv")
    with pytest.raises(InputErrors, match="row 1, column 'weight'"):
        read_sectors(bad, ["S1"])


def test_study_config_merges_the_overlay(tmp_path):
    over = tmp_path / "over.yaml"
    over.write_text("model: {estimator: cbsem}\nfieldwork: {model: {paths: {CE->PQ: 0.1}}}\n")
    base = {
        "study": "prog",
        "version": "v1",
        "seed": 5,
        "model": {"estimator": "pls", "type": "acsi"},
        "fieldwork": {"model": {"paths": {"CE->PQ": 0.6, "PQ->PV": 0.5}}},
        "programme": {"studies": "x"},
    }
    row = StudyRow("A", "2026Q2", "I", "S", 1.0, overlay=str(over), set="bootstrap.replicates=7")
    cfg = study_config(base, row)
    assert cfg["model"] == {"estimator": "cbsem", "type": "acsi"}
    assert cfg["fieldwork"]["model"]["paths"] == {"CE->PQ": 0.1, "PQ->PV": 0.5}
    assert cfg["bootstrap"] == {"replicates": 7}
    assert cfg["study"] == "A" and cfg["wave"] == "2026Q2" and "programme" not in cfg
    assert cfg["seed"] == study_seed(5, "A", "2026Q2") != study_seed(5, "A", "2026Q3")
    assert base["model"]["estimator"] == "pls"  # the base is not modified
    with pytest.raises(InputError, match="belongs to the programme"):
        study_config(base, StudyRow("A", "2026Q2", "I", "S", 1.0, set="version=v2"))


def test_waves_order_and_year_earlier():
    assert sorted(["2026Q1", "2025Q4", "2026"], key=wave_order) == ["2025Q4", "2026", "2026Q1"]
    assert year_earlier("2026Q3") == "2025Q3" and year_earlier("2026M02") == "2025M02"
    assert parse_set("a.b=1; c=x") == {"a": {"b": 1}, "c": "x"}


def test_demo_sheets_are_valid(repo_root):
    for name in ("demo", "ci"):
        df = read_studies(f"config/programme/{name}_studies.tsv", base=repo_root)
        read_sectors(f"config/programme/{name}_sectors.tsv", list(df.sector), base=repo_root)
    assert df.study.nunique() >= 8
    demo = read_studies("config/programme/demo_studies.tsv", base=repo_root)
    assert demo.study.nunique() >= 40 and demo.industry.nunique() >= 8
    assert demo.sector.nunique() >= 3 and demo.wave.nunique() == 2
