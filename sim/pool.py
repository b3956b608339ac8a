"""Local worker processes that stop when asked: on Ctrl-C, SIGTERM, errors, or a dead parent.

:class:`WorkerPool` wraps a :class:`~concurrent.futures.ProcessPoolExecutor`:

* work is submitted in small chunks, a few at a time, and awaited with short waits, so
  the calling thread notices an interrupt at once instead of after a large chunk;
* on any exception (``KeyboardInterrupt`` included) pending chunks are cancelled and the
  workers are terminated, not left to finish minutes of work nobody will read;
* workers ignore SIGINT and SIGHUP (a terminal sends Ctrl-C, and its hang-up, to the
  whole process group; the parent decides what stops) and die with their parent: on
  Linux through ``prctl(PR_SET_PDEATHSIG)``, elsewhere through a thread watching the
  parent's pid;
* a worker that dies while it sends a result (the executor's own thread then waits for
  the rest of the message for ever) is noticed, and so is an interrupt at that moment.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import wait as ready
from typing import Any

from sim.cluster import ClusterError

__all__ = ["WorkerLostError", "WorkerPool", "start_method"]

_PR_SET_PDEATHSIG = 1
_WAIT = 0.2  # seconds between looks at the work: how soon an interrupt is noticed


def start_method() -> str | None:
    """How workers start: ``fork`` on Linux, the platform's default elsewhere (None).

    Said explicitly because Python 3.14 makes ``forkserver`` the default on Linux: its
    workers import the package after they start, so a Ctrl-C sent to the process group in
    that second reaches a worker before it ignores SIGINT and prints a traceback (seen
    once in ``tests/test_interrupts.py`` with ``forkserver`` forced on 3.11), and each
    command would pay the imports again. A forked worker is ready at once. The parent
    forks before it starts threads of its own (see :class:`WorkerPool`); the allocator
    threads some libraries start (jemalloc's, under pyarrow) are made fork-safe by them.
    """
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return None


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _die_with_parent() -> None:
    """Make this process end when its parent does, however the parent ends."""
    parent = os.getppid()
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


# Held (blocked) while workers are forked, and let through in each worker once it has set
# its own dispositions: a Ctrl-C to the process group in between waits, then is ignored.
_STOPS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Block SIGINT, SIGTERM and SIGHUP in this thread for the block; pending ones follow.

    A worker inherits the block: a Ctrl-C that reaches it before :func:`_init_worker`
    (say, while the fork's own clean-up runs) would otherwise raise KeyboardInterrupt
    there and print a traceback. Without ``pthread_sigmask`` (Windows) nothing is held.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    _die_with_parent()


def _run_chunk(job: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [job(item) for item in items]


class WorkerLostError(ClusterError):
    """A worker process ended before its work was done (killed, most often for memory)."""


def _how_one_ended(workers: Sequence[Any]) -> str:
    """How the first worker that the pool itself did not terminate (SIGTERM) ended."""
    codes = [p.exitcode for p in workers if p.exitcode not in (None, -signal.SIGTERM)]
    if not codes:
        return "cause unknown"
    if codes[0] >= 0:
        return f"exit code {codes[0]}"
    with contextlib.suppress(ValueError):
        return f"killed by {signal.Signals(-codes[0]).name}"
    return f"killed by signal {-codes[0]}"


class WorkerPool:
    """A process pool for :meth:`map`, terminated rather than drained when work stops.

    Args:
        workers: processes to start.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        method = start_method()
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            initializer=_init_worker,
            mp_context=multiprocessing.get_context(method) if method else None,
        )
        # Start the workers now, while this process has no other thread (progress bars
        # start threads; forking beside a thread that holds a lock can deadlock).
        try:
            with _stops_held():  # the fork happens in this submit
                started = self._executor.submit(os.getpid)
            started.result()
        except BaseException:
            self.terminate()
            raise

    def map(
        self,
        job: Callable[[Any], Any],
        items: Sequence[Any],
        sizes: Sequence[int],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        """``[job(item) for item in items]``, computed on the workers, in order.

        Args:
            job: a picklable function of one item.
            items: the inputs.
            sizes: how many items each chunk holds (they sum to ``len(items)``).
            on_done: called with the number of items of each finished chunk.
        """
        bounds, start = [], 0
        for size in sizes:
            bounds.append((start, start + size))
            start += size
        results: list[Any] = [None] * len(items)
        queue = iter(bounds)
        running: dict[Future, tuple[int, int]] = {}

        def submit_next() -> None:
            span = next(queue, None)
            if span is not None:
                future = self._executor.submit(_run_chunk, job, items[span[0] : span[1]])
                running[future] = span

        try:
            for _ in range(2 * self.workers):  # enough to keep every worker busy
                submit_next()
            while running:
                done, _ = wait(running, timeout=_WAIT, return_when=FIRST_COMPLETED)
                if not done and self._one_died():
                    raise BrokenProcessPool  # reported below, as the executor would
                for future in done:
                    first, last = running.pop(future)
                    results[first:last] = future.result()
                    submit_next()
                    if on_done is not None:
                        on_done(last - first)
        except BrokenProcessPool:
            workers = self._workers()
            self.terminate()  # joins them all: their exit codes are then settled
            how = _how_one_ended(workers)
            raise WorkerLostError(
                f"a worker process ended abruptly ({how}) before its replications were done; "
                "the system kills one when it runs out of memory (try fewer workers or a "
                "smaller run)"
            ) from None
        except BaseException:
            self.terminate()
            raise
        return results

    def _workers(self) -> list[Any]:
        # The executor has no public way to reach its processes before Python 3.14's
        # terminate_workers(); its process table is stable across 3.9-3.13.
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def _one_died(self) -> bool:
        """Whether a worker has ended: one killed while it sent a result goes unnoticed.

        The executor's thread is then waiting for the rest of that message, not for the
        workers, so the pool would wait for ever for work nobody does.
        """
        with contextlib.suppress(OSError, ValueError, AttributeError):
            return bool(ready([p.sentinel for p in self._workers()], timeout=0))
        return False

    def terminate(self) -> None:
        """Stop now: kill the workers, then let the executor fail what was pending."""
        # Killing the workers before the shutdown means no stop message is ever sent
        # down a pipe nobody reads (the executor's feeder thread would print a traceback).
        processes = self._workers()
        for process in processes:
            with contextlib.suppress(OSError, AttributeError):
                process.terminate()
        for process in processes:
            with contextlib.suppress(OSError, AttributeError, AssertionError):
                process.join(timeout=5)
        # A worker killed while it sent a result leaves the executor's thread reading a
        # message that never ends, and the shutdown waiting for that thread for ever.
        # The workers' ends of the result pipe died with them: closing this process's
        # turns the wait into an end of file, which the executor handles as a broken pool.
        with contextlib.suppress(OSError, AttributeError):
            self._executor._result_queue._writer.close()  # type: ignore[attr-defined]
        self._executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Let finished work go and the workers exit."""
        self._executor.shutdown(wait=True)
