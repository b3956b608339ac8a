"""What a target's figure depends on, and a replication that runs only that.

A target reads the visits at the queues it names (its ``queue``, its scope, its ratio's
references); an ``e2e_*`` metric follows the contacts that entered there through their
later hops, so it reads every queue they can be routed to as well. What happens at a
queue depends only on the contacts that reach it and on the agents who serve it: the
queues that route contacts to it (any ``on_*`` route, a parallel visit), the queues its
teams also serve, and theirs in turn. Those queues are the target's **influencers**.

A replication of the influencers alone (:func:`reduced`: every other queue dropped, with
the teams that serve only dropped queues) gives the target the same figure to the bit:
every visit it reads is the same contact with the same draws (random streams are keyed by
queue name, :mod:`sim.streams`), at the same times (the events that remain keep SimPy's
order), and served by the same agents. Only the queues an influencer routes to (or visits
in parallel) stay, as *exits* that turn every contact away at once: a route's shares keep
their order, so each contact takes the branch it takes in the whole scenario, and one
routed out simply leaves instead of being served downstream for nothing.

An influencer whose contacts reach the others only by its hidden entry
(``on_not_visible``) stays as a **gate** (:func:`needs`): whether a contact finds the entry
is drawn on arrival, before anything that depends on the queue's agents or line, so only
its arrivals and that draw matter. A gate keeps its arrivals, its visibility and its
``on_not_visible`` route; a contact that finds the entry leaves at once instead of being
served for nothing. A queue with retrials cannot be one (a retrial's visibility follows
an abandonment, which depends on the line), nor one whose agents serve a simulated
queue. In the document's platform, the order page's desks feed 95152 only through their
missing buttons: gated, a replication for the hotline's tickets takes about 30% less time.

``tests/test_depends.py`` checks both for every target of every shipped scenario and of
random scenarios mixing the engine's features. ``sim validate`` runs such replications for
the targets still unsettled after a round (:mod:`sim.validate.rounds`), ``sim
calibrate`` for the targets it fits (:func:`runs_only`) and ``sim staff`` for the queue
it plans (:mod:`sim.staffing.network`), all with gates. The document's platform needs 30
replications for the new merchants' ticket completion, which depends on 10 of its 41
queues, 3 of them gates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import NamedTuple

from sim.scenario import ROUTE_FIELDS, Queue, Scenario, Target

__all__ = ["Needs", "influencers", "needs", "reads", "reduced", "runs_only"]

# The route a gate keeps: the one contacts take when they miss the entry, on arrival.
_HIDDEN = ("on_not_visible",)


def reads(scenario: Scenario, target: Target) -> frozenset[str]:
    """The queues whose visits the target's figure is computed from."""
    named = {queue for _, queue in target.queue_refs()}
    metrics = {target.metric, *(ref.metric for ref in target.references if ref.metric)}
    if any(metric.startswith("e2e_") for metric in metrics):
        # The contacts that entered at a named queue, through every later hop.
        return _closure(named, _routes_out(scenario))
    return frozenset(named)


def influencers(scenario: Scenario, queues: Iterable[str]) -> frozenset[str]:
    """``queues`` and every queue whose contacts or agents can reach them."""
    into: dict[str, set[str]] = {name: set() for name in scenario.queues}
    for source, targets in _routes_out(scenario).items():
        for destination in targets:
            into[destination].add(source)
    for team in scenario.teams.values():  # agents serving several queues link them all
        for queue in team.serves:
            into[queue].update(team.serves)
    return _closure(queues, into)


class Needs(NamedTuple):
    """What figures at some queues depend on: queues simulated as they are, and gates."""

    simulated: frozenset[str]
    gates: frozenset[str]

    def within(self, other: Needs) -> bool:
        """Whether a replication reduced to ``other`` gives these queues' figures exactly."""
        return self.simulated <= other.simulated and self.gates <= other.simulated | other.gates


