"""Checking scenarios against the document: each target's figure with its 95% CI.

A :class:`~sim.scenario.Target` names a metric over a selection of contacts (one queue,
several pooled, or a weighted mix; arrivals on some days and clock hours; whole contacts
followed end to end). :func:`target_figures` computes every target of a scenario on one
replication, from the hop records alone; :func:`validate` runs the replications (any
backend of :func:`sim.runner.map_replications`), takes the mean and Student-t half-width
over replications, and applies the pass rule:

* ``bound: equal`` (default): ``|simulated mean - value| <= half-width``;
* ``bound: at_most``: ``simulated mean <= value + half-width``;
* ``bound: at_least``: ``simulated mean >= value - half-width``.

The half-width is the target's tolerance (``10%`` of the value, or an absolute number
in the metric's units); the CI is reported beside it, not used in the rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sim.engine import ReplicationResult
from sim.errors import ScenarioError
from sim.loader import load, read_yaml
from sim.records import By, Outcome
from sim.report.tables import Table, wrapped_grid
from sim.runner import Task, map_replications, replication_count
from sim.scenario import (
    DAY_NAMES,
    DEADLINE_METRICS,
    MAX_HORIZON,
    TIME_METRICS,
    Deadline,
    QueueSelection,
    Reference,
    Scenario,
    Target,
)
from sim.stats import mean_ci
from sim.timeline import DAY, Clock
from sim.units import format_clock, format_duration

__all__ = [
    "TargetRow",
    "describe",
    "discover",
    "format_rows",
    "format_value",
    "load_all",
    "passes",
    "target_figures",
    "target_table",
    "unit_metric",
    "validate",
    "validate_many",
    "verdict",
]

_NOT_OFFERED = (Outcome.NOT_VISIBLE, Outcome.OVERFLOW, Outcome.CLOSED)
_OUTCOME_RATES = {
    "abandon_rate": Outcome.ABANDONED,
    "resolution_rate": Outcome.RESOLVED,
    "not_visible_rate": Outcome.NOT_VISIBLE,
    "overflow_rate": Outcome.OVERFLOW,
    "closed_rate": Outcome.CLOSED,
}
_QUANTILES = {"median_wait": 0.5, "p90_wait": 0.9, "p95_wait": 0.95}


# -- one replication ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Selection:
    """What one side of a target measures (the target itself, or its ratio reference)."""

    queue: QueueSelection
    metric: str
    days: tuple[str, ...] | None
    hours: tuple[float, float] | None
    scope: tuple[str, ...] | None
    within: Deadline | None

    @classmethod
    def of(cls, target: Target, ref: Reference | None = None) -> _Selection:
        def pick(field: str) -> object:
            mine = getattr(ref, field) if ref is not None else None
            return getattr(target, field) if mine is None else mine

        return cls(*(pick(f) for f in ("queue", "metric", "days", "hours", "scope", "within")))

    def with_hours(self, hours: tuple[float, float]) -> _Selection:
        return _Selection(self.queue, self.metric, self.days, hours, self.scope, self.within)


class _Replication:
    """One replication's records with the calendar needed to filter and time them."""

    def __init__(self, scenario: Scenario, result: ReplicationResult) -> None:
        self.scenario = scenario
        self.result = result
        self.hops = result.hops
        self.clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
        self.index = {name: i for i, name in enumerate(result.queues)}
        self.entered = result.contacts["entered"]
        self.entry_queue = result.contacts["entry_queue"]
        w0, w1 = result.window
        self.contact_counted = (self.entered >= w0) & (self.entered < w1)
        self.hop_counted = self.contact_counted[self.hops["contact"]]

    # -- calendar --------------------------------------------------------------------

    def _day(self, t: np.ndarray) -> np.ndarray:
        return np.floor((t + self.clock.offset) / DAY).astype(int)

    def in_time(
        self, t: np.ndarray, days: tuple[str, ...] | None, hours: tuple[float, float] | None
    ) -> np.ndarray:
        """Which times fall on the selected days and between the selected clock hours."""
        keep = np.ones(len(t), dtype=bool)
        if days is not None and len(t):
            day = self._day(t)
            unique = np.unique(day)
            ok = {d: self.clock.matches(days, int(d)) for d in unique.tolist()}
            keep &= np.array([ok[d] for d in day.tolist()], dtype=bool)
        if hours is not None:
            tod = (t + self.clock.offset) % DAY
            start, end = hours
            keep &= (tod >= start) & (tod < end) if start < end else (tod >= start) | (tod < end)
        return keep

    def deadlines(self, t: np.ndarray, within: Deadline) -> np.ndarray:
        """The moment by which each contact arriving at ``t`` must be answered."""
        if within.seconds is not None:
            return t + within.seconds
        day = self._day(t)
        ends = {}
        for d in np.unique(day).tolist():
            k, counted = d, 0
            # A calendar of holidays only has no working day: no deadline is ever met.
            while counted < within.days and k - d <= MAX_HORIZON / DAY:
                k += 1
                counted += not within.working or self.clock.matches(("workdays",), k)
            ends[d] = self.clock.day_start(k + 1) if counted >= within.days else math.inf
        return np.array([ends[d] for d in day.tolist()], dtype=float)

    # -- weights -----------------------------------------------------------------------

    def _weights(self, queue: QueueSelection, of_queue: np.ndarray, base: np.ndarray):
        """Per-row weights: 1 when pooling, weight / row count of its queue in a mix."""
        names = (queue,) if isinstance(queue, str) else tuple(queue)
        weights = np.zeros(len(base))
        for name in names:
            rows = base & (of_queue == self.index[name])
            if isinstance(queue, dict):
                count = int(rows.sum())
                if count == 0:
                    return None  # a mix needs every member: its figure is undefined
                weights[rows] = queue[name] / count
            else:
                weights[rows] = 1.0
        return weights

    # -- figures -----------------------------------------------------------------------

    def figure(self, sel: _Selection) -> float:
        """The selection's metric on this replication (NaN when undefined)."""
        if sel.metric == "utilization":
            return self._utilization(sel.queue)
        if sel.metric.startswith("e2e_"):
            return self._end_to_end(sel)
        return self._hop_metric(sel)

    def _utilization(self, queue: QueueSelection) -> float:
        names = (queue,) if isinstance(queue, str) else tuple(queue)
        accounts = [self.result.accounts[self.index[n]] for n in names]
        if isinstance(queue, dict):
            utils = np.array([a.utilization for a in accounts])
            return _weighted_mean(utils, np.array([queue[n] for n in names]))
        # Pooled: every agent who serves any of them, a shared team once.
        return self.result.pooled_utilization(self.index[n] for n in names)

    def _hop_metric(self, sel: _Selection) -> float:
        hops = self.hops
        base = self.hop_counted & self.in_time(hops["arrive"], sel.days, sel.hours)
        weights = self._weights(sel.queue, hops["queue"], base)
        if weights is None:
            return math.nan
        rows = weights > 0
        w = weights[rows]
        if not len(w):
            return math.nan
        arrive, response = hops["arrive"][rows], hops["response"][rows]
        outcome, metric = hops["outcome"][rows], sel.metric
        answered = ~np.isnan(response)
        wait = response - arrive
        if metric in _OUTCOME_RATES:
            return _share(w, outcome == _OUTCOME_RATES[metric])
        if metric == "answer_rate":
            return _share(w, answered)
        if metric == "escalation_rate":
            return _share(w, hops["next_queue"][rows] >= 0)
        if metric == "bot_share":
            return _share(w, hops["by"][rows] == By.BOT)
        if metric == "mean_wait":
            return _weighted_mean(wait[answered], w[answered])
        if metric in _QUANTILES:
            return _weighted_quantile(wait[answered], w[answered], _QUANTILES[metric])
        if metric == "mean_handle":
            agent = ~np.isnan(hops["agent_start"][rows])
            return _weighted_mean(hops["service"][rows][agent], w[agent])
        within = sel.within or Deadline(seconds=self.scenario.service_level_threshold)
        deadline = self.deadlines(arrive, within)
        if metric == "service_level":
            offered = ~np.isin(outcome, _NOT_OFFERED)
            return _share(w, answered & (response <= deadline), over=offered)
        if metric == "resolved_within":
            done = (outcome == Outcome.RESOLVED) & (hops["end"][rows] <= deadline)
            return _share(w, done, over=~np.isin(outcome, _NOT_OFFERED))
        raise ValueError(f"unknown hop metric {metric!r}")  # pragma: no cover - validated

    def _end_to_end(self, sel: _Selection) -> float:
        hops, n = self.hops, len(self.entered)
        base = self.contact_counted & self.in_time(self.entered, sel.days, sel.hours)
        weights = self._weights(sel.queue, self.entry_queue, base)
        if weights is None:
            return math.nan
        contact = hops["contact"]
        in_scope = np.ones(len(contact), dtype=bool)
        if sel.scope is not None:
            in_scope = np.isin(hops["queue"], [self.index[q] for q in sel.scope])
        metric = sel.metric
        if metric == "e2e_reach_rate":
            reached = np.zeros(n, dtype=bool)
            reached[contact[in_scope]] = True
            return _share(weights, reached)
        if metric in ("e2e_answer_rate", "e2e_answered_within"):
            rows = in_scope & ~np.isnan(hops["response"])
            first = _first(n, contact[rows], hops["response"][rows])
        else:
            rows = in_scope & (hops["outcome"] == Outcome.RESOLVED)
            first = _first(n, contact[rows], hops["end"][rows])
        done = np.isfinite(first)
        if metric in ("e2e_answer_rate", "e2e_resolution_rate"):
            return _share(weights, done)
        if metric == "e2e_mean_time":
            keep = done & (weights > 0)
            return _weighted_mean((first - self.entered)[keep], weights[keep])
        deadline = self.deadlines(self.entered, sel.within)
        return _share(weights, done & (first <= deadline))


