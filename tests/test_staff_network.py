"""``sim staff`` for desks fed by routes: the queue is simulated in its network.

A desk that takes contacts routed from other queues (escalations to email, transfers)
used to be simulated alone: planned for its own arrivals only, or refused when it had
none. Now every staffing simulation runs it with its influencers (``sim.depends``): its
visits must be the whole scenario's to the bit, the formula's routed-in rate must be
Burke's (the output of a queue with ample agents is Poisson at its input's rate), and
the plan put back into the whole scenario must meet its target there.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
import sim.cli
from sim.engine import simulate
from sim.erlang import required_agents
from sim.runner import backend
from sim.scenario import Shift
from sim.staffing import StaffingError, erlang_agents, parse_target, resolve_queue
from sim.staffing.formula import busiest_days, interval_rates
from sim.staffing.network import feeders, network, with_staff
from sim.staffing.simulation import Simulator, _figures, interval_counts, misses, staircase

ROOT = Path(__file__).resolve().parents[1]
HOMEPAGE = ROOT / "scenarios" / "document" / "homepage.yaml"

# Compared hop columns: all but the contact and agent numbers, which count every queue's.
COLUMNS = ("hop", "arrive", "response", "agent_start", "end", "service", "outcome", "by")


def exp(mean: str) -> dict:
    return {"dist": "exponential", "mean": mean}


def chain(teams: dict | None = None, **changes) -> dict:
    """x <- a -> b -> c -> e, and d alone: b's influencers are a and b.

    a sends what it does not resolve to x (first in the route, so dropping x would move
    every contact's branch) or b; b sends on to c, which sends on to e; d has nothing to
    do with b.
    """
    data = {
        "name": "chain",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "drain": "1d",
        "seed": 11,
        "replications": 4,
        "queues": {
            "x": {"staff": 1, "service": exp("3m")},
            "a": {
                "arrivals": {"rate": "40/h", "profile": [0.5] * 8 + [1.5] * 8 + [1.0] * 8},
                "staff": 3,
                "service": exp("4m"),
                "patience": exp("5m"),
                "resolution": 0.5,
                "on_unresolved": {"x": 0.3, "b": 0.6},
            },
            "b": {
                "staff": 2,
                "service": exp("6m"),
                "patience": exp("10m"),
                "resolution": 0.7,
                "on_unresolved": {"c": 1.0},
            },
            "c": {"staff": 1, "service": exp("5m"), "on_unresolved": {"e": 1.0}},
            "d": {"arrivals": {"rate": "30/h"}, "staff": 3, "service": exp("5m")},
            "e": {"staff": 1, "service": exp("5m")},
        },
    }
    for name, update in changes.items():
        data["queues"][name] = {**data["queues"][name], **update}
    if teams:
        data["teams"] = teams
    return data


# Variants of the chain: b's own arrivals and retrials, a parallel visit and a delayed
# route from a, a cycle (b sends abandoning contacts back to a), a team serving a and d
# (which makes d an influencer of b: its contacts take the team's time from a's).
VARIANTS = {
    "routed only": {},
    "own arrivals and retrials": {
        "b": {"arrivals": {"rate": "10/h"}, "retry": {"probability": 0.5, "after": exp("2m")}}
    },
    "parallel and delayed": {
        "a": {"parallel": {"b": 0.2}, "on_abandon": {"b": {"share": 0.5, "after": exp("20m")}}}
    },
    "cycle": {"b": {"on_abandon": {"a": 0.5}}},
    "team upstream": {"teams": {"front": {"staff": 2, "serves": ["a", "d"]}}},
}

STAFF = (
    {"start": "00:00", "end": "12:00", "agents": 2},
    {"start": "12:00", "end": "24:00", "agents": 4},
)


def _hops_at(result, queue: str = "b") -> dict[str, np.ndarray]:
    """The queue's hops, contacts by their entry time and routes by destination name."""
    hops = result.hops
    here = hops["queue"] == result.queues.index(queue)
    out = {c: hops[c][here] for c in COLUMNS}
    out["entered"] = result.contacts["entered"][hops["contact"][here]]
    out["next"] = np.array([result.queues[q] if q >= 0 else "" for q in hops["next_queue"][here]])
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_staffing_simulation_gives_b_the_whole_scenario_s_visits_to_the_bit(variant):
    scenario = sim.from_dict(chain(**VARIANTS[variant]))
    staff = tuple(Shift.model_validate(s) for s in STAFF)
    whole = with_staff(scenario, "b", staff)
    net = with_staff(network(scenario, "b"), "b", staff)
    teamed = variant == "team upstream"
    # c and x as exits; d (unless a team-mate of a) and e dropped
    assert set(net.queues) == {"x", "a", "b", "c"} | ({"d"} if teamed else set())
    assert set(net.teams) == set(scenario.teams)
    for replication in range(2):
        expected = _hops_at(simulate(whole, replication))
        got = _hops_at(simulate(net, replication))
        assert len(expected["arrive"]) > 50
        for column, values in expected.items():
            floats = values.dtype.kind == "f"
            assert np.array_equal(got[column], values, equal_nan=floats), column


SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_every_shipped_queue_s_network_gives_it_the_whole_scenario_s_visits(path):
    # What sim staff would simulate for each queue it plans (not one a team serves).
    scenario = sim.load(path)
    whole = simulate(scenario, 0)
    for queue in scenario.queues:
        if scenario.teams_serving(queue):
            continue
        got = _hops_at(simulate(network(scenario, queue), 0), queue)
        for column, values in _hops_at(whole, queue).items():
            floats = values.dtype.kind == "f"
            assert np.array_equal(got[column], values, equal_nan=floats), (queue, column)


def test_a_queue_that_reaches_the_desk_only_by_its_hidden_entry_runs_as_a_gate():
    """The platform's flagship desk sends shoppers who miss its button to the homepage.

    Planning the homepage's enterprise desk, the flagship's 14,784 arrivals a week are not
    served for nothing: they arrive, and those who find the button leave at once.
    """
    platform = sim.load(ROOT / "scenarios" / "document" / "platform.yaml")
    net = network(platform, "homepage.home_enterprise")
    gate, flagship = net.queues["order_page.flagship"], platform.queues["order_page.flagship"]
    assert (gate.arrivals, gate.visibility, gate.on_not_visible) == (
        flagship.arrivals,
        flagship.visibility,
        flagship.on_not_visible,
    )
    assert (gate.staff, gate.bot, gate.on_abandon, gate.parallel) == (0, None, {}, {})
    assert feeders(platform, "homepage.home_enterprise") == ("order_page.flagship",)


def test_the_simulator_measures_the_planned_queue_as_the_whole_scenario_does():
    # interval_counts read queue 0 (here x, which b's contacts never reach).
    scenario = sim.from_dict(chain())
    staff = staircase(np.array([2] * 12 + [4] * 12), 3600.0)
    whole = with_staff(scenario, "b", staff)
    count = partial(interval_counts, queue="b", interval=3600.0, threshold=60.0)
    expected = _figures([count(whole, simulate(whole, r)) for r in range(3)])
    with backend(1) as runner:
        simulate_b = Simulator(scenario, "b", 3600.0, 60.0, 3, scenario.seed, runner, False)
        got = simulate_b(staff)
    assert got["service_level"].notna().all()
    assert got.equals(expected)


def test_converging_parallel_branches_are_counted_from_each_branch():
    """s opens a parallel visit at p and sends every contact on to r; both go on to b.

    Each contact reaches b twice at the same hop number, once from p, once from r: b's
    contacts come half from each (counting both from the first hop found gave p all).
    """
    ample = {"staff": 50, "service": exp("1m"), "resolution": 0.0}
    quiet_at_the_end = [1.0] * 22 + [0.0] * 2  # every visit at b inside the day
    queues = {
        "s": {**ample, "arrivals": {"rate": "30/h", "profile": quiet_at_the_end},
              "parallel": {"p": 1.0},
              "on_unresolved": {"r": 1.0}},
        "p": {**ample, "on_unresolved": {"b": 1.0}},
        "r": {**ample, "on_unresolved": {"b": 1.0}},
        "b": {"staff": 50, "service": exp("1m")},
    }  # fmt: skip
    scenario = sim.from_dict({**_burke(), "duration": "1d", "queues": queues})
    routed = _routed_in(scenario, 2)
    assert routed.own == 0
    assert routed.sources["p"] == routed.sources["r"] > 100


def _burke(arrivals: dict | None = None, **changes) -> dict:
    """a: a pure delay (1000 agents) resolving 60%; the rest goes to b, its only source.

    In steady state the output of an M/M/infinity queue is Poisson at its input's rate
    (Burke), so b's arrivals are Poisson at 0.4 x 300/h = 120/h.
    """
    data = {
        "name": "burke",
        "start": "2026-01-05T00:00",
        "duration": "2d",
        "seed": 5,
        "replications": 16,
        "queues": {
            "a": {
                "arrivals": arrivals or {"rate": "300/h"},
                "staff": 1000,
                "service": exp("6s"),
                "resolution": 0.6,
                "on_unresolved": {"b": 1.0},
            },
            "b": {"staff": 1, "service": exp("2m")},
        },
    }
    data.update(changes)
    return data


def _routed_in(scenario, replications=16):
    with backend(1) as runner:
        simulator = Simulator(scenario, "b", 3600.0, 60.0, replications, 5, runner, False)
        assert simulator.routed
        return simulator.routed_in()


def test_the_formula_step_for_a_routed_only_desk_is_erlang_c_at_burke_s_rate():
    scenario = sim.from_dict(_burke())
    target = parse_target("80% in 60s")
    rate = 0.4 * 300 / 3600
    erlang = required_agents(rate, 1 / 120, target_sl=0.8, t=60.0)
    # The premise: the agents do not change within the estimate's sampling error. Each
    # hour's rate pools at least one day's count over 16 replications (about 1920
    # contacts, a relative standard error of 2.3%): 4 standard errors either way.
    spec = scenario.queues["b"]
    assert erlang_agents(rate * 0.91, spec, target) == erlang_agents(rate * 1.09, spec, target)
    routed = _routed_in(scenario)
    rates = interval_rates(scenario, "b", 3600.0, routed)
    assert [erlang_agents(r, spec, target) for r in rates] == [erlang] * 24
    # The rate itself, per hour and over the day (a's first seconds aside, its output is
    # Poisson from the start; one day, or both where they pool).
    per_hour = rates * 3600
    assert np.all(np.abs(per_hour - 120.0) <= 4 * np.sqrt(120.0 / 16))
    assert abs(per_hour.mean() - 120.0) <= 3 * np.sqrt(120.0 / 16 / 24)
    assert routed.shares() == {"a": 1.0}


def test_identical_days_pool_and_a_busier_day_stands_alone():
    """Of days equally busy in truth, the routed-in counts differ by noise: all pool.

    Upstream a Friday three times as busy as the weekend is found alone in each hour.
    """
    same = sim.from_dict(_burke(duration="3d"))
    busy = {"rate": "150/h", "weekdays": [1, 1, 1, 1, 3, 1, 1]}
    friday = sim.from_dict(_burke(busy, duration="3d", start="2026-01-09T00:00"))
    first, mask = busiest_days(friday, "b", 3600.0, _routed_in(friday, 4))
    assert first == -1  # row 0 is the day before the start, row 1 the Friday
    assert (mask[1] & ~mask[2:].any(axis=0)).all()
    _, mask = busiest_days(same, "b", 3600.0, _routed_in(same, 4))
    # The busiest count alone (1 day per hour) was the rule; with the slack of 2
    # standard errors, 2.8 of the 3 days pool on average (an hour's range of 3 normal
    # counts passes 2 standard errors of a difference, 2.83 sigma, 16% of the time).
    assert mask[1:4].sum(axis=0).mean() >= 2.0


@pytest.mark.parametrize("own", [None, "10/h"], ids=["routed only", "own and routed"])
def test_the_plan_for_a_routed_desk_holds_in_the_whole_scenario(own):
    """b takes about 20/h of a's escalations (and 10/h of its own); its plan, set, holds.

    Run with the staff it plans, the whole scenario gives b exactly the plan's figures,
    on target everywhere. Before, b with no arrivals of its own was refused; with some,
    it was planned alone, for those, given fewer agent-hours, and missed in most hours
    of the network.
    """
    busy_a = {"arrivals": {"rate": "80/h", "profile": [0.5] * 8 + [1.5] * 8 + [1.0] * 8}}
    busy_a["staff"] = 6
    own_b = {"arrivals": {"rate": own} if own else None}
    data = chain(a=busy_a, b=own_b)
    scenario = sim.from_dict(data)
    plan = sim.staff_plan(scenario, "b", "80% in 60s", rounds=3, workers=1)
    assert plan.meets_target
    if own is None:
        assert plan.routed_share == 1.0
    else:
        assert 0.5 < plan.routed_share < 0.8
    # Measured on the days the plan measured (its baseline's busiest days).
    with backend(1) as runner:
        simulate_b = Simulator(
            scenario, "b", 3600.0, 60.0, plan.replications, plan.seed, runner, False
        )
        busiest = busiest_days(scenario, "b", 3600.0, simulate_b.routed_in())
    count = partial(interval_counts, queue="b", interval=3600.0, threshold=60.0, busiest=busiest)

    def figures_with(staff):
        data["queues"]["b"]["staff"] = staff
        whole = sim.from_dict(data)
        return _figures([count(whole, simulate(whole, r)) for r in range(plan.replications)])

    figures = figures_with(plan.staff_value())
    level, half = figures["service_level"], figures["service_level_ci95"]
    assert np.allclose(level, plan.intervals["service_level"], equal_nan=True)
    assert (level + half.fillna(0) >= 0.8).all()
    if own is None:
        return
    alone = chain(a={**busy_a, "on_unresolved": {"x": 0.3}}, b=own_b)  # b's own arrivals only
    small = sim.staff_plan(sim.from_dict(alone), "b", "80% in 60s", rounds=3, workers=1)
    assert small.agent_hours < plan.agent_hours  # sized for its own third of the contacts
    short = figures_with(small.staff_value())
    # Judged as every plan is, at its bound: it misses in most hours.
    assert misses(short, plan.target).sum() >= 12


def test_a_desk_fed_only_by_queues_without_arrivals_is_refused():
    scenario = sim.from_dict(chain(a={"arrivals": None}))
    with pytest.raises(StaffingError, match=r"neither have the queues .* \(a\): nothing to"):
        resolve_queue(scenario, "b")
    data = chain()
    data["queues"]["z"] = {"staff": 1, "service": exp("1m")}
    with pytest.raises(StaffingError, match="no arrivals of its own and no queue routes"):
        resolve_queue(sim.from_dict(data), "z")


def test_a_routed_desk_a_team_serves_is_refused_for_the_team():
    data = chain()
    data["teams"] = {"back": {"staff": 2, "serves": ["b", "c"]}}
    data["queues"]["b"]["staff"] = 0
    with pytest.raises(StaffingError, match="served by team 'back'"):
        resolve_queue(sim.from_dict(data), "b")


def test_a_routed_desk_s_plan_is_identical_serial_and_with_two_workers():
    scenario = sim.from_dict(chain(**VARIANTS["cycle"]))
    plans = [
        sim.staff_plan(scenario, "b", "80% in 60s", rounds=2, workers=w).to_dict() for w in (1, 2)
    ]
    assert plans[0]["routed_in"]["share"] == 1.0
    assert plans[0] == plans[1]


@pytest.fixture
def cli(capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = sim.cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_staff_cli_plans_the_homepage_s_email_desk(cli, tmp_path):
    common = ("staff", HOMEPAGE, "--queue", "email", "--target", "80% in 4h", "--workers", "1",
              "--replications", "2", "--rounds", "1")  # fmt: skip
    code, out, err = cli(*common)
    assert code == 0, err
    lines = out.splitlines()
    assert "with the queues that reach it: home_enterprise, home_autoreply, home_faq" in lines[1]
    assert lines[2].startswith("routed in: 100% of arrivals, from home_faq (")
    page = tmp_path / "email.html"
    code, out, err = cli(*common, "--json", "--report", page)
    assert code == 0, err
    assert "Routed in: 100% of arrivals, from home_faq (" in page.read_text(encoding="utf-8")
    doc = json.loads(out)
    assert {"queue", "target", "intervals", "shifts", "agent_hours", "meets_target"} <= set(doc)
    routed = doc["routed_in"]
    assert routed["share"] == pytest.approx(1.0)
    assert routed["simulated_with"] == ["home_enterprise", "home_autoreply", "home_faq"]
    assert set(routed["from"]) <= set(routed["simulated_with"])
    assert sum(routed["from"].values()) == pytest.approx(1.0)


def test_staff_cli_refuses_a_desk_nothing_reaches(cli, tmp_path):
    path = tmp_path / "dry.yaml"
    path.write_text(yaml.safe_dump(chain(a={"arrivals": None})))
    code, out, err = cli("staff", path, "--queue", "b", "--target", "80% in 60s")
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {path}: --queue: queue 'b' has no arrivals of its own, and")
    assert "(a)" in err
    assert "Traceback" not in err
