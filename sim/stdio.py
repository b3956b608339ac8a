"""stdout and stderr that neither a reader that leaves nor a full disk can break.

Output to the terminal is secondary to the work. :func:`safe_streams`, called by the
``sim`` command before anything else, makes it so:

* a closed stdout or stderr (``sim run ... >&-``) is given the null device, before any
  file is opened (an output file must not take its number, nor a note go to stdout);
* once the reader of a pipe has left (``sim run ... --out DIR 2>&1 | head -1``), what
  follows goes nowhere, so the command still writes its files and ends with its own
  exit code;
* a failed write to stdout (``sim run ... --json > summary.json`` on a full disk) is
  said once, as an output that cannot be written (:class:`~sim.errors.ScenarioError`,
  exit code 2); one to stderr has nobody to be told.

A terminal is left as it is: its only failure is a hang-up, which stops sim.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from sim.errors import ScenarioError

__all__ = ["safe_streams"]


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


def safe_streams() -> None:
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