def _first(n: int, contact: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per contact, the earliest of ``times`` (inf when it has none)."""
    first = np.full(n, np.inf)
    np.minimum.at(first, contact, times)
    return first


def _share(w: np.ndarray, hit: np.ndarray, over: np.ndarray | None = None) -> float:
    total = float(w.sum() if over is None else w[over].sum())
    return float(w[hit].sum()) / total if total > 0 else math.nan


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    return float((x * w).sum()) / total if len(x) and total > 0 else math.nan


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile of ``x``; equal weights give numpy's default (linear) percentile."""
    if not len(x):
        return math.nan
    if np.all(w == w[0]):
        return float(np.percentile(x, 100 * q))
    order = np.argsort(x)
    cumulative = np.cumsum(w[order])
    at = np.searchsorted(cumulative, q * cumulative[-1])
    return float(x[order][min(at, len(x) - 1)])


def _other_hours(hours: tuple[float, float]) -> list[tuple[float, float]]:
    """The whole clock hours that do not overlap the window ``hours``."""
    start, end = hours
    span = (end - start) % DAY or DAY

    def overlaps(h: int) -> bool:
        return (h * 3600.0 - start) % DAY < span or (start - h * 3600.0) % DAY < 3600.0

    return [(h * 3600.0, (h + 1) * 3600.0) for h in range(24) if not overlaps(h)]


def _target_figure(rep: _Replication, target: Target) -> float:
    own = _Selection.of(target)
    value = rep.figure(own)
    if target.ratio_to is None:
        return value
    if target.ratio_to == "best_other_hour":
        others = [rep.figure(own.with_hours(h)) for h in _other_hours(target.hours)]
        finite = [v for v in others if math.isfinite(v)]
        reference = max(finite) if finite else math.nan
    else:
        reference = rep.figure(_Selection.of(target, target.ratio_to))
    return value / reference if reference and math.isfinite(reference) else math.nan


def target_figures(scenario: Scenario, result: ReplicationResult) -> list[float]:
    """Every target's figure on one replication, in the order of ``scenario.targets``.

    Picklable and small, so it runs where the replication ran (see
    :func:`sim.runner.map_replications`).
    """
    rep = _Replication(scenario, result)
    return [_target_figure(rep, t) for t in scenario.targets]


# -- over replications -------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """One target against the simulation: document figure, simulated mean and CI, verdict.

    Times are in seconds, rates and shares as fractions, ratios as plain numbers;
    ``tolerance`` is the half-width in the same units.
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
    slack = target.half_width * (1 + 1e-12)  # a figure exactly on the edge passes
    if target.bound == "at_most":
        return simulated <= target.value + slack
    if target.bound == "at_least":
        return simulated >= target.value - slack
    return abs(simulated - target.value) <= slack


def unit_metric(target: Target) -> str:
    """The row's metric name: ``<metric>_ratio`` for ratio targets (a plain number)."""
    return f"{target.metric}_ratio" if target.is_ratio else target.metric


def describe(target: Target) -> str:
    """The metric with its qualifiers, as the table shows it."""
    parts = [target.metric]
    if target.metric in DEADLINE_METRICS and (target.within or target.metric != "service_level"):
        parts.append(f"within {target.within}")
    if target.scope is not None:
        label = "reaching" if target.metric == "e2e_reach_rate" else "at"
        parts.append(f"{label} {'+'.join(target.scope)}")
    if target.days is not None:
        parts.append(_days(target.days))
    if target.hours is not None:
        parts.append("-".join(format_clock(h) for h in target.hours))
    text = " ".join(parts)
    if target.ratio_to == "best_other_hour":
        return f"{text} / best other hour"
    if isinstance(target.ratio_to, Reference):
        ref = target.ratio_to
        other = [
            _label(ref.queue) if ref.queue is not None else "",
            ref.metric or "",
            _days(ref.days) if ref.days else "",
            "-".join(format_clock(h) for h in ref.hours) if ref.hours else "",
            f"at {'+'.join(ref.scope)}" if ref.scope else "",
        ]
        return f"{text} / {' '.join(o for o in other if o) or 'same'}"
    return text


def _days(days: tuple[str, ...]) -> str:
    """Day selector in calendar order (mon..sun after the keywords)."""
    order = {d: i for i, d in enumerate(DAY_NAMES)}
    return ",".join(sorted(days, key=lambda d: order.get(d, -1)))


def _label(queue: QueueSelection) -> str:
    if isinstance(queue, str):
        return queue
    if isinstance(queue, dict):
        return "+".join(f"{q}:{w:g}" for q, w in queue.items())
    return "+".join(queue)


def _rows(scenario: Scenario, source: str, figures: Sequence[Sequence[float]]) -> list[TargetRow]:
    rows = []
    for i, target in enumerate(scenario.targets):
        mean, half = mean_ci(np.array([f[i] for f in figures], dtype=float))
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
                replications=len(figures),
                source=source,
            )
        )
    return rows


