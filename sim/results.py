"""Results of many replications: tidy pandas tables, JSON and files on disk.

Every row carries its scenario, variant, replication and seed, so tables from several
runs can be concatenated and still be told apart.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.engine import ReplicationResult
from sim.metrics import METRICS, TEAM_METRICS, hourly_metrics, queue_metrics, team_metrics
from sim.outputs import OutputPlan
from sim.records import By, Outcome
from sim.scenario import Scenario
from sim.stability import queue_loads, stability_messages
from sim.stats import summarize
from sim.timeline import Clock
from sim.units import format_clock

__all__ = [
    "RESULT_FILES",
    "Results",
    "read_table",
    "resolved_data",
    "resolved_yaml",
    "scenario_hash",
]

# What :meth:`Results.save` writes into its folder.
RESULT_FILES = (
    "summary.csv",
    "replications.csv",
    "hourly.csv",
    "contacts.csv",
    "teams.csv",
    "metadata.json",
    "scenario.yaml",
)
ID_COLUMNS = ["scenario", "variant", "replication", "seed"]


# Columns of the CSVs that hold names: a queue may be called NA, null or 007.
NAME_COLUMNS = (
    *("scenario", "variant", "team", "queue", "next_queue", "outcome", "by"),
    *("scenario_a", "variant_a", "scenario_b", "variant_b"),  # sim compare --out
)


def read_table(path: str | Path, **options: Any) -> pd.DataFrame:
    """A CSV written by ``sim``: names kept as written, only empty cells missing.

    pandas would read a queue named ``NA`` as a missing value and ``007`` as the number 7.
    """
    return pd.read_csv(
        path,
        dtype=dict.fromkeys(NAME_COLUMNS, str),
        keep_default_na=False,
        na_values=[""],
        **options,
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario, to tie results to exactly what was run."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def resolved_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data that its loader reads back to an equal scenario.

    A target's ``hours`` are held as seconds after midnight, which the loader refuses (a
    clock window is written ``"20:00-22:00"``): they are written as clock times.
    """
    data = scenario.model_dump(mode="json")
    for target in data["targets"]:
        hours = target.get("hours")
        if hours is not None:
            target["hours"] = "-".join(format_clock(h) for h in hours)
    return data


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario as it runs (every field, defaults and overrides applied), as YAML."""
    # Lists of plain values (24 profile weights) stay on one line, as people write them.
    return yaml.safe_dump(
        resolved_data(scenario),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )


def _clean(value: object) -> object:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class Results:
    """Replications of one scenario (one variant of it).

    Attributes:
        scenario: the scenario that ran (overrides applied).
        runs: one :class:`~sim.engine.ReplicationResult` per replication, in order.
        seed: the base seed.
        variant: the label every row carries (``"base"`` unless given).
    """

    def __init__(
        self, scenario: Scenario, runs: list[ReplicationResult], seed: int, variant: str = "base"
    ) -> None:
        self.scenario = scenario
        self.runs = runs
        self.seed = seed
        self.variant = variant

    def _ids(self, run: ReplicationResult) -> dict[str, object]:
        return {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "replication": run.replication,
            "seed": run.seed,
        }

    @cached_property
    def _per_rep(self) -> pd.DataFrame:
        threshold = self.scenario.service_level_threshold
        rows = [
            {**self._ids(run), "queue": queue, **figures}
            for run in self.runs
            for queue, figures in queue_metrics(run, threshold).items()
        ]
        return pd.DataFrame(rows)

    def metrics(self) -> pd.DataFrame:
        """One row per replication and queue, every metric.

        Columns: ``scenario``, ``variant``, ``replication``, ``seed``, ``queue``, then the
        metrics of :data:`sim.metrics.METRICS` (times in seconds, ``_s``; rates as
        fractions; counts of contacts that entered after the warm-up).

        Of the agents who may take a queue's contacts (its own and its teams'):
        ``utilization`` is their busy slot time over their slot time on shift, breaks
        included (an agent finishing a contact past its shift's end counts as on shift
        meanwhile); ``occupancy`` the same busy time over the slot time they were
        available, breaks excluded. Without breaks the two are equal.
        """
        return self._per_rep.copy()

    def summary(self) -> pd.DataFrame:
        """One row per queue: mean over replications and ``<metric>_ci95`` half-widths.

        Indexed by ``queue``; columns ``scenario``, ``variant``, ``replications`` and
        ``seed`` (the base seed), then each metric of :meth:`metrics` followed by its
        ``<metric>_ci95``, the half-width of its 95% Student-t CI (NaN with one
        replication).
        """
        table = self._identified(summarize(self._per_rep, ["queue"], list(METRICS)))
        return table.set_index("queue")

    def _identified(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (means over replications) led by scenario, variant, replications, seed."""
        ids: dict[str, str | int] = {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "replications": len(self.runs),
            "seed": self.seed,
        }
        for i, (column, value) in enumerate(ids.items()):
            table.insert(i, column, value)
        return table

    @cached_property
    def _per_team(self) -> pd.DataFrame:
        rows = [{**self._ids(run), **row} for run in self.runs for row in team_metrics(run)]
        return pd.DataFrame(rows, columns=[*ID_COLUMNS, "team", "queue", *TEAM_METRICS])

    def team_metrics(self) -> pd.DataFrame:
        """One row per replication, team and queue the team serves.

        Columns: ``scenario``, ``variant``, ``replication``, ``seed``, ``team``, ``queue``,
        then ``mean_agents_on_shift``, ``mean_agents_available``, ``utilization``,
        ``occupancy``, ``work_share`` and ``answered`` (as in :meth:`teams`). Empty when
        the scenario has no teams.
        """
        return self._per_team.copy()

    def teams(self) -> pd.DataFrame:
        """Per team and queue it serves: mean over replications and ``_ci95`` half-widths.

        Indexed by (``team``, ``queue``); columns ``scenario``, ``variant``,
        ``replications`` and ``seed``, then each figure and its ``<figure>_ci95``.
        ``mean_agents_on_shift``, ``mean_agents_available``, ``utilization`` (busy slot
        time over slot time on shift, breaks included) and ``occupancy`` (over slot time
        available, breaks excluded) are the team's (the same on each of its rows);
        ``work_share`` is the share of the team's busy time spent on the queue's contacts
        and ``answered`` the queue's contacts its agents took. Empty when the scenario
        has no teams.
        """
        table = summarize(self._per_team, ["team", "queue"], list(TEAM_METRICS))
        if table.empty:
            table = pd.DataFrame(
                columns=["team", "queue", *(f"{m}{s}" for m in TEAM_METRICS for s in ("", "_ci95"))]
            )
        return self._identified(table).set_index(["team", "queue"])

    def hourly(self) -> pd.DataFrame:
        """Figures by hour of day of arrival, one row per replication, queue and hour.

        Columns: ``scenario``, ``variant``, ``replication``, ``seed``, ``queue``, ``hour``
        (0-23, the clock hour of arrival at the queue), ``agents_on_shift`` and
        ``agents_available`` (time-averaged over that clock hour of the measured
        window), then the hop figures of :meth:`metrics` for contacts arriving in that
        hour (``arrivals``, ``answered``, ``mean_wait_s``, ``service_level``,
        ``abandon_rate``, ...).
        """
        clock = Clock(self.scenario.start, frozenset(self.scenario.calendar.holidays))
        threshold = self.scenario.service_level_threshold
        rows = [
            {**self._ids(run), **row}
            for run in self.runs
            for row in hourly_metrics(run, clock, threshold)
        ]
        return pd.DataFrame(rows)

    def contacts(self) -> pd.DataFrame:
        """One row per hop (visit to a queue) of every contact, replication after replication.

        Times are seconds from the scenario's start. Every hop is here, those of contacts
        that entered during the warm-up too (the metrics leave those out: tell them apart
        by ``entered``).

        Columns: ``scenario``, ``variant``, ``replication``, ``seed``; ``contact`` (its id
        in the replication) and ``hop`` (0 at the queue it entered, then 1, 2, ...);
        ``arrive`` (at this queue), ``response`` (first answer, by an agent or a bot),
        ``agent_start`` (an agent took it), ``end`` (left the queue), ``service`` (the
        agent's handle time), all NaN when it did not happen; ``outcome`` (the
        :class:`~sim.records.Outcome` name in lower case: ``resolved``, ``abandoned``,
        ...), ``by`` (``none``, ``agent`` or ``bot``: who last handled it), ``agent`` (the
        agent's number, missing when no agent took it), ``queue`` and ``next_queue``
        (where it was routed, missing if nowhere) as categoricals of the scenario's
        queues; ``wait`` (``response - arrive``) and ``entered`` (when the contact
        entered the system, at its first hop).
        """
        return pd.concat([self._contacts_of(run) for run in self.runs], ignore_index=True)

    def _contacts_of(self, run: ReplicationResult) -> pd.DataFrame:
        """The :meth:`contacts` rows of one replication."""
        queues = pd.CategoricalDtype(list(self.scenario.queues))
        outcomes = pd.CategoricalDtype([o.name.lower() for o in Outcome])
        h = run.hops
        frame = pd.DataFrame({k: v for k, v in h.items() if k not in {"queue", "next_queue"}})
        frame["queue"] = pd.Categorical.from_codes(h["queue"], dtype=queues)
        frame["next_queue"] = pd.Categorical.from_codes(h["next_queue"], dtype=queues)
        frame["outcome"] = pd.Categorical.from_codes(h["outcome"], dtype=outcomes)
        # Any list-like of categories will do; pandas-stubs want an Index.
        frame["by"] = pd.Categorical.from_codes(h["by"], categories=[b.name.lower() for b in By])  # type: ignore[call-overload]
        frame["agent"] = pd.array(h["agent"], dtype="Int64")
        frame["agent"] = frame["agent"].mask(frame["agent"] < 0)
        frame["wait"] = h["response"] - h["arrive"]
        frame["entered"] = run.contacts["entered"][h["contact"]]
        for key, value in reversed(self._ids(run).items()):
            frame.insert(0, key, value)
        return frame

    def _write_contacts(self, path: Path) -> None:
        """``contacts.csv``: replication after replication, so memory stays that of one."""
        for i, run in enumerate(self.runs):
            self._contacts_of(run).to_csv(path, mode="a" if i else "w", header=not i, index=False)

    def to_dict(self) -> dict[str, object]:
        """The ``sim run --json`` document."""
        summary = self.summary()
        queues = {}
        for name, row in summary.iterrows():
            entry = {m: _clean(row[m]) for m in METRICS}
            entry["ci95"] = {m: _clean(row[f"{m}_ci95"]) for m in METRICS}
            queues[str(name)] = entry
        document: dict[str, object] = {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "replications": len(self.runs),
            "seed": self.seed,
            "queues": queues,
        }
        if self.scenario.teams:
            document["teams"] = self._teams_dict()
        return document

    def _teams_dict(self) -> dict[str, dict[str, object]]:
        """Per team: its figures and, per queue it serves, its work there (with CIs)."""
        table = self.teams()
        shared = ("mean_agents_on_shift", "mean_agents_available", "utilization", "occupancy")
        teams: dict[str, dict[str, object]] = {}
        # The index is (team, queue): pandas-stubs type a row's label as one Hashable.
        team: object
        queue: object
        for (team, queue), row in table.iterrows():  # type: ignore[misc]
            entry = teams.setdefault(
                str(team),
                {
                    **{m: _clean(row[m]) for m in shared},
                    "ci95": {m: _clean(row[f"{m}_ci95"]) for m in shared},
                    "queues": {},
                },
            )
            entry["queues"][str(queue)] = {  # type: ignore[index]
                "work_share": _clean(row["work_share"]),
                "answered": _clean(row["answered"]),
                "ci95": {m: _clean(row[f"{m}_ci95"]) for m in ("work_share", "answered")},
            }
        return teams

    def stability(self, source: str | None = None) -> list[str]:
        """Backlog warnings and notes for these runs (see :mod:`sim.stability`)."""
        loads = [queue_loads(self.scenario, run) for run in self.runs]
        return stability_messages(self.scenario, loads, source or self.scenario.name)

    def metadata(self) -> dict[str, object]:
        """What is needed to reproduce these results."""
        from sim import __version__  # noqa: PLC0415 - avoids an import cycle

        return {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "scenario_sha256": scenario_hash(self.scenario),
            "start": self.scenario.start.isoformat(),
            "seed": self.seed,
            "replications": len(self.runs),
            "sim_version": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
        }

    def writers(self, out: str | Path) -> dict[Path, Callable[[Path], object]]:
        """``path -> writer`` of the files :meth:`save` writes into ``out``.

        For :meth:`sim.outputs.OutputPlan.write`, with other files of the same set.
        """
        out = Path(out)
        resolved = resolved_yaml(self.scenario)
        writers = {
            "summary.csv": lambda p: self.summary().to_csv(p),
            "replications.csv": lambda p: self.metrics().to_csv(p, index=False),
            "hourly.csv": lambda p: self.hourly().to_csv(p, index=False),
            "contacts.csv": self._write_contacts,
            "teams.csv": lambda p: self.teams().to_csv(p),
            "metadata.json": lambda p: p.write_text(json.dumps(self.metadata(), indent=2)),
            "scenario.yaml": lambda p: p.write_text(resolved, encoding="utf-8"),
        }
        return {out / name: writers[name] for name in RESULT_FILES}

    def save(self, out: str | Path) -> list[Path]:
        """Write the result tables, metadata and the resolved scenario into ``out``.

        The folder is checked before anything is written, by the rules the command line
        follows (see :mod:`sim.outputs`); the files then appear together or not at all,
        and files of an earlier save into the same folder that this one does not write
        are removed.

        Raises:
            OutputError: the folder, or a file in it, cannot or must not be written (the
                error names it and says why); nothing was written.
        """
        plan = OutputPlan(option=None)  # a Python caller gave no --out to name
        plan.folder(out, RESULT_FILES)
        return plan.write(self.writers(out))
