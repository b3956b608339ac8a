"""Days, dates and the calendar: day selectors, local date-times, holidays."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    PlainSerializer,
)

from sim.scenario.base import (
    Spec,
)
from sim.units import (
    format_clock,
    parse_clock,
)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_KEYWORDS = ("all", "weekdays", "weekends", "workdays", "holidays")
_DAYS_RULE = "use all, weekdays, weekends, workdays, holidays or day names (mon..sun)"


def _day_token(item: Any) -> str:
    """A keyword, or the three-letter name of the day ``item`` names in full or in short."""
    text = str(item).strip().lower()
    if text in DAY_KEYWORDS:
        return text
    # At least three letters of a day's name (mon, tues, thurs, friday); not anything
    # that merely starts like one: "mon-fri" is not Mondays.
    for short, full in zip(DAY_NAMES, _FULL_DAY_NAMES, strict=True):
        if len(text) >= 3 and full.startswith(text):
            return short
    hint = (
        "; give several days as a list, e.g. [mon, tue, wed]"
        if any(c in text for c in ",-/ ")
        else ""
    )
    raise ValueError(f"unknown day {item!r}: {_DAYS_RULE}{hint}")


def _parse_days(value: Any) -> tuple[str, ...]:
    """Normalise a day selector to a sorted tuple of keywords and day names."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError(f"no days given: {_DAYS_RULE}")
    return tuple(sorted({_day_token(item) for item in items}))


Days = Annotated[tuple[str, ...], BeforeValidator(_parse_days)]


class Calendar(Spec):
    """Public holidays: they change arrival volumes and who works on ``workdays``."""

    holidays: tuple[dt.date, ...] = ()


def _clock_or_datetime(value: Any) -> Any:
    if isinstance(value, dt.date):  # a date-time, or a date (YAML reads 2026-11-02 as one)
        return local_datetime(value)
    if isinstance(value, str) and ("T" in value or "-" in value):
        return local_datetime(dt.datetime.fromisoformat(value))
    return parse_clock(value)


def local_datetime(value: Any) -> dt.datetime:
    """A wall-clock date-time: the merchants' local time, no time zone, not a number."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected a date-time like 2026-11-11T00:00, got {value!r}") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        # YAML reads an unquoted 2026-11-11 as a date: midnight, as the quoted text is.
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ValueError(f"expected a date-time like 2026-11-11T00:00, got {value!r}")
    if value.tzinfo is not None:
        raise ValueError("give the local wall-clock time without a time zone")
    return value


def _clock_or_datetime_json(value: float | dt.datetime) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else format_clock(value)


ClockOrDate = Annotated[
    float | dt.datetime,
    BeforeValidator(_clock_or_datetime),
    PlainSerializer(_clock_or_datetime_json, when_used="json"),
]
