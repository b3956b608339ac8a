r"""Names drawn as written: no mathtext in the texts of a figure.

matplotlib renders the text between two ``$`` as mathtext: a scenario named
``Fee $1 or $2`` drew ``1 or`` in math italics, and ``$\x$`` (or any text mathtext
cannot parse) stopped the drawing with a ``ValueError``. Names, labels and values come
from users, so every text of a figure is drawn as written; only the numbers that an
axis' number formatter writes (``10^{-2}`` on a logarithmic axis) stay mathtext.
"""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter, LogFormatter, ScalarFormatter

__all__ = ["draw_as_written"]

# Formatters that write numbers (mathtext only for exponents); any other writes labels
# it was given (set_xticks(..., labels)), which may hold a '$'.
_NUMBER_FORMATTERS = (ScalarFormatter, LogFormatter)


def _number_texts(axis: Axis) -> Iterator[Text]:
    """The texts of ``axis`` that its number formatters write: tick labels and offset."""
    yield axis.offsetText
    for ticks, formatter, locs in (
        (axis.get_major_ticks, axis.get_major_formatter(), axis.get_majorticklocs()),
        (axis.get_minor_ticks, axis.get_minor_formatter(), axis.get_minorticklocs()),
    ):
        if _writes_numbers(formatter):
            # As many ticks as the drawing uses: made now, so that none is made later.
            for tick in ticks(len(locs)):
                yield from (tick.label1, tick.label2)


def _writes_numbers(formatter: Formatter) -> bool:
    return isinstance(formatter, _NUMBER_FORMATTERS)


def draw_as_written(fig: Figure) -> None:
    """Turn mathtext off in every text of ``fig`` but the numbers its axes write.

    Safe to call before every drawing (a notebook draws a figure again).
    """
    numbers = {id(text) for axis in fig.findobj(Axis) for text in _number_texts(axis)}
    for text in fig.findobj(Text):
        if id(text) not in numbers:
            text.set_parse_math(False)
