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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import optimize

from sim import paths
from sim.errors import ScenarioError
from sim.loader import apply_overrides, from_dict
from sim.runner import Task, backend, replication_count
from sim.scenario import Scenario, Target
from sim.stats import mean_ci
from sim.units import parse_duration, parse_rate
from sim.validate import passes, target_figures
from sim.validate.sequential import Plan, next_count

__all__ = ["Calibration", "FreeParameter", "calibrate", "free_parameter", "write_calibrated"]

_RATE_TEXT = re.compile(r"^\s*([\d.eE+-]+)\s*/\s*([a-z]+)\s*$")
_DURATION_TEXT = re.compile(r"^\s*[\d.]+\s*(min|s|m|h|d|w)(\s*[\d.]+\s*(min|s|m|h|d|w))*\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_INTEGER_FIELDS = {"staff", "agents", "threshold", "max", "replications", "seed", "max_hops"}
_PROBABILITY_FIELDS = {"resolution", "visibility"}


@dataclass(frozen=True)
class FreeParameter:
    """A scenario field to fit, in the units it is written in.

    Attributes:
        path: dotted path in the scenario file (``queues.live.patience.mean``).
        tied: further paths that take the same value (one parameter shared by queues).
        start: its value in the file, in ``unit``.
        low, high: bounds of the search, in ``unit``.
        unit: how the value is written back: ``"/h"`` (a rate per hour), ``"m"`` (a
            duration in minutes), or ``""`` (a plain number).
    """

    path: str
    start: float
    low: float
    high: float
    unit: str = ""
    tied: tuple[str, ...] = ()

    def text(self, value: float) -> Any:
        """The value as it is written in the file."""
        if not self.unit:
            return float(f"{value:.6g}")
        return f"{value:.6g}{self.unit}"

    def overrides(self, value: float) -> list[str]:
        """``--set`` style overrides setting the value at every tied path.

        A tied path written ``1-path`` takes the complement ``1 - value`` (the other
        branch of a route, so the probabilities keep their sum).
        """
        out = [f"{self.path}={self.text(value)}"]
        for path in self.tied:
            if path.startswith("1-"):
                out.append(f"{path[2:]}={self.text(1.0 - value)}")
            else:
                out.append(f"{path}={self.text(value)}")
        return out

    @property
    def name(self) -> str:
        """The parameter's paths, comma-separated."""
        return ",".join((self.path, *self.tied))


def _lookup(data: Any, path: str, source: str) -> Any:
    found, node = paths.lookup(data, path)
    if not found:
        raise ScenarioError(source, [(path, "--free: no such field in the file")])
    return node


def _unit_of(value: Any, path: str, source: str) -> tuple[float, str]:
    """The value in its written unit, and that unit."""
    last = path.rsplit(".", maxsplit=1)[-1]
    if last in _INTEGER_FIELDS:
        raise ScenarioError(
            source, [(path, "--free: whole numbers (agents, thresholds) cannot be fitted; "
                            "compare them with sim sweep")]
        )  # fmt: skip
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ScenarioError(source, [(path, "--free: the field must hold a number")])
    if isinstance(value, int | float):
        return float(value), ""
    if match := _RATE_TEXT.match(value):
        unit = "/" + match.group(2)
        return parse_rate(value) / parse_rate(f"1{unit}"), unit
    if _DURATION_TEXT.match(value):
        unit = re.findall(r"(min|s|m|h|d|w)", value)[-1]
        return parse_duration(value) / _UNIT_SECONDS[unit], unit
    raise ScenarioError(source, [(path, f"--free: cannot read {value!r} as a number")])


def _kind(unit: str) -> str:
    return "rate" if unit.startswith("/") else "duration" if unit else "number"


def _bound(text: str, unit: str, path: str, source: str) -> float:
    """A bound: a bare number is in the field's unit; ``5m`` or ``100/h`` are converted."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if unit.startswith("/"):
            return parse_rate(text) / parse_rate(f"1{unit}")
        if unit:
            return parse_duration(text) / _UNIT_SECONDS[unit]
    except ValueError as exc:
        raise ScenarioError(source, [(path, f"--free: bad bound {text!r}: {exc}")]) from None
    raise ScenarioError(source, [(path, f"--free: bad bound {text!r}")])


def free_parameter(spec: str, data: dict[str, Any], source: str = "--free") -> FreeParameter:
    """Parse ``dotted.path[,other.path...][=LOW:HIGH]`` against the raw scenario data.

    Several comma-separated paths are one parameter shared by all of them (its start is
    the first path's value); a path written ``1-path`` takes one minus the value.
    Without bounds a probability is searched in [0, 1] and anything else between a
    quarter and four times its value in the file.
    """
    paths, _, bounds = spec.partition("=")
    path, *tied = (p.strip() for p in paths.split(","))
    start, unit = _unit_of(_lookup(data, path, source), path, source)
    for other in (t.removeprefix("1-") for t in tied):
        # Tied fields take the value as written for the first: same kind of quantity.
        if _kind(_unit_of(_lookup(data, other, source), other, source)[1]) != _kind(unit):
            raise ScenarioError(source, [(other, f"--free: tied to {path} but another kind")])
    parts = path.split(".")
    probability = parts[-1] in _PROBABILITY_FIELDS or (
        len(parts) > 1 and parts[-2].startswith("on_")
    )
    if bounds:
        low_text, sep, high_text = bounds.partition(":")
        if not sep:
            raise ScenarioError(source, [(path, "--free: bounds must be LOW:HIGH")])
        low, high = (_bound(t.strip(), unit, path, source) for t in (low_text, high_text))
    elif probability:
        low, high = 0.0, 1.0
    else:
        low, high = start / 4, start * 4
    if not low < high:
        raise ScenarioError(source, [(path, f"--free: LOW must be below HIGH, got {low}:{high}")])
    if probability:
        low, high = max(low, 0.0), min(high, 1.0)
    return FreeParameter(path, start, low, high, unit, tuple(tied))


@dataclass
class Calibration:
    """The outcome of a fit.

    Attributes:
        parameters: the free parameters (with their start values and bounds).
        fitted: fitted values, in the parameters' units.
        before, after: per target, the simulated mean and 95% half-width at the start
            values and at the fitted values.
        objective: sum of squared tolerance-scaled misses at the fitted values.
        evaluations: simulations of the full replication set run by the optimiser.
        scenario: the calibrated scenario; data: its raw data (for writing).
        replications: the replications every evaluation ran.
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


def _summaries(figures: list[list[float]], count: int) -> list[tuple[float, float]]:
    return [mean_ci(np.array([f[i] for f in figures], dtype=float)) for i in range(count)]


def calibrate(
    data: dict[str, Any],
    free: Sequence[FreeParameter],
    *,
    source: str = "<dict>",
    targets: Iterable[int] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = 1,
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
        data: the raw scenario (as read from YAML).
        free: parameters to fit (see :func:`free_parameter`).
        source: file name for error messages.
        targets: indices of the targets to fit (default: all); the others are reported.
        replications: per evaluation, fixed (default: chosen by sequential stopping).
        seed: base seed of every evaluation (default: the file's).
        workers: local processes per evaluation.
        overrides: ``dotted.path=VALUE`` applied before fitting.
        max_evaluations: budget of the optimiser (evaluations per search for
            coordinate descent: budget / (3 x parameters)).
        method: ``coordinate`` or ``nelder-mead`` for several parameters.
        progress: called with (values, objective) after each evaluation.
        plan: the sequential stopping rule (default :class:`Plan()`).
    """
    base = apply_overrides(data, overrides, "--set")
    scenario = from_dict(base, source)
    if not scenario.targets:
        raise ScenarioError(source, [("targets", "nothing to calibrate against: no targets")])
    if not free:
        raise ScenarioError(source, [("", "name at least one --free parameter")])
    chosen = list(range(len(scenario.targets))) if targets is None else list(targets)
    for i in chosen:
        if not 0 <= i < len(scenario.targets):
            raise ScenarioError(source, [(f"targets.{i}", "--target: no such target")])
    limit = replication_count(scenario.replications if replications is None else replications)
    seed = scenario.seed if seed is None else seed
    with backend(workers, tasks=limit) as runner:  # one pool for every evaluation

        def simulate(
            values: Sequence[float], reps: int, first: int = 0
        ) -> tuple[Scenario, list[list[float]]]:
            """Replications ``first`` to ``reps - 1`` at ``values``: their figures."""
            changed = apply_overrides(base, _overrides(free, values))
            candidate = from_dict(changed, source)
            tasks = [Task(candidate, r, seed) for r in range(first, reps)]
            return candidate, runner.map(tasks, target_figures)

        start = [p.start for p in free]
        if replications is None:
            reps, start_figures = _sequential(simulate, start, chosen, limit, plan or Plan())
        else:
            reps, (_, start_figures) = limit, simulate(start, limit)
        return _fit(
            simulate,
            free,
            chosen=chosen,
            base=base,
            reps=reps,
            start_figures=start_figures,
            progress=progress,
            max_evaluations=max_evaluations,
            method=method,
        )


Simulate = Callable[..., tuple[Scenario, list[list[float]]]]


def _sequential(
    simulate: Simulate,
    values: Sequence[float],
    chosen: list[int],
    limit: int,
    plan: Plan,
) -> tuple[int, list[list[float]]]:
    """The replications the fitted targets need at ``values``, and their figures there.

    Each round adds replications to those already run (a run's figures depend only on
    its number and the values, so no run is repeated).
    """
    reps, figures = plan.start(limit), []
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
    chosen: list[int],
    base: dict[str, Any],
    reps: int,
    start_figures: list[list[float]],
    progress: Callable[[list[float], float], None] | None,
    max_evaluations: int,
    method: str,
) -> Calibration:
    """Optimise ``free`` on ``reps`` replications per evaluation, from the start values."""
    history: list[tuple[list[float], float]] = []

    def objective(values: Sequence[float]) -> float:
        values = [float(np.clip(v, p.low, p.high)) for v, p in zip(values, free, strict=True)]
        candidate, figures = simulate(values, reps)
        means = _summaries(figures, len(candidate.targets))
        loss = sum(_miss(candidate.targets[i], means[i][0]) ** 2 for i in chosen)
        history.append((values, loss))
        if progress is not None:
            progress(values, loss)
        return loss

    before = _summaries(start_figures, len(start_figures[0]))
    best = _optimise(objective, free, max_evaluations, method)
    calibrated_data = apply_overrides(base, _overrides(free, best))
    calibrated, figures = simulate(best, reps)
    after = _summaries(figures, len(calibrated.targets))
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
    )


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
    if found.fun <= along(values[k]):
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
    values = [p.start for p in free]
    if len(free) == 1:
        return _brent(objective, values, 0, free[0], budget)
    if method == "nelder-mead":
        lows = np.array([p.low for p in free])
        widths = np.array([p.high - p.low for p in free])
        x0 = np.clip((np.array(values) - lows) / widths, 0.0, 1.0)
        found = optimize.minimize(
            lambda u: objective(list(lows + np.clip(u, 0, 1) * widths)),
            x0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * len(free),
            options={"maxfev": budget, "xatol": 1e-3, "fatol": 1e-4},
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
    body = yaml.safe_dump(result.data, sort_keys=False, allow_unicode=True)
    out.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return out
