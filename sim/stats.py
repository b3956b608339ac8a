"""Confidence intervals over replications (Student t, 95%).

:func:`mean_ci` is the interval of a figure's mean; :func:`ratio_ci` that of a ratio of
two figures' means (the classical ratio estimator of simulation output analysis).

The t quantile is ``scipy.special.stdtrit``, the function ``scipy.stats.t.ppf`` calls
(the same numbers, checked for 1 to 20,000 degrees of freedom): ``scipy.stats`` takes a
second to import, and ``sim validate`` needs only the quantile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import stdtrit

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["mean_ci", "ratio_ci", "summarize"]


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and t-based half-width of the ``level`` CI, ignoring NaNs (NaN if n < 2).

    Values with no spread give the value itself and a half-width of 0.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    if len(x) < 2:
        return float(x.mean()), float("nan")
    if np.all(x == x[0]):
        # No spread: the value itself, not a rounded sum of copies (0.7 x 3 / 3 is
        # 0.6999999999999998, with a "CI" of 3e-16 that a band's edge then trips on).
        return float(x[0]), 0.0
    half = stdtrit(len(x) - 1, (1 + level) / 2) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean()), float(half)


def ratio_ci(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """``mean(x) / mean(y)`` and the t-based half-width of its ``level`` CI.

    Over the replications where both are defined (not NaN). The mean of per-replication
    ratios would estimate E[x / y] instead, which exceeds E[x] / E[y] by about the squared
    coefficient of variation of ``y`` however many replications run. The half-width is
    the delta method's: t * sd(x - r y) / (sqrt(n) |mean(y)|). NaN when ``y``'s mean is
    0 or nothing is defined; NaN half-width with fewer than 2 pairs.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if len(x) == 0 or not np.isfinite(y.mean()) or y.mean() == 0:
        return float("nan"), float("nan")
    ratio = float(x.mean() / y.mean())
    if len(x) < 2:
        return ratio, float("nan")
    if np.all(y != 0) and np.ptp(x / y) <= 1e-12 * abs(ratio):
        # The same ratio in every replication, to rounding (1.4 / 2 and 2.1 / 3 differ in
        # their last bit): no spread, as in mean_ci, not a "CI" of 1e-16.
        return ratio, 0.0
    spread = stdtrit(len(x) - 1, (1 + level) / 2) * (x - ratio * y).std(ddof=1)
    return ratio, float(spread / (np.sqrt(len(x)) * abs(y.mean())))


def summarize(per_rep: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and ``<metric>_ci95`` half-width of each metric over replications."""
    import pandas as pd  # noqa: PLC0415 - the intervals above do without pandas

    rows = []
    for key, group in per_rep.groupby(by, sort=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for m in metrics:
            row[m], row[f"{m}_ci95"] = mean_ci(group[m].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)
