"""Targets over replications: the mean and 95% CI of each figure, and the pass rule.

* ``bound: equal`` (default): ``|simulated mean - value| <= half-width``;
* ``bound: at_most``: ``simulated mean <= value + half-width``;
* ``bound: at_least``: ``simulated mean >= value - half-width``.

The half-width is the target's tolerance (``10%`` of the value, or an absolute number
in the metric's units); the CI is reported beside it, not used in the rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sim.engine import ReplicationResult
from sim.report.tables import count
from sim.runner import backend, replication_count
from sim.scenario import RATE_METRICS, Scenario, Target
from sim.stability import QueueLoad, queue_loads, stability_messages
from sim.validate.estimate import Parts, estimate
from sim.validate.figures import target_parts
from sim.validate.ledger import roles
from sim.validate.rounds import FileRuns
from sim.validate.sequential import Plan, band
from sim.validate.table import describe, unit_metric

__all__ = [
    "TargetRow",
    "Validation",
    "cannot_fail",
    "passes",
    "validate",
    "validate_all",
    "validate_many",
]


@dataclass(frozen=True)
class TargetRow:
    """One target against the simulation: document figure, simulated mean and CI, verdict.

    Times are in seconds, rates and shares as fractions, ratios as plain numbers;
    ``tolerance`` is the half-width in the same units. ``role`` is the target's place in
    the ledger (``check``, ``fit`` or ``input``, see :mod:`sim.validate.ledger`), None
    for a scenario that keeps no ledger.
    """

    scenario: str
    queue: str
    metric: str
    value: float
    simulated: float
    ci95: float
    tolerance: float
    passed: bool
    bound: str
    detail: str
    note: str
    replications: int
    source: str
    role: str | None = None
    id: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The ``sim validate --json`` row (NaN as null)."""
        return {k: _json(v) for k, v in asdict(self).items()}


def _json(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def passes(target: Target, simulated: float) -> bool:
    """The pass rule (see the module docstring); NaN never passes."""
    if not math.isfinite(simulated):
        return False
    # A mean exactly on the edge passes: a mean is a rounded sum, so allow a rounding
    # error relative to the figure itself too (a target may have no tolerance at all).
    slack = target.half_width + 1e-12 * max(target.half_width, abs(target.value))
    if target.bound == "at_most":
        return simulated <= target.value + slack
    if target.bound == "at_least":
        return simulated >= target.value - slack
    return abs(simulated - target.value) <= slack


def cannot_fail(target: Target) -> str | None:
    """Why no simulated figure could miss ``target``, or None when one could.

    A share lies in [0, 1], a time or a ratio is never negative: a pass band that holds
    all of that passes whatever the simulation does, so it checks nothing.
    """
    low, high = band(target)
    share = target.metric in RATE_METRICS and not target.is_ratio
    if low > 0 or high < (1.0 if share else math.inf):
        return None
    kind = "a share (0 to 1)" if share else "never negative"
    return f"its pass band ({low:g} to {high:g}) holds every figure it can have ({kind})"


def _cannot_fail_warnings(scenario: Scenario, source: str) -> list[str]:
    return [
        f"warning: {source}: target {target.id or i}: cannot fail: {why}"
        for i, target in enumerate(scenario.targets)
        if (why := cannot_fail(target)) is not None
    ]


def _rows(scenario: Scenario, source: str, runs: FileRuns) -> list[TargetRow]:
    rows = []
    for i, (target, role) in enumerate(zip(scenario.targets, roles(scenario), strict=True)):
        mean, half, _ = estimate(target, runs.values(i))
        rows.append(
            TargetRow(
                scenario=scenario.name,
                queue=target.label,
                metric=unit_metric(target),
                value=target.value,
                simulated=mean,
                ci95=half,
                tolerance=target.half_width,
                passed=passes(target, mean),
                bound=target.bound,
                detail=describe(target),
                note=target.note,
                replications=len(runs.parts[i]),
                source=source,
                role=role,
                id=target.id,
            )
        )
    return rows


@dataclass(frozen=True)
class Validation:
    """The rows of every target, and the runs' stability warnings and backlog notes."""

    rows: list[TargetRow]
    messages: list[str]


def _figures_and_loads(
    scenario: Scenario, result: ReplicationResult
) -> tuple[list[Parts], dict[str, QueueLoad]]:
    return target_parts(scenario, result), queue_loads(scenario, result)


def validate_all(
    scenarios: Sequence[tuple[str, Scenario]],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: object = None,
    progress: bool = False,
    plan: Plan | None = None,
) -> Validation:
    """Run every scenario's replications and check all their targets.

    With ``replications`` each scenario runs exactly that many. Without, each target has
    as many as it needs (:mod:`sim.validate.sequential`: from ``plan.minimum`` up to its
    scenario's own ``replications``), in rounds that batch every scenario's next
    replications; a round after the first simulates only the queues its unsettled targets
    depend on (:mod:`sim.validate.rounds`), and each row says how many replications its
    target had.

    Args:
        scenarios: ``(source, scenario)`` pairs; source is shown in the rows (a path).
        replications: per scenario, a fixed count (default: sequential stopping).
        seed: base seed (default: each file's own).
        workers: local processes (default ``None``: one per core, fewer if the memory
            limit needs, as every other call; see :func:`sim.runner.workers_for`); 1 runs
            in this process.
        scheduler: a Dask scheduler address, as for :func:`sim.run`.
        progress: show a progress bar.
        plan: the sequential stopping rule (default :class:`Plan()`).
    """
    plan = plan or Plan()
    fixed = None if replications is None else replication_count(replications)
    files = [
        FileRuns(
            scenario,
            scenario.seed if seed is None else seed,
            fixed or replication_count(scenario.replications),
        )
        for _, scenario in scenarios
    ]
    runs = [(f.scenario, f.limit) for f in files]
    with backend(workers, scheduler, runs=runs) as runner:
        for round_number in itertools.count(1):
            planned = [(f, r) for f in files if (r := f.next_round(plan, fixed)) is not None]
            tasks = [task for _, r in planned for task in r.tasks]
            if not tasks:
                break
            label = (
                f"validate: {count(len(scenarios), 'scenario')}, round {round_number}, "
                f"{count(len(tasks), 'run')}"
            )
            outcomes = iter(runner.map(tasks, _figures_and_loads, progress, label))
            for f, r in planned:
                f.add(r, [next(outcomes) for _ in r.tasks])
    rows, messages = [], []
    for f, (source, scenario) in zip(files, scenarios, strict=True):
        rows += _rows(scenario, source, f)
        messages += _cannot_fail_warnings(scenario, source)
        messages += stability_messages(scenario, f.loads, source)
    return Validation(rows, messages)


def validate_many(scenarios: Sequence[tuple[str, Scenario]], **options: object) -> list[TargetRow]:
    """The rows of :func:`validate_all` (same arguments)."""
    return validate_all(scenarios, **options).rows  # type: ignore[arg-type]


def validate(scenario: Scenario, **options: object) -> list[TargetRow]:
    """Check one scenario's targets (options as for :func:`validate_many`)."""
    return validate_many([(scenario.name, scenario)], **options)
