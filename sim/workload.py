"""How much work a scenario asks for, estimated before anything runs, and its limits.

The estimate integrates each queue's arrival rate over the horizon (rate x profile x
weekdays x peaks x holidays, the function :mod:`sim.timeline` samples from), so it
costs milliseconds and is exact in expectation. Two kinds of limit use it:

* a hard limit per replication (:data:`MAX_ARRIVALS`): no run can take more, through
  the command line or the Python API; the loader and the engine both refuse it with a
  :class:`~sim.errors.ScenarioError` instead of running out of memory;
* soft limits per command (:class:`Limits`): contacts, agent shifts, replications and
  memory a command may ask for before it must be confirmed (``--allow-large``).

Memory is counted per queue visit (a hop record): the expected visits of a replication
come from the arrivals and the scenario's own routes (:func:`expected_visits`, an upper
bound), the bytes per visit are measured, not guessed (``benchmarks/bench_memory.py``):
the records a kept replication holds, and what a replication needs while it runs.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from sim.errors import ScenarioError, WorkloadError
from sim.options import named
from sim.scenario import Queue, Routes, Scenario, route_share
from sim.timeline import Clock, rate_function, shift_instances

__all__ = [
    "BYTES_KEPT_PER_VISIT",
    "BYTES_PER_WORKER",
    "BYTES_RUNNING_PER_VISIT",
    "BYTES_WRITTEN_PER_VISIT",
    "LIMITS",
    "MAX_ARRIVALS",
    "Limits",
    "Workload",
    "WorkloadError",
    "check_arrivals",
    "check_runnable",
    "check_workers",
    "estimate",
    "expected_arrivals",
    "expected_visits",
    "gib",
    "integral",
]

# Contacts are numbered in a 32-bit column, and records cost memory: 10^8 arrivals in one
# replication is about 10 GB of records, far past any question about one service desk.
MAX_ARRIVALS = 100_000_000

# Bytes per queue visit (hop record) of one replication, measured by
# benchmarks/bench_memory.py in fresh processes, as the operating system counts them
# (every shipped scenario scaled to 100,000 arrivals per replication; the largest over
# them, up to 499, 75 and 485, came from scenarios of about one visit per arrival, whose
# per-contact columns weigh on each visit): what a worker's resident set rises by to run
# a replication and send its result, what the parent holds per replication kept (its
# records: 55 bytes a visit and 10 a contact, unpickled), and the extra peak of writing
# its rows of contacts.csv (``sim run --out``).
BYTES_RUNNING_PER_VISIT = 500
BYTES_KEPT_PER_VISIT = 80
BYTES_WRITTEN_PER_VISIT = 500

# Memory of its own each local worker process holds, whatever it runs: forked from the
# parent, it shares the parent's pages until Python writes to them (reference counts,
# and in a full collection the headers of every object the parent made), so a busy
# worker ends up with a private copy of most of the parent's heap. Measured by
# benchmarks/bench_workers.py (peak private memory, USS, of each worker of
# ``sim run --workers 2``): at most 73.4 MiB over 6,000 replications of the smallest
# shipped scenario (``-n 6000``), 79.9 to 82.4 MiB in four runs with ``--out --plots``
# (``-n 3000 --plots``: the parent's heap is larger); rounded up to a multiple of 16 MiB.
BYTES_PER_WORKER = 96 * 1024**2


@dataclass(frozen=True)
class Limits:
    """What one command may ask for without ``--allow-large``.

    ``contacts``, ``agent_shifts`` and ``replications`` bound one set of runs (a run, a
    sweep, one calibration evaluation); ``total_contacts`` bounds a command that repeats
    its set (calibration, staffing): many evaluations of an ordinary scenario are an
    ordinary calibration, only an absurd total is refused.
    """

    contacts: int = 20_000_000
    agent_shifts: int = 20_000_000
    replications: int = 20_000
    memory_bytes: int = 2 * 1024**3
    total_contacts: int = 500_000_000


LIMITS = Limits()


def _clock(scenario: Scenario) -> Clock:
    return Clock(scenario.start, frozenset(scenario.calendar.holidays))


def expected_arrivals(scenario: Scenario) -> dict[str, float]:
    """Expected external arrivals per queue in one replication (the rate's integral)."""
    clock = _clock(scenario)
    found = {}
    for name, queue in scenario.queues.items():
        if queue.arrivals is not None:
            found[name] = integral(*rate_function(queue.arrivals, clock, 0.0, scenario.duration))
    return found


def expected_visits(scenario: Scenario, arrivals: dict[str, float] | None = None) -> float:
    """Queue visits (hop records) of one replication, in expectation and from above.

    External arrivals (:func:`expected_arrivals`) go through the routes hop by hop, up
    to ``max_hops``: each visit sends on, to each queue, at most what the likeliest way
    of leaving sends there (:func:`_fan_out`). Which way a visit leaves depends on the
    queueing (closed hours, a long line, patience), which no formula gives; the largest
    of them bounds any mixture of them, so the estimate errs on the safe side, exact for
    a queue with one way out. ``arrivals``: :func:`expected_arrivals`, if known.
    """
    names = list(scenario.queues)
    index = {name: i for i, name in enumerate(names)}
    fan = np.array([_fan_out(scenario.queues[name], index, index[name]) for name in names])
    arrivals = expected_arrivals(scenario) if arrivals is None else arrivals
    wave = np.array([arrivals.get(name, 0.0) for name in names])
    total = float(wave.sum())
    for _ in range(scenario.max_hops - 1):  # one wave per hop: hop k's visits
        wave = wave @ fan
        reached = float(wave.sum())
        total += reached
        if reached <= 1e-9 * total:  # what is left cannot matter (or nothing routes)
            break
    return total


def _fan_out(queue: Queue, index: dict[str, int], own: int) -> np.ndarray:
    """Visits to each queue that one visit at ``queue`` (number ``own``) opens next, at most."""

    def shares(routes: Routes, scale: float = 1.0) -> np.ndarray:
        row = np.zeros(len(index))
        for dest, value in routes.items():
            # A queue taken out of its network (``sim staff`` plans it alone) keeps its
            # routes to queues that are not simulated: no visits there.
            if dest in index:
                row[index[dest]] += scale * route_share(value)
        return row

    # The ways a visible visit can end, each with what it sends on in expectation.
    unresolved = shares(queue.on_unresolved, 1.0 - queue.resolution)
    ways = [unresolved]
    if queue.bot is not None and queue.bot.when == "unstaffed" and queue.bot.unresolved == "route":
        ways.append(shares(queue.on_unresolved, 1.0 - queue.bot.resolution))
    if queue.closed == "route":
        ways.append(shares(queue.on_closed))
    if queue.overflow is not None:
        ways.append(shares(queue.on_overflow))
    if queue.patience is not None:
        again = queue.retry.probability if queue.retry is not None else 0.0
        abandon = shares(queue.on_abandon, 1.0 - again)
        abandon[own] += again  # a retrial is a visit to the queue itself
        ways.append(abandon)
    # Parallel visits open beside whichever way it ends (only some open one: at most).
    visible = np.max(ways, axis=0) + shares(queue.parallel)
    hidden = shares(queue.on_not_visible)
    return queue.visibility * visible + (1.0 - queue.visibility) * hidden


def _agent_shifts(scenario: Scenario) -> int:
    """Agent shifts and breaks in one replication (each is an event per agent)."""
    clock = _clock(scenario)
    horizon = scenario.duration + scenario.drain
    count = 0.0
    for roster in (*scenario.queues.values(), *scenario.teams.values()):
        pattern = roster.break_pattern
        for shift in shift_instances(roster.staff, clock, horizon):
            count += shift.agents
            if pattern is not None:
                worked = min(shift.end, horizon) - shift.start
                count += shift.agents * worked / pattern.every
    return math.ceil(count)


def check_runnable(scenario: Scenario, source: str | None = None) -> None:
    """Refuse a scenario whose one replication asks for more than :data:`MAX_ARRIVALS`.

    Raises:
        ScenarioError: naming the busiest queue and the expected count.
    """
    check_arrivals(expected_arrivals(scenario), source or scenario.name)


def check_arrivals(arrivals: dict[str, float], source: str) -> None:
    """Refuse expected arrivals per queue (one replication) past :data:`MAX_ARRIVALS`.

    Raises:
        ScenarioError: naming the busiest queue and the expected count.
    """
    total = math.fsum(arrivals.values())
    if total <= MAX_ARRIVALS:  # also False for NaN
        return
    biggest = max(arrivals, key=arrivals.__getitem__)
    raise ScenarioError(
        source,
        [
            (
                f"queues.{biggest}.arrivals",
                f"one replication would have about {total:.3g} arrivals; the limit is "
                f"{MAX_ARRIVALS:,} (check rate, peaks, multipliers and duration)",
            )
        ],
    )


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where the system does not say."""
    with contextlib.suppress(AttributeError, ValueError, OSError):  # no sysconf: Windows
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if total > 0:
            return total
    return None


def check_workers(workers: int) -> None:
    """Refuse to start more local worker processes than the machine's memory can hold.

    The hard limit on processes, through the command line (even with ``--allow-large``)
    and the Python API: each busy worker holds :data:`BYTES_PER_WORKER` of its own, so
    past the physical memory the system would kill them, or the whole session, before
    any result came back; no run needs that many (more than the cores gain nothing).

    Raises:
        WorkloadError: naming the processes, their memory and the machine's.
    """
    total = physical_memory()
    if workers < 2 or total is None or workers * BYTES_PER_WORKER <= total:
        return
    raise WorkloadError(
        named("workers"),  # the option the count came by: workers=, or --workers
        [
            (
                "",
                f"{workers:,} worker processes would hold about "
                f"{gib(workers * BYTES_PER_WORKER)} of memory before any work "
                f"({gib(BYTES_PER_WORKER)} each, measured), more than this machine has "
                f"({gib(total)}); use fewer (one per core is the default)",
            )
        ],
    )


def integral(edges: np.ndarray, rates: np.ndarray) -> float:
    """Expected arrivals of a piecewise-constant rate: its integral."""
    return math.fsum((rates * np.diff(edges)).tolist())


@dataclass(frozen=True)
class Workload:
    """What a command will simulate, in total.

    ``memory_bytes`` is ``running_bytes`` (one replication running) times the workers
    that run at once, plus ``kept_bytes`` (what the parent holds whatever the workers:
    kept records, the rows being written).
    """

    replications: int
    contacts: float
    agent_shifts: int
    memory_bytes: float
    per_replication: float = 0.0
    repeats: int = 1
    running_bytes: float = 0.0
    kept_bytes: float = 0.0

    def workers_within(self, cores: int, limits: Limits | None = None) -> int:
        """The most local workers, from 1 to ``cores`` and the replications, within memory.

        Each worker runs one replication at a time (``running_bytes``); the count is the
        largest whose estimate stays within ``limits.memory_bytes``, at least 1 (one that
        passes the limit even alone is for :meth:`problems` to report).

        Args:
            cores: the most workers wanted (the usable cores).
            limits: the limits to apply (default: :data:`LIMITS`, read when called).
        """
        limit = (limits or LIMITS).memory_bytes
        most = max(1, min(cores, self.replications))
        if self.running_bytes <= 0 or self.memory_at(most) <= limit:
            return most  # running adds nothing, or every worker fits
        fit = math.floor((limit - self.kept_bytes) / self.running_bytes)
        if fit >= 1 and self.memory_at(fit) > limit:  # the division rounded up: the sum decides
            fit -= 1
        return max(1, min(most, fit))

    def memory_at(self, workers: int) -> float:
        """The memory estimate with ``workers`` running at once (as :func:`estimate` sums it)."""
        return self.running_bytes * workers + self.kept_bytes

    def problems(self, limits: Limits | None = None) -> list[str]:
        """Each limit this workload passes, as a phrase with the estimate.

        Args:
            limits: the limits to apply (default: :data:`LIMITS`, read when called).
        """
        limits = limits or LIMITS
        found = []
        if self.replications > limits.replications:
            found.append(f"{self.replications:,} replications (limit {limits.replications:,})")
        if self.contacts > limits.contacts:
            found.append(
                f"about {self.contacts:,.0f} contacts ({self.per_replication:,.0f} in one "
                f"replication; limit {limits.contacts:,})"
            )
        total = self.contacts * self.repeats
        # One evaluation: the line above says it already (the total limit is the larger).
        if self.repeats > 1 and total > limits.total_contacts:
            found.append(
                f"about {total:,.0f} contacts over {self.repeats:,} evaluations "
                f"(limit {limits.total_contacts:,})"
            )
        if self.agent_shifts > limits.agent_shifts:
            found.append(
                f"about {self.agent_shifts:,} agent shifts and breaks "
                f"(limit {limits.agent_shifts:,})"
            )
        if self.memory_bytes > limits.memory_bytes:
            found.append(
                f"about {gib(self.memory_bytes)} of memory (limit {gib(limits.memory_bytes)})"
            )
        return found


def gib(n: float) -> str:
    """A size in bytes as ``1.5 GiB`` (from 1 GiB) or ``96 MiB``."""
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


def estimate(
    runs: Iterable[tuple[Scenario, int]],
    *,
    keep: bool = False,
    write: bool = False,
    workers: int = 1,
    repeats: int = 1,
) -> Workload:
    """The workload of running each ``(scenario, replications)`` pair ``repeats`` times.

    Args:
        runs: the scenarios (variants) and how many replications each runs.
        keep: whether every replication's records are kept (``sim run``, ``sim plot``)
            rather than reduced to figures where it ran.
        write: whether the per-contact table is written (``sim run --out``), one
            replication at a time.
        workers: local processes; each needs one running replication's memory, and no
            more of them start than there are replications; 1 runs in this process. The
            processes' own memory (:data:`BYTES_PER_WORKER` each) is not counted here:
            it grows with the cores, not the work, and a default run on a many-core
            machine must not be refused for it; :func:`check_workers` holds the count to
            what the machine's memory can take.
        repeats: how many times the whole set runs (calibration evaluations); the
            per-set limits apply to one set, ``total_contacts`` to all of them.
    """
    replications, contacts, shifts, largest = 0, 0.0, 0, 0.0
    visits, most_visits = 0.0, 0.0  # memory follows the visits (hop records)
    for scenario, n in runs:
        arrivals = expected_arrivals(scenario)
        per_replication = math.fsum(arrivals.values())
        replications += n
        contacts += per_replication * n
        shifts += _agent_shifts(scenario) * n
        largest = max(largest, per_replication)
        per_replication = expected_visits(scenario, arrivals)
        visits += per_replication * n
        most_visits = max(most_visits, per_replication)
    kept = visits * BYTES_KEPT_PER_VISIT if keep else 0.0
    if write:  # contacts.csv is written one replication at a time
        kept += most_visits * BYTES_WRITTEN_PER_VISIT
    work = Workload(
        replications, contacts, shifts, 0.0, largest, repeats,
        running_bytes=most_visits * BYTES_RUNNING_PER_VISIT, kept_bytes=kept,
    )  # fmt: skip
    # The runner starts at most one process per replication (sim.runner.backend).
    return replace(work, memory_bytes=work.memory_at(max(1, min(workers, replications))))
