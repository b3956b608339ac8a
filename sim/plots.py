"""Plots of simulation results: wait distributions, hourly profiles, sweeps, validation.

Every function takes :class:`~sim.results.Results` (or the DataFrames they produce) and
returns a :class:`matplotlib.figure.Figure` built with the object API: nothing here
touches pyplot's global state or needs a display. Save with ``fig.savefig("wait.png")``;
in a notebook (with ``%matplotlib inline``) a returned figure shows itself.

Waits are the time from arrival at a queue to the first response (agent or bot) of the
*answered* contacts, as in the metrics; when given results, only contacts that entered
in the measurement window (after the warm-up) count. Time axes use the unit that fits
the data (seconds, minutes, hours or days); colours come from the Okabe-Ito palette,
which stays distinct under the common forms of colour blindness.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.metrics import METRICS
from sim.results import Results
from sim.scenario import RATE_METRICS, TIME_METRICS, Scenario
from sim.stats import mean_ci
from sim.timeline import DAY, HOUR, Clock
from sim.units import format_duration, parse_duration

__all__ = [
    "OKABE_ITO",
    "PlotError",
    "TimeUnit",
    "counted_contacts",
    "day_index",
    "document_comparison",
    "heatmap_table",
    "hour_exposure",
    "hourly_profile",
    "sweep_curve",
    "time_unit",
    "varied_columns",
    "wait_ecdf",
    "wait_heatmap",
    "wait_histogram",
    "wait_series",
    "wait_survival",
]

# Okabe & Ito (2008), ordered so that the first colours contrast most on white;
# the yellow comes late because it is faint on a white background.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow
)
# Line styles repeat the colour cue, so series stay apart in greyscale prints too.
LINESTYLES = ("-", "--", "-.", ":")
SEQUENTIAL_CMAP = "viridis"
MISSING_COLOUR = "#d9d9d9"
ID_COLUMNS = ("scenario", "variant", "queue", "replications", "replication", "seed")

WaitData = Results | Mapping[str, Results] | pd.DataFrame


class PlotError(ValueError):
    """The data cannot be plotted as asked (unknown queue, missing columns, no waits)."""


# -- units and styling ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimeUnit:
    """A unit for time axes: ``symbol`` for labels and its length in seconds."""

    symbol: str
    name: str
    seconds: float


UNITS = (
    TimeUnit("s", "seconds", 1.0),
    TimeUnit("min", "minutes", 60.0),
    TimeUnit("h", "hours", HOUR),
    TimeUnit("d", "days", DAY),
)
# A unit fits while the axis ends below this many of it (120 s, 180 min, 72 h): tick
# labels stay short numbers people read at a glance ("8 minutes", not "480 seconds").
_UNIT_LIMITS = (120.0, 180.0, 72.0)


def time_unit(seconds: Iterable[float] | np.ndarray) -> TimeUnit:
    """The unit for an axis that shows these durations, chosen by the largest of them."""
    x = np.asarray(list(seconds) if not isinstance(seconds, np.ndarray) else seconds, float)
    x = x[np.isfinite(x)]
    if not len(x):
        return UNITS[1]
    scale = float(x.max())
    for unit, limit in zip(UNITS, _UNIT_LIMITS, strict=False):
        if scale < limit * unit.seconds:
            return unit
    return UNITS[-1]


# Lines skip the yellow, too faint for a thin line on white.
LINE_COLOURS = OKABE_ITO[:7]


def _style(i: int) -> dict[str, str]:
    """Colour and line style of series ``i``: the first 28 pairs are all different."""
    cycle, colour = divmod(i, len(LINE_COLOURS))
    return {
        "color": LINE_COLOURS[colour],
        "linestyle": LINESTYLES[(i + 2 * cycle) % len(LINESTYLES)],
    }


def _figure(width: float = 7.5, height: float = 4.5) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


_LEGEND_INSIDE = 4  # more legend entries than this go beside the axes
_LEGEND_WIDTH = 2.5  # inches added to the figure for a legend beside the axes


def _finish(ax: Axes, title: str, xlabel: str, ylabel: str, *, legend: bool = True) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    if not legend or not handles:
        return
    if len(handles) > _LEGEND_INSIDE:  # many curves: the legend would hide some of them
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.figure.set_figwidth(ax.figure.get_figwidth() + _LEGEND_WIDTH)
    else:
        ax.legend(frameon=False)


def _metric_kind(metric: str) -> str:
    """``time`` (seconds), ``rate`` (a fraction) or ``count``."""
    if metric in TIME_METRICS or metric.endswith(("_s", "_time")):
        return "time"
    if metric in RATE_METRICS or metric in {"bot_share", "not_visible_rate", "overflow_rate"}:
        return "rate"
    if metric.endswith(("_rate", "_share", "_level")):
        return "rate"
    return "count"


def _metric_name(metric: str) -> str:
    """Words for a metric: ``p90_wait_s`` -> ``90th percentile wait``."""
    name = metric.removesuffix("_s").replace("e2e_", "end-to-end ").replace("_", " ")
    return name.replace("p90", "90th percentile").replace("p95", "95th percentile")


# -- contacts and waits ---------------------------------------------------------------------


def counted_contacts(results: Results) -> pd.DataFrame:
    """Hops whose contact entered in the measurement window: the ones the metrics count."""
    contacts = results.contacts()
    w0, w1 = results.runs[0].window
    keep = (contacts["entered"] >= w0) & (contacts["entered"] < w1)
    return contacts[keep].reset_index(drop=True)


def _contacts_frame(data: WaitData) -> pd.DataFrame:
    if isinstance(data, Results):
        return counted_contacts(data)
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        labels = list(data)
        frames = [counted_contacts(r).assign(variant=label) for label, r in data.items()]
        frame = pd.concat(frames, ignore_index=True)
        frame["variant"] = pd.Categorical(frame["variant"], categories=labels)
        return frame
    raise TypeError(f"expected Results, a dict of Results or a DataFrame, got {type(data)}")


def _ordered(values: pd.Series) -> list[object]:
    """Distinct values in category order if categorical, else in order of appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    return list(pd.unique(values.dropna()))


