"""Figures of a fit: the back-test, the fitted distributions and the inferred staffing.

Each function takes a :class:`~sim.fit.FitResult` (and a queue) and returns a Figure.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.plots.base import (
    OKABE_ITO,
    PlotError,
    fitted_title,
    line_style,
    lone_point,
    new_figure,
    time_unit,
)

if TYPE_CHECKING:
    from sim.fit import FitResult

__all__ = ["backtest_figure", "handle_time_figure", "patience_figure", "staffing_figure"]

_PANELS = (
    ("arrivals", "visits", 1.0),
    ("abandon_rate", "abandoned (%)", 100.0),
    ("mean_wait_s", "mean wait of answered", None),
    ("service_level", "answered within threshold (%)", 100.0),
)


def _rows(table: pd.DataFrame, queue: str) -> pd.DataFrame:
    rows = table[table["queue"] == queue]
    if rows.empty:
        known = ", ".join(sorted(table["queue"].astype(str).unique()))
        raise PlotError(f"unknown queue {queue!r}; the queues are: {known}")
    return rows


def backtest_figure(result: FitResult, queue: str, by: str = "date") -> Figure:
    """Observed (points, 95% CI) against simulated (line, CI band) by day or hour of day.

    Args:
        result: a fit.
        queue: the queue to show.
        by: ``date`` (one point per day of the log) or ``hour`` (hour of day).
    """
    backtest = result.backtest()
    table = _rows(backtest.daily if by == "date" else backtest.hourly, queue)
    x = np.arange(len(table))
    labels = table[by].astype(str).to_list()
    fig = new_figure(11, 7)
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (metric, label, scale) in zip(axes.flat, _PANELS, strict=True):
        unit = time_unit(table[f"observed_{metric}"].to_numpy(float)) if scale is None else None
        k = 1 / unit.seconds if unit else scale
        sim_mean = table[f"simulated_{metric}"].to_numpy(float) * k
        band = table[f"simulated_{metric}_band"].to_numpy(float) * k
        obs_x = _simulated(ax, x, sim_mean, band)
        obs = table[f"observed_{metric}"].to_numpy(float) * k
        low: np.ndarray
        high: np.ndarray
        if metric == "arrivals":
            low, high = (table[f"observed_arrivals_{s}"].to_numpy(float) for s in ("low", "high"))
        else:
            low, high = (
                table[f"observed_{metric}_{s}"].to_numpy(float) * k for s in ("low", "high")
            )
        err = np.vstack([np.clip(obs - low, 0, None), np.clip(high - obs, 0, None)])
        ax.errorbar(obs_x, obs, yerr=np.nan_to_num(err), fmt="o", markersize=3.5, capsize=2,
                    color=OKABE_ITO[3], label="observed (95% CI)")  # fmt: skip
        ax.set_ylabel(f"{label} ({unit.name})" if unit else label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    step = max(1, len(labels) // 14)
    for ax in axes[1]:
        ax.set_xticks(x[::step], labels[::step], rotation=45 if by == "date" else 0, ha="right")
        ax.set_xlabel("date" if by == "date" else "hour of day")
    axes[0, 0].legend(frameon=False, fontsize="small")
    title = (
        f"Back-test of the fitted scenario, queue {queue}: the log against "
        f"{backtest.replications} simulated runs"
    )
    fig.suptitle(fitted_title(title, fig.get_figwidth()))
    return fig


# A log of one day: the simulated and observed points side by side, this far apart.
_ONE_DAY_OFFSET = 0.1


def _simulated(ax: Axes, x: np.ndarray, mean: np.ndarray, band: np.ndarray) -> np.ndarray:
    """The simulated mean and one run's range; returns where the observed points go."""
    if len(x) == 1:
        lone_point(
            ax, x - _ONE_DAY_OFFSET, mean, band, colour=OKABE_ITO[0],
            label="simulated: mean (bar: one run's 95% range)",
        )  # fmt: skip
        ax.set_xlim(-1, 1)
        return x + _ONE_DAY_OFFSET
    ax.fill_between(x, mean - band, mean + band, color=OKABE_ITO[0], alpha=0.15, linewidth=0,
                    label="simulated: one run's 95% range")  # fmt: skip
    ax.plot(x, mean, label="simulated: mean", **line_style(0))
    return x


