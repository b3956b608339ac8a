"""Targets: the document's figures a scenario must reproduce, and the ledger of fitted values."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from sim.scenario.base import (
    MAX_DEADLINE_DAYS,
    MAX_WEIGHT,
    Spec,
)
from sim.scenario.calendar import (
    Days,
)
from sim.units import (
    format_duration,
    parse_clock,
    parse_duration,
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


class Tolerance(Spec):
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


class Deadline(Spec):
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


class Reference(Spec):
    """The denominator of a ratio target; a field left out is the target's own."""

    queue: QueueSelection | None = None
    metric: TargetMetric | None = None
    days: Days | None = None
    hours: Hours | None = None
    scope: tuple[str, ...] | None = None
    within: Annotated[Deadline, BeforeValidator(_deadline)] | None = None


class LeastOf(Spec):
    """The denominator of a ratio target: the lowest of several selections' figures.

    Each reference is read as in :class:`Reference` (a field left out is the target's
    own); the lowest is the one with the lowest mean over replications, and a reference
    undefined on every replication is skipped. For waits, the fastest of several
    channels: ``{least_of: [{queue: a}, {queue: b}]}``.
    """

    least_of: tuple[Reference, ...] = Field(min_length=2)


class Target(Spec):
    """A figure from the source document that a metric of the simulation must reproduce.

    The figure is the mean over replications of the metric computed on the selected
    contacts: those of ``queue`` (one queue, a list pooled, or a ``{queue: weight}`` mix),
    arriving on ``days`` between ``hours``; ``e2e_*`` metrics follow whole contacts that
    entered the system at ``queue`` and count only their hops at ``scope`` queues (all
    by default; for ``e2e_reach_rate``, the queues to reach). With ``ratio_to`` the figure
    is the ratio of this metric's mean to another selection's mean (``{least_of: [...]}``:
    to the lowest of several selections' means; ``best_other_hour``: to the highest mean
    of the same metric in each other clock hour); see :mod:`sim.validate.estimate`.

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


class Calibrated(Spec):
    """A value of the scenario fitted to some of its targets (the degrees-of-freedom ledger).

    ``field`` is the dotted path of the value (several paths when one value is shared,
    e.g. one patience for several desks), ``to`` the ids of the targets it was tuned to,
    ``note`` how (the ``sim calibrate`` command, or "chosen by hand while fitting").
    """

    field: FieldPaths
    to: Annotated[tuple[TargetId, ...], BeforeValidator(_names), Field(min_length=1)]
    note: str = ""
