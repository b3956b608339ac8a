"""Terminal tables: what a person reads after ``sim run``, ``compare``, ``sweep``, ``staff``.

One source of truth for how a figure is written (a duration, a percentage, a count,
with its 95% CI half-width), used by the command line and by the HTML report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.report.layout import MAX_WIDTH, fit, grid, wrapped_blocks
from sim.units import count, format_duration

if TYPE_CHECKING:
    import pandas as pd

    from sim.staffing import StaffingPlan

__all__ = [
    "CI_NOTE",
    "COLUMNS",
    "MAX_WIDTH",
    "SHOWN",
    "Table",
    "backtest_table",
    "ci_note",
    "compare_table",
    "count",
    "fmt",
    "format_summary",
    "format_teams",
    "grid",
    "metric_kind",
    "over_replications",
    "setting",
    "shift_table",
    "staff_table",
    "staff_verdict",
    "summary_table",
    "sweep_table",
    "teams_table",
    "with_ci",
    "wrapped_blocks",
]

# (column title, metric, kind)
COLUMNS = (
    ("arrivals", "arrivals", "count"),
    ("answered", "answered", "count"),
    ("mean wait", "mean_wait_s", "time"),
    ("p90 wait", "p90_wait_s", "time"),
    ("SL", "service_level", "share"),
    ("abandon", "abandon_rate", "share"),
    ("resolved", "resolution_rate", "share"),
    ("escalated", "escalation_rate", "share"),
    ("util", "utilization", "share"),
)
# Metrics shown in what-if tables (JSON and CSV carry all of them).
SHOWN = tuple(column for column in COLUMNS if column[1] != "answered")
_KIND = {metric: kind for _, metric, kind in COLUMNS}


CI_NOTE = "mean ±95% CI half-width"


def ci_note(replications: int, note: str = CI_NOTE) -> str:
    """How to read the ± of a table: ``note``, or that one replication has no CI."""
    return note if replications > 1 else "one replication: no confidence interval"


def over_replications(replications: int) -> str:
    """``mean over N replications ± 95% CI half-width``, or that one has no CI."""
    if replications > 1:
        return f"mean over {count(replications, 'replication')} ± 95% CI half-width"
    return ci_note(replications)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def metric_kind(metric: str) -> str:
    """How a metric is written: ``time``, ``share`` or ``count``."""
    if metric in _KIND:
        return _KIND[metric]
    if metric.endswith("_s"):
        return "time"
    return "share" if metric.endswith(("_rate", "_share", "utilization", "occupancy")) else "count"


def fmt(value: float, kind: str, *, signed: bool = False) -> str:
    """A figure in its units; ``signed`` writes a difference (``+1.2 pp``, ``-13.8s``)."""
    if _missing(value):
        return "-"
    size = abs(value) if signed else value
    if kind == "time":
        text = format_duration(size)
    elif kind == "share":
        text = f"{100 * size:.1f}{' pp' if signed else '%'}"
    else:
        text = f"{size:,.0f}" if abs(size) >= 100 else f"{size:,.3g}"
    # A difference that rounds to nothing carries no sign (not "-0.0 pp").
    shown = signed and value != 0 and any(c in "123456789" for c in text)
    return ("+" if value > 0 else "-") + text if shown else text


def with_ci(value: float, half: float, kind: str, *, signed: bool = False) -> str:
    """A figure with its 95% CI half-width (``40.4s ±3.74s``, ``64.3% ±2.7``)."""
    text = fmt(value, kind, signed=signed)
    if text == "-" or _missing(half):
        return text
    if kind == "share":
        return f"{text} ±{100 * half:.1f}"
    return f"{text} ±{fmt(half, kind)}"


@dataclass(frozen=True)
class Table:
    """A table as people read it: every cell already written in its units.

    The terminal prints it with :meth:`text`; the HTML report renders the same cells.

    Attributes:
        header: column titles.
        rows: the cells, one tuple per row.
        left: how many leading columns are labels (left-aligned); the rest are figures.
        caption: what the table shows, for the HTML caption.
        flags: per row, a word the HTML marks the row with (``"miss"``, ``"significant"``)
            or ``""``; empty when no row is marked.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    left: int = 1
    caption: str = ""
    flags: tuple[str, ...] = ()

    def text(self, width: int = MAX_WIDTH, *, rule: bool = False) -> str:
        """The fixed-width terminal table, at most ``width`` columns wide (see :func:`fit`).

        ``rule`` puts a dashed line under the header.
        """
        return fit(self.header, self.rows, left=self.left, width=width, rule=rule)

    def without(self, column: int) -> Table:
        """The same table without one column (a label every row shares)."""

        def cut(cells: tuple[str, ...]) -> tuple[str, ...]:
            return cells[:column] + cells[column + 1 :]

        left = self.left - (column < self.left)
        rows = tuple(cut(r) for r in self.rows)
        return Table(cut(self.header), rows, left, self.caption, self.flags)

    def flag(self, i: int) -> str:
        """Row ``i``'s flag (``""`` when rows are not flagged)."""
        return self.flags[i] if self.flags else ""


