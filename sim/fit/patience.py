"""Patience: the censoring problem, by Kaplan-Meier and by censored maximum likelihood.

A contact that abandoned shows its patience exactly (``end - arrive``); one that was
answered after waiting ``w`` only shows that its patience exceeded ``w`` (right-censored).
Treating answered waits as patience, or ignoring them, biases the estimate badly; both
estimators here use them as censored observations. Kaplan-Meier
(:func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`) gives the curve without
assuming a shape; the parametric fits (exponential, lognormal, gamma) give the
scenario's distribution, chosen by AIC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.fit.estimate import FAMILIES, FamilyFit, fit_durations

__all__ = ["MIN_ABANDONED", "PatienceFit", "fit_patience"]

# Below this many abandonments, only the one-parameter exponential is fitted.
MIN_ABANDONED = 30


@dataclass(frozen=True)
class PatienceFit:
    """The patience fit of one queue: Kaplan-Meier, every family and the choice."""

    queue: str
    fits: list[FamilyFit]
    exact: np.ndarray
    censored: np.ndarray

    @property
    def best(self) -> FamilyFit:
        """The family with the lowest AIC."""
        return self.fits[0]

    def kaplan_meier(self) -> stats._survival.ECDFResult:
        """Kaplan-Meier estimate of the patience survival function (``.sf``)."""
        return stats.ecdf(stats.CensoredData(uncensored=self.exact, right=self.censored))

    def distribution(self) -> dict[str, object]:
        """The ``patience:`` block of the scenario."""
        return self.best.block()


def fit_patience(queue: str, exact: np.ndarray, censored: np.ndarray) -> PatienceFit | None:
    """Fit patience from abandoned waits (exact) and answered waits (censored).

    Returns None when nobody abandoned: patience is then not identifiable, and the
    scenario gives the queue none (contacts wait as long as needed).
    """
    exact = np.asarray(exact, float)
    censored = np.asarray(censored, float)
    exact, censored = exact[np.isfinite(exact)], censored[np.isfinite(censored)]
    if not len(exact):
        return None
    families = FAMILIES if len(exact) >= MIN_ABANDONED else ("exponential",)
    return PatienceFit(queue, fit_durations(exact, censored, families), exact, censored)
