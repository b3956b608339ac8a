"""The report of ``sim compare --report``: B − A with significance, and the waits overlaid."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.report.figures import long_tail
from sim.report.html import Card, Image, Report, ScenarioText, Section, facts, image
from sim.report.tables import COLUMNS, SHOWN, compare_table, fmt, with_ci
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.results import Results
    from sim.scenario import Scenario

__all__ = [
    "MAX_DIFFERENCES",
    "compare_report",
    "differences",
    "partial_pairs",
    "unpaired_queues",
]

MAX_DIFFERENCES = 12  # settings listed in the question; the resolved scenarios hold all


def unpaired_queues(a: Scenario, b: Scenario) -> list[str]:
    """A sentence per queue only one side has: the comparison leaves it out."""
    return [
        f"queue {queue} is only in {side}, so it is not compared"
        for side, mine, other in (("A", a, b), ("B", b, a))
        for queue in mine.queues
        if queue not in other.queues
    ]


def partial_pairs(table: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """A sentence per shown difference taken over fewer replications than were run.

    A and B are each side's own mean over the replications where it has a value (as
    ``sim run`` gives them); B - A is the mean over the replications where both do, so
    where one side has no value in some (no contact answered, say) B - A is not B less A.
    """
    fewer = (table["pairs"] > 0) & (table["pairs"] < table["replications"])
    rows = table[table["metric"].isin(metrics) & fewer]
    names = {metric: label for label, metric, _ in COLUMNS}  # as the table heads them
    return [
        f"queue {row.queue}, {names.get(row.metric, row.metric)}: B - A is over the "
        f"{row.pairs} of {row.replications} replications where both sides have a value; "
        "A and B are each side's own mean"
        for row in rows.itertuples()
    ]


def differences(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Dotted paths where two scenarios' plain data differ, with A's and B's values."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        found = []
        for key in list(dict.fromkeys([*a, *b])):
            found += differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a != b:
        deeper = [
            differences(x, y, f"{path}.{i}") for i, (x, y) in enumerate(zip(a, b, strict=True))
        ]
        if all(isinstance(x, Mapping) for x in a):
            return [d for part in deeper for d in part]
    return [] if a == b else [(path, a, b)]


def _what_varies(a: Results, b: Results) -> str:
    found = differences(a.scenario.model_dump(mode="json"), b.scenario.model_dump(mode="json"))
    found = [d for d in found if d[0] != "name"]
    if not found:
        return "What varies: nothing in the scenarios themselves (A and B are the same)."
    # Queue and team names may hold dots: their paths are known, not parsed.
    units = {
        f"{kind}.{name}"
        for scenario in (a.scenario, b.scenario)
        for kind, names in (("queues", scenario.queues), ("teams", scenario.teams))
        for name in names
    }
    shown = [_difference(path, x, y, units) for path, x, y in found[:MAX_DIFFERENCES]]
    more = len(found) - len(shown)
    tail = f"; and {more} more (see the resolved scenarios below)" if more > 0 else ""
    return "What varies (A → B): " + "; ".join(shown) + tail + "."


def _difference(path: str, a: Any, b: Any, units: set[str]) -> str:
    """One difference in words: a queue or team (in ``units``) one side lacks is named."""
    if path in units and (a is None or b is None):
        return f"{path}: only in {'B' if a is None else 'A'}"
    return f"{path}: {json.dumps(a, default=str)} → {json.dumps(b, default=str)}"


def _card(queue: str, table: pd.DataFrame, threshold: float) -> Card:
    row = table[(table["queue"] == queue) & (table["metric"] == "service_level")].iloc[0]
    wait = table[(table["queue"] == queue) & (table["metric"] == "mean_wait_s")].iloc[0]
    label = f"{queue}: answered within {format_duration(threshold)}, B − A"
    value = with_ci(row["diff"], row["ci95"], "share", signed=True)
    note = (
        f"A {fmt(row['a'], 'share')} → B {fmt(row['b'], 'share')}; mean wait "
        f"{fmt(wait['a'], 'time')} → {fmt(wait['b'], 'time')}"
        + ("" if row["significant"] else " (not significant)")
    )
    return Card(label, value, note)


def _curves(a: Results, b: Results, queue: str) -> Image | None:
    from sim import plots  # noqa: PLC0415 - matplotlib

    variants = {"A": a, "B": b}
    try:
        series = plots.wait_series(variants, [queue])
    except plots.PlotError:
        return None  # neither variant answered a contact here
    pooled = np.concatenate(list(series.values()))
    fig = plots.wait_survival(variants, [queue], logx=long_tail(pooled))
    parts = [
        f"{label}: half waited longer than {fmt(float(np.median(w)), 'time')}, one in ten "
        f"longer than {fmt(float(np.percentile(w, 90)), 'time')}"
        for label, w in series.items()
    ]
    if len(series) == 2:
        curves, styles = "Two step curves", "A solid, B dashed; "
        whose = "for A and for B"
    else:  # one side answered nothing here: its curve is the only one, drawn solid
        (label,) = series
        other = "B" if label == "A" else "A"
        curves, styles = "One step curve", ""
        whose = f"for {label} only ({other} answered no contact here)"
    alt = (
        f"{curves} falling from 1 to 0, the share of answered {queue} contacts still "
        f"waiting after t, {whose}. " + "; ".join(parts) + "."
    )
    caption = f"{styles}pooled over replications; dotted: the service-level threshold."
    return image(fig, f"Waits at {queue}, A against B", alt, caption[0].upper() + caption[1:])


def compare_report(
    a: Results,
    b: Results,
    table: pd.DataFrame,
    scenarios: Sequence[ScenarioText],
    *,
    labels: tuple[str, str],
    metrics: Sequence[str] | None = None,
    command: str | None = None,
) -> Report:
    """B − A per queue with significance, then each queue's waits for A and B overlaid.

    Args:
        a: A's results.
        b: B's, run on the same seed and replication numbers.
        table: their paired differences (:func:`sim.experiments.paired_results`).
        scenarios: A's and B's scenarios as written and as run.
        labels: how the command line named A and B (files, overrides).
        metrics: metrics in the table (default: the main ones).
        command: the command line that made the result.
    """
    metrics = list(metrics or [m for _, m, _ in SHOWN])
    n, seed = len(a.runs), a.seed
    threshold = a.scenario.service_level_threshold
    caption = (
        f"B − A: mean of the {n} per-replication differences ± 95% CI half-width; "
        "* (bold): significant, the CI excludes 0."
        if n > 1
        else "B − A of one paired replication: one replication, no confidence interval, "
        "so no difference is marked significant."
    )
    queues = list(dict.fromkeys(table["queue"]))
    sections = []
    for queue in queues:
        curve = _curves(a, b, queue)
        note = () if curve else ("No contact was answered here in A or in B.",)
        images = (curve,) if curve else ()
        sections.append(Section(f"Queue {queue}", note, images=images, anchor=f"queue-{queue}"))
    return Report(
        kind="compare",
        title=f"A vs B: {a.scenario.name}"
        + (f" vs {b.scenario.name}" if b.scenario.name != a.scenario.name else ""),
        question=(f"A: {labels[0]}", f"B: {labels[1]}", _what_varies(a, b)),
        cards=tuple(_card(q, table, threshold) for q in queues),
        headline=(compare_table(table, metrics, caption),),
        sections=tuple(sections),
        facts=facts(
            seed,
            n,
            command=command,
            reproduce="save the resolved scenarios below as a.yaml and b.yaml, then: "
            f"sim compare a.yaml b.yaml --seed {seed} -n {n}",
        ),
        scenarios=tuple(scenarios),
        notes=tuple(
            f"Note: {n}."
            for n in [*unpaired_queues(a.scenario, b.scenario), *partial_pairs(table, metrics)]
        ),
        replications=n,
    )
