"""The ``sim`` command line: thin glue over the Python API, one module per command group.

Each module registers its subcommands on the parser (see :data:`COMMANDS`); handlers
load scenarios, call :mod:`sim`'s API and print. Exit codes: 0 ok, 1 a target or check
missed, 2 bad input (a message, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from sim.cli import calibrate, compare, fit, plot, report, run, staff, sweep, validate
from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser
from sim.cluster import ClusterError
from sim.console import stopped
from sim.errors import ScenarioError
from sim.options import command_line

__all__ = ["COMMANDS", "build_parser", "main"]

# The subcommands, in the order ``sim --help`` lists them.
COMMANDS = [
    run.register,
    validate.register,
    calibrate.register,
    compare.register,
    sweep.register,
    staff.register,
    plot.register,
    fit.register,
    report.register,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sim`` command."""
    from sim import __version__

    parser = Parser(
        prog="sim",
        description="What-if simulator for merchant customer service (queues, shifts, bots).",
        epilog="'sim COMMAND --help' explains a command's options, with examples.\n"
        "Exit codes: 0 ok, 1 a target or check missed, 2 bad input, 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for register in COMMANDS:
        register(sub)
    for command in sub.choices.values():
        # An unknown option is the subcommand's error, with its usage, not the top level's.
        command.set_defaults(subparser=command)
    return parser


def _show_warning(  # noqa: PLR0917 - the signature of warnings.showwarning
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings of sim's own classes as one line, ``warning: ...``; others as Python does."""
    if category.__module__.split(".")[0] == "sim":
        print(f"warning: {message}", file=file or sys.stderr)
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


_SHOW_WARNING = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sim`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    shown, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        return _main(argv)
    finally:
        warnings.showwarning = shown


def _main(argv: list[str]) -> int:
    try:
        args, unknown = build_parser().parse_known_args(argv)
        if unknown:
            args.subparser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.argv = argv
        with command_line():  # messages name flags (--start), not Python keywords
            return args.handler(args)
    except (ScenarioError, ClusterError) as exc:
        print(f"error: {exc}".replace("\n", "\nerror: "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader (``| head``) left; say nothing more and do not trace back.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt as exc:
        return stopped(exc)
