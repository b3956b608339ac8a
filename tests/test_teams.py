"""Shared teams, priorities, breaks, retrials and delayed routes: exact and structural checks.

Exact event logs: arrivals stay Poisson, every other time is constant, so given the
arrival times read back from the records, who takes which contact and when follows from
a plain-Python reference of the stated rules (own agents first, then the team agent idle
longest; a freed agent takes the highest priority, then the contact waiting longest;
breaks between contacts). The engine must match it to floating-point rounding.
"""

from __future__ import annotations

import copy
import heapq
import json
import math
import re
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import event, given
from test_engine_properties import CRN_QUEUES
from test_properties_hypothesis import (
    SETTINGS,
    VALID,
    _assert_conservation,
    _runnable,
    _short,
    _validate,
    mutated,
)

import sim
from sim.cli import main
from sim.crew import first_break
from sim.records import Outcome
from sim.scenario import Breaks

ATOL = 1e-9
ROOT = Path(__file__).resolve().parent.parent
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


def const(seconds: float) -> dict[str, Any]:
    return {"dist": "constant", "value": seconds}


def scenario(queues: dict, teams: dict | None = None, **fields: Any) -> sim.Scenario:
    data = {
        "name": "teams",
        "start": "2026-01-05T00:00",  # a Monday
        "duration": "8h",
        "drain": "2d",
        "seed": 4,
        **fields,
        "queues": queues,
        "teams": teams or {},
    }
    return sim.from_dict(data)


def hops_of(result: sim.ReplicationResult, queue: str | None = None) -> dict[str, np.ndarray]:
    """Hop records (of one queue), in arrival order."""
    h = result.hops
    mask = (
        np.ones(len(h["arrive"]), bool)
        if queue is None
        else h["queue"] == result.queues.index(queue)
    )
    order = np.argsort(h["arrive"][mask], kind="stable")
    return {k: v[mask][order] for k, v in h.items()}


def close(actual: np.ndarray, expected: Any) -> None:
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- reference


class Desk:
    """Plain-Python reference of the dispatch rules with constant service times.

    ``pools`` maps a pool name to (agent numbers, queues served); ``own`` maps a queue
    to its own pool. Agents are single-chat. Returns, per (queue, arrival index), the
    start time and the agent.
    """

    def __init__(self, pools, own, service, priority, breaks=None):
        self.pools = pools
        self.own = own
        self.service = service
        self.priority = priority
        self.breaks = breaks or {}  # pool -> Breaks
        self.idle = {p: deque() for p in pools}  # (since, agent) in order idle
        self.pool_of = {a: p for p, (agents, _) in pools.items() for a in agents}
        self.lines = {q: deque() for q in service}
        self.started: dict[tuple[str, int], tuple[float, int]] = {}
        self.events: list = []  # (time, order, kind, payload)
        self.count = 0
        self.owed: dict[int, int] = {}
        self.taken: list[tuple[int, float, float]] = []  # (agent, break start, end)

    def push(self, t, kind, payload):
        self.count += 1
        heapq.heappush(self.events, (t, self.count, kind, payload))

    def run(self, arrivals: dict[str, np.ndarray], until: float = math.inf):
        for p, (agents, _) in self.pools.items():
            for k, a in enumerate(agents):
                self.idle[p].append((0.0, a))
                self.owed[a] = 0
                if p in self.breaks:
                    b = self.breaks[p]
                    self.push(first_break(k, len(agents), b), "due", a)
        for q, times in arrivals.items():
            for i, t in enumerate(times.tolist()):
                self.push(t, "arrive", (q, i))
        while self.events:
            t, _, kind, payload = heapq.heappop(self.events)
            if t > until and kind == "due":
                continue
            getattr(self, f"_{kind}")(t, payload)
        return self.started

    def _start(self, t, q, i, a):
        self.started[(q, i)] = (t, a)
        self.push(t + self.service[q], "end", a)

    def _arrive(self, t, payload):
        q, i = payload
        candidates = []
        if self.own.get(q) is not None and self.idle[self.own[q]]:
            candidates = [self.idle[self.own[q]][0] + (self.own[q],)]
        else:
            candidates = [
                self.idle[p][0] + (p,)
                for p, (_, qs) in self.pools.items()
                if p != self.own.get(q) and q in qs and self.idle[p]
            ]
        if candidates:
            _since, a, p = min(candidates)
            self.idle[p].popleft()
            self._start(t, q, i, a)
        else:
            self.lines[q].append((t, i))

    def _free(self, t, a):
        """Agent ``a`` is free at ``t``: a break it owes, else the best waiting contact."""
        if self.owed[a]:
            self.owed[a] -= 1
            self._take_break(t, a)
            return
        p = self.pool_of[a]
        served = self.pools[p][1]
        waiting = [
            (-self.priority[q], self.lines[q][0][0], k, q)
            for k, q in enumerate(served)
            if self.lines[q]
        ]
        if waiting:
            q = min(waiting)[3]
            _, i = self.lines[q].popleft()
            self._start(t, q, i, a)
        else:
            self.idle[p].append((t, a))

    def _end(self, t, a):
        self._free(t, a)

    def _back(self, t, a):
        self._free(t, a)

    def _due(self, t, a):
        p = self.pool_of[a]
        self.push(t + self.breaks[p].every, "due", a)
        entry = next((e for e in self.idle[p] if e[1] == a), None)
        if entry is not None:  # idle: the break starts now
            self.idle[p].remove(entry)
            self._take_break(t, a)
        else:
            self.owed[a] += 1

    def _take_break(self, t, a):
        length = self.breaks[self.pool_of[a]].length
        self.taken.append((a, t, t + length))
        self.push(t + length, "back", a)


