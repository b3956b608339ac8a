"""The Dask path under stress: endpoints that are not schedulers, and workers that die.

A wrong ``--scheduler`` is one line and exit code 2, whatever answers at the address; a
worker lost during a run costs Dask a retry, not the run, and the numbers are the serial
ones. The clusters here are small (one or two workers) and local.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import sim
import sim.cluster
from sim.cli import main
from sim.runner import ClusterError, Task, backend

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD = 120.0  # seconds; a correct run needs a small fraction of this
TINY = {
    "name": "tiny",
    "start": "2026-01-05T00:00",
    "duration": "2h",
    "seed": 4,
    "replications": 2,
    "queues": {
        "chat": {
            "arrivals": {"rate": "30/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "2m"},
        }
    },
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@contextlib.contextmanager
def _endpoint(greeting: bytes, *, close: bool) -> Iterator[str]:
    """A TCP server that sends ``greeting`` to each connection, then closes it or waits."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                conn = server.accept()[0]
                conn.sendall(greeting)
                if close:
                    conn.close()
                else:
                    accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def _refused(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("greeting", "close", "words"),
    [
        # Read as a Dask message's length, an SSH banner asked for 2.8 EiB: a MemoryError
        # and its traceback (exit 1) after the client had waited.
        (b"SSH-2.0-OpenSSH_9.6\r\n", False, "is not a Dask scheduler: it greeted with b'SSH-2.0-'"),
        (b"\0" * 16, False, "is not a Dask scheduler"),
        # A byte, then gone: the message named Dask's reset connection, not the endpoint.
        (b"x", True, "closed the connection without the greeting a Dask scheduler sends"),
    ],
)
def test_an_endpoint_that_speaks_another_protocol_is_one_line(capsys, tiny, greeting, close, words):
    with _endpoint(greeting, close=close) as address:
        err = _refused(capsys, "run", str(tiny), "--scheduler", address)
    assert words in err


@pytest.fixture(scope="module")
def tcp_cluster() -> Iterator[distributed.LocalCluster]:
    """One worker in this process, reachable over TCP (so a subprocess can reach it too)."""
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        dashboard_address=":0",
    ) as cluster:
        yield cluster


def _worker_address(cluster: distributed.LocalCluster) -> str:
    (worker,) = cluster.workers.values()
    return worker.address


def test_a_workers_address_is_not_taken_for_the_schedulers(capsys, tiny, tcp_cluster):
    # It greets as Dask does, then fails the client's first request: a TypeError from
    # Dask ("Worker.identity() got an unexpected keyword argument") and its traceback.
    address = _worker_address(tcp_cluster)
    err = _refused(capsys, "run", str(tiny), "--scheduler", address)
    assert err.startswith(f"error: cannot use the Dask scheduler at {address}: it answered, but")
    assert "is it a worker's address?" in err


