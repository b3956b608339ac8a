"""Routes between queues: a probabilistic choice of destination, taken at once or later.

A route field (``on_unresolved``, ``on_abandon``, ...) maps destination queues to a
probability, or to ``{share, after}``: the contact then reaches the destination after a
delay drawn from ``after``. Each delayed destination draws from its own stream, keyed
by the sending queue, the route field and the destination's name, so a route's delays
do not depend on which other routes exist.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np

from sim.distributions import Distribution
from sim.scenario import ROUTE_FIELDS, DelayedRoute, Queue
from sim.streams import Draws, QueueStreams

__all__ = ["Route", "dist_draws", "queue_routes"]


def dist_draws(dist: Distribution, rng: np.random.Generator) -> Callable[[], float]:
    """Single draws of ``dist`` from ``rng``, sampled in blocks."""
    return Draws(lambda n: dist.sample(rng, n)).next


class Route:
    """A probabilistic choice among destination queues (the rest: go nowhere).

    ``destinations[i]`` is reached with probability ``shares[i]``, after a draw of
    ``delays[i]`` (``None``: at once).
    """

    __slots__ = ("_cumulative", "delays", "destinations")

    def __init__(self, routes: dict[int, tuple[float, Callable[[], float] | None]]) -> None:
        self.destinations = list(routes)
        self._cumulative = np.cumsum([share for share, _ in routes.values()]).tolist()
        self.delays = [delay for _, delay in routes.values()]

    def __bool__(self) -> bool:
        return bool(self.destinations)

    def choose(self, u: float) -> int:
        """Position of the destination for a uniform draw ``u``, or -1 for none."""
        # The first cumulative share above u (bisect, in C, rather than a Python loop).
        i = bisect.bisect_right(self._cumulative, u)
        return i if i < len(self.destinations) else -1


def queue_routes(
    spec: Queue, index: dict[str, int], streams: QueueStreams
) -> dict[str, Route | None]:
    """Every route field of a queue, ``None`` where it leads nowhere."""
    routes: dict[str, Route | None] = {}
    for field in ROUTE_FIELDS:
        entries: dict[int, tuple[float, Callable[[], float] | None]] = {}
        for dest, value in getattr(spec, field).items():
            if isinstance(value, DelayedRoute):
                if value.share > 0:
                    rng = streams.child("route_delay", field, dest)
                    entries[index[dest]] = (value.share, dist_draws(value.after, rng))
            elif value > 0:
                entries[index[dest]] = (value, None)
        routes[field] = Route(entries) or None
    return routes
