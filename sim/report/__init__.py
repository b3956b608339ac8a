"""Reporting: how results are written for people (terminal tables, figure files, HTML).

The engine never imports this package; it formats what the API returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import exports

if TYPE_CHECKING:
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

_HOMES = {
    "COLUMNS": "sim.report.tables",
    "SHOWN": "sim.report.tables",
    "Table": "sim.report.tables",
    "compare_table": "sim.report.tables",
    "fmt": "sim.report.tables",
    "format_summary": "sim.report.tables",
    "format_teams": "sim.report.tables",
    "grid": "sim.report.tables",
    "metric_kind": "sim.report.tables",
    "shift_table": "sim.report.tables",
    "staff_table": "sim.report.tables",
    "staff_verdict": "sim.report.tables",
    "summary_table": "sim.report.tables",
    "sweep_table": "sim.report.tables",
    "teams_table": "sim.report.tables",
    "with_ci": "sim.report.tables",
}

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

__getattr__, __dir__ = exports(__name__, _HOMES)