def test_a_failed_client_prints_nothing_more_as_sim_exits(tiny, tcp_cluster):
    """The client Dask made before its connection failed was closed at exit, after its loop
    had stopped: "Exception ignored in: Client.__del__" and a traceback, under the error."""
    command = [sys.executable, "-m", "sim", "run", str(tiny)]
    command += ["--scheduler", _worker_address(tcp_cluster)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "is it a worker's address?" in done.stderr


def test_tls_without_dasks_tls_settings_is_one_line(capsys, tiny, tcp_cluster):
    # Dask raised "TypeError: TLS expects a `ssl_context` argument": a traceback, exit 1.
    address = tcp_cluster.scheduler_address.replace("tcp://", "tls://")
    err = _refused(capsys, "run", str(tiny), "--scheduler", address)
    assert "tls:// needs Dask's TLS settings for a client" in err


def test_a_refused_websocket_address_says_refused_at_once(capsys, tiny):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again when the block ends
    # Dask retried until its own timeout and said "Timed out trying to connect".
    err = _refused(capsys, "run", str(tiny), "--scheduler", f"ws://127.0.0.1:{port}")
    assert f"cannot reach the Dask scheduler at ws://127.0.0.1:{port}:" in err
    assert "Timed out" not in err


def _arrivals(scenario: sim.Scenario, result: sim.ReplicationResult) -> tuple[int, int, int]:
    return result.replication, result.seed, len(result.hops["contact"])


def _die_once(marker: str, scenario: sim.Scenario, result: sim.ReplicationResult) -> tuple:
    """:func:`_arrivals`, but the first call kills its worker, as the out-of-memory killer does."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return _arrivals(scenario, result)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def test_a_worker_killed_mid_run_costs_a_retry_not_the_run(tmp_path):
    """One worker, killed once; its nanny starts another and Dask runs the work again.

    The scenario was scattered data, lost with the only worker that held it: every
    replication then failed, "cancelled for reason: already forgotten", exit 2.
    """
    scenario = sim.from_dict({**TINY, "replications": 3})
    tasks = [Task(scenario, r, 4) for r in range(3)]
    expected = [_arrivals(scenario, sim.simulate(*task)) for task in tasks]
    die_once = functools.partial(_die_once, str(tmp_path / "killed"))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        backend(scheduler=cluster.scheduler_address) as runner,
    ):
        got = runner.map(tasks, die_once)
    assert (tmp_path / "killed").exists()  # the worker did die
    assert got == expected


def test_a_job_error_is_still_the_jobs_own(tcp_cluster):
    """Only the cluster's failures become ClusterError; a task's own error stays itself."""
    scenario = sim.from_dict(TINY)
    with backend(scheduler=tcp_cluster.scheduler_address) as runner:
        with pytest.raises(ZeroDivisionError):
            runner.map([Task(scenario, 0, 1)], _divide_by_zero)
        # and the client still serves the next round
        expected = [_arrivals(scenario, sim.simulate(scenario, 0, 1))]
        assert runner.map([Task(scenario, 0, 1)], _arrivals) == expected


def _divide_by_zero(scenario: sim.Scenario, result: sim.ReplicationResult) -> float:
    return 1 / 0


def _refuse_to_load() -> None:
    raise ImportError("No module named 'sim'")


class _Unreadable:
    """Pickles, but cannot be unpickled: what sim's work is where sim is not installed."""

    def __reduce__(self) -> tuple:
        return _refuse_to_load, ()


def _second(first: object, second: object) -> object:
    return second


@pytest.mark.parametrize("where", [0, 1], ids=["shipped", "argument"])
def test_a_scheduler_without_sim_is_one_clear_error(tcp_cluster, where):
    """The scheduler unpickles every task: without sim it cannot, and said so in a
    RuntimeError's traceback (exit 1), or its replications were "lost dependencies"."""
    task = [1, 2]
    task[where] = _Unreadable()
    client, _ = sim.cluster.connect(tcp_cluster.scheduler_address)
    try:
        with pytest.raises(ClusterError, match=r"^the Dask scheduler could not read the work"):
            sim.cluster.run_on_dask(client, _second, [tuple(task)])
    finally:
        sim.cluster.close(client)


def test_a_cluster_without_workers_is_an_error_not_a_hang(monkeypatch):
    """Dask waits for ever for a worker; a run on a cluster that has none must end.

    A worker without sim ends at its first task, and a cluster whose workers all did so
    left ``sim`` printing "0/2 replications" for ever. A caller's own client is not
    checked for workers when it is handed over, so one with none shows the same wait.
    """
    monkeypatch.setattr(sim.cluster, "NO_WORKERS_TIMEOUT", 0.5)
    scenario = sim.from_dict(TINY)
    outcome: list[BaseException | None] = []

    def run(client: distributed.Client) -> None:
        try:
            sim.run(scenario, replications=2, scheduler=client)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        distributed.Client(empty, set_as_default=False) as client,
    ):
        thread = threading.Thread(target=run, args=(client,), daemon=True)
        thread.start()
        thread.join(HANG_GUARD)
        assert not thread.is_alive(), "hang guard: the run waited for a worker for ever"
    (error,) = outcome
    assert isinstance(error, ClusterError)
    assert str(error).startswith("the Dask cluster has had no workers for 0.5 s during the run")


