"""Columnar per-contact records, compact while the simulation runs.

One row per *hop* (a contact's visit to one queue). Each column is an anonymous memory
map written through a typed memoryview while the run appends to it (8 bytes a float,
no Python objects); it becomes a numpy array, without copying, when the run ends.
"""

from __future__ import annotations

import math
import mmap
from enum import IntEnum
from typing import Any, Literal

import numpy as np

__all__ = [
    "NOT_OFFERED",
    "By",
    "ContactLog",
    "Outcome",
    "Row",
    "bot_finished",
    "escalated",
    "on_time",
]

NAN = math.nan

# A hop's row in the log, as the engine hands it from call to call: an int. Typed Any so
# that, compiled (mypyc), it stays the object open_hop returns: typed int it is a C
# value, and each column write, dict key and tuple it went into boxed it anew, an
# allocation for every row past 256 (four in a service's start alone).
Row = Any


class Outcome(IntEnum):
    """How a hop ended; every hop has exactly one.

    ``PENDING`` is never left in results; ``RESOLVED`` and ``UNRESOLVED`` were answered
    (by an agent, or a bot that finished it); ``ABANDONED`` gave up waiting;
    ``NOT_VISIBLE`` did not see the entry point, ``OVERFLOW`` was routed away past the
    queue-length threshold and ``CLOSED`` arrived when nobody was on duty (those three
    were never offered service); ``UNFINISHED`` was still waiting or in service when the
    run stopped. :meth:`sim.Results.contacts` names them in lower case.
    """

    PENDING = 0
    RESOLVED = 1
    UNRESOLVED = 2
    ABANDONED = 3
    NOT_VISIBLE = 4
    OVERFLOW = 5
    CLOSED = 6
    UNFINISHED = 7


# Hops the queue never offered service to: they count in arrivals, not in service level.
NOT_OFFERED = (Outcome.NOT_VISIBLE, Outcome.OVERFLOW, Outcome.CLOSED)


def escalated(outcome: np.ndarray, queue: np.ndarray, next_queue: np.ndarray) -> np.ndarray:
    """Which hops were routed on: a contact that abandons and tries the same queue again is not.

    Both the queue figures and the target figures count escalations this way.
    """
    retried = (outcome == Outcome.ABANDONED) & (next_queue == queue)
    return (next_queue >= 0) & ~retried


class By(IntEnum):
    """Who last handled a hop."""

    NONE = 0
    AGENT = 1
    BOT = 2


def on_time(answer: Any, arrive: Any, threshold: float) -> Any:
    """Which answers came by the moment they were due: ``answer <= arrive + threshold``.

    Compared at the due moment, not as a wait: an answer exactly on time (a bot replying
    in a constant 60 s) can be a hair over 60 s after its arrival in floating point,
    where ``arrive + 60`` rounds up, and is still on time. A missing answer (NaN) is not.
    Works on numpy arrays and pandas Series alike.
    """
    return answer <= arrive + threshold


