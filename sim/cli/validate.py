"""``sim validate PATH...``: every target of the scenarios against the simulation."""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_MISS,
    EXIT_OK,
    add_report_option,
    add_run_options,
    add_scheduler_option,
    check_workload,
    command_line,
    plan_report,
    progress_wanted,
    typed,
    wrap,
)
from sim.errors import ScenarioError
from sim.outputs import OutputPlan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sim.scenario import Scenario
    from sim.validate import TargetRow

__all__ = ["PASS_RULE", "register"]

PASS_RULE = (
    "Pass rule: a target passes when |simulated mean - document figure| <= its tolerance "
    "(10% = a tenth of the figure; 0.03 = 3 percentage points; 30s = 30 seconds); "
    "'bound: at_most' targets pass when simulated mean <= figure + tolerance, "
    "'at_least' when simulated mean >= figure - tolerance. The 95% CI half-width over "
    "replications is shown beside the mean; it is not part of the rule."
)

RATIOS = (
    "Ratio targets: 'ratio_to: {queue: ..., metric: ...}' divides the target's figure by "
    "another selection's (fields left out are the target's own); 'ratio_to: {least_of: "
    "[{...}, {...}]}' by the lowest of several (e.g. the fastest of other channels' "
    "waits); 'ratio_to: best_other_hour' by the highest of the same figure in each other "
    "clock hour. The simulated ratio is the ratio of the two means over replications "
    "(the lowest or highest mean for least_of and best_other_hour), with a ratio "
    "estimator's CI. Metric e2e_mean_response: mean time from a contact's entry (its first "
    "attempt) to its first answer at a scope queue."
)

SEQUENTIAL = (
    "Replications: without -n, each file runs as many as its targets need, from "
    "--min-replications up to the file's own replications: a target is settled when its "
    "95% CI lies wholly inside or wholly outside its pass band, or when the CI half-width "
    "is at most --precision times its tolerance; unsettled targets get more "
    "replications, round by round, and a round after the first simulates only the queues "
    "they depend on (theirs, those routing contacts to them, those sharing their agents: "
    "the same figures to the bit, for less work); a target settled earlier keeps the "
    "replications it had unless a round measured it too. The counts depend only on the "
    "figures, never on --workers. -n N runs exactly N per file, every queue. The table "
    "says how many each file used, and (n=K) where a target had fewer."
)

