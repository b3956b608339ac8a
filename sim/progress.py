"""Progress of long work, on stderr: a bar for a person, short lines for a log.

On a terminal each stage gets a labelled tqdm bar (kept fresh every second, even while
one long replication runs). When stderr is not a terminal (CI, a pipe, a log file) a bar
would be one endless line of carriage returns, so work that lasts longer than
:data:`LINE_EVERY` seconds prints a short line at least that often instead, and a last
line when it ends. Nothing is ever written to stdout, so ``--json`` output stays JSON.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

from sim.units import format_duration

__all__ = ["LINE_EVERY", "Progress"]

LINE_EVERY = 10.0
_BAR_REFRESH = 1.0


class Progress:
    """One stage of work: ``total`` steps (or unknown), a label, updates as steps end.

    Args:
        label: what the stage does (``sweep: 5 variants x 10 replications``).
        total: steps in the stage, if known.
        unit: what a step is, for the bar (``replication``).
        enabled: False makes every method a no-op.
        stream: where to write (default: ``sys.stderr`` at creation).
        every: seconds between lines when the stream is not a terminal (default
            :data:`LINE_EVERY`).
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "replication",
        enabled: bool = True,
        stream: TextIO | None = None,
        every: float | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.note = ""
        self._stream = stream or sys.stderr
        self._every = LINE_EVERY if every is None else every
        self._start = time.monotonic()
        self._lines = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._bar: tqdm | None = None
        self._thread: threading.Thread | None = None
        if not enabled:
            return
        if _is_terminal(self._stream):
            self._bar = tqdm(
                total=total,
                desc=label,
                unit=unit,
                leave=False,
                file=self._stream,
                dynamic_ncols=True,
            )
        self._thread = threading.Thread(target=self._beat, name="sim-progress", daemon=True)
        self._thread.start()

    def update(self, steps: int = 1, note: str | None = None) -> None:
        """``steps`` more steps are done; ``note`` replaces the short status after the count."""
        with self._lock:
            self.done += steps
            if note is not None:
                self.note = note
            if self._bar is not None:
                if note is not None:
                    self._bar.set_postfix_str(note, refresh=False)
                self._bar.update(steps)

    def _beat(self) -> None:
        """Refresh the bar every second, or write a line every ``every`` seconds."""
        wait = _BAR_REFRESH if self._bar is not None else self._every
        while not self._stop.wait(wait):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()
                else:
                    self._line()

    def _line(self) -> None:
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        note = f", {self.note}" if self.note else ""
        elapsed = format_duration(time.monotonic() - self._start)
        print(f"{self.label}: {count} {self.unit}s{note}, {elapsed} elapsed", file=self._stream)
        self._stream.flush()
        self._lines += 1

    def close(self, *, finished: bool = True) -> None:
        """End the stage: the bar goes; a line log that said anything gets a last line.

        Args:
            finished: False when the stage was cut short (no last line then).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self._lines and finished:
                self._line()
                self._lines = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(finished=kind is None)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
