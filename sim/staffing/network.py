"""The planned queue in its network: what it depends on, and where its contacts come from.

A queue's visits depend only on the contacts that reach it and on the agents who serve
it (:mod:`sim.depends`): its **influencers**, the queues whose contacts or agents can
reach it, itself included. Every staffing simulation runs them as the scenario staffs
them, with the staff being tried at the planned queue: the planned queue's visits are
then the same, to the bit, as in the whole scenario with that staff (random streams are
keyed by queue name, :mod:`sim.streams`); only the contacts' and agents' numbers differ,
as they count every queue's. The other queues are dropped, as for ``sim validate``
(:func:`sim.depends.reduced`): only the queues a kept queue routes to stay, as *exits*
that turn every contact away at once, so a route's shares keep their order and a contact
routed out of the network simply leaves. An influencer that reaches the queue only
through its hidden entry runs as a *gate* (:func:`sim.depends.needs`): its arrivals and
that entry alone, everyone who finds the entry leaving at once; the planned queue's
visits, and the hops that sent them, are the same.

A visit at the planned queue came *from* the queue of the contact's previous hop (a
parallel visit, from the queue that opened it); a first hop is the queue's own arrival.
Its retrials and the contacts it routes back to itself are the same contacts again,
not new arrivals, and are counted in neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.depends import influencers, needs, reduced
from sim.scenario import Scenario, Shift
from sim.timeline import DAY, Clock

if TYPE_CHECKING:
    from sim.engine import ReplicationResult

__all__ = ["RoutedIn", "arrivals_in", "feeders", "network", "origins", "with_staff"]

# -- the network -------------------------------------------------------------------------


def feeders(scenario: Scenario, queue: str) -> tuple[str, ...]:
    """The queues besides ``queue`` whose contacts or agents can reach it, in file order."""
    kept = influencers(scenario, [queue])
    return tuple(name for name in scenario.queues if name in kept and name != queue)


def network(scenario: Scenario, queue: str) -> Scenario:
    """``queue`` with its influencers as the scenario has them, the rest dropped.

    No warm-up and no targets, as every staffing simulation runs; the queues a kept one
    routes to (or visits in parallel) become exits, and those that reach it only through
    a hidden entry gates (:func:`sim.depends.reduced`).
    """
    need = needs(scenario, [queue])
    net = reduced(scenario, need.simulated, need.gates)
    return net.model_copy(update={"warmup": 0.0, "targets": ()})


def with_staff(net: Scenario, queue: str, staff: tuple[Shift, ...]) -> Scenario:
    """The network with ``staff`` at ``queue`` (its place in the queue order kept)."""
    spec = net.queues[queue].model_copy(update={"staff": staff})
    return net.model_copy(update={"queues": {**net.queues, queue: spec}})


# -- where contacts come from ------------------------------------------------------------


def origins(scenario: Scenario, result: ReplicationResult, queue: str) -> tuple[np.ndarray, ...]:
    """The visits at ``queue`` that are new there, and the queue each came from.

    Returns the rows of those visits in ``result.hops`` and the code (in
    ``result.queues``) of the queue each came from, -1 for the queue's own arrivals.
    Retrials and visits routed from ``queue`` to itself are left out.
    """
    hops = result.hops
    code = result.queues.index(queue)
    rows = np.flatnonzero(hops["queue"] == code)
    came = np.full(len(rows), -1, dtype=np.int64)
    later = np.flatnonzero(hops["hop"][rows] > 0)
    if len(later):
        came[later] = hops["queue"][_previous(scenario, result, queue, rows[later])]
    new = came != code
    return rows[new], came[new]


def _previous(
    scenario: Scenario, result: ReplicationResult, queue: str, rows: np.ndarray
) -> np.ndarray:
    """The row of the hop that sent each of ``rows`` (hops after the first) to ``queue``.

    The contact's hop one before. After a parallel visit a contact can have several
    hops of one number, and then several visits at ``queue`` of the next: they are
    matched one to one with the hops routed to ``queue``, then with those at queues
    that open parallel visits there (each source's count is then right, if not
    always which visit it sent).
    """
    hops = result.hops
    key = hops["contact"].astype(np.int64) * 256 + hops["hop"]
    order = np.argsort(key, kind="stable")
    ranked = key[order]
    wanted = key[rows] - 1
    lo = np.searchsorted(ranked, wanted, side="left")
    hi = np.searchsorted(ranked, wanted, side="right")
    out = order[lo]
    code = result.queues.index(queue)
    opens = {i for i, name in enumerate(result.queues) if queue in scenario.queues[name].parallel}
    groups: dict[int, list[int]] = {}
    for i in np.flatnonzero(hi - lo > 1):  # rare: only after parallel visits
        groups.setdefault(int(wanted[i]), []).append(int(i))
    for group in groups.values():
        options = order[lo[group[0]] : hi[group[0]]].tolist()
        sent = [r for r in options if hops["next_queue"][r] == code]
        twins = [r for r in options if hops["queue"][r] in opens]
        picks = (sent + twins + options)[: len(group)]
        out[np.asarray(group[: len(picks)])] = picks
    return out


def arrivals_in(
    scenario: Scenario, result: ReplicationResult, *, queue: str, interval: float
) -> dict[str, np.ndarray]:
    """One replication's new visits at ``queue`` over the horizon, by where they came from.

    ``routed``: routed in from other queues, per day (rows, as
    :func:`sim.staffing.formula.busiest_days` counts them) and interval of the day;
    ``own``: its own arrivals (one number); ``sources``: per queue of ``result.queues``.
    """
    rows, came = origins(scenario, result, queue)
    arrive = result.hops["arrive"][rows]
    inside = (arrive >= 0.0) & (arrive < scenario.duration)
    arrive, came = arrive[inside], came[inside]
    clock = Clock(scenario.start)
    days = clock.days(0.0, scenario.duration)
    n = round(DAY / interval)
    local = arrive + clock.offset
    day = np.floor(local / DAY).astype(int) - days.start
    slot = np.minimum((local % DAY // interval).astype(int), n - 1)
    routed = came >= 0
    cells = np.zeros((len(days), n))
    np.add.at(cells, (day[routed], slot[routed]), 1.0)
    return {
        "routed": cells,
        "own": np.array(float((~routed).sum())),
        "sources": np.bincount(came[routed], minlength=len(result.queues)).astype(float),
        "names": np.array(result.queues),
    }


@dataclass(frozen=True)
class RoutedIn:
    """New visits at a queue from a baseline simulation, summed over its replications.

    Attributes:
        routed: routed-in visits per day (rows) and interval of the day.
        replications: how many replications the counts sum.
        own: the queue's own arrivals.
        sources: routed-in visits per queue they came from, largest first.
    """

    routed: np.ndarray
    replications: int
    own: float
    sources: dict[str, float] = field(default_factory=dict)

    @classmethod
    def total(cls, counts: Sequence[dict[str, np.ndarray]]) -> RoutedIn:
        """The sum of :func:`arrivals_in` over replications."""
        per_source: dict[str, float] = {}
        for count in counts:
            for name, k in zip(count["names"].tolist(), count["sources"].tolist(), strict=True):
                if k:
                    per_source[name] = per_source.get(name, 0.0) + k
        ranked = dict(sorted(per_source.items(), key=lambda item: -item[1]))
        return cls(
            routed=np.sum([c["routed"] for c in counts], axis=0),
            replications=len(counts),
            own=float(sum(float(c["own"]) for c in counts)),
            sources=ranked,
        )

    def shares(self) -> dict[str, float]:
        """Each source queue's share of all new visits (own arrivals included)."""
        whole = self.own + sum(self.sources.values())
        return {name: k / whole for name, k in self.sources.items()} if whole else {}

    def share(self) -> float:
        """The share of new visits routed in from other queues (1.0 exactly: all)."""
        routed = sum(self.sources.values())
        return routed / (self.own + routed) if routed else 0.0
