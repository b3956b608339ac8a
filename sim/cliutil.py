"""Shared pieces of the ``sim`` subcommands: argument types, common options, exit codes."""

from __future__ import annotations

import argparse
import sys
import textwrap

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_MISS",
    "EXIT_OK",
    "Parser",
    "add_run_options",
    "add_scheduler_option",
    "non_negative_int",
    "positive_int",
    "wrap",
]

EXIT_OK, EXIT_MISS, EXIT_BAD_INPUT = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with the bad-input code, 2."""

    def error(self, message: str) -> None:  # noqa: D102
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """Argument type: an integer >= 1."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """Argument type: an integer >= 0."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_run_options(p: argparse.ArgumentParser, *, json_help: str = "print JSON on stdout") -> None:
    """The options every simulating subcommand shares."""
    p.add_argument("--replications", "-n", type=positive_int, help="replications (default: file's)")
    p.add_argument("--seed", type=non_negative_int, help="base random seed (default: file's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. queues.email.staff=3 (repeatable; validated like the file)",
    )
    p.add_argument(
        "--workers", type=positive_int, help="local processes (default: all cores; same results)"
    )
    p.add_argument("--json", action="store_true", help=json_help)


def add_scheduler_option(p: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: run the same work on a Dask distributed cluster."""
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster (e.g. tcp://10.0.0.5:8786; needs the 'cluster' "
        "extra and sim installed on the workers); same results as local",
    )


def wrap(*paragraphs: str) -> str:
    """Help text: each paragraph filled to 88 columns, paragraphs separated by a blank line."""
    return "\n\n".join(textwrap.fill(p, 88) for p in paragraphs)
