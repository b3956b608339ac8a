"""Memory per queue visit, measured: the figures behind the workload guard (``sim.workload``).

``sim.workload`` estimates a command's memory as queue visits (hop records) x bytes per
visit, with three constants, and the visits from the scenario's arrivals and routes
(``expected_visits``). The constants are measured here on every shipped scenario, with
the arrival rates scaled so that one replication has about ``--contacts`` arrivals (the
fixed cost of a replication, its SimPy environment and random streams, then no longer
counts), each in a fresh process (``spawn``), as the operating system counts memory:

* ``running``: what a worker needs to run one replication and send its result to the
  parent (``sim.simulate``, then pickling the result): the rise of the process's peak
  resident set size (``ru_maxrss``) over its size before, per visit. Python's
  allocator keeps freed memory, and the result travels as a copy, so this is several
  times what ``tracemalloc`` sees (``traced``, the peak of Python's allocations plus
  the records' memory maps, given beside it);
* ``kept``: what the parent holds per finished replication: the rise of the resident
  set size while three copies of the result are unpickled, per visit and copy (the
  records are 55 bytes a visit and 10 a contact);
* ``written``: the extra peak of building and writing the per-contact table
  (``Results.contacts().to_csv``, what ``sim run --out`` does), per visit, traced.

Per visit, a scenario of about one visit per arrival costs the most: its per-contact
columns weigh on each visit. The largest figure over the scenarios is what the constants
in ``sim/workload.py`` must cover; ``est/sim`` is ``expected_visits`` over the simulated
visits (at least 1: the estimate is an upper bound).

Usage::

    .venv/bin/python benchmarks/bench_memory.py
    .venv/bin/python benchmarks/bench_memory.py --contacts 50000 --json
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import multiprocessing
import pickle
import resource
import tempfile
import tracemalloc
from pathlib import Path

import sim
from sim.workload import (
    BYTES_KEPT_PER_VISIT,
    BYTES_RUNNING_PER_VISIT,
    BYTES_WRITTEN_PER_VISIT,
    expected_arrivals,
    expected_visits,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(ROOT.glob("scenarios/*.yaml")) + sorted(ROOT.glob("scenarios/document/*.yaml"))


def _scaled(path: Path, contacts: float) -> sim.Scenario:
    """The scenario with every arrival rate scaled to about ``contacts`` per replication."""
    scenario = sim.load(path)
    factor = contacts / max(sum(expected_arrivals(scenario).values()), 1.0)
    overrides = [
        f"queues.{name}.arrivals.rate={queue.arrivals.rate * factor * 3600!r}/h"
        for name, queue in scenario.queues.items()
        if queue.arrivals is not None
    ]
    return sim.load(path, overrides)


def _rss() -> int:
    """The process's resident set size now, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _peak_rss() -> int:
    """The process's largest resident set size so far, in bytes (Linux: KiB counted)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(path: Path, contacts: float) -> dict[str, float]:
    """Bytes per visit of one replication of the scaled scenario, in fresh processes."""
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        sent = Path(folder) / "result.pickle"
        with spawn.Pool(1) as pool:
            figures = pool.apply(_run, (path, contacts, sent))
        with spawn.Pool(1) as pool:  # a parent holding results, nothing freed before
            kept = pool.apply(_keep, (sent, 3))
    return {**figures, "kept": kept / figures["visits"]}


def _run(path: Path, contacts: float, sent: Path) -> dict[str, float]:
    """One replication as a worker runs it; its result pickled to ``sent``."""
    scenario = _scaled(path, contacts)
    gc.collect()
    before = max(_rss(), _peak_rss())
    tracemalloc.start()
    result = sim.simulate(scenario, 0)
    traced = tracemalloc.get_traced_memory()[1] + sum(c.nbytes for c in result.hops.values())
    tracemalloc.stop()
    data = pickle.dumps(result)  # what a worker sends to the parent
    running = _peak_rss() - before
    sent.write_bytes(data)
    del data
    arrivals = int((result.hops["hop"] == 0).sum())
    visits = len(result.hops["hop"])
    results = sim.Results(scenario, [result], scenario.seed)
    tracemalloc.start()
    results.contacts().to_csv(io.StringIO(), index=False)
    written = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "arrivals": arrivals,
        "visits": visits,
        "visits_per_arrival": visits / max(arrivals, 1),
        "estimated_over_simulated": expected_visits(scenario) / visits,
        "traced": traced / visits,
        "running": running / visits,
        "written": written / visits,
    }


def _keep(sent: Path, copies: int) -> float:
    """The rise of the resident set size per copy of the result unpickled from ``sent``."""
    gc.collect()
    before = _rss()
    kept = []
    for _ in range(copies):
        with sent.open("rb") as f:
            kept.append(pickle.load(f))
    return (_rss() - before) / copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=float, default=100_000, help="arrivals per run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = {str(p.relative_to(ROOT)): measure(p, args.contacts) for p in SCENARIOS}
    constants = {
        "running": BYTES_RUNNING_PER_VISIT,
        "kept": BYTES_KEPT_PER_VISIT,
        "written": BYTES_WRITTEN_PER_VISIT,
    }
    largest = {k: max(r[k] for r in rows.values()) for k in constants}
    if args.json:
        print(json.dumps({"scenarios": rows, "largest": largest, "constants": constants}))
        return
    print(f"bytes per queue visit, one replication of about {args.contacts:,.0f} arrivals")
    head = f"{'scenario':<45}{'vis/arr':>8}{'est/sim':>8}{'traced':>8}"
    print(head + f"{'running':>9}{'kept':>9}{'written':>9}")
    for name, r in rows.items():
        print(
            f"{name:<45}{r['visits_per_arrival']:>8.2f}{r['estimated_over_simulated']:>8.2f}"
            f"{r['traced']:>8.0f}{r['running']:>9.0f}{r['kept']:>9.0f}{r['written']:>9.0f}"
        )
    print(f"{'largest':<69}" + "".join(f"{largest[k]:>9.0f}" for k in constants))
    print(f"{'sim.workload constants':<69}" + "".join(f"{v:>9}" for v in constants.values()))


if __name__ == "__main__":
    main()
