"""The line each field of a YAML file is written on, so an error can say where.

:class:`Recorder` is fed the parser's events (the limits' one pass in
:mod:`sim.yamlfile` already walks them) and notes, by dotted field path, the line of
each mapping key and of each list item: ``queues.live_peak.patience``,
``queues.live_peak.staff.1``. Nothing is expanded: an alias is noted as a pointer to
its anchor, so an alias bomb costs one entry per alias written.

:meth:`Lines.line` answers for a problem's path: the line of the field, read through
aliases to where it is written under the anchor; or, for a field that is not written (a
missing required field), the line of its nearest written parent. A path into a member
of a joined collection that the file does not write (an included queue) has none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import yaml

from sim.errors import ScenarioError

__all__ = ["Lines", "Recorder", "placed", "related"]

# Collections of members (and lists of entries) a joined scenario fills from included
# files too: a path into a member the file does not write is not shown at the
# collection's line, which would send the reader to a place without it.
_JOINED = frozenset({"queues", "teams", "targets", "calibrated"})


class Lines:
    """Where each field of one file is written: ``path -> line`` (1-based).

    Attributes:
        at: the line of each mapping key, by its dotted path.
        items: the lines of a list's items, by the list's path.
        aliases: the path of the anchored node each alias written at a path refers to.
    """

    def __init__(self) -> None:
        self.at: dict[str, int] = {}
        self.items: dict[str, list[int]] = {}
        self.aliases: dict[str, str] = {}

    def line(self, path: str) -> int | None:
        """The line ``path`` is written on, or else its nearest written parent's.

        A parent is where its value is written: for one whose value is an alias, the
        anchor's line (a field missing from an aliased mapping is added there). None for
        the whole document (``""``), a path with no written parent, and a path whose
        nearest written parent is a joined collection (``queues``, ``targets``): the file
        does not write that member, an included file does.
        """
        line = self._written(path)
        while line is None and "." in path:
            path = path[: path.rfind(".")]
            if path in _JOINED:
                return None
            line = self._written(self.aliases.get(path, path))
        return line

    def _written(self, path: str) -> int | None:
        """The line the node at ``path`` is written on, read through aliases.

        Each step through an alias consumes at least one part of ``path``, which is
        nested at most :data:`sim.yamlfile.MAX_DEPTH` deep: the recursion is bounded.
        """
        line = self._recorded(path)
        if line is not None:
            return line
        cut = len(path)
        while (cut := path.rfind(".", 0, cut)) > 0:
            head, rest = path[:cut], path[cut:]
            if head in self.aliases:
                return self._written(self.aliases[head] + rest)
            if self._recorded(head) is not None:
                return None  # written here, without ``rest`` in it
        return None

    def _recorded(self, path: str) -> int | None:
        """The line of the key or list item recorded at exactly ``path``."""
        line = self.at.get(path)
        if line is None:
            head, _, last = path.rpartition(".")
            items = self.items.get(head)
            if items is not None and last.isdigit() and int(last) < len(items):
                return items[int(last)]
        return line

    def of(self, problems: Iterable[tuple[str, str]], skip: Sequence[str] = ()) -> dict[str, int]:
        """The lines of the problems' paths that have one.

        ``skip`` holds paths the file does not decide (set by ``--set``): a problem at,
        under or above one of them has no line.
        """
        found = {}
        for path, _ in problems:
            if path and not any(related(path, other) for other in skip):
                line = self.line(path)
                if line is not None:
                    found[path] = line
        return found


@contextlib.contextmanager
def placed(source: str, lines: Lines, skip: Sequence[str] = ()) -> Iterator[None]:
    """Give a :class:`ScenarioError` about ``source`` raised inside its problems' lines.

    An error about another file (an included one, placed by its own reading) or one
    already placed goes on as it is. ``skip``: see :meth:`Lines.of`.
    """
    try:
        yield
    except ScenarioError as exc:
        if exc.source == source and not exc.lines:
            exc.place(lines.of(exc.problems, skip))
        raise


def related(path: str, other: str) -> bool:
    """Whether one dotted path is the other or lies under it."""
    short, long = sorted((path, other), key=len)
    return long == short or long.startswith(f"{short}.")


# The state of a mapping whose key is not a plain value (see :class:`Recorder`).
_NO_KEY: Any = object()


class Recorder:
    """Builds :class:`Lines` from parser events, one :meth:`event` call each.

    The open collections are a stack of frames ``[prefix, state, items]``. A list's
    state is the number of its next item, and ``items`` the list of its items' lines
    (long lists of numbers are common: an item costs an append, not a path). A
    mapping's state is ``None`` while a key is expected, then the key awaiting its
    value, or :data:`_NO_KEY` for a key that is not a plain value (a collection or an
    alias: never a field). Nothing inside such a key or its value is recorded: their
    frames' prefix is ``None``.
    """

    def __init__(self) -> None:
        self.lines = Lines()
        self._frames: list[list[Any]] = []
        self._anchors: dict[str, str] = {}

    def event(self, event: yaml.Event) -> None:
        """Note the place of one event's node."""
        kind = type(event)
        if kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            self._frames.pop()
            return
        if isinstance(event, yaml.ScalarEvent) and self._plain_item(event):
            return
        if not isinstance(event, yaml.NodeEvent):
            return  # stream and document events
        path = self._place(event)
        if isinstance(event, yaml.AliasEvent):  # its anchor is the one it refers to
            anchor = self._anchors.get(event.anchor or "")
            if path is not None and anchor is not None:
                self.lines.aliases[path] = anchor
            return
        if path and event.anchor is not None:
            self._anchors[event.anchor] = path
        if kind is yaml.MappingStartEvent:
            self._frames.append([_prefix(path), None, None])
        elif kind is yaml.SequenceStartEvent:
            items: list[int] | None = None
            if path is not None:
                items = self.lines.items[path] = []
            self._frames.append([_prefix(path), 0, items])

    def _plain_item(self, event: yaml.ScalarEvent) -> bool:
        """Record a list's item that is a value without an anchor (the bulk of long lists).

        The fast path of :meth:`event`: False for any other scalar.
        """
        if event.anchor is not None or not self._frames:
            return False
        frame = self._frames[-1]
        if type(frame[1]) is not int:
            return False
        frame[1] += 1
        if frame[2] is not None:
            frame[2].append(_number(event))
        return True

    def _place(self, event: yaml.NodeEvent) -> str | None:
        """This node's dotted path (``""``: the document) after recording its line.

        None for a mapping key (its line is recorded as its value's path) and for
        anything inside a key that is not a plain value.
        """
        if not self._frames:
            return ""
        frame = self._frames[-1]
        prefix, state, items = frame
        if state is None:  # a key
            key = event.value if isinstance(event, yaml.ScalarEvent) else _NO_KEY
            frame[1] = key
            if prefix is not None and key is not _NO_KEY:
                self.lines.at[prefix + key] = _number(event)
            return None
        if isinstance(state, int):  # a list item
            frame[1] = state + 1
            if items is None:
                return None
            items.append(_number(event))
            return f"{prefix}{state}"
        frame[1] = None  # the value of a key
        return None if prefix is None or state is _NO_KEY else prefix + state


def _number(event: yaml.Event) -> int:
    """The 1-based line an event starts on (the parser gives every event its mark)."""
    return event.start_mark.line + 1  # type: ignore[union-attr]


def _prefix(path: str | None) -> str | None:
    """What the paths of a collection's members start with."""
    return None if path is None else f"{path}." if path else ""