def test_calibrate_fits_the_same_on_a_cluster(capsys, tmp_path, tcp_cluster):
    # calibrate ran its evaluations on local processes only: it had no --scheduler.
    data = {
        **TINY,
        "targets": [{"queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "20s"}],
    }
    source = tmp_path / "fit.yaml"
    source.write_text(yaml.safe_dump(data))
    fits = []
    for where in (["--workers", "1"], ["--scheduler", tcp_cluster.scheduler_address]):
        out = tmp_path / f"{where[0][2:]}.yaml"
        argv = ["calibrate", str(source), "--free", "queues.chat.arrivals.rate=10:60"]
        argv += ["-n", "2", "--max-evaluations", "4", "--json", "--out", str(out), *where]
        assert main(argv) in (0, 1)
        fit = json.loads(capsys.readouterr().out)
        assert fit.pop("out") == str(out)
        fits.append((fit, out.read_text()))
    assert fits[0] == fits[1]
    assert fits[0][0]["evaluations"] >= 1


def _as_at_a_terminal() -> None:
    """In the child: Ctrl-C as a terminal has it (a background test run ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _running_replications(cluster: distributed.LocalCluster) -> int:
    """Replications the cluster's scheduler holds (read from another thread: retried)."""
    while True:
        with contextlib.suppress(RuntimeError):  # the dict changed size while it was read
            return sum(str(key).startswith("_job-") for key in list(cluster.scheduler.tasks))


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"hang guard: {what} did not happen within {HANG_GUARD:g} s")
        time.sleep(0.05)


def test_ctrl_c_during_a_dask_run_exits_130_writes_nothing_and_cancels(tmp_path):
    long = {**TINY, "duration": "30d", "replications": 4}
    long["queues"] = {"chat": {**TINY["queues"]["chat"], "arrivals": {"rate": "2000/h"}}}
    long["queues"]["chat"]["staff"] = 40
    source, out = tmp_path / "long.yaml", tmp_path / "out"
    source.write_text(yaml.safe_dump(long))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        argv = [sys.executable, "-m", "sim", "run", str(source), "--allow-large"]
        argv += ["--out", str(out), "--scheduler", cluster.scheduler_address]
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_as_at_a_terminal,  # noqa: PLW1509 - only a signal disposition
        )
        try:
            _wait_until(lambda: _running_replications(cluster) == 4, "the run starting")
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert (proc.returncode, stdout) == (130, ""), stderr
        assert stderr.splitlines()[-1] == "interrupted", stderr
        assert "Traceback" not in stderr
        assert not out.exists()
        # The replications went with the client: none is left queued on the cluster.
        _wait_until(lambda: _running_replications(cluster) == 0, "the work being cancelled")


def test_a_scheduler_lost_mid_run_is_one_line(tmp_path):
    """The scheduler goes away while sim waits on it: one line, exit 2.

    Closing the client after that cancelled its attempt to reconnect, and Dask logged
    it: an ERROR line and two tracebacks above sim's own line.
    """
    long = {**TINY, "duration": "30d", "replications": 4}
    long["queues"] = {"chat": {**TINY["queues"]["chat"], "arrivals": {"rate": "2000/h"}}}
    long["queues"]["chat"]["staff"] = 40
    source = tmp_path / "long.yaml"
    source.write_text(yaml.safe_dump(long))
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    argv = [sys.executable, "-m", "sim", "run", str(source), "--allow-large"]
    argv += ["--scheduler", cluster.scheduler_address]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_until(lambda: _running_replications(cluster) == 4, "the run starting")
    finally:
        cluster.close()
    try:
        stdout, stderr = proc.communicate(timeout=HANG_GUARD)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, stdout) == (2, ""), stderr
    # Dask's own words were "_job-<key>-2 cancelled for reason: scheduler-connection-lost."
    assert stderr == (
        "error: the Dask cluster failed during the run: the connection to its scheduler was lost\n"
    )


def test_plot_draws_the_same_figure_from_a_cluster(capsys, tiny, tmp_path, tcp_cluster):
    # sim plot ran its replications on local processes only: it had no --scheduler.
    drawn = []
    for where in (["--workers", "1"], ["--scheduler", tcp_cluster.scheduler_address]):
        out = tmp_path / f"{where[0][2:]}.png"
        assert main(["plot", str(tiny), "--kind", "ecdf", "--out", str(out), *where]) == 0
        drawn.append(out.read_bytes())
    capsys.readouterr()
    assert drawn[0] == drawn[1]


def test_fit_back_tests_the_same_on_a_cluster(capsys, tiny, tmp_path, tcp_cluster):
    # sim fit's back-test ran on local processes only: it had no --scheduler.
    assert main(["run", str(tiny), "--out", str(tmp_path / "run")]) == 0
    fits = []
    for where in (["--workers", "1"], ["--scheduler", tcp_cluster.scheduler_address]):
        out = tmp_path / f"{where[0][2:]}.yaml"
        log = str(tmp_path / "run" / "contacts.csv")
        capsys.readouterr()
        assert main(["fit", log, "--replications", "2", "--json", "--out", str(out), *where]) == 0
        fit = json.loads(capsys.readouterr().out)
        assert fit.pop("out") == str(out)
        fits.append((fit, out.read_text()))
    assert fits[0] == fits[1]


