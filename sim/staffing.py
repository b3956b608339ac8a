"""Staffing one queue: agents per interval from Erlang, corrected by simulation, then shifts.

Three steps, each shown to the user beside the previous one:

1. **Formula.** Each interval of the day gets the Erlang C agents (Erlang A when the
   queue has patience, with the patience mean as 1/theta) for its average arrival rate.
   Stationary formulas ignore that queues lag behind a rising rate and that backlogs
   spill over shift edges, and they assume exponential service.
2. **Simulation.** The queue is simulated with exactly that many agents in each interval
   (agents join when the requirement rises and leave when it falls, so nobody changes
   seat at an interval edge for nothing); intervals that miss the target get more
   agents, for a few rounds.
3. **Shift plan.** ``scipy.optimize.milp`` chooses how many agents start each allowed
   shift so that every interval is covered at minimum agent-hours; the plan is then
   simulated and its figures per interval reported.

The queue is simulated on its own: other queues are removed, so only its own arrivals
count (contacts routed to it from elsewhere are out of scope) and what it routes on
simply leaves. Its random streams are keyed by its name, so all steps run on common
random numbers. The simulation starts empty at the scenario start with no warm-up,
so that every interval of the day is measured.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.engine import ReplicationResult
from sim.erlang import required_agents
from sim.loader import load
from sim.records import Outcome
from sim.runner import Backend, Task, backend
from sim.scenario import ROUTE_FIELDS, Queue, Scenario, Shift
from sim.stats import mean_ci
from sim.timeline import Clock, rate_function
from sim.units import format_clock, format_duration, parse_clock, parse_duration

__all__ = [
    "INTERVALS",
    "ShiftTemplate",
    "StaffTarget",
    "StaffingError",
    "StaffingPlan",
    "cover_shifts",
    "erlang_agents",
    "interval_rates",
    "parse_shift_template",
    "parse_target",
    "shift_templates",
    "staff_plan",
]

DAY = 86400.0
INTERVALS = (1800.0, 3600.0)
_NOT_OFFERED = (Outcome.NOT_VISIBLE, Outcome.OVERFLOW, Outcome.CLOSED)
TARGET_HELP = "'80% in 60s', 'mean wait 2m' or 'abandon 5%'"


class StaffingError(ValueError):
    """The staffing question cannot be answered as asked (queue, target, shifts)."""


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

    def met(self, mean: np.ndarray, half: np.ndarray | float = 0.0) -> np.ndarray:
        """Whether each figure meets the target, or is within its CI half-width of it."""
        mean = np.asarray(mean, dtype=float)
        half = np.nan_to_num(np.asarray(half, dtype=float), nan=0.0)
        if self.kind == "service_level":
            ok = mean + half >= self.value
        else:
            ok = mean - half <= self.value
        return ok | np.isnan(mean)

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


# -- shift templates ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift that may be worked every day: ``start`` to ``end`` (wrapping midnight)."""

    start: float
    end: float

    @property
    def length(self) -> float:
        """Length in seconds."""
        return (self.end - self.start) % DAY or DAY

    def label(self) -> str:
        """``HH:MM-HH:MM``."""
        return f"{format_clock(self.start)}-{format_clock(self.end)}"

    def covers(self, interval: float) -> np.ndarray:
        """Which intervals of the day (of length ``interval``) this shift covers in full."""
        starts = np.arange(0.0, DAY, interval)
        return (starts - self.start) % DAY + interval <= self.length


def parse_shift_template(text: str) -> ShiftTemplate:
    """Read ``09:00-18:00`` (an end at or before the start runs past midnight).

    Raises:
        StaffingError: not two clock times joined by ``-``.
    """
    start, sep, end = str(text).partition("-")
    if not sep:
        raise StaffingError(f"expected a shift like 09:00-18:00, got {text!r}")
    try:
        begin, finish = parse_clock(start.strip()), parse_clock(end.strip())
    except ValueError as exc:
        raise StaffingError(f"shift {text!r}: {exc}") from None
    if begin >= DAY:
        raise StaffingError(f"a shift cannot start at 24:00 ({text!r}); start it at 00:00")
    if begin == finish:
        raise StaffingError(f"a shift must end at a different time than it starts ({text!r})")
    return ShiftTemplate(begin, finish)


