"""A staffing plan drawn: its shifts as a Gantt chart over the agents each interval needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.plots.base import OKABE_ITO, fitted_title, line_style, new_figure
from sim.plots.hourly import _hour_axis
from sim.timeline import DAY, HOUR
from sim.units import format_clock

if TYPE_CHECKING:
    from sim.staffing import StaffingPlan

__all__ = ["shift_plan"]

_BAR_HEIGHT = 0.6


def _segments(start: float, length: float) -> list[tuple[float, float]]:
    """A shift as (start hour, length in hours) pieces within one day: past 24:00 wraps."""
    end = start + length
    if end <= DAY:
        return [(start / HOUR, length / HOUR)]
    return [(start / HOUR, (DAY - start) / HOUR), (0.0, (end - DAY) / HOUR)]


def _gantt(ax: Axes, plan: StaffingPlan) -> None:
    shifts = sorted(plan.shifts, key=lambda s: (s.start, s.length))
    for row, shift in enumerate(shifts):
        colour = OKABE_ITO[0]  # one colour: a shift's colour would suggest a meaning
        pieces = _segments(shift.start, shift.length)  # type: ignore[arg-type]  # daily shifts
        ax.broken_barh(pieces, (row - _BAR_HEIGHT / 2, _BAR_HEIGHT), color=colour, alpha=0.85)
        label = f"{shift.agents} agent{'s' if shift.agents != 1 else ''}"
        x, width = max(pieces, key=lambda p: p[1])
        ax.text(x + width / 2, row, label, ha="center", va="center", fontsize=8, color="white")
    ax.set_yticks(
        range(len(shifts)),
        [f"{format_clock(s.start)}-{format_clock(s.end)}" for s in shifts],  # type: ignore[arg-type]
    )
    ax.set_ylim(len(shifts) - 0.5, -0.5)
    ax.set_ylabel("shift")
    ax.set_title("Shifts of the plan (bar: on duty; label: agents)")
    ax.grid(axis="x", alpha=0.3)


def _coverage(ax: Axes, plan: StaffingPlan) -> None:
    table = plan.intervals
    edges = np.arange(len(table) + 1) * (DAY / len(table)) / HOUR

    def steps(column: str) -> np.ndarray:
        values = table[column].to_numpy(dtype=float)
        return np.append(values, values[-1])  # the last step runs to 24:00

    ax.fill_between(
        edges, steps("planned_agents"), step="post", color=OKABE_ITO[4], alpha=0.35,
        linewidth=0, label="planned (sum of the shifts)",
    )  # fmt: skip
    ax.step(
        edges, steps("simulated_agents"), where="post", linewidth=1.8,
        label="needed (simulation-corrected)", **line_style(0),
    )  # fmt: skip
    ax.step(
        edges, steps("erlang_agents"), where="post", linewidth=1.4,
        label=f"needed ({plan.model})", **line_style(1),
    )  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("agents")
    ax.set_title("Agents needed per interval against the plan's cover")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper left")


def shift_plan(plan: StaffingPlan) -> Figure:
    """The plan's shifts as a Gantt chart, above the agents needed and planned per interval.

    Top panel: one bar per shift from its start to its end (an overnight shift wraps to
    the morning), labelled with its agents. Bottom panel: agents needed per interval by
    the formula and after the simulation correction, and the plan's cover (the sum of
    the shifts on duty) as a shaded step.
    """
    rows = max(len(plan.shifts), 1)
    fig = new_figure(8.0, 3.2 + 0.32 * rows)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[max(rows, 3), 5])
    _gantt(top, plan)
    _coverage(bottom, plan)
    _hour_axis(bottom)
    bottom.set_xlabel("hour of day")
    title = f"{plan.queue}: {plan.target.describe()} — {plan.agent_hours:g} agent-hours per day"
    fig.suptitle(fitted_title(title, fig.get_figwidth()))
    return fig