def _select_queues(frame: pd.DataFrame, queues: Sequence[str] | None) -> pd.DataFrame:
    if "queue" not in frame:
        raise PlotError("the data has no 'queue' column")
    known = [str(q) for q in _ordered(frame["queue"])]
    if isinstance(frame["queue"].dtype, pd.CategoricalDtype):
        known = [str(q) for q in frame["queue"].cat.categories]
    if not queues:
        return frame
    unknown = [q for q in queues if q not in known]
    if unknown:
        raise PlotError(f"unknown queue {unknown[0]!r}; the queues are: {', '.join(known)}")
    return frame[frame["queue"].isin(list(queues))]


def wait_series(data: WaitData, queues: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Waits (seconds) of the answered contacts, one array per series to draw.

    A series is one queue, one variant, or one (variant, queue) pair, whichever varies in
    the data; labels are the queue name, the variant label, or ``"variant · queue"``.

    Args:
        data: results, a mapping of label -> results (variants), or a contacts DataFrame
            (``Results.contacts()``, possibly concatenated, told apart by ``variant``).
        queues: queues to keep (default: all with answered contacts).
    """
    return _waits_by_series(_contacts_frame(data), queues)[0]


def _waits_by_series(
    frame: pd.DataFrame, queues: Sequence[str] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """:func:`wait_series` of a contacts table, and the queues that have answered contacts."""
    frame = _select_queues(frame, queues)
    keys = [k for k in ("variant", "queue") if k in frame and frame[k].nunique() > 1]
    keys = keys or ["queue"]
    answered = frame[frame["wait"].notna()]
    series = {}
    for combo in itertools.product(*(_ordered(frame[k]) for k in keys)):
        select = np.ones(len(answered), dtype=bool)
        for key, value in zip(keys, combo, strict=True):
            select &= (answered[key] == value).to_numpy()
        waits = answered["wait"].to_numpy(dtype=float)[select]
        if len(waits):
            series[" · ".join(str(v) for v in combo)] = waits
    if not series:
        raise PlotError("no answered contacts to plot")
    return series, [str(q) for q in _ordered(answered["queue"])]


def _threshold(data: WaitData) -> float | None:
    """The service-level threshold of the scenario(s) behind the data, when known."""
    if isinstance(data, Results):
        return data.scenario.service_level_threshold
    if isinstance(data, Mapping):
        found = {r.scenario.service_level_threshold for r in data.values()}
        return found.pop() if len(found) == 1 else None
    return None


def _describe(data: WaitData) -> str:
    """``"scenario, N replications"`` for titles, from whatever the data says."""
    if isinstance(data, Results):
        return f"{data.scenario.name}, {len(data.runs)} replications"
    if isinstance(data, Mapping):
        names = {r.scenario.name for r in data.values()}
        reps = {len(r.runs) for r in data.values()}
        text = ", ".join(sorted(names))
        return text + (f", {reps.pop()} replications each" if len(reps) == 1 else "")
    if "scenario" in data:
        return ", ".join(str(s) for s in _ordered(data["scenario"]))
    return ""


def _title(what: str, data: WaitData, queues: Sequence[str] = ()) -> str:
    """``what`` over a line saying where the data come from (and the queue, if only one)."""
    about = _describe(data)
    if len(queues) == 1:
        about = " · ".join(filter(None, [about, f"queue {queues[0]}"]))
    return f"{what}\n{about}" if about else what


def _mark_threshold(ax: Axes, threshold: float | None, unit: TimeUnit) -> None:
    if threshold is None:
        return
    ax.axvline(
        threshold / unit.seconds,
        color="0.35",
        linestyle=":",
        linewidth=1.2,
        label=f"service-level threshold ({format_duration(threshold)})",
    )


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
    unit: TimeUnit | None = None,
) -> Figure:
    """Histogram of waits of answered contacts, one series per queue or variant.

    Waits beyond the pooled 99th percentile are counted in the last bin (said in the
    legend), so the bars add up to every answered contact. One series is drawn as bars,
    several as outlines on common bins.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        bins: number of bins.
        density: show shares of each series' answered contacts instead of counts.
        log: logarithmic count axis, so the tail shows beside a spike of instant answers.
        unit: time unit of the x axis (default: chosen from the data).
    """
    series, shown = _waits_by_series(_contacts_frame(data), queues)
    edges = _histogram_edges(series, bins)
    unit = unit or time_unit(edges[-1:])
    fig = _figure()
    ax = fig.add_subplot()
    single = len(series) == 1
    for i, (label, waits) in enumerate(series.items()):
        clipped = np.minimum(waits, edges[-1])
        weights = np.full(len(waits), 1 / len(waits)) if density else None
        look = (
            {"histtype": "bar", "color": OKABE_ITO[0], "edgecolor": "white", "linewidth": 0.5}
            if single
            else {"histtype": "step", "linewidth": 1.8, **_style(i)}
        )
        ax.hist(
            clipped / unit.seconds,
            bins=edges / unit.seconds,
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
    title = _title("Wait until first response", data, shown)
    _finish(ax, title, f"wait ({unit.name})", ylabel)
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
) -> None:
    for i, (label, waits) in enumerate(series.items()):
        x, y = _survival_points(waits) if survival else _ecdf_points(waits)
        if log:  # zero has no place on a log axis; the curve ends at the longest wait
            x, y = x[y > 0], y[y > 0]
        ax.step(x / unit.seconds, y, where="post", linewidth=1.8, label=label, **_style(i))


def _distribution(
    data: WaitData,
    queues: Sequence[str] | None,
    *,
    survival: bool,
    log: bool,
    logx: bool,
    unit: TimeUnit | None,
    threshold: float | None,
) -> Figure:
    series, shown = _waits_by_series(_contacts_frame(data), queues)
    pooled = np.concatenate(list(series.values()))
    unit = unit or time_unit(pooled)
    fig = _figure()
    ax = fig.add_subplot()
    _step_curves(ax, series, unit, survival=survival, log=log)
    _mark_threshold(ax, threshold if threshold is not None else _threshold(data), unit)
    xlabel = _time_axis(ax, unit, float(pooled.max()), logx=logx)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(1 / max(len(w) for w in series.values()) / 2, 1.1)
    else:
        ax.set_ylim(0, 1.02)
    if survival:
        title, ylabel = "Share of answered contacts still waiting after t", "P(wait > t)"
    else:
        title, ylabel = "Share of answered contacts answered within t", "P(wait ≤ t)"
    _finish(ax, _title(title, data, shown), xlabel, ylabel)
    return fig


def wait_ecdf(
    data: WaitData,
    queues: Sequence[str] | None = None,
    *,
    logx: bool = False,
    unit: TimeUnit | None = None,
    threshold: float | None = None,
) -> Figure:
    """Empirical distribution function P(wait <= t) of answered contacts' waits.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        logx: logarithmic time axis (zero kept), for queues whose waits differ by orders of
            magnitude (chat in minutes, email in days) on one axis.
        unit: time unit of the x axis (default: chosen from the data).
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
    unit: TimeUnit | None = None,
    threshold: float | None = None,
) -> Figure:
    """Survival curve P(wait > t): how many answered contacts still wait after t.

    Args:
        data: see :func:`wait_series`.
        queues: queues to show (default: all).
        log: logarithmic probability axis, to read the tail (1 in 100 waits longer than ...).
        logx: logarithmic time axis (zero kept), for waits of very different scales.
        unit: time unit of the x axis (default: chosen from the data).
        threshold: service-level threshold (seconds) to mark; default: the scenario's.
    """
    return _distribution(
        data, queues, survival=True, log=log, logx=logx, unit=unit, threshold=threshold
    )


