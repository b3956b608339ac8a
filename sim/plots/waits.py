"""Wait-time distributions: histogram, ECDF and survival curve P(wait > t)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots.base import (
    OKABE_ITO,
    PlotError,
    TimeUnit,
    WaitData,
    as_unit,
    contacts_frame,
    finish_axes,
    line_style,
    mark_threshold,
    new_figure,
    threshold_of,
    time_unit,
    title_for,
    waits_by_series,
)
from sim.units import format_duration

__all__ = ["wait_ecdf", "wait_histogram", "wait_survival"]

# -- wait distributions ---------------------------------------------------------------------


def _histogram_edges(series: Mapping[str, np.ndarray], bins: int) -> np.ndarray:
    """Common bin edges from 0 to the pooled 99th percentile (the tail goes in the last bin)."""
    pooled = np.concatenate(list(series.values()))
    top = max(float(np.percentile(pooled, 99)), 1.0)
    return np.linspace(0.0, top, bins + 1)


def wait_histogram(
    data: WaitData,
    queues: Sequence[str] | None = None,
    *,
    bins: int = 40,
    density: bool = False,
    log: bool = False,
    unit: TimeUnit | str | None = None,
) -> Figure:
    """Histogram of waits of answered contacts, one series per queue or variant.

    Waits beyond the pooled 99th percentile are counted in the last bin (said in the
    legend), so the bars add up to every answered contact. One series is drawn as bars,
    several as outlines on common bins.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        bins: number of bins (at least 1).
        density: show shares of each series' answered contacts instead of counts.
        log: logarithmic count axis, so the tail shows beside a spike of instant answers.
        unit: time unit of the x axis: ``"s"``, ``"min"``, ``"h"`` or ``"d"``
            (or a TimeUnit); default: chosen from the data.
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise PlotError(f"bins must be a whole number of at least 1, got {bins!r}")
    series, shown = waits_by_series(contacts_frame(data), queues)
    edges = _histogram_edges(series, bins)
    unit = as_unit(unit) or time_unit(edges[-1:])
    fig = new_figure()
    ax = fig.add_subplot()
    single = len(series) == 1
    for i, (label, waits) in enumerate(series.items()):
        clipped = np.minimum(waits, edges[-1])
        weights = np.full(len(waits), 1 / len(waits)) if density else None
        look: dict[str, Any] = (  # keyword arguments of hist, of several types
            {"histtype": "bar", "color": OKABE_ITO[0], "edgecolor": "white", "linewidth": 0.5}
            if single
            else {"histtype": "step", "linewidth": 1.8, **line_style(i)}
        )
        ax.hist(
            clipped / unit.seconds,
            bins=edges / unit.seconds,  # type: ignore[arg-type]  # an array is fine: stubs say no
            weights=weights,
            label=f"{label} (n = {len(waits):,})",
            **look,
        )
    tail = sum(int((w > edges[-1]).sum()) for w in series.values())
    if tail:
        ax.plot(
            [], [], " ", label=f"last bin includes {tail:,} waits > {format_duration(edges[-1])}"
        )
    ax.set_xlim(0, edges[-1] / unit.seconds)
    if log:
        ax.set_yscale("log")
    ylabel = "share of answered contacts" if density else "answered contacts (all replications)"
    title = title_for("Wait until first response", data, shown)
    finish_axes(ax, title, f"wait ({unit.name})", ylabel)
    return fig