@pytest.mark.parametrize(
    "form",
    ["  tcp://{}  ", "TCP://{}", "tcp://{}/", "{}"],
    ids=["spaces", "upper-case scheme", "trailing slash", "bare host:port"],
)
def test_every_address_the_check_accepts_reaches_the_scheduler(tcp_cluster, form):
    # The address was checked in a normalised form but handed to Dask as typed, which
    # refused it: "unknown address scheme ' tcp'", "invalid literal for int(): '8786/'".
    address = form.format(tcp_cluster.scheduler_address.removeprefix("tcp://"))
    scenario = sim.from_dict(TINY)
    with backend(scheduler=address) as runner:
        got = runner.map([Task(scenario, 0, 1)], _arrivals)
    assert got == [_arrivals(scenario, sim.simulate(scenario, 0, 1))]


def _report(client: dict[str, str | None], worker: dict[str, str | None]) -> dict:
    """A ``Client.get_versions`` answer: this machine and one worker, Python apart."""

    def entry(packages: dict[str, str | None]) -> dict:
        python = packages.pop("python", "3.11.7.final.0")
        return {"host": {"python": python}, "packages": packages}

    return {"client": entry(dict(client)), "workers": {"tcp://10.0.0.9:4000": entry(dict(worker))}}


SAME = {"sim": "0.1.0", "numpy": "2.4.6", "simpy": "4.1.2", "pandas": "3.1.1", "dask": "2026.8.0"}


@pytest.mark.parametrize(
    "worker",
    [
        {**SAME, "pandas": "2.3.0", "dask": "2026.7.0", "msgpack": "1.0.0"},
        {**SAME, "python": "3.11.9.final.0"},
    ],
    ids=["pandas and dask", "python bug-fix release"],
)
def test_version_differences_that_cannot_change_numbers_pass(worker):
    assert sim.cluster.version_mismatch(_report(SAME, worker)) is None


@pytest.mark.parametrize(
    ("client", "worker", "words"),
    [
        (SAME, {**SAME, "numpy": "2.3.0"}, "runs numpy 2.3.0, this machine numpy 2.4.6"),
        (SAME, {**SAME, "simpy": "4.0.1"}, "runs simpy 4.0.1, this machine simpy 4.1.2"),
        (SAME, {**SAME, "sim": "0.0.9"}, "runs sim 0.0.9, this machine sim 0.1.0"),
        (SAME, {**SAME, "sim": None}, "runs no sim, this machine sim 0.1.0"),
        (SAME, {**SAME, "python": "3.12.1.final.0"}, "runs Python 3.12, this machine Python 3.11"),
    ],
    ids=["numpy", "simpy", "sim", "sim missing", "python feature release"],
)
def test_a_version_that_can_change_numbers_is_named_with_both(client, worker, words):
    found = sim.cluster.version_mismatch(_report(client, worker))
    assert found is not None
    assert found.startswith("the Dask worker at tcp://10.0.0.9:4000 ")
    assert words in found


def test_a_package_without_metadata_here_is_not_compared():
    # sim run from a source checkout has no installed version to compare.
    assert sim.cluster.version_mismatch(_report({**SAME, "sim": None}, SAME)) is None


def test_workers_with_another_numpy_are_refused_before_any_work(
    capsys, monkeypatch, tiny, tmp_path, tcp_cluster
):
    # A cluster whose workers ran another numpy gave other numbers, silently: numpy
    # promises the same random stream only for the same build. The worker here is in
    # this process: its answer to "versions" is patched, this machine's is not.
    real = distributed.node.get_versions

    def older_numpy(packages: object = None) -> dict:
        found = real(packages=packages)
        found["packages"] = {**found["packages"], "numpy": "1.26.4"}
        return found

    monkeypatch.setattr(distributed.node, "get_versions", older_numpy)
    out = tmp_path / "out"
    argv = ["run", str(tiny), "--scheduler", tcp_cluster.scheduler_address, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    here = distributed.versions.get_versions(["numpy"])["packages"]["numpy"]
    assert f"runs numpy 1.26.4, this machine numpy {here}" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(ClusterError, match=r"runs numpy 1\.26\.4"):
        sim.run(sim.from_dict(TINY), scheduler=tcp_cluster)


def _numpy_of(late: str | None):
    """What a worker reports of its versions with each result: numpy 1.26.4 at ``late``.

    ``late`` None: at every worker. The workers run in this process; this machine's own
    versions (and the workers' answer to the check at the start) are not patched.
    """
    real = sim.cluster._versions_here

    def report() -> dict[str, str | None]:
        if late is None or distributed.get_worker().address == late:
            return {**real(), "numpy": "1.26.4"}
        return real()

    return report


def test_results_of_a_worker_that_joined_after_the_check_are_refused(monkeypatch):
    # The check at the start asked the workers then there; one that joined later ran
    # replications with whatever it had installed, and its numbers were taken.
    scenario = sim.from_dict({**TINY, "replications": 4})
    tasks = [Task(scenario, r, 4) for r in range(4)]
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        backend(scheduler=cluster) as runner,  # the check passes: one worker, the same
    ):
        first = _worker_address(cluster)
        expected = [_arrivals(scenario, sim.simulate(*task)) for task in tasks]
        cluster.scale(2)
        runner.client.wait_for_workers(2, timeout=HANG_GUARD)
        (late,) = set(runner.client.scheduler_info()["workers"]) - {first}
        monkeypatch.setattr(sim.cluster, "_worker_versions", _numpy_of(late))
        runner.client.retire_workers([first])  # the work now runs on the late one
        with pytest.raises(ClusterError) as caught:
            runner.map(tasks, _arrivals)
        monkeypatch.undo()  # the late worker as it really is: its results are taken
        assert runner.map(tasks, _arrivals) == expected
    here = distributed.versions.get_versions(["numpy"])["packages"]["numpy"]
    assert str(caught.value) == (
        f"results refused: the Dask worker at {late} runs numpy 1.26.4, this machine numpy "
        f"{here}: another numpy can give other numbers (it was not there when the run "
        f"began); install numpy {here} where the workers run, or run on this machine"
    )


