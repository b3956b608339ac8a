"""Structural properties of the engine: exact where the model makes them exact.

Conservation and routing balance, reproducibility, common random numbers, shift
schedules, warm-up, bots, closed hours, overflow, batch pickup and chat concurrency.
Statistical checks (shares of a binomial) use 99.9% intervals, as in test_theory.py.
"""

from __future__ import annotations

import functools
import gc
import math
import re

import numpy as np
import pytest
from scipy import stats

import sim
from sim.records import By, ContactLog, Outcome
from sim.streams import Draws, JointDraws

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
Z999 = stats.norm.ppf(0.9995)  # two-sided 99.9%

ROUTED_OUTCOMES = (
    Outcome.UNRESOLVED,
    Outcome.ABANDONED,
    Outcome.NOT_VISIBLE,
    Outcome.OVERFLOW,
    Outcome.CLOSED,
)


def assert_binomial_share(successes: int, trials: int, p: float) -> None:
    """A binomial share within 3.3 standard errors of ``p`` (99.9%, two-sided)."""
    assert trials >= 200, "too few trials for the normal approximation"
    half = Z999 * np.sqrt(p * (1 - p) / trials)
    share = successes / trials
    assert abs(share - p) <= half, f"share {share:.4f} vs {p:.4f} +- {half:.4f} (n={trials})"


def clock_hour(t: np.ndarray) -> np.ndarray:
    """Hour of day; every scenario here starts at midnight."""
    return (np.asarray(t) % DAY) // HOUR


def rows(hops: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {name: column[mask] for name, column in hops.items()}


def assert_same_hops(a: dict[str, np.ndarray], b: dict[str, np.ndarray], columns=None) -> None:
    """Column by column equality, NaN equal to NaN, dtype included."""
    assert set(a) == set(b)
    for name in columns or a:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


# --------------------------------------------------------------------------- a network

NETWORK = {
    # Shifts with a gap, a night bot, patience, visibility and routes to two queues.
    "chat": {
        "arrivals": {"rate": "40/h", "profile": [1] * 8 + [3] * 12 + [1] * 4},
        "staff": [{"start": "08:00", "end": "20:00", "agents": 3}],
        "bot": {"when": "unstaffed", "resolution": 0.3},
        "service": {"dist": "exponential", "mean": "5m"},
        "patience": {"dist": "exponential", "mean": "10m"},
        "resolution": 0.7,
        "visibility": 0.9,
        "on_not_visible": {"email": 0.5, "hotline": 0.3},
        "on_unresolved": {"email": 0.6},
        "on_abandon": {"hotline": 0.5},
    },
    # Overflow past a short line, and a route back to chat: a cycle.
    "hotline": {
        "arrivals": {"rate": "10/h"},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "4m"},
        "patience": {"dist": "exponential", "mean": "3m"},
        "resolution": 0.8,
        "overflow": {"threshold": 3},
        "on_overflow": {"email": 1.0},
        "on_unresolved": {"chat": 0.3, "email": 0.5},
    },
    # Business hours, messages wait overnight, and a route to itself.
    "email": {
        "staff": {"business_hours": {"open": "09:00", "close": "17:00", "agents": 6}},
        "service": {"dist": "gamma", "mean": "15m", "cv": 1},
        "resolution": 0.8,
        "on_unresolved": {"email": 0.2},
    },
    # Batch pickup; closed hours lose the contact.
    "comments": {
        "arrivals": {"rate": "5/h"},
        "staff": [{"start": "09:00", "end": "21:00", "agents": 2}],
        "closed": "lost",
        "pickup": ["10:00", "16:00"],
        "service": {"dist": "exponential", "mean": "3m"},
        "resolution": 0.5,
        "on_unresolved": {"email": 1.0},
    },
}


@pytest.fixture(scope="module")
def network(make_network) -> sim.Scenario:
    return make_network(NETWORK, duration="2d", seed=3, replications=3, max_hops=6)


@pytest.fixture(scope="module")
def network_run(network) -> sim.ReplicationResult:
    return sim.simulate(network, replication=0)


def test_every_hop_has_one_final_outcome(network_run):
    hops = network_run.hops
    outcome = hops["outcome"]
    assert len(outcome) > 2000
    # The default 7-day drain empties Monday and Tuesday's work: nothing left over.
    assert not np.isin(outcome, [Outcome.PENDING, Outcome.UNFINISHED]).any()
    assert np.isin(outcome, [o.value for o in Outcome]).all()
    assert (hops["end"] >= hops["arrive"]).all()
    answered = ~np.isnan(hops["response"])
    assert (hops["response"][answered] >= hops["arrive"][answered]).all()
    assert (hops["response"][answered] <= hops["end"][answered]).all()
    # Finished by someone <=> answered <=> resolved or unresolved. (Not general: a hybrid
    # bot's hand-over can abandon after the bot answered; this network has none.)
    done = np.isin(outcome, [Outcome.RESOLVED, Outcome.UNRESOLVED])
    np.testing.assert_array_equal(done, hops["by"] != By.NONE)
    np.testing.assert_array_equal(done, answered)
    agent = hops["by"] == By.AGENT
    assert not np.isnan(hops["agent_start"][agent]).any()
    np.testing.assert_array_equal(
        hops["end"][agent], hops["agent_start"][agent] + hops["service"][agent]
    )
    # Contacts turned away at the door leave at once.
    turned_away = np.isin(outcome, [Outcome.NOT_VISIBLE, Outcome.OVERFLOW, Outcome.CLOSED])
    np.testing.assert_array_equal(hops["end"][turned_away], hops["arrive"][turned_away])
    assert np.isnan(hops["agent_start"][outcome == Outcome.ABANDONED]).all()
    # Only outcomes that have a route can lead on; every kind does here.
    routed = hops["next_queue"] >= 0
    assert np.isin(outcome[routed], ROUTED_OUTCOMES).all()
    assert set(np.unique(outcome[routed])) == set(ROUTED_OUTCOMES) - {Outcome.CLOSED}


