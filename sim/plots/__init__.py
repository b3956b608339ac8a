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

from typing import TYPE_CHECKING

from sim.lazy import exports

if TYPE_CHECKING:
    from sim.errors import PlotError
    from sim.plots.base import (
        OKABE_ITO,
        TimeUnit,
        counted_contacts,
        time_unit,
        wait_series,
    )
    from sim.plots.document import document_comparison
    from sim.plots.fit import backtest_figure, handle_time_figure, patience_figure, staffing_figure
    from sim.plots.hourly import (
        day_index,
        heatmap_table,
        hour_exposure,
        hourly_profile,
        wait_heatmap,
    )
    from sim.plots.staffing import shift_plan
    from sim.plots.sweeps import sweep_curve, varied_columns
    from sim.plots.waits import wait_ecdf, wait_histogram, wait_survival

_HOMES = {
    "OKABE_ITO": "sim.plots.base",
    "PlotError": "sim.errors",
    "TimeUnit": "sim.plots.base",
    "counted_contacts": "sim.plots.base",
    "time_unit": "sim.plots.base",
    "wait_series": "sim.plots.base",
    "document_comparison": "sim.plots.document",
    "backtest_figure": "sim.plots.fit",
    "handle_time_figure": "sim.plots.fit",
    "patience_figure": "sim.plots.fit",
    "staffing_figure": "sim.plots.fit",
    "day_index": "sim.plots.hourly",
    "heatmap_table": "sim.plots.hourly",
    "hour_exposure": "sim.plots.hourly",
    "hourly_profile": "sim.plots.hourly",
    "wait_heatmap": "sim.plots.hourly",
    "shift_plan": "sim.plots.staffing",
    "sweep_curve": "sim.plots.sweeps",
    "varied_columns": "sim.plots.sweeps",
    "wait_ecdf": "sim.plots.waits",
    "wait_histogram": "sim.plots.waits",
    "wait_survival": "sim.plots.waits",
}

__all__ = [
    "OKABE_ITO",
    "PlotError",
    "TimeUnit",
    "backtest_figure",
    "counted_contacts",
    "day_index",
    "document_comparison",
    "handle_time_figure",
    "heatmap_table",
    "hour_exposure",
    "hourly_profile",
    "patience_figure",
    "shift_plan",
    "staffing_figure",
    "sweep_curve",
    "time_unit",
    "varied_columns",
    "wait_ecdf",
    "wait_heatmap",
    "wait_histogram",
    "wait_series",
    "wait_survival",
]

__getattr__, __dir__ = exports(__name__, _HOMES)
