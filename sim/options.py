"""How a message names an option: ``start=`` to a Python caller, ``--start`` on the command line.

A check lives once, in the library, and its message tells the user what to give; only the
spelling depends on who called. The command line runs every command inside
:func:`command_line`; messages spell an option with :func:`option`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["command_line", "named", "on_command_line", "option"]

_ON_COMMAND_LINE: ContextVar[bool] = ContextVar("sim_on_command_line", default=False)

# Python keywords whose flag is not the keyword itself (a list's flag is repeated).
_FLAGS = {"overrides": "--set", "targets": "--target"}


def _flag(name: str) -> str:
    return _FLAGS.get(name, f"--{name.replace('_', '-')}")


def on_command_line() -> bool:
    """Whether the caller is the ``sim`` command (within :func:`command_line`)."""
    return _ON_COMMAND_LINE.get()


def option(name: str, value: str = "", python: str = "") -> str:
    """The option ``name`` (with an example value) as the caller writes it.

    Args:
        name: the Python keyword (``max_broken``); the flag is ``--max-broken``.
        value: an example value, as written on the command line.
        python: the example value as written in Python, when it is written otherwise
            there (a dict for ``--columns a=b``); default ``value``.
    """
    if on_command_line():
        return f"{_flag(name)} {value}" if value else _flag(name)
    return f"{name}={python or value}"


def named(name: str) -> str:
    """The option ``name`` as a message's subject: ``overrides``, or ``--set``."""
    return _flag(name) if on_command_line() else name


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Within this block, :func:`option` spells options as the command line's flags."""
    token = _ON_COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _ON_COMMAND_LINE.reset(token)
