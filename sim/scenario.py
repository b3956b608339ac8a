"""The scenario: frozen, validated plain data describing a network of service queues.

These pydantic models are the public scenario format (see DESIGN.md). They are built
once at the edge by :mod:`sim.loader`; the engine receives them as immutable typed
objects. Shorthands (``staff: 110``, ``three_shift``, ``business_hours``) are expanded
here so the engine sees one shape only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution
from sim.units import (
    format_clock,
    format_duration,
    not_boolean,
    parse_clock,
    parse_duration,
    parse_rate,
)

__all__ = [
    "Arrivals",
    "Bot",
    "Breaks",
    "Calendar",
    "Calibrated",
    "Concurrency",
    "Deadline",
    "DelayedRoute",
    "LeastOf",
    "Name",
    "Overflow",
    "Peak",
    "Queue",
    "Reference",
    "Retry",
    "Scenario",
    "Shift",
    "Target",
    "Team",
    "route_share",
]


def _rate_text(per_second: float) -> str:
    per_hour = per_second * 3600
    # Per hour reads best; per second when per hour would not round-trip exactly.
    return f"{per_hour!r}/h" if per_hour / 3600 == per_second else f"{per_second!r}/s"


# Each unit type reads the file's notation and writes it back in JSON mode, so a
# dumped scenario (``sim run --out``) loads to an equal one.
Seconds = Annotated[float, BeforeValidator(parse_duration)]
Clock = Annotated[
    float, BeforeValidator(parse_clock), PlainSerializer(format_clock, when_used="json")
]


def _plausible_rate(per_second: float) -> float:
    if per_second > 1000.0:
        raise ValueError("rates above 1000/s (3,600,000/h) are beyond what this simulator is for")
    return per_second


RatePerSecond = Annotated[
    float,
    BeforeValidator(parse_rate),
    AfterValidator(_plausible_rate),
    PlainSerializer(_rate_text, when_used="json"),
]
Probability = Annotated[float, BeforeValidator(not_boolean), Field(ge=0.0, le=1.0)]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        # Pydantic takes true as 1 for a number; only a boolean field takes one.
        if info.field_name and cls.model_fields[info.field_name].annotation is not bool:
            return not_boolean(value)
        return value


class DelayedRoute(_Spec):
    """A route taken ``after`` a drawn delay: ``{share: 0.2, after: {dist: ..., mean: 2h}}``.

    The contact leaves the queue at once and reaches the destination after the delay
    ("writes an email two hours later").
    """

    share: Probability
    after: Distribution


def _route_kind(value: Any) -> str:
    # Tags named like pydantic's own type tags, so the loader leaves them out of paths.
    return "dict" if isinstance(value, dict | DelayedRoute) else "float"


# A route value: a bare probability, or a share with a delay.
RouteValue = Annotated[
    Annotated[Probability, Tag("float")] | Annotated[DelayedRoute, Tag("dict")],
    Discriminator(_route_kind),
]
Routes = dict[str, RouteValue]


def route_share(value: float | DelayedRoute) -> float:
    """The probability of a route value, delayed or not."""
    return value.share if isinstance(value, DelayedRoute) else value


# Queue and team names are identifiers: they name files (plots per queue), columns and
# random streams, so they hold no path separator, cannot start with a dot and are short.
# The dot is allowed inside: composed scenarios name queues ``prefix.queue``.
MAX_NAME_LENGTH = 64
NAME_RULE = (
    "use letters, digits, '_', '-' and '.', not starting with '.' or '-', "
    f"not ending with '.' nor with '..' inside, at most {MAX_NAME_LENGTH} characters"
)
# A dot only between two parts: a dotted path (--set queues.a.b.staff) must reach it.
_NAME = re.compile(rf"(?=.{{1,{MAX_NAME_LENGTH}}}$)[^\W][\w-]*(?:\.[\w-]+)*")


def _identifier(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value[:MAX_NAME_LENGTH]!r} is not a valid name: {NAME_RULE}")
    return value


Name = Annotated[str, AfterValidator(_identifier)]

# Bounds that keep the arithmetic of the engine finite: weights and multipliers scale
# arrival rates (their product with a rate and a horizon must stay a count), and a
# contact's queue visits are stored in a small integer column.
MAX_WEIGHT = 1e6
MIN_WEIGHT_SUM = 1e-6  # weights are normalised by their sum: not by almost nothing
MAX_MULTIPLIER = 1000.0
MAX_HOPS = 100
MAX_QUEUES = 1000
MAX_REPLICATIONS = 1_000_000
MIN_BREAK_EVERY = 60.0
Weight = Annotated[float, BeforeValidator(not_boolean), Field(ge=0, le=MAX_WEIGHT)]
Multiplier = Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]

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

# Agents are simulated one by one: a desk beyond this is a typo, not a scenario.
MAX_AGENTS = 100_000
# The calendar is simulated day by day: ten years is far beyond any staffing question.
MAX_HORIZON = 3660 * 86400.0
EARLIEST_START = dt.datetime(1, 1, 8)
LATEST_END = dt.datetime(9999, 12, 24)
# A deadline "N working days" after arrival: a year of days is more than any target.
MAX_DEADLINE_DAYS = 366


class Calendar(_Spec):
    """Public holidays: they change arrival volumes and who works on ``workdays``."""

    holidays: tuple[dt.date, ...] = ()


def _clock_or_datetime(value: Any) -> Any:
    if isinstance(value, dt.date):  # a date-time, or a date (YAML reads 2026-11-02 as one)
        return _local(value)
    if isinstance(value, str) and ("T" in value or "-" in value):
        return _local(dt.datetime.fromisoformat(value))
    return parse_clock(value)


def _local(value: Any) -> dt.datetime:
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


class Peak(_Spec):
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


class Arrivals(_Spec):
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


def _window_problem(start: float, end: float) -> str | None:
    """What is wrong with a daily window from ``start`` to ``end``, if anything."""
    if start >= 86400:
        return "cannot start at 24:00; start it at 00:00"
    if start == end:
        return "must end at a different time than it starts"
    return None


class Shift(_Spec):
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


class ThreeShift(_Spec):
    """The agencies' 24-hour pattern: shifts 00-08, 08-16 and 16-24."""

    agents: Annotated[
        Annotated[Agents, Tag("(one)")] | Annotated[tuple[Agents, Agents, Agents], Tag("(three)")],
        Discriminator(_one_or_three),
    ]
    days: Days = ("all",)


