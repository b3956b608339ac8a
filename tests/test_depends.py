"""Validate's later rounds simulate only what the unsettled targets depend on.

``sim.depends``: a target's influencers are the queues it reads (and, for an
``e2e_*`` metric, every queue its contacts can be routed to) and every queue that routes
contacts to them or shares their agents. A replication in which only those take arrivals
must give the target the same figure to the bit. Checked here on every target of every
shipped scenario, with cases showing the check has teeth (leave out a team-mate or a
route's source and the figure moves); then the rounds (``sim.validate.rounds``): a
settled target keeps its replications, an unsettled one's figure over its later, pruned
rounds equals a full run's over as many replications; and ``sim calibrate``'s search,
which runs only what the fitted targets depend on, takes the same path as on whole runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_invariants import random_scenario

import sim
import sim.calibrate
from sim.calibrate import calibrate, free_parameter
from sim.depends import Needs, influencers, needs, reads, reduced, runs_only
from sim.engine import simulate
from sim.stability import QueueLoad, stability_messages
from sim.validate import format_rows, validate_all
from sim.validate.figures import target_parts
from sim.validate.rounds import FileRuns
from sim.validate.sequential import Plan

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if "targets:" in p.read_text())


def exp(mean: str) -> dict:
    return {"dist": "exponential", "mean": mean}


def network(**changes) -> dict:
    """a -> b (unresolved); a team serves b and c; d stands alone; e routes to d on abandon.

    Influencers: of b, {a, b, c}; of a, {a}; of d, {d, e}; an e2e figure at a reads a and b.
    """
    data = {
        "name": "depends",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "drain": "1d",
        "seed": 7,
        "replications": 12,
        "queues": {
            "a": {
                "arrivals": {"rate": "20/h"},
                "staff": 2,
                "service": exp("4m"),
                "resolution": 0.6,
                "on_unresolved": {"b": 1.0},
            },
            "b": {"service": exp("5m"), "patience": exp("20m")},
            "c": {"arrivals": {"rate": "10/h"}, "service": exp("5m"), "patience": exp("20m")},
            "d": {"arrivals": {"rate": "16/h"}, "staff": 2, "service": exp("5m")},
            "e": {
                "arrivals": {"rate": "6/h"},
                "staff": 1,
                "service": exp("8m"),
                "patience": exp("3m"),
                "on_abandon": {"d": 1.0},
            },
        },
        "teams": {"desk": {"staff": 2, "serves": ["b", "c"]}},
        "targets": [
            {
                "id": "a_answer",
                "queue": "a",
                "metric": "answer_rate",
                "value": 0.5,
                "tolerance": 0.05,
            },
            {"id": "b_wait", "queue": "b", "metric": "mean_wait", "value": 600, "tolerance": "10%"},
            {"id": "c_util", "queue": "c", "metric": "utilization", "value": 0.5, "tolerance": 0.5},
            {
                "id": "a_e2e",
                "queue": "a",
                "metric": "e2e_resolution_rate",
                "value": 0.9,
                "tolerance": 0.1,
            },
            {"id": "d_wait", "queue": "d", "metric": "mean_wait", "value": 360, "tolerance": "3%"},
        ],
    }
    data.update(changes)
    return data


def same(x, y) -> bool:
    return np.array_equal(np.asarray(x, float), np.asarray(y, float), equal_nan=True)


def test_influencers_follow_routes_in_and_shared_agents():
    scenario = sim.from_dict(network())
    by_id = {t.id: t for t in scenario.targets}
    assert influencers(scenario, reads(scenario, by_id["b_wait"])) == {"a", "b", "c"}
    assert influencers(scenario, reads(scenario, by_id["a_answer"])) == {"a"}
    assert influencers(scenario, reads(scenario, by_id["d_wait"])) == {"d", "e"}
    assert reads(scenario, by_id["a_e2e"]) == {"a", "b"}  # its contacts go on to b
    assert influencers(scenario, reads(scenario, by_id["c_util"])) == {"a", "b", "c"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_every_shipped_target_has_the_same_figure_when_only_its_influencers_run(path):
    scenario = sim.load(path)
    full = target_parts(scenario, simulate(scenario, 1))
    groups: dict[Needs, list[int]] = {}
    for i, target in enumerate(scenario.targets):
        groups.setdefault(needs(scenario, reads(scenario, target)), []).append(i)
    for (needed, gates), indices in groups.items():
        copy, influencing = runs_only(scenario, [scenario.targets[i] for i in indices])
        assert influencing == needed
        assert {q for q, spec in copy.queues.items() if spec.on_not_visible} >= gates
        muted = {q for q, spec in copy.queues.items() if spec.arrivals is None}
        assert not muted & {q for q in needed if scenario.queues[q].arrivals is not None}
        pruned = target_parts(copy, simulate(copy, 1))
        for j, i in enumerate(indices):
            assert same(pruned[j], full[i]), (scenario.targets[i].id, pruned[j], full[i])


def test_the_small_example_is_exact_too_including_a_teams_utilization():
    scenario = sim.from_dict(network())
    for replication in range(3):
        full = target_parts(scenario, simulate(scenario, replication))
        for i, target in enumerate(scenario.targets):
            copy, _ = runs_only(scenario, [target])
            (pruned,) = target_parts(copy, simulate(copy, replication))
            assert same(pruned, full[i]), target.id


@pytest.mark.parametrize(
    ("muted", "target"),
    [
        ("c", "b_wait"),  # c's contacts take the team's agents from b
        ("a", "b_wait"),  # a routes its unresolved contacts to b
        ("e", "d_wait"),  # e's abandoned contacts go on to d
    ],
)
def test_leaving_out_an_influencer_moves_the_figure(muted, target):
    """The exactness check has teeth: a closure missing one link gives other figures."""
    scenario = sim.from_dict(network())
    i = [t.id for t in scenario.targets].index(target)
    full = target_parts(scenario, simulate(scenario, 0))[i]
    queues = dict(scenario.queues)
    queues[muted] = queues[muted].model_copy(update={"arrivals": None})
    wrong = scenario.model_copy(update={"queues": queues})
    assert not same(target_parts(wrong, simulate(wrong, 0))[i], full)


def test_after_the_first_round_only_the_unsettled_targets_influencers_take_arrivals():
    scenario = sim.from_dict(network())
    runs = FileRuns(scenario, scenario.seed, limit=12)
    plan = Plan(4, 0.5)
    first = runs.next_round(plan, None)
    assert first.queues == set(scenario.queues)
    assert [t.scenario for t in first.tasks] == [scenario] * 4
    runs.add(first, [(target_parts(scenario, simulate(scenario, r)), {}) for r in range(4)])
    second = runs.next_round(plan, None)
    ids = [t.id for t in scenario.targets]
    # d's wait, held to 3%, is the one left unsettled (the test's premise).
    assert [ids[i] for i in second.targets] == ["d_wait"]
    assert second.queues == {"d", "e"}
    copy = second.tasks[0].scenario
    assert {q for q, s in copy.queues.items() if s.arrivals is not None} == {"d", "e"}
    assert [t.replication for t in second.tasks] == list(range(4, 4 + len(second.tasks)))


def test_a_settled_target_keeps_its_replications_and_the_pruned_figures_are_a_full_runs():
    scenario = sim.from_dict(network())
    sequential = {r.id: r for r in validate_all([("f", scenario)], plan=Plan(4, 0.5)).rows}
    assert sequential["a_answer"].replications == 4
    n = sequential["d_wait"].replications
    assert n > 4
    fixed = {r.id: r for r in validate_all([("f", scenario)], replications=n).rows}
    assert fixed["d_wait"].simulated == sequential["d_wait"].simulated
    assert fixed["d_wait"].ci95 == sequential["d_wait"].ci95
    # The table: the file's count above its targets, a target's own where it is fewer.
    text = format_rows(list(sequential.values()))
    assert f"depends (f): {n} replications" in text
    assert "(n=4)" in text


def test_counts_and_numbers_are_the_same_serially_and_on_processes():
    scenario = sim.from_dict(network())
    serial = validate_all([("f", scenario)], workers=1, plan=Plan(4, 0.5)).rows
    pooled = validate_all([("f", scenario)], workers=2, plan=Plan(4, 0.5)).rows
    assert [r.to_dict() for r in serial] == [r.to_dict() for r in pooled]


def _load(work: float, capacity: float) -> QueueLoad:
    return QueueLoad(100, 0, work, capacity, "q", 0, math.nan)


def test_stability_judges_each_queue_on_the_replications_that_simulated_it():
    scenario = sim.from_dict(
        network(
            queues={"q": {"arrivals": {"rate": "1/h"}, "staff": 1, "service": exp("1m")}},
            teams={},
            targets=[],
        )
    )
    # Round one measured q; a later round did not (it is absent, not zero).
    over = [{"q": _load(120.0, 100.0)}, {}, {}]
    (line,) = stability_messages(scenario.model_copy(update={"duration": 7 * 86400.0}), over, "f")
    assert "1.20x the agent time" in line


def test_calibration_searches_on_runs_of_what_the_fitted_targets_depend_on(monkeypatch):
    """The same search, point for point, as on whole runs; its runs drop what d ignores."""
    data = network()
    free = [free_parameter("queues.d.arrivals.rate=12:20", data)]

    def fit() -> sim.calibrate.Calibration:
        return calibrate(data, free, targets=[4], replications=4, max_evaluations=6)

    simulated: list[set[str]] = []
    pruning = sim.calibrate.runs_only

    def spy(scenario, targets):
        copy, needed = pruning(scenario, targets)
        simulated.append(set(copy.queues))
        return copy, needed

    monkeypatch.setattr(sim.calibrate, "runs_only", spy)
    pruned = fit()
    assert simulated
    assert all(q == {"d", "e"} for q in simulated)  # d depends on d and e

    def whole(scenario, targets):
        return scenario.model_copy(update={"targets": tuple(targets)}), frozenset(scenario.queues)

    monkeypatch.setattr(sim.calibrate, "runs_only", whole)
    full = fit()
    assert pruned.history == full.history
    assert pruned.fitted == full.fitted
    assert pruned.after == full.after


def _with_targets(data: dict) -> dict:
    """The random scenario with a target of each kind on every queue (figures compared)."""
    kinds = [
        ("mean_wait", 60.0, "10%"),
        ("answer_rate", 0.5, 0.05),
        ("resolution_rate", 0.5, 0.05),
        ("e2e_resolution_rate", 0.5, 0.05),
        ("utilization", 0.5, 0.05),
    ]
    data["targets"] = [
        {"id": f"{q}_{metric}", "queue": q, "metric": metric, "value": v, "tolerance": tol}
        for q in data["queues"]
        for metric, v, tol in kinds
    ]
    return data


@pytest.mark.filterwarnings("ignore::sim.dated.DatedWarning")
@pytest.mark.parametrize("seed", range(0, 300, 10))
def test_random_scenarios_give_each_target_the_same_figure_on_its_influencers(seed):
    """Teams, priorities, retrials, bots, parallel visits, delayed routes, closed hours,
    overflow, concurrency, pickups, breaks: whatever mix the invariants' generator draws."""
    scenario = sim.from_dict(_with_targets(random_scenario(seed)))
    full = target_parts(scenario, simulate(scenario))
    for i, target in enumerate(scenario.targets):
        copy, needed = runs_only(scenario, [target])
        (pruned,) = target_parts(copy, simulate(copy))
        assert same(pruned, full[i]), (target.id, sorted(needed), pruned, full[i])


