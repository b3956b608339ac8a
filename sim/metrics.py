"""Metrics of one replication, per queue, from its columnar records.

A hop counts towards a queue's figures when its contact *entered the system* inside
the measurement window ``[warmup, duration)``: the warm-up fills the queues, and the
consequences of a counted contact (its escalation to email the next morning) count
too. Everything here is numpy; pandas comes later, in :mod:`sim.results`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from sim.engine import ReplicationResult
from sim.records import NOT_OFFERED, By, Outcome, bot_finished, escalated, on_time
from sim.timeline import Clock

__all__ = ["METRICS", "TEAM_METRICS", "hourly_metrics", "queue_metrics", "team_metrics"]

# Order is the order of table columns and JSON keys.
METRICS = (
    "arrivals",
    "answered",
    "mean_wait_s",
    "median_wait_s",
    "p90_wait_s",
    "p95_wait_s",
    "service_level",
    "abandon_rate",
    "resolution_rate",
    "escalation_rate",
    "utilization",
    "occupancy",
    "not_visible_rate",
    "overflow_rate",
    "closed_rate",
    "bot_share",
    "unfinished",
    "mean_handle_s",
    "mean_agents_on_shift",
    "mean_agents_available",
    "e2e_contacts",
    "e2e_resolution_rate",
    "e2e_mean_time_s",
    "e2e_mean_hops",
)


def _counted(result: ReplicationResult) -> np.ndarray:
    w0, w1 = result.window
    entered = result.contacts["entered"]
    # Per contact, then per hop: a byte a hop rather than a float a hop.
    return ((entered >= w0) & (entered < w1))[result.hops["contact"]]


class _Selected(Mapping[str, np.ndarray]):
    """Some hops' columns, each cut out when read and not kept.

    The figures read a few columns, one after another: the selection never holds a copy
    of every column at once (a year of the platform's busiest queue is 1.5 million hops).
    """

    def __init__(self, hops: dict[str, np.ndarray], select: np.ndarray) -> None:
        self._hops = hops
        self._select = select

    def __getitem__(self, column: str) -> np.ndarray:
        return self._hops[column][self._select]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hops)

    def __len__(self) -> int:
        return len(self._hops)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def _wait_figures(waits: np.ndarray, within: int, offered: int) -> dict[str, float]:
    if not len(waits):
        nan = math.nan
        return {
            "mean_wait_s": nan,
            "median_wait_s": nan,
            "p90_wait_s": nan,
            "p95_wait_s": nan,
            "service_level": _share(0, offered),
        }
    median, p90, p95 = np.percentile(waits, (50, 90, 95))
    return {
        "mean_wait_s": float(waits.mean()),
        "median_wait_s": float(median),
        "p90_wait_s": float(p90),
        "p95_wait_s": float(p95),
        "service_level": _share(within, offered),
    }


def _hop_figures(hops: Mapping[str, np.ndarray], threshold: float) -> dict[str, float]:
    """Figures of a set of hops (one queue, possibly one hour)."""
    outcome = hops["outcome"]
    n = len(outcome)
    response = hops["response"]
    answered = ~np.isnan(response)
    waits = response[answered]  # the answer times, made waits in place below
    del response
    arrive = hops["arrive"][answered]
    within = int(on_time(waits, arrive, threshold).sum())
    waits -= arrive
    del arrive
    counts = np.bincount(outcome, minlength=len(Outcome))
    offered = n - int(counts[list(NOT_OFFERED)].sum())
    agent = hops["by"] == By.AGENT
    return {
        "arrivals": n,
        "answered": int(answered.sum()),
        **_wait_figures(waits, within, offered),
        "abandon_rate": _share(counts[Outcome.ABANDONED], n),
        "resolution_rate": _share(counts[Outcome.RESOLVED], n),
        "escalation_rate": _share(
            int(escalated(outcome, hops["queue"], hops["next_queue"]).sum()), n
        ),
        "not_visible_rate": _share(counts[Outcome.NOT_VISIBLE], n),
        "overflow_rate": _share(counts[Outcome.OVERFLOW], n),
        "closed_rate": _share(counts[Outcome.CLOSED], n),
        "bot_share": _share(int(bot_finished(hops["by"], outcome).sum()), n),
        "unfinished": int(counts[Outcome.UNFINISHED]),
        "mean_handle_s": float(hops["service"][agent].mean()) if agent.any() else math.nan,
    }


def _end_to_end(result: ReplicationResult, queue: int) -> dict[str, float]:
    """Figures over whole contacts that entered the system at ``queue``."""
    hops, contacts = result.hops, result.contacts
    w0, w1 = result.window
    entered = contacts["entered"]
    mine = (contacts["entry_queue"] == queue) & (entered >= w0) & (entered < w1)
    n = int(mine.sum())
    # The first resolution: a contact with parallel visits may be resolved twice.
    resolved_at = np.full(len(entered), np.inf)
    done = hops["outcome"] == Outcome.RESOLVED
    np.minimum.at(resolved_at, hops["contact"][done], hops["end"][done])
    n_hops = np.bincount(hops["contact"], minlength=len(entered))
    resolved = mine & np.isfinite(resolved_at)
    time = (resolved_at - entered)[resolved]
    return {
        "e2e_contacts": n,
        "e2e_resolution_rate": _share(int(resolved.sum()), n),
        "e2e_mean_time_s": float(time.mean()) if len(time) else math.nan,
        "e2e_mean_hops": float(n_hops[mine].mean()) if n else math.nan,
    }


def queue_metrics(result: ReplicationResult, threshold: float) -> dict[str, dict[str, float]]:
    """Every metric of every queue in one replication, keyed by queue name."""
    counted = _counted(result)
    w0, w1 = result.window
    out = {}
    for q, name in enumerate(result.queues):
        select = counted & (result.hops["queue"] == q)
        account = result.accounts[q]
        figures = _hop_figures(_Selected(result.hops, select), threshold)
        figures["utilization"] = account.utilization
        figures["occupancy"] = account.occupancy
        figures["mean_agents_on_shift"] = account.on_shift_time / (w1 - w0)
        figures["mean_agents_available"] = account.available_time / (w1 - w0)
        figures.update(_end_to_end(result, q))
        out[name] = {m: figures[m] for m in METRICS}
    return out


TEAM_METRICS = (
    "mean_agents_on_shift",
    "mean_agents_available",
    "utilization",
    "occupancy",
    "work_share",
    "answered",
)


def team_metrics(result: ReplicationResult) -> list[dict[str, object]]:
    """Per team and queue it serves: the team's figures and its work at that queue.

    ``work_share`` is the share of the team's busy time spent on the queue's contacts;
    ``answered`` counts the queue's counted hops its agents took.
    """
    w0, w1 = result.window
    counted = _counted(result)
    agent = result.hops["agent"]
    rows = []
    for team in result.teams:
        ids = np.isin(agent, np.asarray(team.agent_ids, dtype=agent.dtype))
        busy = team.busy_time
        for q, q_busy in zip(team.serves, team.busy_by_queue, strict=True):
            took = counted & ids & (result.hops["queue"] == q)
            rows.append(
                {
                    "team": team.name,
                    "queue": result.queues[q],
                    "mean_agents_on_shift": team.on_shift_time / (w1 - w0),
                    "mean_agents_available": team.available_time / (w1 - w0),
                    "utilization": team.utilization,
                    "occupancy": team.occupancy,
                    "work_share": _share(q_busy, busy),
                    "answered": int(took.sum()),
                }
            )
    return rows


def hourly_metrics(
    result: ReplicationResult, clock: Clock, threshold: float
) -> list[dict[str, float]]:
    """Per queue and hour of day (of arrival at the queue): the hop figures."""
    counted = _counted(result)
    hour = clock.hour_of_day(result.hops["arrive"])
    rows = []
    for q, name in enumerate(result.queues):
        at_queue = counted & (result.hops["queue"] == q)
        account = result.accounts[q]
        staffing = _hourly_staffing(account.staffing, clock, result.window)
        available = staffing - _hourly_staffing(account.breaks, clock, result.window)
        for h in range(24):
            select = at_queue & (hour == h)
            rows.append(
                {
                    "queue": name,
                    "hour": h,
                    "agents_on_shift": staffing[h],
                    "agents_available": available[h],
                    **_hop_figures(_Selected(result.hops, select), threshold),
                }
            )
    return rows


def _hourly_staffing(
    staffing: tuple[tuple[float, int], ...], clock: Clock, window: tuple[float, float]
) -> np.ndarray:
    """Time-averaged level of a step function (agents) for each clock hour of the window."""
    times = np.array([t for t, _ in staffing] + [window[1]])
    counts = np.array([c for _, c in staffing], dtype=float)
    grid = np.arange(window[0], window[1], 60.0)  # minute resolution is plenty for a profile
    level = counts[np.searchsorted(times, grid, side="right") - 1]
    hours = clock.hour_of_day(grid)
    total = np.bincount(hours, weights=level, minlength=24)
    minutes = np.bincount(hours, minlength=24)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / minutes
