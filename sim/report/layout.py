"""Laying a terminal table out in a width: CJK-aware padding, wrapped cells and headers.

:func:`fit` keeps a table within the terminal (or 120 columns): a header longer than
its column's figures wraps onto more lines first; when that is not enough, the figure
columns go into several blocks one under the other, each repeating the label columns,
so that no figure is lost or cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence

__all__ = ["MAX_WIDTH", "fit", "grid", "text_width", "wrapped_blocks"]


def text_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK characters two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _pad(text: str, size: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``size`` terminal columns.

    ``str.ljust`` counts characters, which misaligns a row holding a Chinese queue name.
    """
    fill = " " * max(size - text_width(text), 0)
    return fill + text if right else text + fill


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A fixed-width table; the first ``left`` columns are left-aligned."""
    widths = [max(text_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _pad(c, w, right=i >= left) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


# Terminal tables stay this narrow: long cells wrap onto more lines instead.
MAX_WIDTH = 120
_MIN_WRAPPED = 12


def _words(cell: str) -> list[str]:
    """A cell's words: split at spaces and after each ``+``, separators kept."""
    return re.findall(r"[^ +]*[ +]?", cell)[:-1] or [""]


# Where a word too long for its line may break: after these first, then after these.
_CUT_TIERS = ("./,", "_")


def _subwords(word: str, width: int, tiers: tuple[str, ...] = _CUT_TIERS) -> list[str]:
    """A word longer than ``width`` cut after ``.``, ``/`` or ``,``, then ``_``, then anywhere."""
    if len(word.rstrip()) <= width:
        return [word]
    if not tiers:
        return [word[i : i + width] for i in range(0, len(word), width)]
    cut = re.escape(tiers[0])
    parts = re.findall(rf"[^{cut}]*[{cut}]?", word)[:-1]
    return _joined([piece for part in parts for piece in _subwords(part, width, tiers[1:])], width)


def _joined(pieces: list[str], width: int) -> list[str]:
    """Consecutive pieces put back together as long as they fit in ``width``."""
    out = [""]
    for piece in pieces:
        if out[-1] and len(out[-1] + piece.rstrip()) > width:
            out.append("")
        out[-1] += piece
    return out


def _pieces(cell: str, width: int) -> list[str]:
    """A cell as lines of at most ``width``: broken at spaces and after ``+``.

    A word too long for a line (a long id, a queue name) is broken after a dot, a slash
    or a comma, then after an underscore, and only as a last resort mid-name.
    """
    pieces = [piece for word in _words(cell) for piece in _subwords(word, width)]
    return [line.strip() for line in _joined(pieces, width)]


def _floor(cells: Sequence[str]) -> int:
    """How narrow a column can get without breaking a word (at least ``_MIN_WRAPPED``)."""
    return max(_MIN_WRAPPED, *(len(w.rstrip()) for c in cells for w in _words(c)))