def test_contacts_keep_their_identity_across_hops(network, network_run):
    hops, contacts = network_run.hops, network_run.contacts
    n = len(contacts["entered"])
    np.testing.assert_array_equal(np.unique(hops["contact"]), np.arange(n))
    order = np.lexsort((hops["hop"], hops["contact"]))
    contact, hop = hops["contact"][order], hops["hop"][order]
    first = np.r_[True, contact[1:] != contact[:-1]]
    # Hop numbers run 0, 1, 2, ... within each contact, with no gap or repeat.
    rank = np.arange(len(order)) - np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    np.testing.assert_array_equal(hop, rank)
    assert hop.max() < network.max_hops
    entry = order[first]
    np.testing.assert_array_equal(hops["arrive"][entry], contacts["entered"])
    np.testing.assert_array_equal(hops["queue"][entry], contacts["entry_queue"])
    # A contact's last hop leads nowhere; each earlier hop leads on.
    last = np.r_[contact[1:] != contact[:-1], True]
    assert (hops["next_queue"][order][last] == -1).all()
    assert (hops["next_queue"][order][~last] >= 0).all()


def test_routing_balance(network, network_run):
    """Each hop sent on arrives, at the moment it left, at the queue it was sent to."""
    hops = network_run.hops
    row = {(c, h): i for i, (c, h) in enumerate(zip(hops["contact"], hops["hop"], strict=True))}
    sent = np.flatnonzero(hops["next_queue"] >= 0)
    following = np.array([row[hops["contact"][i], hops["hop"][i] + 1] for i in sent])
    np.testing.assert_array_equal(hops["queue"][following], hops["next_queue"][sent])
    np.testing.assert_array_equal(hops["arrive"][following], hops["end"][sent])
    # Counted per (source, destination) pair, both ways.
    later = np.flatnonzero(hops["hop"] > 0)
    previous = np.array([row[hops["contact"][i], hops["hop"][i] - 1] for i in later])
    size = len(network.queues)
    by_sender = np.zeros((size, size), int)
    np.add.at(by_sender, (hops["queue"][sent], hops["next_queue"][sent]), 1)
    by_receiver = np.zeros((size, size), int)
    np.add.at(by_receiver, (hops["queue"][previous], hops["queue"][later]), 1)
    np.testing.assert_array_equal(by_sender, by_receiver)
    assert len(sent) == len(later) > 300
    assert (by_sender > 0).sum() >= 5  # chat->email, chat->hotline, hotline->chat, ...


def test_short_drain_leaves_unfinished_hops_and_nothing_pending(network, make_network):
    short = make_network(NETWORK, duration="2d", seed=3, drain=0, max_hops=6)
    cut = sim.simulate(short)
    full_run = sim.simulate(network)
    outcome = cut.hops["outcome"]
    unfinished = outcome == Outcome.UNFINISHED
    assert unfinished.any()
    assert not (outcome == Outcome.PENDING).any()
    assert np.isnan(cut.hops["end"][unfinished]).all()
    assert (cut.hops["next_queue"][unfinished] == -1).all()
    # Contacts in flight at the end of day 2 are still counted as arrivals, only unfinished.
    entry = cut.hops["hop"] == 0
    np.testing.assert_array_equal(
        cut.hops["arrive"][entry], full_run.hops["arrive"][full_run.hops["hop"] == 0]
    )
    counted = sim.Results(short, [cut], seed=3).metrics()
    assert counted["unfinished"].sum() == unfinished.sum()


def test_escalation_share_is_the_routing_probability(make_network):
    """Unresolved (1 - 0.6) times routed (0.5): 20% of chats go on to email."""
    scenario = make_network(
        {
            "chat": {
                "arrivals": {"rate": "60/h"},
                "staff": 20,
                "service": {"dist": "exponential", "mean": "2m"},
                "resolution": 0.6,
                "on_unresolved": {"email": 0.5},
            },
            "email": {"staff": 5, "service": {"dist": "exponential", "mean": "5m"}},
        },
        duration="2d",
        seed=4,
    )
    results = sim.run(scenario, replications=5)
    chat = np.concatenate([r.hops["queue"] == 0 for r in results.runs])
    outcome = np.concatenate([r.hops["outcome"] for r in results.runs])[chat]
    escalated = np.concatenate([r.hops["next_queue"] for r in results.runs])[chat] == 1
    assert_binomial_share(int(escalated.sum()), len(escalated), 0.4 * 0.5)
    assert_binomial_share(int((outcome == Outcome.RESOLVED).sum()), len(outcome), 0.6)
    # The reported escalation rate is exactly that share, per replication.
    for run, rate in zip(
        results.runs, results.metrics().query("queue == 'chat'")["escalation_rate"], strict=True
    ):
        own = run.hops["queue"] == 0
        assert rate == pytest.approx(np.mean(run.hops["next_queue"][own] == 1))


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_replication_identical(network, network_run):
    assert_same_hops(sim.simulate(network, replication=0).hops, network_run.hops)
    assert_same_hops(sim.simulate(network, replication=0).contacts, network_run.contacts)


