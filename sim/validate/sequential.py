"""Sequential stopping: as many replications as the targets need, not a fixed large count.

A target is **settled** when one more replication could not change what is reported
about it, by either of two tests on the 95% CI of its simulated mean:

* the verdict is settled: the whole CI lies inside the pass band (the target passes
  whatever the next replications show, unless they move the mean by more than its CI),
  or wholly outside it;
* the figure is precise: the CI half-width is at most ``precision`` (a fraction, 0.5 by
  default) of the target's tolerance. A figure that sits on the edge of its band is then
  reported as precisely as the band deserves, and its verdict is as fragile as the model
  makes it (another seed may flip it; more replications would not help).

A target whose figure has no spread (a deterministic one) is settled at once; one that is
undefined on every replication (NaN) cannot be settled by more of them. Replications run
in rounds: first ``minimum`` per scenario, then, for a scenario with unsettled targets,
the count its widest unsettled CI projects it needs (half-widths shrink as 1/sqrt(n)),
at most doubling per round and never past ``maximum`` (the scenario's own
``replications``). A round after the first runs only what its unsettled targets depend
on, and a settled target keeps the replications it has (:mod:`sim.validate.rounds`). The
rounds depend only on the figures, never on where replications run, so serial, process
and Dask runs stop at the same counts with the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.scenario import Target
from sim.validate.estimate import Parts, estimate, parts_table

__all__ = [
    "MIN_REPLICATIONS",
    "PRECISION",
    "Plan",
    "band",
    "decided",
    "next_count",
    "settled",
    "unsettled",
]

PRECISION = 0.5
MIN_REPLICATIONS = 4

# A target on one replication: its figure, or its parts (see sim.validate.estimate).
Figure = float | Parts


@dataclass(frozen=True)
class Plan:
    """How many replications a sequential run may use, and how precise it must be."""

    minimum: int = MIN_REPLICATIONS
    precision: float = PRECISION

    def __post_init__(self) -> None:
        if self.minimum < 2:
            raise ValueError("sequential stopping needs at least 2 replications to start")
        if not 0 < self.precision <= 1:
            raise ValueError("precision is a fraction of the tolerance, in (0, 1]")

    def start(self, maximum: int) -> int:
        """The first round's count for a scenario allowed ``maximum`` replications."""
        return min(self.minimum, maximum)


def band(target: Target) -> tuple[float, float]:
    """The simulated means that pass: ``[low, high]``."""
    slack = target.half_width
    if target.bound == "at_most":
        return -math.inf, target.value + slack
    if target.bound == "at_least":
        return target.value - slack, math.inf
    return target.value - slack, target.value + slack


def _needed(target: Target, mean: float, precision: float, verdicts: bool) -> float:
    """The half-width at which the target would be settled (0: it never will be)."""
    precise = precision * target.half_width
    if not verdicts:
        return precise
    low, high = band(target)
    distance = min(abs(mean - low), abs(mean - high))  # to the nearest edge of the band
    return max(distance, precise)


def settled(
    target: Target, values: np.ndarray, precision: float = PRECISION, verdicts: bool = True
) -> bool:
    """Whether more replications could not change what is reported about ``target``.

    ``values`` holds the target's figure per replication, or its parts (one row per
    replication, see :mod:`sim.validate.estimate`). With ``verdicts`` False only the
    precision test counts (a calibration must be precise near the figure, wherever its
    start values put the verdict).
    """
    mean, half, used = estimate(target, values)
    if used == 0:
        return True  # undefined on every replication: more of them will not define it
    if used < 2:
        return False
    return half == 0 or half <= _needed(target, mean, precision, verdicts)


def decided(target: Target, values: np.ndarray) -> bool:
    """Whether the target's verdict is settled: its CI lies wholly inside or outside the band.

    Stricter than :func:`settled`, which also takes a CI precise enough for the band: a
    figure settled that way may still sit on the band's edge, where more replications
    (given for other targets) can move its verdict. It is :func:`settled` with no credit
    for precision.
    """
    return settled(target, values, precision=0.0)


def unsettled(
    targets: Sequence[Target],
    figures: Sequence[Sequence[Figure]],
    precision: float = PRECISION,
    verdicts: bool = True,
) -> list[int]:
    """Indices of the targets that are not settled on these replications' figures."""
    return [
        i
        for i, t in enumerate(targets)
        if not settled(t, parts_table(figures, i), precision, verdicts)
    ]


def next_count(
    targets: Sequence[Target],
    figures: Sequence[Sequence[Figure]],
    maximum: int,
    precision: float = PRECISION,
    verdicts: bool = True,
) -> int:
    """How many replications the scenario should have after the next round.

    The current count when every target is settled (or ``maximum`` is reached);
    otherwise the count the widest unsettled CI projects, at least one more, at most
    double, at most ``maximum``.
    """
    n = len(figures)
    waiting = unsettled(targets, figures, precision, verdicts)
    if not waiting or n >= maximum:
        return n
    wanted = n + 1
    for i in waiting:
        mean, half, used = estimate(targets[i], parts_table(figures, i))
        if used < 2:
            wanted = max(wanted, 2 * n)
            continue
        needed = _needed(targets[i], mean, precision, verdicts)
        # No width settles a mean exactly on an edge with no tolerance (needed 0): only
        # more runs can move it off, so the projection is unbounded and the round doubles.
        projected = n * (half / needed) ** 2 * 1.1 if needed > 0 else math.inf
        wanted = max(wanted, math.ceil(min(projected, 2 * n)))  # a tenth more: t shrinks too
    return min(maximum, max(n + 1, min(wanted, 2 * n)))
