"""Realistic messy contact logs, made by simulating a desk and then spoiling its log.

:func:`desk_scenario` is a chat desk with an email back office over whole weeks: a
daily profile, near-empty weekends, a promotion day, a bot overnight, agents on
part-hour shifts with staggered breaks, a first week short of staff (heavy
abandonment) and a well-staffed second week. :func:`simulate_log` runs one replication
of a scenario and writes its contacts as a log in the contract's form (ISO date-times
to the second, agent names, empty cells). :func:`spoil` then makes it messy in each
way real logs are: clocks a second apart, end times stamped with the previous day's
date after midnight, and a few broken rows (unparseable times, end long before answer,
unknown outcomes). What was spoiled is returned, so tests know what the cleaning must
report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sim.engine import simulate
from sim.loader import from_dict
from sim.results import Results
from sim.scenario import Scenario, Shift
from sim.timeline import Clock, shift_instances

__all__ = ["desk_people", "desk_scenario", "simulate_log", "spoil"]

START = dt.datetime(2026, 11, 2)  # a Monday
PROFILE = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.1, 1.5, 1.7, 1.6,
           1.3, 1.5, 1.6, 1.6, 1.5, 1.4, 1.3, 1.5, 1.7, 1.5, 0.9, 0.4]  # fmt: skip


def _person(day: dt.date, start: float, end: float, brk: float, length: float) -> list[dict]:
    """One person's day: two dated shifts around a break (times in hours)."""

    def at(hours: float) -> str:
        return (dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hours)).isoformat()

    return [
        {"start": at(start), "end": at(brk), "agents": 1},
        {"start": at(brk + length), "end": at(end), "agents": 1},
    ]


