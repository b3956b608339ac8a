"""Independent random streams: one ``numpy.random.Generator`` per source per queue.

Streams are keyed by replication, by a stable hash of the queue's *name* and by the
source's fixed position in :data:`SOURCES`, never by the order of queues in a file.
Adding a queue, or changing one queue's staff, therefore leaves every other queue's
draws untouched: variants of a scenario run on common random numbers.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
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

    The simulation asks for one number at a time; sampling 1024 at once and chaining
    the blocks keeps a draw at the cost of a C-level ``next`` while the sequence stays a
    pure function of the stream, whatever the block size. Call the instance, or use
    :attr:`next` (a bound built-in, cheaper in hot loops).
    """

    __slots__ = ("next",)

    def __init__(self, sample: Callable[[int], np.ndarray]) -> None:
        blocks = iter(lambda: sample(_BLOCK).tolist(), None)
        self.next: Callable[[], float] = functools.partial(
            next, itertools.chain.from_iterable(blocks)
        )

    def __call__(self) -> float:
        """Return the next draw."""
        return self.next()
