"""Batch pickups: queues whose agents see new contacts only at fixed clock times.

One SimPy process for the whole scenario releases, at each pickup time, what every
queue picking up then holds, and only then hands the released contacts to free agents:
those of the highest ``priority`` first, then the one that has waited longest. Queues
picking up at the same instant may share a team, and a process per queue would give
the team's free agents to whichever queue SimPy happened to wake first (the one listed
first in the file), whatever the priorities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from sim.timeline import Clock

if TYPE_CHECKING:
    from sim.node import Node

__all__ = ["pickup_schedule", "pickups"]


def pickup_schedule(
    nodes: dict[str, Node], clock: Clock, horizon: float
) -> list[tuple[float, list[Node]]]:
    """Each pickup time in ``[0, horizon)`` with the queues picking up then, in time order.

    The queues of one time are in the order of their names, so that a tie (contacts of
    equal priority that joined at the same instant) does not depend on the file's order.
    """
    due: defaultdict[float, list[Node]] = defaultdict(list)
    days = clock.days(0.0, horizon)
    for _, node in sorted(nodes.items()):
        for day in days:
            for clock_time in node.spec.pickup or ():
                if 0.0 <= (t := clock.day_start(day) + clock_time) < horizon:
                    due[t].append(node)
    return sorted(due.items(), key=lambda entry: entry[0])


def pickups(env: simpy.Environment, schedule: list[tuple[float, list[Node]]]) -> Generator:
    """Release the held contacts at each pickup, then give them out in priority order."""
    for t, nodes in schedule:
        yield env.timeout(t - env.now)
        for node in nodes:
            node.line.release_held()
        ready = [node for node in nodes if node.line.available]
        while ready:
            # The contact a freed agent would take: highest priority, longest waiting.
            best = min(ready, key=lambda n: (-n.priority, n.line.head_time()))
            if not best.take_one(t) or not best.line.available:
                ready.remove(best)  # no agent can take it (none will free up now), or done
