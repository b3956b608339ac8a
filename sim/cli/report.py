"""``sim report RESULTS_DIR``: the HTML report of a folder written by ``sim run --out``."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from sim.cli.common import EXIT_OK, command_line, wrap
from sim.errors import ScenarioError
from sim.outputs import OutputError, OutputPlan

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim report RESULTS_DIR [--out FILE.html]``."""
    p = sub.add_parser(
        "report",
        help="write the HTML report of a results folder (from sim run --out)",
        description=wrap(
            "Read a folder written by sim run --out (summary.csv, replications.csv, "
            "hourly.csv, contacts.csv, teams.csv, metadata.json, scenario.yaml) and write one "
            "self-contained HTML file: the headline figures with their 95% CIs, per queue "
            "the wait survival curve, the hourly profile and the day-by-hour heat map, the "
            "teams' figures when the scenario has teams, and the resolved scenario with its "
            "seed, replications, versions and hash. Nothing "
            "is simulated again. The figures are those sim run --report draws."
        ),
        epilog=(
            "examples:\n"
            "  sim run scenarios/livestream_promo_peak.yaml --out results/\n"
            "  sim report results/                     # writes results/report.html\n"
            "  sim report results/ --out peak.html"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", metavar="RESULTS_DIR", help="folder written by sim run --out")
    p.add_argument(
        "--out", metavar="FILE.html", help="the report file (default: RESULTS_DIR/report.html)"
    )
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.report.html import scenario_text, write_report
    from sim.report.run import RunTables, run_report
    from sim.results import RESULT_FILES

    folder = Path(args.folder)
    if not folder.is_dir():  # before the report's path, which lies in it by default
        raise ScenarioError(str(folder), [("", "no such folder of results")])
    report = Path(args.out or folder / "report.html")
    if report.suffix.lower() not in {".html", ".htm"}:
        raise OutputError(str(report), "a report is an HTML file: end it in .html", "--out")
    plan = OutputPlan(protect=[folder / name for name in RESULT_FILES])
    plan.file(report, "--out")
    if report.parent.absolute() == folder.absolute():
        plan.join(report)  # a report of the run beside it goes with the run
    tables = RunTables.from_folder(folder)
    # The folder keeps the resolved scenario only; the file's own text is not in it.
    source = replace(
        scenario_text(tables.scenario.name, tables.scenario),
        source=str(folder / "scenario.yaml"),
    )
    page = run_report(tables, [source], command=command_line(args))
    write_report(page, report, plan)
    print(f"wrote {report}")
    return EXIT_OK
