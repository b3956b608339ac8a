"""Calendar arithmetic: from clock times and day selectors to simulation seconds.

The simulation clock counts seconds from the scenario's ``start``. This module turns
hourly profiles, weekday weights, peaks, holidays and shift patterns into piecewise
constant functions of that clock, so the engine never handles dates.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload

import numpy as np

from sim.scenario import DAY_NAMES, Arrivals, Peak, Shift

__all__ = ["Clock", "ShiftInstance", "rate_function", "sample_arrivals", "shift_instances"]

DAY = 86400.0
HOUR = 3600.0


@dataclass(frozen=True)
class Clock:
    """Maps simulation seconds to calendar days for one scenario start and calendar."""

    start: dt.datetime
    holidays: frozenset[dt.date] = frozenset()

    @functools.cached_property
    def offset(self) -> float:
        """Seconds from the start day's midnight to the scenario start."""
        midnight = dt.datetime.combine(self.start.date(), dt.time())
        return (self.start - midnight).total_seconds()

    def date(self, day: int) -> dt.date:
        """Calendar date of day ``day`` (0 = the start date)."""
        return self.start.date() + dt.timedelta(days=day)

    @overload
    def day_start(self, day: int) -> float: ...
    @overload
    def day_start(self, day: np.ndarray) -> np.ndarray: ...
    def day_start(self, day: int | np.ndarray) -> float | np.ndarray:
        """Simulation time of midnight starting day ``day`` (or each of an array of days)."""
        return day * DAY - self.offset

    def days(self, t0: float, t1: float) -> range:
        """Day indices overlapping ``[t0, t1)``, one extra before for overnight spill."""
        first = int(np.floor((t0 + self.offset) / DAY)) - 1
        last = int(np.floor((t1 + self.offset) / DAY))
        return range(first, last + 1)

    def matches(self, days: tuple[str, ...], day: int) -> bool:
        """Whether calendar day ``day`` is selected by a day selector."""
        date = self.date(day)
        weekday = date.weekday()
        holiday = date in self.holidays
        for token in days:
            if (
                token == "all"
                or (token == "weekdays" and weekday < 5)
                or (token == "weekends" and weekday >= 5)
                or (token == "workdays" and weekday < 5 and not holiday)
                or (token == "holidays" and holiday)
                or (token in DAY_NAMES and DAY_NAMES.index(token) == weekday)
            ):
                return True
        return False

    def hour_of_day(self, t: np.ndarray) -> np.ndarray:
        """Clock hour (0-23) at simulation times ``t``."""
        return (np.floor((np.asarray(t) + self.offset) / HOUR) % 24).astype(np.int16)


def _normalised(weights: tuple[float, ...] | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    return w * (n / w.sum())


def _peak_windows(peak: Peak, clock: Clock, t0: float, t1: float) -> Iterator[tuple[float, float]]:
    if isinstance(peak.start, dt.datetime):
        # A dated peak's end is dated too (Peak._consistent), which the type cannot say.
        yield (
            (peak.start - clock.start).total_seconds(),
            (peak.end - clock.start).total_seconds(),  # type: ignore[operator, union-attr]
        )
        return
    length = (peak.end - peak.start) % DAY or DAY  # type: ignore[operator]
    for day in clock.days(t0, t1):
        if clock.matches(peak.days, day):
            begin = clock.day_start(day) + peak.start
            yield begin, begin + length


def rate_function(
    arrivals: Arrivals, clock: Clock, t0: float, t1: float
) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-constant arrival rate on ``[t0, t1)``: ``(edges, rates)``.

    ``rates[i]`` (per second) holds on ``[edges[i], edges[i+1])``.
    """
    profile = _normalised(arrivals.profile, 24)
    weekday = _normalised(arrivals.weekdays, 7)
    windows = [
        (w0, w1, p.multiplier) for p in arrivals.peaks for w0, w1 in _peak_windows(p, clock, t0, t1)
    ]
    # Every hour's start, vectorised: a run of weeks has thousands of hours, each queue its own.
    midnights = clock.day_start(np.array(clock.days(t0, t1), dtype=float))
    hours = (midnights[:, None] + np.arange(24) * HOUR).ravel()
    windows_cuts = [x for w0, w1, _ in windows for x in (w0, w1)]
    edges = np.unique(np.clip(np.concatenate(([t0, t1], hours, windows_cuts)), t0, t1))
    mids = (edges[:-1] + edges[1:]) / 2
    absolute = mids + clock.offset
    day_index = np.floor(absolute / DAY).astype(int)
    hour = (np.floor(absolute / HOUR) % 24).astype(int)
    rate = arrivals.rate * profile[hour] * weekday[(clock.start.weekday() + day_index) % 7]
    start_date = clock.start.date()
    holidays = [(day - start_date).days for day in clock.holidays]
    rate = np.where(np.isin(day_index, holidays), rate * arrivals.holiday_multiplier, rate)
    for w0, w1, multiplier in windows:
        rate = np.where((mids >= w0) & (mids < w1), rate * multiplier, rate)
    return edges, rate


def sample_arrivals(edges: np.ndarray, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact non-homogeneous Poisson arrival times for a piecewise-constant rate.

    Draws the count from the total intensity, then places the points by inverting the
    cumulative intensity (order statistics of uniforms), all vectorised.
    """
    cumulative = np.concatenate(([0.0], np.cumsum(rates * np.diff(edges))))
    count = rng.poisson(cumulative[-1])
    u = np.sort(rng.random(count)) * cumulative[-1]
    segment = np.clip(np.searchsorted(cumulative, u, side="right") - 1, 0, len(rates) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = edges[segment] + (u - cumulative[segment]) / rates[segment]
    return np.clip(t, edges[0], np.nextafter(edges[-1], -np.inf))


@dataclass(frozen=True)
class ShiftInstance:
    """One shift on one day, in simulation seconds."""

    start: float
    end: float
    agents: int


def shift_instances(
    staff: int | tuple[Shift, ...], clock: Clock, horizon: float
) -> list[ShiftInstance]:
    """Every shift worked between time 0 and ``horizon``, sorted by start.

    Constant staff is one instance covering everything; a shift that began before the
    scenario start (overnight) is included from time 0. A dated shift is one instance.
    """
    if isinstance(staff, int):
        return [ShiftInstance(0.0, float("inf"), staff)] if staff else []
    instances = []
    for shift in staff:
        if shift.agents and shift.dated:
            # Dated: start (and end) are date-times, which the property cannot tell mypy.
            begin = (shift.start - clock.start).total_seconds()  # type: ignore[operator, union-attr]
            end = begin + shift.length
            if end > 0 and begin < horizon:
                instances.append(ShiftInstance(max(begin, 0.0), end, shift.agents))
    clock_shifts = [s for s in staff if not s.dated]
    for day in clock.days(0.0, horizon):
        for shift in clock_shifts:
            if shift.agents and clock.matches(shift.days, day):
                begin = clock.day_start(day) + shift.start  # type: ignore[operator]  # clock time
                end = begin + shift.length
                if end > 0 and begin < horizon:
                    instances.append(ShiftInstance(max(begin, 0.0), end, shift.agents))
    return sorted(instances, key=lambda s: (s.start, s.end))
