"""Independent random streams: one ``numpy.random.Generator`` per source per queue.

Streams are keyed by replication, by a stable hash of the queue's *name* and by the
source's fixed position in :data:`SOURCES`, never by the order of queues in a file.
Adding a queue, or changing one queue's staff, therefore leaves every other queue's
draws untouched: variants of a scenario run on common random numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

__all__ = ["SOURCES", "Draws", "queue_streams"]

# Append only: a source's position is part of its stream's identity.
SOURCES = (
    "arrivals",
    "visibility",
    "patience",
    "service",
    "resolution",
    "routing",
    "bot",
    "bot_response",
)

_BLOCK = 1024


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def queue_streams(seed: int, replication: int, queue: str) -> dict[str, np.random.Generator]:
    """Return the generators of every random source of one queue in one replication."""
    key = _name_key(queue)
    return {
        source: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, key, i)))
        for i, source in enumerate(SOURCES)
    }


class Draws:
    """Hands out single draws from a stream, sampled in vectorised blocks.

    The simulation asks for one number at a time; sampling 1024 at once keeps the
    per-draw cost at a list index while the sequence stays a pure function of the
    stream, whatever the block size.
    """

    __slots__ = ("_buffer", "_next", "_sample")

    def __init__(self, sample: Callable[[int], np.ndarray]) -> None:
        self._sample = sample
        self._buffer: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        """Return the next draw."""
        i = self._next
        if i == len(self._buffer):
            self._buffer = self._sample(_BLOCK).tolist()
            i = 0
        self._next = i + 1
        return self._buffer[i]
