"""Routes and resolution: what each queue solves, and where the rest goes.

From the log's ``resolved`` column (or the project's outcome names) and ``next_queue``
(given, or derived from ``contact`` links: the queue of the contact's next visit):

* ``resolution``: resolved visits over agent-answered visits with a known flag; without
  a flag, visits not routed on;
* ``on_unresolved``: among unresolved answered visits (agent or bot), the share going to
  each queue; ``on_abandon`` likewise among abandoned visits;
* ``visibility`` and ``on_not_visible``, ``closed`` and ``on_closed``: from the
  project's outcome names ``not_visible`` and ``closed``.

Each share carries a Wilson 95% CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.fit.estimate import Estimate, share

__all__ = ["RouteFit", "fit_routes"]


@dataclass(frozen=True)
class RouteFit:
    """Resolution and routes of one queue (estimates; None when the log cannot tell)."""

    queue: str
    resolution: Estimate | None
    on_unresolved: dict[str, Estimate] = field(default_factory=dict)
    on_abandon: dict[str, Estimate] = field(default_factory=dict)
    visibility: Estimate | None = None
    on_not_visible: dict[str, Estimate] = field(default_factory=dict)
    closed: str | None = None
    on_closed: dict[str, Estimate] = field(default_factory=dict)


def _unresolved(rows: pd.DataFrame) -> pd.Series:
    """Whether each answered visit was unresolved: the flag, else routed on."""
    flag = rows["resolved"]
    routed = rows["next_queue"].notna()
    return (flag == 0).where(flag.notna(), routed)


def _destinations(rows: pd.DataFrame, queues: list[str], method: str) -> dict[str, Estimate]:
    n = len(rows)
    counts = rows["next_queue"].value_counts()
    return {
        str(q): share(int(counts[q]), n, method)
        for q in counts.index
        if q in queues and counts[q] > 0
    }


def fit_routes(queue: str, frame: pd.DataFrame, queues: list[str]) -> RouteFit:
    """Resolution and routes of ``queue`` from its rows of the cleaned log."""
    agent = frame[frame["kind"] == "agent"]
    answered = frame[frame["kind"].isin(["agent", "bot"])]
    flagged = bool(agent["resolved"].notna().any())
    # With flags, a visit is known by its flag or by a route on; without any, every
    # visit is, resolved when not routed on.
    known = (
        agent["resolved"].notna() | agent["next_queue"].notna()
        if flagged
        else pd.Series(True, index=agent.index)
    )
    resolution = None
    if known.any() and (flagged or frame["next_queue"].notna().any()):
        unresolved = _unresolved(agent[known])
        method = "resolved flag" if flagged else "not routed on"
        resolution = share(int((~unresolved.astype(bool)).sum()), int(known.sum()), method)
    open_rows = answered[_unresolved(answered).astype(bool)]
    abandoned = frame[frame["kind"] == "abandoned"]
    outcome = frame["outcome"]
    fit = RouteFit(
        queue,
        resolution,
        _destinations(open_rows, queues, "share of unresolved"),
        _destinations(abandoned, queues, "share of abandoned"),
    )
    hidden = frame[outcome == "not_visible"]
    if len(hidden):
        visible = share(len(frame) - len(hidden), len(frame), "visits not 'not_visible'")
        fit = RouteFit(
            **{
                **fit.__dict__,
                "visibility": visible,
                "on_not_visible": _destinations(hidden, queues, "share of not visible"),
            }
        )
    closed = frame[outcome == "closed"]
    if len(closed):
        routes = _destinations(closed, queues, "share of closed")
        fit = RouteFit(
            **{**fit.__dict__, "closed": "route" if routes else "lost", "on_closed": routes}
        )
    return fit
