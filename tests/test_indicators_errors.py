"""Bad expert input stops with a message naming the file, the data row and the column."""

from pathlib import Path

import pandas as pd
import pytest

from csindex.errors import ConfigError, InputError
from csindex.indicators import build_hierarchy, delphi
from csindex.indicators.pipeline import level_weights
from csindex.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
HEADER = "expert,indicator,CE,PQ,PV,CS,CC,CL\n"
GOOD = [
    "E1,CE,,1,1,1,2,1",
    "E1,PQ,3,,3,2,3,2",
    "E1,PV,3,1,,1,3,2",
    "E1,CS,3,2,3,,4,3",
    "E1,CC,2,1,1,0,,1",
    "E1,CL,3,2,2,1,3,",
]


@pytest.fixture(scope="module")
def hier():
    return build_hierarchy(load_instrument(ROOT / "config/instrument.yaml"))


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def run(hier, level, method, files):
    return level_weights(level, {"method": method, "files": [str(f) for f in files]}, hier, key="k")


def paired_file(tmp_path, rows):
    return write(tmp_path, "paired.csv", HEADER + "\n".join(rows) + "\n")


def test_good_paired_file_reads(tmp_path, hier):
    r = run(hier, "constructs", "paired_comparison", [paired_file(tmp_path, GOOD)])
    assert r.results["CSI"].weights.sum() == pytest.approx(1.0)


def test_paired_pair_not_adding_to_four_names_file_row_column(tmp_path, hier):
    rows = GOOD.copy()
    rows[1] = "E1,PQ,3,,3,3,3,2"  # PQ vs CS 3 but CS vs PQ 2
    f = paired_file(tmp_path, rows)
    with pytest.raises(InputError, match=r"paired.csv, row 2, column 'CS'.*3/2.*add up to 4") as e:
        run(hier, "constructs", "paired_comparison", [f])
    assert e.value.row == 2 and e.value.column == "CS" and e.value.file.endswith("paired.csv")


def test_paired_score_outside_4_3_2_1_0_is_rejected(tmp_path, hier):
    rows = GOOD.copy()
    rows[0] = "E1,CE,,1,1,1,2.5,1"
    with pytest.raises(InputError, match=r"row 1, column 'CC'.*score 2.5.*4/0, 3/1 or 2/2"):
        run(hier, "constructs", "paired_comparison", [paired_file(tmp_path, rows)])


def test_paired_missing_pair_is_reported(tmp_path, hier):
    rows = GOOD.copy()
    rows[4] = "E1,CC,2,1,,0,,1"
    with pytest.raises(InputError, match=r"row 5, column 'PV'.*missing pair"):
        run(hier, "constructs", "paired_comparison", [paired_file(tmp_path, rows)])


def test_unknown_indicator_in_header_is_reported(tmp_path, hier):
    f = write(tmp_path, "p.csv", HEADER.replace("CL\n", "CX\n") + "\n".join(GOOD) + "\n")
    with pytest.raises(InputError, match=r"p.csv, column 'CX': unknown indicator 'CX'"):
        run(hier, "constructs", "paired_comparison", [f])


def test_unknown_indicator_in_rows_is_reported(tmp_path, hier):
    rows = GOOD.copy()
    rows[3] = "E1,SAT,3,2,3,,4,3"
    with pytest.raises(InputError, match=r"row 4, column 'indicator': unknown indicator 'SAT'"):
        run(hier, "constructs", "paired_comparison", [paired_file(tmp_path, rows)])


def test_non_numeric_cell_is_reported(tmp_path, hier):
    rows = GOOD.copy()
    rows[2] = "E1,PV,3,one,,1,3,2"
    with pytest.raises(InputError, match=r"row 3, column 'PQ': cell 'one' is not a number"):
        run(hier, "constructs", "paired_comparison", [paired_file(tmp_path, rows)])


AHP_HEAD = "parent,indicator,CE1,CE2,CE3\n"


def ahp_file(tmp_path, rows):
    return write(tmp_path, "ahp.csv", AHP_HEAD + "\n".join(rows) + "\n")


def small_hier(hier):
    # only the CE block is in these files: use a hierarchy view restricted to CE
    nodes = hier.nodes[hier.nodes["node"].isin(["CSI", "CE", "CE1", "CE2", "CE3"])]
    return type(hier)(nodes.reset_index(drop=True))


