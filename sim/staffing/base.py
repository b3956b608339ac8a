"""What every staffing step shares: the error type (from :mod:`sim.errors`), the intervals."""

from __future__ import annotations

from sim.errors import StaffingError

__all__ = ["INTERVALS", "TARGET_HELP", "StaffingError"]

INTERVALS = (1800.0, 3600.0)
TARGET_HELP = "'80% in 60s', 'mean wait 2m' or 'abandon 5%'"