def test_other_replication_or_seed_differs(network, network_run):
    for other in (sim.simulate(network, replication=1), sim.simulate(network, 0, seed=4)):
        n = min(len(other.hops["arrive"]), len(network_run.hops["arrive"]))
        assert not np.array_equal(other.hops["arrive"][:n], network_run.hops["arrive"][:n])


def test_parallel_run_equals_serial_run(network):
    serial = sim.run(network, workers=1)
    parallel = sim.run(network, workers=2)
    assert [r.replication for r in parallel.runs] == [0, 1, 2]
    for a, b in zip(serial.runs, parallel.runs, strict=True):
        assert_same_hops(a.hops, b.hops)
        assert a.accounts == b.accounts
    # ... and each equals a lone call of simulate: a replication is self-contained.
    assert_same_hops(serial.runs[2].hops, sim.simulate(network, replication=2).hops)
    assert serial.summary().equals(parallel.summary())


# --------------------------------------------------------------------------- common random numbers

CRN_QUEUES = {
    "A": {
        "arrivals": {"rate": "20/h"},
        "staff": 2,
        "service": {"dist": "lognormal", "mean": "5m", "cv": 1},
        "patience": {"dist": "exponential", "mean": "8m"},
        "resolution": 0.7,
        "visibility": 0.95,
    },
    "B": {
        "arrivals": {"rate": "30/h"},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "5m"},
        "patience": {"dist": "exponential", "mean": "5m"},
    },
}


def queue_rows(run: sim.ReplicationResult, name: str) -> dict[str, np.ndarray]:
    """A queue's hops, without the contact ids that other queues' arrivals interleave."""
    mine = rows(run.hops, run.hops["queue"] == run.queues.index(name))
    del mine["contact"], mine["queue"]
    return mine


def test_changing_b_staff_leaves_a_untouched(make_network):
    base = sim.simulate(make_network(CRN_QUEUES, seed=8))
    variant = sim.simulate(make_network(CRN_QUEUES, overrides=["queues.B.staff=4"], seed=8))
    # Arrival times, service draws, waits, outcomes: A lives on its own streams.
    assert_same_hops(queue_rows(base, "A"), queue_rows(variant, "A"))
    # B itself keeps its arrivals and service draws (``service`` is the handle time of
    # hops an agent took), but the extra staff shortens its waits.
    b0, b1 = queue_rows(base, "B"), queue_rows(variant, "B")
    np.testing.assert_array_equal(b0["arrive"], b1["arrive"])
    both = ~np.isnan(b0["agent_start"]) & ~np.isnan(b1["agent_start"])
    np.testing.assert_array_equal(b0["service"][both], b1["service"][both])
    assert np.nanmean(b1["response"] - b1["arrive"]) < np.nanmean(b0["response"] - b0["arrive"])


def test_adding_a_queue_leaves_others_untouched(make_network):
    """Streams are keyed by queue name, not by position: C goes first in the file."""
    extra = {
        "C": {
            "arrivals": {"rate": "50/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "1m"},
        }
    }
    base = sim.simulate(make_network(CRN_QUEUES, seed=8))
    bigger = sim.simulate(make_network({**extra, **CRN_QUEUES}, seed=8))
    assert bigger.queues.index("A") != base.queues.index("A")
    for name in ("A", "B"):
        a, b = queue_rows(base, name), queue_rows(bigger, name)
        # Agent numbers count every queue's agents (C's come first), so only their order
        # within the queue is the same.
        assert_same_hops(a, b, columns=[c for c in a if c != "agent"])
        np.testing.assert_array_equal(_ranks(a["agent"]), _ranks(b["agent"]))


def _ranks(agent: np.ndarray) -> np.ndarray:
    """Agent numbers replaced by their rank among the queue's agents (-1 stays -1)."""
    ids = np.unique(agent[agent >= 0])
    return np.where(agent >= 0, np.searchsorted(ids, agent), -1)


ROUTED_QUEUES = {
    # A and B send what they leave open to the desk, which also has arrivals of its own;
    # it has agents to spare, so what happens there depends on its draws alone.
    "A": {
        "arrivals": {"rate": "30/h"},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "3m"},
        "patience": {"dist": "exponential", "mean": "5m"},
        "resolution": 0.5,
        "on_unresolved": {"desk": 1.0},
        "on_abandon": {"desk": {"share": 1.0, "after": {"dist": "exponential", "mean": "10m"}}},
    },
    "B": {
        "arrivals": {"rate": "20/h"},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "3m"},
        "resolution": 0.6,
        "on_unresolved": {"desk": 1.0},
    },
    "desk": {
        "arrivals": {"rate": "10/h"},
        "staff": 60,
        "service": {"dist": "lognormal", "mean": "20m", "cv": 1},
        "patience": {"dist": "exponential", "mean": "30m"},
        "resolution": 0.8,
        "visibility": 0.9,
    },
}


