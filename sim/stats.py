"""Confidence intervals over replications (Student t, 95%)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["mean_ci", "summarize"]


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
    half = stats.t.ppf((1 + level) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean()), float(half)


def summarize(per_rep: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and ``<metric>_ci95`` half-width of each metric over replications."""
    rows = []
    for key, group in per_rep.groupby(by, sort=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for m in metrics:
            row[m], row[f"{m}_ci95"] = mean_ci(group[m].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)
