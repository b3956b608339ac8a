"""The ``sim`` console command: the command line, interruptible from its first instant.

Importing the command line loads numpy, pandas, pydantic and SimPy, which takes a moment;
a Ctrl-C (or SIGTERM) then must not print a traceback of the import machinery. This
module imports nothing heavy itself: it installs the signal handling, imports the
command line inside a ``try`` and runs it. SIGTERM and SIGHUP (the terminal was closed)
are turned into an interrupt, so work stops the same way for all three: worker processes
are terminated, no output file is left half written, one line is printed and the exit
code is 130. The first of them wins: one that follows while the work stops (a second
Ctrl-C) is ignored. A SIGHUP ignored when sim starts (``nohup sim run ...``) stays so.

stdout and stderr are made safe to write first (:mod:`sim.stdio`).
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from sim.errors import ScenarioError
from sim.stdio import safe_streams

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "HungUp", "Terminated", "main", "stopped"]

EXIT_INTERRUPTED = 130
EXIT_BAD_INPUT = 2  # also an output that cannot be written (stdout on a full disk)


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as an interrupt so that cleanup runs as for Ctrl-C."""


class HungUp(Terminated):
    """SIGHUP: the terminal was closed; stops the work as SIGTERM does."""


def _stop(stops: list[int], signum: int, _frame: FrameType | None) -> None:
    # The first stop signal stops the work; those that follow while it stops (a second
    # Ctrl-C, SIGTERM after it) are ignored. Raised again they would break the clean-up
    # half-way: an interrupted wait leaves its lock released and a traceback follows.
    # The clean-up is short (workers are terminated, not drained).
    _ignore_all(stops)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise HungUp if signum == getattr(signal, "SIGHUP", None) else Terminated


def _stops() -> list[int]:
    """The signals that stop sim: SIGINT, SIGTERM and SIGHUP (none on Windows).

    One ignored when sim starts stays ignored: SIGINT in a background job, SIGHUP under
    ``nohup``.
    """
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    found = [getattr(signal, name) for name in names if hasattr(signal, name)]
    return [signum for signum in found if signal.getsignal(signum) != signal.SIG_IGN]


def stopped(exc: KeyboardInterrupt) -> int:
    """Say in one line what stopped the command; return the interrupted exit code."""
    word = "interrupted"
    if isinstance(exc, Terminated):
        word = "hung up" if isinstance(exc, HungUp) else "terminated"
    # After a hang-up the terminal may be gone: writing there fails, and nobody reads.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(word, file=sys.stderr)
    return EXIT_INTERRUPTED


def _ignored(_signum: int, _frame: FrameType | None) -> None:
    """A stop signal that comes too late to matter."""


def _ignore_all(stops: list[int]) -> None:
    # A Python handler that does nothing, not SIG_IGN: one of these signals may already
    # be pending, and Python reports a pending signal whose handler became SIG_IGN as
    # "OSError: Signal 15 ignored due to race condition", with a traceback.
    for signum in stops:
        signal.signal(signum, _ignored)


def _quiet_exit(stops: list[int]) -> None:
    # From here on the work is done: an interrupt during interpreter shutdown (atexit
    # handlers, joining threads) must not print a traceback either, nor kill sim once
    # Python has reset its own handlers to the default (it leaves SIG_IGN alone).
    _ignore_all(stops)  # one already pending runs this, before the next line
    for signum in stops:
        signal.signal(signum, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sim`` command line; return its exit code."""
    stops = _stops()
    for signum in stops:
        signal.signal(signum, functools.partial(_stop, stops))
    try:
        safe_streams()
        from sim.cli import main as run_command  # noqa: PLC0415 - the heavy import

        code = run_command(argv)
        sys.stdout.flush()  # a full disk is said now, not as Python shuts down
    except KeyboardInterrupt as exc:
        code = stopped(exc)
    except ScenarioError as exc:  # stdout could not be written
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_BAD_INPUT
    _quiet_exit(stops)
    return code
