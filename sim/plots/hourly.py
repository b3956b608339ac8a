"""Hour by hour: waits against load and staff, and the day-by-hour heat map."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.ticker import MaxNLocator

from sim.plots.base import (
    MISSING_COLOUR,
    OKABE_ITO,
    SEQUENTIAL_CMAP,
    PlotError,
    TimeUnit,
    as_unit,
    counted_contacts,
    describe_data,
    fitted_title,
    line_style,
    new_figure,
    ordered_values,
    select_queues,
    time_unit,
    title_for,
)
from sim.results import Results
from sim.scenario import Scenario
from sim.stats import mean_ci
from sim.timeline import DAY, Clock

__all__ = ["day_index", "heatmap_table", "hour_exposure", "hourly_profile", "wait_heatmap"]

# -- hour by hour ---------------------------------------------------------------------------


def hour_exposure(scenario: Scenario) -> np.ndarray:
    """Hours of the measurement window that fall in each clock hour (24 values)."""
    clock = Clock(scenario.start)
    minutes = np.arange(scenario.warmup, scenario.duration, 60.0) + 30.0
    return np.bincount(clock.hour_of_day(minutes), minlength=24) / 60.0


# What hourly_profile reads of an hourly() table (agents_available is optional).
_HOURLY_COLUMNS = ("queue", "hour", "mean_wait_s", "p90_wait_s", "agents_on_shift", "arrivals")


def _one_queue(frame: pd.DataFrame, queue: str | None) -> str:
    if queue is not None:
        select_queues(frame, [queue])
        return queue
    answered = frame[frame["answered"] > 0] if "answered" in frame else frame
    candidates = ordered_values(answered["queue"]) or ordered_values(frame["queue"])
    if not candidates:
        raise PlotError("no queue to plot")
    return str(candidates[0])


def _hourly_table(rows: pd.DataFrame, exposure: np.ndarray | None) -> pd.DataFrame:
    """Per clock hour: mean wait with CI, p90 wait, agents on shift and available, arrivals."""
    table = pd.DataFrame(index=pd.RangeIndex(24, name="hour"))
    by_hour = dict(list(rows.groupby("hour")))
    empty = rows.iloc[:0]
    for h in range(24):
        g = by_hour.get(h, empty)
        mean, half = mean_ci(g["mean_wait_s"].to_numpy(dtype=float))
        table.loc[h, "mean_wait_s"] = mean
        table.loc[h, "mean_wait_ci95"] = half
        table.loc[h, "p90_wait_s"] = g["p90_wait_s"].mean()
        table.loc[h, "agents_on_shift"] = g["agents_on_shift"].mean()
        # Tables saved before agents on break were counted have no such column.
        available = g["agents_available"] if "agents_available" in g else g["agents_on_shift"]
        table.loc[h, "agents_available"] = available.mean()
        table.loc[h, "arrivals"] = g["arrivals"].mean()
    if exposure is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            per_hour = table["arrivals"].to_numpy() / np.where(exposure > 0, exposure, np.nan)
        table["arrivals"] = per_hour
    return table


def _plot_hourly_waits(ax: Axes, table: pd.DataFrame, unit: TimeUnit) -> None:
    ax.set_ylabel(f"wait ({unit.name})")
    ax.set_title("Wait until first response, by hour of arrival")
    ax.grid(alpha=0.3)
    if not np.isfinite(table[["mean_wait_s", "p90_wait_s"]].to_numpy(dtype=float)).any():
        # Nobody answered: say so rather than draw an empty axis with a legend.
        ax.text(
            0.5, 0.5, "no contact answered at this queue: no wait to show",
            transform=ax.transAxes, ha="center", va="center", color="0.35",
        )  # fmt: skip
        ax.set_ylim(bottom=0)
        return
    x = table.index.to_numpy() + 0.5
    mean = table["mean_wait_s"].to_numpy() / unit.seconds
    half = np.nan_to_num(table["mean_wait_ci95"].to_numpy() / unit.seconds)
    low = np.maximum(mean - half, 0.0)  # a wait is never negative, nor is its CI
    ax.fill_between(x, low, mean + half, color=OKABE_ITO[0], alpha=0.2, linewidth=0)
    # One replication gives no CI (all NaN): no band, and the legend must not promise one.
    band = "band: 95% CI" if table["mean_wait_ci95"].notna().any() else "one replication: no CI"
    ax.plot(x, mean, marker="o", markersize=3.5, label=f"mean wait ({band})", **line_style(0))
    p90 = table["p90_wait_s"].to_numpy() / unit.seconds
    ax.plot(x, p90, marker="s", markersize=3.5, label="90th percentile wait", **line_style(1))
    # Only now: set_ylim fixes the top too, so before the lines it would cut them at 1.
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")


def _plot_hourly_load(ax: Axes, table: pd.DataFrame, per_hour: bool) -> Axes:
    hours = table.index.to_numpy()
    arrivals = ax.bar(
        hours, table["arrivals"].to_numpy(), width=1.0, align="edge", color=OKABE_ITO[4],
        alpha=0.6, edgecolor="white", label="arrivals",
    )  # fmt: skip
    ax.set_ylabel("arrivals per hour" if per_hour else "arrivals per replication")
    ax.set_ylim(bottom=0)
    twin = ax.twinx()
    agents = table["agents_on_shift"].to_numpy()
    steps = np.append(agents, agents[-1])  # the last step runs to 24:00
    (line,) = twin.step(np.arange(25), steps, where="post", color=OKABE_ITO[3], linewidth=2)
    line.set_label("agents on shift")
    handles = [arrivals, line]
    available = table["agents_available"].to_numpy()
    if not np.allclose(available, agents, equal_nan=True):  # breaks: draw who is there
        level = np.append(available, available[-1])
        (dashed,) = twin.step(
            np.arange(25), level, where="post", color=OKABE_ITO[3], linewidth=1.5, linestyle="--"
        )
        dashed.set_label("agents available (not on a break)")
        handles.append(dashed)
    twin.set_ylabel(
        "agents on shift (mean)" if len(handles) == 2 else "agents on shift / available"
    )
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin.set_ylim(0, max(1.0, float(np.nanmax(steps)) * 1.15) if np.isfinite(steps).any() else 1)
    ax.legend(handles=handles, frameon=False, loc="upper left")
    ax.grid(alpha=0.3)
    return twin


def _hour_axis(ax: Axes) -> None:
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
    ax.set_xlabel("hour of day (arrival at the queue)")


def hourly_profile(
    data: Results | pd.DataFrame,
    queue: str | None = None,
    *,
    exposure: np.ndarray | None = None,
    unit: TimeUnit | str | None = None,
) -> Figure:
    """Mean and 90th-percentile wait by hour of day, above arrivals and agents on shift.

    Top panel: the mean wait (with its 95% CI over replications) and the 90th percentile
    by hour of arrival. Bottom panel: arrivals per hour as bars, and agents on shift on a
    twin axis (with agents available, dashed, when breaks take some of them away).

    Args:
        data: results, or their ``hourly()`` table.
        queue: the queue to show (default: the first with answered contacts).
        exposure: hours of observation per clock hour, to turn arrival counts into rates
            (computed from the scenario when given results; else counts per replication).
        unit: time unit of the wait axis: ``"s"``, ``"min"``, ``"h"`` or ``"d"``
            (or a TimeUnit); default: chosen from the data.

    Raises:
        PlotError: an unknown queue or unit, or a table without the hourly columns.
    """
    hourly = data.hourly() if isinstance(data, Results) else data
    missing = [c for c in _HOURLY_COLUMNS if c not in hourly]
    if missing:
        raise PlotError(f"not an hourly() table: it lacks columns {', '.join(missing)}")
    if isinstance(data, Results) and exposure is None:
        exposure = hour_exposure(data.scenario)
    queue = _one_queue(hourly, queue)
    table = _hourly_table(hourly[hourly["queue"] == queue], exposure)
    top_of_band = table["mean_wait_s"] + table["mean_wait_ci95"].fillna(0.0)
    unit = as_unit(unit) or time_unit([*table["p90_wait_s"], *top_of_band])
    fig = new_figure(8.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    _plot_hourly_waits(top, table, unit)
    _plot_hourly_load(bottom, table, exposure is not None)
    _hour_axis(bottom)
    fig.suptitle(fitted_title(f"{queue} by hour of day — {describe_data(data)}", 8.0))
    return fig


def day_index(t: np.ndarray | pd.Series, clock: Clock) -> np.ndarray:
    """Calendar day (0 = the scenario's start date) of simulation times ``t``."""
    return np.floor((np.asarray(t, dtype=float) + clock.offset) / DAY).astype(np.int64)


def heatmap_table(contacts: pd.DataFrame, clock: Clock, queue: str) -> pd.DataFrame:
    """Mean wait (seconds) of answered contacts by day (rows) and hour of arrival (columns).

    Contacts are pooled over replications; cells with no answered contact are NaN.
    """
    rows = contacts[(contacts["queue"] == queue) & contacts["wait"].notna()]
    if rows.empty:
        raise PlotError(f"queue {queue!r} has no answered contacts")
    arrive = rows["arrive"].to_numpy(dtype=float)
    cells = pd.DataFrame(
        {
            "day": day_index(arrive, clock),
            "hour": clock.hour_of_day(arrive),
            "wait": rows["wait"].to_numpy(dtype=float),
        }
    )
    table = cells.pivot_table(index="day", columns="hour", values="wait", aggfunc="mean")
    days = range(int(cells["day"].min()), int(cells["day"].max()) + 1)
    return table.reindex(index=days, columns=range(24))


def wait_heatmap(
    data: Results | pd.DataFrame,
    queue: str | None = None,
    *,
    scenario: Scenario | None = None,
    unit: TimeUnit | str | None = None,
) -> Figure:
    """Mean wait of answered contacts by calendar day and hour of arrival.

    Args:
        data: results, or a contacts DataFrame (then ``scenario`` gives the start date).
        queue: the queue to show (default: the first with answered contacts).
        scenario: the scenario the contacts come from (taken from results when given).
        unit: time unit of the colour scale: ``"s"``, ``"min"``, ``"h"`` or ``"d"``
            (or a TimeUnit); default: chosen from the data.
    """
    if isinstance(data, Results):
        scenario, contacts = data.scenario, counted_contacts(data)
    elif scenario is None:
        raise PlotError("wait_heatmap needs the scenario (for its start date) with a DataFrame")
    else:
        contacts = data
    if queue is None:
        queue = str(ordered_values(contacts.loc[contacts["wait"].notna(), "queue"])[0])
    select_queues(contacts, [queue])
    clock = Clock(scenario.start)
    table = heatmap_table(contacts, clock, queue)
    unit = as_unit(unit) or time_unit(table.to_numpy().ravel())
    title = title_for(f"Mean wait of {queue} by day and hour of arrival", data)
    return _draw_heatmap(table, clock, unit, title)


# A row per calendar day, this tall until the rows reach the most a page can hold; a
# date label per day up to this many, else one a week (or every few weeks).
_DAY_ROW_INCHES = 0.35
_ROWS_MAX_INCHES = 26.0
_MAX_DAY_LABELS = 40


def _day_labels(ax: Axes, table: pd.DataFrame, clock: Clock) -> None:
    """Date labels of the rows: every day, or every 7k days for a long run (same weekday)."""
    days = [clock.date(int(d)) for d in table.index]
    step = 1 if len(days) <= _MAX_DAY_LABELS else 7 * -(-len(days) // (7 * _MAX_DAY_LABELS))
    style = "%a %d %b %Y" if days[0].year != days[-1].year else "%a %d %b"
    rows = range(0, len(days), step)
    ax.set_yticks(list(rows), [days[row].strftime(style) for row in rows])


def _draw_heatmap(table: pd.DataFrame, clock: Clock, unit: TimeUnit, title: str) -> Figure:
    fig = new_figure(8.5, 2.2 + min(_DAY_ROW_INCHES * len(table), _ROWS_MAX_INCHES))
    ax = fig.add_subplot()
    values = np.ma.masked_invalid(table.to_numpy(dtype=float) / unit.seconds)
    image = ax.imshow(
        values, aspect="auto", cmap=_sequential_cmap(), interpolation="nearest", vmin=0,
        extent=(0, 24, len(table) - 0.5, -0.5),
    )  # fmt: skip
    fig.colorbar(image, ax=ax, label=f"mean wait ({unit.name})")
    _day_labels(ax, table, clock)
    _hour_axis(ax)
    ax.set_title(fitted_title(title, fig.get_figwidth()))
    if len(table) <= _ANNOTATED_DAYS:
        _annotate_cells(ax, values, image)
    if values.mask.any():
        ax.set_xlabel(ax.get_xlabel() + "; grey: no answered contact")
    return fig


_ANNOTATED_DAYS = 2  # few rows leave room to print each cell's value


def _annotate_cells(ax: Axes, values: np.ma.MaskedArray, image: AxesImage) -> None:
    """Write each cell's value on it, dark on light cells and light on dark ones."""
    for (row, hour), value in np.ndenumerate(values.filled(np.nan)):
        if not math.isfinite(value):
            continue
        light = sum(image.cmap(image.norm(value))[:3]) > 1.5
        text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
        colour = "black" if light else "white"
        ax.text(hour + 0.5, row, text, ha="center", va="center", fontsize=7, color=colour)


def _sequential_cmap() -> Colormap:
    from matplotlib import colormaps  # noqa: PLC0415 - keeps module import light

    return colormaps[SEQUENTIAL_CMAP].with_extremes(bad=MISSING_COLOUR)
