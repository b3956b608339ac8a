"""Figures as files: one figure saved, or the standard set of a run as images.

matplotlib is imported when a figure is drawn, so importing this module stays cheap.
The standard set is rendered to PNG bytes, so that a command writes the images with its
other files as one set (:mod:`sim.outputs`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.outputs import write_files

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.results import Results
    from sim.scenario import Scenario

__all__ = [
    "HEATMAP_MIN_DAYS",
    "PNG_DPI",
    "calendar_days",
    "image_writers",
    "long_tail",
    "png",
    "save_figure",
    "standard_images",
    "standard_plot_names",
    "write_standard_plots",
]

PNG_DPI = 150
# A heat map of one day is the hourly profile again; it earns its place from two days on.
HEATMAP_MIN_DAYS = 2


def save_figure(fig: Figure, path: Path, file_format: str | None = None) -> Path:
    """Write ``fig`` to ``path`` (PNG at :data:`PNG_DPI`, or SVG/PDF by the suffix).

    ``file_format`` overrides the suffix (a temporary file's name ends in ``.tmp``).
    """
    import matplotlib  # noqa: PLC0415 - imported when a figure is drawn

    kind = (file_format or path.suffix.lstrip(".")).lower()
    # The same figure gives the same bytes: no time of saving, and SVG ids hashed from
    # the content with a fixed salt instead of a random one.
    with matplotlib.rc_context({"svg.hashsalt": "sim"}):
        fig.savefig(
            path,
            format=kind,
            dpi=PNG_DPI if kind == "png" else "figure",
            metadata=_NO_DATE.get(kind),
        )
    return path


# The metadata key of each format's time of saving, left out.
_NO_DATE: dict[str, dict[str, None]] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


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


def standard_plot_names(scenario: Scenario) -> list[str]:
    """Every file name :func:`standard_images` can produce for ``scenario``.

    Known before the run (which queues get answered contacts is not), so a command can
    check every path it may write before simulating anything.
    """
    kinds = ["wait_histogram", "wait_survival", "hourly"]
    if calendar_days(scenario) >= HEATMAP_MIN_DAYS:
        kinds.append("wait_heatmap")
    names = [f"{kind}_{queue}.png" for queue in scenario.queues for kind in kinds]
    return [*names, "wait_survival.png"]


def standard_images(results: Results) -> dict[str, bytes]:
    """The standard plots of a run, as PNG images by file name.

    Per queue with answered contacts: ``wait_histogram_<queue>.png``,
    ``wait_survival_<queue>.png`` (on a logarithmic time axis when a few waits are far
    longer than the rest) and ``hourly_<queue>.png``, plus ``wait_heatmap_<queue>.png``
    when the run spans two calendar days or more; and one ``wait_survival.png`` with
    every such queue on a logarithmic time axis. Each figure is rendered and released at
    once, so a network of many queues does not hold dozens of figures.
    """
    from sim import plots  # noqa: PLC0415

    summary = results.summary()
    queues = [str(q) for q in summary.index[summary["answered"] > 0]]
    several_days = calendar_days(results.scenario) >= HEATMAP_MIN_DAYS
    images = {}
    for queue in queues:
        waits = plots.wait_series(results, [queue])[queue]
        images[f"wait_histogram_{queue}.png"] = png(plots.wait_histogram(results, [queue]))
        images[f"wait_survival_{queue}.png"] = png(
            plots.wait_survival(results, [queue], logx=long_tail(waits))
        )
        images[f"hourly_{queue}.png"] = png(plots.hourly_profile(results, queue))
        if several_days:
            images[f"wait_heatmap_{queue}.png"] = png(plots.wait_heatmap(results, queue))
    if len(queues) > 1:
        images["wait_survival.png"] = png(plots.wait_survival(results, queues, logx=True))
    return images


def png(fig: Figure) -> bytes:
    """``fig`` rendered as PNG at :data:`PNG_DPI`."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    return buffer.getvalue()


def image_writers(images: dict[str, bytes], out_dir: str | Path) -> dict[Path, Callable]:
    """``path -> writer`` for :meth:`sim.outputs.OutputPlan.write`, one per image."""
    return {Path(out_dir) / name: _bytes_writer(data) for name, data in images.items()}


def _bytes_writer(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def write_standard_plots(results: Results, out_dir: str | Path) -> list[Path]:
    """Write the standard plots of a run (see :func:`standard_images`) into ``out_dir``.

    The files appear together or not at all (:func:`sim.outputs.write_files`).

    Returns:
        The paths written.
    """
    return write_files(image_writers(standard_images(results), out_dir))