def test_a_refused_result_is_one_line_exit_2_and_nothing_written(
    capsys, monkeypatch, tiny, tmp_path, tcp_cluster
):
    # Exit 2, as at the check: the cluster as set up cannot give this run's numbers, and
    # the user's fix is where the workers run (a target missed is 1; nothing is kept).
    monkeypatch.setattr(sim.cluster, "_worker_versions", _numpy_of(None))
    out = tmp_path / "out"
    argv = ["run", str(tiny), "--scheduler", tcp_cluster.scheduler_address, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: results refused: the Dask worker at ")
    assert "runs numpy 1.26.4" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("address", ["nonsense", "udp://127.0.0.1:8786", "tcp://127.0.0.1:0"])
def test_a_bad_address_names_the_keyword_in_python_and_the_flag_on_the_command_line(
    address, capsys
):
    # The messages said "--scheduler" to Python callers, who give scheduler=.
    with pytest.raises(ClusterError) as caught:
        sim.run("scenarios/small_merchant_order_chat.yaml", replications=2, scheduler=address)
    assert str(caught.value).startswith(f"scheduler {address!r}: ")
    argv = ["run", "scenarios/small_merchant_order_chat.yaml", "-n", "2", "--scheduler", address]
    assert main(argv) == 2
    assert f"--scheduler {address!r}: " in capsys.readouterr().err


# Replication 0 comes back at once; the others wait for the test to let them go.
_RELEASE = threading.Event()
_FINISHED: list[int] = []


def _first_at_once(_shipped: object, replication: int) -> int:
    if replication:
        _RELEASE.wait(HANG_GUARD)
        _FINISHED.append(replication)
    return replication


def test_a_mismatched_workers_first_result_stops_the_run(monkeypatch):
    # Results were checked once all were gathered: the whole run was waited for before
    # the first result of a worker running another numpy was refused.
    monkeypatch.setattr(sim.cluster, "_worker_versions", _numpy_of(None))
    _RELEASE.clear()
    _FINISHED.clear()
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=4, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        try:
            with pytest.raises(ClusterError, match=r"^results refused: .* runs numpy 1\.26\.4"):
                sim.cluster.run_on_dask(client, _first_at_once, [("s", r) for r in range(4)])
            assert _FINISHED == [], "refused only once the others were done"
        finally:
            _RELEASE.set()


def test_a_cluster_that_lost_its_workers_names_them(monkeypatch):
    # A worker that cannot read the work (an older sim, in a source checkout that the
    # version check reads as this one) dies at its first task; the run said only that
    # the cluster had no workers. Here the worker list says one was there, then none.
    monkeypatch.setattr(sim.cluster, "NO_WORKERS_TIMEOUT", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        distributed.Client(empty, set_as_default=False) as client,
    ):
        there = iter([{"tcp://10.0.0.9:4000": 1}])
        monkeypatch.setattr(client, "nthreads", lambda: next(there, {}))
        with pytest.raises(ClusterError) as caught:
            sim.cluster.run_on_dask(client, _second, [(1, 2)])
    assert str(caught.value) == (
        "the Dask cluster has had no workers for 0.5 s during the run; tcp://10.0.0.9:4000 "
        "left it (did it fail to load sim, or run another version of it? its log says)"
    )