# -- gates: queues that feed the others only through a hidden entry ----------------------


def gated(**g_changes) -> dict:
    """g feeds h only through its hidden entry (and x by abandonment); h is the target.

    g is busy (its line matters to its own figures), so serving it for nothing would cost
    time, and its abandonments go to x, which h's figure does not read.
    """
    g = {
        "arrivals": {"rate": "40/h"},
        "staff": 2,
        "service": exp("4m"),
        "patience": exp("5m"),
        "visibility": 0.7,
        "on_not_visible": {"h": 0.6},
        "on_abandon": {"x": 1.0},
    }
    g.update(g_changes)
    return {
        "name": "gates",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "drain": "1d",
        "seed": 3,
        "replications": 4,
        "queues": {
            "g": g,
            "h": {
                "arrivals": {"rate": "6/h"},
                "staff": 2,
                "service": exp("6m"),
                "patience": exp("10m"),
            },
            "x": {"staff": 1, "service": exp("5m")},
        },
        "targets": [
            {"id": "h_wait", "queue": "h", "metric": "mean_wait", "value": 60, "tolerance": "10%"},
            {
                "id": "h_answer",
                "queue": "h",
                "metric": "answer_rate",
                "value": 0.9,
                "tolerance": 0.05,
            },
        ],
    }