def validate_many(
    scenarios: Sequence[tuple[str, Scenario]],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = 1,
    scheduler: object = None,
    progress: bool = False,
) -> list[TargetRow]:
    """Run every scenario's replications in one batch and check all their targets.

    Args:
        scenarios: ``(source, scenario)`` pairs; source is shown in the rows (a path).
        replications: per scenario (default: each file's own).
        seed: base seed (default: each file's own).
        workers: local processes (``None``: one per core).
        scheduler: a Dask scheduler address, as for :func:`sim.run`.
        progress: show a progress bar.
    """
    tasks, owners = [], []
    for k, (_, scenario) in enumerate(scenarios):
        n = replication_count(scenario.replications if replications is None else replications)
        s = scenario.seed if seed is None else seed
        tasks += [Task(scenario, r, s) for r in range(n)]
        owners += [k] * n
    figures = map_replications(
        tasks,
        target_figures,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=f"validate: {len(scenarios)} scenarios, {len(tasks)} replications",
    )
    rows = []
    for k, (source, scenario) in enumerate(scenarios):
        mine = [f for f, owner in zip(figures, owners, strict=True) if owner == k]
        rows += _rows(scenario, source, mine)
    return rows


def validate(scenario: Scenario, **options: object) -> list[TargetRow]:
    """Check one scenario's targets (options as for :func:`validate_many`)."""
    return validate_many([(scenario.name, scenario)], **options)  # type: ignore[arg-type]


