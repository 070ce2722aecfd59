"""CJK font for figures: Noto Sans CJK (SIL Open Font License 1.1), installed from PyPI.

The font ships in the ``noto-cjk-sans-otc`` wheel (Noto Sans CJK 2.004, the OpenType
collection with the SC, TC, HK, JP and KR faces): the project's own ``pip install`` brings it
from PyPI like any other dependency, and no system font is needed. Matplotlib (>= 3.11)
reads every face of the collection (older versions only the first, Japanese, face, which has
the same CJK glyphs) and falls back glyph by glyph along
``font.family``: Latin text is drawn with DejaVu Sans, Chinese with Noto Sans CJK.
"""

from __future__ import annotations

from pathlib import Path

CJK_FAMILY = {"zh": "Noto Sans CJK TC", "zh_hans": "Noto Sans CJK SC"}
"""Face per language: the demo instrument is written in traditional characters."""

LATIN_FAMILY = "DejaVu Sans"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` package."""
    try:
        import noto_cjk_sans_otc
    except ImportError as e:  # pragma: no cover - a broken install
        raise RuntimeError(
            "the CJK font package 'noto-cjk-sans-otc' is not installed; "
            "install the project (pip install -e .) to get it"
        ) from e
    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def register_cjk_font() -> str:
    """Add the CJK collection to matplotlib's font manager (once) and return the family name
    used for Chinese text: the traditional-Chinese face (matplotlib >= 3.11 loads every face of
    a collection), else whichever face this matplotlib loaded (all have every CJK glyph)."""
    from matplotlib import font_manager

    path = str(cjk_font_path())

    def faces() -> list[str]:
        return [f.name for f in font_manager.fontManager.ttflist if str(f.fname) == path]

    if not faces():
        font_manager.fontManager.addfont(path)
    # A system copy of Noto Sans CJK (Debian's fonts-noto-cjk) has the same family names and
    # would win ties: put the shipped faces first so figures do not depend on system packages.
    fm = font_manager.fontManager
    ours = [f for f in fm.ttflist if str(f.fname) == path]
    if fm.ttflist[: len(ours)] != ours:
        fm.ttflist[:] = ours + [f for f in fm.ttflist if str(f.fname) != path]
        cached = getattr(fm, "_findfont_cached", None)  # earlier look-ups saw the old order
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()
    names = faces()
    for preferred in (CJK_FAMILY["zh"], CJK_FAMILY["zh_hans"]):
        if preferred in names:
            return preferred
    if not names:  # pragma: no cover - addfont failed silently
        raise RuntimeError(f"matplotlib could not load the CJK font {path}")
    return names[0]


def font_family(language: str = "en") -> list[str]:
    """``font.family`` list: DejaVu Sans first, the CJK face as glyph fallback."""
    return [LATIN_FAMILY, register_cjk_font()]