# -- hour by hour ---------------------------------------------------------------------------


def hour_exposure(scenario: Scenario) -> np.ndarray:
    """Hours of the measurement window that fall in each clock hour (24 values)."""
    clock = Clock(scenario.start)
    minutes = np.arange(scenario.warmup, scenario.duration, 60.0) + 30.0
    return np.bincount(clock.hour_of_day(minutes), minlength=24) / 60.0


def _one_queue(frame: pd.DataFrame, queue: str | None) -> str:
    if queue is not None:
        _select_queues(frame, [queue])
        return queue
    answered = frame[frame["answered"] > 0] if "answered" in frame else frame
    candidates = _ordered(answered["queue"]) or _ordered(frame["queue"])
    if not candidates:
        raise PlotError("no queue to plot")
    return str(candidates[0])


def _hourly_table(rows: pd.DataFrame, exposure: np.ndarray | None) -> pd.DataFrame:
    """Per clock hour: mean wait with CI, p90 wait, agents on shift, arrivals per hour."""
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
        table.loc[h, "arrivals"] = g["arrivals"].mean()
    if exposure is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            per_hour = table["arrivals"].to_numpy() / np.where(exposure > 0, exposure, np.nan)
        table["arrivals"] = per_hour
    return table


def _plot_hourly_waits(ax: Axes, table: pd.DataFrame, unit: TimeUnit) -> None:
    x = table.index.to_numpy() + 0.5
    mean = table["mean_wait_s"].to_numpy() / unit.seconds
    half = np.nan_to_num(table["mean_wait_ci95"].to_numpy() / unit.seconds)
    low = np.maximum(mean - half, 0.0)  # a wait is never negative, nor is its CI
    ax.fill_between(x, low, mean + half, color=OKABE_ITO[0], alpha=0.2, linewidth=0)
    ax.plot(x, mean, marker="o", markersize=3.5, label="mean wait (band: 95% CI)", **_style(0))
    p90 = table["p90_wait_s"].to_numpy() / unit.seconds
    ax.plot(x, p90, marker="s", markersize=3.5, label="90th percentile wait", **_style(1))
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"wait ({unit.name})")
    ax.set_title("Wait until first response, by hour of arrival")
    ax.grid(alpha=0.3)
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
    twin.set_ylabel("agents on shift (mean)")
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin.set_ylim(0, max(1.0, float(np.nanmax(steps)) * 1.15) if np.isfinite(steps).any() else 1)
    ax.legend(handles=[arrivals, line], frameon=False, loc="upper left")
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
    unit: TimeUnit | None = None,
) -> Figure:
    """Mean and 90th-percentile wait by hour of day, above arrivals and agents on shift.

    Top panel: the mean wait (with its 95% CI over replications) and the 90th percentile
    by hour of arrival. Bottom panel: arrivals per hour as bars, and agents on shift on a
    twin axis.

    Args:
        data: results, or their ``hourly()`` table.
        queue: the queue to show (default: the first with answered contacts).
        exposure: hours of observation per clock hour, to turn arrival counts into rates
            (computed from the scenario when given results; else counts per replication).
        unit: time unit of the wait axis (default: chosen from the data).
    """
    hourly = data.hourly() if isinstance(data, Results) else data
    if isinstance(data, Results) and exposure is None:
        exposure = hour_exposure(data.scenario)
    queue = _one_queue(hourly, queue)
    table = _hourly_table(hourly[hourly["queue"] == queue], exposure)
    top_of_band = table["mean_wait_s"] + table["mean_wait_ci95"].fillna(0.0)
    unit = unit or time_unit([*table["p90_wait_s"], *top_of_band])
    fig = _figure(8.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    _plot_hourly_waits(top, table, unit)
    _plot_hourly_load(bottom, table, exposure is not None)
    _hour_axis(bottom)
    fig.suptitle(f"{queue} by hour of day — {_describe(data)}")
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
    unit: TimeUnit | None = None,
) -> Figure:
    """Mean wait of answered contacts by calendar day and hour of arrival.

    Args:
        data: results, or a contacts DataFrame (then ``scenario`` gives the start date).
        queue: the queue to show (default: the first with answered contacts).
        scenario: the scenario the contacts come from (taken from results when given).
        unit: time unit of the colour scale (default: chosen from the data).
    """
    if isinstance(data, Results):
        scenario, contacts = data.scenario, counted_contacts(data)
    elif scenario is None:
        raise PlotError("wait_heatmap needs the scenario (for its start date) with a DataFrame")
    else:
        contacts = data
    if queue is None:
        queue = str(_ordered(contacts.loc[contacts["wait"].notna(), "queue"])[0])
    _select_queues(contacts, [queue])
    clock = Clock(scenario.start)
    table = heatmap_table(contacts, clock, queue)
    unit = unit or time_unit(table.to_numpy().ravel())
    title = _title(f"Mean wait of {queue} by day and hour of arrival", data)
    return _draw_heatmap(table, clock, unit, title)


