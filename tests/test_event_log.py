"""Exact event logs of tiny deterministic scenarios.

Arrivals stay Poisson (the engine's only arrival process), but every other time is
constant, so given the arrival times read back from the hop records each contact's
start, response and end follow exactly from queueing recursions computed here in plain
Python: Lindley's recursion for one agent, earliest-free-agent FIFO for several, the
same with a patience cut-off, shift windows and bot hand-overs. The engine's records
must match them to floating-point rounding.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.records import By, Outcome

HOUR, DAY = 3600.0, 86400.0
ATOL = 1e-9  # times are sums of a few floats of size <= 1e5 s: rounding stays far below this


def _const(seconds: float) -> dict[str, Any]:
    return {"dist": "constant", "value": seconds}


def _scenario(queues: dict[str, dict[str, Any]], **fields: Any) -> sim.Scenario:
    data = {
        "name": "event-log",
        "start": "2026-01-05T00:00",  # a Monday
        "duration": "6h",
        "drain": "2d",
        "seed": 3,
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


def _close(actual: np.ndarray, expected: Any) -> None:
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=0, atol=ATOL)


def _fifo_multi(arrive: np.ndarray, service: float, agents: int) -> np.ndarray:
    """Start times of a FIFO queue whose contacts take the earliest free agent."""
    free = [0.0] * agents
    starts = []
    for a in arrive.tolist():
        start = max(a, heapq.heappop(free))
        heapq.heappush(free, start + service)
        starts.append(start)
    return np.array(starts)


# --------------------------------------------------------------------------- one agent


def test_single_agent_fifo_follows_lindley_recursion_exactly():
    scenario = _scenario({"q": {"arrivals": {"rate": "50/h"}, "staff": 1, "service": _const(60)}})
    h = _hops(sim.simulate(scenario), "q")
    n = len(h["arrive"])
    assert n > 100  # 6 h at 50/h: enough contacts for queues to form

    start = np.empty(n)
    free = 0.0
    for i, a in enumerate(h["arrive"].tolist()):
        start[i] = max(a, free)  # Lindley: wait_i = max(0, wait_{i-1} + S - gap_i)
        free = start[i] + 60.0
    _close(h["agent_start"], start)
    _close(h["response"], start)
    _close(h["end"], start + 60.0)
    _close(h["service"], np.full(n, 60.0))
    assert (h["outcome"] == Outcome.RESOLVED).all()
    assert (h["by"] == By.AGENT).all()
    assert (h["next_queue"] == -1).all()
    # At rho = 0.83 some contacts must have waited, or the recursion was not exercised.
    assert (start - h["arrive"] > 1.0).sum() > 10


def test_wait_in_contacts_table_is_start_minus_arrival():
    scenario = _scenario({"q": {"arrivals": {"rate": "50/h"}, "staff": 1, "service": _const(60)}})
    contacts = sim.run(scenario, replications=1).contacts()
    _close(contacts["wait"], contacts["agent_start"] - contacts["arrive"])


# --------------------------------------------------------------------------- c agents


@pytest.mark.parametrize(("agents", "rate", "service"), [(2, "50/h", 130.0), (3, "50/h", 200.0)])
def test_c_agents_constant_service_match_earliest_free_agent_fifo(agents, rate, service):
    scenario = _scenario(
        {"q": {"arrivals": {"rate": rate}, "staff": agents, "service": _const(service)}}
    )
    h = _hops(sim.simulate(scenario), "q")
    start = _fifo_multi(h["arrive"], service, agents)
    _close(h["agent_start"], start)
    _close(h["response"], start)
    _close(h["end"], start + service)
    assert (h["outcome"] == Outcome.RESOLVED).all()
    assert (start - h["arrive"] > 1.0).sum() > 10
    # Never more than `agents` contacts in service at any moment.
    events = sorted(
        [(t, 1) for t in start] + [(t, -1) for t in start + service], key=lambda e: (e[0], e[1])
    )
    busy = np.cumsum([d for _, d in events])
    assert busy.max() == agents


# --------------------------------------------------------------------------- patience


def test_constant_patience_abandons_exactly_at_arrival_plus_patience():
    patience, service = 120.0, 300.0
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "20/h"},
                "staff": 1,
                "service": _const(service),
                "patience": _const(patience),
            }
        }
    )
    h = _hops(sim.simulate(scenario), "q")
    # Reference: FIFO, one agent; a contact that would wait longer than its patience
    # leaves at arrive + patience and never occupies the agent.
    free = 0.0
    served, start = [], []
    for a in h["arrive"].tolist():
        s = max(a, free)
        if s - a > patience:
            served.append(False)
            start.append(math.nan)
        else:
            served.append(True)
            start.append(s)
            free = s + service
    served = np.array(served)
    start = np.array(start)
    assert served.sum() > 10
    assert (~served).sum() > 10

    np.testing.assert_array_equal(h["outcome"] == Outcome.ABANDONED, ~served)
    gone = ~served
    _close(h["end"][gone], h["arrive"][gone] + patience)
    assert np.isnan(h["agent_start"][gone]).all()
    assert np.isnan(h["response"][gone]).all()
    assert (h["by"][gone] == By.NONE).all()

    _close(h["agent_start"][served], start[served])
    _close(h["end"][served], start[served] + service)
    assert (h["outcome"][served] == Outcome.RESOLVED).all()
    assert (h["agent_start"][served] - h["arrive"][served] <= patience).all()


# --------------------------------------------------------------------------- routing


def test_unresolved_contacts_reach_email_the_moment_their_service_ends():
    scenario = _scenario(
        {
            "chat": {
                "arrivals": {"rate": "40/h"},
                "staff": 1,
                "service": _const(60),
                "resolution": 0.0,
                "on_unresolved": {"email": 1.0},
            },
            "email": {"staff": 2, "service": _const(150)},
        }
    )
    result = sim.simulate(scenario)
    chat, email = _hops(result, "chat"), _hops(result, "email")
    email_index = result.queues.index("email")

    assert (chat["outcome"] == Outcome.UNRESOLVED).all()
    assert (chat["next_queue"] == email_index).all()
    assert (chat["hop"] == 0).all()
    # One email hop per chat contact, arriving when the chat hop ends.
    by_contact = {c: i for i, c in enumerate(email["contact"].tolist())}
    assert sorted(by_contact) == sorted(chat["contact"].tolist())
    rows = np.array([by_contact[c] for c in chat["contact"].tolist()])
    _close(email["arrive"][rows], chat["end"])
    assert (email["hop"] == 1).all()
    # Email is itself a deterministic 2-agent queue fed at known times.
    start = _fifo_multi(email["arrive"], 150.0, 2)
    _close(email["agent_start"], start)
    _close(email["end"], start + 150.0)
    assert (email["outcome"] == Outcome.RESOLVED).all()
    assert (email["next_queue"] == -1).all()


# --------------------------------------------------------------------------- shifts


def test_agent_finishes_the_contact_in_hand_at_shift_end_then_leaves():
    service = 600.0
    first_end, second_start = 3600.0, 7200.0  # shifts 00:00-01:00 and 02:00-24:00
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "8/h"},
                "staff": [
                    {"start": "00:00", "end": "01:00", "agents": 1},
                    {"start": "02:00", "end": "24:00", "agents": 1},
                ],
                "closed": "wait",
                "service": _const(service),
            }
        },
        duration="3h",
    )
    result = sim.simulate(scenario)
    h = _hops(result, "q")

    # Reference: one agent available on [0, 1h) and [2h, 24h); a contact may start
    # only while a shift is on, and runs to completion whatever the clock says.
    free, start = 0.0, []
    for a in h["arrive"].tolist():
        s = max(a, free)
        if first_end <= s < second_start:
            s = second_start
        start.append(s)
        free = s + service
    start = np.array(start)
    _close(h["agent_start"], start)
    _close(h["end"], start + service)
    assert (h["outcome"] == Outcome.RESOLVED).all()

    # The scenario exercises the boundary: a contact started before 01:00 ends after it...
    crossing = (h["agent_start"] < first_end) & (h["end"] > first_end)
    assert crossing.sum() == 1
    # ...and nobody starts a contact while no shift is on, although contacts wait then.
    off = (h["agent_start"] >= first_end) & (h["agent_start"] < second_start)
    assert not off.any()
    assert (h["arrive"] < second_start).sum() > (h["agent_start"] < second_start).sum()
    assert np.isclose(h["agent_start"], second_start, rtol=0, atol=ATOL).sum() == 1

    staffing = dict(result.accounts[0].staffing)
    assert staffing[first_end] == 0
    assert staffing[second_start] == 1


# --------------------------------------------------------------------------- bots


def test_hybrid_bot_answers_after_its_response_time_and_hands_over_the_rest():
    bot_delay, service = 5.0, 90.0
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "30/h"},
                "staff": 1,
                "bot": {"when": "always", "resolution": 0.5, "response": _const(bot_delay)},
                "service": _const(service),
            }
        }
    )
    h = _hops(sim.simulate(scenario), "q")
    _close(h["response"], h["arrive"] + bot_delay)

    by_bot = h["by"] == By.BOT
    assert by_bot.sum() > 10
    assert (~by_bot).sum() > 10
    assert (h["outcome"][by_bot] == Outcome.RESOLVED).all()
    _close(h["end"][by_bot], h["arrive"][by_bot] + bot_delay)
    assert np.isnan(h["agent_start"][by_bot]).all()

    # The rest join the human line when the bot lets go, in that order.
    human = ~by_bot
    joined = h["arrive"][human] + bot_delay
    start = _fifo_multi(joined, service, 1)
    assert (h["by"][human] == By.AGENT).all()
    _close(h["agent_start"][human], start)
    _close(h["end"][human], start + service)
    assert (h["outcome"][human] == Outcome.RESOLVED).all()


def test_unstaffed_bot_takes_every_contact_when_nobody_is_on_shift():
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "30/h"},
                "staff": 0,
                "bot": {"when": "unstaffed", "resolution": 0.4},
                "service": _const(60),
                "on_unresolved": {"email": 1.0},
            },
            "email": {"staff": 1, "service": _const(30)},
        }
    )
    result = sim.simulate(scenario)
    h = _hops(result, "q")
    assert (h["by"] == By.BOT).all()
    _close(h["response"], h["arrive"])
    _close(h["end"], h["arrive"])
    assert np.isnan(h["agent_start"]).all()
    unresolved = h["outcome"] == Outcome.UNRESOLVED
    assert set(h["outcome"].tolist()) == {Outcome.RESOLVED, Outcome.UNRESOLVED}
    assert (h["next_queue"][unresolved] == result.queues.index("email")).all()
    assert (h["next_queue"][~unresolved] == -1).all()


# --------------------------------------------------------------------------- visibility


def test_invisible_entry_routes_every_contact_per_on_not_visible():
    scenario = _scenario(
        {
            "chat": {
                "arrivals": {"rate": "40/h"},
                "staff": 1,
                "visibility": 0.0,
                "service": _const(60),
                "on_not_visible": {"email": 1.0},
            },
            "email": {"staff": 3, "service": _const(30)},
        }
    )
    result = sim.simulate(scenario)
    chat, email = _hops(result, "chat"), _hops(result, "email")
    assert len(chat["arrive"]) > 100
    assert (chat["outcome"] == Outcome.NOT_VISIBLE).all()
    _close(chat["end"], chat["arrive"])
    assert np.isnan(chat["response"]).all()
    assert np.isnan(chat["agent_start"]).all()
    assert (chat["next_queue"] == result.queues.index("email")).all()
    np.testing.assert_array_equal(email["contact"], chat["contact"])
    _close(email["arrive"], chat["arrive"])
    assert (email["hop"] == 1).all()


def test_invisible_entry_without_route_goes_nowhere():
    scenario = _scenario(
        {
            "chat": {
                "arrivals": {"rate": "40/h"},
                "staff": 1,
                "visibility": 0.0,
                "service": _const(60),
            }
        }
    )
    h = sim.simulate(scenario).hops
    assert (h["outcome"] == Outcome.NOT_VISIBLE).all()
    assert (h["next_queue"] == -1).all()
    assert (h["hop"] == 0).all()


def test_a_hop_that_leaves_at_once_ends_exactly_when_it_arrives():
    # Sparse arrivals over many seeds: gaps larger than the elapsed time make t - last
    # inexact, which is where a running sum of gaps drifts from the sampled times.
    for seed in range(40):
        scenario = _scenario(
            {"q": {"arrivals": {"rate": "20/h"}, "visibility": 0.0, "service": _const(60)}},
            duration="3h",
            seed=seed,
        )
        h = sim.simulate(scenario).hops
        np.testing.assert_array_equal(h["end"], h["arrive"], err_msg=f"seed {seed}")


def test_agent_column_numbers_agents_as_they_come_on_shift():
    # Queue b's agent starts at 01:00, queue a's two at 02:00: numbers 0 (b), 1 and 2 (a).
    scenario = _scenario(
        {
            "a": {
                "arrivals": {"rate": "20/h"},
                "staff": [{"start": "02:00", "end": "05:00", "agents": 2}],
                "bot": {"when": "unstaffed", "resolution": 1.0},
                "service": _const(240.0),
            },
            "b": {
                "arrivals": {"rate": "6/h"},
                "staff": [{"start": "01:00", "end": "04:00", "agents": 1}],
                "service": _const(60.0),
                "patience": _const(1.0),
            },
        }
    )
    result = sim.simulate(scenario)
    h = result.hops
    served = ~np.isnan(h["agent_start"])
    assert h["agent"].dtype == np.int32
    assert (h["agent"][~served] == -1).all()  # bots, abandonments, closed hours
    assert set(h["agent"][served & (h["queue"] == 1)].tolist()) == {0}
    assert set(h["agent"][served & (h["queue"] == 0)].tolist()) == {1, 2}
    # One agent never holds two contacts at once (single-chat queues).
    for agent in (0, 1, 2):
        mine = np.flatnonzero(h["agent"] == agent)
        order = mine[np.argsort(h["agent_start"][mine])]
        ends = h["agent_start"][order] + h["service"][order]
        assert (h["agent_start"][order][1:] >= ends[:-1] - ATOL).all()
    results = sim.Results(scenario, [result], scenario.seed)
    contacts = results.contacts()
    assert str(contacts["agent"].dtype) == "Int64"
    assert contacts["agent"].isna().sum() == int((~served).sum())
    assert results.metadata()["start"] == "2026-01-05T00:00:00"


# ------------------------------------------------------------ one instant, several events
# Shift changes, pickups and the agents of several crews meeting at one instant: the
# outcome must follow the rules, not the order in which SimPy scheduled the events.


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
            seed=5,
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
        queues, duration="10h", seed=5, teams={"desk": {"staff": 1, "serves": ["plain", "gold"]}}
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


# --------------------------------------------------------------------------- triage


def test_a_hybrid_bots_hand_over_joins_the_human_line_untriaged():
    # Overflow triage sends *new* contacts that would wait behind `threshold` others to
    # a self-service queue. A contact the hybrid bot answered and could not settle is no
    # new contact: it joins the agents' line however long it is. Before, it was triaged
    # at the hand-over and recorded as answered (by the bot) and overflowed at once,
    # which no figure expects: the queue's service level came out at 4.3 (433%).
    bot_delay, service = 5.0, 300.0
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "60/h"},
                "staff": 1,
                "bot": {"when": "always", "resolution": 0.0, "response": _const(bot_delay)},
                "service": _const(service),
                "overflow": {"threshold": 1},
                "on_overflow": {"faq": 1.0},
            },
            "faq": {"bot": {"when": "unstaffed", "resolution": 1.0}, "service": _const(1)},
        },
        duration="2h",
    )
    result = sim.simulate(scenario)
    h = _hops(result, "q")
    assert len(h["arrive"]) > 80  # 2 h at 60/h, one agent for 12 an hour: a long line
    assert (h["by"] == By.AGENT).all()
    start = _fifo_multi(h["arrive"] + bot_delay, service, 1)
    _close(h["agent_start"], start)
    _close(h["end"], start + service)
    assert (h["outcome"] == Outcome.RESOLVED).all()
    assert not (result.hops["queue"] == result.queues.index("faq")).any()
    figures = sim.metrics.queue_metrics(result, 60.0)["q"]
    assert figures["service_level"] == 1.0  # the bot answers all, each within 60 s
    assert figures["overflow_rate"] == 0.0


def test_a_night_bots_hand_over_waits_untriaged_while_new_daytime_contacts_are_triaged():
    # A bot covering the closed hours tells the shopper a person will answer
    # (unresolved: wait): those contacts wait for the shift whatever the line. A contact
    # arriving in the shift that would wait behind one other goes to the FAQ.
    scenario = _scenario(
        {
            "q": {
                "arrivals": {"rate": "6/h"},
                "staff": [{"start": "08:00", "end": "16:00", "agents": 1}],
                "bot": {"when": "unstaffed", "resolution": 0.0, "unresolved": "wait"},
                "service": _const(1200),
                "overflow": {"threshold": 1},
                "on_overflow": {"faq": 1.0},
            },
            "faq": {"bot": {"when": "unstaffed", "resolution": 1.0}, "service": _const(1)},
        },
        duration="1d",
    )
    h = _hops(sim.simulate(scenario), "q")
    clock = h["arrive"] % DAY
    day = (clock >= 8 * HOUR) & (clock < 16 * HOUR)
    overflowed = h["outcome"] == Outcome.OVERFLOW
    _close(h["response"][~day], h["arrive"][~day])  # the bot's answer, at once
    assert not overflowed[~day].any()
    assert (~day).sum() > 50
    assert overflowed[day].sum() > 10
    # Triaged contacts were never answered; every other daytime one found the line short.
    assert np.isnan(h["response"][overflowed]).all()
    assert (h["by"][overflowed] == By.NONE).all()


def test_a_route_of_share_zero_leads_nowhere_like_no_route():
    # Shares of 0, bare or delayed, are dropped when the routes are built: no contact
    # goes there and no draw is taken, so the records are those of a queue without them.
    chat = {
        "arrivals": {"rate": "40/h"},
        "staff": 2,
        "service": _const(60),
        "resolution": 0.5,
    }
    email = {"staff": 1, "service": _const(30)}
    routed = {"email": {"share": 0.0, "after": _const(600)}, "web": 0.0}
    bare = sim.simulate(_scenario({"chat": chat, "email": email, "web": email}))
    zero = sim.simulate(
        _scenario({"chat": {**chat, "on_unresolved": routed}, "email": email, "web": email})
    )
    assert (bare.hops["outcome"] == Outcome.UNRESOLVED).sum() > 50
    assert zero.hops.keys() == bare.hops.keys()
    for column, values in bare.hops.items():
        np.testing.assert_array_equal(zero.hops[column], values, err_msg=column)
    assert (zero.hops["queue"] == 0).all()
