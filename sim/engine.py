"""One replication of a scenario: build the network of nodes on SimPy and run it.

:func:`simulate` is a pure function of (scenario, replication, seed): it reads no files,
touches no global random state and returns plain columnar records.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.crew import Crew, ShiftStarts
from sim.environment import Environment, chained
from sim.node import Node
from sim.pickups import pickup_schedule, pickups
from sim.records import ContactLog
from sim.routing import queue_routes
from sim.scenario import Scenario
from sim.streams import queue_streams, stream_index
from sim.timeline import Clock, rate_function, sample_arrivals, shift_instances
from sim.workload import check_arrivals, integral

if TYPE_CHECKING:
    from sim.scenario import Shift

__all__ = ["CrewAccount", "QueueAccount", "ReplicationResult", "simulate"]

# (time, agents from then on): on shift in ``staffing``, on a break in ``breaks``
Steps = tuple[tuple[float, int], ...]
_SLICE = 1 << 18  # records summed at a time for the crews' busy time


@dataclass(frozen=True)
class CrewAccount:
    """Agent-time accounting of one roster (a queue's own staff or a team) over the window.

    ``busy_by_queue[i]`` is the time its agents spent on contacts of queue
    ``serves[i]``; chat slots count separately, so with concurrency busy time is
    occupied slot time. ``agent_ids`` are the numbers of its agents (the ``agent``
    column of the hop records). Two shares of the busy time: ``utilization`` over the
    slot time present (breaks included), ``occupancy`` over the slot time available
    (breaks excluded); without breaks they are the same.
    """

    name: str
    team: bool
    serves: tuple[int, ...]
    slots: int
    present_time: float
    on_shift_time: float
    break_time: float
    busy_by_queue: tuple[float, ...]
    staffing: Steps
    breaks: Steps
    agent_ids: tuple[int, ...] = ()

    @property
    def busy_time(self) -> float:
        """Time (in slots) the crew's agents spent on contacts."""
        return float(sum(self.busy_by_queue))

    @property
    def available_time(self) -> float:
        """Agent time on shift and not on break."""
        return self.on_shift_time - self.break_time

    @property
    def present_slot_time(self) -> float:
        """Slot time the agents were present, breaks included.

        Present: on shift, or finishing a contact after the shift ended (so that the
        busy time never exceeds it).
        """
        return self.present_time * self.slots

    @property
    def available_slot_time(self) -> float:
        """Slot time the agents were present and not on a break."""
        return (self.present_time - self.break_time) * self.slots

    @property
    def utilization(self) -> float:
        """Busy slot time over the slot time present (on shift, breaks included)."""
        return _busy_share((self,), present=True)

    @property
    def occupancy(self) -> float:
        """Busy slot time over the slot time available (present and not on a break)."""
        return _busy_share((self,), present=False)


@dataclass(frozen=True)
class QueueAccount:
    """Agent-time accounting of one queue over the measurement window.

    The figures are those of every agent who may take the queue's contacts: its own
    staff and the teams that serve it (a team's agents count for each of its queues).
    ``utilization`` is their busy slot time over the slot time they were present (on
    shift, breaks included), ``occupancy`` over the slot time they were available (not
    on a break); see :class:`CrewAccount`.
    """

    present_time: float
    busy_time: float
    on_shift_time: float
    utilization: float
    staffing: Steps
    breaks: Steps
    available_time: float
    occupancy: float


@dataclass(frozen=True)
class ReplicationResult:
    """Everything one replication produced, as plain arrays.

    Attributes:
        scenario: the scenario's name.
        replication: the replication number.
        seed: the base seed it ran with.
        queues: the queue names; the ``queue`` and ``next_queue`` codes index them.
        hops: one numpy column per field, one row per hop (visit to a queue):
            ``contact``, ``hop``, ``queue``, ``arrive``, ``response``, ``agent_start``,
            ``end``, ``service``, ``outcome`` (an :class:`~sim.records.Outcome` code),
            ``by`` (a :class:`~sim.records.By` code), ``next_queue`` (-1: none) and
            ``agent`` (-1: none); times in seconds from the start, NaN when they did not
            happen (:meth:`sim.Results.contacts` is the same as a DataFrame).
        contacts: per contact (indexed by the ``contact`` id): ``entered`` (time of its
            first arrival) and ``entry_queue`` (code of its first queue).
        accounts: agent-time accounting of each queue, in the order of ``queues``.
        window: the measurement window ``(warm-up end, duration)`` in seconds.
        end_time: the clock when the run stopped (the last contact gone, or the drain
            limit reached).
        crews: agent-time accounting of each team (see :attr:`teams`).
    """

    scenario: str
    replication: int
    seed: int
    queues: tuple[str, ...]
    hops: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    accounts: tuple[QueueAccount, ...]
    window: tuple[float, float]
    end_time: float
    crews: tuple[CrewAccount, ...] = ()

    @property
    def n_records(self) -> int:
        """Number of hop records."""
        return len(self.hops["contact"])

    @property
    def records(self) -> dict[str, np.ndarray]:
        """Hop records (alias used by benchmarks and notebooks)."""
        return self.hops

    @property
    def teams(self) -> tuple[CrewAccount, ...]:
        """The accounts of the scenario's teams, in file order."""
        return tuple(c for c in self.crews if c.team)

    def pooled_utilization(self, queues: Iterable[int]) -> float:
        """Utilisation of every agent who may take contacts of any of ``queues``.

        Busy slot time over slot time present (breaks included); a team serving several
        of them counts once.
        """
        return _busy_share(self._serving(queues), present=True)

    def pooled_occupancy(self, queues: Iterable[int]) -> float:
        """Occupancy of every agent who may take contacts of any of ``queues``.

        Busy slot time over slot time available (not on a break); a team serving several
        of them counts once.
        """
        return _busy_share(self._serving(queues), present=False)

    def _serving(self, queues: Iterable[int]) -> list[CrewAccount]:
        """The crews that serve any of ``queues``."""
        wanted = set(queues)
        return [c for c in self.crews if wanted & set(c.serves)]


def _busy_share(crews: Iterable[CrewAccount], *, present: bool) -> float:
    """The crews' busy slot time over their slot time present or available (NaN if none).

    ``present``: utilisation (breaks included in the time); otherwise occupancy.
    """
    crews = tuple(crews)
    time = sum(c.present_slot_time if present else c.available_slot_time for c in crews)
    return sum(c.busy_time for c in crews) / time if time > 0 else float("nan")


def simulate(
    scenario: Scenario, replication: int = 0, seed: int | None = None
) -> ReplicationResult:
    """Run one replication and return its records.

    Args:
        scenario: a validated scenario.
        replication: replication number; selects independent random streams.
        seed: overrides ``scenario.seed``.

    Raises:
        ScenarioError: one replication would have more arrivals than the engine takes
            (:data:`sim.workload.MAX_ARRIVALS`).
        TypeError: ``scenario`` is not a Scenario (a file's path: :func:`sim.load` it
            first), or ``seed`` or ``replication`` is not a whole number.
        ValueError: ``seed`` or ``replication`` is negative.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"simulate takes a loaded Scenario (sim.load(path)), got {type(scenario).__name__}"
        )
    # Checked here, not deep in numpy: both key every random stream of the replication.
    seed = stream_index(scenario.seed if seed is None else seed, "seed")
    replication = stream_index(replication, "replication")
    env = Environment()
    log = ContactLog()
    names = tuple(scenario.queues)
    index = {name: i for i, name in enumerate(names)}
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    window = (scenario.warmup, scenario.duration)
    horizon = scenario.duration + scenario.drain
    nodes: list[Node] = []
    crews: list[Crew] = []
    numbers = itertools.count()  # agents, in the order they first come on shift
    arrivals: dict[int, np.ndarray] = {}  # each queue's arrival times from outside
    starts = ShiftStarts(env)  # own crews are made first, then teams: their dispatch order
    arrival_rates = {
        name: rate_function(spec.arrivals, clock, 0.0, scenario.duration)
        for name, spec in scenario.queues.items()
        if spec.arrivals is not None
    }
    # A scenario built without the loader (model_copy) meets the same hard limit.
    check_arrivals({q: integral(*r) for q, r in arrival_rates.items()}, scenario.name)

    def roster(crew: Crew, staff: int | tuple[Shift, ...]) -> None:
        crews.append(crew)
        env.process(crew.shifts(shift_instances(staff, clock, horizon)))

    for name, spec in scenario.queues.items():
        streams = queue_streams(seed, replication, name)
        node = Node(
            env,
            index[name],
            spec,
            name=name,
            log=log,
            streams=streams,
            routes=queue_routes(spec, index, streams),
            network=nodes,
            max_hops=scenario.max_hops,
        )
        nodes.append(node)
        if name in arrival_rates:
            arrivals[node.index] = sample_arrivals(*arrival_rates[name], streams["arrivals"])
        own = Crew(
            env,
            name,
            [node],
            window=window,
            numbers=numbers,
            breaks=spec.break_pattern,
            starts=starts,
            own=True,
        )
        node.attach(own.pool, own=True, staffed=spec.max_agents > 0)
        roster(own, spec.staff)
    for name, team in scenario.teams.items():
        served = [nodes[index[q]] for q in team.serves]
        crew = Crew(
            env,
            name,
            served,
            window=window,
            numbers=numbers,
            breaks=team.break_pattern,
            starts=starts,
        )
        for node in served:
            node.attach(crew.pool, own=False)
        roster(crew, team.staff)

    _feed_arrivals(env, nodes, arrivals)
    del arrivals  # the environment holds them, merged: these would stay for the whole run
    env.process(pickups(env, pickup_schedule(dict(zip(names, nodes, strict=True)), clock, horizon)))
    stop = env.event()
    env.process(_watch(env, log, scenario.duration, horizon, stop))
    env.run(until=stop)
    log.land_transit()
    for crew in crews:
        crew.pool.close(env.now)
    hops, contacts = log.close()
    crew_accounts = _crew_accounts(crews, len(names), hops, window)
    for node in nodes:  # the records and draws go now, not at the next full collection
        node.release()
    accounts = tuple(_queue_account(q, crew_accounts) for q in range(len(names)))
    return ReplicationResult(
        scenario.name,
        replication,
        seed,
        names,
        hops,
        contacts,
        accounts,
        window,
        env.now,
        crew_accounts,
    )


def _feed_arrivals(env: Environment, nodes: list[Node], arrivals: dict[int, np.ndarray]) -> None:
    """Give the environment every arrival from outside, in time order (``Environment.feed``).

    Each queue's times are the clock's, as a chain of timeouts would reach them (see
    :func:`sim.environment.chained`); arrivals at one instant go in the queues' order.
    """
    if not arrivals:
        return
    times = np.concatenate([chained(t) for t in arrivals.values()])
    # The queue of each arrival, in the smallest integer type: held for the whole run.
    queues = np.fromiter(arrivals, np.min_scalar_type(len(nodes)))
    which = np.repeat(queues, [len(t) for t in arrivals.values()])
    order = np.argsort(times, kind="stable")
    times, which = times[order], which[order]
    # Each is called with its time: a bound method, which the interpreter calls without
    # a C-level frame of its own (a partial giving the contact and hop took one: a week
    # of the joined platform 1.1% more instructions, stop 31).
    arrive = [node.arrive for node in nodes]
    # Through memoryviews: a Python number is made for each arrival as it comes, none ahead.
    env.feed(times.data, map(arrive.__getitem__, which.data))


def _crew_accounts(
    crews: list[Crew],
    n_queues: int,
    hops: dict[str, np.ndarray],
    window: tuple[float, float],
) -> tuple[CrewAccount, ...]:
    """Each crew's agent time; busy time is exact from the records.

    The first ``n_queues`` crews are the queues' own staff, the rest teams.
    """
    agents = sum(len(c.pool.ids) for c in crews)
    crew_of = np.empty(agents, dtype=np.int64)
    for i, crew in enumerate(crews):
        crew_of[crew.pool.ids] = i
    cells = len(crews) * n_queues
    busy: np.ndarray = np.zeros(cells)  # flat, then one row a crew
    # In slices of the records: the temporaries of a year's records at once would be
    # the run's peak of memory.
    lo_w, hi_w = window
    for lo in range(0, len(hops["agent"]), _SLICE):
        agent = hops["agent"][lo : lo + _SLICE]
        served = np.flatnonzero(agent >= 0)  # taken by index: faster than a mask, reused
        start = hops["agent_start"][lo : lo + _SLICE].take(served)
        overlap = start + hops["service"][lo : lo + _SLICE].take(served)  # the end
        np.minimum(overlap, hi_w, out=overlap)
        overlap -= np.maximum(start, lo_w, out=start)
        cell = crew_of.take(agent.take(served))
        cell *= n_queues
        cell += hops["queue"][lo : lo + _SLICE].take(served)
        # Added one by one in record order, as one bincount over all of them would.
        np.add.at(busy, cell, np.maximum(overlap, 0.0, out=overlap))
    busy = busy.reshape(len(crews), n_queues)
    accounts = []
    for i, crew in enumerate(crews):
        serves = tuple(node.index for node in crew.nodes)
        pool = crew.pool
        accounts.append(
            CrewAccount(
                name=crew.name,
                team=i >= n_queues,
                serves=serves,
                slots=pool.max_chats,
                present_time=pool.present_time,
                on_shift_time=pool.on_shift_time,
                break_time=pool.break_time,
                busy_by_queue=tuple(float(busy[i, q]) for q in serves),
                staffing=tuple(crew.staffing),
                agent_ids=tuple(pool.ids),
                breaks=tuple(pool.breaks),
            )
        )
    return tuple(accounts)


def _queue_account(queue: int, crews: tuple[CrewAccount, ...]) -> QueueAccount:
    """A queue's figures: those of its own staff and of the teams serving it."""
    serving = [c for c in crews if queue in c.serves]
    return QueueAccount(
        present_time=sum(c.present_time for c in serving),
        busy_time=sum(c.busy_time for c in serving),
        on_shift_time=sum(c.on_shift_time for c in serving),
        utilization=_busy_share(serving, present=True),
        staffing=_sum_steps([c.staffing for c in serving]),
        available_time=sum(c.available_time for c in serving),
        breaks=_sum_steps([c.breaks for c in serving]),
        occupancy=_busy_share(serving, present=False),
    )


def _sum_steps(steps: list[Steps]) -> Steps:
    """The sum of step functions given as (time, level from then on), changes only."""
    if len(steps) == 1:
        return steps[0]
    times = sorted({t for s in steps for t, _ in s})
    levels = []
    for s in steps:
        at = np.array([t for t, _ in s])
        level = np.array([n for _, n in s])
        levels.append(level[np.searchsorted(at, times, side="right") - 1])
    total = np.sum(levels, axis=0)
    return tuple((t, int(n)) for t, n in zip(times, total.tolist(), strict=True))


def _watch(env: simpy.Environment, log: ContactLog, end: float, horizon: float, stop):
    """Stop once arrivals have ended and every contact has left, or at the drain limit."""
    yield env.timeout(end)
    step = 60.0
    while env.now < horizon and log.in_flight():
        yield env.timeout(min(step, horizon - env.now))
        step = min(step * 2, 3600.0)
    stop.succeed()
