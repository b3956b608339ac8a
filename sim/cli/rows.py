"""What-if rows that say where they come from: scenario, variant, replications and seed.

The tables of :func:`sim.sweep` and :func:`sim.compare` name their variants but not the
scenario or the seed they ran; their CSV and JSON are read apart from the terminal that
printed them, so every row gets them here, from the scenarios the table ran (kept in its
``attrs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare_rows", "sweep_rows"]


def sweep_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The sweep table with ``scenario`` and ``seed`` after ``replications``.

    The columns before them keep their places. A varied ``seed`` or ``replications``
    already is a column: it is kept once (the table of :func:`sim.sweep` then holds it
    twice, which no CSV reader can tell apart).
    """
    table = table.loc[:, ~table.columns.duplicated()].copy()
    ran = table.attrs.get("scenarios", {})
    scenarios = [ran[v] for v in table["variant"]]
    ids = {"scenario": [s.name for s in scenarios], "seed": [s.seed for s in scenarios]}
    at = list(table.columns).index("replications")
    for column, values in ids.items():
        if column not in table:
            at += 1
            table.insert(at, column, values)
    return table


def compare_rows(table: pd.DataFrame, labels: tuple[str, str]) -> pd.DataFrame:
    """The compare table with both scenarios, their labels, replications and seed first.

    Args:
        table: the table of :func:`sim.compare` (one row per queue and metric).
        labels: what A and B are (the files, B's ``--set`` changes), as the JSON says.
    """
    a, b = (table.attrs["scenarios"][side] for side in ("a", "b"))
    ids: dict[str, str | int] = {
        "scenario_a": a.name,
        "variant_a": labels[0],
        "scenario_b": b.name,
        "variant_b": labels[1],
        "replications": a.replications,
        "seed": a.seed,
    }
    table = table.copy()
    for i, (column, value) in enumerate(ids.items()):
        table.insert(i, column, value)
    return table
