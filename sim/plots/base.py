"""Shared pieces of the plots: palette, time units, styling, contacts and waits.

The other modules of the package build their figures from these.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure

from sim.errors import PlotError
from sim.plots.fonts import cjk_fallback
from sim.plots.literal import draw_as_written
from sim.report.tables import count
from sim.results import Results
from sim.scenario import RATE_METRICS, TIME_METRICS
from sim.timeline import DAY, HOUR
from sim.units import format_duration

__all__ = [
    "ID_COLUMNS",
    "LINESTYLES",
    "LINE_COLOURS",
    "MISSING_COLOUR",
    "OKABE_ITO",
    "SEQUENTIAL_CMAP",
    "UNITS",
    "LineStyle",
    "PlotError",
    "TimeUnit",
    "as_unit",
    "contacts_frame",
    "counted_contacts",
    "describe_data",
    "finish_axes",
    "fitted_title",
    "line_style",
    "lone_point",
    "mark_threshold",
    "metric_kind",
    "metric_name",
    "new_figure",
    "ordered_values",
    "select_queues",
    "threshold_of",
    "time_unit",
    "title_for",
    "wait_series",
    "waits_by_series",
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


def as_unit(unit: TimeUnit | str | None) -> TimeUnit | None:
    """``unit`` as a :class:`TimeUnit`: given as one, or by its symbol or name ("min").

    Raises:
        PlotError: a text that names no unit.
    """
    if unit is None or isinstance(unit, TimeUnit):
        return unit
    for known in UNITS:
        if unit in (known.symbol, known.name):
            return known
    names = ", ".join(f"{u.symbol!r} ({u.name})" for u in UNITS)
    raise PlotError(f"unknown time unit {unit!r}: use one of {names}")


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


class LineStyle(TypedDict):
    """Keyword arguments of a line plot (``ax.plot(x, y, **line_style(i))``)."""

    color: str
    linestyle: str


def line_style(i: int) -> LineStyle:
    """Colour and line style of series ``i``: the first 28 pairs are all different."""
    cycle, colour = divmod(i, len(LINE_COLOURS))
    return {
        "color": LINE_COLOURS[colour],
        "linestyle": LINESTYLES[(i + 2 * cycle) % len(LINESTYLES)],
    }


# Characters of a title line per inch of figure: DejaVu Sans at the title's 12 pt averages
# about 0.6 em a character, so 72 / (12 * 0.6) = 10; 9 leaves room for wide letters.
_TITLE_CHARS_PER_INCH = 9


def fitted_title(text: str, width: float) -> str:
    """``text`` wrapped so that each line fits a figure ``width`` inches wide.

    Names (a scenario's has no length limit) would otherwise run off both edges.
    """
    chars = max(20, int(width * _TITLE_CHARS_PER_INCH))
    return "\n".join(
        part for line in text.splitlines() for part in textwrap.wrap(line, chars) or [""]
    )


class _Figure(Figure):
    """A figure that draws its texts as written, with the installed CJK fonts as fallbacks.

    Fonts are looked up when the figure is drawn (saved, or shown in a notebook), and
    tick labels are only made then: the fallbacks are set around the drawing itself, and
    texts added after the figure was made (in a notebook) are drawn as written too.
    """

    def draw(self, renderer: RendererBase) -> None:
        draw_as_written(self)
        with cjk_fallback(self):
            super().draw(renderer)


def new_figure(width: float = 7.5, height: float = 4.5) -> Figure:
    """A figure with constrained layout, outside pyplot, that draws any name as written."""
    return _Figure(figsize=(width, height), layout="constrained")


_LEGEND_INSIDE = 4  # more legend entries than this go beside the axes
# Height of a legend row at the legend's 10 pt with matplotlib's spacing (1.5 lines),
# and of the figure's title and axis labels, which the legend's columns leave free.
_LEGEND_ROW_INCHES = 10 * 1.5 / 72
_LEGEND_MARGIN_INCHES = 1.2
_LEGEND_GAP_INCHES = 0.15  # between the legend and the figure's right edge
_LEGEND_MAX_COLUMNS = 2  # more would make a wide strip of a figure: it grows taller


def _figure_width(ax: Axes) -> float:
    """Width in inches of the figure ``ax`` is drawn in."""
    fig = ax.get_figure(root=True)
    return float(fig.get_figwidth()) if fig is not None else 7.5


def finish_axes(ax: Axes, title: str, xlabel: str, ylabel: str, *, legend: bool = True) -> None:
    """Title, axis labels, grid and legend, the same on every plot."""
    ax.set_title(fitted_title(title, _figure_width(ax)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    if not legend or not handles:
        return
    if len(handles) > _LEGEND_INSIDE:  # many curves: the legend would hide some of them
        _legend_beside(ax, len(handles))
    else:
        ax.legend(frameon=False)


def _legend_beside(ax: Axes, entries: int) -> None:
    """The legend right of the axes, whole: in two columns, and taller, when it must be.

    The figure widens by the legend's own measured width, so long names stay whole, and
    grows taller when even two columns of entries are longer than it is high.
    """
    # Our axes sit on a Figure (new_figure), never on a SubFigure, which has no size.
    fig: Figure = ax.figure  # type: ignore[assignment]
    rows = max(1, int((fig.get_figheight() - _LEGEND_MARGIN_INCHES) / _LEGEND_ROW_INCHES))
    columns = min(-(-entries // rows), _LEGEND_MAX_COLUMNS)
    needed = -(-entries // columns) * _LEGEND_ROW_INCHES + _LEGEND_MARGIN_INCHES
    fig.set_figheight(max(fig.get_figheight(), needed))
    legend = ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=columns)
    width = legend.get_window_extent().width / fig.dpi
    fig.set_figwidth(fig.get_figwidth() + width + _LEGEND_GAP_INCHES)


def lone_point(
    ax: Axes, x: np.ndarray, mean: np.ndarray, half: np.ndarray, *, colour: str, label: str
) -> None:
    """A mean and its band at one x, as a marker with an error bar.

    A line and a ``fill_between`` band of a single x draw nothing at all.
    """
    ax.errorbar(
        x, mean, yerr=np.nan_to_num(half), fmt="s", markersize=5, capsize=4, color=colour,
        label=label,
    )  # fmt: skip


def metric_kind(metric: str) -> str:
    """``time`` (seconds), ``rate`` (a fraction) or ``count``."""
    if metric in TIME_METRICS or metric.endswith(("_s", "_time")):
        return "time"
    if metric in RATE_METRICS or metric in {"bot_share", "not_visible_rate", "overflow_rate"}:
        return "rate"
    if metric.endswith(("_rate", "_share", "_level")):
        return "rate"
    return "count"


def metric_name(metric: str) -> str:
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


def contacts_frame(data: WaitData) -> pd.DataFrame:
    """Per-contact rows (counted contacts only, for results) with a variant column."""
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


def ordered_values(values: pd.Series) -> list[object]:
    """Distinct values in category order if categorical, else in order of appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    return list(pd.unique(values.dropna()))


def select_queues(frame: pd.DataFrame, queues: Sequence[str] | str | None) -> pd.DataFrame:
    """Rows of the named queues (all when None); unknown names are a PlotError.

    One name alone (a ``str``) is that queue, not one queue per character.
    """
    if isinstance(queues, str):
        queues = [queues]
    if "queue" not in frame:
        raise PlotError("the data has no 'queue' column")
    known = [str(q) for q in ordered_values(frame["queue"])]
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
    return waits_by_series(contacts_frame(data), queues)[0]


def waits_by_series(
    frame: pd.DataFrame, queues: Sequence[str] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """:func:`wait_series` of a contacts table, and the queues that have answered contacts."""
    frame = select_queues(frame, queues)
    keys = [k for k in ("variant", "queue") if k in frame and frame[k].nunique() > 1]
    keys = keys or ["queue"]
    answered = frame[frame["wait"].notna()]
    series = {}
    for combo in itertools.product(*(ordered_values(frame[k]) for k in keys)):
        select = np.ones(len(answered), dtype=bool)
        for key, value in zip(keys, combo, strict=True):
            select &= (answered[key] == value).to_numpy()
        waits = answered["wait"].to_numpy(dtype=float)[select]
        if len(waits):
            series[" · ".join(str(v) for v in combo)] = waits
    if not series:
        asked = [queues] if isinstance(queues, str) else list(queues or [])
        where = f" at queue{'s' if len(asked) > 1 else ''} {', '.join(map(repr, asked))}"
        raise PlotError("no answered contacts to plot" + (where if asked else ""))
    return series, [str(q) for q in ordered_values(answered["queue"])]


def threshold_of(data: WaitData) -> float | None:
    """The service-level threshold of the scenario(s) behind the data, when known."""
    if isinstance(data, Results):
        return data.scenario.service_level_threshold
    if isinstance(data, Mapping):
        found = {r.scenario.service_level_threshold for r in data.values()}
        return found.pop() if len(found) == 1 else None
    return None


def describe_data(data: WaitData) -> str:
    """``"scenario, N replications"`` for titles, from whatever the data says."""
    if isinstance(data, Results):
        return f"{data.scenario.name}, {count(len(data.runs), 'replication')}"
    if isinstance(data, Mapping):
        names = {r.scenario.name for r in data.values()}
        reps = {len(r.runs) for r in data.values()}
        text = ", ".join(sorted(names))
        return text + (f", {count(reps.pop(), 'replication')} each" if len(reps) == 1 else "")
    if "scenario" in data:
        return ", ".join(str(s) for s in ordered_values(data["scenario"]))
    return ""


def title_for(what: str, data: WaitData, queues: Sequence[str] = ()) -> str:
    """``what`` over a line saying where the data come from (and the queue, if only one)."""
    about = describe_data(data)
    if len(queues) == 1:
        about = " · ".join(filter(None, [about, f"queue {queues[0]}"]))
    return f"{what}\n{about}" if about else what


def mark_threshold(ax: Axes, threshold: float | None, unit: TimeUnit) -> None:
    """A dotted vertical line at the service-level threshold, if there is one."""
    if threshold is None:
        return
    ax.axvline(
        threshold / unit.seconds,
        color="0.35",
        linestyle=":",
        linewidth=1.2,
        label=f"service-level threshold ({format_duration(threshold)})",
    )
