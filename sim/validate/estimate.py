"""A target's figure over replications: its mean (or ratio of means) and 95% CI.

Each replication gives a target its *parts* (:func:`sim.validate.figures.target_parts`):
the figure alone, or for a ratio target the numerator and each candidate denominator
(the ``ratio_to`` reference, each of ``least_of``, or each other clock hour). The ratio
is the numerator's mean over the chosen denominator's mean: ``least_of`` the reference
with the lowest mean, ``best_other_hour`` the hour with the highest. Choosing per
replication instead (the lowest of noisy figures is lower than the lowest mean) and
averaging per-replication ratios would both bias the figure, whatever the count.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from sim.scenario import Target
from sim.stats import mean_ci, ratio_ci

__all__ = ["Estimate", "Parts", "estimate", "parts_table"]

# A target on one replication: its figure, or a ratio's numerator and denominators.
Parts = tuple[float, ...]


class Estimate(NamedTuple):
    """A target's figure over replications."""

    mean: float
    half: float  # the 95% CI half-width (NaN with fewer than 2 replications)
    used: int  # replications where the figure (both parts of a ratio) is defined


def parts_table(figures: Sequence[Sequence[object]], i: int) -> np.ndarray:
    """Target ``i``'s parts over replications: one row per replication.

    A replication's entry is a number (a plain figure) or a tuple of parts.
    """
    return np.array([f[i] for f in figures], dtype=float).reshape(len(figures), -1)


def estimate(target: Target, parts: np.ndarray) -> Estimate:
    """The target's figure over replications with its 95% CI half-width."""
    parts = np.asarray(parts, dtype=float).reshape(len(parts), -1)
    if not target.is_ratio:
        values = parts[:, 0]
        mean, half = mean_ci(values)
        return Estimate(mean, half, int(np.isfinite(values).sum()))
    numerator, candidates = parts[:, 0], parts[:, 1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a candidate undefined throughout
        means = np.nanmean(candidates, axis=0) if len(parts) else np.full(0, np.nan)
    defined = np.flatnonzero(np.isfinite(means))
    if not len(defined):
        return Estimate(math.nan, math.nan, 0)
    pick = np.argmax if target.ratio_to == "best_other_hour" else np.argmin
    denominator = candidates[:, defined[pick(means[defined])]]
    mean, half = ratio_ci(numerator, denominator)
    used = int((np.isfinite(numerator) & np.isfinite(denominator)).sum())
    return Estimate(mean, half, used)
