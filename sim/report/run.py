"""The report of one run (``sim run --report``, ``sim report DIR``).

Both ways build it from the same tables (:class:`RunTables`): the summary, the hourly
figures and the counted contacts, either straight from :class:`~sim.results.Results` or
read back from the folder ``sim run --out`` wrote. The two reports therefore show the
same numbers and the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.errors import ScenarioError
from sim.report.figures import HEATMAP_MIN_DAYS, calendar_days, long_tail
from sim.report.folder import (
    CONTACT_COLUMNS,
    HOURLY_COLUMNS,
    SUMMARY_COLUMNS,
    TEAM_TABLE_COLUMNS,
    check_complete,
    check_queues,
    metadata,
    need,
    read_checked,
    whole_number,
)
from sim.report.html import Card, Image, Report, ScenarioText, Section, facts, image
from sim.report.tables import (
    count,
    fmt,
    over_replications,
    summary_table,
    teams_table,
    with_ci,
)
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.results import Results
    from sim.scenario import Scenario

__all__ = ["RunTables", "run_report"]


@dataclass(frozen=True)
class RunTables:
    """What a run report is made from.

    Attributes:
        scenario: the scenario as it ran.
        summary: ``Results.summary()``: one row per queue (index), means and CIs.
        hourly: ``Results.hourly()``.
        contacts: the counted contacts (entered after the warm-up, before the end).
        seed: the base seed.
        replications: how many replications.
        software: ``(name, version)`` of what made the results.
        teams: ``Results.teams()``: per team and queue it serves (empty without teams).
    """

    scenario: Scenario
    summary: pd.DataFrame
    hourly: pd.DataFrame
    contacts: pd.DataFrame
    seed: int
    replications: int
    software: tuple[tuple[str, str], ...]
    teams: pd.DataFrame | None = None

    @classmethod
    def from_results(cls, results: Results) -> RunTables:
        """The tables of results in memory."""
        from sim.plots import counted_contacts  # noqa: PLC0415 - matplotlib
        from sim.report.html import versions  # noqa: PLC0415

        return cls(
            scenario=results.scenario,
            summary=results.summary(),
            hourly=results.hourly(),
            contacts=counted_contacts(results),
            seed=results.seed,
            replications=len(results.runs),
            software=versions(),
            teams=results.teams(),
        )

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunTables:
        """The tables of a folder written by ``sim run --out`` (or ``Results.save``).

        Raises:
            ScenarioError: a file is missing or unreadable, or a table lacks what the
                report reads (bad input).
        """
        from sim.loader import load  # noqa: PLC0415

        folder = Path(folder)
        if not folder.is_dir():
            raise ScenarioError(str(folder), [("", "no such folder of results")])
        scenario = load(need(folder, "scenario.yaml"))
        meta_path = need(folder, "metadata.json")
        meta = metadata(meta_path)
        summary_path = need(folder, "summary.csv")
        summary = read_checked(summary_path, SUMMARY_COLUMNS).set_index("queue")
        check_queues(summary_path, list(summary.index), list(scenario.queues))
        hourly = read_checked(need(folder, "hourly.csv"), HOURLY_COLUMNS)
        contacts = read_checked(need(folder, "contacts.csv"), CONTACT_COLUMNS)
        window = (contacts["entered"] >= scenario.warmup) & (
            contacts["entered"] < scenario.duration
        )
        software = [("sim version", meta.get("sim_version")), ("Python", meta.get("python"))]
        software.append(("NumPy", meta.get("numpy")))
        # Folders written before teams existed have no teams.csv.
        teams_csv = folder / "teams.csv"
        teams = (
            read_checked(teams_csv, TEAM_TABLE_COLUMNS, ("team", "queue")).set_index(
                ["team", "queue"]
            )
            if teams_csv.is_file()
            else None
        )
        replications = summary["replications"].iloc[0] if "replications" in summary else None
        n = whole_number(meta, "replications", meta_path, replications)
        counted = contacts[window].reset_index(drop=True)
        check_complete(folder, summary, hourly, counted, n)
        return cls(
            scenario=scenario,
            summary=summary,
            hourly=hourly,
            contacts=counted,
            seed=whole_number(meta, "seed", meta_path, scenario.seed),
            replications=n,
            software=tuple((k, str(v)) for k, v in software if v is not None),
            teams=teams,
        )


# -- the report ----------------------------------------------------------------------------


def _cell(row: pd.Series, metric: str, kind: str) -> str:
    return with_ci(row[metric], row[f"{metric}_ci95"], kind)


def _facts(row: pd.Series) -> list[str]:
    """A queue's figures in words, leaving out those it does not have (no answer, no agent)."""
    facts = [
        f"{fmt(row['arrivals'], 'count')} arrivals and {fmt(row['answered'], 'count')} "
        "answered per replication"
    ]
    if row["answered"] > 0:
        facts.append(
            f"mean wait {_cell(row, 'mean_wait_s', 'time')}, "
            f"90th percentile {_cell(row, 'p90_wait_s', 'time')}"
        )
    # No agent time on shift, no utilisation: say why rather than print a dash.
    if pd.isna(row["utilization"]):
        facts.append("no agent on shift")
    else:
        facts.append(
            f"agents busy {_cell(row, 'utilization', 'share')} of their time on shift and "
            f"{_cell(row, 'occupancy', 'share')} of their time available (breaks excluded)"
        )
    return facts


