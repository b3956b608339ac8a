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

__all__ = ["By", "ContactLog", "Outcome"]

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
}
CONTACT_COLUMNS = {"entered": ("d", np.float64), "entry_queue": ("h", np.int16)}


class ContactLog:
    """Append-only store of hops and contacts; the engine writes, metrics read."""

    def __init__(self) -> None:
        for name, (code, _) in (HOP_COLUMNS | CONTACT_COLUMNS).items():
            setattr(self, name, array.array(code))
        # Working column, not exported: 1 if an agent's answer would resolve the hop.
        self.fate = bytearray()

    def new_contact(self, now: float, queue: int) -> int:
        """Register a contact entering the system; return its id."""
        self.entered.append(now)
        self.entry_queue.append(queue)
        return len(self.entered) - 1

    def open_hop(self, contact: int, hop: int, queue: int, now: float) -> int:
        """Start a hop at ``queue``; return the row index."""
        self.contact.append(contact)
        self.hop.append(hop)
        self.queue.append(queue)
        self.arrive.append(now)
        self.response.append(NAN)
        self.agent_start.append(NAN)
        self.end.append(NAN)
        self.service.append(NAN)
        self.outcome.append(0)
        self.by.append(0)
        self.next_queue.append(-1)
        self.fate.append(0)
        return len(self.contact) - 1

    def __len__(self) -> int:
        return len(self.contact)

    def close(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Mark hops still in flight as unfinished and return numpy views of all columns."""
        hops = {
            name: _numpy(getattr(self, name), dtype) for name, (_, dtype) in HOP_COLUMNS.items()
        }
        hops["outcome"] = hops["outcome"].copy()
        hops["outcome"][hops["outcome"] == Outcome.PENDING] = Outcome.UNFINISHED
        contacts = {
            name: _numpy(getattr(self, name), dtype) for name, (_, dtype) in CONTACT_COLUMNS.items()
        }
        return hops, contacts


def _numpy(column: array.array, dtype: type) -> np.ndarray:
    # frombuffer shares memory with the array (no copy) but refuses an empty buffer.
    return np.frombuffer(column, dtype=dtype) if len(column) else np.empty(0, dtype=dtype)