def _desk_rows(run: sim.ReplicationResult, source: str | None) -> dict[str, np.ndarray]:
    """The desk's hops of its own arrivals (``source`` None) or of contacts from ``source``."""
    hops = run.hops
    desk = hops["queue"] == run.queues.index("desk")
    if source is None:
        mine = desk & (hops["hop"] == 0)
    else:
        first = hops["hop"] == 0
        came = hops["contact"][first][hops["queue"][first] == run.queues.index(source)]
        mine = desk & (hops["hop"] == 1) & np.isin(hops["contact"], came)
    return rows(hops, mine)


def test_a_change_upstream_leaves_other_visits_draws_at_a_routed_queue(make_network):
    """Routed visits draw from a stream per queue they come from.

    A resolves more in the variant, so fewer of its contacts reach the desk; the desk's
    own arrivals and the contacts B sends keep every draw (handle time, resolution,
    patience, visibility): the same rows, to the bit.
    """
    base = sim.simulate(make_network(ROUTED_QUEUES, seed=12, duration="2d"))
    variant = sim.simulate(
        make_network(ROUTED_QUEUES, overrides=["queues.A.resolution=0.8"], seed=12, duration="2d")
    )
    from_a = len(_desk_rows(base, "A")["arrive"]), len(_desk_rows(variant, "A")["arrive"])
    assert from_a[1] < from_a[0] * 0.7, from_a  # the change does move the routed visits
    for source in (None, "B"):
        a, b = _desk_rows(base, source), _desk_rows(variant, source)
        assert len(a["arrive"]) > 50
        assert_same_hops(a, b, columns=["arrive", "service", "outcome", "end", "contact"])


DECIDING_QUEUES = {
    # A chat desk whose every later decision draws: a bot when nobody is on shift (with
    # a response time), routes for what is left open and for who gives up, retrials.
    "chat": {
        "arrivals": {"rate": "30/h"},
        "staff": [{"start": "08:00", "end": "20:00", "agents": 2}],
        "bot": {
            "when": "unstaffed",
            "resolution": 0.4,
            "response": {"dist": "exponential", "mean": "30s"},
        },
        "service": {"dist": "exponential", "mean": "5m"},
        "patience": {"dist": "exponential", "mean": "4m"},
        "resolution": 0.5,
        "on_unresolved": {"email": 0.6, "faq": 0.2},
        "on_abandon": {"email": 0.3},
        "retry": {"probability": 0.4, "after": {"dist": "exponential", "mean": "15m"}},
    },
    "email": {"staff": 50, "service": {"dist": "exponential", "mean": "10m"}},
    "faq": {"staff": 50, "service": {"dist": "exponential", "mean": "1m"}},
}


def _chat_hops(run: sim.ReplicationResult) -> dict[tuple[int, int], dict[str, float]]:
    """The chat's hops by (contact, hop), each with what was decided for it."""
    hops = run.hops
    chat = np.flatnonzero(hops["queue"] == run.queues.index("chat"))
    # When a retrial arrives, by contact and hop: its delay is that less the hop's end.
    arrive = {
        (c, h): t
        for c, h, t in zip(*(hops[k].tolist() for k in ("contact", "hop", "arrive")), strict=True)
    }
    out = {}
    for i in chat.tolist():
        key = (int(hops["contact"][i]), int(hops["hop"][i]))
        retry = arrive.get((key[0], key[1] + 1), math.nan) - hops["end"][i]
        out[key] = {
            "outcome": int(hops["outcome"][i]),
            "by": int(hops["by"][i]),
            "next": int(hops["next_queue"][i]),
            "after": retry if hops["next_queue"][i] == run.queues.index("chat") else math.nan,
        }
    return out


def test_a_hops_decisions_are_drawn_on_arrival(make_network):
    """A change that reorders a queue's decisions deals no visit another one's.

    With a third agent until 22:00 the chat's visits finish, give up and reach the bot in
    another order, and other visits do each. Every first attempt that meets the same step
    in both runs takes the same decision there: the bot's answer, the route it leaves by
    (a destination, or none), whether it tries again after giving up and after how long.
    """
    base = _chat_hops(sim.simulate(make_network(DECIDING_QUEUES, seed=21, duration="3d")))
    variant = _chat_hops(
        sim.simulate(
            make_network(
                DECIDING_QUEUES,
                overrides=['queues.chat.staff=[{start: "08:00", end: "22:00", agents: 3}]'],
                seed=21,
                duration="3d",
            )
        )
    )
    # First attempts: retrials draw in the order they arrive, which the change moves.
    both = {k for k in base.keys() & variant.keys() if k[1] == 0}
    changed = {k for k in both if base[k]["outcome"] != variant[k]["outcome"]}
    assert len(changed) > 20  # the change does move what happens to visits
    bot = [k for k in both if base[k]["by"] == variant[k]["by"] == By.BOT]
    same = [k for k in both - changed if base[k]["by"] == variant[k]["by"]]
    routed = [k for k in same if base[k]["outcome"] in (Outcome.UNRESOLVED, Outcome.ABANDONED)]
    again = [k for k in routed if not math.isnan(base[k]["after"])]
    assert min(len(bot), len(routed), len(again)) > 30, (len(bot), len(routed), len(again))
    # The bot's answer: a visit it answers in both runs is resolved in both, or in neither.
    assert [base[k]["outcome"] for k in bot] == [variant[k]["outcome"] for k in bot]
    for key in same:
        assert base[key]["next"] == variant[key]["next"], key
    np.testing.assert_array_equal(
        [base[k]["after"] for k in again], [variant[k]["after"] for k in again]
    )