def _card(queue: str, row: pd.Series, threshold: float) -> Card:
    note = (
        f"mean wait {_cell(row, 'mean_wait_s', 'time')} · "
        f"abandon {_cell(row, 'abandon_rate', 'share')} · "
        f"{fmt(row['arrivals'], 'count')} arrivals"
    )
    label = f"{queue}: answered within {format_duration(threshold)}"
    return Card(label, _cell(row, "service_level", "share"), note)


def _survival(data: RunTables, queue: str) -> Image:
    from sim import plots  # noqa: PLC0415 - matplotlib

    waits = plots.wait_series(data.contacts, [queue])[queue]
    logx = long_tail(waits)
    threshold = data.scenario.service_level_threshold
    fig = plots.wait_survival(data.contacts, [queue], logx=logx, threshold=threshold)
    q50, q90 = pd.Series(waits).quantile([0.5, 0.9])
    alt = (
        f"Step curve falling from 1 to 0: the share of answered {queue} contacts still "
        f"waiting after t. Half waited longer than {fmt(q50, 'time')}, one in ten longer "
        f"than {fmt(q90, 'time')}, the longest {fmt(waits.max(), 'time')}."
    )
    caption = (
        "Pooled over all replications; the dotted line is the service-level threshold "
        f"({format_duration(threshold)})" + ("; logarithmic time axis" if logx else "") + "."
    )
    return image(fig, f"How long answered contacts of {queue} waited", alt, caption)


def _hourly(data: RunTables, queue: str) -> Image:
    from sim import plots  # noqa: PLC0415 - matplotlib

    exposure = plots.hour_exposure(data.scenario)
    fig = plots.hourly_profile(data.hourly, queue, exposure=exposure)
    mine = data.hourly[data.hourly["queue"] == queue]
    by_hour = mine.groupby("hour")["mean_wait_s"].mean().dropna()
    worst = (
        f" The longest mean wait is at {int(by_hour.idxmax()):02d}:00, "
        f"{fmt(by_hour.max(), 'time')}."
        if len(by_hour)
        else ""
    )
    alt = (
        f"Two panels by hour of day for {queue}: the mean wait (with its 95% CI band) and "
        "the 90th-percentile wait per hour of arrival on top; arrivals per hour as bars and "
        f"agents on shift as a step line below.{worst}"
    )
    caption = "Waits by hour of arrival, against the load and the staff on shift."
    return image(fig, f"{queue} hour by hour", alt, caption)


def _heatmap(data: RunTables, queue: str) -> Image:
    from sim import plots  # noqa: PLC0415 - matplotlib

    fig = plots.wait_heatmap(data.contacts, queue, scenario=data.scenario)
    rows = data.contacts[(data.contacts["queue"] == queue) & data.contacts["wait"].notna()]
    alt = (
        f"A grid of calendar days (rows) by hour of arrival (columns) for {queue}, each "
        f"cell coloured by the mean wait of the contacts answered from it; the mean wait "
        f"over all cells is {fmt(rows['wait'].mean(), 'time')}."
    )
    caption = "Mean wait by calendar day and hour of arrival; grey cells had no answered contact."
    return image(fig, f"{queue} by day and hour", alt, caption)