def shift_templates(pattern: str = "8h") -> tuple[ShiftTemplate, ...]:
    """Named sets of allowed shifts.

    ``8h``: 8-hour shifts starting on every hour; ``three``: 00-08, 08-16 and 16-24.
    """
    if pattern == "three":
        return tuple(ShiftTemplate(h * 3600.0, (h + 8) * 3600.0) for h in (0, 8, 16))
    if pattern == "8h":
        return tuple(ShiftTemplate(h * 3600.0, ((h + 8) % 24) * 3600.0) for h in range(24))
    raise StaffingError(f"unknown shift pattern {pattern!r}: use 8h or three")


def _check_aligned(templates: Sequence[ShiftTemplate], interval: float) -> None:
    for t in templates:
        if t.start % interval or t.length % interval:
            raise StaffingError(
                f"shift {t.label()} does not start and end on {format_duration(interval)} "
                "interval edges"
            )


def cover_shifts(
    need: np.ndarray, templates: Sequence[ShiftTemplate], interval: float
) -> np.ndarray:
    """Agents per template covering ``need`` in every interval at minimum agent-hours.

    An integer program solved with :func:`scipy.optimize.milp` (HiGHS): minimise
    sum(agents x length) subject to, in each interval, the agents of the shifts covering
    it >= need.

    Raises:
        StaffingError: an interval needs agents but no shift covers it, or no solution.
    """
    _check_aligned(templates, interval)
    need = np.asarray(need, dtype=float)
    cover = np.column_stack([t.covers(interval) for t in templates]).astype(float)
    bare = np.flatnonzero((need > 0) & (cover.sum(axis=1) == 0))
    if len(bare):
        spans = ", ".join(_interval_label(i, interval) for i in bare[:4])
        raise StaffingError(f"no allowed shift covers {spans}, where agents are needed")
    hours = np.array([t.length / 3600.0 for t in templates])
    result = milp(
        c=hours,
        constraints=LinearConstraint(cover, lb=need, ub=np.inf),
        integrality=np.ones(len(templates)),
        bounds=Bounds(0, np.inf),
    )
    if not result.success:
        raise StaffingError(f"no shift plan found: {result.message}")
    return np.round(result.x).astype(int)


def _interval_label(i: int, interval: float) -> str:
    return f"{format_clock(i * interval)}-{format_clock((i + 1) * interval)}"


# -- formula -----------------------------------------------------------------------------


def interval_rates(scenario: Scenario, queue: str, interval: float) -> np.ndarray:
    """Arrival rate (per second) of each interval of the day at ``queue``.

    The rate is averaged over the interval; over a horizon of several days each interval
    takes its busiest day, since one daily plan has to cover them all.
    """
    spec = scenario.queues[queue]
    n = round(DAY / interval)
    if spec.arrivals is None:
        return np.zeros(n)
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    edges, rates = rate_function(spec.arrivals, clock, 0.0, scenario.duration)
    cumulative = np.concatenate(([0.0], np.cumsum(rates * np.diff(edges))))
    best = np.zeros(n)
    for day in clock.days(0.0, scenario.duration):
        cuts = np.clip(clock.day_start(day) + interval * np.arange(n + 1), 0.0, scenario.duration)
        lo, hi = cuts[:-1], cuts[1:]
        span = hi - lo
        mass = np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative)
        with np.errstate(invalid="ignore", divide="ignore"):
            best = np.fmax(best, np.where(span > 0, mass / span, 0.0))
    return best


