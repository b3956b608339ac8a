"""Every scenario file shipped under ``scenarios/`` loads, runs and reports every queue;
every week-long one keeps up when run for thirteen weeks.

Files are found recursively, so scenarios added later are tested without editing this.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.records import Outcome
from sim.stability import queue_loads, stability_messages

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(
    p for pattern in ("*.yaml", "*.yml") for p in (ROOT / "scenarios").rglob(pattern)
)


def test_scenarios_are_shipped():
    assert len(SCENARIOS) >= 2


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_scenario_loads_and_runs(path):
    scenario = sim.load(path)
    results = sim.run(scenario, replications=2)
    summary = results.summary()

    assert sorted(summary.index) == sorted(scenario.queues)
    assert (summary["replications"] == 2).all()
    assert summary["arrivals"].map(math.isfinite).all()
    for name, queue in scenario.queues.items():
        if queue.arrivals is not None:
            assert summary.loc[name, "arrivals"] > 0, name
    for run in results.runs:
        outcome = run.hops["outcome"]
        assert not (outcome == Outcome.PENDING).any()
        assert len(run.contacts["entered"]) == int((run.hops["hop"] == 0).sum())
    for target in scenario.targets:
        for _, queue in target.queue_refs():
            assert queue in summary.index


WEEK = 7 * 86400.0
WEEK_LONG = [p for p in SCENARIOS if sim.load(p).duration >= WEEK]


def test_week_long_scenarios_are_found():
    names = {p.name for p in WEEK_LONG}
    assert {"platform.yaml", "order_page.yaml", "small_merchant_order_chat.yaml"} <= names


@pytest.mark.parametrize("path", WEEK_LONG, ids=lambda p: str(p.relative_to(ROOT)))
def test_week_long_scenario_is_stable_for_13_weeks(path):
    """One replication of 13 weeks: no desk falls behind week on week."""
    scenario = sim.load(path, ["duration=91d"])
    result = sim.simulate(scenario, 0)
    messages = stability_messages(scenario, [queue_loads(scenario, result)], path.name)
    assert not [m for m in messages if m.startswith("warning")], messages


def test_a_peak_day_reports_its_backlog():
    path = ROOT / "scenarios" / "livestream_promo_peak.yaml"
    scenario = sim.load(path)
    assert scenario.duration < WEEK
    result = sim.simulate(scenario, 0)
    messages = stability_messages(scenario, [queue_loads(scenario, result)], path.name)
    assert any(m.startswith("note:") and "still waiting when arrivals stop" in m for m in messages)
