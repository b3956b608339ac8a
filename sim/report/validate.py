"""The report of ``sim validate --report``: every target against the simulation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd

from sim.report.html import Card, Image, Report, ScenarioText, Section, facts, image
from sim.report.tables import Table, count
from sim.validate import TargetRow, target_table, verdict

__all__ = ["validate_report"]


def _chart(rows: Sequence[TargetRow]) -> Image:
    from sim import plots  # noqa: PLC0415 - matplotlib

    # The rows as numbers: a figure without a CI stays NaN (the JSON rows' null is not one).
    table = pd.DataFrame([asdict(r) for r in rows])
    missed = [f"{r.queue} {r.detail}" for r in rows if not r.passed]
    alt = (
        f"One row per target ({len(rows)}), each drawn as (simulated − document) / "
        "tolerance: a grey band from −1 to 1 is the tolerance, a dot with a bar the "
        "simulated mean and its 95% CI. "
        + (f"Missed: {'; '.join(missed)}." if missed else "Every target is within its band.")
    )
    caption = (
        "Every target on one scale, so figures in seconds, shares and ratios sit side by "
        "side; the figures in their own units are on the right."
    )
    return image(plots.document_comparison(table), "Document against simulation", alt, caption)


def _tables(rows: Sequence[TargetRow]) -> tuple[Table, ...]:
    """One table per scenario file, without the scenario column its caption names."""
    files = list(dict.fromkeys(r.source for r in rows))
    tables = []
    for source in files:
        mine = [r for r in rows if r.source == source]
        about = f"Scenario {mine[0].scenario} ({source}): {verdict(mine)}."
        tables.append(target_table(mine, about).without(0))
    return tuple(tables)


def validate_report(
    rows: Sequence[TargetRow],
    scenarios: Sequence[ScenarioText],
    *,
    paths: Sequence[str],
    rule: str,
    seed: int | str,
    replications: int | str,
    command: str | None = None,
) -> Report:
    """The target table with pass or MISS (and each target's role when rows carry one).

    Args:
        rows: the validated targets.
        scenarios: each scenario file as written and as it ran.
        paths: the files and folders given on the command line.
        rule: the pass rule, in words.
        seed: the seed (one number, or "each file's own").
        replications: replications (one number, or the files' own).
        command: the command line that made the result.
    """
    missed = sum(not r.passed for r in rows)
    return Report(
        kind="validate",
        title=f"Validation: {verdict(rows)}",
        question=(
            f"Do the scenarios in {', '.join(paths)} reproduce their targets? "
            f"{count(len(rows), 'target')} in {count(len(scenarios), 'scenario file')}.",
        ),
        cards=(
            Card(
                "targets within tolerance",
                f"{len(rows) - missed} of {len(rows)}",
                f"{missed} missed" if missed else "every target passes",
                flag="miss" if missed else "",
            ),
        ),
        headline=_tables(rows),
        sections=(Section("Document against simulation", images=(_chart(rows),), anchor="chart"),),
        facts=facts(seed, replications, command=command),
        scenarios=tuple(scenarios),
        notes=(rule,),
    )
