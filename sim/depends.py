"""What a target's figure depends on, and a replication that runs only that.

A target reads the visits at the queues it names (its ``queue``, its scope, its ratio's
references); an ``e2e_*`` metric follows the contacts that entered there through their
later hops, so it reads every queue they can be routed to as well. What happens at a
queue depends only on the contacts that reach it and on the agents who serve it: the
queues that route contacts to it (any ``on_*`` route, a parallel visit), the queues its
teams also serve, and theirs in turn. Those queues are the target's **influencers**.

A replication in which only the influencers take arrivals from outside (every other
queue left without arrivals, its staff and routes as they were) gives the target the same
figure to the bit: every visit it reads is the same contact with the same draws (random
streams are keyed by queue name, :mod:`sim.streams`), at the same times (the events that
remain keep SimPy's order), and served by the same agents. ``tests/test_depends.py``
checks this for every target of every shipped scenario and of random scenarios mixing the
engine's features. ``sim validate`` runs such replications for the targets still
unsettled after a round (:mod:`sim.validate.rounds`), and ``sim calibrate`` for the
targets it fits: the document's platform needs 30 replications for one small merchant's
wait, which depends on 1 of its 41 queues.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sim.scenario import ROUTE_FIELDS, Scenario, Target

__all__ = ["influencers", "reads", "runs_only"]


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


def runs_only(scenario: Scenario, targets: Collection[Target]) -> tuple[Scenario, frozenset[str]]:
    """A copy of ``scenario`` that simulates only what ``targets`` depend on.

    Returns the copy, whose targets are ``targets`` (in the order given) and whose queues
    outside their influencers take no arrivals from outside, and those influencers: the
    queues whose visits in the copy are the same, to the bit, as in ``scenario``.
    """
    needed = influencers(scenario, set().union(*(reads(scenario, t) for t in targets)))
    queues = {
        name: spec if name in needed else spec.model_copy(update={"arrivals": None})
        for name, spec in scenario.queues.items()
    }
    # The copy is not validated again: its queues are the validated ones, less arrivals.
    copy = scenario.model_copy(update={"queues": queues, "targets": tuple(targets)})
    return copy, needed


def _routes_out(scenario: Scenario) -> dict[str, set[str]]:
    return {
        name: {d for field in ROUTE_FIELDS for d in getattr(spec, field)}
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
