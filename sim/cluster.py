"""Running replications on a Dask distributed cluster, or failing in one clear line.

The scheduler address is checked before anything connects (``tcp://host:port``; also
``tls://``, ``ws://``, ``wss://`` or a bare ``host:port``). A plain socket first connects
with a timeout, so a refused or unreachable endpoint is reported in seconds, where Dask
itself would retry until its own timeout. For ``tcp://`` it also waits, with a timeout,
for the scheduler's greeting (a Dask scheduler speaks first, a message's length as its
first 8 bytes): a silent endpoint, or one that speaks another protocol (an SSH server,
whose banner Dask would read as a length of exabytes), is refused before Dask reads from
it. The client is then created with its own timeout and an overall deadline. Before any
work is sent, each worker's versions of what can change a replication's numbers are
compared with this machine's (:func:`check_versions`), and again with each result as it
comes back, for the worker that made it: one that joined later is not asked
(:func:`run_on_dask`). Every
failure is a :class:`ClusterError` (exit code 2).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sim.extras import install_command
from sim.options import named

__all__ = [
    "CONNECT_TIMEOUT",
    "HANDSHAKE_TIMEOUT",
    "NO_WORKERS_TIMEOUT",
    "NUMBER_PACKAGES",
    "ClusterError",
    "check_versions",
    "connect",
    "parse_address",
    "run_on_dask",
    "version_mismatch",
]

CONNECT_TIMEOUT = 5.0
HANDSHAKE_TIMEOUT = 5.0
_CLIENT_DEADLINE = 30.0
_WORKERS_TIMEOUT = 10.0
# How long a run waits on a cluster left without workers before it gives up (Dask itself
# waits for ever), how often it looks, and how often it looks for finished work.
NO_WORKERS_TIMEOUT = 30.0
_WORKERS_EVERY = 1.0
_POLL = 0.05
# A Dask message starts with its length (8 bytes, native order, as distributed.comm.tcp
# writes it); the scheduler's greeting is a small handshake, far below this.
_GREETING = struct.Struct("Q")
_GREETING_MOST = 1 << 20
_SCHEMES = ("tcp", "tls", "ws", "wss")
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r":(?P<port>\d{1,5})/?$"
)


# What can change a replication's numbers when a worker's version differs from this
# machine's: the engine itself (sim), its event loop (simpy) and its random streams
# (numpy promises the same stream only "on the same build of numpy": numpy.random's
# compatibility policy), each compared whole; and Python's feature version (3.12's sum()
# of floats is compensated, 3.11's is not). Anything else (pandas, which builds tables
# here, Dask's own packages, which Dask itself warns about, a Python bug-fix release)
# cannot change a number and passes.
NUMBER_PACKAGES = ("sim", "numpy", "simpy")


class ClusterError(RuntimeError):
    """Where replications run failed: a Dask scheduler, or a local worker process.

    The scheduler cannot be used (extra not installed, bad address, unreachable) or was
    lost, or a local worker process died (:class:`sim.pool.WorkerLostError`). The command
    line says it in one line, exit code 2.
    """


def parse_address(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address, checked without connecting.

    Raises:
        ClusterError: the address is not of the form ``[tcp://]HOST:PORT``.
    """
    if address.startswith("inproc://"):  # a cluster in this very process (tests)
        return "inproc", "", 0
    match = _ADDRESS.match(address.strip())
    form = "expected tcp://HOST:PORT (or tls://, ws://, wss://), e.g. tcp://10.0.0.5:8786"
    if match is None:
        raise ClusterError(f"{named('scheduler')} {address!r}: not a scheduler address; {form}")
    scheme = (match.group("scheme") or "tcp").lower()
    if scheme not in _SCHEMES:
        raise ClusterError(
            f"{named('scheduler')} {address!r}: unsupported scheme {scheme}://; {form}"
        )
    port = int(match.group("port"))
    if not 0 < port < 65536:
        raise ClusterError(f"{named('scheduler')} {address!r}: port must be 1-65535, got {port}")
    return scheme, match.group("host").strip("[]"), port


