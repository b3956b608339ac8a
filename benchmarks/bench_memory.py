"""Memory per contact, measured: the figures behind the workload guard (``sim.workload``).

``sim.workload`` estimates a command's memory as contacts x bytes per contact, with three
constants. They are measured here on every shipped scenario, with the arrival rates
scaled so that one replication has about ``--contacts`` arrivals (the fixed cost of a
replication, its SimPy environment and random streams, then no longer counts), using
``tracemalloc`` (numpy buffers are traced too). The engine keeps its hop records in
anonymous memory maps (``sim.records``), which ``tracemalloc`` does not see: their bytes
(the finished records' ``nbytes``, the most the maps hold) are added to both figures.

* ``running``: the peak while one replication runs (:func:`sim.simulate`), per arrival;
* ``kept``: what the finished replication holds (its records), per arrival;
* ``written``: the extra peak of building and writing the per-contact table
  (``Results.contacts().to_csv``, what ``sim run --out`` does), per arrival.

Arrivals are external arrivals; contacts routed on to other queues add records, so a
network costs more per arrival than a single queue. The largest figure over the
scenarios is what the constants in ``sim/workload.py`` must cover.

Usage::

    .venv/bin/python benchmarks/bench_memory.py
    .venv/bin/python benchmarks/bench_memory.py --contacts 50000 --json
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import tracemalloc
from pathlib import Path

import sim
from sim.workload import (
    BYTES_KEPT_PER_CONTACT,
    BYTES_RUNNING_PER_CONTACT,
    BYTES_WRITTEN_PER_CONTACT,
    expected_arrivals,
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


def measure(path: Path, contacts: float) -> dict[str, float]:
    """Bytes per arrival of one replication of the scaled scenario (see the docstring)."""
    scenario = _scaled(path, contacts)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = sim.simulate(scenario, 0)
    mapped = sum(column.nbytes for column in result.hops.values())
    kept, running = (m - base + mapped for m in tracemalloc.get_traced_memory())
    arrivals = int((result.hops["hop"] == 0).sum())
    results = sim.Results(scenario, [result], scenario.seed)
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    results.contacts().to_csv(io.StringIO(), index=False)
    written = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return {
        "arrivals": arrivals,
        "hops_per_arrival": len(result.hops["hop"]) / max(arrivals, 1),
        "running": running / arrivals,
        "kept": kept / arrivals,
        "written": written / arrivals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=float, default=100_000, help="arrivals per run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = {str(p.relative_to(ROOT)): measure(p, args.contacts) for p in SCENARIOS}
    constants = {
        "running": BYTES_RUNNING_PER_CONTACT,
        "kept": BYTES_KEPT_PER_CONTACT,
        "written": BYTES_WRITTEN_PER_CONTACT,
    }
    largest = {k: max(r[k] for r in rows.values()) for k in constants}
    if args.json:
        print(json.dumps({"scenarios": rows, "largest": largest, "constants": constants}))
        return
    print(f"bytes per external arrival, one replication of about {args.contacts:,.0f} arrivals")
    print(f"{'scenario':<45}{'hops/arr':>9}{'running':>9}{'kept':>9}{'written':>9}")
    for name, r in rows.items():
        print(
            f"{name:<45}{r['hops_per_arrival']:>9.2f}{r['running']:>9.0f}"
            f"{r['kept']:>9.0f}{r['written']:>9.0f}"
        )
    print(f"{'largest':<45}{'':>9}" + "".join(f"{largest[k]:>9.0f}" for k in constants))
    print(f"{'sim.workload constants':<45}{'':>9}" + "".join(f"{v:>9}" for v in constants.values()))


if __name__ == "__main__":
    main()
