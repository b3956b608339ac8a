"""One replication of a scenario: build the network of nodes on SimPy and run it.

:func:`simulate` is a pure function of (scenario, replication, seed): it reads no files,
touches no global random state and returns plain columnar records.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import simpy

from sim.node import Node, Route
from sim.records import ContactLog
from sim.scenario import ROUTE_FIELDS, Scenario
from sim.streams import queue_streams
from sim.timeline import Clock, rate_function, sample_arrivals, shift_instances

__all__ = ["QueueAccount", "ReplicationResult", "simulate"]


@dataclass(frozen=True)
class QueueAccount:
    """Agent-time accounting of one queue over the measurement window."""

    present_time: float
    busy_time: float
    on_shift_time: float
    utilization: float
    staffing: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class ReplicationResult:
    """Everything one replication produced, as plain arrays."""

    scenario: str
    replication: int
    seed: int
    queues: tuple[str, ...]
    hops: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    accounts: tuple[QueueAccount, ...]
    window: tuple[float, float]
    end_time: float

    @property
    def n_records(self) -> int:
        """Number of hop records."""
        return len(self.hops["contact"])

    @property
    def records(self) -> dict[str, np.ndarray]:
        """Hop records (alias used by benchmarks and notebooks)."""
        return self.hops


def simulate(
    scenario: Scenario, replication: int = 0, seed: int | None = None
) -> ReplicationResult:
    """Run one replication and return its records.

    Args:
        scenario: a validated scenario.
        replication: replication number; selects independent random streams.
        seed: overrides ``scenario.seed``.
    """
    seed = scenario.seed if seed is None else seed
    env = simpy.Environment()
    log = ContactLog()
    names = tuple(scenario.queues)
    index = {name: i for i, name in enumerate(names)}
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    window = (scenario.warmup, scenario.duration)
    horizon = scenario.duration + scenario.drain
    nodes: list[Node] = []
    agent_ids = itertools.count()

    def send(dest: int, contact: int, hop: int) -> None:
        nodes[dest].arrive(contact, hop)

    for name, spec in scenario.queues.items():
        streams = queue_streams(seed, replication, name)
        routes = {
            f: Route({index[d]: p for d, p in getattr(spec, f).items() if p > 0})
            for f in ROUTE_FIELDS
        }
        node = Node(
            env,
            index[name],
            spec,
            log=log,
            streams=streams,
            routes=routes,
            send=send,
            window=window,
            max_hops=scenario.max_hops,
            agent_ids=agent_ids,
        )
        nodes.append(node)
        if spec.arrivals is not None:
            edges, rates = rate_function(spec.arrivals, clock, 0.0, scenario.duration)
            times = sample_arrivals(edges, rates, streams["arrivals"])
            node.source(times)
        env.process(node.shifts(shift_instances(spec.staff, clock, horizon)))
        if spec.pickup is not None:
            env.process(node.pickups(_pickup_times(spec.pickup, clock, horizon)))

    stop = env.event()
    env.process(_watch(env, log, scenario.duration, horizon, stop))
    env.run(until=stop)
    for node in nodes:
        node.pool.close(env.now)
    hops, contacts = log.close()
    accounts = tuple(_account(n, hops, window) for n in nodes)
    return ReplicationResult(
        scenario.name, replication, seed, names, hops, contacts, accounts, window, env.now
    )


def _account(node: Node, hops: dict[str, np.ndarray], window: tuple[float, float]) -> QueueAccount:
    """Agent-time figures of one queue; busy time is exact from the records."""
    served = (hops["queue"] == node.index) & ~np.isnan(hops["agent_start"])
    start = hops["agent_start"][served]
    overlap = np.minimum(start + hops["service"][served], window[1]) - np.maximum(start, window[0])
    busy = float(np.clip(overlap, 0.0, None).sum())
    capacity = node.pool.present_time * node.pool.max_chats
    return QueueAccount(
        present_time=node.pool.present_time,
        busy_time=busy,
        on_shift_time=node.pool.on_shift_time,
        utilization=busy / capacity if capacity > 0 else float("nan"),
        staffing=tuple(node.staffing),
    )


def _pickup_times(times: tuple[float, ...], clock: Clock, horizon: float) -> list[float]:
    return sorted(
        t
        for day in clock.days(0.0, horizon)
        for clock_time in times
        if 0.0 <= (t := clock.day_start(day) + clock_time) < horizon
    )


def _watch(env: simpy.Environment, log: ContactLog, end: float, horizon: float, stop):
    """Stop once arrivals have ended and every contact has left, or at the drain limit."""
    yield env.timeout(end)
    step = 60.0
    while env.now < horizon and log.in_flight():
        yield env.timeout(min(step, horizon - env.now))
        step = min(step * 2, 3600.0)
    stop.succeed()
