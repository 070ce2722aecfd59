"""Chinese labels in figures are drawn with the CJK font that the project installs (Noto Sans
CJK from the noto-cjk-sans-otc wheel), not as boxes."""

import warnings

import pytest

from csindex.report import figures as F
from csindex.report.fonts import cjk_font_path, register_cjk_font

LABEL = "客戶滿意度 總體滿意度 很不滿意"


def _draw(family):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": family}):
        fig, ax = plt.subplots()
        ax.set_title(LABEL)
        ax.set_xticks([0, 1], ["很滿意", "不滿意"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_cjk_font_ships_with_the_install():
    from fontTools.ttLib import TTCollection

    path = cjk_font_path()
    assert path.is_file() and "site-packages" in str(path)
    names = {f["name"].getDebugName(1) for f in TTCollection(str(path)).fonts}
    assert {"Noto Sans CJK TC", "Noto Sans CJK SC"} <= names


def _cmap(path: str, index: int = 0) -> set[int]:
    """Code points a font file (or face ``index`` of a collection) has glyphs for."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith((".ttc", ".otc")):
        font = TTCollection(path).fonts[index]
    else:
        font = TTFont(path)
    return set(font.getBestCmap())


def test_matplotlib_finds_a_cjk_face_that_has_the_glyphs():
    # Any face that renders the labels will do: with Debian's fonts-noto-cjk installed,
    # matplotlib prefers the system copy of the same family over the wheel's.
    from matplotlib import font_manager

    family = register_cjk_font()
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    index = getattr(found, "face_index", 0)
    needed = {ord(c) for c in LABEL + "很滿意不滿意" if not c.isspace()}
    missing = needed - _cmap(str(found), index)
    assert not missing, f"{found} has no glyph for {''.join(map(chr, sorted(missing)))}"
    # the check can fail: DejaVu Sans has none of these glyphs
    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert needed - _cmap(str(dejavu))


def test_chinese_figure_has_no_missing_glyph():
    F.setup("zh")
    import matplotlib

    assert _draw(matplotlib.rcParams["font.family"]) == []


def test_without_the_cjk_font_glyphs_would_be_missing():
    # the check above can fail: DejaVu Sans alone has no Chinese glyphs
    assert _draw(["DejaVu Sans"]), "expected missing-glyph warnings without the CJK font"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_svg_figures_are_byte_identical(language):
    import matplotlib.pyplot as plt

    F.setup(language)

    def make():
        fig, ax = plt.subplots()
        ax.bar([0, 1], [3, 4])
        ax.set_title(LABEL if language == "zh" else "Overall satisfaction")
        return F.to_svg(fig)

    a, b = make(), make()
    assert a == b
    assert b"<dc:date>" not in a