_VALIDATE_EXAMPLES = """\
examples:
  sim validate scenarios/document
  sim validate scenarios/document --precision 0.25     # tighter: CI within a quarter of tol
  sim validate scenarios/document/hotline.yaml -n 40   # exactly 40 replications
  sim validate scenarios/document --json > validation.json
  sim validate scenarios/document/livestream.yaml \\
      --set 'queues.live_promo.staff.three_shift.agents=[6, 8, 10]'

JSON rows: scenario, queue, metric, value, simulated, ci95, tolerance, passed (times in
seconds, rates and shares as fractions, ratios as numbers; tolerance is the half-width
in the same units), plus bound, detail, note, replications, source, role (check, fit
or input), id, variant (the --set changes, or base) and seed.
Stability: a queue whose offered work exceeds its agents' time over a run of a week or
more, or that leaves over 1% of its visits unfinished, is warned about on stderr (the
exit code does not change); a shorter run (a peak day) reports its backlog instead.
Dated peaks, shifts and holidays outside the run's period are warned about too (by
every command: they change nothing in it).
exit codes: 0 every target passes, 1 a target missed, 2 bad input.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim validate`` to the subcommands."""
    p = sub.add_parser(
        "validate",
        help="check scenarios' targets (the document's figures) against the simulation",
        description=wrap(
            "Run each scenario (files, or folders searched for *.yaml files with a "
            "targets: list, hidden files and folders left out) and print, per target, "
            "the document's figure, the simulated "
            "mean over replications with its 95% CI half-width, and pass or MISS.",
            PASS_RULE,
            RATIOS,
            SEQUENTIAL,
        ),
        epilog=_VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    add_run_options(
        p,
        json_help="print the rows as a JSON list on stdout",
        replications_help="exactly N replications per file (default: as many as the targets "
        "need, from --min-replications up to the file's own; see above)",
    )
    add_scheduler_option(p)
    add_report_option(p)
    add_sequential_options(p)
    p.set_defaults(handler=_cmd_validate)


def add_sequential_options(p: argparse.ArgumentParser) -> None:
    """``--precision`` and ``--min-replications`` of sequential stopping."""
    p.add_argument(
        "--precision",
        type=typed(_fraction),
        default=0.5,
        metavar="F",
        help="settle a target once its 95%% CI half-width is at most F x its tolerance "
        "(default 0.5; without -n)",
    )
    p.add_argument(
        "--min-replications",
        type=typed(_at_least_two),
        default=4,
        metavar="N",
        help="replications of the first round (default 4; without -n)",
    )


def _fraction(text: str) -> float:
    try:  # float()'s own message ("could not convert string to float") names no option
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise ValueError(f"expected a fraction in (0, 1], got {text!r}")
    return value


def _at_least_two(text: str) -> int:
    try:  # int()'s own message ("invalid literal for int() with base 10") is Python's
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None
    if value < 2:
        raise ValueError(f"sequential stopping starts from at least 2 replications, got {value}")
    return value


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.validate.files import discover, load_all

    files = discover(args.paths)
    if not files:
        raise ScenarioError(" ".join(args.paths), [("", "no scenario files with targets found")])
    scenarios = load_all(files, args.overrides)
    from sim.validate import format_ledger, format_rows, tally, validate_all
    from sim.validate.ledger import keeps_ledger
    from sim.validate.sequential import Plan

    plan = OutputPlan(protect=files)
    report = plan_report(args, plan)
    checked = [(src, s) for src, s in scenarios if s.targets]
    if not checked:  # one line, before any work: the notes below would only repeat it
        raise ScenarioError(" ".join(args.paths), [("", "no targets to check")])
    for source in (source for source, s in scenarios if not s.targets):
        print(f"note: {source} has no targets", file=sys.stderr)
    runs = [(s, args.replications or s.replications) for _, s in checked]
    workers = check_workload(args, " ".join(args.paths), runs)
    result = validate_all(
        checked,
        replications=args.replications,
        seed=args.seed,
        workers=workers,
        scheduler=args.scheduler,
        progress=progress_wanted(args),
        plan=Plan(args.min_replications, args.precision),
    )
    rows = result.rows  # not empty: every checked scenario has targets
    for message in result.messages:
        print(message, file=sys.stderr)
    if report:
        _write_report(args, scenarios, rows, plan)
    if args.json:
        print(json.dumps(_json_rows(args, checked, rows), indent=2))
    else:
        print(_title(rows, args.replications))
        print(format_rows(rows))
        # A file that declares no ledger has targets without roles: nothing to count.
        tallies = [
            tally(src, s, [r for r in rows if r.source == src])
            for src, s in checked
            if keeps_ledger(s)
        ]
        if tallies:
            print(
                "\nLedger (check: a prediction; fit: a calibrated value was tuned to it; "
                "input: restates an input)"
            )
            print(format_ledger(tallies))
    return EXIT_OK if all(r.passed for r in rows) else EXIT_MISS


def _json_rows(
    args: argparse.Namespace, checked: list[tuple[str, Scenario]], rows: list[TargetRow]
) -> list[dict[str, object]]:
    """The ``--json`` rows, each with the variant (the ``--set`` changes) and seed it ran."""
    seeds = {src: args.seed if args.seed is not None else s.seed for src, s in checked}
    variant = ", ".join(args.overrides) or "base"
    return [{**r.to_dict(), "variant": variant, "seed": seeds[r.source]} for r in rows]


def _each(values: Mapping[str, object]) -> str:
    """One value, or each file's own."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return str(distinct.pop())
    return "; ".join(f"{source}: {value}" for source, value in values.items())


def _write_report(
    args: argparse.Namespace,
    scenarios: list[tuple[str, Scenario]],
    rows: list[TargetRow],
    plan: OutputPlan,
) -> None:
    from sim.report.html import scenario_text, write_report
    from sim.report.validate import validate_report
    from sim.validate import replications_by_file

    checked = [(src, s) for src, s in scenarios if s.targets]
    seeds = {src: args.seed if args.seed is not None else s.seed for src, s in checked}
    page = validate_report(
        rows,
        [scenario_text(s.name, s, src, args.overrides) for src, s in checked],
        paths=args.paths,
        rule=PASS_RULE,
        seed=_each(seeds),
        replications=_each(replications_by_file(rows)),
        command=command_line(args),
    )
    write_report(page, args.report, plan)


def _title(rows: list[TargetRow], fixed: int | None) -> str:
    from sim.report.tables import count
    from sim.validate import replications_by_file

    # Files without targets ran nothing: the rows' files are the ones checked.
    used = replications_by_file(rows)
    if fixed is not None:
        how = f"{count(fixed, 'replication')} each"
    else:
        how = f"{count(sum(used.values()), 'replication')}, as the targets needed: " + ", ".join(
            f"{Path(source).stem} {n}" for source, n in used.items()
        )
    lines = textwrap.wrap(f"{how} (mean ±95% CI half-width)", 120)
    checked = f"{count(len(rows), 'target')} in {count(len(used), 'scenario file')}"
    return "\n".join([f"Document vs simulation: {checked}", *lines, ""])