def _probe(address: str, scheme: str, host: str, port: int) -> None:
    """Connect with a timeout; for ``tcp://`` also read the scheduler's greeting, checked."""
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address}: no connection within "
            f"{CONNECT_TIMEOUT:g} s"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    with sock:
        if scheme != "tcp":  # TLS and websockets wait for the client to speak first
            return
        sock.settimeout(HANDSHAKE_TIMEOUT)
        greeting = _greeting(address, sock)
    if len(greeting) < _GREETING.size:
        raise ClusterError(
            f"the endpoint at {address} accepted the connection but did not greet within "
            f"{HANDSHAKE_TIMEOUT:g} s as a Dask scheduler does (is it one?)"
        )
    (size,) = _GREETING.unpack(greeting)
    if not 0 < size <= _GREETING_MOST:
        raise ClusterError(
            f"the endpoint at {address} is not a Dask scheduler: it greeted with "
            f"{greeting!r}, not a Dask message"
        )


def _greeting(address: str, sock: socket.socket) -> bytes:
    """The first bytes the endpoint sends (fewer if it is silent for the socket's timeout)."""
    data = b""
    try:
        while len(data) < _GREETING.size:
            more = sock.recv(_GREETING.size - len(data))
            if not more:
                raise ClusterError(
                    f"the endpoint at {address} closed the connection without the greeting "
                    "a Dask scheduler sends (is it one?)"
                )
            data += more
    except TimeoutError:
        pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ClusterError(f"the endpoint at {address} dropped the connection: {reason}") from None
    return data


def _with_deadline(make: Callable[[], Any], seconds: float, what: str) -> Any:
    """``make()`` in a daemon thread; a ClusterError if it has not returned in time."""
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["value"] = make()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="sim-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ClusterError(f"{what}: no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def connect(scheduler: Any) -> tuple[Any, bool]:
    """A Dask client for ``scheduler`` and whether the caller owns (must close) it.

    Args:
        scheduler: an address string, an existing ``distributed.Client``, or a Dask
            cluster object (``LocalCluster``: a client of ours is opened to it).

    Raises:
        ClusterError: bad address, ``distributed`` missing, or no usable scheduler.
    """
    if not isinstance(scheduler, str):
        return _client_of(scheduler)
    scheme, host, port = parse_address(scheduler)
    if scheme != "inproc":
        # As checked, for Dask too: it refused " tcp://h:1", "TCP://h:1" and "tcp://h:1/".
        scheduler = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    try:
        from distributed import Client  # noqa: PLC0415 - optional extra
    except ImportError:
        raise ClusterError(
            "running on a Dask cluster needs the 'cluster' extra: in sim's repository, "
            + install_command("cluster")
        ) from None
    if scheme != "inproc":
        _probe(scheduler, scheme, host, port)
    if scheme == "tls":
        _check_tls(scheduler)
    what = f"cannot use the Dask scheduler at {scheduler}"
    try:
        client = _with_deadline(lambda: _open_client(Client, scheduler), _CLIENT_DEADLINE, what)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"{what}: {_first_line(exc)}") from None
    except Exception as exc:  # it answered, but did not do what a scheduler does
        raise ClusterError(
            f"{what}: it answered, but not as a Dask scheduler of this version does "
            f"({_first_line(exc)}); is it a worker's address?"
        ) from None
    try:
        client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        close(client)
        raise ClusterError(
            f"the Dask scheduler at {scheduler} has no workers (waited "
            f"{_WORKERS_TIMEOUT:g} s): {_first_line(exc)}"
        ) from None
    return client, True


def check_versions(client: Any) -> None:
    """Refuse a cluster whose workers run another version of what makes the numbers.

    Asks Dask for every worker's versions (``Client.get_versions``, read from each
    worker's installed packages, nothing of sim imported there) and compares them with
    this machine's (:data:`NUMBER_PACKAGES`, and Python's feature version). A package
    this machine runs without installed metadata (a source checkout on the path) cannot
    be compared and is skipped; one missing on a worker is a difference.

    Raises:
        ClusterError: the first difference, naming the worker, the package and both versions.
    """
    report = _with_deadline(
        lambda: client.get_versions(packages=list(NUMBER_PACKAGES)),
        _CLIENT_DEADLINE,
        "asking the Dask workers for their versions",
    )
    problem = version_mismatch(report)
    if problem is not None:
        raise ClusterError(problem)


