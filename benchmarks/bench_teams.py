"""Shared teams: what teams, priorities, breaks and retrials cost, with an Erlang A check.

Five runs with the traffic of the Erlang A benchmark (bench_erlang_a.py): Poisson arrivals
at 100 a minute, exponential service of 1 minute, exponential patience of 2 minutes,
200,000 arrivals, in one process, fastest of ``--repeat`` runs each:

1. textbook SimPy on the single queue with 110 agents (bench_erlang_a.py's peer);
2. ours, the single queue with its own 110 agents (bench_erlang_a.py's model);
3. ours, the arrivals split into two queues (40 and 60 a minute) answered by one shared
   team of 110 agents, oldest first across both: statistically the same pooled queue,
   so its P(abandon) is Erlang A's;
4. the same team with the 40-a-minute queue first (``priority: 1``);
5. the same team with 15% shrinkage (breaks of 9 minutes an hour, 130 agents rostered so
   110.5 are available on average) and callers who try again (probability 0.3, after
   5 minutes on average).

contacts/s counts hops (a retrial is a hop) per CPU second of the call that simulates
(``time.process_time``: on a machine shared with other work, wall time measures the other
work too; on an idle machine the two agree for this single-threaded code).

    .venv/bin/python benchmarks/bench_teams.py            # best of 3 of each
    .venv/bin/python benchmarks/bench_teams.py --quick --repeat 1 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_erlang_a as erlang_bench

import sim
from sim.erlang import erlang_a
from sim.records import Outcome

MINUTE = 60.0


def scenario(n: int, seed: int, variant: str) -> sim.Scenario:
    """The benchmark model in one of the variants (see the module docstring)."""
    data = erlang_bench.our_scenario_dict(n, seed)
    if variant == "single queue":
        return sim.from_dict(data)
    desk = data["queues"].pop("desk")
    del desk["staff"]
    data["queues"] = {
        "first": {**desk, "arrivals": {"rate": "40/min"}},
        "second": {**desk, "arrivals": {"rate": "60/min"}},
    }
    team: dict[str, Any] = {"staff": erlang_bench.AGENTS, "serves": ["first", "second"]}
    if variant != "team":
        data["queues"]["first"]["priority"] = 1
    if variant == "team, priority, breaks, retrials":
        team.update(staff=130, shrinkage=0.15)
        for queue in data["queues"].values():
            queue["retry"] = {"probability": 0.3, "after": {"dist": "exponential", "mean": "5m"}}
    data["teams"] = {"team": team}
    return sim.from_dict(data)


VARIANTS = (
    "single queue",
    "team",
    "team, priority",
    "team, priority, breaks, retrials",
)


def best_of(run, repeat: int) -> tuple[Any, float]:
    """The result and the fewest CPU seconds of ``repeat`` calls."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        result = run()
        best = min(best, time.process_time() - start)
    return result, best


def figures(result: sim.ReplicationResult) -> dict[str, float]:
    """Hops per queue and P(abandon) of first attempts, over finished hops."""
    h = result.hops
    done = h["outcome"] != Outcome.UNFINISHED
    first = done & (h["hop"] == 0)
    abandoned = h["outcome"] == Outcome.ABANDONED
    return {
        "hops": len(h["hop"]),
        "p_abandon_first_attempts": float(abandoned[first].mean()),
        "p_abandon_per_queue": [
            float(abandoned[first & (h["queue"] == q)].mean()) for q in range(len(result.queues))
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 arrivals")
    parser.add_argument("--arrivals", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="fastest of N runs counts")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    args = parser.parse_args(argv)
    n = args.arrivals or (erlang_bench.QUICK_ARRIVALS if args.quick else erlang_bench.FULL_ARRIVALS)
    load = os.getloadavg()
    print(f"{n:,} arrivals, best of {args.repeat}; load average {load[0]:.2f}", file=sys.stderr)
    rows = []
    print("textbook SimPy ...", file=sys.stderr)
    raw, cpu = best_of(lambda: erlang_bench.simpy_simulate(n, args.seed), args.repeat)
    stats = erlang_bench.simpy_stats(raw)
    rows.append(
        {
            "model": "textbook SimPy, single queue",
            "hops": stats.arrivals,
            "cpu_s": cpu,
            "p_abandon_first_attempts": stats.p_abandon,
        }
    )
    for variant in VARIANTS:
        print(f"ours, {variant} ...", file=sys.stderr)
        model = scenario(n, args.seed, variant)
        result, cpu = best_of(lambda m=model: sim.simulate(m), args.repeat)
        rows.append({"model": f"ours, {variant}", "cpu_s": cpu, **figures(result)})
    for row in rows:
        row["contacts_per_s"] = row["hops"] / row["cpu_s"]
    textbook, single = rows[0]["contacts_per_s"], rows[1]["contacts_per_s"]
    for row in rows:
        row["vs_textbook"] = row["contacts_per_s"] / textbook
        row["vs_single_queue"] = row["contacts_per_s"] / single
    exact = erlang_a(erlang_bench.ARRIVAL_RATE, 1.0, erlang_bench.AGENTS, 0.5)
    if args.json:
        doc = {"arrivals": n, "load_average": load, "erlang_a_p_abandon": exact.p_abandon}
        print(json.dumps({**doc, "rows": rows}, indent=2))
        return 0
    print(
        f"\n{'model':<42}{'hops':>9}{'CPU s':>8}{'contacts/s':>12}{'x textbook':>12}"
        f"{'x single':>10}{'P(abandon)':>12}"
    )
    for row in rows:
        print(
            f"{row['model']:<42}{row['hops']:>9,}{row['cpu_s']:>8.2f}{row['contacts_per_s']:>12,.0f}"
            f"{row['vs_textbook']:>12.2f}{row['vs_single_queue']:>10.2f}"
            f"{row['p_abandon_first_attempts']:>12.5f}"
        )
    print(f"{'Erlang A, exact':<93}{exact.p_abandon:>12.5f}")
    team = rows[2]["p_abandon_per_queue"]
    prio = rows[3]["p_abandon_per_queue"]
    print(
        f"\nshared team, oldest first: P(abandon) {team[0]:.5f} and {team[1]:.5f} per queue "
        f"(one pooled queue: both Erlang A's {exact.p_abandon:.5f})"
    )
    print(f"with the first queue first: {prio[0]:.5f} and {prio[1]:.5f}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in load)} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
