"""Running replications: serially, on local processes or on a Dask cluster, same numbers.

A replication is a pure function of (scenario, replication number, seed), so the
order and place in which replications run cannot change the results: every backend
returns exactly what the serial loop returns, in the same order.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sim.workload
from sim.cluster import ClusterError, check_versions, close, connect, run_on_dask
from sim.engine import ReplicationResult, simulate
from sim.errors import WorkersWarning
from sim.options import named
from sim.pool import WorkerPool
from sim.progress import Progress
from sim.scenario import MAX_REPLICATIONS, Scenario
from sim.streams import stream_index
from sim.streams import whole_number as _whole
from sim.units import count
from sim.workload import check_workers, estimate, expected_arrivals, gib

if TYPE_CHECKING:
    from sim.results import Results

__all__ = [
    "Backend",
    "ClusterError",
    "Task",
    "WorkersWarning",
    "as_scenario",
    "backend",
    "default_workers",
    "local_workers",
    "map_replications",
    "positive_whole",
    "replication_count",
    "run",
    "seed_value",
    "workers_for",
]


# Applied to each replication where it ran, so only the (small) reduced value travels.
Reducer = Callable[[Scenario, ReplicationResult], Any]

# Contacts per chunk of work sent to a worker: a fraction of a second of simulation, so
# progress moves and the last chunks balance across workers.
CHUNK_CONTACTS = 50_000


class Task(NamedTuple):
    """One replication to run: the engine's arguments."""

    scenario: Scenario
    replication: int
    seed: int


def default_workers() -> int:
    """Local processes used when none are asked for: one per core this process may use.

    Not ``os.cpu_count()``, the machine's cores: under ``taskset``, a container's CPU set
    or a batch job's allocation, it counted cores the workers cannot run on, and as many
    processes (and their memory, in the workload estimate) shared the few they can.
    """
    usable = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if usable is not None:
        return usable() or 1
    with contextlib.suppress(AttributeError, OSError):  # no affinity outside Linux
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def positive_whole(value: object, what: str) -> int:
    """``value`` as an int, checked: a whole number (a numpy integer is one) of at least 1.

    Raises:
        TypeError: not a whole number, named ``what``.
        ValueError: less than 1.
    """
    number = _whole(value, what)
    if number < 1:
        raise ValueError(f"{what} must be at least 1, got {number}")
    return number


def local_workers(
    workers: int | None,
    runs: Sequence[tuple[Scenario, int]],
    *,
    keep: bool = False,
    write: bool = False,
) -> int:
    """Local processes for ``runs``: ``workers`` itself, checked, or the default's count.

    The default is :func:`workers_for`'s; a :class:`WorkersWarning` says when memory held
    it below the cores.

    Raises:
        TypeError: ``workers`` is not a whole number (a numpy integer is one).
        ValueError: ``workers`` is less than 1.
    """
    chosen, note = workers_for(workers, runs, keep=keep, write=write)
    if note is not None:
        warnings.warn(note, WorkersWarning, stacklevel=2)
    return chosen


def workers_for(
    workers: int | None,
    runs: Sequence[tuple[Scenario, int]],
    *,
    keep: bool = False,
    write: bool = False,
) -> tuple[int, str | None]:
    """The local processes for ``runs``, and a note when memory held the default's count.

    The default is one per usable core (:func:`default_workers`) and per replication, but
    no more than keep the run within the memory limit (``sim.workload.LIMITS``, read
    when called; :meth:`sim.workload.Workload.workers_within`), at least 1: a large run is
    not refused for the cores of the machine it runs on. The results do not depend on the
    count. An explicit count stays as given (the command line refuses it past the limit).
    Every command and the Python API choose by this rule.

    Args:
        workers: the count asked for, or ``None`` for the default.
        runs: each scenario (variant) with the replications it runs.
        keep: every replication's records are kept (``sim.run``), as for :func:`estimate`.
        write: the per-contact table is written (``sim run --out``).

    Returns:
        The count, and the note saying why it is below the cores (None when it is not).

    Raises:
        TypeError: ``workers`` is not a whole number (a numpy integer is one).
        ValueError: ``workers`` is less than 1.
    """
    if workers is not None:
        return positive_whole(workers, "workers"), None
    cores = default_workers()
    if not runs:  # nothing known of the work
        return cores, None
    work = estimate(runs, keep=keep, write=write)
    fit = work.workers_within(cores)
    if fit >= min(cores, work.replications):
        return fit, None
    limit = gib(sim.workload.LIMITS.memory_bytes)
    note = (
        f"running {count(fit, 'local worker')}, not one per core ({cores}): each running "
        f"replication needs about {gib(work.running_bytes)} and more would pass the "
        f"{limit} memory limit; {named('workers')} sets the count (the results do not "
        "depend on it)"
    )
    return fit, note


