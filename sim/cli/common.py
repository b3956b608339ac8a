"""Shared pieces of the ``sim`` subcommands: argument types, common options, exit codes."""

from __future__ import annotations

import argparse
import importlib
import math
import shlex
import shutil
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from sim.console import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from sim.errors import ScenarioError
from sim.outputs import OutputError, OutputPlan

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_MISS",
    "EXIT_OK",
    "Parser",
    "add_allow_large",
    "add_output_options",
    "add_report_option",
    "add_run_options",
    "add_scheduler_option",
    "check_queues",
    "check_workload",
    "command_line",
    "fail",
    "json_clean",
    "lazy_type",
    "non_negative_int",
    "plan_report",
    "positive_int",
    "progress_wanted",
    "replications",
    "scenarios_path",
    "table_width",
    "table_writers",
    "typed",
    "wrap",
]

EXIT_OK, EXIT_MISS = 0, 1


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with the bad-input code, 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D102
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


def replications(text: str) -> int:
    """Argument type: a number of replications, within the hard limit."""
    from sim.scenario import MAX_REPLICATIONS

    value = positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_REPLICATIONS:,}, got {value:,}")
    return value


def non_negative_int(text: str) -> int:
    """Argument type: an integer >= 0."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_run_options(
    p: argparse.ArgumentParser,
    *,
    json_help: str = "print JSON on stdout",
    replications_help: str = "replications (default: the file's)",
    set_help: str = "override a field, e.g. queues.email.staff=3 (repeatable; validated like "
    "the file)",
) -> None:
    """The options every simulating subcommand shares."""
    p.add_argument("--replications", "-n", type=replications, metavar="N", help=replications_help)
    p.add_argument("--seed", type=non_negative_int, help="base random seed (default: the file's)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=set_help,
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local processes (default: one per core, fewer if more would pass the memory "
        "limit; same results)",
    )
    p.add_argument("--json", action="store_true", help=json_help)
    add_allow_large(p)


def add_allow_large(p: argparse.ArgumentParser) -> None:
    """``--allow-large``: run past the workload limits of :func:`check_workload`."""
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even past the workload limits (contacts, replications, memory; see README)",
    )


def check_workload(
    args: argparse.Namespace,
    source: str,
    runs: list[tuple[Scenario, int]],
    *,
    keep: bool = False,
    write: bool = False,
    repeats: int = 1,
    early: bool = False,
) -> int | None:
    """Refuse, before it starts, work past the limits unless ``--allow-large`` was given.

    Args:
        args: the command's arguments (``--allow-large``, ``--workers``, ``--scheduler``).
        source: the file named in the message.
        runs: each scenario (variant) with its replications.
        keep: every replication's records are kept (``run``, ``plot``).
        write: the per-contact table is written (``run --out``).
        repeats: how many times the runs are simulated (calibration, staffing).
        early: a check of part of the runs (a sweep's first variants): it only refuses.

    Returns:
        The local processes to run on (:func:`sim.runner.workers_for`: ``--workers``, or
        by default as many as fit the memory limit, said once on stderr), or None on a
        Dask cluster.

    Raises:
        WorkloadError: a limit is passed (exit code 2), naming the estimate and the flag.
    """
    from sim.runner import WorkersWarning, workers_for
    from sim.workload import WorkloadError, estimate

    # On a Dask cluster no replication runs here (and --workers is not used): count the
    # running memory of one, what each of the cluster's workers needs.
    workers, note = None, None
    if getattr(args, "scheduler", None) is None:
        workers, note = workers_for(args.workers, runs, keep=keep, write=write)
    if not args.allow_large:
        work = estimate(runs, keep=keep, write=write, workers=workers or 1, repeats=repeats)
        found = work.problems()
        if found:
            reason = f"this would simulate {'; '.join(found)}; add --allow-large to run it anyway"
            raise WorkloadError(source, [("", reason)])
    if note is not None and not early:  # said once, for the run that goes ahead
        warnings.warn(note, WorkersWarning, stacklevel=2)
    return workers


def check_queues(source: str, queues: Iterable[str], wanted: Iterable[str]) -> None:
    """Refuse a ``--queue`` the scenario lacks, before anything is simulated.

    Args:
        source: the scenario file named in the message.
        queues: the scenario's queues.
        wanted: the ``--queue`` values.

    Raises:
        ScenarioError: one line per unknown queue (exit code 2).
    """
    known = list(queues)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        reason = f"(queues: {', '.join(known)})"
        raise ScenarioError(source, [("--queue", f"no queue {q!r} {reason}") for q in unknown])


def add_scheduler_option(p: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: run the same work on a Dask distributed cluster."""
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster (e.g. tcp://10.0.0.5:8786; needs the 'cluster' "
        "extra and sim installed on the scheduler and workers); same results as local",
    )


def add_report_option(p: argparse.ArgumentParser) -> None:
    """``--report FILE.html``: also write a self-contained HTML report of the result."""
    p.add_argument(
        "--report",
        metavar="FILE.html",
        help="also write a self-contained HTML report (figures inlined, opens offline)",
    )


def plan_report(args: argparse.Namespace, plan: OutputPlan) -> bool:
    """Check ``--report`` before any simulation runs (exit 2 if it cannot be written).

    The report joins the command's other outputs in ``plan``: they are written as one set.
    Returns whether a report was asked for.
    """
    if not getattr(args, "report", None):
        return False
    if Path(args.report).suffix.lower() not in {".html", ".htm"}:
        raise OutputError(args.report, "a report is an HTML file: end it in .html", "--report")
    plan.file(args.report, "--report")
    return True


def command_line(args: argparse.Namespace) -> str:
    """The command as typed (``sim run x.yaml --seed 3``), for the report."""
    return shlex.join(["sim", *getattr(args, "argv", [])])


def wrap(*paragraphs: str) -> str:
    """Help text: each paragraph filled to 88 columns, paragraphs separated by a blank line."""
    return "\n\n".join(textwrap.fill(p, 88) for p in paragraphs)


def typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type whose ValueError message reaches the user (exit 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ScenarioError as exc:
            # Its subject is the option (``vary``), which argparse names already.
            reasons = [f"{path}: {reason}" if path else reason for path, reason in exc.problems]
            raise argparse.ArgumentTypeError("; ".join(reasons)) from None
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def lazy_type(module: str, name: str) -> Callable[[str], Any]:
    """:func:`typed` of ``module.name``, imported only when an argument is converted.

    Building the parser must not import the API (``sim --help`` stays instant).
    """

    def convert(text: str) -> Any:
        return typed(getattr(importlib.import_module(module), name))(text)

    convert.__name__ = name
    return convert


def add_output_options(
    p: argparse.ArgumentParser,
    out_help: str = "also write the table as CSV to FILE, and the resolved scenarios of the "
    "variants beside it (--out diff.csv: diff.scenarios.yaml)",
) -> None:
    """``--scheduler`` and ``--out FILE`` of the what-if subcommands."""
    add_scheduler_option(p)
    p.add_argument("--out", metavar="FILE", help=out_help)


def scenarios_path(out: str) -> Path:
    """``results.csv`` -> ``results.scenarios.yaml``: the resolved variants beside the table."""
    return Path(out).with_suffix(".scenarios.yaml")


def table_writers(table: Any, out: str) -> dict[Path, Callable[[Path], object]]:
    """Writers of a what-if table as CSV and its variants' scenarios beside it."""
    from sim.experiments import save_scenarios

    return {
        Path(out): lambda path: table.to_csv(path, index=False),
        scenarios_path(out): lambda path: save_scenarios(table, path),
    }


def progress_wanted(_args: argparse.Namespace) -> bool:
    """Progress on stderr: a bar on a terminal, else a line every few seconds.

    Never on stdout, so ``--json`` output stays JSON (see :mod:`sim.progress`).
    """
    return True


def table_width() -> int:
    """How wide a printed table may be: the terminal's width, else 120 columns.

    Output to a file, a pipe or a test is 120 wide, so that what is saved does not depend
    on the window it was made in.
    """
    from sim.report.layout import MAX_WIDTH

    if not sys.stdout.isatty():
        return MAX_WIDTH
    return shutil.get_terminal_size((MAX_WIDTH, 24)).columns


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
