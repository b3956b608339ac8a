"""The ``sim`` command line: thin glue over the Python API.

Exit codes: 0 ok, 1 a target or check missed, 2 bad input (a message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sim.cli_document import register_calibrate, register_validate
from sim.cli_plot import register as register_plot
from sim.cli_plot import write_standard_plots
from sim.cli_whatif import register_compare, register_staff, register_sweep
from sim.cliutil import EXIT_BAD_INPUT, EXIT_OK, Parser, add_run_options, add_scheduler_option
from sim.errors import ScenarioError
from sim.loader import load
from sim.report import format_summary
from sim.runner import ClusterError, run

__all__ = ["main"]


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a scenario and print its figures",
        description=(
            "Run the replications of a scenario and print, per queue, the mean of each "
            "figure over replications with its 95% confidence half-width (±)."
        ),
        epilog=(
            "examples:\n"
            "  sim run scenarios/livestream_promo_peak.yaml\n"
            "  sim run scenarios/livestream_promo_peak.yaml --set queues.live_peak.staff=12\n"
            "  sim run SCENARIO --replications 50 --json > summary.json\n"
            "  sim run SCENARIO --out results/   # summary, per-contact CSV, metadata"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    add_run_options(p, json_help="print the summary as JSON on stdout")
    p.add_argument("--out", metavar="DIR", help="write summary.csv, contacts.csv, metadata.json")
    p.add_argument(
        "--plots", action="store_true", help="with --out: also write the standard plots (PNG)"
    )
    add_scheduler_option(p)
    p.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.plots and not args.out:
        raise ScenarioError("--plots", [("", "--plots needs --out DIR to write the images into")])
    scenario = load(args.scenario, args.overrides)
    results = run(
        scenario,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.out:
        results.save(args.out)
        if args.plots:
            write_standard_plots(results, args.out)
    if args.json:
        print(json.dumps(results.to_dict(), indent=2))
    else:
        title = (
            f"{scenario.name}: {len(results.runs)} replications, seed {results.seed} "
            "(mean ±95% CI half-width)"
        )
        print(format_summary(results.summary(), title, scenario.service_level_threshold))
        if args.out:
            extra = " and the standard plots" if args.plots else ""
            print(f"\nwrote {args.out}/summary.csv, contacts.csv, hourly.csv, metadata.json{extra}")
    return EXIT_OK


# Each subcommand registers itself from its own module; add new ones here.
COMMANDS = [
    _add_run,
    register_validate,
    register_calibrate,
    register_compare,
    register_sweep,
    register_staff,
    register_plot,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sim`` command."""
    parser = Parser(
        prog="sim",
        description="What-if simulator for merchant customer service (queues, shifts, bots).",
        epilog="Exit codes: 0 ok, 1 a target or check missed, 2 bad input.",
    )
    from sim import __version__  # noqa: PLC0415 - avoids an import cycle

    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sim`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ScenarioError, ClusterError) as exc:
        print(f"error: {exc}".replace("\n", "\nerror: "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader (``| head``) left; say nothing more and do not trace back.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
