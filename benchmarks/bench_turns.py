"""Textbook SimPy and the joined platform timed in turn: issue 12's platform ratio per pair.

``bench_erlang_a.py`` times textbook SimPy's Erlang A three times, then Ciw and salabim,
then the platform three times: minutes apart. On a machine whose speed drifts between
minutes, the ratio of the two fastest runs then measures the drift as much as the engine.
Here each pair is one textbook run (200,000 Erlang-A arrivals, ``bench_erlang_a.py``'s
model) followed at once by one platform run (13 weeks, ``sim.simulate``), in one process;
each pair's ratio (platform visits per CPU second over textbook contacts per CPU second)
is printed, with the median. Nothing is asserted.

Usage:
    .venv/bin/python benchmarks/bench_turns.py [--pairs 3] [--duration 91d]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_erlang_a import PLATFORM, cpu_caches, simpy_simulate  # the folder is not a package

ARRIVALS = 200_000


def cpu_seconds(run: Callable[[], object]) -> float:
    """CPU seconds of one call of ``run``, after a collection."""
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    """Print each pair's rates and ratio, and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="textbook-then-platform pairs")
    parser.add_argument("--duration", default="91d", help="the platform's run (default 91d)")
    args = parser.parse_args(argv)

    import sim

    scenario = sim.load(PLATFORM, overrides=[f"duration={args.duration}"])
    visits = int(sim.simulate(scenario).n_records)  # also warms the imports and caches
    print(
        f"load average at the start: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores;"
        f" {cpu_caches()}"
    )
    ratios = []
    for _ in range(args.pairs):
        textbook = ARRIVALS / cpu_seconds(lambda: simpy_simulate(ARRIVALS, 1))
        platform = visits / cpu_seconds(lambda: sim.simulate(scenario))
        ratios.append(platform / textbook)
        print(f"textbook SimPy {textbook:,.0f} contacts/s, platform {platform:,.0f} visits/s: "
              f"{ratios[-1]:.2f}x")  # fmt: skip
    print(f"median of {args.pairs} pairs: {statistics.median(ratios):.2f}x (goal: 5x)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
