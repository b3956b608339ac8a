"""Staffing: agents on the floor per date and interval, and how available they were.

Without a roster, presence comes from the agent column. An agent's busy time is the
union of its visits' ``[answer, end]``; its presence runs from a first answer to a last
service end, split where it was idle longer than ``idle_gap`` (default 4 h: the end of a
shift). Present agents are not all available: breaks, other work and outbound calls
happen between contacts. The **availability factor** is estimated from the log's busy
time and waits: an available agent takes a waiting contact, so in each idle gap of a
present agent, the time from the first moment a contact of the queue waited longer than
:data:`GRACE` to the gap's end is time away; the rest of the gap (nobody waiting) counts
as available. Per interval::

    effective = (present - away) / interval length
    availability = effective / present

An agent whose presence ends while contacts wait went off shift during its last
contact (see :func:`_leaving`); one whose presence ends after the log's period with
nobody waiting is hidden by the log's end and kept on (see :func:`_unseen_ends`).
The effective agents are the scenario's staff, as dated shifts; the one per-interval
quantity taken from the log's waits is this factor. With ``--roster`` the scheduled
headcount replaces presence, times the same availability factor when the log has agents.

The scenario's staff follows presence minute by minute (its edges are the agents' own),
less each interval's unavailable agent-minutes taken as a break of the top layer where
the log shows agents away, so each interval holds its effective agent-minutes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.scenario import Scenario

__all__ = ["GRACE", "IDLE_GAP", "StaffingFit", "fit_staffing", "read_roster"]

IDLE_GAP = 4 * 3600.0
GRACE = 15.0  # a wait shorter than this is system latency, not a missing agent
STEP = 5.0  # resolution of the time grid, seconds
DRAIN = float(Scenario.model_fields["drain"].default)  # the fitted scenario's (not written)


@dataclass(frozen=True)
class StaffingFit:
    """Agents per interval of one queue, and the dated shifts that replay them."""

    queue: str
    intervals: pd.DataFrame
    shifts: list[dict[str, object]]
    source: str
    grid_present: np.ndarray

    def present_at(self, times: np.ndarray) -> np.ndarray:
        """Agents present at the given times (seconds)."""
        index = np.clip((np.asarray(times) / STEP).astype(int), 0, len(self.grid_present) - 1)
        return self.grid_present[index]


def _steps(starts: np.ndarray, ends: np.ndarray, bins: int) -> np.ndarray:
    """How many of the intervals cover each grid step."""
    diff = np.zeros(bins + 1)
    first = np.clip(np.floor(starts / STEP).astype(int), 0, bins)
    last = np.clip(np.floor(ends / STEP).astype(int), 0, bins)
    np.add.at(diff, first, 1)
    np.add.at(diff, last, -1)
    return np.cumsum(diff[:-1])


def _merge(agent: np.ndarray, start: np.ndarray, end: np.ndarray, gap: float) -> tuple:
    """Per agent, intervals joined when apart by at most ``gap``: (agents, starts, ends)."""
    order = np.lexsort((start, agent))
    agent, start, end = agent[order], start[order], end[order]
    reach = pd.Series(end).groupby(agent).cummax().to_numpy()
    new_agent = np.r_[True, agent[1:] != agent[:-1]]
    new = new_agent | np.r_[True, start[1:] > reach[:-1] + gap]
    group = np.cumsum(new) - 1
    ends = pd.Series(reach).groupby(group).max().to_numpy()
    return agent[new], start[new], ends


def _away(
    agents: np.ndarray, starts: np.ndarray, ends: np.ndarray, waiting: np.ndarray, gap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Time present agents were away, as intervals.

    In each idle gap, from the first moment a contact waited to the gap's end: an
    available agent would have taken that contact. ``agents``, ``starts``, ``ends``
    are each agent's busy intervals, in order.
    """
    same = agents[1:] == agents[:-1]
    gap_start, gap_end = ends[:-1], starts[1:]
    idle = same & (gap_end > gap_start) & (gap_end - gap_start <= gap)
    gap_start, gap_end = gap_start[idle], gap_end[idle]
    # next_wait[i]: the first step at or after i when some contact waited.
    steps = np.arange(len(waiting))
    marked = np.where(waiting, steps, len(waiting))
    next_wait = np.minimum.accumulate(marked[::-1])[::-1]
    first = np.clip(np.floor(gap_start / STEP).astype(int), 0, len(waiting) - 1)
    away_from = next_wait[first] * STEP
    keep = away_from < gap_end
    return away_from[keep], gap_end[keep]