class BusinessHours(_Spec):
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


class _ThreeShiftStaff(_Spec):
    three_shift: ThreeShift


class _BusinessHoursStaff(_Spec):
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


class Bot(_Spec):
    """An AI bot with unlimited capacity.

    ``when: unstaffed`` covers hours with no agent on shift; ``when: always`` answers every
    contact first and hands what it does not resolve to the human agents (hybrid). What
    an unstaffed-hours bot does not resolve follows the queue's ``on_unresolved`` routes
    (``unresolved: route``) or waits in line for the next shift (``unresolved: wait``).
    """

    when: Literal["unstaffed", "always"] = "unstaffed"
    resolution: Probability
    response: Distribution | None = None
    unresolved: Literal["route", "wait"] = "route"


class Overflow(_Spec):
    """Smart triage: arrivals finding ``threshold`` or more waiting go to ``on_overflow``."""

    threshold: int = Field(ge=0)


class Concurrency(_Spec):
    """Chat concurrency: an agent holds up to ``max`` chats at once.

    A chat started while the agent holds k chats (this one included) takes its drawn
    handle time times ``1 + slowdown * (k - 1)``: attention is shared, so each chat
    gets slower as more are held.
    """

    max: int = Field(ge=1, le=16)
    slowdown: float = Field(default=0.25, ge=0, le=10)


HOUR = 3600.0


class Breaks(_Spec):
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


class _Rostered(_Spec):
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
    def _one_break_form(self) -> _Rostered:
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


class Retry(_Spec):
    """A contact that abandons tries the same queue again ``after`` a drawn delay.

    It does so with ``probability`` each time it abandons (a new hop, the same contact),
    as long as ``max_hops`` allows; otherwise it follows ``on_abandon``. A retrial draws
    its service time, patience, resolution and visibility anew, from the queue's retrial
    streams, so retrials never shift the draws of first attempts.
    """

    probability: Probability
    after: Distribution


