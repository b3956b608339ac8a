"""``sim run``: run a scenario's replications and print (or write) its figures."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_OK,
    add_report_option,
    add_run_options,
    add_scheduler_option,
    check_workload,
    command_line,
    plan_report,
    progress_wanted,
    table_width,
    wrap,
)
from sim.errors import ScenarioError
from sim.outputs import OutputPlan, Writer

if TYPE_CHECKING:
    from sim.results import Results

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim run SCENARIO``."""
    p = sub.add_parser(
        "run",
        help="run a scenario and print its figures",
        description=wrap(
            "Run the replications of a scenario and print, per queue, the mean of each "
            "figure over replications with its 95% confidence half-width (±)."
        ),
        epilog=(
            "examples:\n"
            "  sim run scenarios/livestream_promo_peak.yaml\n"
            "  sim run scenarios/livestream_promo_peak.yaml --set queues.live_peak.staff=12\n"
            "  sim run SCENARIO --replications 50 --json > summary.json\n"
            "  sim run SCENARIO --out results/   # summary, per-contact CSV, metadata\n"
            "  sim run SCENARIO --report report.html   # one HTML file to share"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    add_run_options(p, json_help="print the summary as JSON on stdout")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="write summary.csv, replications.csv, hourly.csv, contacts.csv, teams.csv, "
        "metadata.json and scenario.yaml (the resolved scenario) into DIR",
    )
    p.add_argument(
        "--plots", action="store_true", help="with --out: also write the standard plots (PNG)"
    )
    add_scheduler_option(p)
    add_report_option(p)
    p.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.loader import load

    if args.plots and not args.out:
        raise ScenarioError("--plots", [("", "needs --out DIR to write the images into")])
    scenario = load(args.scenario, args.overrides)
    # The heavy part of the API only once the input is known to be good: bad input is
    # reported at once.
    from sim.report import format_summary, format_teams
    from sim.report.figures import image_writers, standard_images, standard_plot_names
    from sim.report.tables import ci_note, count
    from sim.results import RESULT_FILES
    from sim.runner import run

    n = args.replications or scenario.replications
    workers = check_workload(args, args.scenario, [(scenario, n)], keep=True, write=bool(args.out))
    plan = OutputPlan(protect=[args.scenario])
    if args.out:
        names = [*RESULT_FILES, *(standard_plot_names(scenario) if args.plots else ())]
        plan.folder(args.out, names)
    report = plan_report(args, plan)
    results = run(
        scenario,
        replications=args.replications,
        seed=args.seed,
        workers=workers,
        scheduler=args.scheduler,
        progress=progress_wanted(args),
        # Rows of a changed run must not pass for the file's own when tables are joined.
        variant=", ".join(args.overrides) or "base",
    )
    for message in results.stability(args.scenario):
        print(message, file=sys.stderr)
    writers: dict[Path, Writer] = {}
    if args.out:
        writers |= results.writers(args.out)
        if args.plots:
            writers |= image_writers(standard_images(results), args.out)
    if report:
        writers[Path(args.report)] = _report_page(results, args)
    if writers:  # --out and --report: one set
        plan.write(writers)
    if args.json:
        print(json.dumps(results.to_dict(), indent=2))
    else:
        n = len(results.runs)
        # A changed run's table must not pass for the file's own either.
        name = f"{scenario.name} with {results.variant}" if args.overrides else scenario.name
        title = f"{name}: {count(n, 'replication')}, seed {results.seed} ({ci_note(n)})"
        threshold = scenario.service_level_threshold
        print(format_summary(results.summary(), title, threshold, table_width()))
        if scenario.teams:
            print("\nteams (a team's agents, and its work at each queue it serves):")
            print(format_teams(results.teams(), table_width()))
        if args.out:
            extra = " and the standard plots" if args.plots else ""
            print(f"\nwrote {Path(args.out) / ', '.join(RESULT_FILES)}{extra}")
        if report:
            print(f"wrote {args.report}")
    return EXIT_OK


def _report_page(results: Results, args: argparse.Namespace) -> Callable[[Path], object]:
    from sim.report.html import page_writer, scenario_text
    from sim.report.run import RunTables, run_report

    source = scenario_text(results.scenario.name, results.scenario, args.scenario, args.overrides)
    page = run_report(
        RunTables.from_results(results),
        [source],
        command=command_line(args),
        changes=args.overrides,
    )
    return page_writer(page)
