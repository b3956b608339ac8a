"""Shared pieces of the ``sim`` subcommands: argument types, common options, exit codes."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_MISS",
    "EXIT_OK",
    "Parser",
    "add_output_options",
    "add_run_options",
    "add_scheduler_option",
    "fail",
    "json_clean",
    "non_negative_int",
    "positive_int",
    "progress_wanted",
    "scenarios_path",
    "typed",
    "wrap",
]

EXIT_OK, EXIT_MISS, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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


def typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type whose ValueError message reaches the user (exit 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def add_output_options(
    p: argparse.ArgumentParser,
    out_help: str = "also write the table as CSV to FILE, and the resolved scenarios of the "
    "variants beside it (FILE.scenarios.yaml)",
) -> None:
    """``--scheduler`` and ``--out FILE`` of the what-if subcommands."""
    add_scheduler_option(p)
    p.add_argument("--out", metavar="FILE", help=out_help)


def scenarios_path(out: str) -> Path:
    """``results.csv`` -> ``results.scenarios.yaml``: the resolved variants beside the table."""
    return Path(out).with_suffix(".scenarios.yaml")


def progress_wanted(args: argparse.Namespace) -> bool:
    """A progress bar only for a person at a terminal, never with ``--json``."""
    return not args.json and sys.stderr.isatty()


def fail(message: str) -> int:
    """Report bad input in one line and return the bad-input exit code."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def json_clean(value: Any) -> Any:
    """A table value as JSON: NaN as null, numpy scalars as Python numbers."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return json_clean(value.item())
    return value