def wrapped_blocks(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    wrap: Collection[int] = (),
    width: int = MAX_WIDTH,
) -> tuple[list[str], list[list[str]]]:
    """A fixed-width table at most ``width`` wide: the ``wrap`` columns wrap if needed.

    The widest wrappable column is narrowed first, down to its longest word while another
    column can still give way, then down to ``_MIN_WRAPPED``; a row whose cells wrap
    takes several lines, its other cells on the first. Returns the header's lines and
    rule, then each row's lines (so that a caller can put lines between rows).
    """
    columns = [[r[i] for r in [header, *rows]] for i in range(len(header))]
    widths = [max(map(text_width, c)) for c in columns]
    floors = {i: min(widths[i], _floor(columns[i])) for i in wrap}
    for floor in (floors.__getitem__, lambda _: _MIN_WRAPPED):
        while sum(widths) + 2 * (len(widths) - 1) > width:
            candidates = [i for i in wrap if widths[i] > floor(i)]
            if not candidates:
                break
            widths[max(candidates, key=lambda i: widths[i])] -= 1

    def lines(cells: Sequence[str]) -> list[str]:
        parts = [
            _pieces(c, w) if i in wrap else [c]
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        out = []
        for k in range(max(map(len, parts))):
            texts = [p[k] if k < len(p) else "" for p in parts]
            out.append(
                "  ".join(
                    _pad(t, w, right=i in right)
                    for i, (t, w) in enumerate(zip(texts, widths, strict=True))
                ).rstrip()
            )
        return out

    rule = "  ".join("-" * w for w in widths)
    return [*lines(header), rule], [lines(row) for row in rows]


_GAP = 2  # spaces between columns
# A wrapped header keeps at least this many columns a line (fewer reads as noise).
_MIN_HEADER = 10


def _line_width(widths: Sequence[int]) -> int:
    return sum(widths) + _GAP * (len(widths) - 1)


def _widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[int]]:
    """Each column's width, headers wrapped as far as needed, and the narrowest it may get."""
    body = [max((text_width(r[i]) for r in rows), default=0) for i in range(len(header))]
    widths = [max(b, text_width(h)) for b, h in zip(body, header, strict=True)]
    floors = [max(b, min(text_width(h), _MIN_HEADER)) for b, h in zip(body, header, strict=True)]
    while _line_width(widths) > width:
        shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=widths.__getitem__)] -= 1
    return widths, floors


def _block(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: int, width: int, rule: bool
) -> list[str]:
    """One fixed-width block; a header longer than its figures wraps (bottom-aligned)."""
    widths, _ = _widths(header, rows, width)
    heads = [
        _pieces(h, w) if text_width(h) > w else [h] for h, w in zip(header, widths, strict=True)
    ]
    # A wrapped header may come out narrower than it was allowed: the column closes up.
    widths = [
        max([text_width(c) for c in h] + [text_width(r[i]) for r in rows])
        for i, h in enumerate(heads)
    ]
    depth = max(map(len, heads))

    def line(cells: Sequence[str]) -> str:
        padded = (
            _pad(c, w, right=i >= left) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return (" " * _GAP).join(padded).rstrip()

    lines = [line([([""] * (depth - len(h)) + h)[k] for h in heads]) for k in range(depth)]
    if rule:
        lines.append(line(["-" * w for w in widths]))
    return lines + [line(r) for r in rows]


def _split(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: int, width: int
) -> list[list[int]]:
    """The figure columns in the fewest blocks that fit ``width``, as even as can be."""
    _, floors = _widths(header, rows, 0)
    labels = _line_width(floors[:left])

    def greedy(room: int) -> list[list[int]]:
        blocks: list[list[int]] = [[]]
        used = labels
        for j in range(left, len(header)):
            if blocks[-1] and used + _GAP + floors[j] > room:
                blocks.append([])
                used = labels
            blocks[-1].append(j)
            used += _GAP + floors[j]
        return blocks

    fewest = len(greedy(width))
    return next(greedy(room) for room in range(labels, width + 1) if len(greedy(room)) <= fewest)


def fit(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: int = 1,
    width: int = MAX_WIDTH,
    rule: bool = False,
) -> str:
    """A fixed-width table at most ``width`` columns wide, every cell whole.

    A table that fits is :func:`grid`'s (``rule``: a dashed line under the header).
    Otherwise headers longer than their column's figures wrap onto more lines; if that is
    not enough, the figure columns are split into blocks separated by a blank line, each
    led by the ``left`` label columns. A block still wider than ``width`` (one figure
    column beside very long labels) is printed whole: a figure is never cut.
    """
    lines = _block(header, rows, left, width, rule)
    if max(map(text_width, lines)) <= width or len(header) <= left + 1:
        return "\n".join(lines)
    blocks = []
    for columns in _split(header, rows, left, width):
        keep = [*range(left), *columns]
        part = [[r[i] for i in keep] for r in rows]
        blocks.append("\n".join(_block([header[i] for i in keep], part, left, width, rule)))
    return "\n\n".join(blocks)
