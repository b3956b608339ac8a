"""The errors and warnings users see: for bad input, file, field path and reason.

They live here, away from the modules that raise them, so that ``sim.LogError`` or
``sim.PlotError`` in an ``except`` clause, or ``sim.DatedWarning`` in a warnings filter,
costs no import of pandas, pydantic or matplotlib.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MAX_SHOWN",
    "CJKFontWarning",
    "DatedWarning",
    "LogError",
    "PlotError",
    "ScenarioError",
    "StaffingError",
    "WorkersWarning",
    "WorkloadError",
]

# A file with thousands of problems is fixed from the first few; the rest is counted.
MAX_SHOWN = 20


class ScenarioError(ValueError):
    """A scenario (or an override of it) is invalid.

    Attributes:
        source: the file (or ``<dict>``, ``--set``) the problem is in.
        problems: ``(field path, reason)`` pairs, the path dotted (``queues.a.staff``).
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled from a worker process back to the caller: the default rebuilds it from
        # the message alone, which fits no __init__ here and breaks the process pool.
        return _rebuilt, (type(self), self.source, self.problems)

    def __str__(self) -> str:
        lines = [
            f"{self.source}: {path}: {reason}" if path else f"{self.source}: {reason}"
            for path, reason in self.problems[:MAX_SHOWN]
        ]
        hidden = len(self.problems) - MAX_SHOWN
        if hidden > 0:
            lines.append(f"{self.source}: ... and {hidden:,} more problems")
        return "\n".join(lines)


class LogError(ScenarioError):
    """A log that cannot be fitted: missing column, no rows, too many broken rows."""

    def __init__(self, source: str, reason: str, column: str = "") -> None:
        super().__init__(source, [(column, reason)])


class WorkloadError(ScenarioError):
    """A run past a limit of :mod:`sim.workload` (bad input: exit code 2)."""


class StaffingError(ValueError):
    """The staffing question cannot be answered as asked (queue, target, shifts)."""


class PlotError(ValueError):
    """The data cannot be plotted as asked (unknown queue, missing columns, no waits)."""


class DatedWarning(UserWarning):
    """A dated peak, dated shifts or the calendar's holidays fall outside the run's period.

    See :mod:`sim.dated`.
    """


class WorkersWarning(UserWarning):
    """Fewer local workers than cores by default: more would pass the memory limit.

    See :func:`sim.runner.workers_for`.
    """


class CJKFontWarning(UserWarning):
    """A figure holds CJK text and no installed font can draw it (:mod:`sim.plots.fonts`)."""


def _rebuilt(
    kind: type[ScenarioError], source: str, problems: list[tuple[str, str]]
) -> ScenarioError:
    """An unpickled error of ``kind`` (a subclass may take other arguments)."""
    error = kind.__new__(kind)
    ScenarioError.__init__(error, source, problems)
    return error
