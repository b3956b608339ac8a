"""The simulation step: a queue in its network, staffed and measured interval by interval."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from sim.engine import ReplicationResult
from sim.records import NOT_OFFERED, Outcome, bot_finished, on_time
from sim.runner import Backend, Reducer, Task
from sim.scenario import Scenario, Shift
from sim.staffing.network import RoutedIn, arrivals_in, feeders, network, with_staff
from sim.staffing.targets import StaffTarget
from sim.stats import mean_ci
from sim.timeline import DAY, Clock
from sim.units import format_clock

__all__ = [
    "Simulator",
    "assured",
    "correct",
    "interval_counts",
    "max_calls",
    "misses",
    "staircase",
    "trim",
]

# -- simulation --------------------------------------------------------------------------


def staircase(agents: np.ndarray, interval: float) -> tuple[Shift, ...]:
    """Daily shifts giving exactly ``agents[i]`` agents in interval ``i``.

    Agents join when the count rises and leave when it falls (last in, first out,
    wrapping midnight), so no one leaves at an interval edge only to be replaced.
    """
    agents = np.asarray(agents, dtype=int)
    n = len(agents)
    blocks: Counter[tuple[int, int]] = Counter()
    for level in range(1, int(agents.max(initial=0)) + 1):
        on = agents >= level
        if on.all():
            blocks[(0, n)] += 1
            continue
        for start in np.flatnonzero(on & ~np.roll(on, 1)):
            end = int(start)
            while on[end % n]:
                end += 1
            blocks[(int(start), end)] += 1
    return tuple(
        Shift.model_validate(
            {
                "start": format_clock(s * interval),
                "end": format_clock(e * interval if e <= n else (e - n) * interval),
                "agents": count,
            }
        )
        for (s, e), count in sorted(blocks.items())
    )


def interval_counts(
    scenario: Scenario,
    result: ReplicationResult,
    *,
    queue: str,
    interval: float,
    threshold: float,
    busiest: tuple[int, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Counts per interval of the day of arrival at ``queue``, of every visit there.

    A contact arriving is offered to its agents however it came: its own arrivals,
    contacts routed in, retrials. Over every day, or with ``busiest``
    (:func:`sim.staffing.formula.busiest_days`) over each interval's busiest days only.
    """
    hops = result.hops
    entered = result.contacts["entered"][hops["contact"]]
    w0, w1 = result.window
    here = hops["queue"] == result.queues.index(queue)
    keep = here & (entered >= w0) & (entered < w1)
    offset = Clock(scenario.start).offset
    n = round(DAY / interval)
    slot = np.minimum((((hops["arrive"] + offset) % DAY) // interval).astype(int), n - 1)
    if busiest is not None:
        first, mask = busiest
        day = np.floor((hops["arrive"] + offset) / DAY).astype(int) - first
        inside = (day >= 0) & (day < len(mask))
        keep &= inside & mask[np.clip(day, 0, len(mask) - 1), slot]
    slot = slot[keep]
    arrive = hops["arrive"][keep]
    outcome = hops["outcome"][keep]
    offered = ~np.isin(outcome, NOT_OFFERED)
    spec = scenario.queues[queue]
    if spec.bot is not None and spec.bot.when == "always":
        # A bot answering every contact first meets any answer time: the target is about
        # the time to an agent of the contacts it hands over (what it finishes is done).
        answer = hops["agent_start"][keep]
        offered &= ~bot_finished(hops["by"][keep], outcome)
    else:
        answer = hops["response"][keep]
    wait = answer - arrive
    answered = ~np.isnan(wait)
    in_time = answered & on_time(answer, arrive, threshold)

    def count(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=n).astype(float)

    return {
        "arrivals": count(),
        "offered": count(offered),
        "answered": count(answered),
        "within": count(in_time),
        "wait_sum": count(np.where(answered, wait, 0.0)),
        "abandoned": count(outcome == Outcome.ABANDONED),
    }


# Each figure: its numerator and its denominator, the contacts it is a figure of.
_RATIOS = {
    "service_level": ("within", "offered"),
    "mean_wait_s": ("wait_sum", "answered"),
    "abandon_rate": ("abandoned", "arrivals"),
}


def _figures(counts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Per interval and figure: mean over replications, CI half-widths, contacts.

    ``<figure>_ci95`` is the two-sided 95% CI's half-width; ``<figure>_margin`` the
    one-sided 95% bound's distance from the mean (the two-sided 90% half-width);
    ``<figure>_contacts`` the contacts behind the figure, over all replications.
    """
    out = {}
    for name, (top, bottom) in _RATIOS.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.array([c[top] / np.where(c[bottom] > 0, c[bottom], np.nan) for c in counts])
        pairs = [mean_ci(values[:, i]) for i in range(values.shape[1])]
        out[name] = [m for m, _ in pairs]
        out[f"{name}_ci95"] = [h for _, h in pairs]
        out[f"{name}_margin"] = [mean_ci(values[:, i], 0.90)[1] for i in range(values.shape[1])]
        out[f"{name}_contacts"] = np.sum([c[bottom] for c in counts], axis=0)
    return pd.DataFrame(out)


def assured(figures: pd.DataFrame, target: StaffTarget) -> np.ndarray:
    """The target's figure per interval at its one-sided 95% confidence bound.

    The lower bound of a service level, the upper bound of a mean wait or an
    abandonment: what the interval can be trusted to reach, not its luckiest reading.
    A plan's replications are few (often 8-10), and every simulation of a plan runs
    on the same random numbers; judged on point estimates, trimming takes agents away
    exactly where those numbers were kind, and the plan falls short in truth. Where
    the interval has fewer contacts than :attr:`StaffTarget.min_contacts` over the
    replications, a bound over them means nothing (a share of 0s and 1s is not near
    normal), and the point estimate is used, as it is when the bound is undefined
    (fewer than two replications with contacts).
    """
    metric = target.metric
    mean = figures[metric].to_numpy(dtype=float)
    margin = np.nan_to_num(figures[f"{metric}_margin"].to_numpy(dtype=float), nan=0.0)
    margin[figures[f"{metric}_contacts"].to_numpy() < target.min_contacts] = 0.0
    return mean - margin if target.kind == "service_level" else mean + margin


def misses(figures: pd.DataFrame, target: StaffTarget) -> np.ndarray:
    """Whether each interval misses the target at its bound (:func:`assured`)."""
    return target.shortfall(assured(figures, target)) > 0


@dataclass(frozen=True)
class Simulator:
    """Simulates the queue in its network under a staff and returns figures per interval.

    The network (:func:`sim.staffing.network.network`) is the queue with every queue
    whose contacts or agents can reach it, as the scenario has them; only the queue's
    staff changes from call to call.
    """

    scenario: Scenario
    queue: str
    interval: float
    threshold: float
    replications: int
    seed: int
    runner: Backend
    progress: bool
    rounds: int = 8
    calls: list[int] = field(default_factory=lambda: [0])
    busiest: tuple[int, np.ndarray] | None = None  # each interval measured on these days

    @cached_property
    def network(self) -> Scenario:
        """The queue and its influencers as the scenario staffs them, no warm-up."""
        return network(self.scenario, self.queue)

    @cached_property
    def routed(self) -> bool:
        """Whether contacts can reach the queue from other queues (a baseline is run)."""
        return bool(feeders(self.scenario, self.queue))

    def __call__(self, staff: tuple[Shift, ...]) -> pd.DataFrame:
        """Per-interval figures (mean and CI over replications) under ``staff``."""
        reduce = partial(
            interval_counts,
            queue=self.queue,
            interval=self.interval,
            threshold=self.threshold,
            busiest=self.busiest,
        )
        counts = self._map(with_staff(self.network, self.queue, staff), reduce, "staffing")
        return _figures(counts)

    def routed_in(self) -> RoutedIn:
        """New visits at the queue, by where they came from, as the scenario stands."""
        reduce = partial(arrivals_in, queue=self.queue, interval=self.interval)
        return RoutedIn.total(self._map(self.network, reduce, "routed-in arrivals"))

    def _map(self, scenario: Scenario, reduce: Reducer, what: str) -> list:
        tasks = [Task(scenario, r, self.seed) for r in range(self.replications)]
        self.calls[0] += 1
        most = max_calls(self.rounds, routed=self.routed)
        label = f"staff {self.queue}: {what} {self.calls[0]} of at most {most}"
        return self.runner.map(tasks, reduce, self.progress, label)


def max_calls(rounds: int, *, routed: bool = False) -> int:
    """Simulations a plan takes at most with ``rounds`` rounds.

    :func:`correct` runs 1 + rounds, :func:`trim` up to 4 per round, the plan one more
    (and more, up to this count, where its shifts tip a bound and need an agent more);
    a queue that contacts reach from other queues one more, for the routed-in arrivals.
    """
    return 5 * rounds + 2 + int(routed)


def correct(
    simulate: Simulator, start: np.ndarray, target: StaffTarget, rounds: int
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame, bool]:
    """Raise agents where the simulated figure misses the target, for up to ``rounds``.

    Returns the agents, the figures at the formula's agents, at the final agents, and
    whether every interval met the target at its bound (:func:`assured`) in the last
    round.
    """
    agents = start.copy()
    first = figures = simulate(staircase(agents, simulate.interval))
    for _ in range(rounds):
        short = target.shortfall(assured(figures, target))
        if not short.any():
            return agents, first, figures, True
        # One agent for a near miss; more, in proportion to the headcount, for a big one.
        step = 1 + np.floor(0.1 * agents * np.minimum(short, 1.0)).astype(int)
        agents = agents + np.where(short > 0, step, 0)
        figures = simulate(staircase(agents, simulate.interval))
    met = not misses(figures, target).any()
    return agents, first, figures, met


def trim(
    simulate: Simulator,
    agents: np.ndarray,
    *,
    figures: pd.DataFrame,
    target: StaffTarget,
    floor: np.ndarray,
    rounds: int,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Take one agent from intervals that keep meeting the target without it.

    Meeting it at the bound (:func:`assured`), as :func:`correct` does: a point
    estimate that still reads 80% without the agent is often one the random numbers
    favoured.

    The formula can overstaff, e.g. where service is less variable than exponential
    or patience shortens the queue. Even and
    odd intervals are tried in turn, all of one parity at once; a removal is undone
    where it makes that interval or the next one (its backlog) miss.
    """
    parity = np.arange(len(agents)) % 2
    for _ in range(rounds):
        changed = False
        for side in (0, 1):
            value = figures[target.metric].to_numpy()
            spare = (parity == side) & (agents > floor) & ~np.isnan(value)
            trial = agents - spare
            for _attempt in range(2):
                if not spare.any():
                    break
                trial_figures = simulate(staircase(trial, simulate.interval))
                miss = misses(trial_figures, target)
                if not miss.any():
                    agents, figures, changed = trial, trial_figures, True
                    break
                spare &= ~(miss | np.roll(miss, -1))
                trial = agents - spare
        if not changed:
            break
    return agents, figures