class Team(_Rostered):
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


class Queue(_Rostered):
    """One channel of one merchant segment: agents, arrivals, behaviour and routes.

    ``on_*`` routes send a contact on when it leaves this queue that way; ``parallel``
    opens, on arrival, a second visit of the same contact at another queue while this
    one goes on (chat and an email ticket at once); the contact is resolved when the
    first of its visits resolves it.
    """

    channel: str = "chat"
    segment: str | None = None
    arrivals: Arrivals | None = None
    staff: Staff = 0
    shrinkage: Shrinkage | None = None
    breaks: Breaks | None = None
    priority: int = Field(default=0, ge=-1000, le=1000)
    bot: Bot | None = None
    service: Distribution
    patience: Distribution | None = None
    retry: Retry | None = None
    resolution: Probability = 1.0
    visibility: Probability = 1.0
    closed: Literal["wait", "lost", "route"] = "wait"
    overflow: Overflow | None = None
    pickup: tuple[Clock, ...] | None = None
    concurrency: Concurrency | None = None
    on_unresolved: Routes = Field(default_factory=dict)
    on_abandon: Routes = Field(default_factory=dict)
    on_closed: Routes = Field(default_factory=dict)
    on_overflow: Routes = Field(default_factory=dict)
    on_not_visible: Routes = Field(default_factory=dict)
    parallel: Routes = Field(default_factory=dict)

    @field_validator("pickup")
    @classmethod
    def _pickup_times(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and not v:
            raise ValueError("pickup needs at least one clock time")
        return None if v is None else tuple(sorted({t % 86400 for t in v}))

    @model_validator(mode="after")
    def _routes_consistent(self) -> Queue:
        for field in ROUTE_FIELDS:
            total = sum(route_share(v) for v in getattr(self, field).values())
            if total > 1 + 1e-9:
                raise ValueError(f"{field}: probabilities sum to {total:g}, more than 1")
        if any(isinstance(v, DelayedRoute) for v in self.parallel.values()):
            raise ValueError("parallel: a parallel visit opens at once: give a probability")
        if self.closed == "route" and not self.on_closed:
            raise ValueError("on_closed: closed is route but no on_closed route is given")
        if self.overflow is not None and not self.on_overflow:
            raise ValueError("on_overflow: overflow is set but no on_overflow route is given")
        self._no_dead_routes()
        return self

    def _no_dead_routes(self) -> None:
        """A route for an event that the file never enables is a typo, not a choice.

        ``on_closed`` without ``closed``, for instance, left closed-hours contacts
        waiting (the default) that the user meant to route. A value given explicitly
        (``closed: wait``, ``visibility: 1``: a what-if sweep) is a choice: accepted;
        ``null`` (``--set ...patience=null``, an include's override) removes the field,
        and the routes that need it must go too.
        """
        given = self.model_fields_set
        for field, enabler, needs in _ENABLED_BY:
            if getattr(self, field) and (enabler not in given or getattr(self, enabler) is None):
                raise ValueError(f"{field}: {needs}")

    @property
    def slots(self) -> int:
        """Contacts one agent may hold at once for this queue (chat concurrency)."""
        return self.concurrency.max if self.concurrency is not None else 1


# Routes (and retrials) taken only on an event that another field enables.
_ENABLED_BY = (
    ("on_closed", "closed", "taken only with closed: route (closed is wait when not given)"),
    (
        "on_overflow",
        "overflow",
        "taken only with overflow: {threshold: N}, which is not given (or null)",
    ),
    (
        "on_abandon",
        "patience",
        "contacts abandon only with a patience, which is not given (or null)",
    ),
    ("retry", "patience", "contacts abandon only with a patience, which is not given (or null)"),
    ("on_not_visible", "visibility", "taken only with visibility below 1, which is not given"),
)

# ``parallel`` is taken on arrival, besides the visit: the contact also opens a visit at
# the destination at once (a shopper who writes an email while chatting).
ROUTE_FIELDS = (
    "on_unresolved",
    "on_abandon",
    "on_closed",
    "on_overflow",
    "on_not_visible",
    "parallel",
)

TIME_METRICS = (
    "mean_wait",
    "median_wait",
    "p90_wait",
    "p95_wait",
    "mean_handle",
    "mean_agent_wait",
    "e2e_mean_time",
    "e2e_mean_response",
)
RATE_METRICS = (
    "service_level",
    "answer_rate",
    "abandon_rate",
    "resolution_rate",
    "resolved_within",
    "escalation_rate",
    "utilization",
    "occupancy",
    "e2e_resolution_rate",
    "e2e_answer_rate",
    "e2e_answered_within",
    "e2e_resolved_within",
    "e2e_reach_rate",
    "not_visible_rate",
    "overflow_rate",
    "closed_rate",
    "bot_share",
)
# Shares of the agents' time (whole-window accounts): no days, hours or ratio_to.
AGENT_TIME_METRICS = ("utilization", "occupancy")
# Shares "within" a deadline; service_level defaults to the scenario's threshold.
DEADLINE_METRICS = (
    "service_level",
    "resolved_within",
    "e2e_answered_within",
    "e2e_resolved_within",
)
if TYPE_CHECKING:
    TargetMetric = str  # a Literal built from tuples is beyond a static checker
else:
    TargetMetric = Literal[TIME_METRICS + RATE_METRICS]


def _tolerance(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        return {"relative": float(value.strip()[:-1]) / 100}
    if isinstance(value, str):
        return {"absolute": parse_duration(value)}
    return {"absolute": value} if isinstance(value, int | float) else value


def _is_number(value: Any) -> bool:
    """A plain number, written as one or as text (``0.05``, ``"0.05"``), not a duration."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def _tolerance_units(data: dict[str, Any]) -> str | None:
    """Why a target's tolerance, as written, is not in its figure's units (None if it is).

    A duration (``30s``) is read as that many seconds: on a share or a plain ratio it
    becomes an absolute 30, a band no figure can leave. A number below one on a time
    is read as that fraction of a second: a share meant, and a band no figure can meet.
    """
    raw, metric = data.get("tolerance"), data.get("metric")
    if raw is None or isinstance(raw, dict | Tolerance):
        return None
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return None  # relative: in any figure's units
    ratio = data.get("ratio_to") is not None
    try:
        seconds = parse_duration(raw)
    except ValueError:
        return None  # not a tolerance at all: the field's own check says so
    if isinstance(raw, str) and not _is_number(raw) and (ratio or metric in RATE_METRICS):
        kind, example = (
            ("a ratio (a plain number)", "0.3") if ratio else (f"a share ({metric})", "0.03")
        )
        return (
            f"the figure is {kind}: the duration {raw.strip()} would be read as "
            f"{seconds:g}; give a number ({example}) or a relative one (10%)"
        )
    if metric in TIME_METRICS and not ratio and _is_number(raw) and 0 < seconds < 1:
        return (
            f"the figure is a duration ({metric}): {raw} would be read as {seconds:g} "
            "seconds; give a duration (30s) or a relative one (10%)"
        )
    return None


class Tolerance(_Spec):
    """A target's tolerance: relative (``10%``) or absolute (``0.03`` or ``30s``)."""

    relative: float | None = Field(default=None, ge=0)
    absolute: float | None = Field(default=None, ge=0)


_DAY_DEADLINE = re.compile(
    r"^\s*(?:(next)\s*day|(\d+)\s*(working\s*days?|workdays?|calendar\s*days?))\s*$", re.I
)


def _deadline(value: Any) -> Any:
    if isinstance(value, str) and (match := _DAY_DEADLINE.match(value)):
        if match.group(1):
            return {"days": 1}
        return {"days": int(match.group(2)), "working": match.group(3)[0].lower() == "w"}
    if isinstance(value, dict | Deadline):
        return value
    return {"seconds": parse_duration(value)}


class Deadline(_Spec):
    """The "within" of a share-within target.

    Either ``seconds`` after the contact arrives (``30m``, ``2h``), or the end (24:00) of
    the ``days``-th calendar or working day after the day it arrives (``next day``,
    ``2 working days``; working days are weekdays that are not holidays).
    """

    seconds: float | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=0, le=MAX_DEADLINE_DAYS)
    working: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Deadline:
        if (self.seconds is None) == (self.days is None):
            raise ValueError("a deadline is a duration or a number of (working) days")
        return self

    def __str__(self) -> str:
        if self.seconds is not None:
            return format_duration(self.seconds)
        if self.days == 1 and not self.working:
            return "next day"
        return f"{self.days} {'working' if self.working else 'calendar'} days"


def _hours(value: Any) -> Any:
    if isinstance(value, str) and "-" in value:
        value = value.split("-", 1)
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError('hours must be a clock window like "10:00-11:00" or [start, end]')
    start, end = (parse_clock(v) for v in value)
    if start >= 86400 or start == end:
        raise ValueError("hours must start before 24:00 and not end when they start")
    return (start, end)


Hours = Annotated[tuple[float, float], BeforeValidator(_hours)]
# One queue; several pooled (their contacts together); or a mix {queue: weight} where
# each queue's figure counts with its weight (its share of the contacts it stands for).
QueueSelection = str | tuple[str, ...] | dict[str, Annotated[float, Field(gt=0, le=MAX_WEIGHT)]]


def _names(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


# Target ids: like queue names (included ones are namespaced with dots).
TargetId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
FieldPaths = Annotated[tuple[str, ...], BeforeValidator(_names), Field(min_length=1)]


def _selection_names(selection: QueueSelection) -> tuple[str, ...]:
    return (selection,) if isinstance(selection, str) else tuple(selection)


class Reference(_Spec):
    """The denominator of a ratio target; a field left out is the target's own."""

    queue: QueueSelection | None = None
    metric: TargetMetric | None = None
    days: Days | None = None
    hours: Hours | None = None
    scope: tuple[str, ...] | None = None
    within: Annotated[Deadline, BeforeValidator(_deadline)] | None = None


class LeastOf(_Spec):
    """The denominator of a ratio target: the lowest of several selections' figures.

    Each reference is read as in :class:`Reference` (a field left out is the target's
    own); a reference whose figure is undefined on a replication is skipped. For waits,
    the fastest of several channels: ``{least_of: [{queue: a}, {queue: b}]}``.
    """

    least_of: tuple[Reference, ...] = Field(min_length=2)


class Target(_Spec):
    """A figure from the source document that a metric of the simulation must reproduce.

    The figure is the mean over replications of the metric computed on the selected
    contacts: those of ``queue`` (one queue, a list pooled, or a ``{queue: weight}`` mix),
    arriving on ``days`` between ``hours``; ``e2e_*`` metrics follow whole contacts that
    entered the system at ``queue`` and count only their hops at ``scope`` queues (all
    by default; for ``e2e_reach_rate``, the queues to reach). With ``ratio_to`` the figure
    is the ratio of this metric to another selection's (``{least_of: [...]}``: to the
    lowest of several selections'; ``best_other_hour``: to the highest of the same metric
    in each other clock hour).

    A target passes when ``|simulated - value| <= half_width`` (``bound: equal``), when
    ``simulated <= value + half_width`` (``at_most``) or ``simulated >= value -
    half_width`` (``at_least``).

    ``id`` names the target in the ledger; ``restates`` lists the fields of the scenario
    whose value the figure only repeats (an input, not a prediction: the bot's own
    resolution, a bound true by construction).
    """

    queue: QueueSelection
    metric: TargetMetric
    value: float
    tolerance: Annotated[Tolerance, BeforeValidator(_tolerance)] | None = None
    bound: Literal["equal", "at_most", "at_least"] = "equal"
    within: Annotated[Deadline, BeforeValidator(_deadline)] | None = None
    days: Days | None = None
    hours: Hours | None = None
    scope: tuple[str, ...] | None = None
    ratio_to: Reference | LeastOf | Literal["best_other_hour"] | None = None
    note: str = ""
    id: TargetId | None = None
    restates: FieldPaths | None = None

    @model_validator(mode="before")
    @classmethod
    def _value_units(cls, data: Any) -> Any:
        if isinstance(data, dict) and (problem := _tolerance_units(data)) is not None:
            target = f"target {data['id']!r}: " if isinstance(data.get("id"), str) else ""
            # The first word is the field's path (see the loader).
            raise ValueError(f"tolerance: {target}{problem}")
        if (
            isinstance(data, dict)
            and data.get("metric") in TIME_METRICS
            and data.get("ratio_to") is None
        ):
            data = {**data, "value": parse_duration(data.get("value"))}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.tolerance is None and self.bound == "equal":
            raise ValueError("tolerance: required unless bound is at_most or at_least")
        owners: tuple[Target | Reference, ...] = (self, *self.references)
        for owner in owners:
            metric = owner.metric or self.metric
            if owner.within is not None and metric not in DEADLINE_METRICS:
                raise ValueError(f"within: only for {', '.join(DEADLINE_METRICS)}")
            if metric in DEADLINE_METRICS[1:] and (owner.within or self.within) is None:
                raise ValueError(f"within: {metric} needs a deadline, e.g. within: 30m")
            if metric == "e2e_reach_rate" and (owner.scope or self.scope) is None:
                raise ValueError("scope: e2e_reach_rate needs the queues to reach as scope")
            if owner.scope is not None and not metric.startswith("e2e_"):
                raise ValueError("scope: only for e2e_* metrics")
        if self.ratio_to == "best_other_hour" and self.hours is None:
            raise ValueError("ratio_to: best_other_hour needs hours")
        if self.metric in AGENT_TIME_METRICS:
            given = [f for f in ("days", "hours", "ratio_to") if getattr(self, f) is not None]
            if given:
                # The first word is the field's path (see the loader), the metric follows.
                raise ValueError(f"{given[0]}: {self.metric}: takes no days, hours or ratio_to")
        self._in_range()
        return self

    def _in_range(self) -> None:
        """A figure the metric can take, and a tolerance that can fail (typos of a %)."""
        if self.value < 0:
            raise ValueError(f"value: {self.metric} is never negative, got {self.value:g}")
        if self.metric not in RATE_METRICS or self.ratio_to is not None:
            return
        if self.value > 1:
            raise ValueError(
                f"value: {self.metric} is a share between 0 and 1, got {self.value:g} "
                f"(for {self.value:g}% write {self.value / 100:g})"
            )
        absolute = self.tolerance.absolute if self.tolerance is not None else None
        if absolute is not None and absolute > 1:
            raise ValueError(
                f"tolerance: {self.metric} is a share: an absolute tolerance of {absolute:g} "
                "lets every figure pass; give a fraction (0.03) or a relative one (10%)"
            )

    def queue_refs(self) -> list[tuple[str, str]]:
        """Every queue this target names, as ``(field, queue)`` pairs."""
        refs = [("queue", q) for q in _selection_names(self.queue)]
        refs += [("scope", q) for q in self.scope or ()]
        for at, ref in self._named_references():
            refs += [(f"{at}.queue", q) for q in _selection_names(ref.queue or ())]
            refs += [(f"{at}.scope", q) for q in ref.scope or ()]
        return refs

    def _named_references(self) -> list[tuple[str, Reference]]:
        if isinstance(self.ratio_to, Reference):
            return [("ratio_to", self.ratio_to)]
        if isinstance(self.ratio_to, LeastOf):
            return [(f"ratio_to.least_of.{i}", r) for i, r in enumerate(self.ratio_to.least_of)]
        return []

    @property
    def references(self) -> tuple[Reference, ...]:
        """The selections of the ratio's denominator (none for ``best_other_hour``)."""
        return tuple(ref for _, ref in self._named_references())

    @property
    def label(self) -> str:
        """The queue selection as one short string (``a``, ``a+b``, ``a:0.5+b:0.5``)."""
        if isinstance(self.queue, str):
            return self.queue
        if isinstance(self.queue, dict):
            return "+".join(f"{q}:{w:g}" for q, w in self.queue.items())
        return "+".join(self.queue)

    @property
    def is_ratio(self) -> bool:
        """Whether the figure is a ratio (dimensionless) rather than the metric itself."""
        return self.ratio_to is not None

    @property
    def half_width(self) -> float:
        """Allowed distance from the document's figure, in the metric's units."""
        if self.tolerance is None:
            return 0.0
        if self.tolerance.relative is not None:
            return self.tolerance.relative * abs(self.value)
        return float(self.tolerance.absolute or 0.0)


class Calibrated(_Spec):
    """A value of the scenario fitted to some of its targets (the degrees-of-freedom ledger).

    ``field`` is the dotted path of the value (several paths when one value is shared,
    e.g. one patience for several desks), ``to`` the ids of the targets it was tuned to,
    ``note`` how (the ``sim calibrate`` command, or "chosen by hand while fitting").
    """

    field: FieldPaths
    to: Annotated[tuple[TargetId, ...], BeforeValidator(_names), Field(min_length=1)]
    note: str = ""


class Scenario(_Spec):
    """A complete, validated scenario: the queues, the horizon and the experiment."""

    name: str = Field(min_length=1)
    start: Annotated[dt.datetime, BeforeValidator(_local)]
    duration: Seconds = Field(gt=0)
    warmup: Seconds = 0.0
    drain: Seconds = 7 * 86400.0
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)
    service_level_threshold: Seconds = 60.0
    max_hops: int = Field(default=10, ge=1, le=MAX_HOPS)
    calendar: Calendar = Calendar()
    queues: dict[Name, Queue] = Field(min_length=1, max_length=MAX_QUEUES)
    teams: dict[Name, Team] = Field(default_factory=dict, max_length=MAX_QUEUES)
    targets: tuple[Target, ...] = ()
    calibrated: tuple[Calibrated, ...] = ()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError("warmup must be shorter than duration")
        if self.duration + self.drain > MAX_HORIZON:
            raise ValueError("duration: duration plus drain must stay within ten years")
        # Calendar arithmetic looks a week back and up to ten years ahead (deadlines in
        # working days); Python's dates end at the years 1 and 9999.
        horizon = dt.timedelta(seconds=self.duration + self.drain + MAX_HORIZON)
        if not EARLIEST_START <= self.start <= LATEST_END - horizon:
            latest = (LATEST_END - horizon).isoformat(timespec="minutes")
            raise ValueError(
                f"start: must be between {EARLIEST_START.date()} and {latest}: the simulated "
                "period and ten years of calendar after it must fit in the years 1 to 9999"
            )
        names = set(self.queues)
        for qname, queue in self.queues.items():
            if qname in queue.parallel:
                raise ValueError(
                    f"queues.{qname}.parallel: a queue cannot run in parallel with itself"
                )
            for field in ROUTE_FIELDS:
                for dest in getattr(queue, field):
                    if dest not in names:
                        raise ValueError(
                            f"queues.{qname}.{field}: route to unknown queue {dest!r} "
                            f"(queues are: {', '.join(sorted(names))})"
                        )
        for tname, team in self.teams.items():
            for name in team.serves:
                if name not in names:
                    raise ValueError(
                        f"teams.{tname}.serves: unknown queue {name!r} "
                        f"(queues are: {', '.join(sorted(names))})"
                    )
        for i, target in enumerate(self.targets):
            for field, name in target.queue_refs():
                if name not in names:
                    raise ValueError(f"targets.{i}.{field}: unknown queue {name!r}")
        self._check_ledger()
        if not any(q.arrivals is not None for q in self.queues.values()):
            raise ValueError("no queue has arrivals: give at least one queue an arrivals block")
        return self

    def teams_serving(self, queue: str) -> tuple[str, ...]:
        """Names of the teams that take contacts from ``queue``, in file order."""
        return tuple(name for name, team in self.teams.items() if queue in team.serves)

    def _check_ledger(self) -> None:
        ids: dict[str, int] = {}
        for i, target in enumerate(self.targets):
            if target.id is not None:
                if target.id in ids:
                    raise ValueError(
                        f"targets.{i}.id: {target.id!r} is also targets.{ids[target.id]}"
                    )
                ids[target.id] = i
        for i, entry in enumerate(self.calibrated):
            for name in entry.to:
                if name not in ids:
                    raise ValueError(f"calibrated.{i}.to: no target with id {name!r}")
                if self.targets[ids[name]].restates is not None:
                    raise ValueError(
                        f"calibrated.{i}.to: target {name!r} restates an input; it cannot be fitted"
                    )
