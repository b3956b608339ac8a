"""The staffing plan: formula, simulation correction, shifts, and the plan simulated."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.options import on_command_line
from sim.runner import as_scenario, backend, positive_whole, replication_count, seed_value
from sim.scenario import Scenario, Shift
from sim.staffing.base import StaffingError, parse_interval
from sim.staffing.formula import busiest_days, erlang_agents, interval_rates
from sim.staffing.network import feeders, network
from sim.staffing.shifts import (
    ShiftTemplate,
    _check_aligned,
    cover_shifts,
    parse_shift_template,
    shift_templates,
)
from sim.staffing.simulation import Simulator, assured, correct, max_calls, misses, trim
from sim.staffing.targets import StaffTarget, parse_target
from sim.timeline import DAY
from sim.units import format_clock

__all__ = ["StaffingPlan", "resolve_queue", "staff_plan"]

# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingPlan:
    """Agents per interval (formula, simulation, plan), the shifts and their figures.

    Attributes:
        queue: the queue staffed.
        target: the target, parsed.
        interval: the interval length in seconds (1800 or 3600).
        model: the formula behind ``erlang_agents``: ``"Erlang C"``, or ``"Erlang A"``
            when the queue's contacts have a patience.
        intervals: one row per interval of the day: ``start`` and ``end`` (clock times,
            ``"08:00"``), ``arrival_rate_per_h`` (the busiest days' mean arrival rate, its own
            and routed in),
            ``erlang_agents`` (the formula's agents), ``simulated_agents`` (after the
            simulation correction), ``planned_agents`` (the shifts' cover),
            ``service_level`` and ``service_level_ci95`` of the plan simulated, the
            target's own metric and ``<metric>_ci95`` when it is a mean wait
            (``mean_wait_s``) or abandonment (``abandon_rate``), ``<metric>_at_erlang``
            (the metric with the formula's agents), ``<metric>_bound`` (its one-sided
            95% confidence bound: the lower one of a service level, the upper one of
            a mean wait or abandonment; the mean itself where the interval has fewer
            contacts than ``target.min_contacts`` over the replications) and
            ``meets_target`` (the bound meets the target; an interval with no
            contacts meets it).
        shifts: the shift plan, daily shifts with their agents.
        replications: replications per simulation.
        seed: their base seed.
        corrected: whether the simulation correction reached the target (at the
            bound, as ``meets_target``) in every interval within its ``rounds`` (then
            surplus agents are trimmed, on the same criterion); when not,
            ``simulated_agents`` are those of the last round.
        feeders: the queues simulated with it, as the scenario staffs them: those
            whose contacts or agents can reach it (none: it was simulated alone).
        routed_from: per other queue, the share of the contacts arriving at it
            (retrials not counted) that came from there, largest first, in a
            simulation of the scenario as it stands (empty: none routed in).
        routed_share: their sum, the share of its contacts routed in (1.0: all).
    """

    queue: str
    target: StaffTarget
    interval: float
    model: str
    intervals: pd.DataFrame
    shifts: tuple[Shift, ...]
    replications: int
    seed: int
    corrected: bool
    feeders: tuple[str, ...] = ()
    routed_from: Mapping[str, float] = field(default_factory=dict)
    routed_share: float = 0.0

    @property
    def agent_hours(self) -> float:
        """Agent-hours per day of the shift plan."""
        return sum(s.agents * s.length for s in self.shifts) / 3600.0

    @property
    def meets_target(self) -> bool:
        """Whether the simulated plan meets the target in every interval, at its bound."""
        return bool(self.intervals["meets_target"].all())

    def staff_block(self) -> list[dict[str, Any]]:
        """The plan as scenario data (a list of shifts)."""
        # A plan's shifts are daily: clock times, never date-times.
        return [
            {"start": format_clock(s.start), "end": format_clock(s.end), "agents": s.agents}  # type: ignore[arg-type]
            for s in self.shifts
        ]

    def staff_value(self) -> int | list[dict[str, Any]]:
        """The plan as the value of the queue's ``staff`` field: its shifts, or 0 (none)."""
        return self.staff_block() or 0

    def staff_yaml(self) -> str:
        """A ``staff:`` block to paste under the queue in the scenario file."""
        if not self.shifts:
            return f"staff: {self.staff_value()}\n"
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
            "routed_in": {
                "share": self.routed_share,
                "from": dict(self.routed_from),
                "simulated_with": list(self.feeders),
            },
        }


