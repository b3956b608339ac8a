"""Utilisation and occupancy, computed by hand on a tiny scenario with one break.

``utilization`` is busy agent time over time on shift, breaks included (an agent
finishing a contact past its shift's end counts as on shift meanwhile); ``occupancy`` is
the same busy time over the time agents were available, breaks excluded. The theory
checks (Erlang C, shrinkage) are in test_theory.py and test_teams_theory.py.
"""

from __future__ import annotations

from typing import Any

import pytest

import sim
from sim.validate.figures import target_figures

HOUR, MINUTE = 3600.0, 60.0
SERVICE = 10 * MINUTE
BREAK = 10 * MINUTE


def one_agent(team: bool, targets: list[dict[str, Any]] | None = None) -> sim.Scenario:
    """One agent on shift 00:00-01:00 of a 2-hour window, always busy when it may be.

    Contacts arrive 1000 an hour (the line never empties) and take 10 minutes each;
    a break of 10 minutes falls due 25 minutes into the shift, (1/2) * (1h - 10m).
    """
    shift = [{"start": "00:00", "end": "01:00", "agents": 1}]
    breaks = {"every": "1h", "length": "10m"}
    queue: dict[str, Any] = {
        "arrivals": {"rate": "1000/h"},
        "service": {"dist": "constant", "value": SERVICE},
    }
    teams = {}
    if team:
        teams = {"desk": {"staff": shift, "breaks": breaks, "serves": ["q"]}}
    else:
        queue.update(staff=shift, breaks=breaks)
    return sim.from_dict(
        {
            "name": "one-break",
            "start": "2026-01-05T00:00",
            "duration": "2h",
            "drain": "1h",
            "seed": 3,
            "queues": {"q": queue},
            "teams": teams,
            "targets": targets or [],
        }
    )


def by_hand(result: sim.ReplicationResult) -> tuple[float, float]:
    """Utilisation and occupancy worked out from the first arrival time ``a``.

    The agent answers at ``a``, ``a + 10m``, ``a + 20m``; the break, due at 25m, waits for
    the contact in hand: ``a + 30m`` to ``a + 40m``; then ``a + 40m`` and ``a + 50m``, the
    last held past the shift's end until ``a + 60m``. Busy 50 minutes; present 60 minutes
    plus ``a`` (finishing past the shift); available that less the 10-minute break.
    """
    a = float(result.hops["arrive"].min())
    assert 0 < a < MINUTE  # a contact is waiting from then on
    starts = sorted(result.hops["agent_start"][result.hops["agent"] >= 0].tolist())
    assert starts == pytest.approx([a + m * MINUTE for m in (0, 10, 20, 40, 50)], abs=1e-9)
    busy, present = 5 * SERVICE, HOUR + a
    return busy / present, busy / (present - BREAK)


@pytest.mark.parametrize("team", [False, True], ids=["own staff", "team"])
def test_one_break_by_hand(team):
    result = sim.simulate(one_agent(team))
    utilization, occupancy = by_hand(result)
    account = result.accounts[0]
    assert account.utilization == pytest.approx(utilization, rel=1e-12)
    assert account.occupancy == pytest.approx(occupancy, rel=1e-12)
    assert account.utilization < account.occupancy
    (crew,) = result.teams if team else result.crews
    assert (crew.utilization, crew.occupancy) == (account.utilization, account.occupancy)
    assert result.pooled_utilization([0]) == account.utilization
    assert result.pooled_occupancy([0]) == account.occupancy


def test_one_break_in_the_tables_and_targets():
    """The same figures in ``metrics()``, ``teams()``, JSON and ``sim validate``'s targets."""
    targets = [
        {"queue": queue, "metric": m, "value": 0.5, "tolerance": 0.5}
        for queue in ("q", {"q": 1.0})  # pooled, and a mix of one queue
        for m in ("utilization", "occupancy")
    ]
    results = sim.run(one_agent(team=True, targets=targets), replications=2, workers=1)
    teams = results.team_metrics()
    for run in results.runs:
        utilization, occupancy = by_hand(run)
        row = results.metrics().query(f"replication == {run.replication}").iloc[0]
        team = teams.query(f"replication == {run.replication}").iloc[0]
        for figures in (row, team):
            assert figures["utilization"] == pytest.approx(utilization, rel=1e-12)
            assert figures["occupancy"] == pytest.approx(occupancy, rel=1e-12)
        figures = [row["utilization"], row["occupancy"]]
        assert target_figures(results.scenario, run) == pytest.approx(2 * figures, rel=1e-12)
    document = results.to_dict()
    assert document["queues"]["q"]["occupancy"] == results.summary().loc["q", "occupancy"]
    assert document["teams"]["desk"]["occupancy"] == results.teams()["occupancy"].iloc[0]


@pytest.mark.parametrize(
    "field",
    [{"hours": "00:00-01:00"}, {"days": "weekdays"}, {"ratio_to": {"metric": "utilization"}}],
)
def test_an_occupancy_target_takes_no_hours_days_or_ratio(field):
    target = {"queue": "q", "metric": "occupancy", "value": 0.5, "tolerance": 0.1, **field}
    with pytest.raises(sim.ScenarioError, match="occupancy: takes no days, hours or ratio_to"):
        one_agent(team=False, targets=[target])
