"""The workload guard's memory estimate against what ``sim run`` really uses.

For every shipped scenario (or those given), ``sim run SCENARIO --allow-large`` runs as
a child process, at the file's replications and the default workers, while this script
samples the memory of its process tree every 20 ms: the sum of the processes'
proportional set sizes (PSS, from ``/proc/PID/smaps_rollup``: pages the forked workers
share with the parent count once, split between them), and, from the kernel's
accounting when the child ends, the maximum resident set size of the largest process
(what ``/usr/bin/time -v`` prints). Beside them, the estimate ``sim run`` checks
against its 2 GiB limit (:func:`sim.workload.estimate`, ``keep=True``, for the same
workers) and the visits it expects per replication.

The estimate counts the records and the running replications, not the interpreter and
libraries every process holds (the parent's, and each worker's own, which
``benchmarks/bench_workers.py`` measures): the smallest scenarios show that fixed part.
Linux only.

Usage::

    .venv/bin/python benchmarks/bench_guard.py [SCENARIO ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

import sim
from sim.runner import default_workers
from sim.workload import estimate, expected_arrivals, expected_visits

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(ROOT.glob("scenarios/*.yaml")) + sorted(ROOT.glob("scenarios/document/*.yaml"))
MIB = 1024**2


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_memory(command: list[str]) -> tuple[float, float]:
    """Run ``command``; the peak of its tree's summed PSS, and the largest max RSS (bytes)."""
    # Its output is not what is measured; a failure shows as the exit code.
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    child = subprocess.Popen(command, cwd=ROOT, **quiet)
    root = psutil.Process(child.pid)
    peak = 0
    while True:
        try:
            pids = [child.pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.NoSuchProcess:
            pids = []
        peak = max(peak, sum(_pss(pid) for pid in pids))
        # wait4 reaps the child and gives its accounting (its waited-for workers' too).
        done, status, usage = os.wait4(child.pid, os.WNOHANG)
        if done:
            child.returncode = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit code {child.returncode}")
    return peak, usage.ru_maxrss * 1024.0


def measure(path: Path) -> dict[str, float]:
    """The estimate and the measured peaks of ``sim run`` on one scenario file."""
    scenario = sim.load(path)
    workers = default_workers()
    arrivals = sum(expected_arrivals(scenario).values())
    work = estimate([(scenario, scenario.replications)], keep=True, workers=workers)
    command = [sys.executable, "-m", "sim", "run", str(path), "--allow-large"]
    pss, rss = peak_memory(command)
    return {
        "replications": scenario.replications,
        "arrivals": arrivals,
        "visits": expected_visits(scenario),
        "estimate": work.memory_bytes,
        "pss": pss,
        "max_rss": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=SCENARIOS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = {str(p.resolve().relative_to(ROOT)): measure(p.resolve()) for p in args.scenarios}
    if args.json:
        print(json.dumps(rows))
        return
    print(f"sim run, default workers ({default_workers()}); memory in MiB")
    head = f"{'scenario':<42}{'reps':>5}{'arrivals':>9}{'vis/arr':>8}"
    print(head + f"{'estimate':>9}{'PSS sum':>9}{'max RSS':>9}")
    for name, r in rows.items():
        print(
            f"{name:<42}{r['replications']:>5}{r['arrivals']:>9,.0f}"
            f"{r['visits'] / r['arrivals']:>8.2f}{r['estimate'] / MIB:>9.0f}"
            f"{r['pss'] / MIB:>9.0f}{r['max_rss'] / MIB:>9.0f}"
        )


if __name__ == "__main__":
    main()
