"""The Dask path under stress: endpoints that are not schedulers, and workers that die.

A wrong ``--scheduler`` is one line and exit code 2, whatever answers at the address; a
worker lost during a run costs Dask a retry, not the run, and the numbers are the serial
ones. The clusters here are small (one or two workers) and local.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sim.cli import main

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