def arrivals_by_queue(result: sim.ReplicationResult) -> dict[str, np.ndarray]:
    return {q: hops_of(result, q)["arrive"] for q in result.queues}


def assert_matches(result: sim.ReplicationResult, started: dict) -> None:
    for q in result.queues:
        h = hops_of(result, q)
        expected = [started[(q, i)] for i in range(len(h["arrive"]))]
        close(h["agent_start"], [t for t, _ in expected])
        np.testing.assert_array_equal(h["agent"], [a for _, a in expected])


# --------------------------------------------------------------------------- exact logs


def test_team_with_priorities_follows_the_reference_exactly():
    """Two agents serve gold (priority 1) and ordinary: a freed agent takes gold first."""
    run = sim.simulate(
        scenario(
            {
                "gold": {"arrivals": {"rate": "20/h"}, "priority": 1, "service": const(150)},
                "ordinary": {"arrivals": {"rate": "30/h"}, "service": const(90)},
            },
            {"desk": {"staff": 2, "serves": ["gold", "ordinary"]}},
        )
    )
    desk = Desk(
        {"desk": ([0, 1], ["gold", "ordinary"])},
        {},
        {"gold": 150.0, "ordinary": 90.0},
        {"gold": 1, "ordinary": 0},
    )
    started = desk.run(arrivals_by_queue(run))
    assert_matches(run, started)
    gold, ordinary = hops_of(run, "gold"), hops_of(run, "ordinary")
    # The case has teeth: both queues wait, and each agent serves both queues.
    assert (gold["agent_start"] - gold["arrive"] > 1).sum() > 5
    assert (ordinary["agent_start"] - ordinary["arrive"] > 1).sum() > 20
    for agent in (0, 1):
        assert (gold["agent"] == agent).any()
        assert (ordinary["agent"] == agent).any()
    # Priority is visible: some ordinary contact that waited longer was passed over.
    passed = [
        t
        for t in gold["agent_start"][gold["agent_start"] > gold["arrive"]]
        if ((ordinary["arrive"] < t) & (ordinary["agent_start"] > t)).any()
    ]
    assert passed
    assert (run.hops["end"] == run.hops["agent_start"] + run.hops["service"]).all()