# --------------------------------------------------------------------------- shifts

SHIFTS = [
    {"start": "08:00", "end": "16:00", "agents": 3},
    {"start": "16:00", "end": "24:00", "agents": 5},
    {"start": "22:00", "end": "06:00", "agents": 2},  # overnight
]
MAX_SERVICE = 15 * MINUTE


def scheduled(t: np.ndarray, shifts=SHIFTS) -> np.ndarray:
    """Agents on shift at times ``t`` (right-continuous), straight from the definition."""
    clock = np.asarray(t, float) % DAY
    level = np.zeros(np.shape(t), int)
    for shift in shifts:
        begin = _clock(shift["start"])
        length = (_clock(shift["end"]) - begin) % DAY or DAY
        level = level + np.where((clock - begin) % DAY < length, shift["agents"], 0)
    return level


def _clock(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * HOUR + int(minutes) * MINUTE


def change_points(until: float, shifts=SHIFTS) -> list[tuple[float, int]]:
    """The scheduled step function on [0, until): (time, agents) where the level changes."""
    bounds = {_clock(s[k]) % DAY for s in shifts for k in ("start", "end")}
    times = sorted({0.0} | {d * DAY + b for d in range(int(until // DAY) + 1) for b in bounds})
    times = [t for t in times if t < until]
    steps: list[tuple[float, int]] = []
    for t, n in zip(times, scheduled(np.array(times), shifts).tolist(), strict=True):
        if not steps or steps[-1][1] != n:
            steps.append((t, n))
    return steps


def as_steps(staffing: tuple[tuple[float, int], ...], until: float) -> list[tuple[float, int]]:
    """The engine's staffing log as a step function: last level at each time, changes only."""
    last = {t: n for t, n in staffing if t < until}  # later entries win
    steps: list[tuple[float, int]] = []
    for t, n in sorted(last.items()):
        if not steps or steps[-1][1] != n:
            steps.append((t, n))
    return steps


@pytest.fixture(scope="module")
def shift_scenario(make_scenario) -> sim.Scenario:
    return make_scenario(
        scenario={"duration": "3d", "seed": 9},
        arrivals={"rate": "15/h"},
        staff=SHIFTS,
        service={"dist": "uniform", "low": "5m", "high": "15m"},
    )


@pytest.fixture(scope="module")
def shift_run(shift_scenario) -> sim.ReplicationResult:
    return sim.simulate(shift_scenario)


def test_staffing_follows_the_schedule_exactly(shift_run):
    duration = shift_run.window[1]
    expected = change_points(duration)
    assert expected[:4] == [(0.0, 2), (6 * HOUR, 0), (8 * HOUR, 3), (16 * HOUR, 5)]
    assert as_steps(shift_run.accounts[0].staffing, duration) == expected


def test_mean_agents_on_shift_is_the_schedules_time_average(shift_scenario, shift_run):
    duration = shift_run.window[1]
    steps = change_points(duration)
    times = [t for t, _ in steps] + [duration]
    agent_seconds = sum(n * (t1 - t0) for (t0, n), t1 in zip(steps, times[1:], strict=True))
    results = sim.Results(shift_scenario, [shift_run], seed=9)
    figure = results.summary().loc["q", "mean_agents_on_shift"]
    assert figure == pytest.approx(agent_seconds / duration, rel=1e-12)
    assert figure == pytest.approx((2 * 6 + 3 * 8 + 5 * 6 + 7 * 2) / 24, rel=1e-12)


def test_nobody_is_answered_by_an_agent_off_shift(shift_run):
    hops = shift_run.hops
    start, end = hops["agent_start"], hops["end"]
    assert not np.isnan(start).any()
    # Some contacts waited through the 06:00-08:00 gap: the check has teeth.
    gap = (clock_hour(hops["arrive"]) >= 6) & (clock_hour(hops["arrive"]) < 8)
    assert (start[gap] >= (hops["arrive"][gap] // DAY) * DAY + 8 * HOUR).all()
    assert scheduled(start).min() > 0
    # Agents in service at a start: those on shift, plus agents whose shift ended less
    # than one maximal service ago and are finishing the contact in hand.
    busy = np.array([np.sum((start <= s) & (s < end)) for s in start])
    ends = np.array([d * DAY + _clock(x["end"]) for d in range(5) for x in SHIFTS])
    agents = np.array([x["agents"] for _ in range(5) for x in SHIFTS])
    overtime = np.array([agents[(ends > s - MAX_SERVICE) & (ends <= s)].sum() for s in start])
    assert (busy <= scheduled(start) + overtime).all()
    assert (busy > scheduled(start)).any()  # overtime really happens at shift ends


def test_agent_finishes_the_contact_in_hand_after_shift_end(make_scenario):
    """Arrivals only in 15:58-16:00; one agent until 16:00, another from 16:00; 30 min each."""
    scenario = make_scenario(
        scenario={"seed": 12},
        arrivals={
            "rate": "10/h",
            "profile": [0] * 15 + [1] + [0] * 8,
            "peaks": [{"start": "15:00", "end": "15:58", "multiplier": 0}],
        },
        staff=[
            {"start": "08:00", "end": "16:00", "agents": 1},
            {"start": "16:00", "end": "24:00", "agents": 1},
        ],
        service={"dist": "constant", "value": "30m"},
    )
    run = sim.simulate(scenario)
    hops = run.hops
    arrive, start, end = hops["arrive"], hops["agent_start"], hops["end"]
    four = 16 * HOUR
    assert len(arrive) >= 3  # the seed is chosen so that the window is busy
    assert ((arrive >= four - 2 * MINUTE) & (arrive < four)).all()
    # The first is served at once by the day agent, who works on past 16:00 ...
    assert start[0] == arrive[0]
    assert end[0] == arrive[0] + 30 * MINUTE > four
    # ... but then leaves: the rest are served one by one by the evening agent alone.
    np.testing.assert_array_equal(start[1:], four + 30 * MINUTE * np.arange(len(arrive) - 1))
    account = run.accounts[0]
    assert account.on_shift_time == 16 * HOUR
    assert account.present_time == pytest.approx(16 * HOUR + end[0] - four, rel=1e-12)
    assert account.busy_time == pytest.approx(len(arrive) * 30 * MINUTE, rel=1e-12)


# --------------------------------------------------------------------------- warm-up


def test_warmup_excludes_contacts_entering_before_it(make_network):
    """Counted by when the contact entered the system, not when it reached the queue."""
    scenario = make_network(
        {
            "front": {
                "arrivals": {"rate": "30/h"},
                "staff": 20,
                "service": {"dist": "constant", "value": "30m"},
                "resolution": 0.0,
                "on_unresolved": {"back": 1.0},
            },
            "back": {"staff": 3, "service": {"dist": "exponential", "mean": "4m"}},
        },
        duration="6h",
        warmup="2h",
        seed=10,
    )
    run = sim.simulate(scenario)
    hops = run.hops
    entry = hops["hop"] == 0
    entered = np.empty(len(run.contacts["entered"]))
    entered[hops["contact"][entry]] = hops["arrive"][entry]
    inside = (entered[hops["contact"]] >= 2 * HOUR) & (entered[hops["contact"]] < 6 * HOUR)
    figures = sim.Results(scenario, [run], seed=10).metrics().set_index("queue")
    for q, name in enumerate(run.queues):
        assert figures.loc[name, "arrivals"] == np.sum(inside & (hops["queue"] == q))
    # Contacts that entered before 02:00 and reached the back queue after it: excluded.
    late = (hops["queue"] == 1) & ~inside & (hops["arrive"] >= 2 * HOUR)
    assert late.any()
    assert figures.loc["front", "e2e_contacts"] == figures.loc["front", "arrivals"]


# --------------------------------------------------------------------------- bots


def test_bot_covers_unstaffed_hours(make_scenario):
    scenario = make_scenario(
        scenario={"duration": "7d", "seed": 13},
        arrivals={"rate": "20/h"},
        staff=[{"start": "09:00", "end": "18:00", "agents": 2}],
        bot={"when": "unstaffed", "resolution": 0.4},
        service={"dist": "exponential", "mean": "5m"},
        resolution=0.8,
    )
    hops = sim.simulate(scenario).hops
    hour = clock_hour(hops["arrive"])
    night = (hour < 9) | (hour >= 18)
    assert (hops["by"][night] == By.BOT).all()
    np.testing.assert_array_equal(hops["response"][night], hops["arrive"][night])
    assert np.isnan(hops["agent_start"][night]).all()
    resolved = hops["outcome"][night] == Outcome.RESOLVED
    assert_binomial_share(int(resolved.sum()), int(night.sum()), 0.4)
    # In staffed hours the agents answer, never the bot.
    assert (hops["by"][~night] == By.AGENT).all()


def test_hybrid_bot_answers_first_and_hands_over(make_scenario):
    scenario = make_scenario(
        scenario={"duration": "2d", "seed": 14},
        arrivals={"rate": "30/h"},
        staff=3,
        bot={"when": "always", "resolution": 0.3, "response": {"dist": "constant", "value": 5}},
        service={"dist": "exponential", "mean": "5m"},
    )
    run = sim.simulate(scenario)
    hops = run.hops
    np.testing.assert_array_equal(hops["response"], hops["arrive"] + 5)
    by_bot = np.isnan(hops["agent_start"])
    assert (hops["outcome"][by_bot] == Outcome.RESOLVED).all()
    assert (hops["by"][by_bot] == By.BOT).all()
    assert_binomial_share(int(by_bot.sum()), len(by_bot), 0.3)
    # What the bot does not solve, an agent takes after the bot's answer.
    assert (hops["agent_start"][~by_bot] >= hops["response"][~by_bot]).all()
    assert (hops["by"][~by_bot] == By.AGENT).all()
    # The reported wait is to the first response, the bot's.
    figures = sim.Results(scenario, [run], seed=14).metrics()
    assert figures["mean_wait_s"].iloc[0] == pytest.approx(5.0)


# --------------------------------------------------------------------------- closed hours

OPEN = [{"start": "09:00", "end": "17:00", "agents": 50}]


def test_closed_hours_lost_route_and_wait(make_network):
    service = {"dist": "exponential", "mean": "5m"}
    scenario = make_network(
        {
            "lost": {
                "arrivals": {"rate": "4/h"},
                "staff": OPEN,
                "closed": "lost",
                "service": service,
            },
            "route": {
                "arrivals": {"rate": "4/h"},
                "staff": OPEN,
                "closed": "route",
                "on_closed": {"email": 1.0},
                "service": service,
            },
            # Few enough arrivals that the 50 agents take a whole night's messages at once.
            "wait": {
                "arrivals": {"rate": "1/h"},
                "staff": OPEN,
                "closed": "wait",
                "service": service,
            },
            "email": {"staff": 2, "service": service},
        },
        duration="3d",
        seed=15,
    )
    run = sim.simulate(scenario)
    hops = run.hops
    hour = clock_hour(hops["arrive"])
    closed = (hour < 9) | (hour >= 17)
    for name, dest in (("lost", -1), ("route", run.queues.index("email"))):
        here = hops["queue"] == run.queues.index(name)
        shut = here & closed
        assert shut.sum() > 50
        assert (hops["outcome"][shut] == Outcome.CLOSED).all()
        assert (hops["next_queue"][shut] == dest).all()
        assert (hops["outcome"][here & ~closed] != Outcome.CLOSED).all()
    waiting = hops["queue"] == run.queues.index("wait")
    arrive, start = hops["arrive"][waiting], hops["agent_start"][waiting]
    day = arrive // DAY + (clock_hour(arrive) >= 17)
    opening = np.where(closed[waiting], day * DAY + 9 * HOUR, arrive)
    assert closed[waiting].sum() > 20
    np.testing.assert_array_equal(start, opening)
    assert (hops["outcome"][waiting] != Outcome.CLOSED).all()


# --------------------------------------------------------------------------- overflow


def test_overflow_past_the_threshold(make_network):
    """One agent busy for 10 h, threshold 1: the first is served, the second waits, the rest
    overflow to the FAQ bot the moment they arrive."""
    scenario = make_network(
        {
            "desk": {
                "arrivals": {"rate": "0.5/h", "profile": [0] * 10 + [1] + [0] * 13},
                "staff": 1,
                "service": {"dist": "constant", "value": "10h"},
                "overflow": {"threshold": 1},
                "on_overflow": {"faq": 1.0},
            },
            "faq": {
                "staff": 0,
                "bot": {"when": "always", "resolution": 1.0},
                "service": {"dist": "constant", "value": 60},
            },
        },
        seed=16,
    )
    run = sim.simulate(scenario)
    hops = run.hops
    desk = rows(hops, hops["queue"] == 0)
    n = len(desk["arrive"])
    assert n >= 4
    assert desk["agent_start"][0] == desk["arrive"][0]
    assert desk["agent_start"][1] == desk["arrive"][0] + 10 * HOUR
    assert (desk["outcome"][2:] == Outcome.OVERFLOW).all()
    assert (desk["next_queue"][2:] == 1).all()
    np.testing.assert_array_equal(desk["end"][2:], desk["arrive"][2:])
    faq = rows(hops, hops["queue"] == 1)
    np.testing.assert_array_equal(faq["arrive"], desk["arrive"][2:])
    assert (faq["outcome"] == Outcome.RESOLVED).all()


# --------------------------------------------------------------------------- batch pickup


def next_pickup(t: np.ndarray, clocks: list[float]) -> np.ndarray:
    """First daily pickup time strictly after each ``t``."""
    day = np.asarray(t) // DAY
    candidates = np.array([(day + k) * DAY + c for k in (0, 1) for c in sorted(clocks)])
    candidates = np.where(candidates > t, candidates, np.inf)
    return candidates.min(axis=0)


def test_batch_pickup_takes_work_only_at_pickup_times(make_scenario):
    scenario = make_scenario(
        scenario={"duration": "3d", "seed": 17},
        arrivals={"rate": "1/h"},
        staff=50,
        pickup=["10:00"],
        service={"dist": "exponential", "mean": "5m"},
    )
    hops = sim.simulate(scenario).hops
    # Ample agents: everything is taken exactly at the first pickup after it arrives.
    np.testing.assert_array_equal(hops["agent_start"], next_pickup(hops["arrive"], [10 * HOUR]))


def test_batch_pickup_with_a_busy_agent_never_starts_early(make_scenario):
    scenario = make_scenario(
        scenario={"duration": "3d", "seed": 18},
        arrivals={"rate": "2/h"},
        staff=1,
        pickup=["10:00", "15:00"],
        service={"dist": "exponential", "mean": "10m"},
    )
    hops = sim.simulate(scenario).hops
    start = hops["agent_start"]
    first = next_pickup(hops["arrive"], [10 * HOUR, 15 * HOUR])
    assert (start >= first).all()
    assert (start > first).any()  # the single agent works through each batch in turn


# --------------------------------------------------------------------------- chat concurrency


def test_chat_concurrency_handle_times_and_cap(make_scenario):
    """One agent, up to 3 chats, constant 10 min slowed by 50% per extra chat held."""
    scenario = make_scenario(
        scenario={"duration": "2d", "seed": 19},
        arrivals={"rate": "8/h"},
        staff=1,
        concurrency={"max": 3, "slowdown": 0.5},
        service={"dist": "constant", "value": "10m"},
    )
    hops = sim.simulate(scenario).hops
    start, end, handle = hops["agent_start"], hops["end"], hops["service"]
    # Chats held at each start, this one included (a chat ending then has left).
    held = np.array([np.sum((start <= s) & (s < end)) for s in start])
    assert held.max() == 3
    np.testing.assert_allclose(handle, 600 * (1 + 0.5 * (held - 1)), rtol=1e-12)
    assert set(np.round(handle).astype(int)) == {600, 900, 1200}
    # Never more than 3 at any moment: check just after every start.
    assert max(np.sum((start <= s) & (s < end)) for s in np.unique(start)) <= 3


def test_a_finished_replication_leaves_no_records_or_draws_to_the_garbage_collector():
    # The nodes, agents and events of a replication refer to one another; before, they
    # kept the replication's records (the log's memory maps) and every stream's block of
    # draws until Python's next full collection, so a worker running replication after
    # replication grew by each one's records: 173 MiB over its start in a week of the
    # document's platform, 76 MiB now. Reference counting must free them at once.
    scenario = sim.load("scenarios/document/order_page.yaml")
    gc.collect()
    gc.disable()
    try:
        result = sim.simulate(scenario)
        assert len(result.hops["hop"]) > 1000
        del result
        held = [o for o in gc.get_objects() if isinstance(o, ContactLog | Draws | JointDraws)]
    finally:
        gc.enable()
    assert held == []


@pytest.mark.parametrize(
    ("option", "error", "message"),
    [
        ({"replication": 1.5}, TypeError, "replication must be a whole number, got 1.5"),
        ({"replication": -1}, ValueError, "replication must be >= 0, got -1"),
        ({"seed": "7"}, TypeError, "seed must be a whole number, got '7'"),
        ({"seed": -3}, ValueError, "seed must be >= 0, got -3"),
    ],
)
def test_simulate_names_a_bad_seed_or_replication(option, error, message):
    # sim.simulate(s, replication=1.5) said "seed must be integer" (numpy's words about
    # the stream key) and a negative replication failed inside numpy.
    scenario = sim.from_dict(
        {"name": "x", "start": "2026-01-05T00:00", "duration": "1h", "queues": {
            "q": {"arrivals": {"rate": "1/h"}, "staff": 1,
                  "service": {"dist": "exponential", "mean": "1m"}}}}
    )  # fmt: skip
    with pytest.raises(error, match=re.escape(message)):
        sim.simulate(scenario, **option)


@pytest.mark.parametrize(
    "dist",
    [
        None,  # uniforms: rng.random
        {"dist": "exponential", "mean": "2m"},
        {"dist": "lognormal", "mean": "2m", "cv": 1.5},
        {"dist": "gamma", "mean": "2m", "cv": 0.5},
        {"dist": "uniform", "low": "1m", "high": "3m"},
        {"dist": "empirical", "values": ["1m", "2m", "7m"]},
    ],
)
def test_draws_do_not_depend_on_the_block_size(dist, monkeypatch):
    """A stream's draws are the same however many are sampled at a time (``_BLOCK``)."""
    from pydantic import TypeAdapter

    import sim.streams
    from sim.distributions import Distribution

    def first(block: int, n: int = 1000) -> list[float]:
        monkeypatch.setattr(sim.streams, "_BLOCK", block)
        rng = np.random.default_rng(2026)
        if dist is None:
            draws = Draws(rng.random)
        else:
            spec = TypeAdapter(Distribution).validate_python(dist)
            draws = Draws(lambda size: spec.sample(rng, size))
        return [draws.next() for _ in range(n)]

    assert first(7) == first(128) == first(1024)


@pytest.mark.parametrize("block", [7, 128])
def test_joint_draws_are_each_streams_own_draws_in_turn(block, monkeypatch):
    """JointDraws gives one draw of each stream in turn: the values Draws gives each."""
    import sim.streams
    from sim.distributions import Gamma, Lognormal

    monkeypatch.setattr(sim.streams, "_BLOCK", block)
    dists = [Lognormal(mean=120, cv=1.5), None, Gamma(mean=60, cv=0.5), None]

    def samplers():  # fresh streams, one per column, each with its own seed
        rngs = [np.random.default_rng([2026, j]) for j in range(len(dists))]
        return [
            rng.random if d is None else functools.partial(d.sample, rng)
            for d, rng in zip(dists, rngs, strict=True)
        ]

    n = 300  # several blocks of either size
    joint = JointDraws(samplers()).values
    together = [[next(joint) for _ in dists] for _ in range(n)]
    apart = [Draws(sample) for sample in samplers()]
    assert together == [[d.next() for d in apart] for _ in range(n)]
    # The columns differ: a mixed-up interleaving could not pass.
    assert len({tuple(row) for row in zip(*together, strict=True)}) == len(dists)
