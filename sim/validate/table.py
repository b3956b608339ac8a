"""How targets and their rows read: metric descriptions, figures in units, the table."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.report.tables import MAX_WIDTH, Table, wrapped_blocks
from sim.scenario import (
    DAY_NAMES,
    DEADLINE_METRICS,
    TIME_METRICS,
    LeastOf,
    QueueSelection,
    Reference,
    Target,
)
from sim.units import format_clock, format_duration
from sim.validate.ledger import Tally

if TYPE_CHECKING:
    from sim.validate.rule import TargetRow

__all__ = [
    "describe",
    "format_document",
    "format_half",
    "format_ledger",
    "format_rows",
    "format_value",
    "replications_by_file",
    "target_table",
    "unit_metric",
    "verdict",
]


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
    if isinstance(target.ratio_to, LeastOf):
        return f"{text} / least of ({'; '.join(_reference(r) for r in target.references)})"
    if isinstance(target.ratio_to, Reference):
        return f"{text} / {_reference(target.ratio_to)}"
    return text


def _reference(ref: Reference) -> str:
    """A ratio's reference: only the fields it sets ('same' when none)."""
    other = [
        _label(ref.queue) if ref.queue is not None else "",
        ref.metric or "",
        f"within {ref.within}" if ref.within is not None else "",
        _days(ref.days) if ref.days else "",
        "-".join(format_clock(h) for h in ref.hours) if ref.hours else "",
        f"at {'+'.join(ref.scope)}" if ref.scope else "",
    ]
    return " ".join(o for o in other if o) or "same"


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


def format_value(metric: str, value: float) -> str:
    """A figure in its units: a duration, a percentage, or a plain ratio."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric.endswith("_ratio"):
        return f"{value:.3g}"
    if metric in TIME_METRICS:
        return format_duration(value)
    return f"{100 * value:.1f}%"


def format_document(metric: str, value: float, bound: str) -> str:
    """The document's figure as a target states it: ``<= 10.0%`` for an at-most bound."""
    mark = {"at_most": "<= ", "at_least": ">= "}.get(bound, "")
    return f"{mark}{format_value(metric, value)}"


def _document(row: TargetRow) -> str:
    return format_document(row.metric, row.value, row.bound)


def _tolerance(row: TargetRow) -> str:
    if row.tolerance == 0:
        return "-"
    if row.metric.endswith("_ratio") or row.metric in TIME_METRICS:
        return f"±{format_value(row.metric, row.tolerance)}"
    return f"±{100 * row.tolerance:.1f}pp"


def format_half(metric: str, half: float) -> str:
    """A CI half-width in the figure's units; a share's in percentage points (``0.5pp``)."""
    text = format_value(metric, half)
    return f"{text[:-1]}pp" if text.endswith("%") else text


def format_estimate(metric: str, mean: float, half: float) -> str:
    """A simulated mean with its CI half-width (``3m5s ±10.1s``), or alone without a CI."""
    text = format_value(metric, mean)
    if math.isfinite(half):
        text += f" ±{format_half(metric, half)}"
    return text


def replications_by_file(rows: Sequence[TargetRow]) -> dict[str, int]:
    """Each file's replications (by ``source``): the most any of its targets had.

    A target settled early stops there unless later rounds measured it for free
    (:mod:`sim.validate.rounds`), so a file's targets may have fewer.
    """
    most: dict[str, int] = {}
    for row in rows:
        most[row.source] = max(most.get(row.source, 0), row.replications)
    return most


def _simulated(row: TargetRow, most: int) -> str:
    text = format_estimate(row.metric, row.simulated, row.ci95)
    return text if row.replications >= most else f"{text} (n={row.replications})"


def _short(queue: str) -> str:
    """A mix label without its weights (the JSON rows keep them)."""
    if ":" not in queue:
        return queue
    return "+".join(part.split(":")[0] for part in queue.split("+")) + " (mix)"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _cut_path(text: str, width: int) -> str:
    """A file path cut at its start: the file's name is what tells two rows apart."""
    return text if len(text) <= width else "…" + text[len(text) - max(width - 1, 0) :]


