"""SimPy's ``Environment`` with its schedule kept as a heap of times and a dict of calls.

SimPy keeps every pending event as a ``(time, priority, id, event)`` tuple in one heap:
each event builds a tuple and takes an id, and every comparison in the heap compares
tuples. Here the heap holds the times alone, and a dict gives the entry due at each
time: a call, a tuple whose first item is called with the tuple. A SimPy event is
scheduled as a call that processes it (SimPy's ``step``, unchanged); the engine's
frequent events (service ends, patience timers, bot answers, delayed routes) are
scheduled as bare calls (:meth:`Environment.call_at`), which build no event. Two or
more entries due at one instant (or one of another priority than NORMAL) share a small
heap of ``(priority, id, entry)``, which orders them as SimPy orders events, a call
standing where a NORMAL timeout scheduled at the same moment would. The order is
SimPy's to the event, so every record is the same; what changes is the cost of keeping
the schedule.

Calls whose times are known before the run (the arrivals from outside, sampled up
front) need no schedule at all: they are fed in time order (:meth:`Environment.feed`),
and the run takes the next of them whenever it comes before the next scheduled entry,
after every entry of its instant (as SimPy orders an event of a priority after
NORMAL). About four events in ten are arrivals (the joined platform); each of them fed
rather than scheduled saves a heap push and pop and two dict lookups.

It overrides the three methods SimPy's ``Environment`` keeps its schedule in
(``schedule``, ``peek`` and ``step``), as SimPy's own ``RealtimeEnvironment`` overrides
``step``, and ``run``, whose loop steps through the entries without a method call for
each: events, timeouts and processes are SimPy's, unchanged.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from itertools import count
from math import inf
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

if TYPE_CHECKING:
    from simpy.core import SimTime

__all__ = ["Call", "Environment", "chained"]

# Final: compiled (mypyc), a static, where a name imported from heapq is looked up in the
# module's dict at every call (3.5-5% of a platform replication, with the constants below).
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop

# A scheduled call (see Environment.call_at): a tuple whose first item is called with the
# tuple itself, so that the callable and its data travel as one object.
Call = tuple[Any, ...]


def chained(times: np.ndarray) -> np.ndarray:
    """The clock's times at increasing ``times`` (from 0), reached by a chain of timeouts.

    A process that waits ``t - now`` for each t in turn wakes at ``now + (t - now)``, which
    may differ from t in the last bit, and every later sum starts from that. The sum is
    exactly t whenever ``now >= t / 2`` (Sterbenz: ``t - now`` is then exact), so only
    the times more than 1.5 times their predecessor are summed one by one: a few at the
    start of a run.
    """
    clock = np.array(times, dtype=float)  # a copy
    jumps: list[int] = (np.flatnonzero(clock[1:] > 1.5 * clock[:-1]) + 1).tolist()
    for k in jumps:
        now = float(clock[k - 1])
        clock[k] = now + (float(times[k]) - now)
    return clock


# The fed call after the last: never. A tuple of any length to the compiler: mypyc keeps a
# fixed-length one as C values, and built it anew (a float and a tuple) as the default
# of every next() in the loop, once per arrival.
_NOTHING_FED: Final[tuple[Any, ...]] = (inf, None)


class Environment(simpy.Environment):
    """A SimPy environment whose schedule is a heap of floats: the same order of events.

    Every entry of the schedule is a call (see :meth:`call_at`): a SimPy event is
    scheduled as a call that processes it, and two or more entries due at one instant as
    a call that takes the first of them.
    """

    def __init__(self, initial_time: SimTime = 0) -> None:
        super().__init__(initial_time)
        self._times: list[SimTime] = []
        self._due: dict[SimTime, Call] = {}
        self._ids = count()  # only entries sharing an instant need one
        # Bound once: an entry's callable is compared by identity (see _tie).
        self._process: Callable[[Call], None] = self._process_event
        self._take_tied: Callable[[Call], None] = self._next_tied
        # The fed calls (see feed): the next one's time and call (_NOTHING_FED: none), and
        # the others' in order.
        self._fed_next: tuple[SimTime, Callable[[SimTime], object] | None] = _NOTHING_FED
        self._fed: Iterator[tuple[SimTime, Callable[[SimTime], object]]] = iter(())

    def feed(self, times: Iterable[float], calls: Iterable[Callable[[float], object]]) -> None:
        """Call ``call(at)`` at each ``at`` of ``times``, after the entries scheduled then.

        For calls whose times are all known before the run (the arrivals from outside):
        ``times`` in increasing order, not before ``now``, and ``calls`` beside them. They
        are not scheduled one by one: the run takes the next of them whenever it comes
        before the next scheduled entry, so they cost no heap and no dict. At an instant
        that also has scheduled entries (including any scheduled at that instant meanwhile)
        a fed call comes after them. Feed before running: a run takes the calls fed when
        it starts.

        Raises:
            RuntimeError: an earlier feed has calls left.
        """
        if self._fed_next[0] < inf:
            raise RuntimeError("an earlier feed has calls left: feed the calls together")
        self._fed = zip(times, calls, strict=True)
        self._fed_next = next(self._fed, _NOTHING_FED)

    def schedule(
        self, event: simpy.Event, priority: EventPriority = NORMAL, delay: SimTime = 0
    ) -> None:
        """Schedule ``event`` with ``priority`` after ``delay``: SimPy's ``schedule``."""
        at = self._now + delay
        entry: Call = (self._process, event)
        # The common case: a NORMAL event, alone at its instant. (An event scheduled twice
        # at one instant fails in SimPy as here: its callbacks are gone the second time.)
        if priority is NORMAL and self._due.setdefault(at, entry) is entry:
            _heappush(self._times, at)
            return
        self._tie(at, priority, entry)

    def call_at(self, at: SimTime, entry: Call) -> None:
        """Call ``entry[0](entry)`` at time ``at``, in the order of an event scheduled now.

        A call is ordered as a NORMAL timeout scheduled at this moment would be (SimPy's
        order), but it is no event: nothing waits for it and nothing is built for it
        beyond the caller's tuple, which carries the callable and its data. ``at`` is an
        absolute time, not before ``now``: the caller's ``now + delay``, the sum SimPy's
        ``schedule`` takes. The engine's frequent events (service ends, patience timers,
        bot answers, delayed routes) are calls: an event's state, callbacks and checks
        cost more than the work some of them do. (Its arrivals from outside are fed:
        see :meth:`feed`.)
        """
        if self._due.setdefault(at, entry) is entry:
            _heappush(self._times, at)
            return
        self._tie(at, NORMAL, entry)

    def parts(self) -> tuple[list[SimTime], Callable[[SimTime, Call], Call], Callable[..., None]]:
        """:meth:`call_at`'s parts, for a caller that writes it out on its hot path.

        Returns ``(times, setdefault, tie)``, with which ``call_at(at, entry)`` is::

            if setdefault(at, entry) is entry:
                heappush(times, at)
            else:
                tie(at, NORMAL, entry)

        The engine's nodes schedule this way: a Python call costs more than the work
        :meth:`call_at` does, and they schedule one or two calls a visit.
        """
        return self._times, self._due.setdefault, self._tie

    def _tie(self, at: SimTime, priority: EventPriority, entry: Call) -> None:
        """Add ``entry`` to the instant ``at``, which may already hold one or more entries.

        The entries of one instant wait in a heap of ``(priority, id, entry)``: SimPy's
        order, an entry scheduled earlier having the lower id.
        """
        due = self._due
        held = due.get(at)
        if held is None:
            tied: list[tuple[EventPriority, int, Call]] = []
            due[at] = (self._take_tied, tied)
            _heappush(self._times, at)
        elif held[0] is self._take_tied:
            tied = held[1]
        else:
            # The one entry due then was scheduled first: it keeps the lower id.
            tied = [(NORMAL, next(self._ids), held)]
            due[at] = (self._take_tied, tied)
        _heappush(tied, (priority, next(self._ids), entry))

    def _next_tied(self, entry: Call) -> None:
        """Take the first of the entries due now; the others stay on the schedule."""
        tied = entry[1]
        first = _heappop(tied)[2]
        if tied:
            self._due[self._now] = entry
            _heappush(self._times, self._now)
        first[0](first)

    def _process_event(self, entry: Call) -> None:
        """Process a SimPy event: SimPy's ``Environment.step`` after the pop, unchanged."""
        event: simpy.Event = entry[1]
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            # run(until=...) stops here: the event's other callbacks stay due, so that a
            # later run processes them as SimPy's would.
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def peek(self) -> SimTime:
        """The time of the next scheduled event or fed call; ``inf`` if there is none."""
        at = self._times[0] if self._times else inf
        return min(at, self._fed_next[0])

    def step(self) -> None:
        """Process the next event: SimPy's ``step`` on this schedule.

        Raises:
            EmptySchedule: no event is scheduled.
        """
        times = self._times
        at, call = self._fed_next
        if times and times[0] <= at:
            at = _heappop(times)
            entry = self._due.pop(at)
            self._now = at
            entry[0](entry)
        elif call is not None:
            self._now = at
            self._fed_next = next(self._fed, _NOTHING_FED)
            call(at)
        else:
            raise EmptySchedule

    def run(self, until: SimTime | simpy.Event | None = None) -> object:
        """Process events until ``until``: SimPy's ``run``, stepping without a call per event.

        Returns:
            The ``until`` event's value, if one was given; else ``None``.
        """
        if until is not None:
            if not isinstance(until, simpy.Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(
                        f"until ({at}) must be greater than the current simulation time"
                    )
                until = simpy.Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        try:
            self._loop()
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            if until is not None:
                msg = f'No scheduled events left but "until" event was not triggered: {until}'
                raise RuntimeError(msg) from None
        return None

    def _loop(self) -> None:
        """Process events until an exception ends the run: :meth:`step` in a loop."""
        times, pop_due, fed = self._times, self._due.pop, self._fed
        fed_at, fed_call = self._fed_next
        while True:
            if times and times[0] <= fed_at:
                at = _heappop(times)
                entry = pop_due(at)
                self._now = at
                entry[0](entry)
            elif fed_call is not None:
                self._now = at = fed_at
                call = fed_call
                # Kept on the environment too, for peek and for the next run or step.
                self._fed_next = fed_at, fed_call = next(fed, _NOTHING_FED)
                call(at)
            else:
                raise EmptySchedule
