"""Report figures: the path diagram, quadrant chart, stacked bars on other scales."""

import numpy as np
import pandas as pd

from csindex.report import figures as F


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_path_diagram_labels_paths_with_coefficients_and_stars():
    F.setup("en")
    paths = pd.DataFrame(
        {"from": ["CE", "CS"], "to": ["CS", "CC"], "coef": [0.41, -0.3], "p": [0.0004, 0.2]}
    )
    fig = F.path_diagram(
        paths, {"CS": 0.62}, {"CE": "Expect", "CS": "Satisf", "CC": "Compl"}, "t", "n"
    )
    texts = _texts(fig)
    assert "0.41***" in texts and "-0.30" in texts and "R² = 0.62" in texts
    F.to_svg(fig)


def test_path_diagram_places_constructs_outside_figure_4_1():
    F.setup("en")
    paths = pd.DataFrame(
        {
            "from": ["IM", "IM", "CE"],
            "to": ["CE", "CS", "CS"],
            "coef": [0.5, 0.2, 0.1],
            "stars": ["*", "*", ""],
        }
    )
    fig = F.path_diagram(paths, {}, {"IM": "Image"}, "t", "n")
    assert "Image" in _texts(fig) and "0.50*" in _texts(fig)
    F.to_svg(fig)


def test_p_stars():
    assert [F.p_stars(p) for p in [0.0001, 0.005, 0.03, 0.2, np.nan]] == ["***", "**", "*", "", ""]


def test_ipa_chart_uses_the_given_cuts():
    F.setup("en")
    d = pd.DataFrame(
        {"importance": [0.1, 0.3, 0.5], "performance": [80, 60, 70], "label": ["a", "b", "c"]}
    )
    fig = F.ipa_chart(d, "t", "x", "y", ["I", "K", "L", "O"], cuts=(0.2, 65.0))
    ax = fig.axes[0]
    assert ax.lines[0].get_xdata()[0] == 0.2 and ax.lines[1].get_ydata()[0] == 65.0
    # b (high importance, low performance) is the one drawn as "improve first"
    assert ax.collections[1].get_offsets().tolist() == [[0.3, 60.0]]


def test_ten_point_stacked_bars_have_a_ten_entry_legend():
    F.setup("en")
    dist = pd.DataFrame(
        {"item": "Q", "code": np.arange(1.0, 11.0), "pct": 10.0, "suppressed": False}
    )
    fig = F.likert_stacked(dist, ["Q"], {"Q": "q"}, "pct", "t", [str(i) for i in range(1, 11)], "n")
    assert len(fig.axes[0].get_legend().get_texts()) == 10
