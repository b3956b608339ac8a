"""Columnar per-contact records, compact while the simulation runs.

One row per *hop* (a contact's visit to one queue). Columns are ``array.array`` while
the run appends to them (8 bytes a float, no Python objects) and become numpy arrays,
without copying, when the run ends.
"""

from __future__ import annotations

import array
import math
from enum import IntEnum

import numpy as np

__all__ = ["NOT_OFFERED", "By", "ContactLog", "Outcome"]

NAN = math.nan


class Outcome(IntEnum):
    """How a hop ended; every hop has exactly one."""

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


class By(IntEnum):
    """Who last handled a hop."""

    NONE = 0
    AGENT = 1
    BOT = 2


# name: (array typecode, numpy dtype)
HOP_COLUMNS = {
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


_CHUNK = 4096
_DEFAULTS = {
    "response": NAN,
    "agent_start": NAN,
    "end": NAN,
    "service": NAN,
    "next_queue": -1,
    "agent": -1,
}


class ContactLog:
    """Append-only store of hops and contacts; the engine writes, metrics read.

    Hop columns grow in chunks pre-filled with their defaults, so opening a hop writes
    only the four fields known at arrival.
    """

    def __init__(self) -> None:
        self._chunks = {
            name: array.array(code, [_DEFAULTS.get(name, 0)]) * _CHUNK
            for name, (code, _) in HOP_COLUMNS.items()
        }
        for name, (code, _) in HOP_COLUMNS.items():
            setattr(self, name, array.array(code))
        # Working column, not exported: 1 if an agent's answer would resolve the hop.
        self.fate = bytearray()
        self._rows = 0
        self._capacity = 0
        self._contacts = 0
        # Contacts between two hops (a delayed route or a retrial on its way), by a key
        # of the sender's choosing: (destination, contact, hop, when it arrives).
        self.transit: dict[int, tuple[int, int, int, float]] = {}

    def _grow(self) -> None:
        for name, chunk in self._chunks.items():
            getattr(self, name).extend(chunk)
        self.fate.extend(bytes(_CHUNK))
        self._capacity += _CHUNK

    def open_hop(self, contact: int, hop: int, queue: int, now: float) -> int:
        """Start a hop at ``queue``; return the row index.

        ``contact`` -1 is a new contact entering the system: it gets the next number.
        """
        row = self._rows
        if row == self._capacity:
            self._grow()
        if contact < 0:
            contact = self._contacts
            self._contacts = contact + 1
        self.contact[row] = contact
        self.hop[row] = hop
        self.queue[row] = queue
        self.arrive[row] = now
        self._rows = row + 1
        return row

    def __len__(self) -> int:
        return self._rows

    def in_flight(self) -> int:
        """Hops not finished yet, and contacts on their way to their next hop."""
        outcome = _numpy(self.outcome, np.int8)[: self._rows]
        return int(np.count_nonzero(outcome == Outcome.PENDING)) + len(self.transit)

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

        ``response`` and ``by`` are completed here from ``agent_start`` and ``agent``
        (the engine leaves them to this step when an agent answers). ``service`` keeps
        the handle time only for hops an agent took. Per-contact columns come from first
        hops: contacts are numbered as they enter, so first hops in row order are in
        contact order.
        """
        n = self._rows
        hops = {
            name: _numpy(getattr(self, name), dtype)[:n] for name, (_, dtype) in HOP_COLUMNS.items()
        }
        # In place: the views share the columns' memory, and the log is done with them.
        pending = hops["outcome"] == Outcome.PENDING
        # An agent handled a hop last when it took the hop and finished with it (set
        # here rather than at every service end, which is the hot path).
        hops["by"][(hops["agent"] >= 0) & ~pending] = By.AGENT
        hops["outcome"][pending] = Outcome.UNFINISHED
        # The first response is the bot's when a bot answered first, else the agent's.
        unanswered = np.isnan(hops["response"])
        hops["response"][unanswered] = hops["agent_start"][unanswered]
        hops["service"][np.isnan(hops["agent_start"])] = np.nan
        first = hops["hop"] == 0
        contacts = {"entered": hops["arrive"][first], "entry_queue": hops["queue"][first]}
        return hops, contacts


def _numpy(column: array.array, dtype: type) -> np.ndarray:
    # frombuffer shares memory with the array (no copy) but refuses an empty buffer.
    return np.frombuffer(column, dtype=dtype) if len(column) else np.empty(0, dtype=dtype)
