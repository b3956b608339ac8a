"""Reading a folder written by ``sim run --out`` back, checked before anything is drawn.

A results folder is plain files that people open, edit and copy. Each table is checked
for the columns the report reads, as numbers, and the summary for the scenario's
queues, so that a column removed or a figure overwritten by hand is one line naming
the file and the column (exit 2), not a traceback from deep inside a figure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ScenarioError
from sim.report.tables import COLUMNS, TEAM_COLUMNS

__all__ = [
    "CONTACT_COLUMNS",
    "HOURLY_COLUMNS",
    "SUMMARY_COLUMNS",
    "TEAM_TABLE_COLUMNS",
    "check_complete",
    "check_queues",
    "metadata",
    "need",
    "read_checked",
    "whole_number",
]


def _with_ci(columns: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Each ``(metric, kind)``'s column, and its ``_ci95`` unless it is a count."""
    return tuple(
        name
        for metric, kind in columns
        for name in (metric, *((f"{metric}_ci95",) if kind != "count" else ()))
    )


# What the run report reads of each table (agents_available is optional: older tables).
SUMMARY_COLUMNS = _with_ci(
    [(metric, kind) for _, metric, kind in COLUMNS] + [("occupancy", "share")]
)
HOURLY_COLUMNS = ("hour", "mean_wait_s", "p90_wait_s", "agents_on_shift", "arrivals")
CONTACT_COLUMNS = ("entered", "arrive", "wait")
TEAM_TABLE_COLUMNS = _with_ci([(metric, kind) for _, metric, kind in TEAM_COLUMNS])


def need(folder: Path, name: str) -> Path:
    """``folder/name``, which must be a file of the results."""
    path = folder / name
    if not path.is_file():
        raise ScenarioError(
            str(folder), [(name, "missing; give a folder written by sim run --out")]
        )
    return path


def read_checked(
    path: Path, numbers: Sequence[str], names: Sequence[str] = ("queue",)
) -> pd.DataFrame:
    """A table of the folder, with its ``names`` columns and its ``numbers`` as numbers.

    Raises:
        ScenarioError: the file cannot be read, or a column is missing or not numeric.
    """
    from sim.results import read_table  # noqa: PLC0415 - import cycle

    try:
        table = read_table(path)
    except (OSError, ValueError) as exc:  # pandas' parser errors are ValueErrors
        raise ScenarioError(str(path), [("", f"cannot read the table: {exc}")]) from None
    problems = [(c, "missing column") for c in (*names, *numbers) if c not in table]
    problems += [
        (c, "not a number in every row")
        for c in numbers
        # A table of no rows (teams.csv without teams) reads as text: it holds no text.
        if c in table and len(table) and not pd.api.types.is_numeric_dtype(table[c])
    ]
    if problems:
        raise ScenarioError(str(path), problems[:1])
    return table


def check_queues(path: Path, queues: Sequence[str], known: Sequence[str]) -> None:
    """The summary's queues: at least one, each one of the scenario's."""
    if not len(queues):
        raise ScenarioError(str(path), [("", "no queue in the table")])
    unknown = [q for q in queues if q not in known]
    if unknown:
        raise ScenarioError(
            str(path), [("", f"queue {unknown[0]!r} is not in the folder's scenario.yaml")]
        )


def check_complete(
    folder: Path, summary: pd.DataFrame, hourly: pd.DataFrame, counted: pd.DataFrame, n: int
) -> None:
    """The tables hold every visit and hour the summary counts, for each of its queues.

    A table cut at a line's end (a copy stopped short, rows deleted by hand) reads
    without an error; its figures would then disagree with the summary's table.
    ``counted`` is contacts.csv's rows in the measurement window; ``n`` the replications.
    """
    visits = counted.groupby("queue").size()
    answered = counted[counted["wait"].notna()].groupby("queue").size()
    hours = hourly.groupby("queue").size()
    for queue, row in summary.iterrows():
        for what, found, expected in (
            ("visits", visits, row["arrivals"] * n),
            ("answered visits", answered, row["answered"] * n),
        ):
            got = int(found.get(queue, 0))
            if abs(got - expected) > 0.5:
                raise ScenarioError(str(folder / "contacts.csv"), [("", (
                    f"{got} {what} of queue {queue!r} in the measurement window, where "
                    f"summary.csv counts {expected:.0f} over {n} replications: the file was "
                    "cut short or edited; write the folder again with sim run --out"
                ))])  # fmt: skip
        got = int(hours.get(queue, 0))
        if got != 24 * n:
            raise ScenarioError(str(folder / "hourly.csv"), [("", (
                f"{got} rows of queue {queue!r}, not {24 * n} (24 hours × {n} replications): "
                "the file was cut short or edited; write the folder again with sim run --out"
            ))])  # fmt: skip


def metadata(path: Path) -> dict[str, Any]:
    """The folder's ``metadata.json``, a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(str(path), [("", f"cannot read: {exc}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError(str(path), [("", "expected a JSON object")])
    return data


def whole_number(meta: dict[str, Any], key: str, path: Path, default: object) -> int:
    """``meta[key]`` (or ``default`` without it) as an int; anything else is bad input."""
    value = meta.get(key, default)
    whole = isinstance(value, Real) and not isinstance(value, bool) and float(value).is_integer()
    if not whole:
        raise ScenarioError(str(path), [(key, f"not a whole number: {value!r}")])
    return int(value)
