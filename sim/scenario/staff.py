"""Staff: shifts and their shorthands, breaks, and teams of shared agents."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from sim.scenario.base import (
    MAX_AGENTS,
    MIN_BREAK_EVERY,
    Clock,
    Seconds,
    Spec,
)
from sim.scenario.calendar import (
    ClockOrDate,
    Days,
)
from sim.units import (
    format_clock,
)


def _window_problem(start: float, end: float) -> str | None:
    """What is wrong with a daily window from ``start`` to ``end``, if anything."""
    if start >= 86400:
        return "cannot start at 24:00; start it at 00:00"
    if start == end:
        return "must end at a different time than it starts"
    return None


class Shift(Spec):
    """``agents`` agents on duty from ``start`` to ``end`` on the selected days.

    A shift whose end is not after its start runs past midnight into the next day. A
    dated shift (``start`` and ``end`` ISO date-times) is worked once, on those dates,
    whatever ``days`` says: a fitted scenario replays a log's own headcount with them.
    """

    start: ClockOrDate
    end: ClockOrDate
    agents: int = Field(ge=0, le=MAX_AGENTS)
    days: Days = ("all",)

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if isinstance(self.start, dt.datetime) != isinstance(self.end, dt.datetime):
            raise ValueError("start and end must both be clock times or both be date-times")
        # Past the first check both ends are of one kind, which their type cannot say.
        if isinstance(self.start, dt.datetime):
            if self.end <= self.start:  # type: ignore[operator]
                raise ValueError("a dated shift must end after it starts")
            return self
        problem = _window_problem(self.start, self.end)  # type: ignore[arg-type]
        if problem:
            raise ValueError(f"a shift {problem}")
        return self

    @property
    def dated(self) -> bool:
        """Whether the shift is worked once, between two date-times."""
        return isinstance(self.start, dt.datetime)

    @property
    def length(self) -> float:
        """Shift length in seconds (overnight shifts wrap)."""
        # Both ends are of one kind (_not_empty), which their type cannot say.
        if isinstance(self.start, dt.datetime):
            return (self.end - self.start).total_seconds()  # type: ignore[operator, union-attr]
        return (self.end - self.start) % 86400 or 86400.0  # type: ignore[operator]


Agents = Annotated[int, Field(ge=0, le=MAX_AGENTS)]


def _one_or_three(value: Any) -> str:
    return "(three)" if isinstance(value, list | tuple) else "(one)"


class ThreeShift(Spec):
    """The agencies' 24-hour pattern: shifts 00-08, 08-16 and 16-24."""

    agents: Annotated[
        Annotated[Agents, Tag("(one)")] | Annotated[tuple[Agents, Agents, Agents], Tag("(three)")],
        Discriminator(_one_or_three),
    ]
    days: Days = ("all",)


class BusinessHours(Spec):
    """One daily shift from ``open`` to ``close`` (09:00-18:00 on weekdays by default)."""

    open: Clock = 9 * 3600.0
    close: Clock = 18 * 3600.0
    agents: Agents
    days: Days = ("weekdays",)

    @model_validator(mode="after")
    def _not_empty(self) -> BusinessHours:
        problem = _window_problem(self.open, self.close)
        if problem:
            raise ValueError(f"business hours {problem}")
        return self


class _ThreeShiftStaff(Spec):
    three_shift: ThreeShift


class _BusinessHoursStaff(Spec):
    business_hours: BusinessHours


def _staff_form(value: Any) -> str | None:
    """Which form a ``staff`` value takes; a shorthand is validated as itself."""
    if isinstance(value, dict):
        forms = [f"({key})" for key in ("three_shift", "business_hours") if key in value]
        return forms[0] if forms else None
    if isinstance(value, list | tuple):
        return "(shifts)"
    return "(count)"


def _expand_staff(value: Any) -> int | tuple[Shift, ...]:
    """Expand the ``three_shift`` and ``business_hours`` shorthands into shifts."""
    if isinstance(value, _ThreeShiftStaff):
        spec = value.three_shift
        counts = spec.agents if isinstance(spec.agents, tuple) else (spec.agents,) * 3
        edges = ("00:00", "08:00", "16:00", "24:00")
        return tuple(
            Shift(start=edges[i], end=edges[i + 1], agents=n, days=spec.days)
            for i, n in enumerate(counts)
        )
    if isinstance(value, _BusinessHoursStaff):
        hours = value.business_hours
        start, end = format_clock(hours.open), format_clock(hours.close)
        return (Shift(start=start, end=end, agents=hours.agents, days=hours.days),)
    return value


