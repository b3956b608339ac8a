"""Sweep curves: a metric against the varied parameter, with CI bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.metrics import METRICS
from sim.plots.base import (
    ID_COLUMNS,
    PlotError,
    fitted_title,
    line_style,
    lone_point,
    metric_kind,
    metric_name,
    new_figure,
    ordered_values,
    select_queues,
    time_unit,
)

__all__ = ["metric_columns", "sweep_curve", "varied_columns"]

# -- sweeps ---------------------------------------------------------------------------------


_MAX_VALUE_TICKS = 12


def varied_columns(sweep: pd.DataFrame) -> list[str]:
    """The varied-parameter columns of a sweep table.

    Everything that is not an identifier (scenario, variant, queue, ...), a known
    metric, a metric with a ``<metric>_ci95`` partner or such a partner.
    """
    paired = {c.removesuffix("_ci95") for c in sweep.columns if c.endswith("_ci95")}
    skip = set(ID_COLUMNS) | set(METRICS) | paired
    return [c for c in sweep.columns if c not in skip and not c.endswith("_ci95")]


def metric_columns(sweep: pd.DataFrame) -> list[str]:
    """The metric columns of a sweep table: known metrics and columns with a ``_ci95`` partner."""
    paired = {c.removesuffix("_ci95") for c in sweep.columns if c.endswith("_ci95")}
    return [
        c
        for c in sweep.columns
        if c not in ID_COLUMNS and not c.endswith("_ci95") and (c in METRICS or c in paired)
    ]


def _check_metric(sweep: pd.DataFrame, metric: str) -> None:
    """A metric the table has, or a PlotError that lists those it has (a typo is fixed at once)."""
    known = metric_columns(sweep)
    if metric not in known:
        listed = f"its metrics are: {', '.join(known)}" if known else "it has no metric columns"
        raise PlotError(f"the sweep table has no metric {metric!r}; {listed}")


def _sweep_axis(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric x positions for a varied parameter, plus tick labels when it is not numeric."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float), None
    labels = [str(v) for v in pd.unique(values)]
    return np.array([labels.index(str(v)) for v in values], dtype=float), labels


def _metric_scale(metric: str, values: np.ndarray) -> tuple[float, str]:
    """Divisor and axis label for a metric's values."""
    kind = metric_kind(metric)
    name = metric_name(metric)
    if kind == "time":
        unit = time_unit(values)  # the caller passes the band's top, the axis extent
        return unit.seconds, f"{name} ({unit.name})"
    if kind == "rate":
        return 0.01, f"{name} (%)"
    return 1.0, name


def sweep_curve(
    sweep: pd.DataFrame,
    metric: str = "mean_wait_s",
    *,
    param: str | None = None,
    queues: Sequence[str] | None = None,
    xlabel: str | None = None,
) -> Figure:
    """A metric against a varied parameter with 95% CI bands, one panel per queue.

    Queues get their own panels (sharing the x axis) because their scales differ by
    orders of magnitude (minutes on a chat, days on email).

    Args:
        sweep: tidy sweep table: one row per variant x queue, a column per varied
            parameter, metric columns and ``<metric>_ci95`` half-widths.
        metric: the metric to draw, one of :func:`metric_columns`.
        param: the varied column on the x axis (default: the first one; any other varied
            columns split the lines within a panel).
        queues: queues to show (default: all).
        xlabel: words for the varied parameter (default: its column name, a dotted path).
    """
    _check_metric(sweep, metric)
    if sweep.empty:
        raise PlotError("the sweep table has no rows")
    for column in (metric, f"{metric}_ci95"):
        if column in sweep and not pd.api.types.is_numeric_dtype(sweep[column]):
            raise PlotError(f"column {column!r} is not a number in every row")
    varied = varied_columns(sweep)
    param = param or (varied[0] if varied else None)
    if param is None or param not in sweep:
        raise PlotError(f"the sweep table has no varied-parameter column {param or ''}".strip())
    table = select_queues(sweep, queues)
    x_all, ticks = _sweep_axis(table[param])
    table = table.assign(_x=x_all)
    names = [str(q) for q in ordered_values(table["queue"])]
    fig = new_figure(7.5, 1.2 + 2.8 * len(names))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    others = [c for c in varied if c != param]
    for ax, queue in zip(axes, names, strict=True):
        _sweep_panel(ax, table[table["queue"] == queue], metric, others)
        ax.set_title(queue, loc="left", fontsize="medium")
    if ticks is not None:
        axes[-1].set_xticks(range(len(ticks)), ticks)
    elif len(np.unique(x_all)) <= _MAX_VALUE_TICKS:  # a tick at each value tried, no 8.5 agents
        axes[-1].set_xticks(np.unique(x_all))
    axes[-1].set_xlabel(xlabel or param)
    ci = "bar" if len(np.unique(x_all)) == 1 else "band"  # one value: see _draw_sweep_line
    title = f"{metric_name(metric).capitalize()} ({ci}: 95% CI) against {xlabel or param}"
    fig.suptitle(fitted_title(title, fig.get_figwidth()))
    return fig


def _sweep_panel(ax: Axes, rows: pd.DataFrame, metric: str, others: list[str]) -> None:
    ci = rows[f"{metric}_ci95"].fillna(0.0) if f"{metric}_ci95" in rows else 0.0
    divisor, ylabel = _metric_scale(metric, (rows[metric] + ci).to_numpy(dtype=float))
    groups = rows.groupby(others, sort=False) if others else [((), rows)]
    for i, (key, group) in enumerate(groups):
        label = _line_label(others, key)
        _draw_sweep_line(ax, group.sort_values("_x"), metric, divisor, i=i, label=label)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if rows[metric].isna().all():  # nobody reached or answered it: say so, not a blank
        ax.text(
            0.5, 0.5, f"no {metric_name(metric)} at this queue in any variant",
            transform=ax.transAxes, ha="center", va="center", color="0.35",
        )  # fmt: skip
    if (rows[metric].dropna() >= 0).all():
        ax.set_ylim(bottom=0)
    if others:
        ax.legend(frameon=False)


def _line_label(columns: list[str], key: object) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return " · ".join(f"{c}={v}" for c, v in zip(columns, values, strict=True))


def _draw_sweep_line(
    ax: Axes, group: pd.DataFrame, metric: str, divisor: float, *, i: int, label: str
) -> None:
    x = group["_x"].to_numpy()
    y = group[metric].to_numpy(dtype=float) / divisor
    ci = f"{metric}_ci95"
    if ci in group:
        half = np.nan_to_num(group[ci].to_numpy(dtype=float) / divisor)
        if len(x) == 1:  # one value swept: a band of one x would not show
            lone_point(ax, x, y, half, colour=line_style(i)["color"], label=label)
            return
        ax.fill_between(x, y - half, y + half, color=line_style(i)["color"], alpha=0.2, linewidth=0)
    ax.plot(x, y, marker="o", linewidth=1.8, label=label or None, **line_style(i))
