"""Where replications run never changes what they produce.

A replication is a pure function of (scenario, replication, seed), so the serial loop,
local processes and a Dask cluster must give bit-identical tables for the same seed.
"""

from __future__ import annotations

import builtins
import multiprocessing
import os
import pickle
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import runner
from sim.fit.log import LogError
from sim.outputs import OutputError
from sim.pool import WorkerPool
from sim.runner import ClusterError, Task, backend, default_workers, map_replications

ROOT = Path(__file__).resolve().parents[1]
LIVESTREAM = ROOT / "scenarios" / "livestream_promo_peak.yaml"
SMALL_MERCHANT = ROOT / "scenarios" / "small_merchant_order_chat.yaml"


@contextmanager
def local_cluster(processes: bool = False):
    """A two-worker Dask cluster (threads in this process unless ``processes``).

    Tests start it only after their local-process runs: forking while the cluster's
    event-loop thread is busy is not safe.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=":0"
    ) as cluster:
        yield cluster


def _same_runs(a: sim.Results, b: sim.Results) -> None:
    assert [r.replication for r in a.runs] == [r.replication for r in b.runs]
    for x, y in zip(a.runs, b.runs, strict=True):
        assert x.hops.keys() == y.hops.keys()
        for column in x.hops:
            np.testing.assert_array_equal(x.hops[column], y.hops[column])


@pytest.mark.parametrize("path", [LIVESTREAM, SMALL_MERCHANT])
def test_run_is_identical_serial_processes_and_dask(path):
    scenario = sim.load(path)
    serial = sim.run(scenario, replications=4, workers=1)
    processes = sim.run(scenario, replications=4, workers=2)
    with local_cluster() as cluster:
        dask = sim.run(scenario, replications=4, scheduler=cluster.scheduler_address)
    for other in (processes, dask):
        pd.testing.assert_frame_equal(serial.summary(), other.summary(), check_exact=True)
        _same_runs(serial, other)


def test_sweep_and_compare_are_identical_on_processes_and_dask():
    distributed = pytest.importorskip("distributed")
    vary = {"queues.live_peak.staff.1.agents": [10, 14]}
    kwargs = {"replications": 3, "overrides": ["duration=12h"]}
    set_b = ["queues.live_peak.staff.1.agents=14"]
    serial = sim.sweep(LIVESTREAM, vary, workers=1, **kwargs)
    processes = sim.sweep(LIVESTREAM, vary, workers=2, **kwargs)
    paired = sim.compare(LIVESTREAM, overrides=set_b, replications=3, workers=1)
    with local_cluster() as cluster:
        dask = sim.sweep(LIVESTREAM, vary, scheduler=cluster.scheduler_address, **kwargs)
        # A client the caller owns: the runner must use it and leave it open.
        with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
            on_dask = sim.compare(LIVESTREAM, overrides=set_b, replications=3, scheduler=client)
            assert client.status == "running"
    pd.testing.assert_frame_equal(serial, processes, check_exact=True)
    pd.testing.assert_frame_equal(serial, dask, check_exact=True)
    pd.testing.assert_frame_equal(paired, on_dask, check_exact=True)


def test_staff_plan_is_identical_serial_and_processes():
    data = {
        "name": "tiny",
        "start": "2026-01-05T00:00",
        "duration": "8h",
        "seed": 2,
        "replications": 3,
        "queues": {
            "q": {
                "arrivals": {"rate": "60/h", "profile": [1] * 8 + [2] * 8 + [1] * 8},
                "service": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "10m"},
            }
        },
    }
    scenario = sim.from_dict(data)
    plans = [
        sim.staff_plan(scenario, "q", "80% in 60s", rounds=3, workers=w).to_dict() for w in (1, 2)
    ]
    assert plans[0] == plans[1]


def test_map_replications_keeps_task_order_and_reduces_where_it_runs():
    scenario = sim.load(SMALL_MERCHANT)
    tasks = [Task(scenario, r, s) for r, s in ((3, 1), (0, 1), (2, 9), (0, 9))]
    for workers in (1, 2):
        got = map_replications(tasks, _arrivals, workers=workers)
        expected = [_arrivals(scenario, sim.simulate(scenario, r, s)) for _, r, s in tasks]
        assert got == expected
    # Different seeds and replications really are different streams.
    assert len(set(map(tuple, expected))) == 4


def test_larger_replications_are_sent_first_and_results_come_back_in_task_order(monkeypatch):
    small, large = sim.load(SMALL_MERCHANT), sim.load(LIVESTREAM)
    assert runner._contacts([Task(small, 0, 1)]) < runner._contacts([Task(large, 0, 1)])
    tasks = [Task(small, 0, 1), Task(large, 0, 1), Task(small, 1, 1), Task(large, 1, 1)]
    sent = []
    chunk = runner._chunk_sizes
    monkeypatch.setattr(
        runner,
        "_chunk_sizes",
        lambda contacts, workers: sent.extend(contacts) or chunk(contacts, workers),
    )
    got = map_replications(tasks, _arrivals, workers=2)
    assert sent == sorted(sent, reverse=True)  # the livestream's replications went first
    assert got == [_arrivals(t.scenario, sim.simulate(*t)) for t in tasks]


def _arrivals(scenario, result):
    return (result.replication, result.seed, len(result.hops["contact"]))


def _forked_from_here(_item: object) -> tuple[int, bool]:
    # A forked worker has this process as parent and already holds what it imported.
    return os.getppid(), "_pytest" in sys.modules


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is chosen on Linux only")
def test_workers_are_forked_even_where_python_defaults_to_forkserver():
    # Python 3.14 makes forkserver the default on Linux; the pool keeps forking (see
    # sim.pool.start_method for why), whatever the default says.
    default = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("forkserver", force=True)
    try:
        pool = WorkerPool(2)
        try:
            got = pool.map(_forked_from_here, [0, 1], [1, 1])
        finally:
            pool.close()
    finally:
        multiprocessing.set_start_method(default, force=True)
    assert got == [(os.getpid(), True)] * 2


def test_default_is_every_core_this_process_may_use(monkeypatch):
    # Under taskset (or a container's CPU set) with one core of the machine's many, the
    # machine's count forked a worker per core, all sharing the one.
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_workers() == 1
    scenario = sim.load(SMALL_MERCHANT)
    with backend(runs=[(scenario, 1000)]) as one:
        assert one.pool is None
    monkeypatch.undo()
    with backend(runs=[(scenario, 1000)]) as runner:
        assert runner.workers == default_workers() or runner.pool is None
    with backend(workers=8, runs=[(scenario, 2)]) as runner:
        assert runner.workers == 2
    with backend(workers=1) as runner:
        assert runner.pool is None


def test_missing_dask_is_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ClusterError, match=r"needs the 'cluster' extra") as caught:
        sim.run(sim.load(SMALL_MERCHANT), replications=1, scheduler="tcp://127.0.0.1:8786")
    # It said "pip install 'sim[cluster]'": no such package on an index, and without
    # constraints.txt; the hint is README's command.
    command = str(caught.value).split("in sim's repository, ")[1]
    assert command == ".venv/bin/pip install -c constraints.txt -e '.[cluster]'"
    assert f"`{command}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_run_is_identical_on_a_cluster_of_worker_processes():
    """Workers in their own processes: the scenario and results cross process lines."""
    scenario = sim.load(LIVESTREAM)
    serial = sim.run(scenario, replications=3, workers=1)
    with local_cluster(processes=True) as cluster:
        remote = sim.run(scenario, replications=3, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial.summary(), remote.summary(), check_exact=True)
    _same_runs(serial, remote)


def test_a_scenario_error_on_a_worker_reaches_the_caller_as_itself():
    """The engine's own arrivals limit, met on a worker process, is the same one-line error.

    A scenario changed with ``model_copy`` skips the loader's check, so the engine refuses
    it where the replication runs; the error must cross back from the worker as itself
    (the CLI turns it into exit 2), not as a pool that "terminated abruptly".
    """
    scenario = sim.load(SMALL_MERCHANT, ["duration=1h"])
    chat = scenario.queues["order_chat"]
    huge = chat.arrivals.model_copy(update={"rate": 1e6})
    queues = {**scenario.queues, "order_chat": chat.model_copy(update={"arrivals": huge})}
    flooded = scenario.model_copy(update={"queues": queues})
    for workers in (1, 2):
        with pytest.raises(sim.ScenarioError) as caught:
            sim.run(flooded, replications=2, workers=workers)
        assert caught.value.problems[0][0] == "queues.order_chat.arrivals"
        assert "the limit is 100,000,000" in str(caught.value)


def test_every_scenario_error_survives_pickling():
    """Subclasses take other arguments; each comes back with its type, source and problems."""
    for error in (
        sim.ScenarioError("a.yaml", [("queues.q", "bad")]),
        OutputError("out/", "is a file"),
        LogError("log.csv", "no rows", "arrive"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert (back.source, back.problems, str(back)) == (
            error.source,
            error.problems,
            str(error),
        )


@pytest.mark.parametrize(
    ("workers", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_a_bad_worker_count_is_an_error_that_names_it(workers, error):
    # The command line refuses --workers 0; the API ran such counts serially, or failed
    # inside concurrent.futures with a message that did not say which argument was wrong.
    scenario = sim.load(SMALL_MERCHANT, ["duration=1h"])
    with pytest.raises(error, match=r"^workers must be"):
        sim.run(scenario, replications=4, workers=workers)
    with pytest.raises(error, match=r"^workers must be"):
        sim.compare(SMALL_MERCHANT, overrides="duration=1h", replications=2, workers=workers)


def test_rounds_on_one_dask_client_ship_the_same_scenario_again():
    """Sequential rounds (validate, staff) map the same scenario on one client, round after round.

    Shipped under a key made from its content, a scenario scattered again just after the
    last round released it raced that release: the round failed with "lost dependencies"
    (dask/distributed#8576, #3703).
    """
    scenario = sim.load(SMALL_MERCHANT, ["duration=1h"])
    expected = [_arrivals(scenario, sim.simulate(scenario, r, 1)) for r in range(2)]
    with local_cluster() as cluster, backend(scheduler=cluster.scheduler_address) as runner:
        for _ in range(30):
            assert runner.map([Task(scenario, r, 1) for r in range(2)], _arrivals) == expected


def test_scheduler_takes_a_dask_cluster_object_and_names_anything_else():
    # A notebook holds a LocalCluster; passing it failed with "'LocalCluster' object has
    # no attribute 'scatter'", and so did any other object, naming nothing.
    scenario = sim.load(SMALL_MERCHANT, ["duration=1h"])
    serial = sim.run(scenario, replications=2, workers=1)
    with local_cluster() as cluster:
        on_cluster = sim.run(scenario, replications=2, scheduler=cluster)
    _same_runs(serial, on_cluster)
    with pytest.raises(ClusterError, match=r"^scheduler: expected an address .* got int"):
        sim.run(scenario, replications=2, scheduler=8786)


def _killed(_item: object) -> None:
    os.kill(os.getpid(), 9)  # what the system's out-of-memory killer does


def test_a_worker_killed_by_the_system_is_one_clear_error():
    # A worker the system kills (out of memory, usually) broke the pool, and the command
    # line printed concurrent.futures' whole traceback ending in BrokenProcessPool.
    with backend(workers=2) as runner, pytest.raises(ClusterError) as caught:
        runner.pool.map(_killed, [1, 2], [1, 1])
    assert str(caught.value).startswith("a worker process ended abruptly (killed by SIGKILL)")
    assert "out of memory" in str(caught.value)


@pytest.mark.parametrize("call", ["validate_all", "calibrate"])
def test_validate_and_calibrate_from_python_run_in_parallel_by_default(call, monkeypatch):
    """DESIGN: replications run in parallel on local processes by default; these two
    alone ran serially unless told (``workers=1`` was their default)."""
    from sim.calibrate import calibrate, free_parameter
    from sim.validate import validate_all

    asked = []
    chosen = runner.local_workers

    def spy(workers, runs, **options):
        asked.append(workers)
        return chosen(workers, runs, **options)

    monkeypatch.setattr(runner, "local_workers", spy)
    data = sim.loader.read_scenario(SMALL_MERCHANT)
    data["targets"] = [
        {"queue": next(iter(data["queues"])), "metric": "answer_rate", "value": 0.9,
         "tolerance": 0.05}
    ]  # fmt: skip
    if call == "validate_all":
        validate_all([("s", sim.from_dict(data))], replications=2)
    else:
        queue = next(iter(data["queues"]))
        free = [free_parameter(f"queues.{queue}.service.mean=1:10", data)]
        calibrate(data, free, replications=2, max_evaluations=1)
    assert asked == [None]