# -- files -------------------------------------------------------------------------------


def _has_targets(path: Path) -> bool:
    try:
        return bool(read_yaml(path).get("targets"))
    except ScenarioError:
        return True  # let loading report the problem


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files to validate: files as given, folders searched for ``*.yaml``.

    In folders only files with a ``targets:`` list are taken, so helper files without
    targets can live beside them.

    Raises:
        ScenarioError: a path does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += [p for p in sorted(path.rglob("*.yaml")) if _has_targets(p)]
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(str(path), [("", "no such file or folder")])
    return list(dict.fromkeys(found))


def _try_load(path: Path, overrides: Iterable[str]) -> tuple[str, Scenario] | ScenarioError:
    try:
        return str(path), load(path, overrides)
    except ScenarioError as exc:
        return exc


def load_all(paths: Sequence[Path], overrides: Iterable[str] = ()) -> list[tuple[str, Scenario]]:
    """Load every file, reporting all files' problems together."""
    loaded, problems = [], []
    for path in paths:
        outcome = _try_load(path, overrides)
        (problems if isinstance(outcome, ScenarioError) else loaded).append(outcome)
    if problems:
        first = problems[0]
        if len(problems) == 1:
            raise first
        lines = [str(p) for p in problems]
        raise ScenarioError(first.source, [("", "\n".join(lines))])
    return loaded


