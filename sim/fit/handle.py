"""Handle time: exponential, lognormal and gamma by maximum likelihood, chosen by AIC.

The handle time of a visit an agent took is ``end - answer``. Each family is fitted by
maximum likelihood (:mod:`sim.fit.estimate`); the lowest AIC wins. When even the winner
is far from the data (KS distance above :data:`EMPIRICAL_KS`), the scenario gets the
empirical distribution instead: :data:`QUANTILES` evenly spaced quantiles of the
observed handle times, resampled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.fit.estimate import Estimate, FamilyFit, fit_durations
from sim.stats import mean_ci

__all__ = ["EMPIRICAL_KS", "QUANTILES", "HandleFit", "fit_handle"]

# A KS distance this large means the family misses the shape by five percentage points
# of probability somewhere: resampling the data is then more faithful.
EMPIRICAL_KS = 0.05
QUANTILES = 100


@dataclass(frozen=True)
class HandleFit:
    """The handle-time fit of one queue: every family, the choice and the data."""

    queue: str
    fits: list[FamilyFit]
    chosen: str
    mean: Estimate
    cv: Estimate | None
    data: np.ndarray

    def distribution(self) -> dict[str, object]:
        """The ``service:`` block of the scenario."""
        if self.chosen == "empirical":
            probabilities = (np.arange(QUANTILES) + 0.5) / QUANTILES
            values = np.quantile(self.data, probabilities)
            return {"dist": "empirical", "values": [round(float(v), 1) for v in values]}
        return self.fits[0].block()


def fit_handle(queue: str, handle: np.ndarray) -> HandleFit | None:
    """Fit the handle times of one queue (None when there are fewer than 2)."""
    handle = np.asarray(handle, float)
    handle = handle[np.isfinite(handle) & (handle >= 0)]
    if len(handle) < 2:
        return None
    fits = fit_durations(handle)
    best = fits[0]
    if best.ks > EMPIRICAL_KS:
        mean, half = mean_ci(handle)
        estimate = Estimate(mean, mean - half, mean + half, "empirical, t CI", len(handle))
        return HandleFit(queue, fits, "empirical", estimate, None, handle)
    return HandleFit(queue, fits, best.family, best.mean, best.cv, handle)
