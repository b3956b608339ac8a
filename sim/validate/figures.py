"""A target's figure on one replication, from the hop records alone.

A :class:`~sim.scenario.Target` names a metric over a selection of contacts (one queue,
several pooled, or a weighted mix; arrivals on some days and clock hours; whole contacts
followed end to end), or the ratio of two such figures. :func:`target_parts` computes
every target of a scenario on one replication (a ratio's numerator and candidate
denominators apart, combined over replications by :mod:`sim.validate.estimate`); it is
small and picklable, so it runs where the replication ran. :func:`target_figures` is one
replication's figures alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine import ReplicationResult
from sim.records import NOT_OFFERED, By, Outcome, bot_finished, escalated, on_time
from sim.scenario import (
    AGENT_TIME_METRICS,
    MAX_HORIZON,
    Deadline,
    QueueSelection,
    Reference,
    Scenario,
    Target,
)
from sim.timeline import DAY, Clock
from sim.validate.estimate import estimate

__all__ = ["Replication", "Selection", "target_figures", "target_parts"]

_OUTCOME_RATES = {
    "abandon_rate": Outcome.ABANDONED,
    "resolution_rate": Outcome.RESOLVED,
    "not_visible_rate": Outcome.NOT_VISIBLE,
    "overflow_rate": Outcome.OVERFLOW,
    "closed_rate": Outcome.CLOSED,
}
_QUANTILES = {"median_wait": 0.5, "p90_wait": 0.9, "p95_wait": 0.95}


@dataclass(frozen=True)
class Selection:
    """What one side of a target measures (the target itself, or its ratio reference)."""

    queue: QueueSelection
    metric: str
    days: tuple[str, ...] | None
    hours: tuple[float, float] | None
    scope: tuple[str, ...] | None
    within: Deadline | None

    @classmethod
    def of(cls, target: Target, ref: Reference | None = None) -> Selection:
        """The target's selection, or its ratio reference's (missing fields: the target's)."""

        def pick(field: str) -> Any:  # a field by name: each has a type of its own
            mine = getattr(ref, field) if ref is not None else None
            return getattr(target, field) if mine is None else mine

        return cls(*(pick(f) for f in ("queue", "metric", "days", "hours", "scope", "within")))

    def with_hours(self, hours: tuple[float, float]) -> Selection:
        """The same selection between other clock hours."""
        return Selection(self.queue, self.metric, self.days, hours, self.scope, self.within)


class Replication:
    """One replication's records with the calendar needed to filter and time them."""

    def __init__(self, scenario: Scenario, result: ReplicationResult) -> None:
        self.scenario = scenario
        self.result = result
        self.hops = result.hops
        self.clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
        self.index = {name: i for i, name in enumerate(result.queues)}
        self.entered = result.contacts["entered"]
        self.entry_queue = result.contacts["entry_queue"]
        w0, w1 = result.window
        self.contact_counted = (self.entered >= w0) & (self.entered < w1)
        self.hop_counted = self.contact_counted[self.hops["contact"]]
        # A replication's figures filter the same arrays by the same few calendars over
        # and over (a best-hour target asks for twenty hours): see _memo.
        self._memos: dict[tuple[int, object], tuple[np.ndarray, np.ndarray]] = {}

    # -- calendar --------------------------------------------------------------------

    def _day(self, t: np.ndarray) -> np.ndarray:
        return np.floor((t + self.clock.offset) / DAY).astype(int)

    def _per_day(self, day: np.ndarray, value) -> np.ndarray:
        """``value(d)`` for each calendar day in ``day``, computed once per distinct day."""
        if not len(day):
            return np.zeros(0)
        first = int(day.min())
        table = np.array([value(d) for d in range(first, int(day.max()) + 1)])
        return table[day - first]

    def _memo(self, t: np.ndarray, key: object, compute) -> np.ndarray:
        """``compute(t)``, computed once per array ``t`` and ``key`` in this replication."""
        entry = self._memos.get((id(t), key))
        # The entry keeps ``t`` itself, so its id cannot be reused by another array.
        if entry is None or entry[0] is not t:
            entry = self._memos[id(t), key] = (t, compute(t))
        return entry[1]

    def _on_days(self, t: np.ndarray, days: tuple[str, ...], before: int = 0) -> np.ndarray:
        """Which times fall ``before`` days after a selected day (0: on one)."""

        def mask(t: np.ndarray) -> np.ndarray:
            day = self._day(t) - before
            return self._per_day(day, lambda d: self.clock.matches(days, d)).astype(bool)

        return self._memo(t, (days, before), mask)

    def _time_of_day(self, t: np.ndarray) -> np.ndarray:
        return self._memo(t, "clock", lambda t: (t + self.clock.offset) % DAY)

    def in_time(
        self, t: np.ndarray, days: tuple[str, ...] | None, hours: tuple[float, float] | None
    ) -> np.ndarray:
        """Which times fall on the selected days and between the selected clock hours.

        A window that runs past midnight belongs to the day it starts on, as a shift or a
        peak does: Fridays 22:00-02:00 is Friday night, into Saturday's small hours.
        """
        keep = np.ones(len(t), dtype=bool)
        start, end = hours if hours is not None else (0.0, DAY)
        overnight = end <= start
        if hours is not None:
            tod = self._time_of_day(t)
            keep &= (tod >= start) | (tod < end) if overnight else (tod >= start) & (tod < end)
        if days is not None and len(t):
            on_days = self._on_days(t, days)
            if overnight:
                on_days = np.where(tod < end, self._on_days(t, days, before=1), on_days)
            keep &= on_days
        return keep

    def deadlines(self, t: np.ndarray, within: Deadline) -> np.ndarray:
        """The moment by which each contact arriving at ``t`` must be answered."""
        if within.seconds is not None:
            return t + within.seconds
        return self._per_day(self._day(t), lambda d: self._day_deadline(d, within)).astype(float)

    def met(self, done: np.ndarray, arrive: np.ndarray, within: Deadline) -> np.ndarray:
        """Which of ``done`` (answer or resolution times) came by the contacts' deadlines.

        The rule is :func:`sim.records.on_time`, the one every figure of an answer on time
        uses; a deadline in days is compared as the moment it falls on.
        """
        if within.seconds is not None:
            return on_time(done, arrive, within.seconds)
        return on_time(done, self.deadlines(arrive, within), 0.0)

    def _day_deadline(self, d: int, within: Deadline) -> float:
        """The end of the ``within.days``-th (working) day after day ``d``."""
        k, counted = d, 0
        days: int = within.days  # type: ignore[assignment]  # set: deadlines() read seconds
        # A calendar of holidays only has no working day: no deadline is ever met.
        while counted < days and k - d <= MAX_HORIZON / DAY:
            k += 1
            counted += not within.working or self.clock.matches(("workdays",), k)
        return self.clock.day_start(k + 1) if counted >= days else math.inf

    # -- weights -----------------------------------------------------------------------

    def _rows_of(self, of_queue: np.ndarray, q: int) -> np.ndarray:
        """The rows of ``of_queue`` (hops or contacts) at queue ``q``, in order, once."""
        return self._memo(of_queue, ("rows", q), lambda a: np.flatnonzero(a == q))

    def _weights(self, queue: QueueSelection, of_queue: np.ndarray, base: np.ndarray):
        """Per-row weights: 1 when pooling, weight / row count of its queue in a mix."""
        picked = self._picked(queue, of_queue, base)
        if picked is None:
            return None  # a mix needs every member: its figure is undefined
        weights = np.zeros(len(base))
        for rows, weight in picked:
            weights[rows] = weight
        return weights

    def _picked(
        self, queue: QueueSelection, of_queue: np.ndarray, base: np.ndarray
    ) -> list[tuple[np.ndarray, float]] | None:
        """Each selected queue's rows of ``of_queue`` in ``base``, with their weight."""
        names = (queue,) if isinstance(queue, str) else tuple(queue)
        picked = []
        for name in names:
            mine = self._rows_of(of_queue, self.index[name])
            rows = mine[base[mine]]
            if isinstance(queue, dict):
                if len(rows) == 0:
                    return None
                picked.append((rows, queue[name] / len(rows)))
            else:
                picked.append((rows, 1.0))
        return picked

    def _selected(
        self, queue: QueueSelection, of_queue: np.ndarray, base: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The rows of positive weight, in order, and their weights.

        What ``flatnonzero(weights > 0)`` of :meth:`_weights` picks, and those weights,
        without a full-length array for each target.
        """
        picked = self._picked(queue, of_queue, base)
        if picked is None:
            return None
        if not isinstance(queue, dict):  # pooled: weight 1 each
            if len(picked) == 1:
                rows = picked[0][0]
            else:
                chosen = np.zeros(len(base), dtype=bool)
                for r, _ in picked:
                    chosen[r] = True
                rows = np.flatnonzero(chosen)
            return rows, np.ones(len(rows))
        # A mix: each queue's own rows (a row is at one queue), in row order.
        picked = [(rows, weight) for rows, weight in picked if weight > 0]
        if not picked:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        rows = np.concatenate([r for r, _ in picked])
        w = np.concatenate([np.full(len(r), weight) for r, weight in picked])
        order = np.argsort(rows, kind="stable")
        return rows[order], w[order]

    def _counted(self, t: np.ndarray, counted: np.ndarray, sel: Selection) -> np.ndarray:
        """``counted`` and in the selection's days and hours, once per calendar."""
        key = ("counted", id(counted), sel.days, sel.hours)
        return self._memo(t, key, lambda t: counted & self.in_time(t, sel.days, sel.hours))

    # -- figures -----------------------------------------------------------------------

    def figure(self, sel: Selection) -> float:
        """The selection's metric on this replication (NaN when undefined)."""
        if sel.metric in AGENT_TIME_METRICS:
            return self._agent_time(sel.queue, sel.metric)
        if sel.metric.startswith("e2e_"):
            return self._end_to_end(sel)
        return self._hop_metric(sel)

    def _agent_time(self, queue: QueueSelection, metric: str) -> float:
        """``utilization`` or ``occupancy`` of the agents who serve the selection."""
        names = (queue,) if isinstance(queue, str) else tuple(queue)
        accounts = [self.result.accounts[self.index[n]] for n in names]
        utilization = metric == "utilization"
        if isinstance(queue, dict):
            shares = np.array([a.utilization if utilization else a.occupancy for a in accounts])
            return _weighted_mean(shares, np.array([queue[n] for n in names]))
        # Pooled: every agent who serves any of them, a shared team once.
        queues = [self.index[n] for n in names]
        if utilization:
            return self.result.pooled_utilization(queues)
        return self.result.pooled_occupancy(queues)

    def _hop_metric(self, sel: Selection) -> float:
        hops = self.hops
        base = self._counted(hops["arrive"], self.hop_counted, sel)
        selected = self._selected(sel.queue, hops["queue"], base)
        if selected is None:
            return math.nan
        rows, w = selected
        if not len(w):
            return math.nan
        arrive, response = hops["arrive"][rows], hops["response"][rows]
        outcome, metric = hops["outcome"][rows], sel.metric
        answered = ~np.isnan(response)
        wait = response - arrive
        if metric in _OUTCOME_RATES:
            return _share(w, outcome == _OUTCOME_RATES[metric])
        if metric == "answer_rate":
            return _share(w, answered)
        if metric == "escalation_rate":
            return _share(w, escalated(outcome, hops["queue"][rows], hops["next_queue"][rows]))
        if metric == "bot_share":
            return _share(w, bot_finished(hops["by"][rows], outcome))
        if metric == "mean_wait":
            return _weighted_mean(wait[answered], w[answered])
        if metric in _QUANTILES:
            return _weighted_quantile(wait[answered], w[answered], _QUANTILES[metric])
        if metric == "mean_agent_wait":
            # Time to a human: with a bot answering first (hybrid), the wait for an agent.
            agent = ~np.isnan(hops["agent_start"][rows])
            return _weighted_mean((hops["agent_start"][rows] - arrive)[agent], w[agent])
        if metric == "mean_handle":
            # Hops an agent finished, as in the queue metrics: a contact still in service
            # when the run stops has no handle time yet.
            agent = hops["by"][rows] == By.AGENT
            return _weighted_mean(hops["service"][rows][agent], w[agent])
        within = sel.within or Deadline(seconds=self.scenario.service_level_threshold)
        offered = ~np.isin(outcome, NOT_OFFERED)
        if metric == "service_level":
            return _share(w, answered & self.met(response, arrive, within), over=offered)
        if metric == "resolved_within":
            resolved = outcome == Outcome.RESOLVED
            return _share(w, resolved & self.met(hops["end"][rows], arrive, within), over=offered)
        raise ValueError(f"unknown hop metric {metric!r}")  # pragma: no cover - validated

    def _end_to_end(self, sel: Selection) -> float:
        base = self._counted(self.entered, self.contact_counted, sel)
        weights = self._weights(sel.queue, self.entry_queue, base)
        if weights is None:
            return math.nan
        metric = sel.metric
        if metric == "e2e_reach_rate":
            return _share(weights, self._reached(sel.scope))
        answer = metric in ("e2e_answer_rate", "e2e_answered_within", "e2e_mean_response")
        first = self._first_done(sel.scope, answer)
        done = np.isfinite(first)
        if metric in ("e2e_answer_rate", "e2e_resolution_rate"):
            return _share(weights, done)
        if metric in ("e2e_mean_time", "e2e_mean_response"):
            keep = done & (weights > 0)
            return _weighted_mean((first - self.entered)[keep], weights[keep])
        # Every *_within metric has a deadline (Target._consistent checks it).
        within: Deadline = sel.within  # type: ignore[assignment]
        return _share(weights, done & self.met(first, self.entered, within))

    # Several targets follow contacts through the same queues: each of these is computed
    # once per replication (a week of the platform has 218,000 hops).

    def _in_scope(self, scope: tuple[str, ...] | None) -> np.ndarray:
        """Which hops are at the scope's queues (every hop without a scope)."""
        queue = self.hops["queue"]

        def compute(queue: np.ndarray) -> np.ndarray:
            if scope is None:
                return np.ones(len(queue), dtype=bool)
            return np.isin(queue, [self.index[q] for q in scope])

        return self._memo(queue, ("in_scope", scope), compute)

    def _reached(self, scope: tuple[str, ...] | None) -> np.ndarray:
        """Per contact, whether it reached a queue of the scope."""
        contact = self.hops["contact"]

        def compute(contact: np.ndarray) -> np.ndarray:
            reached = np.zeros(len(self.entered), dtype=bool)
            reached[contact[self._in_scope(scope)]] = True
            return reached

        return self._memo(contact, ("reached", scope), compute)

    def _first_done(self, scope: tuple[str, ...] | None, answer: bool) -> np.ndarray:
        """Per contact, its first answer (``answer``) or resolution in the scope, or inf."""
        hops = self.hops

        def compute(contact: np.ndarray) -> np.ndarray:
            in_scope = self._in_scope(scope)
            if answer:
                rows = in_scope & ~np.isnan(hops["response"])
                return _first(len(self.entered), contact[rows], hops["response"][rows])
            rows = in_scope & (hops["outcome"] == Outcome.RESOLVED)
            return _first(len(self.entered), contact[rows], hops["end"][rows])

        return self._memo(hops["contact"], ("first", scope, answer), compute)


def _first(n: int, contact: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per contact, the earliest of ``times`` (inf when it has none)."""
    first = np.full(n, np.inf)
    np.minimum.at(first, contact, times)
    return first


def _share(w: np.ndarray, hit: np.ndarray, over: np.ndarray | None = None) -> float:
    total = float(w.sum() if over is None else w[over].sum())
    return float(w[hit].sum()) / total if total > 0 else math.nan


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    return float((x * w).sum()) / total if len(x) and total > 0 else math.nan


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``x`` under weights ``w``: numpy's linear one, weighted.

    A queue's ``p90_wait_s`` is numpy's default (linear, Hyndman-Fan type 7) percentile;
    a mix weighs its queues' contacts unequally. This is the type 7 estimator with
    weights of Akinshin (2023, "Weighted quantile estimators", arXiv:2304.07265): the
    weighted mean of the sorted values over the window [(h - 1) / n, h / n] of their
    cumulative weight, where n is Kish's effective sample size (sum w)^2 / sum w^2 and
    h = (n - 1) q + 1. Equal weights give numpy's figure; the figure moves continuously
    with the weights (a mix of {a: 0.5, b: 0.5} and one of {a: 0.5, b: 0.5000001}
    agree), and a value of weight near 0 barely counts (a mix {a: 1 - e, b: e} is a's
    own figure as e goes to 0).
    """
    if not len(x):
        return math.nan
    if np.all(w == w[0]):
        # The same figure, by numpy's own arithmetic: bit for bit the queue's p90 in the
        # summary when the selection is one queue.
        return float(np.percentile(x, 100 * q))
    order = np.argsort(x, kind="stable")
    share = w[order] / w.sum()
    n = 1.0 / float(np.square(share).sum())
    h = (n - 1.0) * q + 1.0
    cumulative = np.concatenate(([0.0], np.cumsum(share)))
    # The share of the window [(h - 1) / n, h / n] that falls on each sorted value.
    covered = np.clip(cumulative * n - (h - 1.0), 0.0, 1.0)
    return float(np.dot(np.diff(covered), x[order]))


def _other_hours(hours: tuple[float, float]) -> list[tuple[float, float]]:
    """The whole clock hours that do not overlap the window ``hours``."""
    start, end = hours
    span = (end - start) % DAY or DAY

    def overlaps(h: int) -> bool:
        return (h * 3600.0 - start) % DAY < span or (start - h * 3600.0) % DAY < 3600.0

    return [(h * 3600.0, (h + 1) * 3600.0) for h in range(24) if not overlaps(h)]


def _target_parts(rep: Replication, target: Target) -> tuple[float, ...]:
    """The figure, or a ratio's numerator and every candidate denominator."""
    own = Selection.of(target)
    value = rep.figure(own)
    if target.ratio_to is None:
        return (value,)
    if target.ratio_to == "best_other_hour":
        # best_other_hour comes with hours (Target._consistent checks it).
        hours: tuple[float, float] = target.hours  # type: ignore[assignment]
        return (value, *(rep.figure(own.with_hours(h)) for h in _other_hours(hours)))
    # One reference (Reference) or the lowest of several (LeastOf).
    return (value, *(rep.figure(Selection.of(target, ref)) for ref in target.references))


def target_parts(scenario: Scenario, result: ReplicationResult) -> list[tuple[float, ...]]:
    """Every target's parts on one replication, in the order of ``scenario.targets``.

    What :func:`sim.validate.estimate.estimate` combines over replications: a plain
    target's figure alone; a ratio's numerator and each candidate denominator. Picklable
    and small, so it runs where the replication ran (see
    :func:`sim.runner.map_replications`).
    """
    rep = Replication(scenario, result)
    return [_target_parts(rep, t) for t in scenario.targets]


def target_figures(scenario: Scenario, result: ReplicationResult) -> list[float]:
    """Every target's figure on one replication, in the order of ``scenario.targets``."""
    parts = target_parts(scenario, result)
    return [estimate(t, np.array([p])).mean for t, p in zip(scenario.targets, parts, strict=True)]
