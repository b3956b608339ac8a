"""Fonts for queue names in any script: CJK fonts as fallbacks when installed, else a warning.

matplotlib's default font, DejaVu Sans, has no Chinese, Japanese or Korean glyphs: a
queue called 客服.邮件 drew as empty boxes. Since matplotlib 3.6 a text falls back glyph
by glyph through the font families it is given, so every figure is drawn with the
usual CJK fonts that are installed (:data:`CJK_FONTS`) after the user's own. When none
is installed and a figure holds CJK text, one :class:`CJKFontWarning` names the fix in
place of matplotlib's warning per missing glyph.
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import matplotlib
from matplotlib import font_manager
from matplotlib.text import Text

from sim.errors import CJKFontWarning

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CJK_FONTS", "CJKFontWarning", "cjk_fallback", "installed_cjk_fonts"]

# The usual CJK fonts of Linux, Windows and macOS, most complete first.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Hiragino Sans",
    "SimHei",
    "Arial Unicode MS",
)
# Unicode names of the characters of Chinese, Japanese and Korean, which DejaVu Sans lacks
# (not every wide character: DejaVu Sans draws many emoji).
_CJK_NAMES = (
    "CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC", "BOPOMOFO",
)  # fmt: skip
_MISSING_GLYPH = r"Glyph \d+ \(\\N\{(" + "|".join(_CJK_NAMES) + ")"


def _hint() -> str:
    return (
        "no CJK font is installed, so Chinese, Japanese or Korean text in the figures is "
        "drawn as boxes; install one of Noto Sans CJK, Source Han Sans, WenQuanYi, "
        "Microsoft YaHei, PingFang or Hiragino (Debian/Ubuntu: apt-get install "
        "fonts-noto-cjk) and sim uses it (if matplotlib still does not find it, remove its "
        f"font cache, {matplotlib.get_cachedir()}/fontlist-*.json)"
    )


@functools.cache
def installed_cjk_fonts() -> tuple[str, ...]:
    """The fonts of :data:`CJK_FONTS` that matplotlib finds on this machine."""
    names = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in names)


def _is_cjk(text: str) -> bool:
    # The CJK blocks start at U+2E80: what lies below is never looked up.
    return any(unicodedata.name(c, "").startswith(_CJK_NAMES) for c in text if ord(c) > 0x2E7F)


def _cjk_texts(fig: Figure) -> bool:
    return any(_is_cjk(t.get_text()) for t in fig.findobj(Text))


_warned = False


def _warn_once() -> None:
    global _warned  # noqa: PLW0603 - one warning per process, not one per figure
    if not _warned:
        _warned = True
        warnings.warn(_hint(), CJKFontWarning, stacklevel=4)


@contextlib.contextmanager
def cjk_fallback(fig: Figure) -> Iterator[None]:
    """Draw ``fig`` with the installed CJK fonts after the user's own; warn if none is.

    matplotlib falls back through the families a text names, not through the fonts of a
    generic family like ``sans-serif``: each text of the figure (tick labels included,
    which new ticks copy) gets the installed CJK fonts after its own families, and so
    does every text made while drawing.
    """
    found = installed_cjk_fonts()
    for text in fig.findobj(Text):
        family = list(text.get_fontfamily())
        if any(f not in family for f in found):
            text.set_fontfamily([*family, *(f for f in found if f not in family)])
    family = list(matplotlib.rcParams["font.family"])
    extended = [*family, *(f for f in found if f not in family)]
    with matplotlib.rc_context({"font.family": extended}), warnings.catch_warnings():
        if not found:  # said once below, not once per glyph
            warnings.filterwarnings("ignore", message=_MISSING_GLYPH, category=UserWarning)
        yield
    if not found and _cjk_texts(fig):
        _warn_once()
