"""Parallel visits: a contact that writes an email while it keeps chatting.

Event log: the email visit opens at the chat visit's arrival, as the same contact, one hop
further; the contact counts as resolved at its first resolution. Common random numbers:
the parallel choice draws from its own stream, so turning it on or changing its share
leaves the chat queue's arrivals, handle times and waits exactly as they were.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.metrics import queue_metrics
from sim.records import Outcome

QUEUES: dict[str, Any] = {
    "chat": {
        "arrivals": {"rate": "30/h"},
        "staff": 1,
        "service": {"dist": "constant", "value": "90s"},
        "patience": {"dist": "exponential", "mean": "5m"},
        "resolution": 0.7,
        "on_unresolved": {"email": 1.0},
        "parallel": {"email": 0.4},
    },
    "email": {"staff": 1, "service": {"dist": "constant", "value": "2m"}, "resolution": 0.9},
}


def _run(overrides: tuple[str, ...] = (), seed: int = 4) -> sim.ReplicationResult:
    data = {"name": "parallel", "start": "2026-01-05T00:00", "duration": "8h", "seed": seed,
            "queues": QUEUES}  # fmt: skip
    return sim.simulate(sim.from_dict(data, overrides=overrides))


def _at(result: sim.ReplicationResult, queue: str) -> dict[str, np.ndarray]:
    mask = result.hops["queue"] == result.queues.index(queue)
    return {k: v[mask] for k, v in result.hops.items()}


def test_a_parallel_visit_opens_at_the_chat_arrival_as_the_same_contact():
    result = _run()
    chat, email = _at(result, "chat"), _at(result, "email")
    twins = {}
    for i in range(len(email["contact"])):
        contact, arrive = int(email["contact"][i]), email["arrive"][i]
        at_chat = np.flatnonzero(chat["contact"] == contact)
        assert len(at_chat) == 1
        if arrive == chat["arrive"][at_chat[0]]:
            twins[contact] = i
    # About 40% of the chats open an email at once (binomial, n ~ 240: 4 sd ~ 13 pp).
    share = len(twins) / len(chat["contact"])
    assert share == pytest.approx(0.4, abs=4 * np.sqrt(0.24 / len(chat["contact"])))
    rows = list(twins.values())
    assert (email["hop"][rows] == 1).all()
    chat_of = {int(c): k for k, c in enumerate(chat["contact"])}
    # Unresolved chats of twinned contacts still go to email: a second email visit.
    again = [c for c in twins if chat["outcome"][chat_of[c]] == Outcome.UNRESOLVED]
    assert again
    for c in again:
        assert int((email["contact"] == c).sum()) == 2


def test_the_contact_is_resolved_at_its_first_resolution():
    result = _run()
    hops = result.hops
    resolved = hops["outcome"] == Outcome.RESOLVED
    first = np.full(len(result.contacts["entered"]), np.inf)
    np.minimum.at(first, hops["contact"][resolved], hops["end"][resolved])
    twice = np.bincount(hops["contact"][resolved], minlength=len(first)) == 2
    assert twice.any()  # both visits resolved: the metric must take the earlier one
    done = np.isfinite(first)
    expected = (first - result.contacts["entered"])[done].mean()
    figures = queue_metrics(result, 60.0)["chat"]
    assert figures["e2e_mean_time_s"] == pytest.approx(expected, rel=1e-12)
    assert figures["e2e_resolution_rate"] == pytest.approx(done.mean(), rel=1e-12)


def _chat_columns(result: sim.ReplicationResult) -> dict[str, np.ndarray]:
    chat = _at(result, "chat")
    return {k: chat[k] for k in ("arrive", "response", "agent_start", "end", "service", "outcome")}


@pytest.mark.parametrize("share", ["0", "0.1", "0.9"])
def test_the_parallel_share_leaves_the_chat_queue_untouched(share):
    base = _chat_columns(_run())
    variant = _chat_columns(_run((f"queues.chat.parallel.email={share}",)))
    for name, column in base.items():
        np.testing.assert_array_equal(column, variant[name], err_msg=name)
    without = _run(("queues.chat.parallel={}",))
    for name, column in base.items():
        np.testing.assert_array_equal(column, _chat_columns(without)[name], err_msg=name)
    assert len(_at(without, "email")["arrive"]) < len(_at(_run(), "email")["arrive"])


def test_parallel_with_itself_is_refused():
    with pytest.raises(sim.ScenarioError, match=r"queues\.chat\.parallel: a queue cannot run"):
        _run(("queues.chat.parallel={chat: 0.5}",))


def test_a_parallel_visit_opens_at_once():
    delayed = "queues.chat.parallel={email: {share: 0.5, after: {dist: constant, value: 60}}}"
    with pytest.raises(sim.ScenarioError, match="parallel: a parallel visit opens at once"):
        _run((delayed,))


def test_a_retrial_opens_no_second_parallel_visit():
    retry = "queues.chat.retry={probability: 1.0, after: {dist: constant, value: 120}}"
    result = _run((retry,))
    chat, email = _at(result, "chat"), _at(result, "email")
    retried = chat["hop"] > 0
    assert retried.any()
    columns = zip(chat["contact"], chat["arrive"], chat["hop"], strict=True)
    firsts = {int(c): a for c, a, h in columns if h == 0}
    # Every email visit that opened with a chat visit opened with the contact's first one.
    for contact, arrive in zip(email["contact"].tolist(), email["arrive"].tolist(), strict=True):
        at_chat = chat["arrive"][chat["contact"] == contact]
        if arrive in at_chat.tolist():
            assert arrive == firsts[contact]


# A chat desk open 08:00-16:00 whose every taken-in contact also writes an email; the
# contacts it turns away on arrival (closed hours, a full line, a hidden entry) do not.
_TURNED_AWAY = {
    "closed: lost": ["queues.chat.closed=lost"],
    "closed: route": ["queues.chat.closed=route", "queues.chat.on_closed={other: 1.0}"],
    "overflow": [
        "queues.chat.overflow={threshold: 1}",
        "queues.chat.on_overflow={other: 1.0}",
        "queues.chat.staff=1",
    ],
    "not visible": ["queues.chat.visibility=0.5", "queues.chat.on_not_visible={other: 1.0}"],
}


@pytest.mark.parametrize("case", list(_TURNED_AWAY))
def test_a_contact_turned_away_on_arrival_opens_no_parallel_visit(case):
    queues = {
        "chat": {
            "arrivals": {"rate": "20/h"},
            "staff": [{"start": "08:00", "end": "16:00", "agents": 1}],
            "service": {"dist": "constant", "value": "5m"},
            "parallel": {"email": 1.0},
        },
        "email": {"staff": 1, "service": {"dist": "constant", "value": "1m"}},
        "other": {"staff": 1, "service": {"dist": "constant", "value": "1m"}},
    }
    data = {"name": "turned-away", "start": "2026-01-05T00:00", "duration": "1d", "seed": 5,
            "queues": queues}  # fmt: skip
    result = sim.simulate(sim.from_dict(data, overrides=_TURNED_AWAY[case]))
    chat, email = _at(result, "chat"), _at(result, "email")
    away = np.isin(chat["outcome"], [Outcome.CLOSED, Outcome.OVERFLOW, Outcome.NOT_VISIBLE])
    assert away.sum() > 10
    assert (~away).sum() > 10
    # Exactly the contacts the chat took in opened an email, at the chat's arrival, one
    # hop further; a shopper turned away follows the turn-away's own route instead.
    kept = np.argsort(chat["contact"][~away])
    twins = np.argsort(email["contact"])
    np.testing.assert_array_equal(email["contact"][twins], chat["contact"][~away][kept])
    np.testing.assert_array_equal(email["arrive"][twins], chat["arrive"][~away][kept])
    assert (email["hop"] == 1).all()
