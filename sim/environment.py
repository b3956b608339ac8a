"""SimPy's ``Environment`` with its schedule kept as a heap of times and a dict of events.

SimPy keeps every pending event as a ``(time, priority, id, event)`` tuple in one heap:
each event builds a tuple and takes an id, and every comparison in the heap compares
tuples. Here the heap holds the times alone, and a dict gives the event due at each
time. Two or more events due at one instant (or one of another priority than NORMAL)
share a small heap of ``(priority, id, event)``, which orders them as SimPy does. The
order of events is SimPy's to the event, so every record is the same; what changes is
the cost of keeping the schedule.

It overrides the three methods SimPy's ``Environment`` keeps its schedule in
(``schedule``, ``peek`` and ``step``), as SimPy's own ``RealtimeEnvironment`` overrides
``step``, and ``run``, whose loop steps through the events without a method call for
each: events, timeouts and processes are SimPy's, unchanged.
"""

from __future__ import annotations

from heapq import heappop, heappush
from itertools import count
from typing import TYPE_CHECKING

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

if TYPE_CHECKING:
    from simpy.core import SimTime

__all__ = ["Environment"]


class _Tied(list[tuple[EventPriority, int, simpy.Event]]):
    """Events due at one instant, as a heap of ``(priority, id, event)``: SimPy's order."""

    __slots__ = ()


class Environment(simpy.Environment):
    """A SimPy environment whose schedule is a heap of floats: the same order of events."""

    def __init__(self, initial_time: SimTime = 0) -> None:
        super().__init__(initial_time)
        self._times: list[SimTime] = []
        self._due: dict[SimTime, simpy.Event | _Tied] = {}
        self._ids = count()  # only events sharing an instant need one

    def schedule(
        self, event: simpy.Event, priority: EventPriority = NORMAL, delay: SimTime = 0
    ) -> None:
        """Schedule ``event`` with ``priority`` after ``delay``: SimPy's ``schedule``."""
        at = self._now + delay
        due = self._due
        # The common case: a NORMAL event, alone at its instant. (An event scheduled twice
        # at one instant fails in SimPy as here: its callbacks are gone the second time.)
        if priority is NORMAL and due.setdefault(at, event) is event:
            heappush(self._times, at)
            return
        entry = due.get(at)
        if entry is None:
            tied = due[at] = _Tied()
            heappush(self._times, at)
        elif isinstance(entry, _Tied):
            tied = entry
        else:
            # The one event due then was scheduled first: it keeps the lower id.
            tied = due[at] = _Tied([(NORMAL, next(self._ids), entry)])
        heappush(tied, (priority, next(self._ids), event))

    def peek(self) -> SimTime:
        """The time of the next scheduled event; ``Infinity`` if there is none."""
        return self._times[0] if self._times else Infinity

    def step(self) -> None:
        """Process the next event: SimPy's ``step`` on this schedule.

        Raises:
            EmptySchedule: no event is scheduled.
        """
        self._steps(1)

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
            self._steps(-1)
        except StopSimulation as exc:
            return exc.args[0]
        except EmptySchedule:
            if until is not None:
                msg = f'No scheduled events left but "until" event was not triggered: {until}'
                raise RuntimeError(msg) from None
        return None

    def _steps(self, n: int) -> None:
        """Process ``n`` events (a negative ``n``: until an exception ends the run)."""
        times, due = self._times, self._due
        while n:
            n -= 1
            try:
                at = heappop(times)
            except IndexError:
                raise EmptySchedule from None
            event: simpy.Event = due.pop(at)  # type: ignore[assignment] # or a _Tied (rare)
            if event.__class__ is _Tied:
                tied: _Tied = event
                event = heappop(tied)[2]
                if tied:  # more are due at this instant: they stay on the schedule
                    due[at] = tied
                    heappush(times, at)
            self._now = at
            # What follows is SimPy's Environment.step, unchanged.
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            try:
                for callback in callbacks:
                    callback(event)
            except StopSimulation:
                event.callbacks = callbacks[callbacks.index(callback) + 1 :]
                self.schedule(event, EventPriority(-1))
                raise
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
