"""Reporting: how results are written for people (terminal tables, figure files).

The engine never imports this package; it formats what the API returns.
"""

from sim.report.tables import COLUMNS, SHOWN, fmt, format_summary, grid, metric_kind, with_ci

__all__ = ["COLUMNS", "SHOWN", "fmt", "format_summary", "grid", "metric_kind", "with_ci"]
