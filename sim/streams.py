"""Independent random streams: one ``numpy.random.Generator`` per source per queue.

Streams are keyed by replication, by a stable hash of the queue's *name* and by the
source's fixed position in :data:`SOURCES`, never by the order of queues in a file.
Adding a queue, or changing one queue's staff, therefore leaves every other queue's
draws untouched: variants of a scenario run on common random numbers. A generator is
made when first asked for, so sources a scenario does not use cost nothing.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
from collections.abc import Callable, Iterator, Mapping

import numpy as np

__all__ = ["SOURCES", "Draws", "QueueStreams", "queue_streams", "stream_index", "whole_number"]

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
    # Retrials: whether an abandoning contact tries again, and when.
    "retry",
    "retry_delay",
    # A retrial's own draws, so that retrials never shift first attempts' draws.
    "retry_service",
    "retry_patience",
    "retry_resolution",
    "retry_visibility",
    # Delays of delayed routes; one child stream per route field and destination.
    "route_delay",
    # Parallel visits: whether a contact also opens a visit elsewhere.
    "parallel",
    # A routed visit's own draws, one child stream per queue it comes from, so that a
    # change upstream never shifts the draws of a queue's own arrivals or of contacts
    # routed from elsewhere.
    "routed_service",
    "routed_resolution",
    "routed_patience",
    "routed_visibility",
    # A hop's decisions (the route it leaves by, the bot's answer and its time, whether
    # and when it tries again after giving up) are drawn on arrival, like the draws above;
    # first attempts take them from "routing", "bot", "bot_response", "retry" and
    # "retry_delay", retrials and routed visits from these.
    "retry_routing",
    "retry_bot",
    "retry_bot_response",
    "retry_retry",
    "retry_retry_delay",
    "routed_routing",
    "routed_bot",
    "routed_bot_response",
    "routed_retry",
    "routed_retry_delay",
)

# Draws sampled at a time per stream. Small, because a scenario has hundreds of streams
# (up to nine kinds a queue, and more for retrials and routed visits): with 1024 a block,
# the blocks of the joined platform's 274 streams held up to 9 MB of Python floats, each
# read long after it was made, where 128 held 1.1 MB (stop 28: a week took 3-4% less
# CPU time). Blocks are numpy arrays read through memoryviews, 8 bytes a draw; a queue's
# kinds are sampled side by side (JointDraws). With those, 256 takes fewer instructions
# than 128 (a week of the platform 0.8% fewer, numpy called half as often) and fewer
# first-level cache misses (2.5%); 512 no fewer misses (stop 30, count_instructions.py
# --cache). The draws do not depend on the size.
_BLOCK = 256


def whole_number(value: object, what: str) -> int:
    """``value`` as an int when it is a whole number (a numpy integer is; a bool is not).

    Raises:
        TypeError: not a whole number, named ``what``.
    """
    if not isinstance(value, bool):
        try:
            return operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            pass
    raise TypeError(f"{what} must be a whole number, got {value!r}")


def stream_index(value: object, what: str) -> int:
    """A seed or replication number, checked: a whole number >= 0 (a stream key's part).

    Raises:
        TypeError: not a whole number.
        ValueError: negative.
    """
    number = whole_number(value, what)
    if number < 0:
        raise ValueError(f"{what} must be >= 0, got {number}")
    return number


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class QueueStreams(Mapping[str, np.random.Generator]):
    """The generators of every random source of one queue in one replication."""

    def __init__(self, seed: int, replication: int, queue: str) -> None:
        self._key = (replication, _name_key(queue))
        self._seed = seed
        self._made: dict[str, np.random.Generator] = {}

    def _make(self, *key: int) -> np.random.Generator:
        sequence = np.random.SeedSequence(self._seed, spawn_key=(*self._key, *key))
        return np.random.default_rng(sequence)

    def __getitem__(self, source: str) -> np.random.Generator:
        if source not in self._made:
            self._made[source] = self._make(SOURCES.index(source))
        return self._made[source]

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCES)

    def __len__(self) -> int:
        return len(SOURCES)

    def child(self, source: str, *names: str) -> np.random.Generator:
        """A stream of ``source`` keyed further by names (a route field, a destination)."""
        return self._make(SOURCES.index(source), *map(_name_key, names))


def queue_streams(seed: int, replication: int, queue: str) -> QueueStreams:
    """Return the generators of every random source of one queue in one replication."""
    return QueueStreams(seed, replication, queue)


class Draws:
    """Hands out single draws from a stream, sampled in vectorised blocks.

    The simulation asks for one number at a time; sampling a block at once and chaining
    the blocks keeps a draw at the cost of a C-level ``next`` while the sequence stays a
    pure function of the stream, whatever the block size. A block is iterated through a
    memoryview, which makes each Python float as it is taken: the same values as
    ``tolist``, in a fifth of the memory while they wait (8 bytes, not a pointer and a
    float). :attr:`next` gives one draw (a bound built-in, cheap in hot loops);
    :attr:`values` is the same draws as an iterator.
    """

    __slots__ = ("next", "values")

    def __init__(self, sample: Callable[[int], np.ndarray]) -> None:
        blocks = iter(lambda: sample(_BLOCK).data, None)
        # The draws as an iterator, to zip with other streams' (one call, several draws).
        self.values: Iterator[float] = itertools.chain.from_iterable(blocks)
        self.next: Callable[[], float] = functools.partial(next, self.values)


class JointDraws:
    """Draws of several streams taken together, one of each in turn.

    :attr:`values` gives the first stream's draw, the second's, and so on, then the
    first's again: read ``k`` at a time (for ``k`` streams), one draw of each. Each
    stream is sampled in blocks as :class:`Draws` samples it, so the values are the
    same; a block of each is laid out side by side (a row per draw) and read through one
    memoryview. A hop that reads one iterator, one memoryview and a few adjacent floats
    finds them in the processor's cache more often than one that reads an iterator, a
    memoryview and a block per stream: two days of the joined platform took 12% fewer
    first-level read misses a visit (252 -> 222), 0.2% more instructions, and 28 days
    1-2% less CPU time (stop 30, ``benchmarks/README.md``).
    """

    __slots__ = ("values",)

    def __init__(self, samples: list[Callable[[int], np.ndarray]]) -> None:
        width = len(samples)

        def block() -> memoryview:
            rows = np.empty((_BLOCK, width))
            for j, sample in enumerate(samples):
                rows[:, j] = sample(_BLOCK)
            return rows.reshape(-1).data

        self.values: Iterator[float] = itertools.chain.from_iterable(iter(block, None))
