"""The stationary formula: arrival rate per interval and Erlang C / Erlang A agents."""

from __future__ import annotations

import math

import numpy as np

from sim.erlang import required_agents
from sim.scenario import Queue, Scenario
from sim.staffing.base import StaffingError
from sim.staffing.targets import StaffTarget
from sim.timeline import DAY, Clock, rate_function

__all__ = ["erlang_agents", "interval_rates"]

# -- formula -----------------------------------------------------------------------------


def interval_rates(scenario: Scenario, queue: str, interval: float) -> np.ndarray:
    """Arrival rate (per second) of each interval of the day at ``queue``.

    The rate is averaged over the interval; over a horizon of several days each interval
    takes its busiest day, since one daily plan has to cover them all.
    """
    spec = scenario.queues[queue]
    n = round(DAY / interval)
    if spec.arrivals is None:
        return np.zeros(n)
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    edges, rates = rate_function(spec.arrivals, clock, 0.0, scenario.duration)
    cumulative = np.concatenate(([0.0], np.cumsum(rates * np.diff(edges))))
    best = np.zeros(n)
    for day in clock.days(0.0, scenario.duration):
        cuts = np.clip(clock.day_start(day) + interval * np.arange(n + 1), 0.0, scenario.duration)
        lo, hi = cuts[:-1], cuts[1:]
        span = hi - lo
        mass = np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative)
        with np.errstate(invalid="ignore", divide="ignore"):
            best = np.fmax(best, np.where(span > 0, mass / span, 0.0))
    return best


def erlang_agents(rate: float, spec: Queue, target: StaffTarget) -> int:
    """Agents the stationary formula asks for at arrival rate ``rate`` (per second).

    Erlang C, or Erlang A with theta = 1 / mean patience when the queue has patience.
    With chat concurrency an agent counts as ``max`` servers, each as slow as at full
    load (an approximation; the simulation corrects it). With shrinkage ``s`` (or
    breaks), only ``1 - s`` of the rostered agents are available: the roster is the
    formula's agents divided by ``1 - s``.
    """
    lam = rate * spec.visibility
    slots = spec.concurrency.max if spec.concurrency else 1
    slowdown = spec.concurrency.slowdown if spec.concurrency else 0.0
    mu = 1.0 / (spec.service.mean * (1.0 + slowdown * (slots - 1)))
    theta = None
    if spec.patience is not None:
        if spec.patience.mean <= 0:
            raise StaffingError("patience with mean 0: every contact abandons at once")
        theta = 1.0 / spec.patience.mean
    if target.kind == "abandon" and theta is None:
        raise StaffingError("an abandonment target needs a queue with patience")
    goal: dict[str, float] = {
        "service_level": {"target_sl": target.value, "t": target.threshold},
        "mean_wait": {"max_mean_wait": target.value},
        "abandon": {"max_abandon": target.value},
    }[target.kind]
    try:
        servers = required_agents(lam, mu, theta=theta, **goal)
    except ValueError as exc:
        raise StaffingError(f"{target.describe()} at {3600 * rate:.0f}/h: {exc}") from None
    return math.ceil(servers / slots / (1.0 - spec.shrinkage_share))