def target_table(rows: Sequence[TargetRow], caption: str = "") -> Table:
    """One row per target: figures in their units and the verdict (``pass`` / ``MISS``).

    The target column is the target's id, or its queue selection when it has none. A
    ``role`` column (what the target is to the scenario: ``fit``, ``input``, ``check``)
    appears when the rows carry one.
    """
    roles = [getattr(r, "role", None) for r in rows]
    with_role = any(roles)
    most = replications_by_file(rows)
    header = ["scenario", "target", "metric", *(["role"] if with_role else [])]
    header += ["document", "tol", "simulated ±95% CI", "result"]
    body = [
        (
            r.scenario,
            getattr(r, "id", None) or _short(r.queue),
            r.detail,
            *([role or ""] if with_role else []),
            _document(r),
            _tolerance(r),
            _simulated(r, most[r.source]),
            "pass" if r.passed else "MISS",
        )
        for r, role in zip(rows, roles, strict=True)
    ]
    flags = tuple("" if r.passed else "miss" for r in rows)
    return Table(tuple(header), tuple(body), left=len(header) - 4, caption=caption, flags=flags)


def verdict(rows: Sequence[TargetRow]) -> str:
    """``N of M targets pass``; by role (checks, fits, restated inputs) when rows have one.

    Rows without a role beside rows with one (files with and without a ledger) are
    counted apart, after the roles.
    """
    if not any(getattr(r, "role", None) for r in rows):
        missed = sum(not r.passed for r in rows)
        return f"{len(rows) - missed} of {len(rows)} targets pass" + (
            f"; {missed} missed" if missed else ""
        )
    counts = []
    for role, plural in (("check", "checks"), ("fit", "fits")):
        mine = [r for r in rows if r.role == role]
        counts.append(f"{sum(r.passed for r in mine)} of {len(mine)} {plural} pass")
    inputs = [r for r in rows if r.role == "input"]
    missed = sum(not r.passed for r in inputs)
    note = f"; {missed} missed" if missed else ""
    counts.append(f"{len(inputs)} inputs restated (not counted as passes{note})")
    # Files without a ledger validated beside ones with: their targets count too.
    other = [r for r in rows if not getattr(r, "role", None)]
    if other:
        counts.append(
            f"{sum(r.passed for r in other)} of {len(other)} targets without a role pass "
            "(files without a ledger)"
        )
    return "; ".join(counts)


def format_rows(rows: Sequence[TargetRow]) -> str:
    """A fixed-width table, wrapped to 120 columns, then the counts.

    Each scenario's targets follow a line naming it (its file and replications), so the
    table itself needs no scenario column and its text columns keep the width; a target
    with fewer replications than its file says how many it had (``(n=4)``).
    """
    table = target_table(rows)
    header, body = table.header[1:], [row[1:] for row in table.rows]
    right = set(range(table.left - 1, len(header) - 1))
    top, blocks = wrapped_blocks(header, body, right=right, wrap={0, 1})
    lines, last = list(top), None
    most = replications_by_file(rows)
    for row, block in zip(rows, blocks, strict=True):
        heading = _heading(row, most[row.source])
        if heading != last:
            lines += ["", heading] if last else [heading]  # a blank line between scenarios
            last = heading
        lines += block
    return "\n".join([*lines, "", *textwrap.wrap(verdict(rows), MAX_WIDTH)])


def _heading(row: TargetRow, most: int) -> str:
    """The line above a scenario's targets: its name, file and replications."""
    where = f" ({row.source})" if row.source else ""
    count = f"{most} replication{'' if most == 1 else 's'}"
    return _cut(f"{row.scenario}{where}: {count}", MAX_WIDTH)


def format_ledger(tallies: Sequence[Tally]) -> str:
    """Per file and overall: targets by role, passes, and values calibrated."""
    header = ["file", "targets", "checks pass", "fits pass", "inputs", "calibrated", "spare"]
    total = Tally("all files", *(sum(getattr(t, f) for t in tallies) for f in _TALLY_FIELDS))
    # Spare fits are each file's own: one file's surplus of values does not cancel another's.
    spares = [t.spare for t in tallies]
    body = [
        [
            t.source,
            str(t.targets),
            f"{t.checks_passed}/{t.checks}",
            f"{t.fits_passed}/{t.fits}",
            str(t.inputs),
            str(t.values),
            str(spare),
        ]
        for t, spare in zip([*tallies, total], [*spares, sum(spares)], strict=True)
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    widths[0] = min(widths[0], MAX_WIDTH - 2 * 6 - sum(widths[1:]))

    def line(texts: list[str]) -> str:
        return "  ".join(
            _cut_path(c, w).ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(texts, widths, strict=True))
        ).rstrip()

    rule = line(["-" * w for w in widths])
    return "\n".join([line(header), rule, *(line(b) for b in body[:-1]), rule, line(body[-1])])


_TALLY_FIELDS = ("checks", "checks_passed", "fits", "fits_passed", "inputs", "values")