if TYPE_CHECKING:
    # What a loaded scenario holds: the shorthands are expanded on validation.
    Staff = int | tuple[Shift, ...]
else:
    Staff = Annotated[
        Annotated[int, Tag("(count)")]
        | Annotated[tuple[Shift, ...], Tag("(shifts)")]
        | Annotated[_ThreeShiftStaff, Tag("(three_shift)")]
        | Annotated[_BusinessHoursStaff, Tag("(business_hours)")],
        Discriminator(
            _staff_form,
            custom_error_type="staff_form",
            custom_error_message="staff must be a number of agents, a list of shifts, "
            "{three_shift: ...} or {business_hours: ...}",
        ),
        AfterValidator(_expand_staff),
    ]

HOUR = 3600.0


class Breaks(Spec):
    """Each agent on shift takes a break of ``length`` every ``every``.

    Breaks are taken between contacts: an agent whose break falls due finishes what it
    holds (taking nothing new), then goes. The break still lasts ``length`` and the next
    one falls due on the agent's schedule (not later), so the share of rostered time on
    break stays ``length / every``. A break ends early when the shift does. The agents of
    a shift are staggered: agent ``k`` of ``n`` takes its first break
    ``(k + 1/2) / n * (every - length)`` after the shift starts, so breaks are spread
    over the period and a break due on time ends before the period does.
    """

    # A break is an event per agent: one a minute at most keeps the work bounded.
    every: Seconds = Field(ge=MIN_BREAK_EVERY)
    length: Seconds = Field(gt=0)

    @model_validator(mode="after")
    def _shorter_than_period(self) -> Breaks:
        if self.length >= self.every:
            raise ValueError("length: a break must be shorter than the period it recurs in")
        return self

    @property
    def share(self) -> float:
        """The share of rostered time on break."""
        return self.length / self.every


Shrinkage = Annotated[float, Field(ge=0.0, lt=1.0)]


class Rostered(Spec):
    """Shared checks of whatever has agents on a roster (a queue's own staff, a team)."""

    if TYPE_CHECKING:  # the fields every subclass declares, for the checks below
        staff: int | tuple[Shift, ...]
        shrinkage: float | None
        breaks: Breaks | None

    @field_validator("staff", check_fields=False)
    @classmethod
    def _staff_non_negative(cls, v: int | tuple[Shift, ...]) -> int | tuple[Shift, ...]:
        if isinstance(v, int) and not 0 <= v <= MAX_AGENTS:
            raise ValueError(f"number of agents must be between 0 and {MAX_AGENTS:,}")
        return v

    @model_validator(mode="after")
    def _one_break_form(self) -> Rostered:
        if self.shrinkage is not None and self.breaks is not None:
            raise ValueError("shrinkage: give shrinkage or breaks, not both")
        return self

    @property
    def break_pattern(self) -> Breaks | None:
        """The breaks agents take: ``breaks``, or ``shrinkage: s`` as s hours per hour."""
        breaks, shrinkage = self.breaks, self.shrinkage
        if breaks is not None:
            return breaks
        if shrinkage:
            return Breaks(every=HOUR, length=shrinkage * HOUR)
        return None

    @property
    def max_agents(self) -> int:
        """Most agents ever scheduled at once (an upper bound for shifts)."""
        staff = self.staff
        if isinstance(staff, int):
            return staff
        return sum(s.agents for s in staff)

    @property
    def shrinkage_share(self) -> float:
        """The share of rostered time agents are not available (0 without breaks)."""
        pattern = self.break_pattern
        return pattern.share if pattern is not None else 0.0


class Team(Rostered):
    """Agents on one roster who take contacts from every queue they ``serve``."""

    staff: Staff
    serves: tuple[str, ...] = Field(min_length=1)
    shrinkage: Shrinkage | None = None
    breaks: Breaks | None = None

    @field_validator("serves")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({q for q in v if v.count(q) > 1})
        if repeated:
            raise ValueError(f"queue listed twice: {', '.join(repeated)}")
        return v
