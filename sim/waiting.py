"""The waiting line of one queue: first come, first served, with patience deadlines.

Contacts that abandon are removed lazily from the FIFO (a dict says who is still in
line), so both serving and abandoning cost O(log n) at most. Contacts arriving between
batch pickups are held back until the next pickup releases them. The line knows when
each contact joined it, so an agent serving several queues can take the contact that
has waited longest.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Final

from sim.records import Row

__all__ = ["WaitingLine"]

# Final, here and below: a static when compiled (see sim.environment).
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop

_INF: Final = math.inf


class WaitingLine:
    """Record ids of contacts waiting for an agent.

    ``available`` counts the contacts agents may take now (not held for a pickup); it is
    a plain attribute because the engine tests it after every service.
    """

    def __init__(self, batch: bool = False) -> None:
        self._fifo: deque[Row] = deque()
        self._held: list[Row] = []
        self._held_ids: set[Row] = set()
        self.batch = batch
        self.available = 0
        # Who is still in line, and since when: one dict rather than a set beside
        # (time, id) pairs, so joining builds no tuple and leaving is one lookup.
        self._joined: dict[Row, float] = {}
        self._deadlines: list[tuple[float, Row]] = []

    def __len__(self) -> int:
        return len(self._joined)

    def push(self, rec: Row, deadline: float, now: float) -> None:
        """Add a contact, joining at ``now``, that gives up at ``deadline`` (``inf``: never)."""
        if self.batch:
            self._held.append(rec)
            self._held_ids.add(rec)
        else:
            self._fifo.append(rec)
            self.available += 1
        self._joined[rec] = now
        if deadline < _INF:
            _heappush(self._deadlines, (deadline, rec))

    def release_held(self) -> None:
        """A batch pickup: everything held so far becomes available to agents."""
        self.available += len(self._held_ids)
        self._fifo.extend(self._held)
        self._held.clear()
        self._held_ids.clear()

    def pop(self) -> Row:
        """Remove and return the longest-waiting available contact (one must be)."""
        fifo, joined = self._fifo, self._joined
        while True:
            rec = fifo.popleft()
            if joined.pop(rec, None) is not None:
                self.available -= 1
                return rec

    def head_time(self) -> float:
        """When the longest-waiting available contact joined the line (one must be)."""
        fifo, joined = self._fifo, self._joined
        while fifo[0] not in joined:
            fifo.popleft()
        return joined[fifo[0]]

    def expire(self, now: float) -> tuple[list[Row], float]:
        """Remove the contacts whose patience has run out by ``now``.

        Returns them, and the earliest patience deadline among the contacts still in line
        (``inf``: none): the two things a patience timer asks, in one call.
        """
        gone: list[Row] = []
        deadlines, joined = self._deadlines, self._joined
        while deadlines and deadlines[0][0] <= now:
            _, rec = _heappop(deadlines)
            if joined.pop(rec, None) is not None:
                if rec in self._held_ids:
                    self._held_ids.remove(rec)
                else:
                    self.available -= 1
                gone.append(rec)
        # Deadlines of contacts served meanwhile stay in the heap until they come first.
        while deadlines and deadlines[0][1] not in joined:
            _heappop(deadlines)
        return gone, deadlines[0][0] if deadlines else _INF
