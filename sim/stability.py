"""Is a desk keeping up? Backlog warnings from a run's own records.

A one-week run plus a drain can hide a desk that falls behind: its contacts all get
answered in the drain, so every figure looks finite, yet run for thirteen weeks the
backlog grows without bound. Two signs show it in the records of the run itself, with
no second simulation:

* **offered work above capacity**: the agent time the counted contacts needed (handle
  times of those an agent took, plus the mean handle time for each still waiting at the
  end) exceeds the agent time on shift in the measurement window (chat slots with
  concurrency). Over a run of a week or more this means the backlog grows week on week.
  A queue whose contacts have a patience is not flagged: abandonment bounds its backlog
  however overloaded it is.
* **unfinished contacts**: more than 1% of a queue's counted contacts were still in the
  system when the drain ended.

A run shorter than a week (a peak day) is overloaded by design; instead of the first
warning it reports its backlog: how many counted contacts were still waiting when
arrivals stopped, and how long the drain took to answer them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine import ReplicationResult
from sim.records import Outcome
from sim.scenario import Scenario
from sim.units import format_duration

__all__ = ["WEEK", "QueueLoad", "queue_loads", "stability_messages"]

WEEK = 7 * 86400.0
UNFINISHED_SHARE = 0.01


@dataclass(frozen=True)
class QueueLoad:
    """One queue in one replication: work against capacity, and what was left over.

    Attributes:
        counted: visits of counted contacts.
        unfinished: of them, still in the system at the end of the drain.
        work: agent seconds those visits needed.
        capacity: agent seconds on shift in the measurement window (times chat slots).
        backlog: visits waiting for a first answer when arrivals stopped.
        cleared: seconds after arrivals stopped until the last of them was answered or
            left (NaN without a backlog).
    """

    counted: int
    unfinished: int
    work: float
    capacity: float
    backlog: int
    cleared: float


def _load(scenario: Scenario, result: ReplicationResult, q: int, counted: np.ndarray) -> QueueLoad:
    hops, name = result.hops, result.queues[q]
    spec = scenario.queues[name]
    mine = counted & (hops["queue"] == q)
    taken = mine & ~np.isnan(hops["agent_start"])
    handles = hops["service"][taken]
    mean_handle = float(handles.mean()) if len(handles) else spec.service.mean
    pending = mine & (hops["outcome"] == Outcome.UNFINISHED)
    waiting = int((pending & ~taken).sum())
    slots = spec.concurrency.max if spec.concurrency is not None else 1
    end = result.window[1]
    first = np.where(np.isnan(hops["response"]), hops["end"], hops["response"])
    late = mine & (hops["arrive"] < end) & ~(first <= end)
    settled = first[late]
    cleared = float(np.nanmax(settled) - end) if late.any() and np.isfinite(settled).any() else 0.0
    return QueueLoad(
        counted=int(mine.sum()),
        unfinished=int(pending.sum()),
        work=float(handles.sum()) + waiting * mean_handle,
        capacity=result.accounts[q].on_shift_time * slots,
        backlog=int(late.sum()),
        cleared=cleared if late.any() else math.nan,
    )


def queue_loads(scenario: Scenario, result: ReplicationResult) -> dict[str, QueueLoad]:
    """Every queue's load figures in one replication (small: runs where it ran)."""
    entered = result.contacts["entered"][result.hops["contact"]]
    counted = (entered >= result.window[0]) & (entered < result.window[1])
    return {name: _load(scenario, result, q, counted) for q, name in enumerate(result.queues)}


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def stability_messages(
    scenario: Scenario, loads: Sequence[dict[str, QueueLoad]], source: str
) -> list[str]:
    """Warnings (``warning: ...``) and, for a run shorter than a week, backlog notes.

    Args:
        scenario: the scenario that was run.
        loads: :func:`queue_loads` of each replication.
        source: the file name to start each line with.
    """
    span = scenario.duration - scenario.warmup
    lines = []
    for name in scenario.queues:
        per_rep = [rep[name] for rep in loads]
        counted = sum(r.counted for r in per_rep)
        if not counted:
            continue
        work = sum(r.work for r in per_rep)
        capacity = sum(r.capacity for r in per_rep)
        # Finite patience bounds a queue's backlog: only contacts that wait for ever pile up.
        if span >= WEEK and work > capacity and scenario.queues[name].patience is None:
            ratio = f"{work / capacity:.2f}x" if capacity else "more than"
            lines.append(
                f"warning: {source}: queue {name}: the work offered is {ratio} the agent time "
                f"on shift: the backlog grows week on week (run it longer with "
                f"--set duration=91d to see it)"
            )
        unfinished = sum(r.unfinished for r in per_rep)
        if unfinished > UNFINISHED_SHARE * counted:
            lines.append(
                f"warning: {source}: queue {name}: {unfinished / counted:.1%} of its counted "
                "contacts were still unfinished when the drain ended"
            )
        backlog = _mean([r.backlog for r in per_rep])
        if span < WEEK and backlog >= 1:
            cleared = _mean([r.cleared for r in per_rep])
            lines.append(
                f"note: {source}: queue {name}: {backlog:.0f} contacts still waiting when "
                f"arrivals stop, the last answered or gone {_duration(cleared)} later "
                "(a peak run: backlog reported instead of a stability check)"
            )
    return lines


def _duration(seconds: float) -> str:
    return format_duration(seconds) if math.isfinite(seconds) else "-"
