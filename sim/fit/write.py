"""Writing the fitted scenario: a normal scenario file, every fitted value commented.

Values are written in JSON flow notation (JSON is YAML), one field per line, each
followed by a comment with its estimate, 95% CI and method, so that ``sim run`` reads
the file as any other and a person sees where each number came from.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from sim.fit.arrivals import ArrivalFit
from sim.fit.bot import BotFit
from sim.fit.estimate import Estimate, FamilyFit
from sim.fit.handle import EMPIRICAL_KS, QUANTILES, HandleFit
from sim.fit.patience import PatienceFit
from sim.fit.routes import RouteFit
from sim.fit.staffing import StaffingFit
from sim.units import format_duration
from sim.yamlfile import parse_text

__all__ = ["Block", "QueueFit", "ci_text", "duration_text", "render", "scenario_yaml"]


def _number(value: float) -> str:
    return f"{value:.4g}"


def duration_text(e: Estimate) -> str:
    """``3m02s (95% CI 2m58s-3m06s)``."""
    return f"{format_duration(e.value)} (95% CI {format_duration(e.low)}-{format_duration(e.high)})"


def ci_text(e: Estimate, unit: str = "") -> str:
    """``0.81 (95% CI 0.79-0.83)``; shares as percentages."""
    if unit == "%":
        return f"{100 * e.value:.1f}% (95% CI {100 * e.low:.1f}-{100 * e.high:.1f}%)"
    return f"{_number(e.value)}{unit} (95% CI {_number(e.low)}-{_number(e.high)}{unit})"


def family_text(fit: FamilyFit, others: Iterable[FamilyFit] = ()) -> str:
    """A duration fit as a comment: mean, cv, method, AIC ranking and KS distance."""
    parts = [f"mean {duration_text(fit.mean)}"]
    if fit.cv is not None:
        parts.append(f"cv {ci_text(fit.cv)}")
    parts.append(fit.mean.method)
    ranking = ", ".join(f"{f.family} {f.aic - fit.aic:+.1f}" for f in others if f is not fit)
    if ranking:
        parts.append(f"AIC best (others: {ranking})")
    parts.append(f"KS {fit.ks:.3f}")
    return "; ".join(parts)


@dataclass
class Block:
    """A mapping to write: ``(key, value, comment)`` entries; a value may be a Block."""

    entries: list[tuple[str, object, str]] = field(default_factory=list)
    comment: str = ""

    def add(self, key: str, value: object, comment: str = "") -> None:
        """Add one field (skipped when ``value`` is None)."""
        if value is not None:
            self.entries.append((key, value, comment))


def _flow(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    """A mapping key as YAML reads it back: quoted unless it is plain text to YAML.

    A queue named ``007``, ``null`` or ``yes`` written bare would come back as a number,
    nothing or true.
    """
    try:
        plain = ":" not in key and "#" not in key and parse_text(key) == key
    except ValueError:
        plain = False
    return key if plain else _flow(key)


def render(block: Block, indent: int = 0) -> list[str]:
    """The lines of a block, nested blocks indented by two spaces."""
    pad = " " * indent
    lines = []
    for name, value, comment in block.entries:
        key = _key(name)
        if isinstance(value, Block):
            head = f"{pad}{key}:"
            lines.append(f"{head}  # {value.comment}" if value.comment else head)
            lines += render(value, indent + 2)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}:" + (f"  # {comment}" if comment else ""))
            lines += [f"{pad}  - {_flow(item)}" for item in value]
        else:
            text = f"{pad}{key}: {_flow(value)}"
            lines.append(f"{text}  # {comment}" if comment else text)
    return lines


@dataclass(frozen=True)
class QueueFit:
    """Everything fitted for one queue."""

    queue: str
    arrivals: ArrivalFit | None
    handle: HandleFit | None
    patience: PatienceFit | None
    staffing: StaffingFit
    routes: RouteFit
    bot: BotFit | None


def _routes_block(routes: dict[str, Estimate], what: str) -> Block | None:
    if not routes:
        return None
    block = Block(comment=f"share of {what} visits going to each queue")
    for dest, e in routes.items():
        block.add(dest, round(e.value, 4), f"{ci_text(e, '%')}, n={e.n:,}")
    return block


def _arrivals_block(a: ArrivalFit) -> Block:
    body = a.block()
    block = Block(
        comment=f"external arrivals; chi-square {a.chi2:.0f} on {a.dof} df, p={a.p_value:.3g}"
    )
    r = a.rate_per_hour
    block.add("rate", body["rate"], f"{ci_text(r, '/h')}, {r.method}, n={r.n:,}")
    widest = float(np.nanmax((a.profile_ci[:, 1] - a.profile_ci[:, 0]) / 2))
    each = "each weight's CI in the report's parameters"
    block.add(
        "profile",
        body["profile"],
        f"hourly weights, mean 1; 95% CI half-width up to {widest:.2f}; {each}",
    )
    if a.weekdays is not None:
        ci: np.ndarray = a.weekdays_ci  # type: ignore[assignment]  # set with weekdays
        w = float(np.nanmax((ci[:, 1] - ci[:, 0]) / 2))
        block.add(
            "weekdays",
            body["weekdays"],
            f"Mon..Sun weights, mean 1; 95% CI half-width up to {w:.2f}; {each}",
        )
    if a.peaks:
        notes = "; ".join(
            f"{p.date}: {p.observed:,} arrivals vs {p.expected:,.0f} expected, "
            f"x{ci_text(p.multiplier)}"
            for p in a.peaks
        )
        block.add("peaks", body["peaks"], f"dates departing from the pattern: {notes}")
    return block


def _queue_block(q: QueueFit, queues: list[str]) -> Block:
    block = Block()
    if q.arrivals is not None:
        block.add("arrivals", _arrivals_block(q.arrivals))
    s = q.staffing
    table = s.intervals
    present = float(np.nansum(table["present"]))
    availability = (
        f"availability (effective/present) {np.nansum(table['effective']) / present:.2f} "
        "overall, per interval in the report"
        if present > 0
        else "availability not measured (no agent column): the roster as scheduled"
        if s.source == "roster"  # with a roster and no agent column, presence is not seen
        else "no agent present in the log"
    )
    block.add("staff", s.shifts or 0, f"effective agents per interval, {s.source}; {availability}")
    if q.bot is not None:
        b = q.bot
        note = (
            f"{b.when}: {100 * b.unstaffed_share:.0f}% of bot answers with no agent present; "
            f"resolution {ci_text(b.resolution, '%')} ({b.resolution.method}); "
            f"bot handling {duration_text(b.handle)} not simulated"
        )
        if b.response is not None:
            note += f"; response {family_text(b.response)}"
        block.add("bot", b.block(), note)
    if q.handle is not None:
        h = q.handle
        if h.chosen == "empirical":
            note = (
                f"empirical: {len(h.data):,} handle times as {QUANTILES} "
                f"quantiles; mean {duration_text(h.mean)}; best family {h.fits[0].family} "
                f"had KS {h.fits[0].ks:.3f} > {EMPIRICAL_KS}"
            )
        else:
            note = family_text(h.fits[0], h.fits) + f"; n={len(h.data):,}"
        block.add("service", h.distribution(), note)
    else:
        block.add(
            "service",
            {"dist": "exponential", "mean": 60},
            "no agent-handled visit in the log: a placeholder",
        )
    if q.patience is not None:
        p = q.patience
        note = (
            family_text(p.best, p.fits)
            + f"; {len(p.exact):,} abandoned, {len(p.censored):,} censored"
        )
        block.add("patience", p.distribution(), note)
    r = q.routes
    if r.resolution is not None:
        block.add(
            "resolution",
            round(r.resolution.value, 4),
            f"{ci_text(r.resolution, '%')}, {r.resolution.method}, n={r.resolution.n:,}",
        )
    if r.visibility is not None:
        block.add("visibility", round(r.visibility.value, 4), ci_text(r.visibility, "%"))
    if r.closed is not None:
        block.add("closed", r.closed, "visits arriving with nobody on duty")
    for field_name, routes, what in (
        ("on_unresolved", r.on_unresolved, "unresolved"),
        ("on_abandon", r.on_abandon, "abandoned"),
        ("on_not_visible", r.on_not_visible, "not visible"),
        ("on_closed", r.on_closed, "closed"),
    ):
        block.add(field_name, _routes_block({k: v for k, v in routes.items() if k in queues}, what))
    return block


def scenario_yaml(
    name: str,
    origin: dt.datetime,
    period: tuple[float, float],
    queues: list[QueueFit],
    *,
    header: list[str],
    replications: int,
    seed: int,
) -> str:
    """The fitted scenario file."""
    top = Block()
    top.add("name", name)
    top.add("start", origin.isoformat(timespec="minutes"), "the log's first hour")
    hours = (period[1] - period[0]) / 3600
    top.add("duration", f"{hours:g}h", "the log's period, to the hour after its last arrival")
    top.add("seed", seed)
    top.add("replications", replications)
    names = [q.queue for q in queues]
    body = Block()
    for q in queues:
        body.add(q.queue, _queue_block(q, names))
    top.add("queues", body)
    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join([*lines, *render(top)]) + "\n"
