"""Teams, priorities and shrinkage against closed forms (see test_theory.py for the method).

* Non-preemptive priority M/M/c with one service rate: Cobham's mean wait per class.
* Two queues of equal priority served by one team: the pooled M/M/c (Erlang C), per queue.
* Shrinkage: agents available ``(1 - s)`` of the rostered time; occupancy (busy over
  available time) equal to the offered load over the available agents, utilisation
  (busy over time on shift, breaks included) to the offered load over the agents on
  shift.

As in test_theory.py, each check is a 99.9% t-interval over independent replications,
with the stated warm-up allowance, and a bound on the interval's width so that it keeps
its power.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_theory import TRANSIENT, assert_agrees, counted

import sim
from sim import erlang

MINUTE, HOUR = 60.0, 3600.0

# 12 agents, exponential service of 1 minute, 4 gold and 6 ordinary arrivals a minute:
# 10/min in all, rho = 0.83, the load of the M/M/c check in test_theory.py.
C, MU = 12, 1 / MINUTE
LAMS = {"gold": 4 / MINUTE, "ordinary": 6 / MINUTE}


def two_queues(gold_priority: int) -> sim.Scenario:
    service = {"dist": "exponential", "mean": "1m"}
    return sim.from_dict(
        {
            "name": "priority",
            "start": "2026-01-05T00:00",
            "duration": "1d",
            "warmup": "2h",
            "seed": 2027,
            "queues": {
                "gold": {
                    "arrivals": {"rate": "4/min"},
                    "priority": gold_priority,
                    "service": service,
                },
                "ordinary": {"arrivals": {"rate": "6/min"}, "service": service},
            },
            "teams": {"phones": {"staff": C, "serves": ["gold", "ordinary"]}},
        }
    )


@pytest.fixture(scope="module")
def prioritised() -> sim.Results:
    return sim.run(two_queues(gold_priority=1), replications=40, workers=2)


@pytest.fixture(scope="module")
def pooled() -> sim.Results:
    return sim.run(two_queues(gold_priority=0), replications=40, workers=2)


def waits(results: sim.Results, queue: str) -> np.ndarray:
    table = results.metrics()
    return table.loc[table["queue"] == queue, "mean_wait_s"].to_numpy()


def survival(results: sim.Results, queue: int, t: float) -> np.ndarray:
    """P(wait > t) at ``queue``, per replication."""
    return np.array(
        [
            np.mean(h["response"] - h["arrive"] > t)
            for h in (counted(r, queue) for r in results.runs)
        ]
    )


def test_priority_classes_wait_as_cobham_says(prioritised):
    gold, ordinary = erlang.mmc_priority_waits([LAMS["gold"], LAMS["ordinary"]], MU, C)
    assert ordinary > 5 * gold  # the priority matters a lot at this load
    for queue, theory in (("gold", gold), ("ordinary", ordinary)):
        assert_agrees(
            waits(prioritised, queue), theory, max_half=0.25 * theory, bias=TRANSIENT * theory
        )


def test_equal_priorities_share_one_pooled_erlang_c_queue(pooled):
    lam = sum(LAMS.values())
    theory = erlang.mmc_mean_wait(lam, MU, C)
    for queue in LAMS:
        assert_agrees(waits(pooled, queue), theory, max_half=0.2 * theory, bias=TRANSIENT * theory)


@pytest.mark.parametrize("t", [0.0, 20.0])
def test_equal_priorities_wait_distribution_per_queue(pooled, t):
    theory = erlang.mmc_wait_survival(t, sum(LAMS.values()), MU, C)
    for q in range(len(LAMS)):
        assert_agrees(
            survival(pooled, q, t), theory, max_half=0.2 * theory, bias=TRANSIENT * theory
        )


def test_the_team_is_as_busy_as_the_offered_load(prioritised, pooled):
    theory = sum(LAMS.values()) / MU / C
    for results in (prioritised, pooled):
        teams = results.team_metrics()
        values = teams.loc[teams["queue"] == "gold", "utilization"].to_numpy()
        assert_agrees(values, theory, max_half=0.02)
        shares = teams.loc[teams["queue"] == "gold", "work_share"].to_numpy()
        assert_agrees(shares, LAMS["gold"] / sum(LAMS.values()), max_half=0.02)


# --------------------------------------------------------------------------- shrinkage

AGENTS, SHRINKAGE = 10, 0.25
UNIFORM = {"dist": "uniform", "low": "2m", "high": "8m"}  # mean 5 min, at most 8 min


def shrinkage_scenario() -> sim.Scenario:
    return sim.from_dict(
        {
            "name": "shrinkage",
            "start": "2026-01-05T00:00",
            "duration": "1d",
            "warmup": "1h",
            "seed": 31,
            "queues": {
                # 60/h of 5 minutes: 5 erlangs on 10 agents of whom 7.5 are available.
                "desk": {
                    "arrivals": {"rate": "60/h"},
                    "staff": AGENTS,
                    "shrinkage": SHRINKAGE,
                    "service": UNIFORM,
                },
                # Rosters without contacts: breaks are never delayed, so exact.
                "shifts": {
                    "staff": [
                        {"start": "06:00", "end": "14:00", "agents": 4},
                        {"start": "14:00", "end": "22:00", "agents": 3},
                    ],
                    "breaks": {"every": "2h", "length": "15m"},
                    "service": UNIFORM,
                },
                "constant": {"staff": 7, "shrinkage": 0.3, "service": UNIFORM},
            },
        }
    )


@pytest.fixture(scope="module")
def shrunk() -> sim.Results:
    return sim.run(shrinkage_scenario(), replications=20, workers=2)


def test_rosters_without_contacts_are_available_exactly_one_minus_s(shrunk):
    summary = shrunk.summary()
    for queue, share in (("shifts", 15 / 120), ("constant", 0.3)):
        row = summary.loc[queue]
        assert row["mean_agents_on_shift"] > 0
        assert row["mean_agents_available"] == pytest.approx(
            (1 - share) * row["mean_agents_on_shift"], rel=1e-9
        )


def test_shrinkage_leaves_one_minus_s_of_the_roster_available(shrunk):
    """Breaks taken late (after the contact in hand) still last their length, so only a
    break pushed across an edge of the window moves: by at most one service time, per
    agent and edge."""
    w0, w1 = shrunk.runs[0].window
    bound = AGENTS * 2 * 8 * MINUTE / (w1 - w0)
    values = shrunk.metrics().query("queue == 'desk'")["mean_agents_available"].to_numpy()
    assert np.abs(values - (1 - SHRINKAGE) * AGENTS).max() <= bound
    # Breaks really were delayed by contacts: not every replication is exact.
    assert np.abs(values - (1 - SHRINKAGE) * AGENTS).max() > 0


def test_hourly_agents_available_are_those_on_shift_less_those_on_a_break(shrunk, prioritised):
    """Hour by hour, available = on shift - on a break; over the window, the summary's mean.

    The window is 01:00-24:00 (an hour of warm-up), so hours 1-23 weigh equally. The
    hourly figures sample the agents each minute: breaks on a roster without contacts
    start and end on the minute, so their mean is exact; the desk's breaks (one an hour
    per agent under shrinkage), delayed by contacts, start and end anywhere, each edge
    misread by under a minute of one agent.
    """
    assert shrunk.runs[0].window == (HOUR, 24 * HOUR)
    hourly = shrunk.hourly().query("1 <= hour <= 23")
    summary = shrunk.metrics().set_index(["replication", "queue"])["mean_agents_available"]
    for (replication, queue), rows in hourly.groupby(["replication", "queue"]):
        assert (rows["agents_available"] <= rows["agents_on_shift"]).all()
        edges = 2 * AGENTS * 23  # two edges of each agent's break in each hour
        tolerance = edges * MINUTE / (23 * HOUR) if queue == "desk" else 1e-9
        mean = rows["agents_available"].mean()
        assert mean == pytest.approx(summary[(replication, queue)], abs=tolerance)
    breaks = hourly.query("queue == 'shifts' and agents_on_shift > 0")
    assert (breaks["agents_available"] < breaks["agents_on_shift"]).all()
    # Without breaks every agent on shift is available.
    plain = prioritised.hourly().dropna(subset=["agents_on_shift"])
    assert (plain["agents_available"] == plain["agents_on_shift"]).all()


def test_occupancy_is_the_offered_load_over_available_agents(shrunk):
    theory = (60 / HOUR) * (5 * MINUTE) / ((1 - SHRINKAGE) * AGENTS)
    values = shrunk.metrics().query("queue == 'desk'")["occupancy"].to_numpy()
    assert_agrees(values, theory, max_half=0.02)


def test_utilisation_is_the_offered_load_over_agents_on_shift(shrunk):
    theory = (60 / HOUR) * (5 * MINUTE) / AGENTS
    values = shrunk.metrics().query("queue == 'desk'")["utilization"].to_numpy()
    assert_agrees(values, theory, max_half=0.02)


def test_utilisation_is_occupancy_times_the_share_of_time_available(shrunk):
    """Per replication and queue: busy / present = busy / available x available / present.

    Present: on shift, or finishing a contact past the shift's end (every agent here is
    on shift around the clock, so present is on shift).
    """
    metrics = shrunk.metrics().set_index(["replication", "queue"])
    for run in shrunk.runs:
        for q, name in enumerate(run.queues):
            account = run.accounts[q]
            assert account.present_time == account.on_shift_time
            on_break = account.on_shift_time - account.available_time
            assert on_break > 0
            share = (account.present_time - on_break) / account.present_time
            row = metrics.loc[(run.replication, name)]
            if account.busy_time == 0:  # rosters without contacts
                assert row["utilization"] == row["occupancy"] == 0
                continue
            assert row["utilization"] == pytest.approx(row["occupancy"] * share, rel=1e-12)
            assert row["utilization"] < row["occupancy"]


def comparison_table() -> str:
    """The closed forms beside the simulated means (± 95% CI), as a Markdown table."""
    from sim.stats import mean_ci

    pr = sim.run(two_queues(gold_priority=1), replications=40, workers=2)
    po = sim.run(two_queues(gold_priority=0), replications=40, workers=2)
    sh = sim.run(shrinkage_scenario(), replications=20, workers=2)
    gold, ordinary = erlang.mmc_priority_waits([LAMS["gold"], LAMS["ordinary"]], MU, C)
    lam = sum(LAMS.values())
    pooled_wait = erlang.mmc_mean_wait(lam, MU, C)
    rows = [
        ("priority M/M/12, gold mean wait (s), Cobham", gold, waits(pr, "gold")),
        ("priority M/M/12, ordinary mean wait (s), Cobham", ordinary, waits(pr, "ordinary")),
    ]
    for q, queue in enumerate(LAMS):
        rows.append(
            (f"equal priority, {queue} mean wait (s), Erlang C", pooled_wait, waits(po, queue))
        )
        rows.extend(
            (
                f"equal priority, {queue} P(wait > {t:g} s), Erlang C",
                erlang.mmc_wait_survival(t, lam, MU, C),
                survival(po, q, t),
            )
            for t in (0.0, 20.0)
        )
    teams = pr.team_metrics().query("queue == 'gold'")
    rows.append(("team utilisation, lambda / (c mu)", lam / MU / C, teams["utilization"]))
    rows.append(
        ("team work share of gold, lambda_gold / lambda", LAMS["gold"] / lam, teams["work_share"])
    )
    desk = sh.metrics().query("queue == 'desk'")
    rows.append(
        (
            "shrinkage 0.25 of 10 agents: agents available",
            (1 - SHRINKAGE) * AGENTS,
            desk["mean_agents_available"],
        )
    )
    rows.append(
        (
            "occupancy = offered load / available agents",
            5 / ((1 - SHRINKAGE) * AGENTS),
            desk["occupancy"],
        )
    )
    rows.append(("utilisation = offered load / agents on shift", 5 / AGENTS, desk["utilization"]))
    lines = ["| check | closed form | simulated ± 95% CI | 99.9% half-width |", "|---|---|---|---|"]
    for label, theory, values in rows:
        mean, half = mean_ci(np.asarray(values, float))
        _, wide = mean_ci(np.asarray(values, float), 0.999)
        lines.append(f"| {label} | {theory:.4g} | {mean:.4g} ± {half:.2g} | {wide:.2g} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/test_teams_theory.py: the table of the checks
    print(comparison_table())
