"""Per-queue figures (``sim.metrics``) worked out by hand on tiny deterministic scenarios.

Arrivals are Poisson, but the scenarios are built so that every contact meets the same
fate whatever its arrival time (no agent, constant patience, certain retrials, a bot
that always or never resolves): each figure then has an exact value, and the target
figures of ``sim validate`` (:mod:`sim.validate.figures`) must give the same one.
"""

from __future__ import annotations

from typing import Any

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
