"""Figures as files: one figure saved, or the standard set of a run written into a folder.

matplotlib is imported when a figure is drawn, so importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.results import Results
    from sim.scenario import Scenario

__all__ = [
    "HEATMAP_MIN_DAYS",
    "PNG_DPI",
    "calendar_days",
    "long_tail",
    "save_figure",
    "write_standard_plots",
]

PNG_DPI = 150
# A heat map of one day is the hourly profile again; it earns its place from two days on.
HEATMAP_MIN_DAYS = 2


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` (PNG at :data:`PNG_DPI`, or SVG/PDF by the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=PNG_DPI if path.suffix.lower() == ".png" else "figure")
    return path


def calendar_days(scenario: Scenario) -> int:
    """Calendar days that the measurement window (warm-up to duration) touches."""
    from sim.plots import day_index  # noqa: PLC0415
    from sim.timeline import Clock  # noqa: PLC0415

    w0, w1 = scenario.warmup, scenario.duration
    first, last = day_index(np.array([w0, np.nextafter(w1, w0)]), Clock(scenario.start))
    return int(last - first + 1)


# Waits whose longest is this many times their 90th percentile get a logarithmic time
# axis, or the curve's body is squeezed against zero by a few overnight waits.
LONG_TAIL_RATIO = 10.0


def long_tail(waits: np.ndarray) -> bool:
    """Whether a few waits are so long that a logarithmic time axis reads better."""
    p90 = float(np.percentile(waits, 90))
    return float(waits.max()) > LONG_TAIL_RATIO * max(p90, 1.0)


def write_standard_plots(results: Results, out_dir: str | Path) -> list[Path]:
    """Write the standard plots of a run as PNG files into ``out_dir``.

    Per queue with answered contacts: ``wait_histogram_<queue>.png``,
    ``wait_survival_<queue>.png`` (on a logarithmic time axis when a few waits are far
    longer than the rest) and ``hourly_<queue>.png``, plus
    ``wait_heatmap_<queue>.png`` when the run spans two calendar days or more; and one
    ``wait_survival.png`` with every such queue on a logarithmic time axis.

    Returns:
        The paths written, in that order.
    """
    from sim import plots  # noqa: PLC0415

    out = Path(out_dir)
    summary = results.summary()
    queues = [str(q) for q in summary.index[summary["answered"] > 0]]
    written = []
    for queue in queues:
        figures = {
            f"wait_histogram_{queue}": plots.wait_histogram(results, [queue]),
            f"wait_survival_{queue}": plots.wait_survival(
                results, [queue], logx=long_tail(plots.wait_series(results, [queue])[queue])
            ),
            f"hourly_{queue}": plots.hourly_profile(results, queue),
        }
        if calendar_days(results.scenario) >= HEATMAP_MIN_DAYS:
            figures[f"wait_heatmap_{queue}"] = plots.wait_heatmap(results, queue)
        written += [save_figure(fig, out / f"{name}.png") for name, fig in figures.items()]
    if len(queues) > 1:
        combined = plots.wait_survival(results, queues, logx=True)
        written.append(save_figure(combined, out / "wait_survival.png"))
    return written