def erlang_agents(rate: float, spec: Queue, target: StaffTarget) -> int:
    """Agents the stationary formula asks for at arrival rate ``rate`` (per second).

    Erlang C, or Erlang A with theta = 1 / mean patience when the queue has patience.
    With chat concurrency an agent counts as ``max`` servers, each as slow as at full
    load (an approximation; the simulation corrects it).
    """
    lam = rate * spec.visibility
    slots = spec.concurrency.max if spec.concurrency else 1
    slowdown = spec.concurrency.slowdown if spec.concurrency else 0.0
    mu = 1.0 / (spec.service.mean * (1.0 + slowdown * (slots - 1)))
    theta = None
    if spec.patience is not None:
        if spec.patience.mean <= 0:
            raise StaffingError("patience with mean 0: every contact abandons at once")
        theta = 1.0 / spec.patience.mean
    if target.kind == "abandon" and theta is None:
        raise StaffingError("an abandonment target needs a queue with patience")
    goal: dict[str, float] = {
        "service_level": {"target_sl": target.value, "t": target.threshold},
        "mean_wait": {"max_mean_wait": target.value},
        "abandon": {"max_abandon": target.value},
    }[target.kind]
    try:
        servers = required_agents(lam, mu, theta=theta, **goal)
    except ValueError as exc:
        raise StaffingError(f"{target.describe()} at {3600 * rate:.0f}/h: {exc}") from None
    return math.ceil(servers / slots)


# -- simulation --------------------------------------------------------------------------