def _summary_cell(row: pd.Series, metric: str, kind: str) -> str:
    if kind == "count":
        return "-" if _missing(row[metric]) else f"{row[metric]:,.0f}"
    return with_ci(row[metric], row.get(f"{metric}_ci95", math.nan), kind)


def summary_table(summary: pd.DataFrame, threshold: float, caption: str = "") -> Table:
    """The main metrics per queue, mean ± 95% CI half-width (``Results.summary()``)."""
    header = ["queue"] + [
        f"SL {format_duration(threshold)}" if t == "SL" else t for t, _, _ in COLUMNS
    ]
    rows = [
        [str(name)] + [_summary_cell(row, metric, kind) for _, metric, kind in COLUMNS]
        for name, row in summary.iterrows()
    ]
    return Table(tuple(header), tuple(map(tuple, rows)), caption=caption)


def format_summary(
    summary: pd.DataFrame, title: str, threshold: float, width: int = MAX_WIDTH
) -> str:
    """A fixed-width table of the main metrics, mean ± 95% CI half-width per queue."""
    return "\n".join([title, summary_table(summary, threshold).text(width, rule=True)])


def compare_table(diffs: pd.DataFrame, metrics: Sequence[str], caption: str = "") -> Table:
    """B - A per queue and metric with its 95% CI, ``*`` where significant.

    Args:
        diffs: the table of :func:`sim.compare`.
        metrics: the metrics to show, in the table's order.
        caption: what the table shows.
    """
    titles = {m: t for t, m, _ in SHOWN}
    shown = diffs[diffs["metric"].isin(list(metrics))]
    rows = [
        (
            str(row.queue),
            titles.get(row.metric, row.metric),
            fmt(row.a, metric_kind(row.metric)),
            fmt(row.b, metric_kind(row.metric)),
            with_ci(row.diff, row.ci95, metric_kind(row.metric), signed=True),
            "*" if row.significant else "",
        )
        for row in shown.itertuples()
    ]
    flags = tuple("significant" if s else "" for s in shown["significant"])
    header = ("queue", "metric", "A", "B", "B - A", "")
    return Table(header, tuple(rows), left=2, caption=caption, flags=flags)


def setting(value: object) -> str:
    """A varied value as ``--vary`` takes it (``12``, ``0.5``, ``"wait"``, ``null``)."""
    # A numpy scalar is no JSON number: without .item() it would come out as a string.
    plain = value.item() if hasattr(value, "item") else value
    return json.dumps(plain, default=str)


def sweep_table(sweep: pd.DataFrame, paths: Sequence[str], caption: str = "") -> Table:
    """One row per variant and queue: the varied values, then mean ± 95% CI half-width.

    Args:
        sweep: the table of :func:`sim.sweep`.
        paths: the varied dotted paths (columns of ``sweep``).
        caption: what the table shows.
    """
    rows = [
        (
            *(setting(row[p]) for p in paths),
            str(row["queue"]),
            *(
                with_ci(row[m], row[f"{m}_ci95"], k) if k != "count" else fmt(row[m], k)
                for _, m, k in SHOWN
            ),
        )
        for _, row in sweep.iterrows()
    ]
    header = (*paths, "queue", *(t for t, _, _ in SHOWN))
    return Table(header, tuple(rows), left=len(paths) + 1, caption=caption)


_STAFF_SHORT = {"service_level": "SL", "mean_wait_s": "wait", "abandon_rate": "abandon"}


def staff_table(plan: StaffingPlan, caption: str = "") -> Table:
    """Per interval: arrivals, agents by formula, by simulation, planned, and the figures."""
    metric = plan.target.metric
    kind = "share" if metric != "mean_wait_s" else "time"
    short = _STAFF_SHORT[metric]
    rows, flags = [], []
    for _, r in plan.intervals.iterrows():
        rows.append(
            (
                f"{r['start']}-{r['end']}",
                f"{r['arrival_rate_per_h']:,.1f}",
                str(r["erlang_agents"]),
                str(r["simulated_agents"]),
                str(r["planned_agents"]),
                fmt(r[f"{metric}_at_erlang"], kind),
                with_ci(r[metric], r[f"{metric}_ci95"], kind),
                "" if r["meets_target"] else "MISS",
            )
        )
        flags.append("" if r["meets_target"] else "miss")
    header = (
        "interval",
        "arrivals/h",
        plan.model,
        "simulated",
        "planned",
        f"{short}@Erlang",
        f"{short} plan",
        "",
    )
    return Table(header, tuple(rows), caption=caption, flags=tuple(flags))