def version_mismatch(report: dict[str, Any]) -> str | None:
    """The first worker difference that can change the numbers, in words, or None.

    Args:
        report: what ``Client.get_versions`` returns (``client``, ``workers``).
    """
    mine = _number_versions(report.get("client") or {})
    for address, info in sorted((report.get("workers") or {}).items()):
        theirs = _number_versions(info if isinstance(info, dict) else {})
        problem = _difference(address, mine, theirs)
        if problem is not None:
            return problem
    return None


def _difference(
    address: str, mine: dict[str, str | None], theirs: dict[str, str | None], note: str = ""
) -> str | None:
    """The first version of ``mine`` the worker at ``address`` runs otherwise, in words.

    A version this machine does not know (None: no installed metadata) is not compared.
    """
    for name, version in mine.items():
        other = theirs.get(name)
        if version is not None and other != version:
            there = f"{name} {other}" if other else f"no {name}"
            return (
                f"the Dask worker at {address} runs {there}, this machine {name} "
                f"{version}: another {name} can give other numbers{note}; install {name} "
                f"{version} where the workers run, or run on this machine"
            )
    return None


def _versions_here() -> dict[str, str | None]:
    """This process's versions of what can change a number (:func:`_number_versions`)."""
    from distributed.versions import get_versions  # noqa: PLC0415 - optional extra

    return _number_versions(get_versions(packages=list(NUMBER_PACKAGES)))


@functools.cache
def _worker_versions() -> dict[str, str | None]:
    """:func:`_versions_here` on a worker, read once per process (they cannot change)."""
    return _versions_here()


def _signed(job: Callable[..., Any], *args: Any) -> tuple[str, dict[str, str | None], Any]:
    """``job(*args)`` run on a Dask worker, with the worker's address and versions.

    :func:`check_versions` asks the workers there when the run starts; a worker that
    joins later (or comes back in another environment) is known only by what it runs,
    so every result says which versions made it (:func:`_check_signed`).
    """
    from distributed import get_worker  # noqa: PLC0415 - optional extra

    return get_worker().address, _worker_versions(), job(*args)


def _gather_checked(
    client: Any, futures: list[Any], on_done: Callable[[int], None] | None
) -> list[Any]:
    """The values of :func:`_signed` results, in order, each checked as it comes back.

    The first result of a worker that runs another version stops the run there: the
    rest is not waited for (they are cancelled by the caller).

    Raises:
        ClusterError: a worker that ran a task runs another version of what makes the
            numbers; all the results are refused (the difference is named).
    """
    where = {future.key: i for i, future in enumerate(futures)}
    values: list[Any] = [None] * len(futures)
    mine = _versions_here()
    seen: set[str] = set()
    for done in _batches(client, futures):
        for future, (address, theirs, value) in zip(done, client.gather(done), strict=True):
            if address not in seen:
                seen.add(address)
                _check_signed(address, mine, theirs)
            values[where[future.key]] = value
        if on_done is not None:
            on_done(len(done))
    return values


def _check_signed(address: str, mine: dict[str, str | None], theirs: dict[str, str | None]) -> None:
    """Refuse the results of a worker whose versions (with a :func:`_signed` result) differ.

    Raises:
        ClusterError: the first difference, naming the worker and both versions.
    """
    problem = _difference(address, mine, theirs, " (it was not there when the run began)")
    if problem is not None:
        raise ClusterError(f"results refused: {problem}")


def _number_versions(info: dict[str, Any]) -> dict[str, str | None]:
    """The versions that can change a number, from one ``get_versions`` entry."""
    packages = info.get("packages") or {}
    found = {name: packages.get(name) for name in NUMBER_PACKAGES}
    python = str((info.get("host") or {}).get("python") or "")
    found["Python"] = ".".join(python.split(".")[:2]) or None  # 3.11.7.final.0: 3.11
    return found