def needs(scenario: Scenario, queues: Iterable[str]) -> Needs:
    """``queues``' influencers, split into those simulated as they are and gates.

    A queue is simulated when it is one of ``queues``, when it routes contacts to a kept
    queue (simulated or gate) by anything but its hidden entry, when it has retrials and
    routes by its hidden entry, or when its agents serve a simulated queue; otherwise a
    queue that routes to a kept one by its hidden entry is a gate. The simulated queues are
    a subset of :func:`influencers`, and the two together are all of them.
    """
    simulated, gates = set(queues), set[str]()
    hidden = _routes_out(scenario, _HIDDEN)
    other = _routes_out(scenario, tuple(f for f in ROUTE_FIELDS if f not in _HIDDEN))
    changed = True
    while changed:  # to a fixed point: a gate may turn out to be simulated after all
        changed = False
        kept = simulated | gates
        for name, spec in scenario.queues.items():
            entry = bool(hidden[name] & kept)
            if name not in simulated and (other[name] & kept or (entry and spec.retry)):
                simulated.add(name)
                gates.discard(name)
                changed = True
            elif entry and name not in kept:
                gates.add(name)
                changed = True
        for team in scenario.teams.values():
            serves = set(team.serves)
            if serves & simulated and not serves <= simulated:
                simulated |= serves
                gates -= serves
                changed = True
    return Needs(frozenset(simulated), frozenset(gates))


def runs_only(scenario: Scenario, targets: Collection[Target]) -> tuple[Scenario, frozenset[str]]:
    """A copy of ``scenario`` that simulates only what ``targets`` depend on.

    Returns the copy (:func:`reduced` to the targets' :func:`needs`, with gates), whose
    targets are ``targets`` in the order given, and the queues it simulates as they are:
    those whose visits in the copy are the same, to the bit, as in ``scenario``.
    """
    need = needs(scenario, set().union(*(reads(scenario, t) for t in targets)))
    copy = reduced(scenario, need.simulated, need.gates)
    return copy.model_copy(update={"targets": tuple(targets)}), need.simulated


def reduced(
    scenario: Scenario, kept: frozenset[str], gates: frozenset[str] = frozenset()
) -> Scenario:
    """``scenario`` with only the ``kept`` queues, as it has them, its gates and their exits.

    ``kept`` with ``gates`` must be closed under :func:`needs` (``kept`` alone, with no
    gates, under :func:`influencers`). The queues a kept one routes to (or visits in
    parallel), or a gate by its hidden entry, that are neither become exits
    (:func:`_exit`); the teams kept are those that serve kept queues, which then serve
    nothing else.
    """
    routes, hidden = _routes_out(scenario), _routes_out(scenario, _HIDDEN)
    leads = set().union(*(routes[name] for name in kept), *(hidden[name] for name in gates))
    exits = leads - kept - gates
    queues = {
        name: spec if name in kept else _gate(spec) if name in gates else _exit(spec)
        for name, spec in scenario.queues.items()
        if name in kept or name in gates or name in exits
    }
    teams = {name: team for name, team in scenario.teams.items() if set(team.serves) <= kept}
    # Not validated again: the kept queues are the validated ones, the rest route only by
    # validated routes or nowhere.
    return scenario.model_copy(update={"queues": queues, "teams": teams})


def _gate(spec: Queue) -> Queue:
    """The queue's arrivals and hidden entry only: whoever finds the entry leaves at once.

    Its draws are the queue's own (each kind from its own stream): the arrival times,
    whether the entry is found and where a contact who does not find it goes.
    """
    return Queue.model_validate(
        {"channel": spec.channel, "segment": spec.segment, "service": spec.service,
         "arrivals": spec.arrivals, "visibility": spec.visibility,
         "on_not_visible": spec.on_not_visible, "closed": "lost"}
    )  # fmt: skip


def _exit(spec: Queue) -> Queue:
    """A queue that turns every contact away at once: nobody on duty, closed, no routes."""
    return Queue.model_validate(
        {"channel": spec.channel, "segment": spec.segment, "service": spec.service,
         "closed": "lost"}
    )  # fmt: skip


def _routes_out(scenario: Scenario, fields: tuple[str, ...] = ROUTE_FIELDS) -> dict[str, set[str]]:
    """Per queue, where its routes in ``fields`` lead."""
    return {
        name: {d for field in fields for d in getattr(spec, field)}
        for name, spec in scenario.queues.items()
    }


def _closure(start: Iterable[str], edges: Mapping[str, Collection[str]]) -> frozenset[str]:
    seen = set(start)
    todo = list(seen)
    while todo:
        for neighbour in edges[todo.pop()]:
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return frozenset(seen)