def shift_table(plan: StaffingPlan, caption: str = "") -> Table:
    """The shift plan: one row per shift with its agents."""
    rows = tuple((f"{s['start']}-{s['end']}", str(s["agents"])) for s in plan.staff_block())
    return Table(("shift", "agents"), rows, caption=caption)


def staff_verdict(plan: StaffingPlan) -> str:
    """Whether the simulated plan meets the target everywhere, or where it misses."""
    table = plan.intervals
    missed = [f"{r['start']}-{r['end']}" for _, r in table.iterrows() if not r["meets_target"]]
    if not missed:
        return "the plan meets the target in every interval (at its 95% confidence bound)"
    return f"the plan MISSES the target in {', '.join(missed)}"


# The back-test's figures (sim.fit.backtest.FIGURES) and how each is written.
_BACKTEST_KINDS = {
    "arrivals": "count",
    "abandon_rate": "share",
    "mean_wait_s": "time",
    "service_level": "share",
}


def _observed(row: pd.Series, metric: str) -> str:
    value = row[f"observed_{metric}"]
    if metric == "arrivals":
        return fmt(value, "count")
    half = (row[f"observed_{metric}_high"] - row[f"observed_{metric}_low"]) / 2
    return with_ci(value, half, _BACKTEST_KINDS[metric])


def backtest_table(table: pd.DataFrame, key: str, threshold: float, caption: str = "") -> Table:
    """Observed (±95% CI) against simulated (mean ±95% CI) per queue and ``key``.

    A simulated cell ends in ``!`` (and its row is flagged ``miss``) when the observed
    figure lies outside one simulated run's 95% range.

    Args:
        table: ``Backtest.overall``, ``.daily`` or ``.hourly`` (see :mod:`sim.fit`).
        key: the grouping column: ``queue``, ``date`` or ``hour``.
        threshold: the service-level threshold (seconds), for the column title.
        caption: what the table shows.
    """
    names = ["visits", "abandoned", "mean wait", f"within {format_duration(threshold)}"]
    header = ["queue"] + ([key] if key != "queue" else [])
    header += [h for name in names for h in (f"{name} obs", "sim")]
    rows, flags = [], []
    for _, r in table.iterrows():
        cells = [str(r["queue"])] + ([str(r[key])] if key != "queue" else [])
        implausible = False
        for metric, kind in _BACKTEST_KINDS.items():
            odd = r[f"plausible_{metric}"] is False
            implausible |= odd
            simulated = with_ci(r[f"simulated_{metric}"], r[f"simulated_{metric}_ci95"], kind)
            cells += [_observed(r, metric), simulated + (" !" if odd else "")]
        rows.append(tuple(cells))
        flags.append("miss" if implausible else "")
    left = 1 if key == "queue" else 2
    return Table(tuple(header), tuple(rows), left=left, caption=caption, flags=tuple(flags))


# (column title, metric, kind) of the per-team table
TEAM_COLUMNS = (
    ("agents on shift", "mean_agents_on_shift", "count"),
    ("available", "mean_agents_available", "count"),
    ("util", "utilization", "share"),
    ("occ", "occupancy", "share"),
    ("work share", "work_share", "share"),
    ("answered", "answered", "count"),
)


def teams_table(teams: pd.DataFrame, caption: str = "") -> Table:
    """Per team and queue it serves (``Results.teams()``), mean ± 95% CI half-width."""
    rows: list[tuple[str, ...]] = []
    # The index is (team, queue): pandas-stubs type a row's label as one Hashable.
    team: object
    queue: object
    for (team, queue), row in teams.iterrows():  # type: ignore[misc]
        cells = (
            with_ci(row[m], row[f"{m}_ci95"], kind) if kind == "share" else _count(row[m])
            for _, m, kind in TEAM_COLUMNS
        )
        rows.append((str(team), str(queue), *cells))
    header = ("team", "queue", *(t for t, _, _ in TEAM_COLUMNS))
    return Table(header, tuple(rows), left=2, caption=caption)


def format_teams(teams: pd.DataFrame, width: int = MAX_WIDTH) -> str:
    """The per-team table for the terminal."""
    return teams_table(teams).text(width, rule=True)


def _count(value: float) -> str:
    return "-" if _missing(value) else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
