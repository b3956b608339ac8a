"""How often the reported 95% CIs cover the closed form, where the tests do not look.

``tests/test_coverage.py`` checks coverage where the t interval's assumptions hold (a
window of many relaxation times). This script measures it where they are strained, on
the same tiny M/M/3 queue (30 s service, 10 replications per seed):

* the mean wait at load 0.5 and 0.75 with 60 and 140 minute windows (per-replication
  mean waits are right-skewed when a window holds few busy periods);
* the p90 and p95 waits (a replication's sample quantile, averaged over replications,
  is biased low by the few waits in the tail of one replication);
* ``sim validate``'s sequential stopping with the true figure on the edge of the pass
  band, in its middle and far outside it (abandonment of an Erlang A queue).

Each line gives the covers out of the seeds run and the central 99% range of
Binomial(seeds, 0.95), what a correct 95% interval gives.

    .venv/bin/python benchmarks/bench_coverage.py               # 400 seeds, ~2 CPU min
    .venv/bin/python benchmarks/bench_coverage.py --seeds 100 --workers 2
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np
from scipy import stats

import sim
from sim import erlang
from sim.validate import validate

MU = 1 / 30
AGENTS = 3


def scenario(rate_per_min: float, window_min: int, patience: bool = False) -> dict[str, Any]:
    queue: dict[str, Any] = {
        "arrivals": {"rate": f"{rate_per_min}/min"},
        "staff": AGENTS,
        "service": {"dist": "exponential", "mean": "30s"},
    }
    if patience:
        queue["patience"] = {"dist": "exponential", "mean": "1m"}
    return {
        "name": "coverage",
        "start": "2026-01-05T00:00",
        "duration": f"{60 + window_min}m",
        "warmup": "60m",  # 6 relaxation times at load 0.75 (9.3 min)
        "seed": 1,
        "replications": 10,
        "queues": {"q": queue},
    }


def band(n: int) -> str:
    low, high = stats.binom.interval(0.99, n, 0.95)
    return f"{int(low)}..{int(high)}"


def line(what: str, hits: int, n: int, extra: str = "") -> None:
    print(f"{what:<44} {hits:>4}/{n:<4} (correct: {band(n)}) {extra}")


def cells(seeds: int, workers: int) -> None:
    for rate, window in ((3, 60), (3, 140), (4.5, 60), (4.5, 140)):
        lam = rate / 60
        data = scenario(rate, window)
        table = sim.sweep(data, {"seed": list(range(10_000, 10_000 + seeds))}, workers=workers)
        c = erlang.erlang_c(AGENTS, lam / MU)
        decay = AGENTS * MU - lam
        truth = {"mean_wait_s": erlang.mmc_mean_wait(lam, MU, AGENTS)}
        # P(wait > t) = C exp(-(c mu - lam) t): the quantile, 0 when C is below its tail.
        truth |= {f"p{p}_wait_s": max(0.0, math.log(c / (1 - p / 100)) / decay) for p in (90, 95)}
        rho = lam / MU / AGENTS
        for metric, value in truth.items():
            hits = int((np.abs(table[metric] - value) <= table[f"{metric}_ci95"]).sum())
            mean = table[metric].mean()
            line(
                f"load {rho:.2f}, {window} min: {metric}",
                hits,
                seeds,
                f"mean {mean:.2f} s, truth {value:.2f} s",
            )


def sequential(seeds: int, workers: int) -> None:
    lam, theta = 4 / 60, 1 / 60
    truth = erlang.erlang_a(lam, MU, AGENTS, theta).p_abandon
    for where, value in (
        ("on the band's edge", truth * 1.1),
        ("centred", truth),
        ("far", truth * 1.5),
    ):
        data = scenario(4, 60, patience=True)
        data["replications"] = 64
        data["targets"] = [
            {"queue": "q", "metric": "abandon_rate", "value": value, "tolerance": "10%"}
        ]
        rows = [
            validate(sim.from_dict(data), seed=seed, workers=workers)[0]
            for seed in range(300, 300 + seeds)
        ]
        hits = sum(abs(r.simulated - truth) <= r.ci95 for r in rows)
        reps = np.mean([r.replications for r in rows])
        line(f"sequential validate, truth {where}", hits, seeds, f"mean {reps:.1f} replications")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    cells(args.seeds, args.workers)
    sequential(args.seeds // 2, args.workers)


if __name__ == "__main__":
    main()
