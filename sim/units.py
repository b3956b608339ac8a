"""Parsing of the human units used in scenario files: durations, rates and clock times.

Everything inside the engine is in seconds; these parsers are the only place where
``4m12s``, ``150/h`` or ``24:00`` are understood.
"""

from __future__ import annotations

import math
import numbers
import re

__all__ = [
    "count",
    "format_clock",
    "format_duration",
    "is_boolean",
    "not_boolean",
    "parse_clock",
    "parse_duration",
    "parse_rate",
]

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|s|m|h|d|w)")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*/\s*(s|sec|m|min|h|hour|d|day)\s*$")
_RATE_UNIT = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE_UNIT |= {"d": 86400.0, "day": 86400.0}
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def is_boolean(value: object) -> bool:
    """Whether ``value`` is a boolean: Python's, or numpy's (``np.True_``, a 0-d array).

    numpy's is no subclass of ``bool``, and pydantic reads it as 1 or 0 for a number.
    Read from its dtype, so that numpy need not be imported to ask.
    """
    if isinstance(value, bool):
        return True
    dtype = getattr(value, "dtype", None)
    return getattr(dtype, "kind", None) == "b" and getattr(value, "shape", None) == ()


def not_boolean(value: object, takes: str = "a number (or quote the text)") -> object:
    """``value`` unless it is a boolean: YAML reads yes, no, on and off as true and false.

    Numbers would take them as 1 and 0 (``staff: yes`` one agent, ``resolution: no``
    nothing resolved), so a boolean where none belongs is an error; so is numpy's
    (``sim.from_dict`` with ``np.True_``). ``takes`` says what the field takes instead.

    Raises:
        ValueError: ``value`` is a boolean.
    """
    if is_boolean(value):
        raise ValueError(
            f"got true/false ({str(value).lower()}): YAML reads yes, no, on, off, true and false "
            f"as booleans; give {takes}"
        )
    return value


def parse_duration(value: object) -> float:
    """Return a duration in seconds.

    Accepts a non-negative number of seconds or a string made of number-unit parts
    such as ``90s``, ``4m12s``, ``1.5h`` or ``1d``.

    Raises:
        ValueError: if the value is not a duration.
    """
    if is_boolean(value):
        raise ValueError("expected a duration like 90s, 4m12s, 2h or a number of seconds")
    if isinstance(value, numbers.Real):  # numpy's integers too, not only int and float
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise ValueError("expected a duration like 90s, 4m12s, 2h or a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be finite and >= 0, got {value!r}")
    return seconds


def _parse_duration_text(text: str) -> float:
    compact = text.strip().replace(" ", "")
    try:
        return float(compact)
    except ValueError:
        pass
    parts = list(_DURATION_PART.finditer(compact))
    if not parts or "".join(p.group(0) for p in parts) != compact:
        raise ValueError(f"cannot read {text!r} as a duration (use e.g. 90s, 4m12s, 2h, 1d)")
    return sum(float(p.group(1)) * _UNIT_SECONDS[p.group(2)] for p in parts)


def parse_rate(value: object) -> float:
    """Return a rate in events per second from ``150/h``, ``2/min``, ``3000/d`` or a number.

    A bare number is read as events per hour, the unit analysts quote.

    Raises:
        ValueError: if the value is not a rate.
    """
    if is_boolean(value):
        raise ValueError("expected a rate like 150/h, 2/min or 3000/d")
    if isinstance(value, numbers.Real):
        rate = float(value) / 3600.0
    elif isinstance(value, str) and (match := _RATE.match(value)):
        rate = float(match.group(1)) / _RATE_UNIT[match.group(2)]
    else:
        raise ValueError(f"cannot read {value!r} as a rate (use e.g. 150/h, 2/min, 3000/d)")
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"rate must be finite and >= 0, got {value!r}")
    return rate


def parse_clock(value: object) -> float:
    """Return seconds after midnight for a clock time ``HH:MM`` (``24:00`` allowed).

    Raises:
        ValueError: if the value is not a valid clock time.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 20:00 as the sexagesimal integer 1200 (minutes).
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str) or not (match := _CLOCK.match(value)):
        raise ValueError(f"expected a clock time like '09:00' or '24:00', got {value!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if minutes >= 60 or seconds >= 60 or hours > 24 or (hours == 24 and minutes + seconds):
        raise ValueError(f"{value!r} is not a time of day between 00:00 and 24:00")
    return hours * 3600.0 + minutes * 60.0 + seconds


_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_duration(seconds: float) -> str:
    """Format seconds compactly (``4m12s``, ``6h``, ``1d2h``) for tables and reprs."""
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds < 60:
        # Under half a millisecond is a figure's rounding noise (a CI of 3e-14 s over
        # identical waits summed in another order read "3.19e-14s"): 0s, never -0s.
        # Not rounded to the millisecond first: 3.1049 would round twice, to 3.11s.
        return f"{seconds if abs(seconds) >= 5e-4 else 0.0:.3g}s"
    # Two adjacent units at most: 10h0m11s reads as 10h, not 10h11s. The second is
    # rounded, not cut (1h59m59s reads 2h, not 1h59m); rounding may carry into a larger
    # first unit (23h59m59s reads 1d), whose second unit then shows what is left.
    first = next(i for i, (_, size) in enumerate(_UNITS) if seconds >= size)
    last = _UNITS[min(first + 1, len(_UNITS) - 1)][1]
    remainder = round(seconds / last) * last
    counts = []
    for unit, size in _UNITS:
        count, remainder = divmod(remainder, size)
        counts.append((count, unit))
    first = next(i for i, (count, _) in enumerate(counts) if count)
    return "".join(f"{c}{u}" for c, u in counts[first : first + 2] if c)


def format_clock(seconds: float) -> str:
    """Format seconds after midnight as ``HH:MM`` (``HH:MM:SS`` when needed)."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def count(n: int, noun: str) -> str:
    """``n`` things in words: ``1 replication``, ``20 replications``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
