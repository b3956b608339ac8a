"""Per-queue figures (``sim.metrics``) worked out by hand on tiny deterministic scenarios.

Arrivals are Poisson, but the scenarios are built so that every contact meets the same
fate whatever its arrival time (no agent, constant patience, certain retrials, a bot
that always or never resolves): each figure then has an exact value, and the target
figures of ``sim validate`` (:mod:`sim.validate.figures`) must give the same one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.engine import simulate
from sim.metrics import queue_metrics
from sim.scenario import Target
from sim.validate.figures import Replication, Selection

CONSTANT_1M = {"dist": "constant", "value": "1m"}
NOBODY = {"arrivals": {"rate": "30/h"}, "staff": 0, "service": CONSTANT_1M}


def _run(queues: dict[str, Any], **fields: Any):
    data = {"name": "hand", "start": "2026-01-05T00:00", "duration": "2h", "seed": 5}
    scenario = sim.from_dict({**data, **fields, "queues": queues})
    result = simulate(scenario)
    return scenario, result, queue_metrics(result, scenario.service_level_threshold)


def _target(scenario, result, queue, metric: str) -> float:
    target = Target.model_validate({"queue": queue, "metric": metric, "value": 0, "tolerance": 1})
    return Replication(scenario, result).figure(Selection.of(target))


def test_a_retrial_is_not_an_escalation_in_the_queue_metrics_or_the_targets():
    """Every caller gives up after 1 min and calls again once; nobody is routed on.

    Two attempts per contact, both abandoned: abandon rate 1, escalation rate 0, two hops
    per contact. A queue that sends its abandons on to email escalates every hop.
    """
    patience = {"patience": CONSTANT_1M}
    retry = {"retry": {"probability": 1.0, "after": CONSTANT_1M}}
    scenario, result, figures = _run(
        {
            "calls": {**NOBODY, **patience, **retry},
            "chats": {**NOBODY, **patience, "on_abandon": {"email": 1.0}},
            "email": {"staff": 1, "service": CONSTANT_1M},
        },
        max_hops=2,
    )
    calls, chats = figures["calls"], figures["chats"]
    assert calls["e2e_contacts"] > 10
    assert calls["arrivals"] == 2 * calls["e2e_contacts"]
    assert calls["e2e_mean_hops"] == 2.0
    assert calls["abandon_rate"] == 1.0
    assert calls["escalation_rate"] == 0.0
    assert chats["escalation_rate"] == 1.0
    assert _target(scenario, result, "calls", "escalation_rate") == 0.0
    assert _target(scenario, result, "chats", "escalation_rate") == 1.0
    # Pooled: only the chats' hops are escalations.
    pooled = chats["arrivals"] / (calls["arrivals"] + chats["arrivals"])
    assert _target(scenario, result, ["calls", "chats"], "escalation_rate") == pytest.approx(
        pooled, rel=1e-12
    )


@pytest.mark.parametrize(
    ("bot", "finished", "abandoned", "resolved", "escalated"),
    [
        # A hybrid first line that never solves: every contact is handed to the (absent)
        # agents and gives up; the bot finished none of them.
        ({"when": "always", "resolution": 0.0}, 0.0, 1.0, 0.0, 0.0),
        ({"when": "always", "resolution": 1.0}, 1.0, 0.0, 1.0, 0.0),
        # The night bot's unsolved contacts wait for the agents and give up.
        ({"when": "unstaffed", "resolution": 0.0, "unresolved": "wait"}, 0.0, 1.0, 0.0, 0.0),
        # ... or go on to email: the bot finished them (unresolved, routed on).
        ({"when": "unstaffed", "resolution": 0.0}, 1.0, 0.0, 0.0, 1.0),
    ],
)
def test_bot_share_counts_what_the_bot_finished(bot, finished, abandoned, resolved, escalated):
    """``bot_share``: arrivals finished by the bot, never those it handed over that gave up."""
    queues = {
        "chat": {
            **NOBODY,
            "bot": bot,
            "patience": CONSTANT_1M,
            "on_unresolved": {"email": 1.0},
        },
        "email": {"staff": 1, "service": CONSTANT_1M},
    }
    scenario, result, figures = _run(queues)
    chat = figures["chat"]
    assert chat["arrivals"] > 10
    assert chat["answered"] == chat["arrivals"]
    assert chat["bot_share"] == finished
    assert chat["abandon_rate"] == abandoned
    assert chat["resolution_rate"] == resolved
    assert chat["escalation_rate"] == escalated
    assert _target(scenario, result, "chat", "bot_share") == finished


def test_a_wait_of_exactly_the_threshold_is_within_it():
    """A bot answering after exactly 1 min: every wait is 60 s, inside a 60 s threshold.

    One arrival a second for 2 h: some arrive just before a power of two (4096 s), where
    ``arrive + 60`` rounds to the next float up, so that ``answer - arrive`` is a hair
    over 60 s. The wait is still the threshold: the answer came when it was due.
    """
    bot = {"when": "always", "resolution": 1.0, "response": CONSTANT_1M}
    queues = {"chat": {**NOBODY, "arrivals": {"rate": "1/s"}, "bot": bot}}
    for threshold, level in (("60s", 1.0), ("59s", 0.0)):
        scenario, result, figures = _run(queues, service_level_threshold=threshold)
        chat = figures["chat"]
        assert chat["arrivals"] > 5000
        for metric in ("mean_wait_s", "median_wait_s", "p90_wait_s", "p95_wait_s"):
            assert chat[metric] == pytest.approx(60.0, rel=1e-12)
        assert chat["e2e_mean_time_s"] == pytest.approx(60.0, rel=1e-12)
        assert chat["service_level"] == level
        assert _target(scenario, result, "chat", "service_level") == level


def test_a_contact_still_in_service_when_the_drain_ends_has_no_handle_time_yet():
    """One agent, 10 h handle times, a 1 h drain: the first contact is still being handled.

    It was answered (its wait counts) but not finished: unfinished, and no handle time,
    in the queue metrics and in a ``mean_handle`` target alike.
    """
    ten_hours = {"dist": "constant", "value": "10h"}
    queues = {"chat": {"arrivals": {"rate": "30/h"}, "staff": 1, "service": ten_hours}}
    scenario, result, figures = _run(queues, duration="1h", drain="1h")
    chat = figures["chat"]
    assert chat["arrivals"] > 1
    assert chat["answered"] == 1
    assert chat["unfinished"] == chat["arrivals"]
    assert np.isnan(chat["mean_handle_s"])
    assert np.isnan(_target(scenario, result, "chat", "mean_handle"))


@pytest.mark.parametrize("closed", ["lost", "wait"])
def test_closed_visits_are_those_turned_away_not_those_that_wait(closed):
    """Agents 08:00-16:00, no patience: night arrivals are lost, or wait for the morning.

    ``closed: lost``: each night arrival is a closed visit, not offered service. ``closed:
    wait``: it waits in line (offered service, and answered late), so no visit is closed.
    """
    day_shift = [{"start": "08:00", "end": "16:00", "agents": 5}]
    queues = {"desk": {**NOBODY, "staff": day_shift, "closed": closed}}
    scenario, result, figures = _run(queues, duration="1d")
    desk = figures["desk"]
    hour = (result.hops["arrive"] // 3600) % 24
    night = int(((hour < 8) | (hour >= 16)).sum())
    assert 0 < night < desk["arrivals"]
    if closed == "lost":
        assert desk["closed_rate"] == night / desk["arrivals"]
        assert desk["answered"] == desk["arrivals"] - night
        assert desk["service_level"] == 1.0  # five agents, one-minute contacts: no wait
    else:
        assert desk["closed_rate"] == 0.0
        assert desk["answered"] == desk["arrivals"]
        assert desk["service_level"] < 1.0
    assert _target(scenario, result, "desk", "closed_rate") == desk["closed_rate"]


# Every target metric that is also a queue metric, with the queue metric's name.
SAME_FIGURE = {
    "mean_wait": "mean_wait_s",
    "median_wait": "median_wait_s",
    "p90_wait": "p90_wait_s",
    "p95_wait": "p95_wait_s",
    "service_level": "service_level",
    "abandon_rate": "abandon_rate",
    "resolution_rate": "resolution_rate",
    "escalation_rate": "escalation_rate",
    "not_visible_rate": "not_visible_rate",
    "overflow_rate": "overflow_rate",
    "closed_rate": "closed_rate",
    "bot_share": "bot_share",
    "utilization": "utilization",
    "occupancy": "occupancy",
    "mean_handle": "mean_handle_s",
    "e2e_resolution_rate": "e2e_resolution_rate",
    "e2e_mean_time": "e2e_mean_time_s",
}


def test_sim_run_and_sim_validate_give_one_figure_each_on_every_mechanism():
    """Retrials, a hybrid bot with impatient shoppers, a night bot, overflow, hidden
    entries, closed hours, parallel visits, chat concurrency and a short drain: every
    queue's figure is the same whether ``sim run`` or a target computes it."""
    exponential = {"dist": "exponential", "mean": "4m"}
    patience = {"dist": "exponential", "mean": "3m"}
    queues = {
        "calls": {
            "arrivals": {"rate": "40/h"},
            "staff": [{"start": "01:00", "end": "05:00", "agents": 2}],
            "closed": "route",
            "on_closed": {"tickets": 1.0},
            "service": exponential,
            "patience": patience,
            "retry": {"probability": 0.5, "after": CONSTANT_1M},
            "on_abandon": {"tickets": 0.3},
            "overflow": {"threshold": 3},
            "on_overflow": {"chat": 1.0},
        },
        "chat": {
            "arrivals": {"rate": "30/h"},
            "staff": 1,
            "bot": {"when": "always", "resolution": 0.3},
            "concurrency": {"max": 2},
            "service": exponential,
            "patience": patience,
            "visibility": 0.9,
            "on_not_visible": {"tickets": 1.0},
            "resolution": 0.7,
            "on_unresolved": {"tickets": 1.0},
            "parallel": {"tickets": 0.2},
        },
        "night": {
            "arrivals": {"rate": "20/h"},
            "staff": [{"start": "02:00", "end": "04:00", "agents": 1}],
            "bot": {"when": "unstaffed", "resolution": 0.4, "unresolved": "wait"},
            "service": exponential,
            "patience": {"dist": "exponential", "mean": "30m"},
        },
        "tickets": {"staff": 1, "service": {"dist": "exponential", "mean": "20m"}},
    }
    scenario, result, figures = _run(queues, duration="6h", warmup="30m", drain="1h")
    assert figures["tickets"]["unfinished"] > 0  # the drain cuts some work short
    for queue, own in figures.items():
        assert own["arrivals"] > 0
        for metric, column in SAME_FIGURE.items():
            target = _target(scenario, result, queue, metric)
            assert target == pytest.approx(own[column], rel=1e-12, nan_ok=True), (queue, metric)