def _queue_section(data: RunTables, queue: str) -> Section:
    row = data.summary.loc[queue]
    spec = data.scenario.queues[queue]
    about = ", ".join(
        part
        for part in (
            f"channel {spec.channel}" if spec.channel else "",
            f"segment {spec.segment}" if spec.segment else "",
        )
        if part
    )
    intro = f"{queue}{f' ({about})' if about else ''}: " + "; ".join(_facts(row)) + "."
    if not (row["answered"] > 0):
        note = "No contact was answered at this queue, so it has no wait figures."
        return Section(f"Queue {queue}", (intro, note), anchor=f"queue-{queue}")
    images = [_survival(data, queue), _hourly(data, queue)]
    after: tuple[str, ...] = ()
    if calendar_days(data.scenario) >= HEATMAP_MIN_DAYS:
        images.append(_heatmap(data, queue))
    else:
        after = (
            "No day-by-hour heat map: the run covers one calendar day, so it would repeat "
            "the hour-by-hour figure above.",
        )
    return Section(
        f"Queue {queue}", (intro,), images=tuple(images), anchor=f"queue-{queue}", after=after
    )


def _teams_section(teams: pd.DataFrame) -> Section:
    caption = (
        "Per team and queue it serves: the team's agents on shift and available (not on "
        "break), its utilisation (busy time over time on shift) and occupancy (busy time "
        "over time available), the share of its busy time spent on the queue and the "
        "contacts it answered there; mean ± 95% CI half-width."
    )
    intro = (
        "A team's agents take contacts from every queue it serves; a queue's own figures "
        "above count every agent who may answer it, its own and its teams'."
    )
    return Section("Teams", (intro,), tables=(teams_table(teams, caption),), anchor="teams")


def _question(data: RunTables, changes: Sequence[str]) -> tuple[str, ...]:
    s = data.scenario
    window = f"{format_duration(s.duration - s.warmup)} measured"
    if s.warmup:
        window += f" after a {format_duration(s.warmup)} warm-up"
    lines = [
        f"What happens at the service desk of scenario {s.name}: {len(s.queues)} "
        f"queue{'s' if len(s.queues) != 1 else ''} ({', '.join(s.queues)}), starting "
        f"{s.start:%a %d %b %Y %H:%M}, {window}.",
        f"Nothing varies: {count(data.replications, 'independent replication')} of one scenario, "
        f"seed {data.seed}.",
    ]
    if changes:
        lines.append("Changed from the file: " + ", ".join(changes) + ".")
    return tuple(lines)


def run_report(
    data: RunTables,
    scenarios: Sequence[ScenarioText],
    *,
    command: str | None = None,
    changes: Sequence[str] = (),
) -> Report:
    """The report of one run: headline figures, then each queue, then the assumptions.

    Args:
        data: the run's tables.
        scenarios: the scenario as written and as it ran (see :func:`scenario_text`).
        command: the command line that made the result, when known.
        changes: ``--set`` overrides applied to the file.
    """
    threshold = data.scenario.service_level_threshold
    over = over_replications(data.replications)
    caption = f"Per queue: {over} (SL = answered within {format_duration(threshold)} of arrival)."
    queues = [str(q) for q in data.summary.index]
    reproduce = (
        "save the resolved scenario below as scenario.yaml, then: "
        f"sim run scenario.yaml --seed {data.seed} -n {data.replications}"
    )
    return Report(
        kind="run",
        title=f"{data.scenario.name}: {count(data.replications, 'replication')}",
        question=_question(data, changes),
        cards=tuple(_card(q, data.summary.loc[q], threshold) for q in queues),
        headline=(summary_table(data.summary, threshold, caption),),
        sections=(
            *(_queue_section(data, q) for q in queues),
            *((_teams_section(data.teams),) if data.teams is not None and len(data.teams) else ()),
        ),
        facts=facts(
            data.seed,
            data.replications,
            command=command,
            reproduce=reproduce,
            software=data.software,
        ),
        scenarios=tuple(scenarios),
        replications=data.replications,
    )