def _draw_heatmap(table: pd.DataFrame, clock: Clock, unit: TimeUnit, title: str) -> Figure:
    fig = _figure(8.5, 2.2 + 0.35 * len(table))
    ax = fig.add_subplot()
    values = np.ma.masked_invalid(table.to_numpy(dtype=float) / unit.seconds)
    image = ax.imshow(
        values, aspect="auto", cmap=_sequential_cmap(), interpolation="nearest", vmin=0,
        extent=(0, 24, len(table) - 0.5, -0.5),
    )  # fmt: skip
    fig.colorbar(image, ax=ax, label=f"mean wait ({unit.name})")
    ax.set_yticks(range(len(table)), [clock.date(int(d)).strftime("%a %d %b") for d in table.index])
    _hour_axis(ax)
    ax.set_title(title)
    if len(table) <= _ANNOTATED_DAYS:
        _annotate_cells(ax, values, image)
    if values.mask.any():
        ax.set_xlabel(ax.get_xlabel() + "; grey: no answered contact")
    return fig


_ANNOTATED_DAYS = 2  # few rows leave room to print each cell's value


def _annotate_cells(ax: Axes, values: np.ma.MaskedArray, image: object) -> None:
    """Write each cell's value on it, dark on light cells and light on dark ones."""
    for (row, hour), value in np.ndenumerate(values.filled(np.nan)):
        if not math.isfinite(value):
            continue
        light = sum(image.cmap(image.norm(value))[:3]) > 1.5
        text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
        colour = "black" if light else "white"
        ax.text(hour + 0.5, row, text, ha="center", va="center", fontsize=7, color=colour)


