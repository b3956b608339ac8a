"""The report of ``sim sweep --report``: the grid's table and its metric curves with CI bands."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.report.html import Image, Report, ScenarioText, Section, facts, image
from sim.report.tables import count, fmt, metric_kind, over_replications, setting, sweep_table

__all__ = ["SWEEP_METRICS", "sweep_report"]

# The curves drawn, one figure each: waits, the service level, who gave up, the staff's load.
SWEEP_METRICS = (
    ("mean_wait_s", "Mean wait"),
    ("service_level", "Service level"),
    ("abandon_rate", "Abandonment"),
    ("utilization", "Agent utilisation"),
)


def _curve(table: pd.DataFrame, metric: str, title: str, param: str, n: int) -> Image:
    from sim import plots  # noqa: PLC0415 - matplotlib

    fig = plots.sweep_curve(table, metric, param=param)
    rows = table.dropna(subset=[metric])
    parts = []
    for queue, group in rows.groupby("queue", sort=False):
        low, high = group.loc[group[metric].idxmin()], group.loc[group[metric].idxmax()]
        if low[metric] == high[metric]:
            shown = fmt(low[metric], metric_kind(metric))
            parts.append(f"{queue}: {shown} for every value")
            continue
        parts.append(
            f"{queue}: lowest at {param}={setting(low[param])}, highest at {setting(high[param])}"
        )
    band = "with its 95% confidence band" if n > 1 else "(one replication: no confidence band)"
    alt = (
        f"{title} against {param}, one panel per queue, each a line through the variants "
        f"{band}. " + "; ".join(parts) + "."
    )
    caption = "Band: 95% CI over replications." if n > 1 else "One replication: no CI band."
    return image(fig, f"{title} against {param}", alt, caption)


def sweep_report(
    table: pd.DataFrame,
    vary: Mapping[str, Sequence[Any]],
    scenarios: Sequence[ScenarioText],
    *,
    source: str,
    seed: int,
    command: str | None = None,
) -> Report:
    """The sweep's table, then one figure per main metric against the first varied field.

    Args:
        table: the table of :func:`sim.sweep` (possibly limited to some queues).
        vary: the varied dotted paths and their values.
        scenarios: the base scenario as written and as it ran.
        source: the base scenario file.
        seed: the base seed every variant ran with.
        command: the command line that made the result.
    """
    paths = list(vary)
    n = int(table["replications"].iloc[0])
    variants = table["variant"].nunique()
    grid = "; ".join(
        f"{p}: {', '.join(json.dumps(v, default=str) for v in values)}"
        for p, values in vary.items()
    )
    caption = f"One row per variant and queue: {over_replications(n)}."
    param = paths[0]
    curves = tuple(
        _curve(table, m, t, param, n) for m, t in SWEEP_METRICS if table[m].notna().any()
    )
    intro = (
        "Each figure draws one metric against the first varied field"
        + (", one line per value of the others" if len(paths) > 1 else "")
        + "; queues get their own panels because their scales differ."
    )
    return Report(
        kind="sweep",
        title=f"Sweep of {scenarios[0].label if scenarios else source}: {variants} variants",
        question=(
            f"How do the figures of {source} move when these settings change? {grid}.",
            f"{variants} variants × {count(n, 'replication')} on common random numbers "
            f"(seed {seed}); "
            f"queues shown: {', '.join(dict.fromkeys(map(str, table['queue'])))}.",
        ),
        headline=(sweep_table(table, paths, caption),),
        sections=(Section("Metric curves", (intro,), images=curves, anchor="curves"),),
        facts=facts(
            seed,
            n,
            command=command,
            reproduce="save the resolved scenario below as base.yaml, then: sim sweep "
            f"base.yaml --seed {seed} -n {n} "
            + " ".join(
                "--vary " + shlex.quote(f"{p}={','.join(json.dumps(v, default=str) for v in vals)}")
                for p, vals in vary.items()
            ),
        ),
        scenarios=tuple(scenarios),
        notes=(
            "Each variant is the base scenario below with the varied settings of its row applied.",
        ),
        replications=n,
    )
