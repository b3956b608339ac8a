"""Is a desk keeping up? Backlog warnings from a run's own records.

A one-week run plus a drain can hide a desk that falls behind: its contacts all get
answered in the drain, so every figure looks finite, yet run for thirteen weeks the
backlog grows without bound. Two signs show it in the records of the run itself, with
no second simulation:

* **offered work above capacity**: the agent time the counted contacts needed (handle
  times of those an agent took, plus the mean handle time for each still waiting at the
  end) exceeds the agent time on shift and not on break in the measurement window (chat
  slots with concurrency); queues that share agents (a team) are taken together. Over
  a run of a week or more (its ``duration``, a warmup included: the run still covers
  the week's pattern of days, the warmup only delays counting) this means the backlog
  grows week on week.
  A queue whose contacts have a patience is not flagged: abandonment bounds its backlog
  however overloaded it is.
* **unfinished visits**: more than 1% of a queue's visits by counted contacts were still
  in the system when the drain ended.

A run shorter than a week (a peak day, overloaded by design; five working days) covers
only part of the week's pattern, so its work against capacity says nothing of the weeks
after it; instead of the first warning it reports its backlog: how many visits by
counted contacts were still waiting when arrivals stopped, and how long the drain took
to answer them.

The unfinished share and the backlog count visits, the queue's work: a contact that
comes back (a retry) or is sent there twice at once (a parallel visit and an
escalation) is two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine import ReplicationResult
from sim.options import option
from sim.records import Outcome
from sim.scenario import Scenario
from sim.units import format_duration

__all__ = ["WEEK", "QueueLoad", "queue_loads", "stability_messages"]

WEEK = 7 * 86400.0
UNFINISHED_SHARE = 0.01


@dataclass(frozen=True)
class QueueLoad:
    """One queue in one replication: work against capacity, and what was left over.

    Queues that share agents (a team serving several) share one capacity: ``pool`` names
    the queues of that pool and ``capacity`` is the pool's, the same for each of them.

    Attributes:
        counted: visits of counted contacts.
        unfinished: of them, still in the system at the end of the drain.
        work: agent seconds those visits needed.
        capacity: available agent seconds of the queue's pool in the measurement window
            (times chat slots).
        pool: the queues sharing that capacity, comma-separated.
        backlog: visits waiting for a first answer when arrivals stopped.
        cleared: seconds after arrivals stopped until the last of them was answered or
            left (NaN without a backlog; infinite when some were neither by the drain's end).
    """

    counted: int
    unfinished: int
    work: float
    capacity: float
    pool: str
    backlog: int
    cleared: float


def _pools(result: ReplicationResult) -> list[set[int]]:
    """Queues joined by the rosters that serve them (a team links all its queues)."""
    pools: list[set[int]] = [{q} for q in range(len(result.queues))]
    for crew in result.crews:
        linked = [p for p in pools if p & set(crew.serves)]
        merged = set().union(*linked) if linked else set()
        pools = [p for p in pools if p not in linked] + [merged]
    return pools


def _capacity(result: ReplicationResult, pool: set[int]) -> float:
    return sum(
        (c.on_shift_time - c.break_time) * c.slots for c in result.crews if pool & set(c.serves)
    )


def _load(
    scenario: Scenario, result: ReplicationResult, q: int, mine: np.ndarray, pool: set[int]
) -> QueueLoad:
    """Queue ``q``'s figures from ``mine``, the rows of its counted visits in log order."""
    hops, name = result.hops, result.queues[q]
    spec = scenario.queues[name]
    taken = ~np.isnan(hops["agent_start"][mine])
    handles = hops["service"][mine][taken]
    mean_handle = float(handles.mean()) if len(handles) else spec.service.mean
    pending = hops["outcome"][mine] == Outcome.UNFINISHED
    waiting = int((pending & ~taken).sum())
    end = result.window[1]
    response = hops["response"][mine]
    first = np.where(np.isnan(response), hops["end"][mine], response)
    # Answered at the very instant arrivals stop (a shift starting then) is still waiting.
    late = (hops["arrive"][mine] < end) & ~(first < end)
    settled = first[late]
    # A visit still waiting when the drain ends was never answered nor gone: no time clears it.
    if not late.any():
        cleared = math.nan
    elif np.isfinite(settled).all():
        cleared = float(np.max(settled) - end)
    else:
        cleared = math.inf
    return QueueLoad(
        counted=len(mine),
        unfinished=int(pending.sum()),
        work=float(handles.sum()) + waiting * mean_handle,
        capacity=_capacity(result, pool),
        pool=", ".join(result.queues[i] for i in sorted(pool)),
        backlog=int(late.sum()),
        cleared=cleared,
    )


def queue_loads(scenario: Scenario, result: ReplicationResult) -> dict[str, QueueLoad]:
    """Every queue's load figures in one replication (small: runs where it ran)."""
    hops = result.hops
    entered = result.contacts["entered"][hops["contact"]]
    counted = (entered >= result.window[0]) & (entered < result.window[1])
    del entered  # a year of the platform holds 11 million of them
    pool_of = {q: pool for pool in _pools(result) for q in pool}
    # Each queue's rows as indices, in log order: every sum adds the same numbers in the
    # same order as a mask would, and the columns are read once per queue, not filtered
    # whole per queue. (One sort of all rows would hold two index arrays of every row.)
    return {
        name: _load(scenario, result, q, np.flatnonzero(counted & (hops["queue"] == q)), pool_of[q])
        for q, name in enumerate(result.queues)
    }


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def stability_messages(
    scenario: Scenario, loads: Sequence[dict[str, QueueLoad]], source: str
) -> list[str]:
    """Warnings (``warning: ...``) and, for a run shorter than a week, backlog notes.

    Args:
        scenario: the scenario that was run.
        loads: :func:`queue_loads` of each replication; a replication may hold only
            some queues (``sim validate``'s later rounds simulate only what their targets
            depend on): each queue is judged on the replications that hold it.
        source: the file name to start each line with.
    """
    # The run's own length: a warmup delays counting, it does not make a week a peak day.
    week_long = scenario.duration >= WEEK
    lines = []
    if week_long:
        lines += _backlog_growth(scenario, loads, source)
    for name in scenario.queues:
        per_rep = [rep[name] for rep in loads if name in rep]
        counted = sum(r.counted for r in per_rep)
        if not counted:
            continue
        unfinished = sum(r.unfinished for r in per_rep)
        if unfinished > UNFINISHED_SHARE * counted:
            lines.append(
                f"warning: {source}: queue {name}: {unfinished / counted:.1%} of its counted "
                "visits were still unfinished when the drain ended"
            )
        backlog = _mean([r.backlog for r in per_rep])
        if not week_long and backlog >= 1:
            times = [r.cleared for r in per_rep]
            after = (
                "some still waiting when the drain ended"
                if any(math.isinf(t) for t in times)
                else f"the last answered or gone {_duration(_mean(times))} later"
            )
            lines.append(
                f"note: {source}: queue {name}: {backlog:.0f} visits still waiting when "
                f"arrivals stop, {after} (a run shorter than a week: backlog reported instead "
                "of a growth check)"
            )
    return lines


def _backlog_growth(
    scenario: Scenario, loads: Sequence[dict[str, QueueLoad]], source: str
) -> list[str]:
    """Pools of agents offered more work than their time, where contacts never give up."""
    lines = []
    pools = dict.fromkeys(load.pool for rep in loads for load in rep.values())
    for pool in pools:
        names = pool.split(", ")
        # Finite patience bounds a queue's backlog: only contacts that wait for ever pile up.
        if all(scenario.queues[n].patience is not None for n in names):
            continue
        # A pool's queues are simulated together or not at all: a team links them.
        mine = [rep for rep in loads if names[0] in rep]
        work = sum(rep[n].work for rep in mine for n in names)
        capacity = sum(rep[names[0]].capacity for rep in mine)
        if work > capacity and any(rep[n].counted for rep in mine for n in names):
            ratio = f"{work / capacity:.2f}x" if capacity else "more than"
            what = f"queue {pool}" if len(names) == 1 else f"queues {pool} (sharing agents)"
            longer = option("overrides", "duration=91d", python="'duration=91d'")
            lines.append(
                f"warning: {source}: {what}: the work offered is {ratio} the agent time "
                f"on shift: the backlog grows week on week (run it longer with {longer} "
                "to see it)"
            )
    return lines


def _duration(seconds: float) -> str:
    return format_duration(seconds) if math.isfinite(seconds) else "-"