def _clean(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def resolve_queue(scenario: Scenario, queue: str | None) -> str:
    """The queue to staff: ``queue`` checked, or the only queue with arrivals.

    A queue with no arrivals of its own is staffed for the contacts routed to it, as
    long as some queue that can route contacts to it has arrivals.

    Raises:
        StaffingError: no such queue, a queue a team serves, no contacts can reach
            it, or several to choose from.
    """
    fed = [name for name, q in scenario.queues.items() if q.arrivals is not None]
    if queue is None:
        if len(fed) != 1:
            raise StaffingError(f"choose a queue (queues with arrivals: {', '.join(fed)})")
        return fed[0]
    if queue not in scenario.queues:
        raise StaffingError(f"no queue {queue!r} (queues: {', '.join(scenario.queues)})")
    teams = scenario.teams_serving(queue)
    if teams:
        served = f"queue {queue!r} is served by team {', '.join(map(repr, teams))}"
        raise StaffingError(f"{served}: {_team_advice(teams[0])}")
    if queue not in fed:
        upstream = feeders(scenario, queue)
        if not upstream:
            raise StaffingError(
                f"queue {queue!r} has no arrivals of its own and no queue routes contacts to it"
            )
        if not set(upstream) & set(fed):
            raise StaffingError(
                f"queue {queue!r} has no arrivals of its own, and neither have the queues "
                f"whose contacts can reach it ({', '.join(upstream)}): nothing to staff for"
            )
    return queue


def _team_advice(team: str) -> str:
    """What to do instead of planning a team, said to the command line or to Python."""
    staff = f"teams.{team}.staff"
    if on_command_line():
        planner, sweep = "sim staff", f"sim sweep SCENARIO --vary {staff}=..."
    else:
        planner, sweep = "staff_plan", f"sim.sweep(FILE, {{{staff!r}: [...]}})"
    return (
        f"{planner} plans one queue's own staff only, not a team shared with other queues "
        f"(compare team sizes with: {sweep})"
    )


def staff_plan(
    scenario: Scenario | str | Path | Mapping[str, Any],
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
        scenario: a Scenario, a scenario file or its plain data.
        queue: the queue to staff (default: the only queue with arrivals).
        target: ``"80% in 60s"``, ``"mean wait 2m"``, ``"abandon 5%"`` or a StaffTarget.
        interval: interval length, 30 or 60 minutes (seconds or ``"30m"``).
        shifts: allowed shifts: ``"8h"`` (8 hours, starting on any hour), ``"three"``
            (00-08, 08-16, 16-24) or templates such as ``["09:00-18:00", "14:00-22:00"]``.
        replications: replications per simulation (default: the scenario's).
        seed: base seed (default: the scenario's).
        rounds: simulation-correction rounds at most.
        workers: local processes (default: one per core, fewer if the memory limit
            needs; see :func:`sim.runner.workers_for`).
        scheduler: a Dask scheduler address, a ``distributed.Client`` (left open) or a
            cluster such as ``LocalCluster`` (a client to it is opened and closed).
        progress: show progress bars.

    Returns:
        The plan: agents per interval, the shifts and the plan's simulated figures.

    Raises:
        StaffingError: bad queue, target, interval or shifts, or no plan covers the need.
        TypeError, ValueError: ``rounds``, ``replications``, ``seed`` or ``workers`` is not
            a count or seed the plan can use.
    """
    scenario = as_scenario(scenario)
    queue = resolve_queue(scenario, queue)
    if isinstance(target, str):
        target = parse_target(target)
    elif not isinstance(target, StaffTarget):
        raise StaffingError(
            "target: expected a text such as '80% in 60s', 'mean wait 2m' or 'abandon 5%', "
            f"or a StaffTarget, got {type(target).__name__} {target!r}"
        )
    rounds = positive_whole(rounds, "rounds")
    try:
        interval = parse_interval(interval)
    except ValueError as exc:
        raise StaffingError(str(exc)) from None
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
    replications = replication_count(
        scenario.replications if replications is None else replications
    )
    seed = scenario.seed if seed is None else seed_value(seed)
    # The queue in its network is what every simulation of the plan runs.
    with backend(workers, scheduler, runs=[(network(scenario, queue), replications)]) as runner:
        simulator = Simulator(
            scenario, queue, interval, threshold, replications, seed, runner, progress, rounds
        )
        routed = simulator.routed_in() if simulator.routed else None
        rates = interval_rates(scenario, queue, interval, routed)
        formula = np.array([erlang_agents(r, spec, target) for r in rates], dtype=int)
        simulator = replace(simulator, busiest=busiest_days(scenario, queue, interval, routed))
        simulated, at_formula, figures, corrected = correct(simulator, formula, target, rounds)
        if corrected:
            # Keep one agent wherever contacts arrive: a bot covering unstaffed hours
            # must not stand in for the people the target is about.
            floor = (rates > 0).astype(int)
            simulated, _ = trim(
                simulator, simulated, figures=figures, target=target, floor=floor, rounds=rounds
            )
        plan, staff = _shifts(simulated, templates, interval)
        figures = simulator(staff)
        # The shifts put agents on duty at other times than the per-interval agents did,
        # so the plan runs other random paths, and a bound that just held can tip. Where
        # it does, one agent more is needed there, as long as the simulations promised
        # (max_calls) are not all spent.
        most = max_calls(rounds, routed=simulator.routed)
        while corrected and simulator.calls[0] < most and (miss := misses(figures, target)).any():
            simulated = simulated + miss
            plan, staff = _shifts(simulated, templates, interval)
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
        feeders=feeders(scenario, queue),
        routed_from=routed.shares() if routed is not None else {},
        routed_share=routed.share() if routed is not None else 0.0,
    )


def _shifts(
    agents: np.ndarray, templates: Sequence[ShiftTemplate], interval: float
) -> tuple[np.ndarray, tuple[Shift, ...]]:
    """The cheapest cover of ``agents``: agents per template, and the shifts they work."""
    plan = cover_shifts(agents, templates, interval)
    staff = tuple(
        Shift.model_validate(
            {"start": format_clock(t.start), "end": format_clock(t.end), "agents": int(k)}
        )
        for t, k in zip(templates, plan, strict=True)
        if k > 0
    )
    return plan, staff


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
    table[f"{metric}_bound"] = assured(figures, target)
    table["meets_target"] = ~misses(figures, target)
    return table
