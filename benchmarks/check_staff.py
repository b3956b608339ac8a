"""Check ``sim staff`` plans on random numbers they were not made on.

A plan is made from a scenario's few replications (often 8-10), every simulation of it
on the same random numbers. This script makes plans at several seeds, then simulates
each (its shifts, and the per-interval agents before the shifts) with many replications
at another seed, and counts the intervals whose service level there, the plan's
figure in truth to within the check's CI, falls short of the target: short at all, and
short beyond that CI. Erlang's agents are checked for reference.

Usage (the README's staff section quotes its figures):
    .venv/bin/python benchmarks/check_staff.py scenarios/livestream_promo_peak.yaml \\
        --queue live_peak --target "80% in 60s" --seeds 1-30 --check 200

Each plan's line is printed as it comes; the totals follow. A queue fed by routes from
other queues is not supported (the check would need its routed-in baseline).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np

from sim.loader import load
from sim.runner import backend
from sim.staffing import staff_plan
from sim.staffing.formula import busiest_days
from sim.staffing.network import feeders, network
from sim.staffing.simulation import Simulator, staircase

AGENTS = {"plan": "planned_agents", "per interval": "simulated_agents", "Erlang": "erlang_agents"}


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main(argv: list[str] | None = None) -> int:
    """Make the plans, check them, print what falls short."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--queue", required=True)
    parser.add_argument("--target", default="80% in 60s")
    parser.add_argument("--seeds", default="1-10", help="plan seeds, FIRST-LAST")
    parser.add_argument("--check", type=int, default=200, help="replications of each check")
    args = parser.parse_args(argv)
    scenario = load(args.scenario)
    if feeders(scenario, args.queue):
        sys.exit(f"{args.queue}: a queue fed by routes is not supported")
    totals = {name: np.zeros(3, dtype=int) for name in AGENTS}
    hours = []
    for seed in _seeds(args.seeds):
        plan = staff_plan(scenario, args.queue, args.target, seed=seed, workers=1)
        target = plan.target
        threshold = (
            target.threshold if target.kind == "service_level" else scenario.service_level_threshold
        )
        hours.append(plan.agent_hours)
        runs = [(network(scenario, args.queue), args.check)]
        with backend(1, None, runs=runs) as runner:
            check = Simulator(
                scenario, args.queue, plan.interval, threshold, args.check,
                10_000 + seed, runner, False,
            )  # fmt: skip
            check = replace(check, busiest=busiest_days(scenario, args.queue, plan.interval))
            line = [f"seed {seed}: {plan.agent_hours:g} agent-hours"]
            for name, column in AGENTS.items():
                agents = plan.intervals[column].to_numpy()
                staff = plan.shifts if name == "plan" else staircase(agents, plan.interval)
                figures = check(staff)
                mean = figures[target.metric].to_numpy()
                short = target.shortfall(mean) > 0
                beyond = ~target.met(mean, figures[f"{target.metric}_ci95"])
                worst = float(np.max(target.shortfall(mean) * target.value, initial=0.0))
                totals[name] += [int((~np.isnan(mean)).sum()), short.sum(), beyond.sum()]
                line.append(f"{name} short in {short.sum()} ({beyond.sum()} beyond CI, "
                            f"worst by {worst:.3f})")  # fmt: skip
        print("; ".join(line), flush=True)
    print(f"{len(hours)} plans, {np.mean(hours):.1f} agent-hours a day on average")
    for name, (n, short, beyond) in totals.items():
        print(f"{name}: short in {short} of {n} intervals ({100 * short / n:.1f}%), "
              f"beyond the check's CI in {beyond} ({100 * beyond / n:.1f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
