"""Rare combinations of the engine's mechanisms, on tiny scenarios worked out by hand.

Each test pins one defect found in a review of the engine (shift changes at the instant
of another event, breaks, teams, retrials, delayed routes, parallel visits): arrivals
are Poisson, every other time is constant, so each contact's fate follows from its
arrival time read back from the records.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

import sim
from sim.records import Outcome

HOUR = 3600.0
DAY = 86400.0
ATOL = 1e-9  # sums of a few floats of size <= 1e6 s


def _const(seconds: float) -> dict[str, Any]:
    return {"dist": "constant", "value": seconds}


def _scenario(queues: dict[str, dict[str, Any]], **fields: Any) -> sim.Scenario:
    data = {
        "name": "engine-edges",
        "start": "2026-01-05T00:00",  # a Monday
        "duration": "1d",
        "drain": "3d",
        "seed": 5,
        **fields,
        "queues": queues,
    }
    return sim.from_dict(data)


def _hops(result: sim.ReplicationResult, queue: str) -> dict[str, np.ndarray]:
    """The hop records of one queue, in arrival order."""
    h = result.hops
    mask = h["queue"] == result.queues.index(queue)
    order = np.argsort(h["arrive"][mask], kind="stable")
    return {k: v[mask][order] for k, v in h.items()}


def _shift_fifo(release: np.ndarray, agents: int, service: float, shift: tuple) -> np.ndarray:
    """Start times of FIFO contacts released at ``release``, taken by ``agents`` agents.

    The agents work the daily clock window ``shift`` = [open, close) seconds; a contact
    starts only while it is on, and one started before the close runs to its end.
    """
    open_, close = shift
    free = [0.0] * agents
    starts = []
    for r in release.tolist():
        t = max(r, heapq.heappop(free))
        day, clock = divmod(t, DAY)
        if clock >= close:
            t = (day + 1) * DAY + open_
        elif clock < open_:
            t = day * DAY + open_
        heapq.heappush(free, t + service)
        starts.append(t)
    return np.array(starts)


def test_a_pickup_at_the_instant_a_shift_ends_finds_its_agents_gone():
    # Shift 10:30-16:00, pickups at 16:00 (and 10:00): the agents are off shift at
    # 16:00 ([start, end)), so the batch released then waits for the next morning,
    # whichever event SimPy happened to schedule first. Before the fix the leaving
    # agents took one contact each at 16:00 when the pickup came first.
    for pickups in (["16:00"], ["10:00", "16:00"]):
        scenario = _scenario(
            {
                "q": {
                    "arrivals": {"rate": "1/h"},
                    "service": _const(600),
                    "pickup": pickups,
                    "staff": [{"start": "10:30", "end": "16:00", "agents": 3}],
                }
            },
            duration="16h",
        )
        h = _hops(sim.simulate(scenario), "q")
        assert len(h["arrive"]) >= 8
        clocks = sorted(int(p[:2]) * HOUR for p in pickups)
        release = np.array([min((c for c in clocks if c > a), default=None) for a in h["arrive"]])
        expected = _shift_fifo(release, 3, 600.0, (10.5 * HOUR, 16 * HOUR))
        np.testing.assert_allclose(h["agent_start"], expected, rtol=0, atol=ATOL)
        assert (expected[h["arrive"] > 10 * HOUR] >= DAY).all()  # next day's morning
        assert (h["outcome"] == Outcome.RESOLVED).all()


def _two_pickup_queues(gold_first: bool, gold_priority: int) -> sim.Scenario:
    queues = {
        "plain": {"arrivals": {"rate": "1/h"}, "service": _const(600), "pickup": ["10:00"]},
        "gold": {
            "arrivals": {"rate": "1/h"},
            "service": _const(600),
            "pickup": ["10:00"],
            "priority": gold_priority,
        },
    }
    if gold_first:
        queues = {"gold": queues["gold"], "plain": queues["plain"]}
    return _scenario(
        queues, duration="10h", teams={"desk": {"staff": 1, "serves": ["plain", "gold"]}}
    )


def test_contacts_released_together_go_by_priority_then_wait_whatever_the_file_order():
    # Two queues of one agent's team release their batches at 10:00 together. The
    # agent takes the higher priority first, then (equal priorities) the contact that
    # has waited longest, whichever queue the file lists first. Before the fix the queue
    # whose pickup SimPy processed first (the one listed first) had the agent to itself.
    for gold_priority in (1, 0):
        starts = []
        for gold_first in (False, True):
            result = sim.simulate(_two_pickup_queues(gold_first, gold_priority))
            gold, plain = _hops(result, "gold"), _hops(result, "plain")
            assert len(gold["arrive"]) >= 3
            assert len(plain["arrive"]) >= 3
            if gold_priority:
                order = np.concatenate((gold["arrive"], plain["arrive"]))
            else:
                order = np.sort(np.concatenate((gold["arrive"], plain["arrive"])))
            # One agent from 10:00, 600 s each, in that order.
            start_of = {a: 10 * HOUR + 600.0 * k for k, a in enumerate(order.tolist())}
            for h in (gold, plain):
                expected = [start_of[a] for a in h["arrive"].tolist()]
                np.testing.assert_allclose(h["agent_start"], expected, rtol=0, atol=ATOL)
            starts.append((gold["agent_start"], plain["agent_start"]))
        for before, after in zip(*starts, strict=True):
            np.testing.assert_array_equal(before, after)


def test_own_agents_starting_with_a_team_take_their_queue_first():
    # Queue a: its own agent 09:00-17:00; team: one agent 09:00-16:00 serving a and b.
    # At 09:00 both come on together with an overnight backlog. Own agents first: the
    # own agent takes a's oldest contact, the team agent the longest-waiting of the rest.
    # Before the fix the team, whose start SimPy had scheduled first (its last change,
    # 16:00, came before the own staff's 17:00), took a's oldest, and b's waited.
    scenario = _scenario(
        {
            "a": {
                "arrivals": {"rate": "0.3/h"},
                "service": _const(600),
                "staff": [{"start": "09:00", "end": "17:00", "agents": 1}],
            },
            "b": {"arrivals": {"rate": "0.3/h"}, "service": _const(600)},
        },
        duration="2d",
        seed=1,
        teams={
            "desk": {
                "staff": [{"start": "09:00", "end": "16:00", "agents": 1}],
                "serves": ["a", "b"],
            }
        },
    )
    result = sim.simulate(scenario)
    a, b = _hops(result, "a"), _hops(result, "b")
    night_a = a["arrive"][(a["arrive"] > 17 * HOUR) & (a["arrive"] < DAY + 9 * HOUR)]
    night_b = b["arrive"][(b["arrive"] > 16 * HOUR) & (b["arrive"] < DAY + 9 * HOUR)]
    # The case this seed gives: a's oldest, then b's oldest, then a's second.
    assert night_a[0] < night_b[0] < night_a[1]
    own = result.crews[0].agent_ids[1]  # the agents who come on on the second day
    team = result.crews[2].agent_ids[1]
    at_nine = DAY + 9 * HOUR
    first_a = a["arrive"] == night_a[0]
    first_b = b["arrive"] == night_b[0]
    assert a["agent_start"][first_a][0] == at_nine
    assert a["agent"][first_a][0] == own
    assert b["agent_start"][first_b][0] == at_nine
    assert b["agent"][first_b][0] == team
