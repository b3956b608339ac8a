"""Staffing targets: '80% in 60s', 'mean wait 2m' or 'abandon 5%', parsed and checked."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from sim.staffing.base import TARGET_HELP, StaffingError
from sim.units import format_duration, parse_duration

__all__ = ["METRIC_OF", "StaffTarget", "parse_target"]

# -- targets -----------------------------------------------------------------------------

_SL = re.compile(r"^(\d+(?:\.\d+)?)\s*%\s*(?:answered\s+)?(?:in|within|<=?)\s*(\S.*)$", re.I)
_WAIT = re.compile(r"^(?:mean[\s_-]*)?wait(?:_s)?\s*(?:<=?)?\s*(\S.*)$", re.I)
_ABANDON = re.compile(r"^abandon(?:[\s_-]*rate)?\s*(?:<=?)?\s*(\d+(?:\.\d+)?)\s*(%?)$", re.I)

Kind = Literal["service_level", "mean_wait", "abandon"]
METRIC_OF: dict[str, str] = {
    "service_level": "service_level",
    "mean_wait": "mean_wait_s",
    "abandon": "abandon_rate",
}


@dataclass(frozen=True)
class StaffTarget:
    """A per-interval service target: ``kind`` at ``value`` (and answer-time ``threshold``)."""

    kind: Kind
    value: float
    threshold: float = math.nan
    text: str = ""

    @property
    def metric(self) -> str:
        """The per-interval figure the target is about."""
        return METRIC_OF[self.kind]

    @property
    def min_contacts(self) -> int:
        """Contacts an interval needs, over the replications, to be judged at its bound.

        A share ``p`` estimated from ``n`` contacts is near normal, as a t bound over
        replications assumes, once ``n p (1 - p) >= 5`` (the textbook condition for
        the normal approximation to a binomial): 32 contacts at an 80% target, 106 at
        95% or at 5% abandonment. A mean wait: 30, the usual rule for a mean.
        """
        if self.kind == "mean_wait":
            return 30
        return math.ceil(5 / (self.value * (1 - self.value)) - 1e-9)

    def describe(self) -> str:
        """The target in words."""
        if self.kind == "service_level":
            return f"{100 * self.value:g}% answered within {format_duration(self.threshold)}"
        if self.kind == "mean_wait":
            return f"mean wait at most {format_duration(self.value)}"
        return f"abandonment at most {100 * self.value:g}%"

    def shortfall(self, value: np.ndarray) -> np.ndarray:
        """Relative miss of each figure (0 where met or where there is nothing to measure)."""
        x = np.asarray(value, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            miss = (
                (self.value - x) / self.value
                if self.kind == "service_level"
                else ((x - self.value) / self.value)
            )
        return np.where(np.isnan(miss), 0.0, np.maximum(miss, 0.0))

    def met(self, mean: npt.ArrayLike, half: npt.ArrayLike = 0.0) -> np.ndarray:
        """Whether each figure meets the target, or is within its CI half-width of it."""
        figure = np.asarray(mean, dtype=float)
        margin: np.ndarray = np.nan_to_num(np.asarray(half, dtype=float), nan=0.0)
        if self.kind == "service_level":
            ok = figure + margin >= self.value
        else:
            ok = figure - margin <= self.value
        return ok | np.isnan(figure)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"text": self.text, "metric": self.metric, "value": self.value}
        if self.kind == "service_level":
            out["threshold_s"] = self.threshold
        return out


def _duration(text: str, what: str, whole: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise StaffingError(f"target {whole!r}: {what}: {exc}") from None


def _share(number: str, percent: bool, what: str, whole: str) -> float:
    share = float(number) / (100 if percent else 1)
    if not 0 < share < 1:
        raise StaffingError(f"target {whole!r}: {what} must be between 0% and 100%")
    return share


def parse_target(text: str) -> StaffTarget:
    """Read ``80% in 60s``, ``mean wait 2m`` or ``abandon 5%`` (``abandon 0.05``).

    Raises:
        StaffingError: the text is none of those forms, or a number is out of range.
    """
    clean = " ".join(str(text).split())
    if match := _SL.match(clean):
        share = _share(match.group(1), True, "the share answered", clean)
        threshold = _duration(match.group(2), "answer time", clean)
        return StaffTarget("service_level", share, threshold, clean)
    if match := _ABANDON.match(clean):
        share = _share(match.group(1), bool(match.group(2)), "the abandonment share", clean)
        return StaffTarget("abandon", share, text=clean)
    if match := _WAIT.match(clean):
        wait = _duration(match.group(1), "mean wait", clean)
        if wait <= 0:
            raise StaffingError(f"target {clean!r}: the mean wait must be positive")
        return StaffTarget("mean_wait", wait, text=clean)
    raise StaffingError(f"cannot read target {text!r}: use {TARGET_HELP}")
