"""``sim validate scenarios/document`` timed beside textbook SimPy: issue 12's goal 3.

The goal is at most 10 s of wall clock on 2 cores, on the issue's machine: one that ran
textbook SimPy's Erlang A at about 29,000 contacts a second (200,000 in about 6.9 s).
The development hosts differ from it, and one host's speed drifts by half between hours,
so textbook SimPy (``bench_erlang_a.py``'s model, CPU seconds) is timed just before and
just after each run of the command as a user runs it (a fresh ``sim`` process, wall
clock and the CPU of it and its workers). Each run prints both rates, whether every
target passed, and the command's time **scaled** to the issue's machine (wall x the mean
of the two rates / 29,000; before stop 34, the rate before only): an estimate that
assumes the command slows as textbook SimPy does, which it does not exactly (the
platform keeps more of the cache hot: ``benchmarks/README.md``). Nothing is asserted.

Usage:
    .venv/bin/python benchmarks/bench_validate.py [--pairs 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_erlang_a import cpu_caches, simpy_simulate  # the folder is not a package

ROOT = Path(__file__).resolve().parents[1]
SIM = Path(sys.executable).with_name("sim")
ISSUE_RATE = 200_000 / 6.9  # textbook SimPy on the issue's machine, contacts per second
GOAL_S = 10.0
ARRIVALS = 100_000
_VERDICT = re.compile(r"(\d+) of (\d+) checks pass; (\d+) of (\d+) fits pass")
_COUNT = re.compile(r"(\d+) replications, as the targets needed")


def textbook_rate() -> float:
    """Textbook SimPy's Erlang-A contacts per CPU second, one run."""
    gc.collect()
    start = time.process_time()
    simpy_simulate(ARRIVALS, 1)
    return ARRIVALS / (time.process_time() - start)


def validate(workers: int) -> tuple[float, float, str]:
    """Wall and CPU seconds (the command and its workers) of one validation, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(SIM), "validate", "scenarios/document", "--workers", str(workers)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"sim validate exited {done.returncode}:\n{done.stderr}")
    return wall, cpu, done.stdout


def summary(output: str) -> str:
    """The replications used and the pass counts, as the command printed them."""
    verdict, count = _VERDICT.search(output), _COUNT.search(output)
    if verdict is None or count is None:
        return "(output not recognised)"
    checks, fits = f"{verdict[1]}/{verdict[2]}", f"{verdict[3]}/{verdict[4]}"
    return f"{count[1]} replications, checks {checks}, fits {fits}"


def main(argv: list[str] | None = None) -> None:
    """Print each pair, and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="textbook-then-validate pairs")
    parser.add_argument("--workers", type=int, default=2, help="sim validate --workers")
    args = parser.parse_args(argv)
    textbook_rate()  # warms the imports
    print(
        f"load average at the start: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores;"
        f" {cpu_caches()}"
    )
    walls, scaled = [], []
    rate = textbook_rate()
    for _ in range(args.pairs):
        wall, cpu, output = validate(args.workers)
        # The host's speed drifts within minutes: the rate just before and just after.
        after = textbook_rate()
        walls.append(wall)
        scaled.append(wall * (rate + after) / 2 / ISSUE_RATE)
        print(
            f"textbook SimPy {rate:,.0f} then {after:,.0f} contacts/s; sim validate"
            f" {wall:.2f} s wall, {cpu:.2f} s CPU ({summary(output)}); scaled to the"
            f" issue's machine {scaled[-1]:.2f} s"
        )
        rate = after
    print(
        f"median of {args.pairs}: {statistics.median(walls):.2f} s wall here, "
        f"{statistics.median(scaled):.2f} s scaled (goal: {GOAL_S:g} s on the issue's machine, "
        f"{ISSUE_RATE:,.0f} contacts/s)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