def _check_tls(address: str) -> None:
    """Refuse ``tls://`` when Dask has no TLS settings for a client (a TypeError in Dask)."""
    from distributed.security import Security  # noqa: PLC0415 - optional extra

    try:
        context = Security().get_connection_args("client")["ssl_context"]
    except (OSError, ValueError) as exc:  # a certificate file missing or unreadable
        raise ClusterError(
            f"{named('scheduler')} {address}: Dask's TLS settings: {_first_line(exc)}"
        ) from None
    if context is None:
        raise ClusterError(
            f"{named('scheduler')} {address}: tls:// needs Dask's TLS settings for a client "
            "(distributed.comm.tls.ca-file, .client.cert and .client.key in the Dask "
            "configuration, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and the like); none is set"
        )


def _open_client(client_type: Any, address: str) -> Any:
    """A client connected to ``address``; one that fails to connect is closed first.

    A client whose constructor fails has already started its event loop: left to the
    garbage collector, it is closed at exit, after that loop has stopped, and prints a
    traceback ("Exception ignored in: Client.__del__"). Made in two steps, it is held here
    and closed while the loop still runs.
    """
    client = client_type.__new__(client_type)
    try:
        client_type.__init__(client, address, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False)
    except BaseException:
        with contextlib.suppress(Exception):
            close(client)
        raise
    return client


def _client_of(scheduler: object) -> tuple[Any, bool]:
    """A caller's ``distributed.Client`` as it is, or a client of ours to a cluster object."""
    with contextlib.suppress(ImportError):
        from distributed import Client  # noqa: PLC0415 - optional extra

        if isinstance(scheduler, Client):
            return scheduler, False
    address = getattr(scheduler, "scheduler_address", None)
    if isinstance(address, str):  # LocalCluster and the other Dask cluster managers
        return connect(address)
    raise ClusterError(
        "scheduler: expected an address such as tcp://HOST:8786, a distributed.Client or a "
        f"Dask cluster, got {type(scheduler).__name__}"
    )


def close(client: Any) -> None:
    """Close a client we opened, without waiting long on a scheduler that has gone.

    Dask logs what goes wrong while it closes (its attempt to reconnect to a lost
    scheduler, cancelled: an ERROR and two tracebacks); the run's error already says it.
    """
    with (
        _quiet("distributed.client"),
        contextlib.suppress(ClusterError, OSError, TimeoutError),
    ):
        _with_deadline(lambda: client.close(timeout=5), 10.0, "closing the Dask client")


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Nothing below CRITICAL from the logger ``name`` during the block."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def run_on_dask(
    client: Any,
    job: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    on_done: Callable[[int], None] | None = None,
) -> list[Any]:
    """``[job(*task) for task in tasks]`` on the cluster, in order.

    The first element of each task (a scenario) is shipped to the cluster once per
    distinct object, as a task of its own, so that a worker lost on the way costs a
    retry, not the run. On an interrupt the cluster's futures are cancelled. Each result
    comes back with the versions of the worker that made it, compared with this
    machine's as :func:`check_versions` does, as soon as it comes back.

    Raises:
        ClusterError: the scheduler or a worker was lost on the way, or a worker that
            ran a task runs another version of what makes the numbers.
    """
    futures: list[Any] = []
    try:
        shipped: dict[int, Any] = {}
        for task in tasks:
            if id(task[0]) not in shipped:
                # A task that returns the scenario, not scattered data: the scheduler runs
                # it again when the worker holding its result dies. Scattered data died
                # with its last holder, and every replication waiting for it failed
                # ("already forgotten"), though Dask retries the replications themselves.
                # A fresh key each time (pure=False): under its content's hash, a scenario
                # shipped again in the next round races the release of the last round's
                # copy, and the round fails with "lost dependencies" (dask/distributed#8576).
                shipped[id(task[0])] = client.submit(_itself, task[0], pure=False)
        _wait_for(client, list(shipped.values()))
        columns = list(zip(*tasks, strict=True))
        first = [shipped[id(x)] for x in columns[0]]
        signed = functools.partial(_signed, job)
        # Named after the job (``_job-...``), as the dashboard and logs showed them.
        name = getattr(job, "__name__", "job")
        futures = client.map(signed, first, *columns[1:], key=name, pure=False)
        return _gather_checked(client, futures, on_done)
    except BaseException as exc:
        if futures:
            with contextlib.suppress(Exception):
                client.cancel(futures)
        if _unreadable(exc):
            raise ClusterError(
                "the Dask scheduler could not read the work sent to it: it needs sim, the "
                "version this machine runs, installed as the workers do "
                f"({_first_line(exc.__cause__ or exc)})"
            ) from None
        if _lost(exc):
            raise ClusterError(f"the Dask cluster failed during the run: {_why(exc)}") from None
        raise


