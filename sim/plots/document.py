"""The document against the simulation: targets, tolerance bands, simulated CIs."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plots.base import OKABE_ITO, PlotError, finish_axes, metric_kind, metric_name, new_figure
from sim.units import format_duration, parse_duration

__all__ = ["document_comparison"]

# -- the document against the simulation ----------------------------------------------------

_COMPARISON_COLUMNS = ("queue", "metric", "value", "simulated", "ci95", "tolerance", "passed")
_Z_LIMIT = 4.0  # deviations beyond this many tolerances are drawn at the edge, as arrows
_Z_EDGE = _Z_LIMIT + 0.4
# A target without tolerance is drawn against this share of its value instead.
_FALLBACK_SCALE = 0.1


def _absolute_tolerance(value: float, tolerance: str | Mapping[str, float | None] | float) -> float:
    """A tolerance as a half-width in the metric's units (accepts ``"10%"``, ``"30s"``)."""
    if isinstance(tolerance, str):
        text = tolerance.strip()
        if text.endswith("%"):
            return float(text[:-1]) / 100 * abs(value)
        return parse_duration(text)
    if isinstance(tolerance, Mapping):  # {"relative": r} or {"absolute": a}
        relative = tolerance.get("relative")
        if relative is not None:
            return float(relative) * abs(value)
        return float(tolerance.get("absolute") or 0.0)
    return float(tolerance)


def _format_value(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    kind = metric_kind(metric)
    if kind == "time":
        return format_duration(value)
    if kind == "rate":
        return f"{100 * value:.1f}%"
    return f"{value:.3g}"


def _format_tolerance(metric: str, half: float) -> str:
    if metric_kind(metric) == "rate":
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
    # The --json rows write a missing figure or CI as null: a column of only nulls is
    # not a number column until it is made one (NaN), as the drawing expects.
    for column in ("value", "simulated", "ci95"):
        out[column] = out[column].astype(float)
    value = out["value"]
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
    text = f"{where} · {metric_name(what)}"
    return textwrap.fill(text, _LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)


_ROW_INCHES = 0.38  # height of a one-line row of the comparison chart


def _row_positions(labels: list[str]) -> tuple[list[float], float]:
    """Centres of rows that grow with their label's lines, and the total height (in rows)."""
    spans = [0.75 + 0.5 * label.count("\n") for label in labels]
    spans = [max(1.0, s) for s in spans]
    edges = np.concatenate([[0.0], np.cumsum(spans)])
    return list((edges[:-1] + edges[1:]) / 2), float(edges[-1])


def _comparison_layout(table: pd.DataFrame) -> list[str | pd.Series]:
    """Rows of the chart: targets, under a header row per scenario when there are several.

    A header is the scenario's name (a string); a target is its row of ``table``.
    """
    if "scenario" not in table or table["scenario"].nunique() < 2:
        return [row for _, row in table.iterrows()]
    entries: list[str | pd.Series] = []
    for name in pd.unique(table["scenario"]):
        entries.append(str(name))
        entries += [row for _, row in table[table["scenario"] == name].iterrows()]
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


def _draw_band(ax: Axes, y: float, row: pd.Series) -> None:
    """The tolerance as a grey bar: both sides, or open-ended for one-sided targets."""
    bound = str(row.get("bound", "equal"))
    low = -_Z_EDGE if bound == "at_most" else -row["z_tol"]
    high = _Z_EDGE if bound == "at_least" else row["z_tol"]
    ax.barh(y, high - low, left=low, height=0.7, color="0.88", zorder=0)


def _draw_target(ax: Axes, y: float, row: pd.Series) -> None:
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
    left = [e if isinstance(e, str) else _comparison_label(e) for e in entries]
    ys, total = _row_positions(left)
    fig = new_figure(11.0, 1.8 + _ROW_INCHES * total)
    ax = fig.add_subplot()
    ax.axvline(0, color="0.4", linewidth=1)
    for y, row in zip(ys, entries, strict=True):
        if not isinstance(row, str):
            _draw_band(ax, y, row)
            _draw_target(ax, y, row)
    ax.set_yticks(ys, left)
    for tick, entry in zip(ax.get_yticklabels(), entries, strict=True):
        if isinstance(entry, str):
            tick.set_fontweight("bold")
    ax.set_ylim(total, 0)
    ax.set_xlim(-_Z_EDGE, _Z_EDGE)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    figures = ["" if isinstance(e, str) else _comparison_figures(e) for e in entries]
    right.set_yticks(ys, figures, fontsize=8.5)
    passed = int(table["passed"].astype(bool).sum())
    title = f"Document vs simulation: {passed} of {len(table)} targets within tolerance"
    finish_axes(ax, title, "(simulated − document) / tolerance", "", legend=False)
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