def test_a_queue_that_feeds_a_target_only_through_its_hidden_entry_is_a_gate():
    scenario = sim.from_dict(gated())
    assert needs(scenario, {"h"}) == Needs(frozenset({"h"}), frozenset({"g"}))
    assert influencers(scenario, {"h"}) == {"g", "h"}
    copy, simulated = runs_only(scenario, scenario.targets)
    assert simulated == {"h"}
    assert set(copy.queues) == {"g", "h"}  # x, where g's line leads, is not even an exit
    gate = copy.queues["g"]
    assert (gate.arrivals, gate.visibility, gate.on_not_visible) == (
        scenario.queues["g"].arrivals,
        0.7,
        scenario.queues["g"].on_not_visible,
    )
    assert (gate.staff, gate.closed, gate.on_abandon) == (0, "lost", {})
    for replication in range(3):
        full = target_parts(scenario, simulate(scenario, replication))
        run = simulate(copy, replication)
        assert same(target_parts(copy, run), full)
        # The gate serves nobody: every contact, hidden entry or not, leaves on arrival.
        at_gate = run.hops["queue"] == run.queues.index("g")
        assert at_gate.sum() > 500
        assert np.array_equal(run.hops["end"][at_gate], run.hops["arrive"][at_gate])


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"retry": {"probability": 0.5, "after": exp("5m")}}, "a retrial follows the line"),
        ({"on_abandon": {"h": 0.5}}, "its abandonments reach h"),
        ({"parallel": {"h": 0.2}}, "its parallel visits reach h"),
    ],
)
def test_a_queue_is_simulated_when_more_than_its_arrivals_reach_the_target(change, why):
    """And gating it anyway would move the figure: the rule has teeth."""
    scenario = sim.from_dict(gated(**change))
    assert needs(scenario, {"h"}) == Needs(frozenset({"g", "h"}), frozenset()), why
    wrong = reduced(scenario, frozenset({"h"}), frozenset({"g"}))
    moved = False
    for replication in range(3):
        full = target_parts(scenario, simulate(scenario, replication))
        moved |= not same(target_parts(wrong, simulate(wrong, replication)), full)
    assert moved, why


