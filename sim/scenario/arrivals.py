"""Arrivals: a non-homogeneous Poisson rate shaped by profiles and peaks."""

from __future__ import annotations

import datetime as dt

from pydantic import (
    field_validator,
    model_validator,
)

from sim.scenario.base import (
    MIN_WEIGHT_SUM,
    Multiplier,
    RatePerSecond,
    Spec,
    Weight,
)
from sim.scenario.calendar import (
    ClockOrDate,
    Days,
)


class Peak(Spec):
    """A multiplier on the arrival rate: daily between clock times, or between two dates."""

    start: ClockOrDate
    end: ClockOrDate
    multiplier: Multiplier
    days: Days = ("all",)

    @model_validator(mode="after")
    def _consistent(self) -> Peak:
        if isinstance(self.start, dt.datetime) != isinstance(self.end, dt.datetime):
            raise ValueError("start and end must both be clock times or both be date-times")
        # Past the first check both ends are of one kind, which their type cannot say.
        if isinstance(self.start, dt.datetime) and self.end <= self.start:  # type: ignore[operator]
            raise ValueError("a dated peak must end after it starts")
        if isinstance(self.start, dt.datetime) and self.days != ("all",):
            # A dated window covers every day in it: a selection would be ignored.
            raise ValueError(
                "days: a dated peak covers every day between its dates; for some days only, "
                "give one dated peak per day or a daily peak (clock times) with days"
            )
        if not isinstance(self.start, dt.datetime) and self.start == self.end:
            raise ValueError("a daily peak must not start and end at the same time")
        return self


class Arrivals(Spec):
    """Non-homogeneous Poisson arrivals.

    ``rate`` is the average rate over a day: the 24 hourly ``profile`` weights and the
    7 ``weekdays`` weights (Monday first) are normalised to mean 1 so they shape the
    volume without changing it. Peaks and the holiday multiplier then scale it.
    """

    rate: RatePerSecond
    profile: tuple[Weight, ...] | None = None
    weekdays: tuple[Weight, ...] | None = None
    peaks: tuple[Peak, ...] = ()
    holiday_multiplier: Multiplier = 1.0

    @field_validator("profile")
    @classmethod
    def _profile_24(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        return _weights(v, 24, "profile needs 24 hourly weights")

    @field_validator("weekdays")
    @classmethod
    def _weekdays_7(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        return _weights(v, 7, "weekdays needs 7 weights (Mon..Sun)")


def _weights(v: tuple[float, ...] | None, count: int, need: str) -> tuple[float, ...] | None:
    """Weights normalised later by their sum: the right count, and a sum to divide by."""
    if v is not None and len(v) != count:
        raise ValueError(f"{need} with a positive sum, got {len(v)}")
    if v is not None and sum(v) < MIN_WEIGHT_SUM:
        raise ValueError(f"{need} with a positive sum (at least {MIN_WEIGHT_SUM:g})")
    return v
