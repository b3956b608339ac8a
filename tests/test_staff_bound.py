"""``sim staff`` judges an interval at its confidence bound, not at its point estimate.

A plan's simulations are few replications on the same random numbers. Judged on the mean
over them, trimming took an agent away wherever those numbers read 80% without it, which
is where they were kind: on an M/M/c queue whose exact service level without the agent
is below the target (Erlang C, :mod:`sim.erlang`), the plan was then short in truth. An
interval now meets the target when the one-sided 95% bound of its figure does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.erlang import mmc_service_level, required_agents
from sim.runner import backend
from sim.staffing import parse_target
from sim.staffing.simulation import Simulator, assured, misses, staircase, trim

# 60 contacts an hour, 5-minute exponential service, all day: M/M/c in every hour.
RATE, MU = 60 / 3600, 1 / 300
QUEUE = {
    "name": "mmc",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "seed": 5,
    "replications": 8,
    "queues": {
        "q": {
            "arrivals": {"rate": "60/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "5m"},
        }
    },
}
TARGET = parse_target("80% in 60s")


@pytest.fixture(scope="module")
def need() -> int:
    """The exact requirement: Erlang C's fewest agents reaching 80% in 60 s."""
    agents = required_agents(RATE, MU, target_sl=0.8, t=60.0)
    # The case is one where an agent fewer misses, but not by so much that few
    # replications could not read it as a meet.
    assert 0.75 < mmc_service_level(60.0, RATE, MU, agents - 1) < 0.8
    return agents


def test_a_lucky_estimate_is_no_meet_and_trimming_keeps_the_agent(need):
    """An agent fewer than Erlang C's requirement misses 80% in truth in every hour.

    An hour's service level varies a lot from replication to replication (busy spells
    last minutes), so eight replications of about 60 contacts an hour read a true 78%
    as 80% or more in a good share of the 23 hours: the point estimate called those
    hours met, and trimming from the requirement took their agent away (in half the
    hours or more at seven seeds of 1-8, this one's among them). Judged at the bound,
    a removal must leave the hour and the next one at 80% with 95% confidence, and
    trimming keeps the requirement in every hour. The first hour is left out: the
    queue starts empty at midnight, better off than Erlang C's steady state.
    """
    scenario = sim.from_dict(QUEUE)
    with backend(1) as runner:
        simulate = Simulator(scenario, "q", 3600.0, 60.0, 8, scenario.seed, runner, False)
        fewer = simulate(staircase(np.full(24, need - 1), 3600.0))
        # The old criterion's failure: hours short in truth read as meeting the target.
        assert (fewer["service_level"].to_numpy()[1:] >= TARGET.value).any()
        start = np.full(24, need)
        agents, _ = trim(
            simulate,
            start,
            figures=simulate(staircase(start, 3600.0)),
            target=TARGET,
            floor=np.ones(24, dtype=int),
            rounds=4,
        )
    assert (agents[1:] >= need).all()


def _figures(mean: float, margin: float, contacts: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "service_level": [mean],
            "service_level_margin": [margin],
            "service_level_contacts": [contacts],
        }
    )


def test_the_bound_is_the_mean_less_its_margin_where_the_interval_has_contacts_enough():
    # 80%: n p (1 - p) >= 5 needs 31.25, so 32 contacts.
    assert TARGET.min_contacts == 32
    assert assured(_figures(0.85, 0.04, 32), TARGET) == pytest.approx([0.81])
    assert not misses(_figures(0.85, 0.04, 32), TARGET).any()
    assert misses(_figures(0.85, 0.06, 32), TARGET).all()


def test_a_sparse_interval_is_judged_on_its_mean():
    """A t bound on a share of a few 0s and 1s means nothing: the mean decides there.

    Else an hour with a contact or two a night would be staffed until every replication
    answered every contact in time.
    """
    assert assured(_figures(0.85, 0.30, 31), TARGET) == pytest.approx([0.85])
    assert not misses(_figures(0.85, 0.30, 31), TARGET).any()
    # No bound (fewer than two replications with contacts), or no contacts at all.
    assert not misses(_figures(0.85, float("nan"), 40), TARGET).any()
    assert not misses(_figures(float("nan"), float("nan"), 0), TARGET).any()


@pytest.mark.parametrize(
    ("text", "contacts"),
    [("95% in 20s", 106), ("abandon 5%", 106), ("50% in 1m", 20), ("mean wait 2m", 30)],
)
def test_the_contacts_a_bound_needs_follow_the_target(text, contacts):
    assert parse_target(text).min_contacts == contacts


def test_a_wait_or_abandonment_is_judged_at_its_upper_bound():
    target = parse_target("mean wait 2m")
    figures = pd.DataFrame(
        {"mean_wait_s": [100.0], "mean_wait_s_margin": [30.0], "mean_wait_s_contacts": [500]}
    )
    assert assured(figures, target) == pytest.approx([130.0])
    assert misses(figures, target).all()


def test_a_converged_plan_still_meets_its_target_in_shifts():
    """The shifts put agents on duty at other times than the per-interval agents did.

    So the plan runs other random paths, and a bound that just held can tip: on the
    shipped desk at its own seed, for a mean wait of 30 s, the plan's 19:00-20:00 bound
    came out a fraction of a second over 30 s, and ``sim staff`` exited 1 on the plan
    its own correction had settled. Where a bound tips, that interval gets an agent more
    and the shifts are chosen again, within the simulations ``max_calls`` promises.
    """
    livestream = Path(__file__).resolve().parents[1] / "scenarios" / "livestream_promo_peak.yaml"
    plan = sim.staff_plan(livestream, "live_peak", "mean wait 30s", workers=1)
    assert plan.corrected
    assert plan.meets_target
    table = plan.intervals
    assert (table["planned_agents"] >= table["simulated_agents"]).all()
