"""Backlog warnings from a run's own records, and the ledger in ``sim validate``.

The offered-work ratio must be the textbook offered load over capacity; a week that the
drain hides must still be flagged; abandonment keeps an overloaded queue stable; a peak
day reports its backlog; the command line prints all of it on stderr with the exit code
unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import sim
from sim import cli
from sim.stability import queue_loads, stability_messages

WEEK_DESK: dict[str, Any] = {
    "name": "desk",
    "start": "2026-01-05T00:00",  # a Monday
    "duration": "7d",
    "drain": "14d",
    "seed": 11,
    "replications": 2,
    "queues": {
        "mail": {
            "arrivals": {"rate": "1/h"},
            # 40 agent-hours a week against 1/h x 168 h x 20 min = 56 hours of work
            "staff": {"business_hours": {"open": "09:00", "close": "17:00", "agents": 1}},
            "closed": "wait",
            "service": {"dist": "exponential", "mean": "20m"},
        }
    },
}


def _messages(data: dict[str, Any], overrides: tuple[str, ...] = (), reps: int = 2) -> list[str]:
    scenario = sim.from_dict(data, overrides=overrides)
    loads = [queue_loads(scenario, sim.simulate(scenario, r)) for r in range(reps)]
    return stability_messages(scenario, loads, "desk.yaml")


def test_work_over_capacity_is_the_offered_load():
    # M/M/3 always staffed: offered load 20/h x 6 min = 2 agents of 3, ratio 2/3.
    data = {
        **WEEK_DESK,
        "queues": {
            "chat": {
                "arrivals": {"rate": "20/h"},
                "staff": 3,
                "service": {"dist": "exponential", "mean": "6m"},
            }
        },
    }
    scenario = sim.from_dict(data)
    loads = [queue_loads(scenario, sim.simulate(scenario, r))["chat"] for r in range(4)]
    ratio = sum(x.work for x in loads) / sum(x.capacity for x in loads)
    # ~13,400 contacts: the relative standard error of the work (count x mean handle) is
    # about sqrt(2 / 13,400) = 1.2%; allow four of them.
    assert ratio == pytest.approx(2 / 3, rel=4 * np.sqrt(2 / 13_440))
    assert all(x.unfinished == 0 and x.counted > 3000 for x in loads)
    assert not stability_messages(scenario, [{"chat": x} for x in loads], "mm3.yaml")


def test_a_week_the_drain_hides_is_flagged():
    messages = _messages(WEEK_DESK)
    assert len(messages) == 1
    assert messages[0].startswith("warning: desk.yaml: queue mail: the work offered is 1.")
    assert "backlog grows week on week" in messages[0]
    # From Python (Results.stability) it said "--set duration=91d", a flag never given.
    assert messages[0].endswith("(run it longer with overrides='duration=91d' to see it)")
    # The drain cleared every contact: the one-week figures alone look fine.
    scenario = sim.from_dict(WEEK_DESK)
    assert queue_loads(scenario, sim.simulate(scenario, 0))["mail"].unfinished == 0
    # Two agents keep up: no warning.
    assert _messages(WEEK_DESK, ("queues.mail.staff.business_hours.agents=2",)) == []


def test_a_week_with_a_warmup_is_still_checked_for_growth():
    # "Shorter than a week" was measured on duration minus warmup: a 7-day run with a
    # 1 h warmup got the peak-run backlog note, and its desk falling behind no warning.
    messages = _messages(WEEK_DESK, ("warmup=1h",))
    assert len(messages) == 1
    assert "backlog grows week on week" in messages[0]
    # Five days of the same desk are shorter than a week: a backlog, not called a peak.
    (note,) = _messages(WEEK_DESK, ("duration=5d",))
    assert note.endswith("(a run shorter than a week: backlog reported instead of a growth check)")


def test_unfinished_contacts_are_flagged():
    messages = _messages(WEEK_DESK, ("drain=1h",))
    # It counts visits (a contact back for a second try is two), and says so.
    assert any("of its counted visits were still unfinished" in m for m in messages)


def test_abandonment_keeps_an_overloaded_queue_stable():
    patient = ("queues.mail.patience={dist: exponential, mean: 2h}",)
    assert _messages(WEEK_DESK, patient) == []


def test_a_peak_day_reports_its_backlog_instead():
    peak = ("duration=1d", "queues.mail.arrivals.rate=6/h")
    messages = _messages(WEEK_DESK, peak)
    assert len(messages) == 1
    assert messages[0].startswith("note: desk.yaml: queue mail: ")
    # The backlog is the queue's waiting visits (it said "contacts"), see QueueLoad.
    assert "visits still waiting when arrivals stop" in messages[0]
    assert "the last answered or gone " in messages[0]


def test_a_peak_day_whose_backlog_nobody_answers_says_so():
    # Nobody on shift: the backlog is never answered, and no time "clears" it (the note
    # read "the last answered or gone 0s later").
    peak = ("duration=1d", "queues.mail.staff=0")
    messages = [m for m in _messages(WEEK_DESK, peak) if m.startswith("note:")]
    assert len(messages) == 1
    assert "some still waiting when the drain ended" in messages[0]
    assert "later" not in messages[0]


def test_run_and_validate_print_warnings_on_stderr_with_the_exit_code_unchanged(tmp_path, capsys):
    data = {
        **WEEK_DESK,
        "targets": [
            {"id": "reply", "queue": "mail", "metric": "mean_wait", "value": "1d",
             "tolerance": "100%"},
            {"id": "fcr", "queue": "mail", "metric": "resolution_rate", "value": 1,
             "tolerance": 0, "restates": "queues.mail.service"},
            {"queue": "mail", "metric": "answer_rate", "value": 1, "tolerance": 0.01},
        ],
        "calibrated": [{"field": "queues.mail.arrivals.rate", "to": "reply"}],
    }  # fmt: skip
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["run", str(path), "-n", "1"]) == 0
    out, err = capsys.readouterr()
    assert "backlog grows" in err
    assert "(run it longer with --set duration=91d to see it)" in err
    assert "backlog grows" not in out
    assert cli.main(["validate", str(path), "-n", "1", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "backlog grows" in err
    assert [row["role"] for row in json.loads(out)] == ["fit", "input", "check"]
    assert [row["id"] for row in json.loads(out)] == ["reply", "fcr", None]
    assert cli.main(["validate", str(path), "-n", "1"]) == 0
    out, _ = capsys.readouterr()
    assert "1 of 1 checks pass; 1 of 1 fits pass; 1 inputs restated" in out
    ledger = out[out.index("Ledger") :].splitlines()
    assert ledger[3].split()[1:] == ["3", "1/1", "1/1", "1", "1", "0"]
    assert max(len(line) for line in out.splitlines()) <= 120


def test_shipped_table_fits_120_columns(capsys):
    document = Path(__file__).resolve().parent.parent / "scenarios" / "document"
    files = [str(document / name) for name in ("order_page.yaml", "homepage.yaml")]
    assert cli.main(["validate", *files, "-n", "2", "--workers", "1"]) in (0, 1)
    out, _ = capsys.readouterr()
    assert max(len(line) for line in out.splitlines()) <= 120


def test_queues_sharing_a_team_are_weighed_against_its_time_together():
    # One team of one agent for two mailboxes: each alone offers 0.7 of its time, together
    # 1.4: the pool falls behind though neither queue alone would.
    mailbox = {"arrivals": {"rate": "2.1/h"}, "service": {"dist": "exponential", "mean": "20m"}}
    data = {
        **{k: v for k, v in WEEK_DESK.items() if k != "queues"},
        "queues": {"a": mailbox, "b": mailbox},
        "teams": {"desk": {"staff": 1, "serves": ["a", "b"]}},
    }
    messages = _messages(data)
    assert len(messages) == 1
    assert "queues a, b (sharing agents): the work offered is 1." in messages[0]
    assert _messages(data, ("teams.desk.staff=2",)) == []


def test_a_peak_days_backlog_counts_the_contact_answered_as_arrivals_stop():
    # One agent 00:00-12:00 each day, one-minute contacts, nobody after noon: every
    # contact of the afternoon waits until the next shift starts at 24:00, the instant
    # arrivals stop, and the k-th of them is answered k - 1 minutes later. The first,
    # answered at 24:00 itself, was left out of the backlog (31 waiting read as 30).
    data = {
        **WEEK_DESK,
        "duration": "1d",
        "queues": {
            "q": {
                "arrivals": {"rate": "2/h"},
                "staff": [{"start": "00:00", "end": "12:00", "agents": 1}],
                "closed": "wait",
                "service": {"dist": "constant", "value": "1m"},
            }
        },
    }
    scenario = sim.from_dict(data)
    for replication in range(2):
        result = sim.simulate(scenario, replication)
        afternoon = int((result.hops["arrive"] >= 12 * 3600).sum())
        load = queue_loads(scenario, result)["q"]
        assert afternoon > 10
        assert load.backlog == afternoon
        assert load.cleared == (afternoon - 1) * 60.0
