"""The ``sim`` console command: the command line, interruptible from its first instant.

Importing the command line loads numpy, pandas, pydantic and SimPy, which takes a moment;
a Ctrl-C (or SIGTERM) then must not print a traceback of the import machinery. This
module imports nothing heavy itself: it installs the signal handling, imports the
command line inside a ``try`` and runs it. SIGTERM is turned into an interrupt, so work
stops the same way for both: worker processes are terminated, no output file is left
half written, one line is printed and the exit code is 130.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "Terminated", "main"]

EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as an interrupt so that cleanup runs as for Ctrl-C."""


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def _quiet_exit() -> None:
    # From here on the work is done: an interrupt during interpreter shutdown (atexit
    # handlers, joining threads) must not print a traceback either.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sim`` command line; return its exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from sim.cli import main as run_command  # noqa: PLC0415 - the heavy import

        code = run_command(argv)
    except KeyboardInterrupt as exc:
        word = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(word, file=sys.stderr)
        code = EXIT_INTERRUPTED
    _quiet_exit()
    return code