def _leaving(
    agent: np.ndarray, answer: np.ndarray, end: np.ndarray, spans: tuple, waiting: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Off shift but finishing the contact in hand, at the end of each presence span.

    An agent who leaves while contacts wait did not stop taking work at its last
    service end: its shift ended during its last contact, which it finished (as the
    engine's agents do). Where the shift ended within that contact is not in the log;
    an end at a random moment of a busy agent's day falls uniformly within the contact
    covering it, so its expectation, the contact's midpoint, is taken. Counting
    presence to the last service end instead gave a fitted agent a shift that long,
    plus another contact finished after it: a desk closing with a backlog answered
    more of it the same evening than the log's desk did. Agents leaving with nobody
    waiting keep their last service end (the shift's end is not seen). ``spans`` are
    the presence spans as :func:`_merge` gives them.
    """
    span_agent, _, span_end = spans
    last = (
        pd.DataFrame({"agent": agent, "end": end, "answer": answer})
        .groupby(["agent", "end"])["answer"]
        .max()
    )
    first = last.reindex(pd.MultiIndex.from_arrays([span_agent, span_end])).to_numpy()
    step = np.clip(np.floor(span_end / STEP).astype(int), 0, len(waiting) - 1)
    left = waiting[step]
    return (first[left] + span_end[left]) / 2, span_end[left]


def _unseen_ends(
    spans: tuple, waiting: np.ndarray, period_end: float
) -> tuple[np.ndarray, np.ndarray]:
    """Presence spans whose end the log cannot show, as (end, end of the grid) intervals.

    After the log's period no contact arrives, so an agent finishing the period's
    backlog with nobody left waiting drops out of the log, at work or not: the log
    ends, not the shift. Such an agent is kept on (the scenario's staff runs on through
    the drain), or a run whose backlog outlasted the log's would leave contacts
    unanswered, and drop the longest waits from every figure. Only an agent's last
    span counts (``spans`` as :func:`_merge` gives them, by agent and start).
    """
    span_agent, _, span_end = spans
    last = np.r_[span_agent[1:] != span_agent[:-1], True]
    step = np.clip(np.floor(span_end / STEP).astype(int), 0, len(waiting) - 1)
    unseen = last & (span_end > period_end) & ~waiting[step]
    return span_end[unseen], np.full(int(unseen.sum()), len(waiting) * STEP)


def _waiting(frame: pd.DataFrame, bins: int) -> np.ndarray:
    """Whether some contact of the queue waited (beyond the grace) at each step."""
    until = frame["answer"].where(frame["answer"].notna(), frame["end"])
    waits = frame["kind"].isin(["agent", "bot", "abandoned"]).to_numpy()
    start = frame["arrive"].to_numpy(float)[waits] + GRACE
    stop = until.to_numpy(float)[waits]
    keep = stop > start
    return _steps(start[keep], stop[keep], bins) > 0


def read_roster(roster: pd.DataFrame, origin: dt.datetime, source: str) -> pd.DataFrame:
    """A roster (``start``, ``end``, ``agents`` and optional ``queue``) in seconds."""
    from sim.fit.log import LogError, wall_clock_seconds  # noqa: PLC0415 - as the log's

    missing = [c for c in ("start", "end", "agents") if c not in roster]
    if missing:
        raise LogError(source, f"the roster lacks column {missing[0]!r}", missing[0])
    out = pd.DataFrame(
        {
            "start": wall_clock_seconds(roster["start"], origin),
            "end": wall_clock_seconds(roster["end"], origin),
            "agents": pd.to_numeric(roster["agents"], errors="coerce"),
            "queue": roster["queue"].astype(str) if "queue" in roster else None,
        }
    )
    bad = out[["start", "end", "agents"]].isna().any(axis=1) | (out["end"] <= out["start"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise LogError(source, f"line {row}: start, end (date-times, end after start), agents")
    return out


def fit_staffing(
    queue: str,
    frame: pd.DataFrame,
    origin: dt.datetime,
    horizon: float,
    *,
    interval: float = 3600.0,
    idle_gap: float = IDLE_GAP,
    roster: pd.DataFrame | None = None,
    period_end: float = np.inf,
) -> StaffingFit:
    """Agents present and effective per interval of one queue, and its dated shifts.

    Args:
        queue: the queue.
        frame: the queue's rows of the cleaned log.
        origin: the log's time zero.
        horizon: the end of the time covered (seconds; the last service end).
        interval: the staffing interval (30 or 60 minutes).
        idle_gap: idle time after which an agent counts as gone.
        roster: scheduled agents (seconds from ``origin``) instead of presence.
        period_end: when the log's arrivals end (seconds); agents seen after it are
            kept on through the drain (see :func:`_unseen_ends`).
    """
    bins = int(np.ceil(horizon / STEP)) + 1
    served = frame[frame["kind"] == "agent"]
    has_agents = served["agent"].notna().any()
    present = busy = held = np.zeros(bins)
    if has_agents:  # busy: union of [answer, end] per agent; present: joined over idle gaps
        codes = pd.factorize(served["agent"])[0]
        answer, end = served["answer"].to_numpy(float), served["end"].to_numpy(float)
        busy_a, busy_s, busy_e = _merge(codes, answer, end, 0.0)
        spans = _merge(codes, answer, end, idle_gap)
        busy, present = _steps(busy_s, busy_e, bins), _steps(spans[1], spans[2], bins)
        waiting = _waiting(frame, bins)
        away = _steps(*_away(busy_a, busy_s, busy_e, waiting, idle_gap), bins)
        if roster is None:  # a roster's shift ends are the schedule's own
            away += _steps(*_leaving(codes, answer, end, spans, waiting), bins)
            held = _steps(*_unseen_ends(spans, waiting, period_end), bins)
    else:
        away = np.zeros(bins)
    effective = present - away
    per = round(interval / STEP)
    cells = int(np.ceil(bins / per))

    def by_interval(x: np.ndarray) -> np.ndarray:
        padded = np.zeros(cells * per)
        padded[: len(x)] = x
        return padded.reshape(cells, per).mean(axis=1)

    table = pd.DataFrame(
        {
            "start": np.arange(cells) * interval,
            "present": by_interval(present),
            "busy": by_interval(busy),
            "effective": by_interval(effective),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["availability"] = table["effective"] / table["present"]
    source = "agent column" if has_agents else "none"
    if roster is not None:
        scheduled = _roster_steps(roster, queue, bins)
        table["scheduled"] = by_interval(scheduled)
        factor = table["availability"].fillna(1.0) if has_agents else 1.0
        table["effective"] = table["scheduled"] * factor
        source = "roster" + (" x availability from the agent column" if has_agents else "")
        present = scheduled
    table.insert(0, "queue", queue)
    table.insert(
        2, "time", (pd.Timestamp(origin) + pd.to_timedelta(table["start"], unit="s")).astype(str)
    )
    if roster is not None:
        away = np.zeros_like(present)
    # The scenario's staff, unlike the table, keeps the agents the log's end hid.
    target = table["effective"].to_numpy() + by_interval(held)
    levels = _minute_levels(present + held, away, target, interval)
    until = period_end + DRAIN if held.any() else None
    shifts = _dated_shifts(levels, origin, until)
    return StaffingFit(queue, table, shifts, source, present)


def _roster_steps(roster: pd.DataFrame, queue: str, bins: int) -> np.ndarray:
    rows = roster if roster["queue"].isna().all() else roster[roster["queue"] == queue]
    diff = np.zeros(bins + 1)
    first = np.clip(np.floor(rows["start"].to_numpy() / STEP).astype(int), 0, bins)
    last = np.clip(np.floor(rows["end"].to_numpy() / STEP).astype(int), 0, bins)
    np.add.at(diff, first, rows["agents"].to_numpy(float))
    np.add.at(diff, last, -rows["agents"].to_numpy(float))
    return np.cumsum(diff[:-1])


def _per_minute(x: np.ndarray) -> np.ndarray:
    per_minute = round(60 / STEP)
    minutes = len(x) // per_minute
    return x[: minutes * per_minute].reshape(minutes, per_minute).mean(axis=1)


def _minute_levels(
    present: np.ndarray, away: np.ndarray, effective: np.ndarray, interval: float
) -> np.ndarray:
    """Whole agents per minute: presence as observed, less each interval's unavailability.

    Presence keeps its own edges (two agents arriving at 07:45 stay two agents from
    07:45, not one agent for half the hour); each interval then loses the agent-minutes
    its availability factor takes away, as contiguous blocks of the top layer (breaks,
    as people take them) placed where the log shows present agents idle while contacts
    waited (``away``), until the interval holds its effective agent-minutes.
    """
    level = np.rint(_per_minute(present)).astype(int)
    away = _per_minute(away)
    width = round(interval / 60)
    for i, target in enumerate(np.nan_to_num(effective)):
        block = level[i * width : (i + 1) * width]  # views: edits change ``level``
        gone = away[i * width : (i + 1) * width]
        # The agent-minutes of the whole interval: the grid may end inside the last one.
        deficit = int(block.sum() - round(target * width))
        while deficit > 0 and block.max() > 0:
            top = np.flatnonzero(block == block.max())
            runs = np.split(top, np.flatnonzero(np.diff(top) > 1) + 1)
            run = max(runs, key=len)
            take = min(deficit, len(run))
            sums = np.convolve(gone[run], np.ones(take), mode="valid")
            first = int(np.argmax(sums))
            block[run[first : first + take]] -= 1
            deficit -= take
    return level


def _dated_shifts(level: np.ndarray, origin: dt.datetime, until: float | None = None) -> list[dict]:
    """Dated shifts giving ``level`` agents in each minute from ``origin``.

    The step function is cut into layers (agent k works while the level is at least k),
    so agents work long shifts, as people do, instead of a fresh team every interval.
    Layers still on in the last minute run on to ``until`` (seconds) when given.
    """
    runs: Counter[tuple[int, int]] = Counter()
    for k in range(1, int(level.max(initial=0)) + 1):
        on = np.r_[False, level >= k, False]
        edges = np.flatnonzero(np.diff(on.astype(int)))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            open_end = until is not None and b == len(level)
            runs[(int(a), math.ceil(until / 60) if until and open_end else int(b))] += 1
    stamp = pd.Timestamp(origin)
    return [
        {
            "start": (stamp + pd.Timedelta(minutes=a)).isoformat(timespec="minutes"),
            "end": (stamp + pd.Timedelta(minutes=b)).isoformat(timespec="minutes"),
            "agents": n,
        }
        for (a, b), n in sorted(runs.items())
    ]
