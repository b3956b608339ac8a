"""Running replications: serially or on local processes, always the same numbers.

A replication is a pure function of (scenario, replication number, seed), so the
order and place in which replications run cannot change the results.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from tqdm.auto import tqdm

from sim.engine import simulate
from sim.results import Results
from sim.scenario import Scenario

__all__ = ["run"]


def run(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = 1,
    variant: str = "base",
    progress: bool = False,
) -> Results:
    """Run replications of a scenario.

    Args:
        scenario: a validated scenario (see :func:`sim.load`).
        replications: number of replications (default: the scenario's).
        seed: base seed (default: the scenario's).
        workers: local processes; ``None`` means one per core, 1 runs in this process.
        variant: label carried by every result row.
        progress: show a progress bar.
    """
    n = scenario.replications if replications is None else replications
    if n < 1:
        raise ValueError("replications must be at least 1")
    seed = scenario.seed if seed is None else seed
    workers = min(n, os.cpu_count() or 1) if workers is None else max(1, min(workers, n))
    reps = range(n)
    if workers == 1:
        runs = [simulate(scenario, r, seed) for r in tqdm(reps, disable=not progress, leave=False)]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            jobs = pool.map(simulate, [scenario] * n, reps, [seed] * n)
            runs = list(tqdm(jobs, total=n, disable=not progress, leave=False))
    return Results(scenario, runs, seed, variant)
