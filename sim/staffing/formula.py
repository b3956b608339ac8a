"""The stationary formula: arrival rate per interval and Erlang C / Erlang A agents."""

from __future__ import annotations

import math

import numpy as np

from sim.erlang import required_agents
from sim.scenario import Queue, Scenario
from sim.staffing.base import StaffingError
from sim.staffing.targets import StaffTarget
from sim.timeline import DAY, Clock, rate_function

__all__ = ["busiest_days", "erlang_agents", "interval_rates"]

# -- formula -----------------------------------------------------------------------------


def interval_rates(scenario: Scenario, queue: str, interval: float) -> np.ndarray:
    """Arrival rate (per second) of each interval of the day at ``queue``.

    The rate is averaged over the interval; over a horizon of several days each interval
    takes its busiest day, since one daily plan has to cover them all.
    """
    _, rates = _day_rates(scenario, queue, interval)
    return rates.max(axis=0, initial=0.0)


def busiest_days(scenario: Scenario, queue: str, interval: float) -> tuple[int, np.ndarray]:
    """Which days are each interval's busiest: the first day's index and a day x interval mask.

    The simulation measures each interval on these days only, the ones the formula sized
    it for (days as busy as the busiest all count: identical days pool their contacts).
    """
    first, rates = _day_rates(scenario, queue, interval)
    top = rates.max(axis=0, initial=0.0)
    return first, (rates > 0) & (rates >= top * (1 - 1e-9))


def _day_rates(scenario: Scenario, queue: str, interval: float) -> tuple[int, np.ndarray]:
    """Mean arrival rate of each day (rows, from the first day's index) and interval."""
    spec = scenario.queues[queue]
    n = round(DAY / interval)
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    days = clock.days(0.0, scenario.duration)
    if spec.arrivals is None:
        return days.start, np.zeros((len(days), n))
    edges, rates = rate_function(spec.arrivals, clock, 0.0, scenario.duration)
    cumulative = np.concatenate(([0.0], np.cumsum(rates * np.diff(edges))))
    out = np.zeros((len(days), n))
    for row, day in enumerate(days):
        cuts = np.clip(clock.day_start(day) + interval * np.arange(n + 1), 0.0, scenario.duration)
        lo, hi = cuts[:-1], cuts[1:]
        span = hi - lo
        mass = np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[row] = np.where(span > 0, mass / span, 0.0)
    return days.start, out


def erlang_agents(rate: float, spec: Queue, target: StaffTarget) -> int:
    """Agents the stationary formula asks for at arrival rate ``rate`` (per second).

    Erlang C, or Erlang A with theta = 1 / mean patience when the queue has patience.
    Behind a bot that answers every contact first, the agents are offered the share it
    does not resolve.
    With chat concurrency an agent counts as ``max`` servers, each as slow as at full
    load (an approximation; the simulation corrects it). With shrinkage ``s`` (or
    breaks), only ``1 - s`` of the rostered agents are available: the roster is the
    formula's agents divided by ``1 - s``.
    """
    lam = rate * spec.visibility
    if spec.bot is not None and spec.bot.when == "always":  # the agents take what it hands on
        lam *= 1.0 - spec.bot.resolution
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
