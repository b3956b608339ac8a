"""What every staffing step shares: the error type (from :mod:`sim.errors`), the intervals.

The interval rule is ``sim staff``'s and ``sim fit``'s alike (a fitted scenario's
staffing steps by it), so both read it with :func:`parse_interval`.
"""

from __future__ import annotations

from sim.errors import StaffingError
from sim.units import format_duration, parse_duration

__all__ = ["INTERVALS", "INTERVAL_HELP", "TARGET_HELP", "StaffingError", "parse_interval"]

INTERVALS = (1800.0, 3600.0)
INTERVAL_HELP = "30m or 60m"
TARGET_HELP = "'80% in 60s', 'mean wait 2m' or 'abandon 5%'"


def parse_interval(value: float | str) -> float:
    """A staffing interval in seconds: 30 or 60 minutes, as seconds or text (``"30m"``).

    Raises:
        ValueError: not a duration, or not one of :data:`INTERVALS` (one message for both).
    """
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise ValueError(f"interval must be {INTERVAL_HELP}, got {value!r}") from None
    if seconds not in INTERVALS:
        raise ValueError(f"interval must be {INTERVAL_HELP}, got {format_duration(seconds)}")
    return seconds