def test_a_gate_whose_agents_serve_a_simulated_queue_is_simulated():
    data = gated(staff=0)
    data["teams"] = {"desk": {"staff": 2, "serves": ["g", "h"]}}
    data["queues"]["h"]["staff"] = 0
    scenario = sim.from_dict(data)
    assert needs(scenario, {"h"}) == Needs(frozenset({"g", "h"}), frozenset())


def test_a_queue_routing_into_a_gate_is_simulated_unless_it_too_only_hides_its_entry():
    data = gated()
    data["queues"]["u"] = {"arrivals": {"rate": "5/h"}, "staff": 1, "service": exp("5m"),
                           "resolution": 0.5, "on_unresolved": {"g": 1.0}}  # fmt: skip
    data["queues"]["v"] = {"arrivals": {"rate": "5/h"}, "staff": 1, "service": exp("5m"),
                           "visibility": 0.5, "on_not_visible": {"g": 1.0}}  # fmt: skip
    scenario = sim.from_dict(data)
    assert needs(scenario, {"h"}) == Needs(frozenset({"h", "u"}), frozenset({"g", "v"}))
    copy, _ = runs_only(scenario, scenario.targets)
    for replication in range(3):
        full = target_parts(scenario, simulate(scenario, replication))
        assert same(target_parts(copy, simulate(copy, replication)), full)


def _hiding(data: dict, seed: int) -> dict:
    """Give about half the queues a hidden entry leading to another queue.

    Half of those keep no other route (and some no retrials), so that they can be gates.
    """
    rng = np.random.default_rng(seed + 10_000)
    names = list(data["queues"])
    for name, q in data["queues"].items():
        if rng.random() < 0.5:
            q["visibility"] = float(rng.choice([0.5, 0.8]))
            q["on_not_visible"] = {str(rng.choice([n for n in names if n != name])): 0.7}
            if rng.random() < 0.5:
                for field in ("on_unresolved", "on_abandon", "on_overflow", "parallel"):
                    q.pop(field, None)
                if rng.random() < 0.5:
                    q.pop("retry", None)
                q.pop("overflow", None)
                if q.get("closed") == "route":
                    q["closed"] = "lost"
                    q.pop("on_closed")
    return data


@pytest.mark.filterwarnings("ignore::sim.dated.DatedWarning")
def test_random_scenarios_with_hidden_entries_give_the_same_figures_through_their_gates():
    """The invariants' random mix, with hidden entries on about half the queues."""
    gates = 0
    for seed in range(0, 120, 4):
        scenario = sim.from_dict(_with_targets(_hiding(random_scenario(seed), seed)))
        full = target_parts(scenario, simulate(scenario))
        for i, target in enumerate(scenario.targets):
            need = needs(scenario, reads(scenario, target))
            gates += len(need.gates)
            copy, _ = runs_only(scenario, [target])
            (pruned,) = target_parts(copy, simulate(copy))
            assert same(pruned, full[i]), (seed, target.id, need, pruned, full[i])
    assert gates >= 120  # the mix has gates to check (premise: 171 at these seeds)


@pytest.mark.filterwarnings("ignore::sim.dated.DatedWarning")
def test_what_several_targets_need_is_the_union_of_what_each_needs():
    """Validate's rounds rely on it: a round's needs are its targets' needs joined."""
    for seed in range(0, 120, 4):
        scenario = sim.from_dict(_hiding(random_scenario(seed), seed))
        names = list(scenario.queues)
        each = {q: needs(scenario, {q}) for q in names}
        for a in names:
            for b in names:
                simulated = each[a].simulated | each[b].simulated
                gates = (each[a].gates | each[b].gates) - simulated
                assert needs(scenario, {a, b}) == Needs(simulated, gates), (seed, a, b)