def _isolated(scenario: Scenario, queue: str, staff: tuple[Shift, ...]) -> Scenario:
    """The queue alone with ``staff``: routes elsewhere dropped, no warm-up, no targets."""
    spec = scenario.queues[queue]
    routes = {f: {d: p for d, p in getattr(spec, f).items() if d == queue} for f in ROUTE_FIELDS}
    alone = spec.model_copy(update={"staff": staff, **routes})
    return scenario.model_copy(update={"queues": {queue: alone}, "warmup": 0.0, "targets": ()})


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
    scenario: Scenario, result: ReplicationResult, *, interval: float, threshold: float
) -> dict[str, np.ndarray]:
    """Counts per interval of the day of arrival at the (single) queue, over all days."""
    hops = result.hops
    entered = result.contacts["entered"][hops["contact"]]
    w0, w1 = result.window
    keep = (hops["queue"] == 0) & (entered >= w0) & (entered < w1)
    arrive = hops["arrive"][keep]
    outcome = hops["outcome"][keep]
    wait = hops["response"][keep] - arrive
    answered = ~np.isnan(wait)
    offset = Clock(scenario.start).offset
    n = round(DAY / interval)
    slot = np.minimum((((arrive + offset) % DAY) // interval).astype(int), n - 1)

    def count(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=n).astype(float)

    return {
        "arrivals": count(),
        "offered": count(~np.isin(outcome, _NOT_OFFERED)),
        "answered": count(answered),
        "within": count(answered & (np.nan_to_num(wait, nan=np.inf) <= threshold)),
        "wait_sum": count(np.where(answered, wait, 0.0)),
        "abandoned": count(outcome == Outcome.ABANDONED),
    }


def _figures(counts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Per interval: mean over replications and CI half-width of each figure."""

    def ratio(top: str, bottom: str) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.array([c[top] / np.where(c[bottom] > 0, c[bottom], np.nan) for c in counts])

    per_rep = {
        "service_level": ratio("within", "offered"),
        "mean_wait_s": ratio("wait_sum", "answered"),
        "abandon_rate": ratio("abandoned", "arrivals"),
    }
    out = {}
    for name, values in per_rep.items():
        pairs = [mean_ci(values[:, i]) for i in range(values.shape[1])]
        out[name] = [m for m, _ in pairs]
        out[f"{name}_ci95"] = [h for _, h in pairs]
    return pd.DataFrame(out)


@dataclass(frozen=True)
class _Simulator:
    """Simulates the isolated queue under a staff and returns figures per interval."""

    scenario: Scenario
    queue: str
    interval: float
    threshold: float
    replications: int
    seed: int
    runner: Backend
    progress: bool

    def __call__(self, staff: tuple[Shift, ...]) -> pd.DataFrame:
        alone = _isolated(self.scenario, self.queue, staff)
        tasks = [Task(alone, r, self.seed) for r in range(self.replications)]
        reduce = partial(interval_counts, interval=self.interval, threshold=self.threshold)
        return _figures(self.runner.map(tasks, reduce, self.progress))


def _correct(
    simulate: _Simulator, start: np.ndarray, target: StaffTarget, rounds: int
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame, bool]:
    """Raise agents where the simulated figure misses the target, for up to ``rounds``.

    Returns the agents, the figures at the formula's agents, at the final agents, and
    whether every interval met the target (point estimate) in the last round.
    """
    agents = start.copy()
    first = figures = simulate(staircase(agents, simulate.interval))
    for _ in range(rounds):
        short = target.shortfall(figures[target.metric].to_numpy())
        if not short.any():
            return agents, first, figures, True
        # One agent for a near miss; more, in proportion to the headcount, for a big one.
        step = 1 + np.floor(0.1 * agents * np.minimum(short, 1.0)).astype(int)
        agents = agents + np.where(short > 0, step, 0)
        figures = simulate(staircase(agents, simulate.interval))
    met = not target.shortfall(figures[target.metric].to_numpy()).any()
    return agents, first, figures, met


def _trim(
    simulate: _Simulator,
    agents: np.ndarray,
    *,
    figures: pd.DataFrame,
    target: StaffTarget,
    floor: np.ndarray,
    rounds: int,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Take one agent from intervals that keep meeting the target without it.

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
                miss = target.shortfall(trial_figures[target.metric].to_numpy()) > 0
                if not miss.any():
                    agents, figures, changed = trial, trial_figures, True
                    break
                spare &= ~(miss | np.roll(miss, -1))
                trial = agents - spare
        if not changed:
            break
    return agents, figures


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingPlan:
    """Agents per interval (formula, simulation, plan), the shifts and their figures."""

    queue: str
    target: StaffTarget
    interval: float
    model: str
    intervals: pd.DataFrame
    shifts: tuple[Shift, ...]
    replications: int
    seed: int
    corrected: bool

    @property
    def agent_hours(self) -> float:
        """Agent-hours per day of the shift plan."""
        return sum(s.agents * s.length for s in self.shifts) / 3600.0

    @property
    def meets_target(self) -> bool:
        """Whether the simulated plan meets the target in every interval, within its CI."""
        return bool(self.intervals["meets_target"].all())

    def staff_block(self) -> list[dict[str, Any]]:
        """The plan as scenario data (a list of shifts)."""
        return [
            {"start": format_clock(s.start), "end": format_clock(s.end), "agents": s.agents}
            for s in self.shifts
        ]

    def staff_yaml(self) -> str:
        """A ``staff:`` block to paste under the queue in the scenario file."""
        if not self.shifts:
            return "staff: 0\n"
        lines = ["staff:"] + [
            f'  - {{start: "{s["start"]}", end: "{s["end"]}", agents: {s["agents"]}}}'
            for s in self.staff_block()
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The ``sim staff --json`` document."""
        rows = self.intervals.to_dict(orient="records")
        return {
            "queue": self.queue,
            "target": self.target.to_dict(),
            "model": self.model,
            "interval_minutes": self.interval / 60,
            "replications": self.replications,
            "seed": self.seed,
            "intervals": [{k: _clean(v) for k, v in row.items()} for row in rows],
            "shifts": self.staff_block(),
            "agent_hours": self.agent_hours,
            "meets_target": self.meets_target,
            "simulation_corrected": self.corrected,
        }


def _clean(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _resolve_queue(scenario: Scenario, queue: str | None) -> str:
    fed = [name for name, q in scenario.queues.items() if q.arrivals is not None]
    if queue is None:
        if len(fed) != 1:
            raise StaffingError(f"choose a queue (queues with arrivals: {', '.join(fed)})")
        return fed[0]
    if queue not in scenario.queues:
        raise StaffingError(f"no queue {queue!r} (queues: {', '.join(scenario.queues)})")
    if queue not in fed:
        raise StaffingError(
            f"queue {queue!r} has no arrivals of its own (only routed contacts, out of scope)"
        )
    return queue


def staff_plan(
    scenario: Scenario | str | Path,
    queue: str | None = None,
    target: StaffTarget | str = "80% in 60s",
    *,
    interval: float | str = 3600.0,
    shifts: str | Sequence[ShiftTemplate | str] = "8h",
    replications: int | None = None,
    seed: int | None = None,
    rounds: int = 8,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> StaffingPlan:
    """Agents needed per interval for one queue, and a minimum agent-hours shift plan.

    Args:
        scenario: a Scenario or a scenario file.
        queue: the queue to staff (default: the only queue with arrivals).
        target: ``"80% in 60s"``, ``"mean wait 2m"``, ``"abandon 5%"`` or a StaffTarget.
        interval: interval length, 30 or 60 minutes (seconds or ``"30m"``).
        shifts: allowed shifts: ``"8h"`` (8 hours, starting on any hour), ``"three"``
            (00-08, 08-16, 16-24) or templates such as ``["09:00-18:00", "14:00-22:00"]``.
        replications: replications per simulation (default: the scenario's).
        seed: base seed (default: the scenario's).
        rounds: simulation-correction rounds at most.
        workers: local processes (default: one per core).
        scheduler: Dask scheduler address or client.
        progress: show progress bars.

    Raises:
        StaffingError: bad queue, target, interval or shifts, or no plan covers the need.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    queue = _resolve_queue(scenario, queue)
    target = parse_target(target) if isinstance(target, str) else target
    try:
        interval = parse_duration(interval)
    except ValueError as exc:
        raise StaffingError(f"interval: {exc}") from None
    if interval not in INTERVALS:
        raise StaffingError(f"interval must be 30m or 60m, got {format_duration(interval)}")
    if isinstance(shifts, str):
        templates = shift_templates(shifts)
    else:
        templates = tuple(parse_shift_template(s) if isinstance(s, str) else s for s in shifts)
    if not templates:
        raise StaffingError("give at least one allowed shift")
    _check_aligned(templates, interval)
    spec = scenario.queues[queue]
    threshold = (
        target.threshold if target.kind == "service_level" else scenario.service_level_threshold
    )
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    rates = interval_rates(scenario, queue, interval)
    formula = np.array([erlang_agents(r, spec, target) for r in rates], dtype=int)
    with backend(workers, scheduler, tasks=replications) as runner:
        simulator = _Simulator(
            scenario, queue, interval, threshold, replications, seed, runner, progress
        )
        simulated, at_formula, figures, corrected = _correct(simulator, formula, target, rounds)
        if corrected:
            # Keep one agent wherever contacts arrive: a bot covering unstaffed hours
            # must not stand in for the people the target is about.
            floor = (rates > 0).astype(int)
            simulated, _ = _trim(
                simulator, simulated, figures=figures, target=target, floor=floor, rounds=rounds
            )
        plan = cover_shifts(simulated, templates, interval)
        staff = tuple(
            Shift.model_validate(
                {"start": format_clock(t.start), "end": format_clock(t.end), "agents": int(k)}
            )
            for t, k in zip(templates, plan, strict=True)
            if k > 0
        )
        figures = simulator(staff)
    cover = np.column_stack([t.covers(interval) for t in templates]).astype(int)
    table = _table(
        rates=rates,
        formula=formula,
        simulated=simulated,
        planned=cover @ plan,
        at_formula=at_formula,
        figures=figures,
        target=target,
    )
    return StaffingPlan(
        queue=queue,
        target=target,
        interval=interval,
        model="Erlang A" if spec.patience is not None else "Erlang C",
        intervals=table,
        shifts=staff,
        replications=replications,
        seed=seed,
        corrected=corrected,
    )


def _table(
    *,
    rates: np.ndarray,
    formula: np.ndarray,
    simulated: np.ndarray,
    planned: np.ndarray,
    at_formula: pd.DataFrame,
    figures: pd.DataFrame,
    target: StaffTarget,
) -> pd.DataFrame:
    interval = DAY / len(rates)
    starts = np.arange(len(rates)) * interval
    table = pd.DataFrame(
        {
            "start": [format_clock(s) for s in starts],
            "end": [format_clock(s + interval) for s in starts],
            "arrival_rate_per_h": rates * 3600.0,
            "erlang_agents": formula,
            "simulated_agents": simulated,
            "planned_agents": planned,
            "service_level": figures["service_level"],
            "service_level_ci95": figures["service_level_ci95"],
        }
    )
    metric = target.metric
    if metric != "service_level":
        table[metric] = figures[metric]
        table[f"{metric}_ci95"] = figures[f"{metric}_ci95"]
    table[f"{metric}_at_erlang"] = at_formula[metric]
    table["meets_target"] = target.met(figures[metric], figures[f"{metric}_ci95"])
    return table
