"""Terminal tables: what a person reads after ``sim run``, ``compare``, ``sweep``, ``staff``.

One source of truth for how a figure is written (a duration, a percentage, a count,
with its 95% CI half-width), used by the command line and by the HTML report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.units import format_duration

__all__ = [
    "COLUMNS",
    "SHOWN",
    "fmt",
    "format_summary",
    "grid",
    "metric_kind",
    "with_ci",
]

# (column title, metric, kind)
COLUMNS = (
    ("arrivals", "arrivals", "count"),
    ("answered", "answered", "count"),
    ("mean wait", "mean_wait_s", "time"),
    ("p90 wait", "p90_wait_s", "time"),
    ("SL", "service_level", "share"),
    ("abandon", "abandon_rate", "share"),
    ("resolved", "resolution_rate", "share"),
    ("escalated", "escalation_rate", "share"),
    ("util", "utilization", "share"),
)
# Metrics shown in what-if tables (JSON and CSV carry all of them).
SHOWN = tuple(column for column in COLUMNS if column[1] != "answered")
_KIND = {metric: kind for _, metric, kind in COLUMNS}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def metric_kind(metric: str) -> str:
    """How a metric is written: ``time``, ``share`` or ``count``."""
    if metric in _KIND:
        return _KIND[metric]
    if metric.endswith("_s"):
        return "time"
    return "share" if metric.endswith(("_rate", "_share", "utilization")) else "count"


def fmt(value: float, kind: str, *, signed: bool = False) -> str:
    """A figure in its units; ``signed`` writes a difference (``+1.2 pp``, ``-13.8s``)."""
    if _missing(value):
        return "-"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ""
    size = abs(value) if signed else value
    if kind == "time":
        return sign + format_duration(size)
    if kind == "share":
        return f"{sign}{100 * size:.1f}{' pp' if signed else '%'}"
    return f"{sign}{size:,.0f}" if abs(size) >= 100 else f"{sign}{size:,.3g}"


def with_ci(value: float, half: float, kind: str, *, signed: bool = False) -> str:
    """A figure with its 95% CI half-width (``40.4s ±3.74s``, ``64.3% ±2.7``)."""
    text = fmt(value, kind, signed=signed)
    if text == "-" or _missing(half):
        return text
    if kind == "share":
        return f"{text} ±{100 * half:.1f}"
    return f"{text} ±{fmt(half, kind)}"


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A fixed-width table; the first ``left`` columns are left-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def _summary_cell(row: pd.Series, metric: str, kind: str) -> str:
    if kind == "count":
        return "-" if _missing(row[metric]) else f"{row[metric]:,.0f}"
    return with_ci(row[metric], row.get(f"{metric}_ci95", math.nan), kind)


def format_summary(summary: pd.DataFrame, title: str, threshold: float) -> str:
    """A fixed-width table of the main metrics, mean ± 95% CI half-width per queue."""
    header = ["queue"] + [
        f"SL {format_duration(threshold)}" if t == "SL" else t for t, _, _ in COLUMNS
    ]
    rows = [
        [str(name)] + [_summary_cell(row, metric, kind) for _, metric, kind in COLUMNS]
        for name, row in summary.iterrows()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = ["-" * w for w in widths]
    return "\n".join([title, grid(header, [rule, *rows])])
