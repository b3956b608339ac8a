"""What-if experiments on common random numbers: paired comparisons and sweeps.

Random streams are keyed by queue name, replication and seed (:mod:`sim.streams`), so
two variants of a scenario run with the same seed and replication numbers see the same
arrivals, service times and patience. Their per-replication difference then measures
the change, not the noise, and its confidence interval is far narrower than the two
separate intervals suggest.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml

from sim import paths, yamlfile
from sim.engine import ReplicationResult
from sim.errors import ScenarioError
from sim.loader import (
    apply_overrides,
    check_settable,
    from_dict,
    missing_member,
    read_scenario,
    resolve_includes,
)
from sim.metrics import METRICS, queue_metrics
from sim.options import named
from sim.results import Results, resolved_data
from sim.runner import Task, as_scenario, map_replications, replication_count, seed_value
from sim.scenario import Scenario
from sim.stats import mean_ci, summarize
from sim.units import count
from sim.vary import parse_vary

__all__ = [
    "Variant",
    "compare",
    "paired_queues",
    "paired_results",
    "parse_vary",
    "replication_metrics",
    "run_sweep",
    "sweep",
    "sweep_variants",
    "variant_grid",
]

Source = str | Path | Mapping[str, Any]


# -- building variants -------------------------------------------------------------------


def _raw(source: Source | Scenario) -> tuple[dict[str, Any], str]:
    """Plain scenario data and a name for error messages."""
    if isinstance(source, Scenario):
        raise TypeError(
            "pass the scenario file (or its plain data), not a loaded Scenario: variants "
            "are made by setting fields in the file's data before validation"
        )
    if isinstance(source, Mapping):
        # Its included files joined first, as for a file: varied paths may name their
        # queues (``queues.order_page.flagship.staff``), as in compare's overrides.
        return resolve_includes(source, _name(source)), _name(source)
    return read_scenario(source), _name(source)


def _name(source: Source) -> str:
    return "<dict>" if isinstance(source, Mapping) else str(source)


def _variant(data: Mapping[str, Any], settings: Mapping[str, Any], source: str) -> Scenario:
    """Validate ``data`` with each ``path: value`` of ``settings`` set."""
    for path in settings:
        _check_path(data, path, source)
    # JSON is YAML flow syntax: the override parser reads the value back unchanged.
    texts = [f"{p}={json.dumps(v, default=str)}" for p, v in settings.items()]
    varied = apply_overrides(data, texts, source, via="vary")
    return from_dict(varied, source=f"{source} [{_label(settings)}]")


def _check_path(data: Mapping[str, Any], path: str, source: str) -> None:
    """Every part of a varied path but the last must exist: a typo is not a new queue.

    The reason names the option, ``vary`` (``--vary``), as ``--set``'s typos name theirs.
    """
    said = named("vary")
    check_settable(path.split("."), source, said)
    missing = missing_member(data, path.split("."))
    if missing is not None:
        raise ScenarioError(source, [(missing[0], f"{said}: {missing[1]}")])
    keys, node, rest = paths.walk(data, path)
    if len(rest) > 1:
        options = f" (has: {', '.join(map(str, node))})" if isinstance(node, Mapping) else ""
        where = paths.dotted([*keys, rest[0]])
        raise ScenarioError(source, [(where, f"{said}: not in the scenario{options}")])


def variant_grid(vary: Mapping[str, Sequence[Any]] | Iterable[str]) -> list[dict[str, Any]]:
    """Every combination of the varied values, first path slowest.

    Args:
        vary: ``{path: [values]}``, or ``"path=V1,V2"`` texts as on the command line (one
            text alone is a list of one).

    Raises:
        ScenarioError: a value breaks a limit of YAML text (nested too deep, too many
            values), named by its path, as an override's value is.
        ValueError: bad text, no values, or a path given twice; the message starts with
            ``vary:`` (``--vary:`` on the command line), as the caller names it.
    """
    try:
        vary = _vary_mapping(vary)
    except ScenarioError:
        raise
    except ValueError as exc:
        raise ValueError(f"{named('vary')}: {exc}") from None
    return [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*vary.values())]


def _vary_mapping(
    vary: Mapping[str, Sequence[Any]] | Iterable[str],
) -> Mapping[str, Sequence[Any]]:
    """``vary`` as ``{path: [values]}``, checked (a ValueError's message without the keyword)."""
    if isinstance(vary, str):
        vary = [vary]
    if not isinstance(vary, Mapping):
        pairs = [parse_vary(text) for text in vary]
        paths = [p for p, _ in pairs]
        twice = sorted({p for p in paths if paths.count(p) > 1})
        if twice:
            raise ValueError(f"a path is varied twice: {', '.join(twice)}")
        vary = dict(pairs)
    if not vary:
        raise ValueError("nothing to vary: give at least one path and its values")
    for path, values in vary.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sized) or not len(values):
            raise ValueError(f"{path}: give a list of values, got {values!r}")
    for path, values in vary.items():
        _within_limits(path, values)
    return vary