def handle_time_figure(result: FitResult, queue: str) -> Figure:
    """Handle times: histogram with every fitted density, and a QQ plot of the choice."""
    fit = result.queue(queue).handle
    if fit is None:
        raise PlotError(f"queue {queue!r} has no agent-handled visits")
    data = fit.data
    unit = time_unit([np.percentile(data, 99)])
    fig = new_figure(11, 4.5)
    left, right = fig.subplots(1, 2)
    top = np.percentile(data, 99)
    left.hist(data / unit.seconds, bins=np.linspace(0, top, 50) / unit.seconds, density=True,
              color=OKABE_ITO[4], alpha=0.6, label=f"observed (n = {len(data):,})")  # fmt: skip
    grid = np.linspace(top / 500, top, 400)
    for i, f in enumerate(fit.fits):
        left.plot(grid / unit.seconds, f.dist.pdf(grid) * unit.seconds,
                  label=f"{f.family} (AIC {f.aic - fit.fits[0].aic:+.0f}, KS {f.ks:.3f})",
                  **line_style(i))  # fmt: skip
    left.set_xlabel(f"handle time ({unit.name})")
    left.set_ylabel(f"density (per {unit.symbol})")
    left.set_title("Handle time and the fitted families")
    left.legend(frameon=False, fontsize="small")
    chosen = fit.fits[0]
    p = (np.arange(1, 200) - 0.5) / 199
    observed = np.quantile(data, p)
    fitted = chosen.dist.ppf(p)
    right.plot(fitted / unit.seconds, observed / unit.seconds, "o", markersize=3,
               color=OKABE_ITO[0])  # fmt: skip
    edge = max(observed.max(), fitted.max()) / unit.seconds
    right.plot([0, edge], [0, edge], color="0.4", linestyle=":")
    right.set_xlabel(f"{chosen.family} quantile ({unit.name})")
    right.set_ylabel(f"observed quantile ({unit.name})")
    note = " (scenario uses the empirical quantiles)" if fit.chosen == "empirical" else ""
    right.set_title(f"QQ plot, best family {chosen.family}{note}")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(f"Queue {queue}")
    return fig


def patience_figure(result: FitResult, queue: str) -> Figure:
    """Patience survival: Kaplan-Meier with its 95% band and every parametric fit."""
    fit = result.queue(queue).patience
    if fit is None:
        raise PlotError(f"queue {queue!r} has no abandoned visits: patience not fitted")
    km = fit.kaplan_meier().sf
    with warnings.catch_warnings():
        # Greenwood's band is undefined where the curve reaches 0; scipy says so each time.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = km.confidence_interval(0.95)
    t = km.quantiles
    top = float(np.percentile(np.concatenate([fit.exact, fit.censored]), 99))
    unit = time_unit([top])
    fig = new_figure(8, 5)
    ax = fig.add_subplot()
    ax.step(t / unit.seconds, km.probabilities, where="post", color="0.2",
            label="Kaplan-Meier (answered waits censored)")  # fmt: skip
    # scipy-stubs type the band's ends as numbers; scipy gives two empirical functions.
    low, high = band.low.probabilities, band.high.probabilities  # type: ignore[attr-defined]
    ax.fill_between(t / unit.seconds, low, high, step="post", color="0.5", alpha=0.2,
                    linewidth=0, label="its 95% CI")  # fmt: skip
    grid = np.linspace(0, top, 400)
    for i, f in enumerate(fit.fits):
        ax.plot(grid / unit.seconds, f.dist.sf(grid),
                label=f"{f.family}, mean {f.mean.value / unit.seconds:.3g} {unit.symbol} "
                f"(AIC {f.aic - fit.fits[0].aic:+.0f})", **line_style(i))  # fmt: skip
    ax.set_xlim(0, top / unit.seconds)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"time waited ({unit.name})")
    ax.set_ylabel("P(patience > t)")
    ax.set_title(
        f"Patience, queue {queue}: {len(fit.exact):,} abandoned, {len(fit.censored):,} censored"
    )
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    return fig


def staffing_figure(result: FitResult, queue: str) -> Figure:
    """Agents present and effective (available) per interval over the log's period."""
    table = result.queue(queue).staffing.intervals
    times = pd.to_datetime(table["time"])
    fig = new_figure(11, 4)
    ax = fig.add_subplot()
    ax.step(times, table["present"], where="post", label="present", **line_style(0))
    ax.step(times, table["effective"], where="post", label="effective (scenario staff)",
            **line_style(1))  # fmt: skip
    ax.plot(times, table["busy"], linewidth=0.8, color=OKABE_ITO[2], label="busy")
    ax.set_ylabel("agents")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Staffing inferred from the log, queue {queue}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize="small")
    fig.autofmt_xdate()
    return fig
