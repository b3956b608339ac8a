"""What each local worker process costs in memory of its own: the workload guard's figure.

``sim.workload`` counts, beside the records, each worker process's own fixed memory
(:data:`sim.workload.BYTES_PER_WORKER`), so that ``--workers 1000`` on a small scenario
is refused with its estimate instead of forking a thousand interpreters. A worker is
forked from the parent (``sim.pool``) and shares the parent's pages until it writes to
them; Python writes to every object it touches (reference counts) and, in a full
collection, to every object the parent made (the collector's headers), so a busy worker
ends up with a private copy of most of the parent's heap. What a worker costs the
machine is that private memory (USS: private clean and dirty pages, from
``/proc/PID/smaps_rollup``).

This script runs ``sim run SCENARIO --workers N -n R`` as a child process (the default:
the smallest shipped scenario, 2,000 replications, so each worker runs hundreds and goes
through full collections, and a replication's own memory is small beside the fixed part),
samples every worker's private memory every 20 ms, and prints each worker's peak beside
the figure ``sim.workload`` uses. Linux only.

Usage::

    .venv/bin/python benchmarks/bench_workers.py [SCENARIO] [--workers 2] [-n 2000] [--json]
    .venv/bin/python benchmarks/bench_workers.py -n 3000 --plots   # sim run --out DIR --plots
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from sim.workload import BYTES_PER_WORKER

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024**2


def _private(pid: int) -> int:
    """A process's private memory (USS) in bytes (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total


def peak_private(command: list[str]) -> dict[int, int]:
    """Run ``command``; the peak private memory of each of its child processes (bytes)."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    child = subprocess.Popen(command, cwd=ROOT, **quiet)
    root = psutil.Process(child.pid)
    peaks: dict[int, int] = {}
    while True:
        try:
            pids = [p.pid for p in root.children(recursive=True)]
        except psutil.NoSuchProcess:
            pids = []
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), _private(pid))
        done, status, _ = os.wait4(child.pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    if code != 0:
        raise SystemExit(f"{' '.join(command)}: exit code {code}")
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ROOT / "scenarios/small_merchant_order_chat.yaml"
    parser.add_argument("scenario", nargs="?", type=Path, default=default)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("-n", "--replications", type=int, default=2000)
    parser.add_argument("--plots", action="store_true", help="run with --out DIR --plots")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    command = [sys.executable, "-m", "sim", "run", str(args.scenario), "--allow-large"]
    command += ["--workers", str(args.workers), "-n", str(args.replications)]
    with tempfile.TemporaryDirectory() as folder:
        extra = ["--out", str(Path(folder) / "out"), "--plots"] if args.plots else []
        peaks = peak_private(command + extra)
    if args.json:
        print(json.dumps(list(peaks.values())))
        return
    for i, peak in enumerate(peaks.values()):
        print(f"worker {i}: peak private memory {peak / MIB:.1f} MiB")
    most = max(peaks.values(), default=0)
    print(f"largest: {most / MIB:.1f} MiB; sim.workload uses {BYTES_PER_WORKER / MIB:.0f} MiB")


if __name__ == "__main__":
    main()