def _sequential_cmap() -> object:
    from matplotlib import colormaps  # noqa: PLC0415 - keeps module import light

    return colormaps[SEQUENTIAL_CMAP].with_extremes(bad=MISSING_COLOUR)


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


def _sweep_axis(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric x positions for a varied parameter, plus tick labels when it is not numeric."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=float), None
    labels = [str(v) for v in pd.unique(values)]
    return np.array([labels.index(str(v)) for v in values], dtype=float), labels


def _metric_scale(metric: str, values: np.ndarray) -> tuple[float, str]:
    """Divisor and axis label for a metric's values."""
    kind = _metric_kind(metric)
    name = _metric_name(metric)
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
        metric: the metric to draw.
        param: the varied column on the x axis (default: the first one; any other varied
            columns split the lines within a panel).
        queues: queues to show (default: all).
        xlabel: words for the varied parameter (default: its column name, a dotted path).
    """
    if metric not in sweep:
        raise PlotError(f"the sweep table has no column {metric!r}")
    varied = varied_columns(sweep)
    param = param or (varied[0] if varied else None)
    if param is None or param not in sweep:
        raise PlotError(f"the sweep table has no varied-parameter column {param or ''}".strip())
    table = _select_queues(sweep, queues)
    x_all, ticks = _sweep_axis(table[param])
    table = table.assign(_x=x_all)
    names = [str(q) for q in _ordered(table["queue"])]
    fig = _figure(7.5, 1.2 + 2.8 * len(names))
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
    fig.suptitle(f"{_metric_name(metric).capitalize()} (band: 95% CI) against {xlabel or param}")
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
        ax.fill_between(x, y - half, y + half, color=_style(i)["color"], alpha=0.2, linewidth=0)
    ax.plot(x, y, marker="o", linewidth=1.8, label=label or None, **_style(i))


# -- the document against the simulation ----------------------------------------------------

_COMPARISON_COLUMNS = ("queue", "metric", "value", "simulated", "ci95", "tolerance", "passed")
_Z_LIMIT = 4.0  # deviations beyond this many tolerances are drawn at the edge, as arrows
_Z_EDGE = _Z_LIMIT + 0.4
# A target without tolerance is drawn against this share of its value instead.
_FALLBACK_SCALE = 0.1


def _absolute_tolerance(value: float, tolerance: object) -> float:
    """A tolerance as a half-width in the metric's units (accepts ``"10%"``, ``"30s"``)."""
    if isinstance(tolerance, str):
        text = tolerance.strip()
        if text.endswith("%"):
            return float(text[:-1]) / 100 * abs(value)
        return parse_duration(text)
    if isinstance(tolerance, Mapping):  # {"relative": r} or {"absolute": a}
        if tolerance.get("relative") is not None:
            return float(tolerance["relative"]) * abs(value)
        return float(tolerance.get("absolute") or 0.0)
    return float(tolerance)


def _format_value(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    kind = _metric_kind(metric)
    if kind == "time":
        return format_duration(value)
    if kind == "rate":
        return f"{100 * value:.1f}%"
    return f"{value:.3g}"


def _format_tolerance(metric: str, half: float) -> str:
    if _metric_kind(metric) == "rate":
        return f"{100 * half:.1f} pp"
    return _format_value(metric, half)


def _comparison_rows(rows: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COMPARISON_COLUMNS if c not in rows]
    if missing:
        raise PlotError(f"the comparison table lacks columns: {', '.join(missing)}")
    if rows.empty:
        raise PlotError("the comparison table has no rows")
    half = [
        _absolute_tolerance(v, t) for v, t in zip(rows["value"], rows["tolerance"], strict=True)
    ]
    out = rows.reset_index(drop=True).assign(half=half)
    value = out["value"].astype(float)
    fallback = (_FALLBACK_SCALE * value.abs()).where(value != 0, 1.0)
    scale = out["half"].where(out["half"] > 0, fallback)
    out["z"] = (out["simulated"].astype(float) - value) / scale
    out["z_ci"] = out["ci95"].astype(float) / scale
    out["z_tol"] = out["half"] / scale  # 1, or 0 for targets without tolerance
    return out


_LABEL_WIDTH = 50  # longer target labels (pooled queues with weights) wrap


def _comparison_label(row: pd.Series) -> str:
    # Pooled queues read "a:0.5+b:0.3": spaces let the label wrap between queues.
    where = str(row["queue"]).replace("+", " + ")
    # ``detail`` (sim validate's rows) names the metric with its qualifiers (hours, days).
    detail = row.get("detail")
    what = detail if isinstance(detail, str) and detail else str(row["metric"])
    text = f"{where} · {_metric_name(what)}"
    return textwrap.fill(text, _LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)


_ROW_INCHES = 0.38  # height of a one-line row of the comparison chart


def _row_positions(labels: list[str]) -> tuple[list[float], float]:
    """Centres of rows that grow with their label's lines, and the total height (in rows)."""
    spans = [0.75 + 0.5 * label.count("\n") for label in labels]
    spans = [max(1.0, s) for s in spans]
    edges = np.concatenate([[0.0], np.cumsum(spans)])
    return list((edges[:-1] + edges[1:]) / 2), float(edges[-1])


def _comparison_layout(table: pd.DataFrame) -> list[tuple[str, object]]:
    """Rows of the chart: targets, under a header row per scenario when there are several."""
    if "scenario" not in table or table["scenario"].nunique() < 2:
        return [("target", row) for _, row in table.iterrows()]
    entries: list[tuple[str, object]] = []
    for name in pd.unique(table["scenario"]):
        entries.append(("header", str(name)))
        entries += [("target", row) for _, row in table[table["scenario"] == name].iterrows()]
    return entries


def _comparison_figures(row: pd.Series) -> str:
    metric = str(row["metric"])
    bound = {"at_most": "≤ ", "at_least": "≥ "}.get(str(row.get("bound", "equal")), "")
    doc = f"doc {bound}{_format_value(metric, row['value'])}"
    if row["half"] > 0:
        doc += f" ± {_format_tolerance(metric, row['half'])}"
    sim = f"sim {_format_value(metric, row['simulated'])}"
    if math.isfinite(row["ci95"]):
        sim += f" ± {_format_tolerance(metric, row['ci95'])}"
    return f"{doc}   {sim}"


def _draw_band(ax: Axes, y: int, row: pd.Series) -> None:
    """The tolerance as a grey bar: both sides, or open-ended for one-sided targets."""
    bound = str(row.get("bound", "equal"))
    low = -_Z_EDGE if bound == "at_most" else -row["z_tol"]
    high = _Z_EDGE if bound == "at_least" else row["z_tol"]
    ax.barh(y, high - low, left=low, height=0.7, color="0.88", zorder=0)


def _draw_target(ax: Axes, y: int, row: pd.Series) -> None:
    passed = bool(row["passed"])
    colour, marker = (OKABE_ITO[0], "o") if passed else (OKABE_ITO[3], "X")
    z, half = row["z"], row["z_ci"]
    if not math.isfinite(z):
        return
    if abs(z) > _Z_LIMIT:  # far off: an arrow at the edge, the figures say how far
        ax.plot(math.copysign(_Z_LIMIT, z), y, marker=">" if z > 0 else "<", color=colour, ms=9)
        return
    ax.errorbar(
        z, y, xerr=half if math.isfinite(half) else None, fmt=marker, color=colour, ms=7,
        capsize=3, elinewidth=1.5,
    )  # fmt: skip


def document_comparison(rows: pd.DataFrame) -> Figure:
    """The document's figures against the simulation, one row per target.

    Every target is drawn on a common scale, ``(simulated - document) / tolerance``, so
    the grey band from -1 to 1 is each target's tolerance whatever its units (open on
    one side for ``at_most`` / ``at_least`` targets; a target without tolerance is drawn
    against 10% of its value); the bar is the simulation's 95% CI; passed targets are
    blue circles, missed ones vermillion crosses (arrows, in the same colours, when more
    than four tolerances off). The figures themselves, in their units, are written on the right.

    Args:
        rows: one row per target with columns ``scenario, queue, metric, value,
            simulated, ci95, tolerance, passed`` and optionally ``bound`` (the
            ``sim validate --json`` rows; times in seconds, rates as fractions; tolerance
            as a number in the metric's units or a string like ``"10%"``).
    """
    table = _comparison_rows(rows)
    entries = _comparison_layout(table)
    left = [e if kind == "header" else _comparison_label(e) for kind, e in entries]
    ys, total = _row_positions(left)
    fig = _figure(11.0, 1.8 + _ROW_INCHES * total)
    ax = fig.add_subplot()
    ax.axvline(0, color="0.4", linewidth=1)
    for y, (kind, row) in zip(ys, entries, strict=True):
        if kind == "target":
            _draw_band(ax, y, row)
            _draw_target(ax, y, row)
    ax.set_yticks(ys, left)
    for tick, (kind, _) in zip(ax.get_yticklabels(), entries, strict=True):
        if kind == "header":
            tick.set_fontweight("bold")
    ax.set_ylim(total, 0)
    ax.set_xlim(-_Z_EDGE, _Z_EDGE)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    figures = ["" if kind == "header" else _comparison_figures(e) for kind, e in entries]
    right.set_yticks(ys, figures, fontsize=8.5)
    passed = int(table["passed"].astype(bool).sum())
    title = f"Document vs simulation: {passed} of {len(table)} targets within tolerance"
    _finish(ax, title, "(simulated − document) / tolerance", "", legend=False)
    ax.grid(axis="y", alpha=0)
    fig.legend(handles=_comparison_legend(), frameon=False, loc="outside lower center", ncols=4)
    return fig


def _comparison_legend() -> list[object]:
    from matplotlib.patches import Patch  # noqa: PLC0415 - keeps module import light

    def mark(marker: str, colour: str, label: str) -> Line2D:
        return Line2D([], [], marker=marker, color=colour, linestyle="none", ms=7, label=label)

    return [
        Patch(color="0.88", label="tolerance"),
        mark("o", OKABE_ITO[0], "within (bar: 95% CI)"),
        mark("X", OKABE_ITO[3], "missed"),
        mark(">", "0.35", f"beyond {_Z_LIMIT:g} tolerances (figures on the right)"),
    ]