def _chat_shifts(weeks: int) -> tuple[list[dict], list[int]]:
    """Dated chat shifts and, per shift, the person working it."""
    shifts: list[dict] = []
    people: list[int] = []
    for d in range(7 * weeks):
        day = START.date() + dt.timedelta(days=d)
        if day.weekday() >= 5:
            team = [(10.0, 16.25, 13.0, 0.5)]
        else:
            short = d < 7  # the first week is short of staff
            early = 2 if short else 3
            late = 2 if short else 4
            team = [(7.75, 16.25, 11.5 + 0.25 * i, 0.75) for i in range(early)]
            team += [(12.5, 21.75, 16.0 + 0.5 * i, 0.5) for i in range(late)]
            team += [(9.25, 13.75, 11.0, 0.25)]  # a part-timer
        for person in team:
            shifts += _person(day, *person)
            people += [len(people) // 2] * 2
    return shifts, people


def desk_people(weeks: int = 2) -> dict[str, list[int]]:
    """The person working each chat shift of :func:`desk_scenario` (for agent names)."""
    return {"chat": _chat_shifts(weeks)[1]}


def desk_scenario(weeks: int = 2, seed: int = 3) -> dict[str, Any]:
    """The realistic desk as scenario data (see the module docstring)."""
    shifts, _ = _chat_shifts(weeks)
    promo = START + dt.timedelta(days=9)  # the second Wednesday
    return {
        "name": "synthetic-desk",
        "start": START.isoformat(),
        "duration": f"{7 * weeks}d",
        "seed": seed,
        "replications": 1,
        "queues": {
            "chat": {
                "arrivals": {
                    "rate": "22/h",
                    "profile": PROFILE,
                    "weekdays": [1, 1, 1, 1, 1, 0.15, 0.1],
                    "peaks": [
                        {
                            "start": promo.isoformat(),
                            "end": (promo + dt.timedelta(days=1)).isoformat(),
                            "multiplier": 1.8,
                        }
                    ],
                },
                "staff": shifts,
                "bot": {"when": "unstaffed", "resolution": 0.4},
                "service": {"dist": "lognormal", "mean": "4m", "cv": 0.9},
                "patience": {"dist": "lognormal", "mean": "5m", "cv": 1.0},
                "resolution": 0.8,
                "on_unresolved": {"email": 0.6},
                "on_abandon": {"email": 0.15},
            },
            "email": {
                "staff": {"business_hours": {"open": "09:00", "close": "18:00", "agents": 3}},
                "service": {"dist": "gamma", "mean": "12m", "cv": 1.0},
                "resolution": 0.95,
            },
        },
    }


def _people(scenario: Scenario, result, people: dict[str, list[int]]) -> np.ndarray:
    """Agent numbers of the engine (one per shift) mapped to the people working them.

    The engine numbers agents as they come on shift; within one queue that is the order
    of its shift instances. When some agent of a queue served nobody the mapping cannot
    be read from the log, and the engine's numbers are kept.
    """
    hops = result.hops
    agent = hops["agent"].astype(np.int64).copy()
    clock = Clock(scenario.start, frozenset(scenario.calendar.holidays))
    for q, name in enumerate(result.queues):
        if name not in people:
            continue
        spec = scenario.queues[name]
        instances = shift_instances(spec.staff, clock, scenario.duration + scenario.drain)
        # A queue with people has dated shifts (see _chat_shifts), not a count.
        shifts: tuple[Shift, ...] = spec.staff  # type: ignore[assignment]
        pieces = sorted(
            zip(shifts, people[name], strict=True), key=lambda p: (p[0].start, p[0].end)
        )
        mine = (hops["queue"] == q) & (agent >= 0)
        ids = np.unique(agent[mine])
        if len(ids) != len(instances):
            continue
        person = np.array([p for _, p in pieces])
        agent[mine] = 10_000 * (q + 1) + person[np.searchsorted(ids, agent[mine])]
    return agent


def simulate_log(
    scenario: Scenario | dict, replication: int = 0, people: dict[str, list[int]] | None = None
) -> pd.DataFrame:
    """One replication of ``scenario`` as a log in the contract's form.

    Times are ISO date-times to the second; ``agent`` is a name (empty for bots and
    abandoned visits); ``resolved`` is yes/no for answered visits. ``people`` maps a
    queue to the person of each of its (single-agent, dated) shifts.
    """
    if isinstance(scenario, dict):
        scenario = from_dict(scenario)
    result = simulate(scenario, replication)
    if people:
        result.hops["agent"] = _people(scenario, result, people).astype(np.int32)
    contacts = Results(scenario, [result], scenario.seed).contacts()
    base = pd.Timestamp(scenario.start)

    def stamp(seconds: pd.Series) -> pd.Series:
        times = base + pd.to_timedelta(seconds.round(), unit="s")
        return times.dt.strftime("%Y-%m-%dT%H:%M:%S").where(seconds.notna(), "")

    outcome = contacts["outcome"].astype(str)
    answered = outcome.isin(["resolved", "unresolved"])
    answer = contacts["agent_start"].where(contacts["agent_start"].notna(), contacts["response"])
    log = pd.DataFrame(
        {
            "queue": contacts["queue"].astype(str),
            "contact": contacts["contact"],
            "arrive": stamp(contacts["arrive"]),
            "answer": stamp(answer),
            "end": stamp(contacts["end"]),
            "outcome": np.where(answered, "answered", outcome),
            "agent": contacts["agent"].map(lambda a: "" if pd.isna(a) else f"A{int(a):05d}"),
            "next_queue": contacts["next_queue"].astype(str).replace("nan", ""),
            "resolved": np.where(answered, np.where(outcome == "resolved", "yes", "no"), ""),
        }
    )
    return log[outcome != "unfinished"].reset_index(drop=True)


def spoil(log: pd.DataFrame, seed: int = 0, broken: float = 0.005) -> tuple[pd.DataFrame, dict]:
    """A messy copy of a clean log, and the counts of what was spoiled.

    * clock skew: 30% of visits answered the second they arrived get an answer stamped
      one second before the arrival;
    * date rollover: 30% of visits ending after midnight (within 12 hours of arriving)
      get their end stamped with the arrival's date;
    * broken rows (share ``broken``): a third with an unparseable arrival, a third with
      an end two days before the answer, a third with an unknown outcome.
    """
    rng = np.random.default_rng(seed)
    log = log.copy()
    arrive = pd.to_datetime(log["arrive"])
    answer = pd.to_datetime(log["answer"].replace("", None))
    end = pd.to_datetime(log["end"].replace("", None))
    fmt = "%Y-%m-%dT%H:%M:%S"
    instant = (answer == arrive).to_numpy() & (log["agent"] != "").to_numpy()
    skew = instant & (rng.random(len(log)) < 0.3)
    log.loc[skew, "answer"] = (arrive[skew] - pd.Timedelta(seconds=1)).dt.strftime(fmt)
    next_day = (end.dt.normalize() - arrive.dt.normalize()) == pd.Timedelta(days=1)
    short = (end - arrive) < pd.Timedelta(hours=12)
    crossing = (next_day & short).to_numpy()
    roll = crossing & (rng.random(len(log)) < 0.3)
    log.loc[roll, "end"] = (end[roll] - pd.Timedelta(days=1)).dt.strftime(fmt)
    chosen = rng.choice(len(log), size=round(broken * len(log)), replace=False)
    thirds = np.array_split(chosen, 3)
    log.loc[thirds[0], "arrive"] = rng.choice(
        ["n/a", "2026-13-45T25:00:00", "yesterday"], len(thirds[0])
    )
    with_answer = [i for i in thirds[1] if log.at[i, "answer"]]
    for i in with_answer:
        stamp = pd.Timestamp(log.at[i, "answer"]) - pd.Timedelta(days=2)  # type: ignore[arg-type]  # ISO text
        log.at[i, "end"] = stamp.strftime(fmt)
    log.loc[thirds[2], "outcome"] = "??"
    intact = np.ones(len(log), dtype=bool)
    intact[chosen] = False
    counts = {
        "clock_skew": int((skew & intact).sum()),
        "rollover": int((roll & intact).sum()),
        "crossing": int(crossing.sum()),
        "broken_arrive": len(thirds[0]),
        "broken_end": len(with_answer),
        "broken_outcome": len(thirds[2]),
    }
    return log, counts
