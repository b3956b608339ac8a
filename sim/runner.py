"""Running replications: serially, on local processes or on a Dask cluster, same numbers.

A replication is a pure function of (scenario, replication number, seed), so the
order and place in which replications run cannot change the results: every backend
returns exactly what the serial loop returns, in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, NamedTuple

from tqdm import tqdm

from sim.engine import ReplicationResult, simulate
from sim.results import Results
from sim.scenario import Scenario

__all__ = [
    "Backend",
    "ClusterError",
    "Task",
    "backend",
    "default_workers",
    "map_replications",
    "run",
]


# Applied to each replication where it ran, so only the (small) reduced value travels.
Reducer = Callable[[Scenario, ReplicationResult], Any]


class Task(NamedTuple):
    """One replication to run: the engine's arguments."""

    scenario: Scenario
    replication: int
    seed: int


class ClusterError(RuntimeError):
    """The Dask scheduler cannot be used (extra not installed, or unreachable)."""


def default_workers() -> int:
    """Local processes used when none are asked for: one per core."""
    return os.cpu_count() or 1


def _job(scenario: Scenario, replication: int, seed: int, reduce: Reducer | None) -> Any:
    result = simulate(scenario, replication, seed)
    return result if reduce is None else reduce(scenario, result)


def _job_tuple(args: tuple[Scenario, int, int, Reducer | None]) -> Any:
    return _job(*args)


class Backend:
    """Where replications run: this process, a local process pool or a Dask client.

    Open one with :func:`backend` to run several batches on the same pool or client.
    """

    def __init__(self, pool: Executor | None = None, workers: int = 1, client: Any = None) -> None:
        self.pool = pool
        self.workers = workers
        self.client = client

    def map(
        self, tasks: Sequence[Task], reduce: Reducer | None = None, progress: bool = False
    ) -> list[Any]:
        """Results (or ``reduce`` of them) of ``tasks``, in task order."""
        bar = {"total": len(tasks), "disable": not progress, "leave": False}
        if self.client is not None:
            return _on_dask(self.client, tasks, reduce, progress)
        if self.pool is None:
            return [_job(*task, reduce) for task in tqdm(tasks, **bar)]
        # Several replications per message: a replication can take only milliseconds.
        chunk = max(1, len(tasks) // (self.workers * 4))
        jobs = self.pool.map(_job_tuple, [(*task, reduce) for task in tasks], chunksize=chunk)
        return list(tqdm(jobs, **bar))


@contextmanager
def backend(
    workers: int | None = None, scheduler: Any = None, *, tasks: int | None = None
) -> Iterator[Backend]:
    """Open the backend for ``workers`` / ``scheduler``, closing what it opened on exit.

    Args:
        workers: local processes; ``None`` means one per core, 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:8786``) or a
            ``distributed.Client``; when given, ``workers`` is ignored.
        tasks: how many tasks will run at most (no more processes are started).

    Raises:
        ClusterError: ``scheduler`` given but Dask distributed is missing or unreachable.
    """
    if scheduler is not None:
        client, owned = _client(scheduler)
        try:
            yield Backend(client=client)
        finally:
            if owned:
                client.close()
        return
    workers = default_workers() if workers is None else workers
    workers = max(1, min(workers, tasks if tasks is not None else workers))
    if workers == 1:
        yield Backend()
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield Backend(pool=pool, workers=workers)


def map_replications(
    tasks: Sequence[Task],
    reduce: Reducer | None = None,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> list[Any]:
    """Run replications and return their results (or ``reduce`` of them) in task order.

    Args:
        tasks: the replications to run; they may belong to different scenarios.
        reduce: a picklable ``f(scenario, result)`` applied where the replication ran.
        workers: local processes; ``None`` means one per core, 1 runs in this process.
        scheduler: a Dask scheduler address or client; when given, ``workers`` is ignored.
        progress: show a progress bar.

    Raises:
        ClusterError: ``scheduler`` given but Dask distributed is missing or unreachable.
    """
    with backend(workers, scheduler, tasks=len(tasks)) as runner:
        return runner.map(tasks, reduce, progress)


def _client(scheduler: Any) -> tuple[Any, bool]:
    """A Dask client for ``scheduler`` and whether this module owns (must close) it."""
    if not isinstance(scheduler, str):
        return scheduler, False
    try:
        from distributed import Client  # noqa: PLC0415 - optional extra
    except ImportError:
        raise ClusterError(
            "running on a Dask cluster needs the 'cluster' extra: pip install 'sim[cluster]'"
        ) from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _on_dask(client: Any, tasks: Sequence[Task], reduce: Reducer | None, progress: bool):
    # Ship each distinct scenario to the cluster once, not once per replication.
    shipped: dict[int, Any] = {}
    for task in tasks:
        if id(task.scenario) not in shipped:
            shipped[id(task.scenario)] = client.scatter(task.scenario, broadcast=True)
    futures = client.map(
        _job,
        [shipped[id(t.scenario)] for t in tasks],
        [t.replication for t in tasks],
        [t.seed for t in tasks],
        [reduce] * len(tasks),
        pure=False,
    )
    if progress:
        from distributed import as_completed  # noqa: PLC0415 - optional extra

        for _ in tqdm(as_completed(futures), total=len(futures), leave=False):
            pass
    return client.gather(futures)


def run(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    variant: str = "base",
    progress: bool = False,
    scheduler: str | None = None,
) -> Results:
    """Run replications of a scenario.

    Args:
        scenario: a validated scenario (see :func:`sim.load`).
        replications: number of replications (default: the scenario's).
        seed: base seed (default: the scenario's).
        workers: local processes; ``None`` (default) means one per core, 1 runs in
            this process. The numbers do not depend on it.
        variant: label carried by every result row.
        progress: show a progress bar.
        scheduler: a Dask distributed scheduler address (or ``Client``) to run the
            replications on instead of local processes; same numbers again.
    """
    n = scenario.replications if replications is None else replications
    if n < 1:
        raise ValueError("replications must be at least 1")
    seed = scenario.seed if seed is None else seed
    tasks = [Task(scenario, r, seed) for r in range(n)]
    runs = map_replications(tasks, workers=workers, scheduler=scheduler, progress=progress)
    return Results(scenario, runs, seed, variant)
