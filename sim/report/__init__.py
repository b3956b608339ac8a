"""Reporting: how results are written for people (terminal tables, figure files, HTML).

The engine never imports this package; it formats what the API returns.
"""

from sim.report.tables import (
    COLUMNS,
    SHOWN,
    Table,
    compare_table,
    fmt,
    format_summary,
    format_teams,
    grid,
    metric_kind,
    shift_table,
    staff_table,
    staff_verdict,
    summary_table,
    sweep_table,
    teams_table,
    with_ci,
)

__all__ = [
    "COLUMNS",
    "SHOWN",
    "Table",
    "compare_table",
    "fmt",
    "format_summary",
    "format_teams",
    "grid",
    "metric_kind",
    "shift_table",
    "staff_table",
    "staff_verdict",
    "summary_table",
    "sweep_table",
    "teams_table",
    "with_ci",
]