def _ecdf_points(waits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps of P(wait <= t) from (0, 0): value ``y[i]`` holds on ``[x[i], x[i+1])``.

    Starting at (0, 0) makes the jump of instant answers (bots) visible.
    """
    values, counts = np.unique(waits, return_counts=True)
    share = np.cumsum(counts) / len(waits)
    return np.concatenate([[min(0.0, values[0])], values]), np.concatenate([[0.0], share])


def _survival_points(waits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps of P(wait > t) from t = 0: value ``s[i]`` holds on ``[x[i], x[i+1])``."""
    x, below = _ecdf_points(waits)
    # At t = 0 the survival already excludes the waits of exactly zero.
    if x[1] == x[0]:
        x, below = x[1:], below[1:]
    return x, 1.0 - below


# Tick marks of a logarithmic time axis, in seconds: durations people think in.
_LOG_TICKS = (0, 1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)


def _time_axis(ax: Axes, unit: TimeUnit, longest: float, *, logx: bool) -> str:
    """Scale and ticks of a wait axis; returns its label."""
    ax.set_xlim(left=0)
    if not logx:
        return f"t: wait ({unit.name})"
    # symlog: linear below one second, logarithmic above, so zero waits stay on the axis.
    ax.set_xscale("symlog", linthresh=1.0 / unit.seconds, linscale=0.4)
    ticks = [t for t in _LOG_TICKS if t <= longest * 1.5] or [0]
    ax.set_xticks([t / unit.seconds for t in ticks], ["0", *map(format_duration, ticks[1:])])
    ax.minorticks_off()
    return "t: wait (logarithmic axis)"


def _step_curves(
    ax: Axes, series: Mapping[str, np.ndarray], unit: TimeUnit, *, survival: bool, log: bool
) -> list[Line2D]:
    lines = []
    for i, (name, waits) in enumerate(series.items()):
        x, y = _survival_points(waits) if survival else _ecdf_points(waits)
        label = name
        if log:  # zero has no place on a log axis; the curve ends at the longest wait
            x, y = x[y > 0], y[y > 0]
            label += "" if len(y) else " (every wait 0: none on a log axis)"
        (line,) = ax.step(
            x / unit.seconds, y, where="post", linewidth=1.8, label=label, zorder=3,
            **line_style(i),
        )  # fmt: skip
        lines.append(line)
    return lines


def _to_the_right_edge(ax: Axes, lines: list[Line2D]) -> None:
    """Each curve on to the end of the time axis, at its last level.

    A step line ends at its last point: every wait 0 (a bot answering everyone) made a
    survival curve of one point, which draws nothing, and an ECDF that stopped on the
    y axis. Drawn above the axis lines (zorder 3), a curve at 0 or 1 shows too.
    """
    right = ax.get_xlim()[1]
    for line in lines:
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if len(x) and x[-1] < right:
            line.set_data(np.append(x, right), np.append(y, y[-1]))
    ax.set_xlim(right=right)


def _distribution(
    data: WaitData,
    queues: Sequence[str] | None,
    *,
    survival: bool,
    log: bool,
    logx: bool,
    unit: TimeUnit | str | None,
    threshold: float | None,
) -> Figure:
    series, shown = waits_by_series(contacts_frame(data), queues)
    pooled = np.concatenate(list(series.values()))
    unit = as_unit(unit) or time_unit(pooled)
    fig = new_figure()
    ax = fig.add_subplot()
    lines = _step_curves(ax, series, unit, survival=survival, log=log)
    mark_threshold(ax, threshold if threshold is not None else threshold_of(data), unit)
    xlabel = _time_axis(ax, unit, float(pooled.max()), logx=logx)
    if not log:  # on a log axis a curve ends where it would drop to 0
        _to_the_right_edge(ax, lines)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1 / max(len(w) for w in series.values()) / 2, 1.1)
    else:
        ax.set_ylim(-0.02, 1.02)
    if survival:
        title, ylabel = "Share of answered contacts still waiting after t", "P(wait > t)"
    else:
        title, ylabel = "Share of answered contacts answered within t", "P(wait ≤ t)"
    finish_axes(ax, title_for(title, data, shown), xlabel, ylabel)
    return fig


def wait_ecdf(
    data: WaitData,
    queues: Sequence[str] | None = None,
    *,
    logx: bool = False,
    unit: TimeUnit | str | None = None,
    threshold: float | None = None,
) -> Figure:
    """Empirical distribution function P(wait <= t) of answered contacts' waits.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        logx: logarithmic time axis (zero kept), for queues whose waits differ by orders of
            magnitude (chat in minutes, email in days) on one axis.
        unit: time unit of the x axis: ``"s"``, ``"min"``, ``"h"`` or ``"d"``
            (or a TimeUnit); default: chosen from the data.
        threshold: service-level threshold (seconds) to mark; default: the scenario's.
    """
    return _distribution(
        data, queues, survival=False, log=False, logx=logx, unit=unit, threshold=threshold
    )


def wait_survival(
    data: WaitData,
    queues: Sequence[str] | None = None,
    *,
    log: bool = False,
    logx: bool = False,
    unit: TimeUnit | str | None = None,
    threshold: float | None = None,
) -> Figure:
    """Survival curve P(wait > t): how many answered contacts still wait after t.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        log: logarithmic probability axis, to read the tail (1 in 100 waits longer than ...).
        logx: logarithmic time axis (zero kept), for waits of very different scales.
        unit: time unit of the x axis: ``"s"``, ``"min"``, ``"h"`` or ``"d"``
            (or a TimeUnit); default: chosen from the data.
        threshold: service-level threshold (seconds) to mark; default: the scenario's.
    """
    return _distribution(
        data, queues, survival=True, log=log, logx=logx, unit=unit, threshold=threshold
    )
