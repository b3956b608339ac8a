"""The back-test folder (``sim fit --report DIR``): CSV tables, PNG figures, report.html.

The tables are :meth:`FitResult.report`'s DataFrames; the figures are
:mod:`sim.plots.fit`'s, per queue. The files are planned (checked) before the fit runs
and written together through :class:`sim.outputs.OutputPlan`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.outputs import OutputPlan

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.fit.result import FitResult

__all__ = ["TABLES", "figure_names", "plan_report", "report_writers"]

TABLES = (
    "parameters",
    "distributions",
    "cleaning",
    "staffing",
    "arrivals",
    "backtest_overall",
    "backtest_daily",
    "backtest_hourly",
)
REPORT = "report.html"
FIGURES = ("backtest_daily", "backtest_hourly", "handle_time", "patience", "staffing")


def figure_names(queues: list[str]) -> list[str]:
    """Every figure file the folder may hold for these queues."""
    return [f"{kind}_{queue}.png" for queue in queues for kind in FIGURES]


def plan_report(plan: OutputPlan, folder: str | Path, queues: list[str]) -> Path:
    """Check the folder and every file it may receive, before the fit runs."""
    names = [f"{t}.csv" for t in TABLES] + figure_names(queues) + [REPORT]
    return plan.folder(folder, names, "--report")


def _figures(result: FitResult) -> dict[str, Callable]:
    from sim import plots  # noqa: PLC0415 - matplotlib only when drawing

    figures: dict[str, Callable] = {}
    for q in result.queues:
        name = q.queue
        figures[f"backtest_daily_{name}.png"] = lambda n=name: plots.backtest_figure(result, n)
        figures[f"backtest_hourly_{name}.png"] = lambda n=name: plots.backtest_figure(
            result, n, by="hour"
        )
        figures[f"staffing_{name}.png"] = lambda n=name: plots.staffing_figure(result, n)
        if q.handle is not None:
            figures[f"handle_time_{name}.png"] = lambda n=name: plots.handle_time_figure(result, n)
        if q.patience is not None:
            figures[f"patience_{name}.png"] = lambda n=name: plots.patience_figure(result, n)
    return figures


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False)


def _write_png(draw: Callable[[], Figure], path: Path) -> None:
    from sim.report.figures import PNG_DPI  # noqa: PLC0415

    draw().savefig(path, dpi=PNG_DPI, format="png")


def report_writers(
    result: FitResult, folder: str | Path, page: str | None = None
) -> dict[Path, Callable[[Path], object]]:
    """Writers of the tables and figures in ``folder`` (planned with :func:`plan_report`).

    ``page``: the HTML report, written beside them as ``report.html``.
    """
    folder = Path(folder)
    tables = result.report()
    writers: dict[Path, Callable[[Path], object]] = {
        folder / f"{name}.csv": functools.partial(_write_csv, tables[name]) for name in TABLES
    }
    for name, draw in _figures(result).items():
        writers[folder / name] = functools.partial(_write_png, draw)
    if page is not None:
        writers[folder / REPORT] = lambda p: p.write_text(page, encoding="utf-8")
    return writers
