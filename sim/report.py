"""Terminal tables: what a person reads after ``sim run``."""

from __future__ import annotations

import math

import pandas as pd

from sim.units import format_duration

__all__ = ["format_summary"]

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


def _value(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "time":
        return format_duration(value)
    if kind == "share":
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}"


def _cell(row: pd.Series, metric: str, kind: str) -> str:
    text = _value(row[metric], kind)
    half = row.get(f"{metric}_ci95", math.nan)
    if text != "-" and not (isinstance(half, float) and math.isnan(half)):
        text += f" ±{_value(half, kind).rstrip('%')}" if kind != "count" else ""
    return text


def format_summary(summary: pd.DataFrame, title: str, threshold: float) -> str:
    """A fixed-width table of the main metrics, mean ± 95% CI half-width per queue."""
    header = ["queue"] + [
        f"SL {format_duration(threshold)}" if t == "SL" else t for t, _, _ in COLUMNS
    ]
    rows = [
        [str(name)] + [_cell(row, metric, kind) for _, metric, kind in COLUMNS]
        for name, row in summary.iterrows()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join
    out = [
        title,
        line(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        ),
    ]
    out.append(line("-" * w for w in widths))
    out += [
        line(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    return "\n".join(out)
