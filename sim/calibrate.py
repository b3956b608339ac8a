"""Fitting free parameters of a scenario to its targets on common random numbers.

The document gives figures (targets) but not every parameter behind them. A free
parameter (an arrival rate, a patience or service mean, a probability) is fitted by
minimising the targets' squared misses, each scaled by its tolerance, with
``scipy.optimize``: bounded Brent (``minimize_scalar``) for one parameter; for several,
bounded Brent along each in turn (coordinate descent, the default) or bounded
Nelder-Mead (``minimize``). Every evaluation runs the same replications with the same seed
(common random numbers), so the objective is a deterministic function of the
parameters and the optimiser is not chasing noise.

Parameters are read and written in the units of the file: a rate written ``150/h`` is
fitted in arrivals per hour and written back as ``…/h``; a duration ``8m`` in minutes.
The calibrated file is the original YAML with the fitted values set (comments are lost).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import optimize

from sim.depends import runs_only
from sim.errors import ScenarioError
from sim.loader import apply_overrides, from_dict, read_scenario
from sim.options import named
from sim.parameters import FreeParameter, free_parameter
from sim.runner import Task, backend, positive_whole, replication_count, seed_value
from sim.scenario import Scenario, Target
from sim.validate import passes, target_parts
from sim.validate.estimate import Parts, estimate, parts_table
from sim.validate.sequential import Plan, next_count

__all__ = [
    "METHODS",
    "Calibration",
    "FreeParameter",
    "calibrate",
    "free_parameter",
    "write_calibrated",
]

METHODS = ("coordinate", "nelder-mead")


@dataclass
class Calibration:
    """The outcome of a fit.

    Attributes:
        parameters: the free parameters (with their start values and bounds).
        fitted: fitted values, in the parameters' units.
        before, after: per target, the simulated mean and 95% half-width at the start
            values and at the fitted values.
        objective: sum of squared tolerance-scaled misses at the fitted values.
        evaluations: simulations of the full replication set run by the optimiser
            (at most the budget; a point already simulated is not run again).
        scenario: the calibrated scenario; data: its raw data (for writing).
        replications: the replications every evaluation ran.
        budget_spent: the optimiser wanted more evaluations than the budget; the best
            values seen are the fit.
        seed: the base seed every evaluation ran (the written file keeps its own).
    """

    parameters: list[FreeParameter]
    fitted: list[float]
    targets: tuple[Target, ...]
    before: list[tuple[float, float]]
    after: list[tuple[float, float]]
    objective: float
    evaluations: int
    scenario: Scenario
    data: dict[str, Any]
    replications: int
    history: list[tuple[list[float], float]] = field(default_factory=list)
    budget_spent: bool = False
    seed: int | None = None

    @property
    def passed(self) -> list[bool]:
        """Whether each target passes at the fitted values."""
        return [passes(t, mean) for t, (mean, _) in zip(self.targets, self.after, strict=True)]


def _miss(target: Target, simulated: float) -> float:
    """Signed miss in tolerances (0 inside a one-sided bound)."""
    if not math.isfinite(simulated):
        return 1e3
    scale = target.half_width or 0.1 * abs(target.value) or 1.0
    gap = simulated - target.value
    if target.bound == "at_most":
        gap = max(gap, 0.0)
    elif target.bound == "at_least":
        gap = min(gap, 0.0)
    return gap / scale


def _summaries(targets: Sequence[Target], figures: list[list[Parts]]) -> list[tuple[float, float]]:
    """Each target's mean (a ratio's: of means) and CI half-width over replications."""
    return [estimate(t, parts_table(figures, i))[:2] for i, t in enumerate(targets)]


def calibrate(
    data: Mapping[str, Any] | str | Path,
    free: Sequence[FreeParameter],
    *,
    source: str = "<dict>",
    targets: Iterable[int] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    overrides: Iterable[str] = (),
    max_evaluations: int = 60,
    method: str = "coordinate",
    progress: Callable[[list[float], float], None] | None = None,
    plan: Plan | None = None,
) -> Calibration:
    """Fit ``free`` parameters of the scenario ``data`` to its targets.

    Every evaluation runs the same replications with the same seed. Without
    ``replications``, their count is chosen once, at the start values, by sequential
    stopping (:mod:`sim.validate.sequential`, precision only): from ``plan.minimum``
    until every fitted target's 95% CI half-width is at most ``plan.precision`` times its
    tolerance, at most the file's own ``replications``.

    Args:
        data: the raw scenario (as read from YAML), or its file's path.
        free: parameters to fit (see :func:`free_parameter`).
        source: file name for error messages.
        targets: indices of the targets to fit (default: all); the others are reported.
        replications: per evaluation, fixed (default: chosen by sequential stopping).
        seed: base seed of every evaluation (default: the file's).
        workers: local processes per evaluation (default ``None``: one per core, fewer
            if the memory limit needs, as every other call; see
            :func:`sim.runner.workers_for`); 1 runs in this process.
        scheduler: a Dask scheduler address, a ``distributed.Client`` (left open) or a
            Dask cluster to run every evaluation on instead; the fit does not change.
        overrides: ``dotted.path=VALUE`` applied before fitting.
        max_evaluations: budget of the optimiser (evaluations per search for
            coordinate descent: budget / (3 x parameters)).
        method: ``coordinate`` or ``nelder-mead`` for several parameters.
        progress: called with (values, objective) after each evaluation.
        plan: the sequential stopping rule (default :class:`Plan()`).

    Raises:
        ScenarioError: the scenario, a target index or the free parameters are bad.
        ClusterError: ``scheduler`` given but unusable, or lost during the fit.
        TypeError, ValueError: ``seed``, ``replications``, ``workers``,
            ``max_evaluations`` or ``method`` is not one the fit can use.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    max_evaluations = positive_whole(max_evaluations, "max_evaluations")
    if isinstance(data, str | Path):
        data, source = read_scenario(data), str(data) if source == "<dict>" else source
    if not isinstance(data, Mapping):
        raise TypeError(
            f"data must be a scenario's plain data (a dict) or its file, got {type(data).__name__}"
        )
    base = apply_overrides(dict(data), overrides)
    scenario = from_dict(base, source)
    if not scenario.targets:
        raise ScenarioError(source, [("targets", "nothing to calibrate against: no targets")])
    if not free:
        raise ScenarioError(source, [("", f"{named('free')}: name at least one parameter to fit")])
    chosen = list(range(len(scenario.targets))) if targets is None else list(targets)
    if not chosen:
        raise ScenarioError(source, [("targets", "name at least one target to fit")])
    for i in chosen:
        if not 0 <= i < len(scenario.targets):
            known = f"the file's are 0 to {len(scenario.targets) - 1}"
            reason = f"{named('targets')}: no such target ({known})"
            raise ScenarioError(source, [(f"targets.{i}", reason)])
    limit = replication_count(scenario.replications if replications is None else replications)
    seed = scenario.seed if seed is None else seed_value(seed)
    # One pool (or client) for every evaluation.
    with backend(workers, scheduler, runs=[(scenario, limit)]) as runner:

        def simulate(
            values: Sequence[float], reps: int, first: int = 0, only: list[int] | None = None
        ) -> tuple[Scenario, list[list[Parts]]]:
            """Replications ``first`` to ``reps - 1`` at ``values``: their figures.

            With ``only``, the figures of those targets alone (in that order), from runs
            of what they depend on (:func:`sim.depends.runs_only`: the same
            figures to the bit, for less work).
            """
            changed = apply_overrides(base, _overrides(free, values))
            candidate = from_dict(changed, source)
            run = candidate
            if only is not None:
                run, _ = runs_only(candidate, [candidate.targets[i] for i in only])
            tasks = [Task(run, r, seed) for r in range(first, reps)]
            return candidate, runner.map(tasks, target_parts)

        start = [p.start for p in free]
        if replications is None:
            reps, start_figures = _sequential(simulate, start, chosen, limit, plan or Plan())
        else:
            reps, (_, start_figures) = limit, simulate(start, limit)
        return replace(
            _fit(
                simulate,
                free,
                targets=scenario.targets,
                chosen=chosen,
                base=base,
                reps=reps,
                start_figures=start_figures,
                progress=progress,
                max_evaluations=max_evaluations,
                method=method,
            ),
            seed=seed,
        )


Simulate = Callable[..., tuple[Scenario, list[list[Parts]]]]


def _sequential(
    simulate: Simulate,
    values: Sequence[float],
    chosen: list[int],
    limit: int,
    plan: Plan,
) -> tuple[int, list[list[Parts]]]:
    """The replications the fitted targets need at ``values``, and their figures there.

    Each round adds replications to those already run (a run's figures depend only on
    its number and the values, so no run is repeated).
    """
    reps = plan.start(limit)
    figures: list[list[Parts]] = []
    while True:
        candidate, more = simulate(values, reps, len(figures))
        figures += more
        targets = [candidate.targets[i] for i in chosen]
        wanted = next_count(
            targets, [[f[i] for i in chosen] for f in figures], limit, plan.precision, False
        )
        if wanted == reps:
            return reps, figures
        reps = wanted


def _fit(
    simulate: Simulate,
    free: Sequence[FreeParameter],
    *,
    targets: Sequence[Target],
    chosen: list[int],
    base: dict[str, Any],
    reps: int,
    start_figures: list[list[Parts]],
    progress: Callable[[list[float], float], None] | None,
    max_evaluations: int,
    method: str,
) -> Calibration:
    """Optimise ``free`` on ``reps`` replications per evaluation, from the start values.

    At most ``max_evaluations`` simulations: on common random numbers a point's loss is
    fixed, so a point seen before (the start included) is not simulated again, and when
    the optimiser asks for more than the budget the best point seen is the fit.
    """
    history: list[tuple[list[float], float]] = []
    before = _summaries(targets, start_figures)
    start = [p.start for p in free]
    start_loss = float(sum(_miss(targets[i], before[i][0]) ** 2 for i in chosen))
    seen: dict[tuple[float, ...], float] = {tuple(start): start_loss}

    def objective(values: Sequence[float]) -> float:
        values = [float(np.clip(v, p.low, p.high)) for v, p in zip(values, free, strict=True)]
        if tuple(values) in seen:
            return seen[tuple(values)]
        if len(history) >= max_evaluations:
            raise _BudgetSpentError
        # The search needs the fitted targets only: runs of what they depend on.
        candidate, figures = simulate(values, reps, only=chosen)
        means = _summaries([candidate.targets[i] for i in chosen], figures)
        loss = sum(
            _miss(candidate.targets[i], m) ** 2 for i, (m, _) in zip(chosen, means, strict=True)
        )
        seen[tuple(values)] = loss
        history.append((values, loss))
        if progress is not None:
            progress(values, loss)
        return loss

    best, spent = start, False
    # Every value that meets a one-sided bound is as good as the start: keep the start,
    # when it lies in the range searched (the fit always does).
    if seen[tuple(start)] > 0 or not _inside(start, free):
        try:
            best = _optimise(objective, free, max_evaluations, method)
        except _BudgetSpentError:
            candidates = [item for item in seen.items() if _inside(item[0], free)]
            point, _ = min(candidates, key=lambda item: item[1])  # the first on a tie
            best, spent = list(point), True
    calibrated_data = apply_overrides(base, _overrides(free, best))
    calibrated, figures = simulate(best, reps)
    after = _summaries(calibrated.targets, figures)
    loss = sum(_miss(calibrated.targets[i], after[i][0]) ** 2 for i in chosen)
    return Calibration(
        list(free),
        best,
        calibrated.targets,
        before,
        after,
        loss,
        len(history),
        calibrated,
        calibrated_data,
        reps,
        history,
        spent,
    )


def _inside(values: Sequence[float], free: Sequence[FreeParameter]) -> bool:
    return all(p.low <= v <= p.high for v, p in zip(values, free, strict=True))


class _BudgetSpentError(Exception):
    """The optimiser asked for an evaluation past the budget."""


def _overrides(free: Sequence[FreeParameter], values: Sequence[float]) -> list[str]:
    return [o for p, v in zip(free, values, strict=True) for o in p.overrides(v)]


def _brent(
    objective: Callable[[Sequence[float]], float],
    values: list[float],
    k: int,
    p: FreeParameter,
    budget: int,
) -> list[float]:
    """Bounded Brent search along parameter ``k``, the others held."""

    def along(x: float) -> float:
        return objective([*values[:k], x, *values[k + 1 :]])

    found = optimize.minimize_scalar(
        along,
        bounds=(p.low, p.high),
        method="bounded",
        options={"xatol": 1e-3 * (p.high - p.low), "maxiter": max(budget, 3)},
    )
    if found.fun < along(values[k]):  # a tie keeps the value: a flat loss is no reason
        return [*values[:k], float(found.x), *values[k + 1 :]]
    return values


def _optimise(
    objective: Callable[[Sequence[float]], float],
    free: Sequence[FreeParameter],
    budget: int,
    method: str = "coordinate",
) -> list[float]:
    """Minimise ``objective`` within the bounds.

    One parameter: bounded Brent. Several: ``coordinate`` (default) runs bounded Brent
    along each parameter in turn, sweeping until a sweep changes nothing or the budget
    is spent, which copes with the flat steps a simulated objective has; ``nelder-mead``
    runs bounded Nelder-Mead in the unit cube.
    """
    # From the start, or the end of the range nearest it when the range leaves it out.
    values = [float(np.clip(p.start, p.low, p.high)) for p in free]
    if len(free) == 1:
        return _brent(objective, values, 0, free[0], budget)
    if method == "nelder-mead":
        lows = np.array([p.low for p in free])
        widths = np.array([p.high - p.low for p in free])
        x0 = np.clip((np.array(values) - lows) / widths, 0.0, 1.0)

        def in_cube(u: np.ndarray) -> float:
            return objective(list(lows + np.clip(u, 0, 1) * widths))

        found = optimize.minimize(
            in_cube,
            x0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * len(free),
            # The objective stops at the budget; scipy's own count would include the
            # remembered points (the start), which cost no simulation.
            options={"maxfev": 10 * budget + 10, "xatol": 1e-3, "fatol": 1e-4},
        )
        return [float(v) for v in lows + np.clip(found.x, 0, 1) * widths]
    per_search = max(5, budget // (3 * len(free)))
    for _ in range(3):
        before = list(values)
        for k, p in enumerate(free):
            values = _brent(objective, values, k, p, per_search)
        if values == before:
            break
    return values


def write_calibrated(result: Calibration, out: str | Path, source: str) -> Path:
    """Write the calibrated scenario YAML (the file's data with fitted values; no comments)."""
    out = Path(out)
    lines = [f"# Calibrated by `sim calibrate` from {source} (the original's comments are lost)."]
    lines += [
        f"# {p.name}: {p.text(p.start)} -> {p.text(v)} (searched {p.text(p.low)}..{p.text(p.high)})"
        for p, v in zip(result.parameters, result.fitted, strict=True)
    ]
    ran = result.scenario
    if (result.seed, result.replications) != (ran.seed, ran.replications):
        lines.append(
            f"# Fitted at seed {result.seed}, {result.replications} replications an evaluation; "
            f"the file keeps its own (seed {ran.seed}, replications {ran.replications}): "
            f"--seed {result.seed} -n {result.replications} gives the fit's figures."
        )
    body = yaml.safe_dump(result.data, sort_keys=False, allow_unicode=True)
    out.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return out