def test_ahp_not_reciprocal_names_both_cells(tmp_path, hier):
    f = ahp_file(tmp_path, ["CE,CE1,1,3,2", "CE,CE2,1/2,1,1", "CE,CE3,1/2,1,1"])
    with pytest.raises(
        InputError, match=r"row 1, column 'CE2'.*not reciprocal.*row 2, column 'CE1'"
    ):
        run(small_hier(hier), "indicators", "ahp", [f])


def test_ahp_non_positive_judgment_is_rejected(tmp_path, hier):
    f = ahp_file(tmp_path, ["CE,CE1,1,3,0", "CE,CE2,1/3,1,1", "CE,CE3,2,1,1"])
    with pytest.raises(InputError, match=r"row 1, column 'CE3'.*not positive"):
        run(small_hier(hier), "indicators", "ahp", [f])


def test_ahp_value_off_saaty_scale_is_rejected(tmp_path, hier):
    f = ahp_file(tmp_path, ["CE,CE1,1,12,1", "CE,CE2,1/12,1,1", "CE,CE3,1,1,1"])
    with pytest.raises(InputError, match=r"row 1, column 'CE2'.*outside Saaty's scale"):
        run(small_hier(hier), "indicators", "ahp", [f])


def test_ahp_missing_cell_is_a_missing_pair(tmp_path, hier):
    f = ahp_file(tmp_path, ["CE,CE1,1,2,", "CE,CE2,1/2,1,1", "CE,CE3,2,1,1"])
    with pytest.raises(InputError, match=r"row 1, column 'CE3'.*missing pair"):
        run(small_hier(hier), "indicators", "ahp", [f])


def test_ahp_unknown_parent_is_reported(tmp_path, hier):
    f = ahp_file(tmp_path, ["XX,CE1,1,2,2", "XX,CE2,1/2,1,1", "XX,CE3,1/2,1,1"])
    with pytest.raises(InputError, match=r"row 1, column 'parent': unknown parent 'XX'"):
        run(small_hier(hier), "indicators", "ahp", [f])


def test_all_zero_direct_weights_are_rejected(tmp_path, hier):
    f = write(tmp_path, "d.csv", "indicator,weight\nCE,0\nPQ,0\nPV,0\nCS,0\nCC,0\nCL,0\n")
    with pytest.raises(InputError, match=r"d.csv: all weights are zero"):
        run(hier, "constructs", "direct", [f])


def test_negative_direct_weight_names_row(tmp_path, hier):
    f = write(
        tmp_path, "d.csv", "indicator,weight\nCE,0.2\nPQ,-0.1\nPV,0.2\nCS,0.3\nCC,0.2\nCL,0.2\n"
    )
    with pytest.raises(InputError, match=r"d.csv, row 2, column 'weight'.*negative"):
        run(hier, "constructs", "direct", [f])


def test_indicator_not_rated_is_reported(tmp_path, hier):
    f = write(tmp_path, "d.csv", "indicator,multiple\nCE,1\nPQ,2\nPV,1.5\nCS,3\nCC,1\n")
    with pytest.raises(InputError, match=r"\['CL'\] under 'CSI' are not rated"):
        run(hier, "constructs", "direct_comparison", [f])


def test_missing_expert_file_is_reported(tmp_path, hier):
    with pytest.raises(InputError, match=r"nothere.csv: expert file does not exist"):
        run(hier, "constructs", "ahp", [tmp_path / "nothere.csv"])


def test_method_without_files_is_a_config_error(hier):
    with pytest.raises(ConfigError, match=r"config key k.files: method 'ahp' needs expert files"):
        level_weights("constructs", {"method": "ahp"}, hier, key="k")


def test_delphi_round_with_other_indicators_is_rejected():
    r1 = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}, index=["x", "y"])
    r2 = pd.DataFrame({"a": [1.0, 2.0], "c": [2.0, 1.0]}, index=["x", "y"])
    with pytest.raises(InputError, match=r"r2.csv: Delphi round 2 names indicators"):
        delphi([r1, r2], files=["r1.csv", "r2.csv"])


def test_delphi_expert_with_all_zero_estimates_is_rejected():
    r1 = pd.DataFrame({"a": [1.0, 0.0], "b": [2.0, 0.0]}, index=["x", "y"])
    with pytest.raises(InputError, match=r"expert 'y' gives all-zero estimates in round 1"):
        delphi([r1], files=["r1.csv"])
