"""What every staffing step shares: the error type and the interval lengths."""

from __future__ import annotations

__all__ = ["INTERVALS", "TARGET_HELP", "StaffingError"]

INTERVALS = (1800.0, 3600.0)
TARGET_HELP = "'80% in 60s', 'mean wait 2m' or 'abandon 5%'"


class StaffingError(ValueError):
    """The staffing question cannot be answered as asked (queue, target, shifts)."""
