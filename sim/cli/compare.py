"""``sim compare A [B]``: paired differences between two variants on common random numbers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli.common import (
    EXIT_OK,
    add_output_options,
    add_report_option,
    add_run_options,
    check_workload,
    command_line,
    fail,
    json_clean,
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

    from sim.results import Results

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim compare A [B]``."""
    p = sub.add_parser(
        "compare",
        help="paired differences between two variants, with 95%% CIs",
        description=wrap(
            "Run two variants on common random numbers (same seed, same replication "
            "numbers) and report, per queue and metric, the mean of the per-replication "
            "differences B - A with its 95% CI. A difference is significant (*) when its "
            "CI excludes 0. B is a second file, or A itself with --set overrides "
            "(--set always applies to B only). Both run with A's seed and replications "
            "unless --seed / -n say otherwise."
        ),
        epilog=(
            "examples:\n"
            "  sim compare scenarios/livestream_promo_peak.yaml "
            "--set queues.live_peak.staff.1.agents=16\n"
            "  sim compare base.yaml bot_overnight.yaml -n 30 --json\n"
            "  sim compare base.yaml --set queues.email.staff=3 --all --out diff.csv"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", metavar="A", help="baseline scenario file")
    p.add_argument("b", metavar="B", nargs="?", help="variant scenario file (default: A)")
    add_run_options(
        p,
        json_help="print the differences as JSON on stdout",
        set_help="override a field of B only, e.g. queues.email.staff=3 (repeatable; "
        "validated like the file); without B, B is A with these overrides",
    )
    add_output_options(p)
    p.add_argument("--all", action="store_true", help="show every metric, not the main ones")
    add_report_option(p)
    p.set_defaults(handler=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.loader import load

    if args.b is None and not args.overrides:
        return fail("give a second scenario B or --set overrides that make the variant")
    a = load(args.a)
    b = load(args.b or args.a, args.overrides)
    from sim.experiments import compare, paired_queues, paired_results

    paired_queues(a, b, args.b or args.a)  # before anything runs: something to pair
    from sim.metrics import METRICS
    from sim.report import SHOWN, compare_table
    from sim.report.compare import partial_pairs, unpaired_queues
    from sim.report.tables import count
    from sim.runner import run

    inputs = [args.a, args.b] if args.b else [args.a]
    n = args.replications or a.replications
    # With a report both runs are kept whole (it draws their waits).
    workers = check_workload(args, args.a, [(a, n), (b, n)], keep=bool(args.report))
    plan = OutputPlan(protect=inputs)
    if args.out:
        plan.file(args.out)
        plan.file(scenarios_path(args.out))
    report = plan_report(args, plan)
    # Both sides run A's seed and replications: the pairing needs the same streams.
    replications = a.replications if args.replications is None else args.replications
    seed = a.seed if args.seed is None else args.seed
    options = {
        "replications": replications,
        "seed": seed,
        "workers": workers,
        "scheduler": args.scheduler,
        "progress": progress_wanted(args),
    }
    if report:  # the report draws the waits: keep both runs, not only their metrics
        runs = (run(a, **options, variant="A"), run(b, **options, variant="B"))
        table = paired_results(*runs)
    else:
        table = compare(a, b, **options)
    label_b = args.b or args.a
    if args.overrides:
        label_b += " with " + " ".join(args.overrides)
    table = _labelled(table, (args.a, label_b))
    writers = table_writers(table, args.out) if args.out else {}
    shown = list(METRICS) if args.all else [m for _, m, _ in SHOWN]
    if report:
        writers[Path(args.report)] = _report_page(
            args, runs, table, labels=(args.a, label_b), shown=shown
        )
    if writers:  # --out and --report: one set
        plan.write(writers)
    for note in [*unpaired_queues(a, b), *partial_pairs(table, shown)]:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        names = (a.name, b.name)
        document = _compare_json(
            table, (args.a, label_b), names, replications=replications, seed=seed
        )
        print(json.dumps(document, indent=2))
        return EXIT_OK
    print(f"A: {args.a}\nB: {label_b}")
    print(
        f"{count(replications, 'paired replication')}, seed {seed} (common random numbers); "
        f"B - A{' with 95% CI half-width' if replications > 1 else ', no CI'}; * = significant"
    )
    print(compare_table(table, shown).text(table_width()))
    return EXIT_OK


def _report_page(
    args: argparse.Namespace,
    runs: tuple[Results, Results],
    table: pd.DataFrame,
    *,
    labels: tuple[str, str],
    shown: list[str],
) -> Callable[[Path], object]:
    from sim.report.compare import compare_report
    from sim.report.html import page_writer, scenario_text

    scenarios = [
        scenario_text("A", runs[0].scenario, args.a),
        scenario_text("B", runs[1].scenario, args.b or args.a, args.overrides),
    ]
    page = compare_report(
        *runs, table, scenarios, labels=labels, metrics=shown, command=command_line(args)
    )
    return page_writer(page)


def _compare_json(
    table: pd.DataFrame,
    labels: tuple[str, str],
    names: tuple[str, str],
    *,
    replications: int,
    seed: int,
) -> dict[str, Any]:
    queues: dict[str, dict[str, Any]] = {}
    for row in table.itertuples():
        queues.setdefault(str(row.queue), {})[str(row.metric)] = {
            "a": json_clean(row.a),
            "b": json_clean(row.b),
            "diff": json_clean(row.diff),
            "ci95": json_clean(row.ci95),
            "significant": bool(row.significant),
            "pairs": json_clean(row.pairs),
        }
    return {
        "a": labels[0],
        "b": labels[1],
        "scenario_a": names[0],
        "scenario_b": names[1],
        "replications": replications,
        "seed": seed,
        "queues": queues,
    }


def _labelled(table: pd.DataFrame, labels: tuple[str, str]) -> pd.DataFrame:
    """The table with what A and B are first: scenarios, labels, replications, seed.

    Its CSV is read apart from the terminal that printed it; ``labels`` are the files and
    B's ``--set`` changes, as the JSON says.
    """
    table = table.assign(variant_a=labels[0], variant_b=labels[1])
    first = ["scenario_a", "variant_a", "scenario_b", "variant_b", "replications", "seed"]
    return table[first + [c for c in table.columns if c not in first]]
