"""Staffing from the agent column: where a fitted agent's shift ends.

The engine's agent whose shift ends finishes the contact in hand, then leaves. A log
shows only the service end, so a desk closing on a backlog and the end of the log
itself need reading: the shift ended during the last contact, and an agent finishing
the period's backlog drops out of the log, not off the desk.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

import sim
from sim.fit.staffing import DRAIN

DAY1 = dt.datetime(2026, 11, 2)


def _at(day: int, minutes: float) -> str:
    return (DAY1 + dt.timedelta(days=day, minutes=minutes)).isoformat()


def _backlog_log(*, later_contact: bool) -> pd.DataFrame:
    """One email agent working off 40 messages that all came in at 08:00 on day 1.

    Day 1: a 30-minute message from 09:00, then 20-minute ones back to back; the last
    of the day is answered at 17:50 and ends at 18:10 with 13 messages still waiting.
    Day 2: those 13 from 09:00 to 13:20, leaving nobody waiting. With
    ``later_contact``, another agent answers a message at 10:00 on day 3 (five
    minutes), so the log's period runs past day 2.
    """
    rows = []
    starts = [0.0, 30.0] + [30.0 + 20 * j for j in range(1, 26)]  # minutes after 09:00
    for i, s in enumerate(starts):
        length = 30.0 if i == 0 else 20.0
        rows.append((_at(0, 540 + s), _at(0, 540 + s + length)))
    rows += [(_at(1, 540 + 20 * j), _at(1, 560 + 20 * j)) for j in range(13)]
    log = pd.DataFrame(
        {
            "queue": "email",
            "arrive": [_at(0, 480 + i / 60) for i in range(len(rows))],
            "answer": [a for a, _ in rows],
            "end": [e for _, e in rows],
            "outcome": "answered",
            "agent": "A",
        }
    )
    if later_contact:
        extra = {"queue": "email", "arrive": _at(2, 600), "answer": _at(2, 600),
                 "end": _at(2, 605), "outcome": "answered", "agent": "B"}  # fmt: skip
        log = pd.concat([log, pd.DataFrame([extra])], ignore_index=True)
    return log


def _shifts(log: pd.DataFrame) -> list[tuple[str, str, int]]:
    fitted = sim.fit.fit(log, replications=1, workers=1)
    return [(s["start"], s["end"], s["agents"]) for s in fitted.queue("email").staffing.shifts]


def test_an_agent_leaving_a_backlog_went_off_shift_halfway_through_its_last_message():
    # Its shift ended between 17:50 (it still took work) and 18:10 (it took no more
    # while 13 waited): at the midpoint, 18:00. Counting it on shift to 18:10 let the
    # fitted agent take another message, answered that evening instead of the next day.
    # Day 2 ends with nobody waiting, within the period: its last service end stands.
    shifts = _shifts(_backlog_log(later_contact=True))
    assert shifts == [
        ("2026-11-02T09:00", "2026-11-02T18:00", 1),
        ("2026-11-03T09:00", "2026-11-03T13:20", 1),
        ("2026-11-04T10:00", "2026-11-04T10:05", 1),
    ]


def test_an_agent_finishing_the_periods_backlog_stays_on_through_the_drain():
    # The log's period ends at 09:00 on day 1 (the hour after its last arrival): on day
    # 2 the agent drops out of the log when the backlog is done, not when it leaves. A
    # run with a longer backlog must still answer it, not leave it unanswered.
    shifts = _shifts(_backlog_log(later_contact=False))
    period_end = DAY1 + dt.timedelta(hours=9)
    until = (period_end + dt.timedelta(seconds=DRAIN)).isoformat(timespec="minutes")
    assert shifts == [
        ("2026-11-02T09:00", "2026-11-02T18:00", 1),
        ("2026-11-03T09:00", until, 1),
    ]
