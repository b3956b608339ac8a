"""How much work a scenario asks for, estimated before anything runs, and its limits.

The estimate integrates each queue's arrival rate over the horizon (rate x profile x
weekdays x peaks x holidays, the function :mod:`sim.timeline` samples from), so it
costs milliseconds and is exact in expectation. Two kinds of limit use it:

* a hard limit per replication (:data:`MAX_ARRIVALS`): no run can take more, through
  the command line or the Python API; the loader and the engine both refuse it with a
  :class:`~sim.errors.ScenarioError` instead of running out of memory;
* soft limits per command (:class:`Limits`): contacts, agent shifts, replications and
  memory a command may ask for before it must be confirmed (``--allow-large``).

Memory per contact is measured, not guessed (``benchmarks/bench_memory.py``): the
records a kept replication holds, and what a replication needs while it runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sim.errors import ScenarioError
from sim.scenario import Scenario
from sim.timeline import Clock, rate_function, shift_instances

__all__ = [
    "BYTES_KEPT_PER_CONTACT",
    "BYTES_RUNNING_PER_CONTACT",
    "BYTES_WRITTEN_PER_CONTACT",
    "LIMITS",
    "MAX_ARRIVALS",
    "Limits",
    "Workload",
    "WorkloadError",
    "check_arrivals",
    "check_runnable",
    "estimate",
    "expected_arrivals",
    "integral",
]

# Contacts are numbered in a 32-bit column, and records cost memory: 10^8 arrivals in one
# replication is about 10 GB of records, far past any question about one service desk.
MAX_ARRIVALS = 100_000_000

# Bytes per external arrival of one replication, measured by benchmarks/bench_memory.py
# (tracemalloc plus the records' memory maps, every shipped scenario scaled to 100,000
# arrivals per replication; the largest were all offline.yaml's, three queue visits per
# arrival: up to 469, 413 and 971 over two runs): the peak while a replication runs, what
# its records hold once it is done, and the extra peak of writing its rows of contacts.csv
# (``sim run --out``).
BYTES_RUNNING_PER_CONTACT = 480
BYTES_KEPT_PER_CONTACT = 420
BYTES_WRITTEN_PER_CONTACT = 1000


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


class WorkloadError(ScenarioError):
    """A run past a limit (bad input: exit code 2)."""


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


def integral(edges: np.ndarray, rates: np.ndarray) -> float:
    """Expected arrivals of a piecewise-constant rate: its integral."""
    return math.fsum((rates * np.diff(edges)).tolist())


@dataclass(frozen=True)
class Workload:
    """What a command will simulate, in total."""

    replications: int
    contacts: float
    agent_shifts: int
    memory_bytes: float
    per_replication: float = 0.0
    repeats: int = 1

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
                f"about {_gib(self.memory_bytes)} of memory (limit {_gib(limits.memory_bytes)})"
            )
        return found


def _gib(n: float) -> str:
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
        workers: replications running at once (each needs its running memory).
        repeats: how many times the whole set runs (calibration evaluations); the
            per-set limits apply to one set, ``total_contacts`` to all of them.
    """
    replications, contacts, shifts, largest = 0, 0.0, 0, 0.0
    for scenario, n in runs:
        per_replication = math.fsum(expected_arrivals(scenario).values())
        replications += n
        contacts += per_replication * n
        shifts += _agent_shifts(scenario) * n
        largest = max(largest, per_replication)
    memory = largest * BYTES_RUNNING_PER_CONTACT * max(1, workers)
    if keep:
        memory += contacts * BYTES_KEPT_PER_CONTACT
    if write:  # contacts.csv is written one replication at a time
        memory += largest * BYTES_WRITTEN_PER_CONTACT
    return Workload(replications, contacts, shifts, memory, largest, repeats)
