"""The ``sim`` console command: the command line, interruptible from its first instant.

Importing the command line loads numpy, pandas, pydantic and SimPy, which takes a moment;
a Ctrl-C (or SIGTERM) then must not print a traceback of the import machinery. This
module imports nothing heavy itself: it installs the signal handling, imports the
command line inside a ``try`` and runs it. SIGTERM and SIGHUP (the terminal was closed)
are turned into an interrupt, so work stops the same way for all three: worker processes
are terminated, no output file is left half written, one line is printed and the exit
code is 130. The first of them wins: one that follows while the work stops (a second
Ctrl-C) is ignored. A SIGHUP ignored when sim starts (``nohup sim run ...``) stays so.

Output to the terminal is secondary to the work: a closed stdout or stderr (``>&-``) is
given the null device, and a reader that leaves (``| head -1``) makes what follows go
nowhere, so the command still writes its files and ends with its own exit code.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from sim.errors import ScenarioError

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


class _Output(io.RawIOBase):
    """stdout or stderr: neither a reader that leaves nor a full disk ends in a traceback.

    Once a write has failed, what follows goes to the null device (a child's output
    too). A failed write to stdout other than a departed reader (a full disk) is said
    once, as an output that cannot be written (exit code 2); one to stderr has nobody
    to be told.
    """

    def __init__(self, fd: int, name: str) -> None:
        super().__init__()
        self.fd = fd
        self.name = name

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        try:
            return os.write(self.fd, view)
        except OSError as exc:
            _null_onto(self.fd)
            if isinstance(exc, BrokenPipeError) or self.name == "stderr":
                return len(view)
            reason = f"cannot write: {exc.strerror or exc}"
            raise ScenarioError(self.name, [("", reason)]) from None


def _null_onto(fd: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _output_streams() -> None:
    """Make stdout and stderr safe to write, whatever they are connected to."""
    for fd in (0, 1, 2):
        if not _is_open(fd):  # a file opened later must not take its number
            _null_onto(fd)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = getattr(sys, name)  # None when it was closed
        # A terminal is left as it is: its only failure is a hang-up, which stops sim.
        if stream is None or not stream.isatty():
            setattr(sys, name, _text_stream(_Output(fd, name), stream))


def _text_stream(raw: _Output, was: io.TextIOWrapper | None) -> io.TextIOWrapper:
    """A text stream on ``raw`` like ``was`` (or like Python's own)."""
    if was is not None:
        with contextlib.suppress(OSError, ValueError):
            was.flush()
    stderr = raw.name == "stderr"
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=getattr(was, "encoding", None) or "utf-8",
        errors=getattr(was, "errors", None) or ("backslashreplace" if stderr else "strict"),
        line_buffering=getattr(was, "line_buffering", stderr),
        write_through=stderr,
    )


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
        _output_streams()
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