# -- the table ---------------------------------------------------------------------------


def format_value(metric: str, value: float) -> str:
    """A figure in its units: a duration, a percentage, or a plain ratio."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric.endswith("_ratio"):
        return f"{value:.3g}"
    if metric in TIME_METRICS:
        return format_duration(value)
    return f"{100 * value:.1f}%"


def _document(row: TargetRow) -> str:
    figure = format_value(row.metric, row.value)
    mark = {"at_most": "<= ", "at_least": ">= "}.get(row.bound, "")
    return f"{mark}{figure}"


def _tolerance(row: TargetRow) -> str:
    if row.tolerance == 0:
        return "-"
    if row.metric.endswith("_ratio") or row.metric in TIME_METRICS:
        return f"±{format_value(row.metric, row.tolerance)}"
    return f"±{100 * row.tolerance:.1f}pp"


def _simulated(row: TargetRow) -> str:
    text = format_value(row.metric, row.simulated)
    if math.isfinite(row.ci95):
        half = format_value(row.metric, row.ci95)
        text += f" ±{half[:-1]}pp" if half.endswith("%") else f" ±{half}"
    return text


def _short(queue: str) -> str:
    """A mix label without its weights (the JSON rows keep them)."""
    if ":" not in queue:
        return queue
    return "+".join(part.split(":")[0] for part in queue.split("+")) + " (mix)"


def target_table(rows: Sequence[TargetRow], caption: str = "") -> Table:
    """One row per target: figures in their units and the verdict (``pass`` / ``MISS``).

    A ``role`` column (what the target is to the scenario: ``fit``, ``input``, ``check``)
    appears when the rows carry one.
    """
    roles = [getattr(r, "role", None) for r in rows]
    with_role = any(roles)
    header = ["scenario", "queue", "metric", *(["role"] if with_role else [])]
    header += ["document", "tol", "simulated ±95% CI", "result"]
    body = [
        (
            r.scenario,
            _short(r.queue),
            r.detail,
            *([role or ""] if with_role else []),
            _document(r),
            _tolerance(r),
            _simulated(r),
            "pass" if r.passed else "MISS",
        )
        for r, role in zip(rows, roles, strict=True)
    ]
    flags = tuple("" if r.passed else "miss" for r in rows)
    return Table(tuple(header), tuple(body), left=len(header) - 4, caption=caption, flags=flags)


def verdict(rows: Sequence[TargetRow]) -> str:
    """``N of M targets pass`` (and how many missed)."""
    missed = sum(not r.passed for r in rows)
    return f"{len(rows) - missed} of {len(rows)} targets pass" + (
        f"; {missed} missed" if missed else ""
    )


def format_rows(rows: Sequence[TargetRow]) -> str:
    """A fixed-width table, wrapped to 120 columns: one row per target, then a count."""
    table = target_table(rows)
    right = set(range(table.left, len(table.header) - 1))
    lines = wrapped_grid(table.header, table.rows, right=right, wrap={0, 1, 2})
    return "\n".join([*lines, "", verdict(rows)])
