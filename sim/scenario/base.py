"""The scenario models' base: frozen specs, unit types and the limits that keep runs finite."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)

from sim.units import (
    format_clock,
    is_boolean,
    not_boolean,
    parse_clock,
    parse_duration,
    parse_rate,
)


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


class Spec(BaseModel):
    """The base of every scenario model: frozen, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        # Pydantic takes true as 1 for a number; only a boolean field takes one. What the
        # field takes is worked out only for the error: every field of a file comes here.
        if is_boolean(value) and info.field_name:
            annotation = cls.model_fields[info.field_name].annotation
            if annotation is not bool:
                return not_boolean(value, _takes(annotation))
        return value


def _takes(annotation: Any) -> str:
    """What a field of this type takes, said to a user who wrote yes or no there.

    ``bot: yes`` was told to "give a number": the advice fits numbers, not a field of
    fields (a bot) or of named choices (``closed: no``).
    """
    kinds = [a for a in _alternatives(annotation) if a is not type(None)]
    if kinds and all(typing.get_origin(a) is Literal for a in kinds):
        choices = [repr(c) for a in kinds for c in typing.get_args(a)]
        return f"one of {', '.join(choices)}"
    if kinds and all(isinstance(a, type) and issubclass(a, BaseModel) for a in kinds):
        return "a mapping of fields"
    return "a number (or quote the text)"


def _alternatives(annotation: Any) -> list[Any]:
    """The types a field may hold: a union's members, an ``Annotated`` type's own."""
    if typing.get_origin(annotation) is Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _alternatives(arg)]
    return [annotation]


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
    if _NAME.fullmatch(value):
        return value
    if _NAME.fullmatch(value[:MAX_NAME_LENGTH]):
        # Only too long: cut short, it would read as another, valid name. Composed names
        # are long: each include adds its prefix.
        raise ValueError(
            f"{value[:MAX_NAME_LENGTH]!r}... has {len(value):,} characters, more than "
            f"{MAX_NAME_LENGTH} (an included name counts its include prefixes)"
        )
    raise ValueError(f"{value[:MAX_NAME_LENGTH]!r} is not a valid name: {NAME_RULE}")


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

# Agents are simulated one by one: a desk beyond this is a typo, not a scenario.
MAX_AGENTS = 100_000
# The calendar is simulated day by day: ten years is far beyond any staffing question.
MAX_HORIZON = 3660 * 86400.0
EARLIEST_START = dt.datetime(1, 1, 8)
LATEST_END = dt.datetime(9999, 12, 24)
# A deadline "N working days" after arrival: a year of days is more than any target.
MAX_DEADLINE_DAYS = 366
