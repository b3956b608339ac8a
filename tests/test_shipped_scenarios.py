"""Every scenario file shipped under ``scenarios/`` loads, runs and reports every queue.

Files are found recursively, so scenarios added later are tested without editing this.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.records import Outcome

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
