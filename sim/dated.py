"""Dated things outside the run's period: a warning, since they then change nothing.

A scenario's dated peaks (promotion windows), dated shifts and calendar holidays are
fixed dates; its period is ``start`` plus ``duration`` (plus ``drain``). A date typed a
year off (2025-11-11 for 2026-11-11), or a ``--set start=...`` / ``--set duration=...``
that moves the period, leaves them outside it, and the run silently goes without them.
Each such thing is warned about (:class:`DatedWarning`; the command line prints it as
``warning: FILE:LINE: FIELD: ...`` on stderr: the file that writes the field, an included
one for an included queue's, and the line there; no line for the fields of a scenario
that is no file's) and the run goes on: the same file is rightly
run for other periods (a sweep over ``start``, a fitted scenario shortened to its first
days), so it is not bad input.

What counts as inside:

* a **dated peak** scales arrivals, which stop at ``start + duration``: it must overlap
  ``[start, start + duration)``. A peak partly inside, or inside the warm-up, counts.
* a **dated shift** (with agents) also works off the backlog in the drain: it must
  overlap ``[start, start + duration + drain)``. The shifts of one roster outside are
  one warning.
* **holidays**: a calendar listing a country's whole year is normal, so a holiday
  outside the period says nothing by itself. The calendar is warned about only when
  the scenario has settings that act on holidays (a ``holiday_multiplier`` other than 1,
  a ``holidays`` or ``workdays`` day selector) and no listed holiday falls within the
  period those settings act in (arrivals' for multipliers and peaks, the drain's end
  for shifts); with no holidays listed, only settings that act on holidays alone
  (a multiplier, a ``holidays`` selector) are warned about: ``workdays`` is then plain
  weekdays.

Each problem is warned about once per process (the same scenario name, field and
reason), however many commands or variants validate the scenario.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator, Sequence

from sim.errors import DatedWarning
from sim.scenario import Peak, Scenario, Shift

__all__ = ["DatedWarning", "outside", "warn"]

# Day selectors that act on the calendar's holidays; the first alone acts on nothing else.
HOLIDAY_ONLY = "holidays"
HOLIDAY_AWARE = (HOLIDAY_ONLY, "workdays")
# A roster's outside shifts are listed by position up to this many, then counted.
MAX_LISTED = 5

# (scenario name, field, reason) already warned about in this process.
_warned: set[tuple[str, str, str]] = set()


def warn(scenario: Scenario, place: Callable[[str], tuple[str, int | None]]) -> None:
    """Warn (:class:`DatedWarning`) about each dated thing outside ``scenario``'s period.

    Args:
        scenario: a validated scenario.
        place: the file (or ``<dict>``) that writes a field, and its line there if it
            has one: the warning then reads ``FILE:LINE: FIELD: reason``, as an error
            does (:mod:`sim.lines`). An included queue's field is its file's.
    """
    for field, reason in outside(scenario):
        key = (scenario.name, field, reason)
        if key not in _warned:
            _warned.add(key)
            source, line = place(field)
            where = source if line is None else f"{source}:{line}"
            warnings.warn(f"{where}: {field}: {reason}", DatedWarning, stacklevel=4)


def outside(scenario: Scenario) -> list[tuple[str, str]]:
    """``(field path, reason)`` for each dated thing outside ``scenario``'s period."""
    start = scenario.start
    arrivals_end = start + dt.timedelta(seconds=scenario.duration)
    drain_end = arrivals_end + dt.timedelta(seconds=scenario.drain)
    problems = list(_peaks(scenario, arrivals_end))
    for field, staff in _rosters(scenario):
        problems += _shifts(field, staff, start, arrivals_end, drain_end)
    problems += _holidays(scenario, arrivals_end, drain_end)
    return problems


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _period(start: dt.datetime, end: dt.datetime, drain_end: dt.datetime | None = None) -> str:
    """The run's period as a warning says it."""
    drained = f" (its drain to {_when(drain_end)})" if drain_end is not None else ""
    return f"the run's period {_when(start)} to {_when(end)}{drained}"