def _itself(value: Any) -> Any:
    return value


def _wait_for(client: Any, shipped: list[Any]) -> None:
    """Wait until the scenarios are on the cluster; raise the error of one that is not.

    The scheduler unpickles each task: without sim (or with another version) it cannot,
    and the replications waiting on a scenario would fail as "lost dependencies".
    """
    _wait_all(client, shipped, None)
    for future in shipped:
        error = future.exception()  # its value stays on the cluster
        if error is not None:
            raise error


def _wait_all(client: Any, futures: list[Any], on_done: Callable[[int], None] | None) -> None:
    """Wait until ``futures`` are done, counting them off as they finish.

    Raises:
        ClusterError: as :func:`_batches`.
    """
    for done in _batches(client, futures):
        if on_done is not None:
            on_done(len(done))


def _batches(client: Any, futures: list[Any]) -> Iterator[list[Any]]:
    """The futures as they finish, a batch at a time (finished or failed), until all are.

    Raises:
        ClusterError: the cluster had no worker for :data:`NO_WORKERS_TIMEOUT` seconds.
            Dask waits for ever for one to come back; a worker that cannot load sim (not
            installed there) ends at its first task, and the run never would.
    """
    from distributed import as_completed  # noqa: PLC0415 - optional extra

    pending = as_completed(futures, loop=client.loop)
    alone_since: float | None = None  # since when the cluster has had no worker
    look = 0.0
    seen = set(client.nthreads())  # the workers known to have been there, to name them
    while not pending.is_empty():
        done = pending.next_batch(block=False)
        if done:
            yield done
            continue
        now = time.monotonic()
        if now >= look:
            look = now + _WORKERS_EVERY
            workers = client.nthreads()
            seen |= set(workers)
            if workers:
                alone_since = None
            elif alone_since is None:
                alone_since = now
            elif now - alone_since >= NO_WORKERS_TIMEOUT:
                raise ClusterError(_no_workers(sorted(seen)))
        time.sleep(_POLL)


def _no_workers(left: list[str]) -> str:
    """The cluster lost every worker: which ones left, and the likely reason.

    A worker that cannot read this machine's work (no sim, or an older one from before
    a change to how the work is sent, in a source checkout whose installed version
    reads the same) dies at its first task, in Dask's reading of it.
    """
    gone = f"; {', '.join(left)} left it" if left else ""
    they, logs = ("it", "its log says") if len(left) == 1 else ("they", "their logs say")
    return (
        f"the Dask cluster has had no workers for {NO_WORKERS_TIMEOUT:g} s during the "
        f"run{gone} (did {they} fail to load sim, or run another version of it? {logs})"
    )


def _unreadable(exc: BaseException) -> bool:
    """Whether the scheduler failed to unpickle the work (sim missing or another version)."""
    return isinstance(exc, RuntimeError) and "deserialization of the task graph" in str(exc)


def _why(exc: BaseException) -> str:
    """What was lost, in words: Dask names a task's key and its own reason code."""
    text = _first_line(exc)
    closed = any(cls.__name__ == "CommClosedError" for cls in type(exc).__mro__)
    if closed or "scheduler-connection-lost" in text:
        return "the connection to its scheduler was lost"
    return text


def _lost(exc: BaseException) -> bool:
    """Whether an error is the cluster's (lost connection, killed worker), not the task's."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"CommClosedError", "KilledWorker", "FutureCancelledError"}) or (
        isinstance(exc, OSError | TimeoutError) and not isinstance(exc, FileNotFoundError)
    )
