"""``sim sweep SCENARIO --vary PATH=V1,V2``: a grid of variants on common random numbers."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.common import (
    EXIT_OK,
    add_output_options,
    add_report_option,
    add_run_options,
    check_queues,
    check_workload,
    command_line,
    fail,
    json_clean,
    lazy_type,
    plan_report,
    progress_wanted,
    scenarios_path,
    table_width,
    table_writers,
    wrap,
)
from sim.outputs import OutputPlan

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments import Variant
    from sim.scenario import Scenario

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim sweep SCENARIO --vary PATH=V1,V2``."""
    p = sub.add_parser(
        "sweep",
        help="run a grid of variants on common random numbers",
        description=wrap(
            "Run every combination of the --vary values on common random numbers (every "
            "variant uses the same seed and replication numbers, so rows differ by the "
            "varied fields, not by noise) and print one row per variant and queue: mean "
            "±95% CI half-width. --set changes the base scenario of every variant."
        ),
        epilog=(
            "values are YAML (10, 0.5, null, '[1, 2]'); LOW:HIGH is the integer range "
            "LOW..HIGH\n(inclusive; LOW:HIGH:STEP with a step). Quote clock times that look "
            "like a range: '\"8:30\"'.\n\n"
            "examples:\n"
            "  sim sweep scenarios/livestream_promo_peak.yaml "
            "--vary queues.live_peak.staff.1.agents=8:16:2\n"
            "  sim sweep SCENARIO --vary queues.live_peak.staff.1.agents=10,12 \\\n"
            "      --vary queues.live_peak.bot.resolution=0.34,0.5   # a 2x2 grid\n"
            "  sim sweep SCENARIO --vary queues.email.staff=1:4 --json > sweep.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        type=lazy_type("sim.vary", "parse_vary"),
        metavar="PATH=V1,V2,...",
        help="a field and its values (repeat for a grid)",
    )
    p.add_argument("--queue", action="append", help="show only this queue (repeatable)")
    add_run_options(
        p,
        json_help="print a list of rows as JSON on stdout",
        set_help="override a field of the base scenario, before --vary, in every variant "
        "(repeatable; validated like the file)",
    )
    add_output_options(p)
    add_report_option(p)
    p.set_defaults(handler=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sim.loader import load

    paths = [path for path, _ in args.vary]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        return fail(f"--vary: a path is given twice: {', '.join(twice)}")
    base = load(args.scenario, args.overrides)  # report problems of the base file first
    from sim.experiments import run_sweep, sweep_variants
    from sim.report import sweep_table

    given = {"replications": args.replications, "seed": args.seed}
    variants: list[Variant] = []
    runs: list[tuple[Scenario, int]] = []
    for variant in sweep_variants(args.scenario, dict(args.vary), args.overrides, **given):
        variants.append(variant)  # validated once: these are the variants that run
        # Each variant's own count: a sweep may vary ``replications`` itself.
        runs.append((variant.scenario, args.replications or variant.scenario.replications))
        if len(runs) & (len(runs) - 1) == 0:
            # At 1, 2, 4... variants: the work only grows with more, so a huge grid is
            # refused after a few of its variants, not after validating all of them.
            check_workload(args, args.scenario, runs, early=True)
    queues = dict.fromkeys(q for v, _ in runs for q in v.queues)
    check_queues(args.scenario, queues, args.queue or ())
    workers = check_workload(args, args.scenario, runs)
    plan = OutputPlan(protect=[args.scenario])
    if args.out:
        plan.file(args.out)
        plan.file(scenarios_path(args.out))
    report = plan_report(args, plan)
    table = run_sweep(
        variants,
        **given,
        workers=workers,
        scheduler=args.scheduler,
        progress=progress_wanted(args),
    )
    if args.queue:
        table = table[table["queue"].isin(args.queue)].reset_index(drop=True)
    writers = table_writers(table, args.out) if args.out else {}
    if report:
        writers[Path(args.report)] = _report_page(args, base, table)
    if writers:  # --out and --report: one set
        plan.write(writers)
    if args.json:
        print(json.dumps(_sweep_json(table, paths), indent=2))
        return EXIT_OK
    print(_heading(args.scenario, table, paths))
    print(sweep_table(table, paths).text(table_width()))
    return EXIT_OK


def _heading(source: str, table: pd.DataFrame, paths: list[str]) -> str:
    """What ran: variants, replications each and how their randomness relates.

    A varied count or seed is each row's own: the line gives their range, and varied
    seeds are not common random numbers.
    """
    from sim.report.tables import ci_note, count

    counts = sorted(set(table["replications"].astype(int)))
    n = counts[0]
    each = count(n, "replication") if len(counts) == 1 else f"{n}-{counts[-1]} replications"
    shared = "on varied seeds" if "seed" in paths else "on common random numbers"
    variants = count(table["variant"].nunique(), "variant")
    # Rows of one replication show no CI: the note is for the others.
    return f"{source}: {variants} x {each} {shared} ({ci_note(counts[-1])})"


def _report_page(
    args: argparse.Namespace, base: Scenario, table: pd.DataFrame
) -> Callable[[Path], object]:
    from sim.report.html import page_writer, scenario_text
    from sim.report.sweep import sweep_report

    page = sweep_report(
        table,
        dict(args.vary),
        [scenario_text(base.name, base, args.scenario, args.overrides)],
        source=args.scenario,
        seed=base.seed if args.seed is None else args.seed,
        command=command_line(args),
    )
    return page_writer(page)


def _sweep_json(table: pd.DataFrame, paths: list[str]) -> list[dict[str, Any]]:
    from sim.metrics import METRICS

    return [
        {
            "variant": {p: json_clean(row[p]) for p in paths},
            "queue": row["queue"],
            "scenario": row["scenario"],
            "replications": json_clean(row["replications"]),
            "seed": json_clean(row["seed"]),
            **{m: json_clean(row[m]) for m in METRICS},
            "ci95": {m: json_clean(row[f"{m}_ci95"]) for m in METRICS},
        }
        for _, row in table.iterrows()
    ]