def _within_limits(path: str, values: Sequence[Any]) -> None:
    """Each value within the limits a value in a file has, before it is written as text.

    A value nested thousands deep overflowed the stack of the JSON that carries it.
    """
    try:
        for value in values:
            yamlfile.check_tree(value)
    except yamlfile.YamlLimitError as exc:
        raise ScenarioError(named("vary"), [(path, str(exc))]) from None


def _label(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{p}={json.dumps(v, default=str)}" for p, v in settings.items())


# -- running -----------------------------------------------------------------------------


def replication_metrics(scenario: Scenario, result: ReplicationResult) -> dict[str, dict]:
    """Every metric of every queue of one replication (the reducer run on the workers)."""
    return queue_metrics(result, scenario.service_level_threshold)


def _metrics_table(
    variants: Sequence[tuple[str, Scenario]],
    replications: int | None,
    seed: int | None,
    *,
    workers: int | None,
    scheduler: Any,
    progress: bool,
    stage: str = "variants",
) -> pd.DataFrame:
    """Per-replication metrics of several variants, all replications in one parallel map.

    A variant runs its own replications and seed unless ``replications`` / ``seed`` say
    otherwise (they differ only when an experiment varies them).
    """
    labels: list[str] = []
    tasks: list[Task] = []
    for label, scenario in variants:
        n = replication_count(scenario.replications if replications is None else replications)
        base = scenario.seed if seed is None else seed_value(seed)
        tasks.extend(Task(scenario, r, base) for r in range(n))
        labels.extend([label] * n)
    figures = map_replications(
        tasks,
        replication_metrics,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=f"{stage}: {count(len(variants), 'variant')}, {count(len(tasks), 'replication')}",
    )
    rows = [
        {"variant": label, "replication": task.replication, "queue": queue, **values}
        for label, task, per_queue in zip(labels, tasks, figures, strict=True)
        for queue, values in per_queue.items()
    ]
    return pd.DataFrame(rows)


def sweep(
    scenario: Source,
    vary: Mapping[str, Sequence[Any]] | Iterable[str],
    *,
    overrides: Iterable[str] = (),
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every combination of varied fields on common random numbers.

    Every variant runs the same replication numbers with the same seed, so differences
    between rows are driven by the varied fields, not by sampling noise.

    Args:
        scenario: a scenario file or its plain data (as read from YAML).
        vary: ``{"queues.live_peak.staff": [8, 10, 12]}``, ``["queues.x.staff=8:12"]`` or
            one such text; several paths make a grid.
        overrides: ``dotted.path=VALUE`` settings applied to every variant first.
        replications: replications per variant (default: the scenario's).
        seed: base seed (default: the scenario's).
        workers: local processes (default: one per core, fewer if the memory limit
            needs; see :func:`sim.runner.workers_for`).
        scheduler: a Dask scheduler address, a ``distributed.Client`` (left open) or a
            cluster such as ``LocalCluster`` (a client to it is opened and closed).
        progress: show a progress bar.

    Returns:
        One row per variant and queue: a column per varied path holding its value,
        ``variant`` (a label), ``queue``, ``replications``, ``scenario`` (its name) and
        ``seed`` (the base seed it ran), then each metric and its ``<metric>_ci95``
        half-width. A sweep of the ``replications`` field itself has
        one ``replications`` column: the varied value is the count.

    Raises:
        ScenarioError: a variant is not a valid scenario, a varied value breaks a limit
            of YAML text (nested too deep, too many values), or ``seed`` or
            ``replications`` is both varied and given.
        TypeError: ``scenario`` is a loaded Scenario (variants are made in its file's
            data), or ``replications``, ``seed`` or ``workers`` is not a whole number.
        ValueError: ``vary`` is malformed.
    """
    variants = sweep_variants(scenario, vary, overrides, replications=replications, seed=seed)
    return run_sweep(
        list(variants),
        replications=replications,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )


def run_sweep(
    variants: Sequence[Variant],
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run the variants of :func:`sweep_variants`: :func:`sweep`'s table.

    A caller that looks at the variants before they run (the command line checks their
    workload) runs the ones it has, not new ones validated again.

    Args:
        variants: the variants, made with the same ``replications`` and ``seed``.
        replications: replications per variant (default: each variant's own).
        seed: base seed (default: each variant's own).
        workers: local processes (default: one per core, fewer if the memory limit
            needs; see :func:`sim.runner.workers_for`).
        scheduler: a Dask scheduler, as for :func:`sweep`.
        progress: show a progress bar.
    """
    labelled = {v.label: v.settings for v in variants}
    per_rep = _metrics_table(
        [(v.label, v.scenario) for v in variants],
        replications,
        seed,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        stage="sweep",
    )
    table = summarize(per_rep, ["variant", "queue"], list(METRICS))
    counts = per_rep.groupby(["variant", "queue"], sort=False).size().to_numpy()
    table.insert(2, "replications", counts)
    settings = pd.DataFrame([labelled[label] for label in table["variant"]])
    # A sweep of the ``replications`` field: its column is the count; one name, once.
    table = pd.concat(
        [settings, table.drop(columns=list(settings.columns), errors="ignore")], axis=1
    )
    ran = {v.label: _as_run(v.scenario, replications, seed) for v in variants}
    at = list(table.columns).index("replications")
    for column, field in (("scenario", "name"), ("seed", "seed")):
        if column not in table:  # a varied seed already is a column: each row's own
            at += 1
            table.insert(at, column, [getattr(ran[v], field) for v in table["variant"]])
    # The resolved scenarios travel with the table, to be saved next to it.
    table.attrs["scenarios"] = ran
    return table


def _refuse_both(
    scenario: Source, labelled: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any]
) -> None:
    """A field both varied and given for the whole sweep: the given value would win.

    Every variant would then run at the one given seed (or count) while its row is
    labelled with its own: rows that differ only in their labels.
    """
    varied = {path for settings in labelled.values() for path in settings}
    problems = [
        (field, f"varied, and also given ({value}) for every variant: give one or the other")
        for field, value in given.items()
        if value is not None and field in varied
    ]
    if problems:
        raise ScenarioError(_name(scenario), problems)


def _as_run(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    """``scenario`` with the replications and seed it ran with.

    A saved variant then reproduces its row under ``sim run``, also when the experiment
    ran at another seed or count than the file's own.
    """
    update: dict[str, int] = {}
    if replications is not None:
        update["replications"] = replication_count(replications)
    if seed is not None:
        update["seed"] = seed_value(seed)
    return scenario.model_copy(update=update)


class Variant(NamedTuple):
    """One point of a sweep: its label, the values it sets and its validated scenario."""

    label: str
    settings: dict[str, Any]
    scenario: Scenario


def sweep_variants(
    scenario: Source,
    vary: Mapping[str, Sequence[Any]] | Iterable[str],
    overrides: Iterable[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> Iterator[Variant]:
    """The validated variants a :func:`sweep` runs, in grid order (run by :func:`run_sweep`).

    Made one at a time, so that a caller can stop early (a grid past the workload limits
    is refused before all of it is validated). ``vary``, the file and the overrides are
    read, and ``replications`` and ``seed`` checked, at the call.

    Args:
        scenario: a scenario file or its plain data (as read from YAML).
        vary: the varied paths and their values, as for :func:`sweep`.
        overrides: ``dotted.path=VALUE`` settings applied to every variant first.
        replications: the replications the sweep is given, if any (a field both varied
            and given is refused).
        seed: the seed the sweep is given, if any (likewise).

    Raises:
        ScenarioError: a variant is not a valid scenario, a varied value breaks a limit
            of YAML text, or ``seed`` or ``replications`` is both varied and given.
        ValueError: ``vary`` is malformed.
    """
    labelled = {_label(settings): settings for settings in variant_grid(vary)}
    _refuse_both(scenario, labelled, {"replications": replications, "seed": seed})
    data, source = _raw(scenario)
    data = apply_overrides(data, overrides, source)
    return (
        Variant(label, settings, _variant(data, settings, source))
        for label, settings in labelled.items()
    )


def compare(
    a: Source | Scenario,
    b: Source | Scenario | None = None,
    *,
    overrides: Iterable[str] = (),
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Paired differences B - A per queue and metric, on common random numbers.

    Both variants run the same replication numbers with the same seed (A's, unless
    ``seed`` is given); each metric's difference is taken within each replication, then
    its mean and t-based 95% CI over replications. A difference is significant when its
    CI excludes 0.

    Args:
        a: the baseline: a scenario file, its plain data or a loaded Scenario.
        b: the variant; ``None`` means A itself with ``overrides`` applied.
        overrides: ``dotted.path=VALUE`` settings applied to B (one text, or a list).
        replications: paired replications (default: A's).
        seed: base seed of both (default: A's).
        workers: local processes (default: one per core, fewer if the memory limit
            needs; see :func:`sim.runner.workers_for`).
        scheduler: a Dask scheduler address, a ``distributed.Client`` (left open) or a
            cluster such as ``LocalCluster`` (a client to it is opened and closed).
        progress: show a progress bar.

    Returns:
        One row per queue (present in both) and metric: ``queue``, ``metric``, ``a``, ``b``
        (means), ``diff`` (mean of B - A), ``ci95`` (its half-width), ``low``, ``high``,
        ``significant`` and ``pairs`` (replications where both values exist), then what
        ran: ``scenario_a``, ``scenario_b`` (names), ``replications`` and ``seed``.

    Raises:
        ScenarioError: A or B (with the overrides) is not a valid scenario, or they have
            no queue in common.
        TypeError: ``overrides`` with a loaded Scenario as B (give A's file or data), or
            ``replications``, ``seed`` or ``workers`` not a whole number.
        ValueError: ``replications`` or ``workers`` below 1, or a negative ``seed``.
    """
    scenario_a = as_scenario(a)
    scenario_b = as_scenario(a if b is None else b, overrides)
    queues = paired_queues(scenario_a, scenario_b, _side_name(a if b is None else b))
    # One seed and count for both sides: the pairing needs the same streams.
    replications = scenario_a.replications if replications is None else replications
    seed = scenario_a.seed if seed is None else seed
    per_rep = _metrics_table(
        [("a", scenario_a), ("b", scenario_b)],
        replications,
        seed,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        stage="compare",
    )
    table = _paired(per_rep, queues)
    return _identified(
        table, _as_run(scenario_a, replications, seed), _as_run(scenario_b, replications, seed)
    )


def paired_queues(a: Scenario, b: Scenario, source: str = "B") -> list[str]:
    """The queues a comparison pairs: those A and B both have, in A's order.

    Raises:
        ScenarioError: they have none in common (``source`` names B): nothing to pair.
    """
    queues = [q for q in a.queues if q in b.queues]
    if not queues:
        reason = (
            f"no queue in common with A (A has {', '.join(a.queues)}; B has "
            f"{', '.join(b.queues)}): nothing to compare"
        )
        raise ScenarioError(source, [("queues", reason)])
    return queues


def _side_name(side: Source | Scenario) -> str:
    return str(side) if isinstance(side, str | Path) else "B"


def _identified(table: pd.DataFrame, a: Scenario, b: Scenario) -> pd.DataFrame:
    """The paired table with what it ran: both scenarios' names, the count and the seed.

    The columns go last (constant within one comparison; a notebook shows the figures
    first); the scenarios travel in ``attrs``, to be saved next to the table.
    """
    table = table.assign(
        scenario_a=a.name, scenario_b=b.name, replications=a.replications, seed=a.seed
    )
    table.attrs["scenarios"] = {"a": a, "b": b}
    return table


def save_scenarios(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the resolved scenarios behind a sweep or compare table as one YAML file.

    The file maps each variant label to the scenario exactly as it ran (every field,
    overrides applied), so a row of the table can be reproduced with ``sim run``.
    """
    scenarios = table.attrs.get("scenarios", {})
    data = {label: resolved_data(scenario) for label, scenario in scenarios.items()}
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# Below this relative size a difference is rounding: the same figure summed in another
# order (the agents on shift, integrated over events that differ between variants)
# differs in its last bits, and "+2.78e-16" is no finding.
_ROUNDING = 1e-12


def _difference(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``y - x`` per replication, with differences within rounding of the values set to 0."""
    d = y - x
    return np.where(np.abs(d) <= _ROUNDING * np.maximum(np.abs(x), np.abs(y)), 0.0, d)


def _paired(per_rep: pd.DataFrame, queues: list[str]) -> pd.DataFrame:
    rows = []
    for queue in queues:
        mine = per_rep[per_rep["queue"] == queue]
        a = mine[mine["variant"] == "a"].set_index("replication")
        b = mine[mine["variant"] == "b"].set_index("replication").reindex(a.index)
        for metric in METRICS:
            x, y = a[metric].to_numpy(float), b[metric].to_numpy(float)
            both = ~(np.isnan(x) | np.isnan(y))
            diff, half = mean_ci(_difference(y[both], x[both]))
            rows.append(
                {
                    "queue": queue,
                    "metric": metric,
                    "a": mean_ci(x)[0],
                    "b": mean_ci(y)[0],
                    "diff": diff,
                    "ci95": half,
                    "low": diff - half,
                    "high": diff + half,
                    "significant": bool(math.isfinite(half) and abs(diff) > half),
                    "pairs": int(both.sum()),
                }
            )
    return pd.DataFrame(rows)


def paired_results(a: Results, b: Results) -> pd.DataFrame:
    """The table of :func:`compare` from two runs already made (to keep their contacts).

    Both must have run the same replication numbers with the same seed, as
    :func:`compare` runs them; the table is then the one :func:`compare` returns.

    Raises:
        ScenarioError: the runs have no queue in common.
        ValueError: the runs are not paired (different seeds or replications).
    """
    reps_a = [r.replication for r in a.runs]
    if a.seed != b.seed or reps_a != [r.replication for r in b.runs]:
        raise ValueError("runs are paired only with the same seed and replication numbers")
    per_rep = pd.concat(
        [a.metrics().assign(variant="a"), b.metrics().assign(variant="b")], ignore_index=True
    )
    queues = paired_queues(a.scenario, b.scenario)
    return _identified(
        _paired(per_rep, queues),
        _as_run(a.scenario, len(a.runs), a.seed),
        _as_run(b.scenario, len(b.runs), b.seed),
    )
