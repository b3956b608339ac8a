"""``sim fit`` on a one-million-row log: how long the fit takes (goal: under a minute).

The log is made by simulating a large chat desk (three shifts, patience, a bot at night,
routes to an email back office) for four weeks, one replication, written as a CSV in the
contract's form (ISO date-times, agent names) and spoiled like a real export
(:func:`sim.fit.synthetic.spoil`). Making it is not timed. Timed, with
``time.perf_counter``, best of ``--repeat``:

* **fit**: ``sim.fit.fit(path)`` without the back-test: reading the CSV, cleaning,
  every estimate, writing and validating the scenario;
* **back-test**: the fitted scenario simulated over the log's period
  (``--backtest-replications`` runs on ``--workers`` processes), reported apart because
  it is simulation, not fitting.

    .venv/bin/python benchmarks/bench_fit.py                 # 1,000,000 rows
    .venv/bin/python benchmarks/bench_fit.py --rows 100000 --repeat 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import sim
from sim.fit import synthetic

GOAL_S = 60.0


def desk(rows: int) -> dict:
    """A desk whose four weeks give about ``rows`` log rows."""
    per_hour = rows / (28 * 24 * 1.07)  # about 7% of visits are routed on to email
    agents = max(2, round(per_hour * 4 / 60 * 1.05))
    return {
        "name": "bench-desk",
        "start": "2026-11-02T00:00",
        "duration": "28d",
        "seed": 5,
        "replications": 1,
        "queues": {
            "chat": {
                "arrivals": {
                    "rate": f"{per_hour:.1f}/h",
                    "profile": synthetic.PROFILE,
                    "weekdays": [1, 1, 1, 1, 1.1, 0.8, 0.7],
                },
                "staff": {"three_shift": {"agents": [max(1, agents // 4), agents + 2, agents + 2]}},
                "bot": {"when": "unstaffed", "resolution": 0.4},
                "service": {"dist": "lognormal", "mean": "4m", "cv": 0.9},
                "patience": {"dist": "lognormal", "mean": "5m", "cv": 1.0},
                "resolution": 0.9,
                "on_unresolved": {"email": 0.9},
                "on_abandon": {"email": 0.05},
            },
            "email": {
                "staff": {"three_shift": {"agents": [2, max(2, agents // 5), max(2, agents // 5)]}},
                "service": {"dist": "gamma", "mean": "8m", "cv": 1.0},
            },
        },
    }


def make_log(rows: int, folder: Path) -> tuple[Path, int, float]:
    """Write the spoiled log; return its path, its rows and the seconds it took."""
    start = time.perf_counter()
    log, _ = synthetic.spoil(synthetic.simulate_log(desk(rows)), broken=0.001)
    path = folder / "log.csv"
    log.to_csv(path, index=False)
    return path, len(log), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backtest-replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"making a log of about {args.rows:,} rows ...", file=sys.stderr)
        path, rows, made = make_log(args.rows, Path(tmp))
        size = path.stat().st_size / 2**20
        best, result = float("inf"), None
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = sim.fit.fit(
                path, replications=args.backtest_replications, workers=args.workers
            )
            best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        result.backtest()
        backtest = time.perf_counter() - start
    report = {
        "rows": rows,
        "csv_mib": round(size, 1),
        "make_log_s": round(made, 1),
        "fit_s": round(best, 2),
        "backtest_s": round(backtest, 2),
        "backtest_replications": args.backtest_replications,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "goal_fit_s": GOAL_S,
        "meets_goal": best < GOAL_S,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"log: {rows:,} rows, {size:.0f} MiB CSV (made in {made:.0f} s, not timed)")
        verdict = "PASS" if best < GOAL_S else "MISS"
        print(f"fit (read, clean, estimate, write): {best:.1f} s, best of {args.repeat}; "
              f"goal < {GOAL_S:.0f} s: {verdict}")  # fmt: skip
        print(f"back-test: {backtest:.1f} s for {args.backtest_replications} replications on "
              f"{args.workers} workers")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