def test_own_agents_first_then_the_team_agent_idle_longest():
    """Chat has one agent of its own; a team of two serves chat and email, equal priority."""
    run = sim.simulate(
        scenario(
            {
                "chat": {"arrivals": {"rate": "40/h"}, "staff": 1, "service": const(120)},
                "email": {"arrivals": {"rate": "15/h"}, "service": const(200)},
            },
            {"shared": {"staff": 2, "serves": ["email", "chat"]}},
        )
    )
    # Agent numbers: chat's own agent comes on shift first (queues before teams).
    desk = Desk(
        {"chat_own": ([0], ["chat"]), "shared": ([1, 2], ["email", "chat"])},
        {"chat": "chat_own"},
        {"chat": 120.0, "email": 200.0},
        {"chat": 0, "email": 0},
    )
    assert_matches(run, desk.run(arrivals_by_queue(run)))
    chat = hops_of(run, "chat")
    # The own agent took most of chat, the team the rest; the team's two agents share.
    assert (chat["agent"] == 0).sum() > (chat["agent"] >= 1).sum() > 10
    assert set(hops_of(run, "email")["agent"].tolist()) == {1, 2}


def test_breaks_are_taken_between_contacts_on_schedule():
    """One agent, a 10-minute break every hour: late when busy, never longer, never skipped."""
    breaks = {"every": "1h", "length": "10m"}
    run = sim.simulate(
        scenario(
            {
                "q": {
                    "arrivals": {"rate": "25/h"},
                    "staff": 1,
                    "breaks": breaks,
                    "service": const(150),
                }
            },
            duration="6h",
        )
    )
    pattern = Breaks(every=HOUR, length=600.0)
    desk = Desk({"q": ([0], ["q"])}, {"q": "q"}, {"q": 150.0}, {"q": 0}, breaks={"q": pattern})
    assert_matches(run, desk.run(arrivals_by_queue(run), until=run.end_time))
    due = first_break(0, 1, pattern)
    assert due == 25 * MINUTE
    h = hops_of(run)
    taken = [(t0, t1) for _, t0, t1 in desk.taken if t0 < 6 * HOUR]
    assert len(taken) == 6
    # Breaks are taken when due, or when the contact in hand ends; never skipped...
    late = [t0 - (t0 // HOUR * HOUR + due) for t0, _ in taken]
    assert min(late) == 0
    assert 0 < max(late) <= 150
    # ... and nobody is answered during one, although contacts wait then.
    for t0, t1 in taken:
        assert not ((h["agent_start"] >= t0) & (h["agent_start"] < t1)).any()
        assert ((h["arrive"] < t1) & (h["agent_start"] >= t1)).any()
    # Six breaks of 10 minutes inside the 6-hour window: 5 available hours.
    account = run.accounts[0]
    assert account.on_shift_time == 6 * HOUR
    assert account.available_time == pytest.approx(5 * HOUR, abs=1e-6)


def test_two_teams_and_own_staff_the_agent_idle_longest_takes_it():
    """Chat: two agents of its own; teams a (1 agent) and b (2) serve chat and email."""
    run = sim.simulate(
        scenario(
            {
                "chat": {"arrivals": {"rate": "60/h"}, "staff": 2, "service": const(100)},
                "email": {"arrivals": {"rate": "12/h"}, "priority": 1, "service": const(250)},
            },
            {
                "a": {"staff": 1, "serves": ["chat", "email"]},
                "b": {"staff": 2, "serves": ["email", "chat"]},
            },
        )
    )
    desk = Desk(
        {
            "own": ([0, 1], ["chat"]),
            "a": ([2], ["chat", "email"]),
            "b": ([3, 4], ["email", "chat"]),
        },
        {"chat": "own"},
        {"chat": 100.0, "email": 250.0},
        {"chat": 0, "email": 1},
    )
    assert_matches(run, desk.run(arrivals_by_queue(run)))
    contacts_per_agent = np.bincount(run.hops["agent"][run.hops["agent"] >= 0], minlength=5)
    assert (contacts_per_agent > 10).all()  # every agent works, so who is chosen is exercised


# --------------------------------------------------------------------------- retrials


def test_retrials_come_back_after_the_delay_until_max_hops():
    """Nobody answers; patience 1 min, retry always after 5 min; at most 4 hops."""
    sc = scenario(
        {
            "line": {
                "arrivals": {"rate": "6/h"},
                "staff": 0,
                "service": const(60),
                "patience": const(60),
                "retry": {"probability": 1.0, "after": const(300)},
            }
        },
        max_hops=4,
    )
    run = sim.simulate(sc)
    h = run.hops
    order = np.lexsort((h["hop"], h["contact"]))
    contact, hop = h["contact"][order], h["hop"][order]
    n = len(run.contacts["entered"])
    assert n > 20
    np.testing.assert_array_equal(np.bincount(contact), np.full(n, 4))
    np.testing.assert_array_equal(hop, np.tile(np.arange(4), n))
    arrive = h["arrive"][order].reshape(n, 4)
    close(arrive - arrive[:, :1], np.tile([0, 360, 720, 1080], (n, 1)))
    assert (h["outcome"] == Outcome.ABANDONED).all()
    close(h["end"], h["arrive"] + 60)
    next_queue = h["next_queue"][order].reshape(n, 4)
    assert (next_queue[:, :3] == 0).all()
    assert (next_queue[:, 3] == -1).all()
    figures = sim.Results(sc, [run], seed=4).metrics()
    assert figures["arrivals"].iloc[0] == 4 * n
    assert figures["escalation_rate"].iloc[0] == 0.0  # a retrial is not an escalation
    assert figures["e2e_mean_hops"].iloc[0] == 4.0


def test_retrials_and_routes_conserve_contacts():
    """Arrivals at a queue = external arrivals + retried abandons (exact, per replication)."""
    sc = scenario(
        {
            "hotline": {
                "arrivals": {"rate": "60/h"},
                "staff": 3,
                "service": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "2m"},
                "retry": {"probability": 0.6, "after": {"dist": "exponential", "mean": "10m"}},
                "on_abandon": {"email": 0.5},
            },
            "email": {"staff": 1, "service": {"dist": "exponential", "mean": "5m"}},
        },
        duration="1d",
    )
    run = sim.simulate(sc)
    h = run.hops
    hot = h["queue"] == 0
    retried = hot & (h["outcome"] == Outcome.ABANDONED) & (h["next_queue"] == 0)
    external = hot & (h["hop"] == 0)
    assert hot.sum() == external.sum() + retried.sum()
    assert retried.sum() > 100
    # Every retried abandon is followed by a hop at the same queue, later by its delay.
    row = {(c, k): i for i, (c, k) in enumerate(zip(h["contact"], h["hop"], strict=True))}
    follow = np.array(
        [row[c, k + 1] for c, k in zip(h["contact"][retried], h["hop"][retried], strict=True)]
    )
    assert (h["queue"][follow] == 0).all()
    assert (h["arrive"][follow] > h["end"][retried]).all()
    # Abandons that do not retry follow on_abandon: half of them to email.
    gave_up = hot & (h["outcome"] == Outcome.ABANDONED) & ~retried
    share = retried.sum() / (retried.sum() + gave_up.sum())
    assert abs(share - 0.6) < 4 * math.sqrt(0.6 * 0.4 / (retried.sum() + gave_up.sum()))
    assert (h["next_queue"][gave_up] == 1).sum() > 0


# --------------------------------------------------------------------------- delayed routes


ROUTE_CASES = {
    "on_unresolved": {"staff": 2, "resolution": 0.0},
    "on_abandon": {"staff": 0, "patience": const(30)},
    "on_closed": {"staff": 0, "closed": "route"},
    "on_overflow": {"staff": 0, "overflow": {"threshold": 0}},
    "on_not_visible": {"staff": 2, "visibility": 0.0},
}


@pytest.mark.parametrize("field", sorted(ROUTE_CASES))
def test_a_delayed_route_arrives_exactly_after_its_delay(field):
    front = {
        "arrivals": {"rate": "20/h"},
        "service": const(60),
        **ROUTE_CASES[field],
        field: {"email": {"share": 1.0, "after": const(7200)}},
    }
    run = sim.simulate(
        scenario({"front": front, "email": {"staff": 3, "service": const(30)}}, duration="4h")
    )
    h = run.hops
    sent = (h["queue"] == 0) & (h["next_queue"] == 1)
    assert sent.sum() > 40
    assert sent.sum() == (h["queue"] == 0).sum()
    row = {(c, k): i for i, (c, k) in enumerate(zip(h["contact"], h["hop"], strict=True))}
    follow = np.array([row[c, 1] for c in h["contact"][sent]])
    close(h["arrive"][follow], h["end"][sent] + 7200)
    assert (h["queue"][follow] == 1).all()


def test_contacts_on_their_way_when_the_run_stops_are_unfinished_hops():
    """No drain: contacts sent on in the last two hours never reach email."""
    front = {
        "arrivals": {"rate": "20/h"},
        "staff": 0,
        "closed": "route",
        "service": const(60),
        "on_closed": {"email": {"share": 1.0, "after": const(7200)}},
    }
    sc = scenario({"front": front, "email": {"staff": 3, "service": const(30)}}, drain=0)
    run = sim.simulate(sc)
    h = run.hops
    sent = h["queue"] == 0
    email = h["queue"] == 1
    assert sent.sum() == email.sum()  # every contact sent on has its next hop
    late = email & (h["arrive"] > run.end_time)
    assert late.sum() > 20
    assert (h["outcome"][late] == Outcome.UNFINISHED).all()
    assert (h["outcome"][email & ~late] == Outcome.RESOLVED).all()
    figures = sim.Results(sc, [run], seed=4).metrics().set_index("queue")
    assert figures.loc["email", "unfinished"] == late.sum()


# --------------------------------------------------------------------------- concurrency


def test_team_agent_holds_chats_and_email_within_each_queues_limit():
    """One agent: chat allows 3 at once (slowdown 0.5), email only alone."""
    run = sim.simulate(
        scenario(
            {
                "chat": {
                    "arrivals": {"rate": "12/h"},
                    "concurrency": {"max": 3, "slowdown": 0.5},
                    "service": const(600),
                },
                "email": {"arrivals": {"rate": "3/h"}, "service": const(300)},
            },
            {"one": {"staff": 1, "serves": ["chat", "email"]}},
            duration="1d",
        )
    )
    h = run.hops
    start, end, handle = h["agent_start"], h["end"], h["service"]
    held = np.array([np.sum((start <= s) & (s < end)) for s in start])
    base = np.where(h["queue"] == 0, 600.0, 300.0)
    slowdown = np.where(h["queue"] == 0, 0.5, 0.0)
    np.testing.assert_allclose(handle, base * (1 + slowdown * (held - 1)), rtol=1e-12)
    assert held.max() == 3
    email = h["queue"] == 1
    assert (held[email] == 1).all()  # an email is only taken by an agent holding nothing
    assert (held[~email] > 1).sum() > 20
    assert set(h["agent"].tolist()) == {0}


# --------------------------------------------------------------------------- equivalence


def rich_queue(**extra: Any) -> dict[str, Any]:
    return {
        "arrivals": {"rate": "30/h", "profile": [1] * 8 + [3] * 12 + [1] * 4},
        "service": {"dist": "lognormal", "mean": "6m", "cv": 1.2},
        "patience": {"dist": "exponential", "mean": "8m"},
        "retry": {"probability": 0.4, "after": {"dist": "exponential", "mean": "15m"}},
        "bot": {"when": "unstaffed", "resolution": 0.3},
        "concurrency": {"max": 2, "slowdown": 0.3},
        "resolution": 0.8,
        "on_unresolved": {"email": {"share": 0.5, "after": {"dist": "constant", "value": "1h"}}},
        **extra,
    }


SHIFTS = [
    {"start": "07:00", "end": "15:00", "agents": 3},
    {"start": "14:00", "end": "23:00", "agents": 4},
]
EMAIL = {"staff": {"business_hours": {"agents": 1, "days": "all"}}, "service": const(600)}


def test_a_team_serving_one_queue_is_that_queue_with_its_own_staff_event_for_event():
    own = scenario({"chat": rich_queue(staff=SHIFTS, shrinkage=0.2), "email": EMAIL}, duration="2d")
    team = scenario(
        {"chat": rich_queue(), "email": EMAIL},
        {"desk": {"staff": SHIFTS, "shrinkage": 0.2, "serves": ["chat"]}},
        duration="2d",
    )
    a, b = sim.simulate(own), sim.simulate(team)
    assert a.n_records > 1000
    for name in a.hops:
        np.testing.assert_array_equal(a.hops[name], b.hops[name], err_msg=name)
    assert a.accounts == b.accounts
    assert a.accounts[0].available_time < 0.85 * a.accounts[0].on_shift_time
    (desk,) = b.teams
    assert desk.name == "desk"
    assert desk.serves == (0,)
    assert desk.busy_time == pytest.approx(a.accounts[0].busy_time)


# --------------------------------------------------------------------------- common random numbers

# The queues of the common-random-numbers test in test_engine_properties.py, A retrying.
CRN = {
    **CRN_QUEUES,
    "A": {
        **CRN_QUEUES["A"],
        "retry": {"probability": 0.5, "after": {"dist": "exponential", "mean": "10m"}},
    },
}


def first_attempts(run: sim.ReplicationResult, queue: str) -> dict[str, np.ndarray]:
    h = run.hops
    keep = (h["queue"] == run.queues.index(queue)) & (h["hop"] == 0)
    return {k: v[keep] for k, v in h.items()}


def assert_same_draws(base: sim.ReplicationResult, variant: sim.ReplicationResult) -> int:
    """Arrivals, handle times, patience and resolution draws of first attempts agree."""
    compared = 0
    for q in ("A", "B"):
        x, y = first_attempts(base, q), first_attempts(variant, q)
        np.testing.assert_array_equal(x["arrive"], y["arrive"])
        served = ~np.isnan(x["agent_start"]) & ~np.isnan(y["agent_start"])
        np.testing.assert_array_equal(x["service"][served], y["service"][served])
        np.testing.assert_array_equal(x["outcome"][served], y["outcome"][served])
        gone = (x["outcome"] == Outcome.ABANDONED) & (y["outcome"] == Outcome.ABANDONED)
        np.testing.assert_array_equal(
            (x["end"] - x["arrive"])[gone], (y["end"] - y["arrive"])[gone]
        )
        compared += int(served.sum() + gone.sum())
    return compared


def test_adding_a_team_or_a_priority_keeps_the_draws():
    base = sim.simulate(scenario(CRN, duration="1d", seed=8))
    teamed = sim.simulate(
        scenario(CRN, {"help": {"staff": 1, "serves": ["B", "A"]}}, duration="1d", seed=8)
    )
    prioritised = sim.simulate(
        scenario(
            {**CRN, "A": {**CRN["A"], "priority": 2}},
            {"help": {"staff": 1, "serves": ["B", "A"]}},
            duration="1d",
            seed=8,
        )
    )
    assert assert_same_draws(base, teamed) > 500
    assert assert_same_draws(teamed, prioritised) > 500
    # The changes change something: the team shortens waits, the priority moves them.
    waits = [np.nanmean(r.hops["response"] - r.hops["arrive"]) for r in (base, teamed)]
    assert waits[1] < waits[0]
    a_wait = [
        np.nanmean(first_attempts(r, "A")["response"] - first_attempts(r, "A")["arrive"])
        for r in (teamed, prioritised)
    ]
    assert a_wait[1] < a_wait[0]


# --------------------------------------------------------------------------- figures


def test_team_figures_add_up():
    sc = scenario(
        {
            "gold": {
                "arrivals": {"rate": "20/h"},
                "priority": 1,
                "service": {"dist": "exponential", "mean": "4m"},
            },
            "ordinary": {
                "arrivals": {"rate": "30/h"},
                "staff": 1,
                "service": {"dist": "exponential", "mean": "4m"},
            },
        },
        {
            "phones": {
                "staff": [{"start": "00:00", "end": "06:00", "agents": 3}],
                "breaks": {"every": "2h", "length": "15m"},
                "serves": ["gold", "ordinary"],
            }
        },
        duration="6h",
        replications=3,
    )
    results = sim.run(sc, workers=1)
    teams = results.teams()
    assert list(teams.index) == [("phones", "gold"), ("phones", "ordinary")]
    assert teams["work_share"].sum() == pytest.approx(1.0)
    per_rep = results.team_metrics()
    for run in results.runs:
        (phones,) = run.teams
        mine = per_rep[per_rep["replication"] == run.replication].set_index("queue")
        by_phones = np.isin(run.hops["agent"], phones.agent_ids)
        for q, name in enumerate(run.queues):
            assert mine.loc[name, "answered"] == (by_phones & (run.hops["queue"] == q)).sum()
        assert mine["mean_agents_on_shift"].iloc[0] == pytest.approx(3.0)
        # Three breaks of 15 minutes in a 6-hour shift, per agent: 1/8 of the time.
        assert mine["mean_agents_available"].iloc[0] == pytest.approx(3 * 7 / 8, abs=0.05)
    summary = results.summary()
    # A queue's figures are those of every agent who may answer it.
    assert summary.loc["gold", "mean_agents_on_shift"] == pytest.approx(3.0)
    assert summary.loc["ordinary", "mean_agents_on_shift"] == pytest.approx(4.0)
    contacts = results.contacts()
    assert str(contacts["agent"].dtype) == "Int64"
    assert contacts["agent"].isna().sum() == (contacts["by"] != "agent").sum()


def test_without_breaks_available_is_on_shift():
    results = sim.run(
        scenario({"q": {"arrivals": {"rate": "10/h"}, "staff": SHIFTS, "service": const(300)}}),
        replications=1,
        workers=1,
    )
    row = results.summary().loc["q"]
    assert row["mean_agents_available"] == row["mean_agents_on_shift"]


# --------------------------------------------------------------------------- fuzzing

TEAM_VALID = copy.deepcopy(VALID)
TEAM_VALID["queues"]["chat"].update(
    {
        "priority": 1,
        "shrinkage": 0.1,
        "retry": {"probability": 0.5, "after": {"dist": "exponential", "mean": "10m"}},
        "on_abandon": {"email": {"share": 0.2, "after": {"dist": "constant", "value": "30m"}}},
    }
)
TEAM_VALID["teams"] = {
    "desk": {
        "staff": [{"start": "00:00", "end": "03:00", "agents": 2}],
        "serves": ["faq", "chat"],
        "breaks": {"every": "1h", "length": "10m"},
    }
}


@SETTINGS
@given(data=mutated(TEAM_VALID, max_mutations=1))
def test_mutated_team_scenario_is_valid_or_a_scenario_error(data):
    """The property test of test_properties_hypothesis.py, on a scenario with the new fields."""
    scenario, error = _validate(data, "mutated.yaml")
    if error is not None:
        assert error.problems
        assert str(error).startswith("mutated.yaml: ")
        return
    too_big = any(t.max_agents > 200 for t in scenario.teams.values())
    if too_big or not _runnable(scenario):
        return
    event("simulated")
    result = sim.simulate(_short(scenario))
    _assert_conservation(result)
    agent = result.hops["agent"]
    assert ((agent >= 0) == ~np.isnan(result.hops["agent_start"])).all()
    for account in result.crews:
        assert account.break_time <= account.on_shift_time + 1e-6
        assert account.busy_time <= account.available_slot_time + 1e-6


# --------------------------------------------------------------------------- command line

HOTLINE = ROOT / "scenarios" / "hotline_gold_priority.yaml"


def test_run_reports_teams_in_the_table_json_and_files(capsys, tmp_path):
    assert main(["run", str(HOTLINE), "-n", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "teams (a team's agents" in out
    assert "ticket_desk" in out
    assert main(["run", str(HOTLINE), "-n", "2", "--workers", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    phones = doc["teams"]["phones"]
    assert set(phones["queues"]) == {"gold_calls", "ordinary_calls"}
    shares = [q["work_share"] for q in phones["queues"].values()]
    assert sum(shares) == pytest.approx(1.0)
    assert 0 < phones["mean_agents_available"] < phones["mean_agents_on_shift"]
    for figures in doc["queues"].values():
        assert "mean_agents_available" in figures
        assert "mean_agents_available" in figures["ci95"]
    out_dir, page = tmp_path / "out", tmp_path / "run.html"
    argv = ["run", str(HOTLINE), "-n", "1", "--workers", "1", "--out", str(out_dir)]
    assert main([*argv, "--report", str(page)]) == 0
    assert main(["report", str(out_dir)]) == 0  # the same report, from the folder
    capsys.readouterr()
    for html in (page.read_text(), (out_dir / "report.html").read_text()):
        teams_part = html[html.index('id="teams"') :]
        assert "ticket_desk" in teams_part
        assert "work share" in teams_part
    teams = pd.read_csv(out_dir / "teams.csv")
    assert set(teams["team"]) == {"phones", "ticket_desk"}
    contacts = pd.read_csv(out_dir / "contacts.csv")
    answered = contacts["by"] == "agent"
    assert contacts.loc[answered, "agent"].notna().all()
    assert contacts.loc[~answered, "agent"].isna().all()  # written empty, not -1


def test_staff_refuses_a_queue_a_team_serves(capsys):
    code = main(["staff", str(HOTLINE), "--queue", "gold_calls", "--target", "80% in 20s"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "served by team 'phones'" in err
    assert "own staff only" in err
    assert "(compare team sizes with: sim sweep SCENARIO --vary teams.phones.staff=...)" in err
    assert "Traceback" not in err


def test_staff_plan_from_python_refuses_a_team_s_queue_in_python_s_words():
    # It told Python callers to run "sim sweep SCENARIO --vary ...", as if on the command line.
    with pytest.raises(sim.StaffingError) as caught:
        sim.staff_plan(HOTLINE, "gold_calls", "80% in 20s", workers=1)
    said = str(caught.value)
    assert said.startswith("queue 'gold_calls' is served by team 'phones': staff_plan plans ")
    assert said.endswith(
        "(compare team sizes with: sim.sweep(FILE, {'teams.phones.staff': [...]}))"
    )


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            lambda d: d["teams"]["phones"].update(serves=["gold_calls", "nope"]),
            "teams.phones.serves",
            "unknown queue 'nope'",
        ),
        (
            lambda d: d["teams"].update({".x": d["teams"].pop("phones")}),
            "teams..x",
            "not a valid name",
        ),
        (
            lambda d: d["teams"]["phones"].update(shrinkage=0.2),
            "teams.phones.shrinkage",
            "not both",
        ),
        (
            lambda d: d["queues"]["gold_calls"]["retry"].update(probability=2),
            "queues.gold_calls.retry.probability",
            "less than or equal to 1",
        ),
        (
            lambda d: d["queues"]["gold_calls"].update(on_abandon={"gold_tickets": {"share": 0.5}}),
            "queues.gold_calls.on_abandon.gold_tickets.after",
            "missing",
        ),
        (
            lambda d: d["teams"]["phones"].update(breaks={"every": "10m", "length": "1h"}),
            "teams.phones.breaks.length",
            "shorter than the period",
        ),
    ],
)
def test_bad_team_input_is_one_line_naming_file_field_and_reason(
    capsys, tmp_path, change, field, reason
):
    data = yaml.safe_load(HOTLINE.read_text())
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "-n", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    # The file writes each field (or, for a missing one, its parent): a line is named.
    assert re.search(rf"bad\.yaml:\d+: {re.escape(field)}: ", err), err
    assert reason in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