def bot_finished(by: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Which hops the bot finished: resolved, or left unresolved and routed on.

    A hop the bot answered and handed to the agents keeps ``by`` BOT when no agent
    finishes it (the contact gives up waiting, or is still waiting at the end): the bot
    answered it, but did not finish it.
    """
    return (by == By.BOT) & ((outcome == Outcome.RESOLVED) | (outcome == Outcome.UNRESOLVED))


# The memoryview formats of the columns (a literal type: ``memoryview.cast`` takes no other).
Typecode = Literal["b", "h", "i", "d"]

# name: (array typecode, numpy dtype)
HOP_COLUMNS: dict[str, tuple[Typecode, type[np.generic]]] = {
    "contact": ("i", np.int32),
    "hop": ("b", np.int8),
    "queue": ("h", np.int16),
    "arrive": ("d", np.float64),
    "response": ("d", np.float64),
    "agent_start": ("d", np.float64),
    "end": ("d", np.float64),
    "service": ("d", np.float64),
    "outcome": ("b", np.int8),
    "by": ("b", np.int8),
    "next_queue": ("h", np.int16),
    # The agent who took the hop, numbered in the replication in the order agents first
    # come on shift (across queues and teams); -1 when no agent took it.
    "agent": ("i", np.int32),
}


_CHUNK = 4096  # rows given their default values at a time
# Defaults other than 0 (a new page reads 0). The float columns have none: which of their
# fields the run wrote follows from the others (see ContactLog.close). Written a chunk
# ahead, their NaNs were read back from memory long after, when the engine wrote the
# rows: without them a week of the joined platform missed the last level 4% less often
# on reads and 6% on writes (10.8 and 6.2 a visit; stop 31, count_instructions.py
# --cache), for the same instructions.
_DEFAULTS = {
    "next_queue": -1,
    "agent": -1,
}
# The working columns (see ContactLog): name: (memoryview format, numpy dtype, default).
_WORKING: dict[str, tuple[Typecode, type[np.generic], float]] = {
    "fate": ("b", np.int8, 0),
    "route_u": ("d", np.float64, 0.0),
    "retry_after": ("d", np.float64, NAN),
}


def _anonymous_map(size: int) -> mmap.mmap:
    # Private: a shared anonymous map cannot grow (its pages past the old end fault).
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
    return mmap.mmap(-1, size)  # Windows


class _Column:
    """One growing column in an anonymous memory map.

    Why not ``array.array``: a year of records grows each column hundreds of times, and
    the allocator leaves the old blocks behind as holes the process keeps (about a
    quarter of the run's memory). A map grows by doubling its reserved pages, in place
    where the system can (``mremap``), and hands them back when released; pages
    reserved but not yet written take no memory. ``view`` is the typed memoryview the
    engine writes through (storing a float into one costs a third of
    ``array.__setitem__``, which parses its argument like a function call).
    """

    def __init__(self, code: Typecode, dtype: type[np.generic], rows: int) -> None:
        self.code, self.dtype = code, dtype
        self.map = _anonymous_map(rows * np.dtype(dtype).itemsize)
        self.view = memoryview(self.map).cast(code)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows, keeping the contents."""
        size = rows * np.dtype(self.dtype).itemsize
        self.view.release()  # a map cannot be resized while a view of it exists
        try:
            self.map.resize(size)
        except (OSError, SystemError, TypeError):  # no mremap (not Linux): copy
            bigger = _anonymous_map(size)
            bigger.write(self.map)
            self.map.close()
            self.map = bigger
        self.view = memoryview(self.map).cast(self.code)

    def fill(self, start: int, stop: int, value: float) -> None:
        """Set rows ``start:stop`` to ``value`` (new pages read 0)."""
        if value:
            np.frombuffer(self.map, self.dtype, count=stop)[start:] = value

    def numpy(self, rows: int) -> np.ndarray:
        """The first ``rows`` rows as a numpy array sharing the map's memory."""
        self.view.release()
        return np.frombuffer(self.map, dtype=self.dtype, count=rows)


class ContactLog:
    """Append-only store of hops and contacts; the engine writes, metrics read.

    The integer columns whose default is not 0 are given it a chunk of rows ahead, so
    opening a hop writes only the fields known at arrival; the float columns read 0
    until written, and :meth:`close` makes the fields never written NaN. The engine
    reads and writes the columns as attributes (``log.arrive[rec]``), typed memoryviews
    of the columns.
    """

    # The columns' views, one per name of HOP_COLUMNS, set by _fill (each time a column
    # grows): declared for the type checker, which cannot see through its setattr.
    contact: memoryview[int]
    hop: memoryview[int]
    queue: memoryview[int]
    arrive: memoryview[float]
    response: memoryview[float]
    agent_start: memoryview[float]
    end: memoryview[float]
    service: memoryview[float]
    outcome: memoryview[int]
    by: memoryview[int]
    next_queue: memoryview[int]
    agent: memoryview[int]
    # The working columns' views (see _WORKING), made when needed.
    fate: memoryview[int]
    route_u: memoryview[float]
    retry_after: memoryview[float]

    def __init__(self) -> None:
        self._columns = {
            name: _Column(code, dtype, _CHUNK) for name, (code, dtype) in HOP_COLUMNS.items()
        }
        # Working columns, not exported, in maps as the records are: a growing array is
        # copied whole each time it outgrows its block (a week of the platform: 11 MB
        # through realloc, more the longer the run; stop 30). ``fate``: 1 if an
        # agent's answer would not resolve the hop. The others hold a hop's later
        # decisions, drawn on arrival and kept until taken, and are made only when a
        # queue needs them (see route_draws, retry_delays).
        self._working = {"fate": _Column("b", np.int8, _CHUNK)}
        self._rows = 0
        # Rows pending when in_flight last looked, and how many rows it looked at.
        self._pending: np.ndarray = np.empty(0, dtype=np.intp)
        self._checked = 0
        self._filled = 0  # rows given their defaults so far
        self._capacity = _CHUNK  # rows reserved
        self._contacts = 0
        # Contacts between two hops (a delayed route or a retrial on its way), by a key
        # of the sender's choosing: (destination, contact, hop, when it arrives).
        self.transit: dict[int, tuple[int, int, int, float]] = {}
        self._fill()

    def _fill(self) -> None:
        """Give the next chunk of rows their defaults, reserving more room first if needed."""
        start, stop = self._filled, self._filled + _CHUNK
        if stop > self._capacity:
            self._capacity *= 2
            for column in [*self._columns.values(), *self._working.values()]:
                column.reserve(self._capacity)
        for name, column in self._columns.items():
            column.fill(start, stop, _DEFAULTS.get(name, 0))
            setattr(self, name, column.view)
        for name, column in self._working.items():
            column.fill(start, stop, _WORKING[name][2])
            setattr(self, name, column.view)
        self._filled = stop

    def route_draws(self) -> None:
        """Make the working column ``route_u``: the uniform draw that chooses a hop's route.

        Drawn on arrival, so that which contacts leave by which route does not depend on
        the order they leave in (common random numbers). Read and written as
        ``log.route_u[rec]``, as the record columns are.
        """
        self._work("route_u")

    def retry_delays(self) -> None:
        """Make the working column ``retry_after``: when each hop would try again (or NaN).

        A hop that would not try again after giving up reads NaN. Decided and drawn on
        arrival, as :meth:`route_draws`.
        """
        self._work("retry_after")

    def _work(self, name: str) -> None:
        if name not in self._working:
            code, dtype, default = _WORKING[name]
            column = _Column(code, dtype, self._capacity)
            column.fill(0, self._filled, default)
            self._working[name] = column
            setattr(self, name, column.view)

    def open_hop(self, contact: int, hop: int, queue: int, now: float) -> Row:
        """Start a hop at ``queue``; return the row index.

        ``contact`` -1 is a new contact entering the system: it gets the next number.
        """
        rows = self._rows
        if rows == self._filled:
            self._fill()
        self._rows = rows + 1
        row: Row = rows  # boxed once, compiled (see Row)
        if contact < 0:
            contact = self._contacts
            self._contacts = contact + 1
        else:
            self.hop[row] = hop  # a new contact's first hop keeps the column's 0
        self.contact[row] = contact
        self.queue[row] = queue
        self.arrive[row] = now
        return row

    def in_flight(self) -> int:
        """Hops not finished yet, and contacts on their way to their next hop."""
        # A hop's outcome is set once: each call looks again only at the rows pending at
        # the last call and at the rows opened since (the drain's hourly check used to
        # scan the whole log, a twentieth of a quarter's run).
        outcome = np.frombuffer(self._columns["outcome"].map, np.int8, self._rows)
        pending = np.int8(Outcome.PENDING)
        still = self._pending[outcome[self._pending] == pending]
        new: np.ndarray = self._checked + np.flatnonzero(outcome[self._checked :] == pending)
        self._pending, self._checked = np.concatenate((still, new)), self._rows
        return len(self._pending) + len(self.transit)

    def land_transit(self) -> None:
        """Open the next hop of every contact still on its way, at the time it was due.

        Called when the run stops: those hops stay unfinished, so each hop sent on is
        followed by one, and a contact cut off on its way counts as unfinished.
        """
        for dest, contact, hop, due in sorted(self.transit.values(), key=lambda t: t[3]):
            self.open_hop(contact, hop, dest, due)
        self.transit.clear()

    def close(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Mark hops still in flight as unfinished and return numpy views of all columns.

        ``response``, ``by`` and ``end`` are completed here from ``agent_start``,
        ``agent`` and ``service`` (the engine leaves them to this step when an agent
        answers, and when an agent resolves the hop), and the float fields the run did
        not write (they read 0) become NaN: ``agent_start`` is written with ``agent``,
        ``response`` (a bot's answer) with ``by``, ``end`` whenever a hop ends but when
        an agent resolves it. ``service`` keeps the handle time only for hops an agent
        took. Per-contact columns come from first hops: contacts are numbered as they
        enter, so first hops in row order are in contact order.
        """
        n = self._rows
        for name in self._working:  # the run is over: their memory can go now
            # An empty view, not delattr: compiled (mypyc), the class cannot delete these.
            setattr(self, name, memoryview(b""))
        self._working.clear()
        hops = {name: column.numpy(n) for name, column in self._columns.items()}
        # In place: the views share the columns' memory, and the log is done with them.
        # (copyto with where, and take: a quarter faster than assigning through masks)
        # The float columns were not given defaults ahead (see _DEFAULTS): a field the
        # run did not write reads 0, and which ones it wrote follows from the others.
        start, agent, by, outcome = hops["agent_start"], hops["agent"], hops["by"], hops["outcome"]
        unserved = agent < 0  # an agent's start is written with the agent, and only then
        np.copyto(start, NAN, where=unserved)
        # The first response is the bot's when a bot answered first (the bot writes it
        # with ``by``), else the agent's.
        np.copyto(hops["response"], start, where=by != By.BOT)
        pending = outcome == Outcome.PENDING
        # An agent handled a hop last when it took the hop and finished with it (set
        # here rather than at every service end, which is the hot path).
        np.copyto(by, By.AGENT, where=~unserved & ~pending)
        np.copyto(outcome, Outcome.UNFINISHED, where=pending)
        # Every hop that ended has its end written, but the ones an agent resolved: they
        # end when their service does, start plus handle time, the sum SimPy's clock took.
        resolved = outcome == Outcome.RESOLVED
        resolved &= ~unserved
        np.add(start, hops["service"], out=hops["end"], where=resolved)
        np.copyto(hops["end"], NAN, where=pending)
        np.copyto(hops["service"], NAN, where=unserved)
        first = np.flatnonzero(hops["hop"] == 0)
        contacts: dict[str, np.ndarray] = {
            "entered": hops["arrive"].take(first),
            "entry_queue": hops["queue"].take(first),
        }
        return hops, contacts
