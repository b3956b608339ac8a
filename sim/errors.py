"""The errors and warnings users see: for bad input, file, field path and reason.

They live here, away from the modules that raise them, so that ``sim.LogError`` or
``sim.PlotError`` in an ``except`` clause, or ``sim.DatedWarning`` in a warnings filter,
costs no import of pandas, pydantic or matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
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

    Shown one line per problem, ``FILE:LINE: PATH: reason`` when the problem's path has
    a line in the file (the form editors and terminals jump to), else
    ``SOURCE: PATH: reason``.

    Attributes:
        source: the file (or ``<dict>``, ``--set``) the problem is in.
        problems: ``(field path, reason)`` pairs, the path dotted (``queues.a.staff``).
        lines: the line in ``source`` (1-based) of each problem's path that has one:
            the field, or the mapping a missing field belongs in (see :mod:`sim.lines`).
    """

    def __init__(
        self,
        source: str,
        problems: list[tuple[str, str]],
        lines: Mapping[str, int] | None = None,
    ) -> None:
        self.source = source
        self.problems = problems
        self.lines = dict(lines or {})
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled from a worker process back to the caller: the default rebuilds it from
        # the message alone, which fits no __init__ here and breaks the process pool.
        return _rebuilt, (type(self), self.source, self.problems, self.lines)

    def __str__(self) -> str:
        shown = []
        for path, reason in self.problems[:MAX_SHOWN]:
            line = self.lines.get(path) if path else None
            where = self.source if line is None else f"{self.source}:{line}"
            shown.append(f"{where}: {path}: {reason}" if path else f"{where}: {reason}")
        hidden = len(self.problems) - MAX_SHOWN
        if hidden > 0:
            shown.append(f"{self.source}: ... and {hidden:,} more problems")
        return "\n".join(shown)

    def place(self, lines: Mapping[str, int]) -> None:
        """Give the lines of the problems' paths in ``source`` (once found, by the loader)."""
        self.lines = dict(lines)
        self.args = (str(self),)


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
    kind: type[ScenarioError],
    source: str,
    problems: list[tuple[str, str]],
    lines: Mapping[str, int] | None = None,
) -> ScenarioError:
    """An unpickled error of ``kind`` (a subclass may take other arguments)."""
    error = kind.__new__(kind)
    ScenarioError.__init__(error, source, problems, lines)
    return error
