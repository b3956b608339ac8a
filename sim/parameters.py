"""Free parameters of a calibration: ``--free PATH[,PATH...][=LOW:HIGH]`` read against a file.

A parameter is read and written in the unit its file uses (a rate written ``150/h`` is
fitted in arrivals per hour, a duration ``8m`` in minutes). Text and plain data only,
so that the command line checks ``--free`` before the optimiser and the engine are
imported.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from typing import Any

from sim import paths
from sim.errors import ScenarioError
from sim.options import named, on_command_line
from sim.units import parse_duration, parse_rate

__all__ = ["FreeParameter", "free_parameter"]

_RATE_TEXT = re.compile(r"^\s*([\d.eE+-]+)\s*/\s*([a-z]+)\s*$")
_DURATION_TEXT = re.compile(r"^\s*[\d.]+\s*(min|s|m|h|d|w)(\s*[\d.]+\s*(min|s|m|h|d|w))*\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_INTEGER_FIELDS = {"staff", "agents", "threshold", "max", "replications", "seed", "max_hops"}
# Shares in [0, 1]: by the field's name, or as the value of a route or parallel visit.
_PROBABILITY_FIELDS = {"resolution", "visibility", "probability", "share", "shrinkage"}
_SHARE_MAPPINGS = ("on_", "parallel")
# A shrinkage of 1 leaves nobody available: the validator takes values below it.
_BELOW_ONE = {"shrinkage": math.nextafter(1.0, 0.0)}


@dataclass(frozen=True)
class FreeParameter:
    """A scenario field to fit, in the units it is written in.

    Attributes:
        path: dotted path in the scenario file (``queues.live.patience.mean``).
        tied: further paths that take the same value (one parameter shared by queues).
        start: its value in the file, in ``unit``.
        low, high: bounds of the search, in ``unit``.
        unit: how the value is written back: ``"/h"`` (a rate per hour), ``"m"`` (a
            duration in minutes), or ``""`` (a plain number).
    """

    path: str
    start: float
    low: float
    high: float
    unit: str = ""
    tied: tuple[str, ...] = ()

    def text(self, value: float) -> Any:
        """The value as it is written in the file."""
        if not self.unit:
            return float(f"{value:.6g}")
        return f"{value:.6g}{self.unit}"

    def overrides(self, value: float) -> list[str]:
        """``--set`` style overrides setting the value at every tied path.

        A tied path written ``1-path`` takes the complement ``1 - value`` (the other
        branch of a route, so the probabilities keep their sum).
        """
        out = [f"{self.path}={self.text(value)}"]
        for path in self.tied:
            if path.startswith("1-"):
                out.append(f"{path[2:]}={self.text(1.0 - value)}")
            else:
                out.append(f"{path}={self.text(value)}")
        return out

    @property
    def name(self) -> str:
        """The parameter's paths, comma-separated."""
        return ",".join((self.path, *self.tied))


def _bad(source: str, path: str, reason: str) -> ScenarioError:
    """A bad free parameter: the reason after the option it came by (``--free``, ``free``)."""
    return ScenarioError(source, [(path, f"{named('free')}: {reason}")])


def _lookup(data: Any, path: str, source: str) -> Any:
    found, node = paths.lookup(data, path)
    if not found:
        raise _bad(source, path, "no such field in the file")
    return node


def _unit_of(value: Any, path: str, source: str) -> tuple[float, str]:
    """The value in its written unit, and that unit."""
    last = path.rsplit(".", maxsplit=1)[-1]
    if last in _INTEGER_FIELDS:
        sweep = "sim sweep" if on_command_line() else "sim.sweep"
        reason = f"whole numbers (agents, thresholds) cannot be fitted; compare them with {sweep}"
        raise _bad(source, path, reason)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(source, path, "the field must hold a number")
    if isinstance(value, int | float):
        return float(value), ""
    with contextlib.suppress(ValueError):
        return float(value), ""  # a number written as text ("90", "1e3"): seconds, per hour
    if match := _RATE_TEXT.match(value):
        unit = "/" + match.group(2)
        return parse_rate(value) / parse_rate(f"1{unit}"), unit
    if _DURATION_TEXT.match(value):
        unit = re.findall(r"(min|s|m|h|d|w)", value)[-1]
        return parse_duration(value) / _UNIT_SECONDS[unit], unit
    raise _bad(source, path, f"cannot read {value!r} as a number")


def _kind(unit: str) -> str:
    return "rate" if unit.startswith("/") else "duration" if unit else "number"


def _bound(text: str, unit: str, path: str, source: str) -> float:
    """A bound: a bare number is in the field's unit; ``5m`` or ``100/h`` are converted."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if unit.startswith("/"):
            return parse_rate(text) / parse_rate(f"1{unit}")
        if unit:
            return parse_duration(text) / _UNIT_SECONDS[unit]
    except ValueError as exc:
        raise _bad(source, path, f"bad bound {text!r}: {exc}") from None
    raise _bad(source, path, f"bad bound {text!r}")


def free_parameter(spec: str, data: dict[str, Any], source: str = "<dict>") -> FreeParameter:
    """Parse ``dotted.path[,other.path...][=LOW:HIGH]`` against the raw scenario data.

    Several comma-separated paths are one parameter shared by all of them (its start is
    the first path's value); a path written ``1-path`` takes one minus the value.
    Without bounds a probability (a resolution, visibility, retry probability, route or
    parallel share, a shrinkage below 1) is searched in [0, 1] and anything else between a
    quarter and four times its value in the file. Errors name ``source``, the scenario's
    file (``<dict>`` for plain data, as :func:`sim.calibrate.calibrate` says).
    """
    paths, _, bounds = spec.partition("=")
    path, *tied = (p.strip() for p in paths.split(","))
    start, unit = _unit_of(_lookup(data, path, source), path, source)
    for other in (t.removeprefix("1-") for t in tied):
        # Tied fields take the value as written for the first: same kind of quantity.
        if _kind(_unit_of(_lookup(data, other, source), other, source)[1]) != _kind(unit):
            raise _bad(source, other, f"tied to {path} but another kind")
    parts = path.split(".")
    probability = parts[-1] in _PROBABILITY_FIELDS or (
        len(parts) > 1 and parts[-2].startswith(_SHARE_MAPPINGS)
    )
    if bounds:
        low_text, sep, high_text = bounds.partition(":")
        if not sep:
            raise _bad(source, path, "bounds must be LOW:HIGH")
        low, high = (_bound(t.strip(), unit, path, source) for t in (low_text, high_text))
        if not (math.isfinite(low) and math.isfinite(high)):
            # The search runs between the bounds: an infinite one is no range at all.
            raise _bad(source, path, f"bounds must be finite numbers, got {bounds!r}")
    elif probability:
        low, high = 0.0, 1.0
    else:
        low, high = start / 4, start * 4
    if not low < high:
        raise _bad(source, path, f"LOW must be below HIGH, got {low}:{high}")
    if probability:
        low, high = max(low, 0.0), min(high, _BELOW_ONE.get(parts[-1], 1.0))
    return FreeParameter(path, start, low, high, unit, tuple(tied))