def _overlaps(a: dt.datetime, b: dt.datetime, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``[a, b)`` and ``[start, end)`` share a moment."""
    return a < end and b > start


def _peaks(scenario: Scenario, end: dt.datetime) -> Iterator[tuple[str, str]]:
    start = scenario.start
    for name, queue in scenario.queues.items():
        peaks: Sequence[Peak] = queue.arrivals.peaks if queue.arrivals else ()
        for i, peak in enumerate(peaks):
            # Both ends of a dated peak are date-times (Peak._consistent).
            if isinstance(peak.start, dt.datetime) and isinstance(peak.end, dt.datetime):
                if _overlaps(peak.start, peak.end, start, end):
                    continue
                yield (
                    f"queues.{name}.arrivals.peaks.{i}",
                    f"the dated peak {_when(peak.start)} to {_when(peak.end)} is outside "
                    f"{_period(start, end)}: it changes no arrivals",
                )


def _rosters(scenario: Scenario) -> Iterator[tuple[str, int | tuple[Shift, ...]]]:
    """Every roster's field path and staff: the queues' own, then the teams'."""
    for name, queue in scenario.queues.items():
        yield f"queues.{name}.staff", queue.staff
    for name, team in scenario.teams.items():
        yield f"teams.{name}.staff", team.staff


def _shifts(
    field: str,
    staff: int | tuple[Shift, ...],
    start: dt.datetime,
    end: dt.datetime,
    drain_end: dt.datetime,
) -> list[tuple[str, str]]:
    """One problem for a roster's dated shifts with agents that miss the period."""
    missed = [
        (i, shift.start, shift.end)
        for i, shift in enumerate(() if isinstance(staff, int) else staff)
        if isinstance(shift.start, dt.datetime)
        and isinstance(shift.end, dt.datetime)
        and shift.agents
        and not _overlaps(shift.start, shift.end, start, drain_end)
    ]
    if not missed:
        return []
    period = _period(start, end, drain_end)
    if len(missed) == 1:
        i, first, last = missed[0]
        when = f"{_when(first)} to {_when(last)}"
        return [(f"{field}.{i}", f"the dated shift {when} is outside {period}: no one works it")]
    listed = _listed([str(i) for i, _, _ in missed])
    first = min(begin for _, begin, _ in missed)
    last = max(finish for _, _, finish in missed)
    when = f"{_when(first)} to {_when(last)}"
    reason = (
        f"{len(missed)} dated shifts ({listed}; {when}) are outside {period}: no one works them"
    )
    return [(field, reason)]


def _holiday_settings(scenario: Scenario) -> Iterator[tuple[str, bool, bool]]:
    """Fields acting on holidays: ``(field, on shifts, on holidays alone)``.

    Multipliers and peaks act on arrivals; clock shifts' ``days`` act on shifts, also
    in the drain. ``workdays`` acts on holidays only when some are listed.
    """
    for name, queue in scenario.queues.items():
        if queue.arrivals is None:
            continue
        if queue.arrivals.holiday_multiplier != 1:
            yield f"queues.{name}.arrivals.holiday_multiplier", False, True
        for i, peak in enumerate(queue.arrivals.peaks):
            if set(peak.days) & set(HOLIDAY_AWARE):
                yield f"queues.{name}.arrivals.peaks.{i}.days", False, HOLIDAY_ONLY in peak.days
    for field, staff in _rosters(scenario):
        for i, shift in enumerate(() if isinstance(staff, int) else staff):
            if not shift.dated and set(shift.days) & set(HOLIDAY_AWARE):
                yield f"{field}.{i}.days", True, HOLIDAY_ONLY in shift.days


def _listed(fields: Sequence[str]) -> str:
    more = f" and {len(fields) - MAX_LISTED} more" if len(fields) > MAX_LISTED else ""
    return ", ".join(fields[:MAX_LISTED]) + more


def _holidays(
    scenario: Scenario, end: dt.datetime, drain_end: dt.datetime
) -> list[tuple[str, str]]:
    """One problem for a calendar none of whose holidays the holiday settings meet."""
    settings = list(_holiday_settings(scenario))
    holidays = sorted(scenario.calendar.holidays)
    start = scenario.start
    if not holidays:
        never = [field for field, _, alone in settings if alone]
        if not never:
            return []
        return [("calendar.holidays", f"no holidays are listed, so {_nothing(never)}")]

    day = dt.timedelta(days=1)
    midnights = [dt.datetime.combine(d, dt.time()) for d in holidays]

    def met(field: str, on_shifts: bool) -> bool:
        # A day selector also acts on the day before the start: a shift (or daily peak)
        # of that evening runs past midnight into the period.
        since = start - day if field.endswith(".days") else start
        until = drain_end if on_shifts else end
        return any(_overlaps(midnight, midnight + day, since, until) for midnight in midnights)

    idle = [(f, on_shifts) for f, on_shifts, _ in settings if not met(f, on_shifts)]
    if not idle:
        return []
    drained = drain_end if any(on_shifts for _, on_shifts in idle) else None
    period = _period(start, end, drained)
    if len(holidays) == 1:
        missed = f"its holiday {holidays[0]} is outside {period}"
    else:
        span = f"{holidays[0]} to {holidays[-1]}"
        missed = f"none of its {len(holidays)} holidays ({span}) falls within {period}"
    return [("calendar.holidays", f"{missed}, so {_nothing([f for f, _ in idle])}")]


def _nothing(fields: Sequence[str]) -> str:
    """``fields`` change nothing, in words."""
    return f"{_listed(fields)} {'changes' if len(fields) == 1 else 'change'} nothing"
