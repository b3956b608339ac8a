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
``tests/test_depends.py`` checks this for every target of every shipped scenario and of
random scenarios mixing the engine's features. ``sim validate`` runs such replications for
the targets still unsettled after a round (:mod:`sim.validate.rounds`), ``sim calibrate``
for the targets it fits, and ``sim staff`` for the queue it plans
(:mod:`sim.staffing.network`): the document's platform needs 30 replications for one small
merchant's wait, which depends on 1 of its 41 queues.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sim.scenario import ROUTE_FIELDS, Queue, Scenario, Target

__all__ = ["influencers", "reads", "reduced", "runs_only"]


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

    Returns the copy (:func:`reduced` to the targets' influencers), whose targets are
    ``targets`` in the order given, and those influencers: the queues whose visits in the
    copy are the same, to the bit, as in ``scenario``.
    """
    needed = influencers(scenario, set().union(*(reads(scenario, t) for t in targets)))
    return reduced(scenario, needed).model_copy(update={"targets": tuple(targets)}), needed


def reduced(scenario: Scenario, kept: frozenset[str]) -> Scenario:
    """``scenario`` with only the ``kept`` queues, as it has them, and their exits.

    ``kept`` must be closed under :func:`influencers`. The queues a kept one routes to (or
    visits in parallel) that are not kept become exits (:func:`_exit`); the teams
    kept are those that serve kept queues, which then serve nothing else.
    """
    routes = _routes_out(scenario)
    exits = set().union(*(routes[name] for name in kept)) - kept
    queues = {
        name: spec if name in kept else _exit(spec)
        for name, spec in scenario.queues.items()
        if name in kept or name in exits
    }
    teams = {name: team for name, team in scenario.teams.items() if set(team.serves) <= kept}
    # Not validated again: the kept queues are the validated ones, the exits route nowhere.
    return scenario.model_copy(update={"queues": queues, "teams": teams})


def _exit(spec: Queue) -> Queue:
    """A queue that turns every contact away at once: nobody on duty, closed, no routes."""
    return Queue.model_validate(
        {"channel": spec.channel, "segment": spec.segment, "service": spec.service,
         "closed": "lost"}
    )  # fmt: skip


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
