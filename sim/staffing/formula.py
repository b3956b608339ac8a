"""The stationary formula: arrival rate per interval and Erlang C / Erlang A agents."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.erlang import required_agents
from sim.scenario import Queue, Scenario
from sim.staffing.base import StaffingError
from sim.staffing.targets import StaffTarget
from sim.timeline import DAY, Clock, rate_function

if TYPE_CHECKING:
    from sim.staffing.network import RoutedIn

__all__ = ["busiest_days", "erlang_agents", "interval_rates"]

# -- formula -----------------------------------------------------------------------------


def interval_rates(
    scenario: Scenario, queue: str, interval: float, routed: RoutedIn | None = None
) -> np.ndarray:
    """Arrival rate (per second) of each interval of the day at ``queue``.

    The queue's own arrivals, from its spec, plus with ``routed`` the contacts routed in
    from other queues, counted in a baseline simulation. The rate is averaged over the
    interval; over a horizon of several days each interval takes its busiest days
    (:func:`busiest_days`), since one daily plan has to cover them all.
    """
    _, rates, noise = _day_rates(scenario, queue, interval, routed)
    if not noise.any():  # every rate exact: the busiest day's (as busy ones are equal)
        return rates.max(axis=0, initial=0.0)
    busiest = _busiest(rates, noise)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (rates * busiest).sum(axis=0) / busiest.sum(axis=0)
    return np.nan_to_num(pooled)


def busiest_days(
    scenario: Scenario, queue: str, interval: float, routed: RoutedIn | None = None
) -> tuple[int, np.ndarray]:
    """Which days are each interval's busiest: the first day's index and a day x interval mask.

    The simulation measures each interval on these days only, the ones the formula sized
    it for (days as busy as the busiest all count: identical days pool their contacts).

    A routed-in rate is a count from a simulation, so a day's rate carries sampling
    noise: of several days equally busy in truth, the largest count is the luckiest,
    and sizing for it alone would both overstate the rate and measure one day instead
    of all of them. Days short of the busiest by less than two standard errors of the
    difference (Poisson, from the counts) are therefore taken as equally busy: they are
    pooled, sized for their mean rate and all measured. With own arrivals only, every
    rate is exact and only days as busy as the busiest (to rounding) pool, as before.
    """
    first, rates, noise = _day_rates(scenario, queue, interval, routed)
    return first, _busiest(rates, noise)


def _busiest(rates: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Days (rows) as busy as each interval's busiest, within 2 standard errors of it."""
    top = rates.max(axis=0, initial=0.0)
    top_noise = noise[rates.argmax(axis=0), np.arange(rates.shape[1])]
    slack = 2.0 * np.sqrt(noise + top_noise)
    return (rates > 0) & (rates >= top * (1 - 1e-9) - slack)


def _day_rates(
    scenario: Scenario, queue: str, interval: float, routed: RoutedIn | None
) -> tuple[int, np.ndarray, np.ndarray]:
    """Mean arrival rate of each day (rows, from the first day's index) and interval.

    And its sampling variance: 0 for the own arrivals' spec, the Poisson variance of
    the count for the routed-in part.
    """
    spec = scenario.queues[queue]
    n = round(DAY / interval)
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    days = clock.days(0.0, scenario.duration)
    spans = np.zeros((len(days), n))
    mass = np.zeros((len(days), n))
    if spec.arrivals is not None:
        edges, rates = rate_function(spec.arrivals, clock, 0.0, scenario.duration)
        cumulative = np.concatenate(([0.0], np.cumsum(rates * np.diff(edges))))
    for row, day in enumerate(days):
        cuts = np.clip(clock.day_start(day) + interval * np.arange(n + 1), 0.0, scenario.duration)
        lo, hi = cuts[:-1], cuts[1:]
        spans[row] = hi - lo
        if spec.arrivals is not None:
            mass[row] = np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative)
    noise = np.zeros_like(mass)
    if routed is not None:  # a count over the replications: per replication, the mass
        mass = mass + routed.routed / routed.replications
        with np.errstate(invalid="ignore", divide="ignore"):
            noise = np.where(spans > 0, routed.routed / (routed.replications * spans) ** 2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(spans > 0, mass / spans, 0.0)
    return days.start, out, noise


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