def replication_count(n: int) -> int:
    """``n`` itself, checked: at least 1 and at most the hard limit.

    Raises:
        TypeError: not a whole number (a numpy integer is one).
        ValueError: out of range.
    """
    n = _whole(n, "replications")
    if not 1 <= n <= MAX_REPLICATIONS:
        raise ValueError(f"replications must be between 1 and {MAX_REPLICATIONS:,}, got {n}")
    return n


def _job(scenario: Scenario, replication: int, seed: int, reduce: Reducer | None) -> Any:
    result = simulate(scenario, replication, seed)
    return result if reduce is None else reduce(scenario, result)


def _job_tuple(args: tuple[Scenario, int, int, Reducer | None]) -> Any:
    return _job(*args)


def _contacts(tasks: Sequence[Task]) -> list[float]:
    """Each task's expected arrivals (at least 1), computed once per scenario."""
    per_scenario: dict[int, float] = {}
    for task in tasks:
        if id(task.scenario) not in per_scenario:
            contacts = sum(expected_arrivals(task.scenario).values())
            per_scenario[id(task.scenario)] = max(contacts, 1.0)
    return [per_scenario[id(task.scenario)] for task in tasks]


def _chunk_sizes(contacts: Sequence[float], workers: int) -> list[int]:
    """Chunks of consecutive tasks: several replications per message when each is small.

    ``contacts`` are the tasks' expected arrivals, in the order they are sent.
    """
    # At most a quarter of a worker's share, so the last chunks still balance.
    most = max(1, len(contacts) // (workers * 4))
    sizes, current, weight = [], 0, 0.0
    for expected in contacts:
        current += 1
        weight += expected
        if current >= most or weight >= CHUNK_CONTACTS:
            sizes.append(current)
            current, weight = 0, 0.0
    if current:
        sizes.append(current)
    return sizes


class Backend:
    """Where replications run: this process, a local process pool or a Dask client.

    Open one with :func:`backend` to run several batches on the same pool or client.
    """

    def __init__(
        self, pool: WorkerPool | None = None, workers: int = 1, client: Any = None
    ) -> None:
        self.pool = pool
        self.workers = workers
        self.client = client

    def map(
        self,
        tasks: Sequence[Task],
        reduce: Reducer | None = None,
        progress: bool = False,
        label: str = "simulating",
    ) -> list[Any]:
        """Results (or ``reduce`` of them) of ``tasks``, in task order.

        Args:
            tasks: the replications.
            reduce: applied to each result where it ran.
            progress: show progress on stderr (see :mod:`sim.progress`).
            label: the stage's name in the progress display.
        """
        with Progress(label, len(tasks), enabled=progress) as bar:
            if self.client is not None:
                jobs = [(*task, reduce) for task in tasks]
                return run_on_dask(self.client, _job, jobs, bar.update)
            if self.pool is None:
                results = []
                for task in tasks:
                    results.append(_job(*task, reduce))
                    bar.update()
                return results
            # The largest replications first, so the small ones fill in at the end: a
            # round then ends on a short task, not one worker left with a long one.
            contacts = _contacts(tasks)
            order = sorted(range(len(tasks)), key=contacts.__getitem__, reverse=True)
            jobs = [(*tasks[i], reduce) for i in order]
            sizes = _chunk_sizes([contacts[i] for i in order], self.workers)
            done = self.pool.map(_job_tuple, jobs, sizes, bar.update)
            results = [None] * len(tasks)
            for i, result in zip(order, done, strict=True):
                results[i] = result
            return results


@contextmanager
def backend(
    workers: int | None = None,
    scheduler: Any = None,
    *,
    runs: Sequence[tuple[Scenario, int]] = (),
    keep: bool = False,
) -> Iterator[Backend]:
    """Open the backend for ``workers`` / ``scheduler``, closing what it opened on exit.

    Local worker processes are terminated, not drained, when the block ends with an
    exception (Ctrl-C included), and they die with this process.

    Args:
        workers: local processes; ``None`` means one per core, as many as fit the
            memory limit (:func:`workers_for`); 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://host:8786``), a
            ``distributed.Client`` or a Dask cluster (``LocalCluster``); when given,
            ``workers`` is ignored.
        runs: each scenario with the replications that will run at most: no more
            processes start than there are replications, and the default's count fits
            their memory.
        keep: whether every replication's records are kept (returned whole, not reduced).

    Raises:
        ClusterError: ``scheduler`` given but unusable (see :mod:`sim.cluster`), its
            workers running another version of sim, numpy, simpy or Python.
        WorkloadError: more worker processes than the machine's memory holds
            (:func:`sim.workload.check_workers`).
    """
    if scheduler is not None:
        client, owned = connect(scheduler)
        try:
            check_versions(client)  # before any work: another numpy, other numbers
            yield Backend(client=client)
        finally:
            if owned:
                close(client)
        return
    workers = local_workers(workers, runs, keep=keep)
    if runs:  # no more processes than replications
        workers = max(1, min(workers, sum(n for _, n in runs)))
    if workers == 1:
        yield Backend()
        return
    check_workers(workers)  # before any fork: a thousand by a typo would sink the machine
    pool = WorkerPool(workers)
    try:
        yield Backend(pool=pool, workers=workers)
    except BaseException:
        pool.terminate()
        raise
    pool.close()


def map_replications(
    tasks: Sequence[Task],
    reduce: Reducer | None = None,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
    label: str = "simulating",
) -> list[Any]:
    """Run replications and return their results (or ``reduce`` of them) in task order.

    Args:
        tasks: the replications to run; they may belong to different scenarios.
        reduce: a picklable ``f(scenario, result)`` applied where the replication ran.
        workers: local processes; ``None`` means one per core, as many as fit the
            memory limit (:func:`workers_for`); 1 runs in this process.
        scheduler: a Dask scheduler address or client; when given, ``workers`` is ignored.
        progress: show progress on stderr.
        label: the stage's name in the progress display.

    Raises:
        ClusterError: ``scheduler`` given but unusable, or lost during the run.
    """
    with backend(workers, scheduler, runs=_runs(tasks), keep=reduce is None) as runner:
        return runner.map(tasks, reduce, progress, label)


def _runs(tasks: Sequence[Task]) -> list[tuple[Scenario, int]]:
    """Each distinct scenario of ``tasks`` with its number of tasks, in first-seen order."""
    counts: dict[int, list[Any]] = {}
    for task in tasks:
        counts.setdefault(id(task.scenario), [task.scenario, 0])[1] += 1
    return [(scenario, n) for scenario, n in counts.values()]


def seed_value(seed: int) -> int:
    """``seed`` itself, checked: a whole number >= 0 (what ``SeedSequence`` takes).

    Raises:
        TypeError: not a whole number.
        ValueError: negative.
    """
    return stream_index(seed, "seed")


def as_scenario(source: object, overrides: Iterable[str] | str = ()) -> Scenario:
    """A loaded scenario from a Scenario, a scenario file's path or its plain data.

    ``overrides`` (``dotted.path=VALUE``) are set in the file's data before validation,
    so they need the file or its data, not a loaded Scenario.
    """
    overrides = [overrides] if isinstance(overrides, str) else list(overrides)
    if isinstance(source, Scenario):
        if not overrides:
            return source
        raise TypeError(
            "pass the scenario file (or its plain data), not a loaded Scenario: overrides "
            "are set in the file's data before validation"
        )
    from sim.loader import from_dict, load  # noqa: PLC0415 - only for a file or data

    if isinstance(source, str | Path):
        return load(source, overrides)
    if isinstance(source, Mapping):
        return from_dict(source, overrides=overrides)
    raise TypeError(
        "expected a scenario: sim.load(path)'s result, a scenario file's path or its plain "
        f"data (a dict), got {type(source).__name__}"
    )


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    overrides: Iterable[str] | str = (),
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    variant: str = "base",
    progress: bool = False,
    scheduler: Any = None,
) -> Results:
    """Run replications of a scenario.

    Args:
        scenario: a validated scenario (see :func:`sim.load`), or a scenario file's path
            or its plain data, loaded and validated first (as :func:`sim.load` does).
        overrides: ``dotted.path=VALUE`` settings (one text, or a list) applied to the
            file or data before validation; not to a loaded Scenario (a TypeError).
        replications: number of replications (default: the scenario's).
        seed: base seed (default: the scenario's).
        workers: local processes; ``None`` (default) means one per core, as many as
            fit the memory limit (:func:`workers_for`, a :class:`WorkersWarning` says
            when that is fewer); 1 runs in this process. The numbers do not depend on it.
        variant: label carried by every result row.
        progress: show a progress bar.
        scheduler: a Dask distributed scheduler address (or ``Client``, or cluster) to
            run the replications on instead of local processes; same numbers again.

    Returns:
        The replications' :class:`~sim.results.Results` (``summary()``, ``metrics()``,
        ``hourly()``, ``contacts()``, ``teams()``).

    Raises:
        ScenarioError: the file or data (with its overrides) is not a valid scenario.
        TypeError: ``overrides`` with a loaded Scenario, or ``replications``, ``seed`` or
            ``workers`` not a whole number (a numpy integer is one).
        ValueError: ``replications`` or ``workers`` below 1, or a negative ``seed``; a
            :class:`~sim.workload.WorkloadError` (a ``ScenarioError``) for more worker
            processes than the machine's memory holds.
    """
    from sim.results import Results  # noqa: PLC0415 - pandas, which only run needs

    scenario = as_scenario(scenario, overrides)
    n = replication_count(scenario.replications if replications is None else replications)
    seed = scenario.seed if seed is None else seed_value(seed)
    tasks = [Task(scenario, r, seed) for r in range(n)]
    label = f"{scenario.name}: {count(n, 'replication')}"
    runs = map_replications(
        tasks, workers=workers, scheduler=scheduler, progress=progress, label=label
    )
    return Results(scenario, runs, seed, variant)
