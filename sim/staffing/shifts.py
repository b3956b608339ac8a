"""Shift templates and the cheapest shift plan that covers a requirement (scipy milp)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.staffing.base import StaffingError
from sim.timeline import DAY
from sim.units import format_clock, format_duration, parse_clock

__all__ = ["ShiftTemplate", "cover_shifts", "parse_shift_template", "shift_templates"]

# -- shift templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift that may be worked every day: ``start`` to ``end`` (wrapping midnight)."""

    start: float
    end: float

    @property
    def length(self) -> float:
        """Length in seconds."""
        return (self.end - self.start) % DAY or DAY

    def label(self) -> str:
        """``HH:MM-HH:MM``."""
        return f"{format_clock(self.start)}-{format_clock(self.end)}"

    def covers(self, interval: float) -> np.ndarray:
        """Which intervals of the day (of length ``interval``) this shift covers in full."""
        starts = np.arange(0.0, DAY, interval)
        return (starts - self.start) % DAY + interval <= self.length


def parse_shift_template(text: str) -> ShiftTemplate:
    """Read ``09:00-18:00`` (an end at or before the start runs past midnight).

    Raises:
        StaffingError: not two clock times joined by ``-``.
    """
    start, sep, end = str(text).partition("-")
    if not sep:
        raise StaffingError(f"expected a shift like 09:00-18:00, got {text!r}")
    try:
        begin, finish = parse_clock(start.strip()), parse_clock(end.strip())
    except ValueError as exc:
        raise StaffingError(f"shift {text!r}: {exc}") from None
    if begin >= DAY:
        raise StaffingError(f"a shift cannot start at 24:00 ({text!r}); start it at 00:00")
    if begin == finish:
        raise StaffingError(f"a shift must end at a different time than it starts ({text!r})")
    return ShiftTemplate(begin, finish)


def shift_templates(pattern: str = "8h") -> tuple[ShiftTemplate, ...]:
    """Named sets of allowed shifts.

    ``8h``: 8-hour shifts starting on every hour; ``three``: 00-08, 08-16 and 16-24.
    """
    if pattern == "three":
        return tuple(ShiftTemplate(h * 3600.0, (h + 8) * 3600.0) for h in (0, 8, 16))
    if pattern == "8h":
        return tuple(ShiftTemplate(h * 3600.0, ((h + 8) % 24) * 3600.0) for h in range(24))
    raise StaffingError(f"unknown shift pattern {pattern!r}: use 8h or three")


def _check_aligned(templates: Sequence[ShiftTemplate], interval: float) -> None:
    for t in templates:
        if t.start % interval or t.length % interval:
            raise StaffingError(
                f"shift {t.label()} does not start and end on {format_duration(interval)} "
                "interval edges"
            )


def cover_shifts(
    need: np.ndarray, templates: Sequence[ShiftTemplate], interval: float
) -> np.ndarray:
    """Agents per template covering ``need`` in every interval at minimum agent-hours.

    An integer program solved with :func:`scipy.optimize.milp` (HiGHS): minimise
    sum(agents x length) subject to, in each interval, the agents of the shifts covering
    it >= need.

    Raises:
        StaffingError: an interval needs agents but no shift covers it, or no solution.
    """
    _check_aligned(templates, interval)
    need = np.asarray(need, dtype=float)
    cover = np.column_stack([t.covers(interval) for t in templates]).astype(float)
    bare = np.flatnonzero((need > 0) & (cover.sum(axis=1) == 0))
    if len(bare):
        spans = ", ".join(_span_label(run, interval) for run in _runs(bare))
        raise StaffingError(f"no allowed shift covers {spans}, where agents are needed")
    hours = np.array([t.length / 3600.0 for t in templates])
    result = milp(
        c=hours,
        constraints=LinearConstraint(cover, lb=need, ub=np.inf),
        integrality=np.ones(len(templates), dtype=int),
        bounds=Bounds(0, np.inf),
    )
    if not result.success:
        raise StaffingError(f"no shift plan found: {result.message}")
    return np.round(result.x).astype(int)


def _runs(indices: np.ndarray) -> list[tuple[int, int]]:
    """Sorted interval numbers as ``(first, last)`` runs of consecutive ones."""
    breaks = np.flatnonzero(np.diff(indices) > 1)
    starts = [indices[0], *indices[breaks + 1]]
    ends = [*indices[breaks], indices[-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _span_label(run: tuple[int, int], interval: float) -> str:
    # Whole spans, every one: a list of the first few intervals read as if a shift over
    # them were all that was missing.
    first, last = run
    return f"{format_clock(first * interval)}-{format_clock((last + 1) * interval)}"
