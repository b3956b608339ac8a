"""``sim plot``: wait-time distributions, hourly profiles and sweep curves as PNG/SVG.

Two forms::

    sim plot SCENARIO --kind wait|ecdf|survival|hourly|heatmap [--queue Q ...] [--out FILE]
    sim plot --sweep RESULTS.csv [--metric M] [--out FILE]

The sweep CSV is the one ``sim sweep --out`` writes: one row per variant x queue, a
``queue`` column, one column per varied dotted path (``queues.live_peak.staff``), metric
columns named as in ``sim run --json`` and ``<metric>_ci95`` half-widths. Identifier
columns (``scenario``, ``variant``, ``replications``, ``seed``) may be present and are
ignored; every other column without a ``_ci95`` partner is taken as a varied parameter.

matplotlib is imported only when a plot is drawn, so other subcommands start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_run_options,
    add_scheduler_option,
    check_queues,
    check_workload,
    progress_wanted,
)
from sim.outputs import OutputPlan

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.results import Results

__all__ = ["FORMATS", "KINDS", "read_sweep", "register"]

KINDS = ("wait", "ecdf", "survival", "hourly", "heatmap")
_LOG_KINDS = ("wait", "survival")  # a count or probability axis to take the log of
_LOGX_KINDS = ("ecdf", "survival")  # a time axis
FORMATS = (".png", ".svg", ".pdf")

_EXAMPLES = """\
examples:
  sim plot scenarios/livestream_promo_peak.yaml --kind survival --out survival.png
  sim plot scenarios/livestream_promo_peak.yaml --kind hourly --queue live_peak
  sim plot SCENARIO --kind survival --queue live_peak --queue email --logx --out waits.svg
  sim plot SCENARIO --kind wait --set queues.live_peak.staff.1.agents=10 -n 20
  sim plot --sweep sweep.csv --metric abandon_rate --out abandon.png

kinds:
  wait      histogram of waits of answered contacts
  ecdf      share answered within t, P(wait <= t)
  survival  share still waiting after t, P(wait > t) (--log for the tail)
  hourly    mean and 90th-percentile wait by hour, with arrivals and agents on shift
  heatmap   mean wait by calendar day and hour of arrival

Without --queue, the first queue of the scenario with answered contacts is drawn; several
--queue options put several queues on one axis (wait, ecdf, survival only)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand to the ``sim`` parser."""
    p = sub.add_parser(
        "plot",
        help="draw wait distributions, hourly profiles or sweep curves (PNG, SVG or PDF)",
        description=(
            "Run a scenario and draw its waits (histogram, ECDF, survival curve), its\n"
            "hourly profile or a day-by-hour heat map; or draw a metric against the varied\n"
            "parameter of a sweep CSV. Writes PNG, SVG or PDF by the --out file's suffix."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", nargs="?", help="scenario YAML file (omit with --sweep)")
    p.add_argument(
        "--kind", choices=KINDS, default="survival", help="what to draw (default survival; below)"
    )
    p.add_argument(
        "--queue",
        dest="queues",
        action="append",
        default=[],
        metavar="Q",
        help="queue to draw (repeatable; default: see below; with --sweep, every queue)",
    )
    p.add_argument(
        "--log", action="store_true", help="logarithmic count/probability axis (wait, survival)"
    )
    p.add_argument("--logx", action="store_true", help="logarithmic time axis (ecdf, survival)")
    p.add_argument("--sweep", metavar="RESULTS.csv", help="draw a sweep table written by sim sweep")
    p.add_argument(
        "--metric",
        default="mean_wait_s",
        help="with --sweep: the metric column to draw, named as in sim run --json, e.g. "
        "service_level or abandon_rate (default mean_wait_s)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="output .png, .svg or .pdf (default: STEM_KIND.png in the current folder, e.g. "
        "livestream_promo_peak_survival.png; with --sweep, STEM_METRIC.png)",
    )
    add_run_options(p, json_help='print {"written": [FILE]} as JSON on stdout')
    add_scheduler_option(p)
    p.set_defaults(handler=partial(_cmd_plot, parser=p))


def _cmd_plot(args: argparse.Namespace, *, parser: argparse.ArgumentParser) -> int:
    from sim.report.figures import save_figure

    _check_usage(args, parser)
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window, works without a display
    from sim.plots import PlotError

    out = Path(args.out) if args.out else _default_out(args)
    plan = OutputPlan(protect=[p for p in (args.scenario, args.sweep) if p])
    plan.file(out)
    try:
        fig = _sweep_figure(args) if args.sweep else _scenario_figure(args)
    except PlotError as exc:
        # A sweep's errors name its file already; a scenario's are about its run.
        print(f"error: {'' if args.sweep else f'{args.scenario}: '}{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    kind = out.suffix.lstrip(".").lower()
    (path,) = plan.write({out: lambda temporary: save_figure(fig, temporary, kind)})
    if args.json:
        print(json.dumps({"written": [str(path)]}))
    else:
        print(f"wrote {path}")
    return EXIT_OK


def _check_usage(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Reject contradictory options with a usage error (exit 2)."""
    if bool(args.scenario) == bool(args.sweep):
        parser.error("give either a SCENARIO or --sweep RESULTS.csv")
    if args.out and Path(args.out).suffix.lower() not in FORMATS:
        parser.error(f"--out must end in {', '.join(FORMATS)}, got {args.out!r}")
    if args.sweep and (args.overrides or args.replications or args.seed is not None):
        parser.error("--set, --replications and --seed apply to a SCENARIO, not to --sweep")
    if args.kind in {"hourly", "heatmap"} and len(args.queues) > 1:
        parser.error(f"--kind {args.kind} draws one queue; give at most one --queue")
    # An axis option the figure has no such axis for was ignored without a word.
    for option, kinds in (("log", _LOG_KINDS), ("logx", _LOGX_KINDS)):
        if getattr(args, option) and (args.sweep or args.kind not in kinds):
            drawn = "--sweep" if args.sweep else f"--kind {args.kind}"
            parser.error(f"--{option} applies to --kind {' and '.join(kinds)}, not to {drawn}")


def _default_out(args: argparse.Namespace) -> Path:
    if args.sweep:
        return Path(f"{Path(args.sweep).stem}_{args.metric}.png")
    return Path(f"{Path(args.scenario).stem}_{args.kind}.png")


def _scenario_figure(args: argparse.Namespace) -> Figure:
    from sim.loader import load
    from sim.runner import run

    scenario = load(args.scenario, args.overrides)
    check_queues(args.scenario, scenario.queues, args.queues)
    n = args.replications or scenario.replications
    workers = check_workload(args, args.scenario, [(scenario, n)], keep=True)
    results = run(
        scenario,
        replications=args.replications,
        seed=args.seed,
        workers=workers,
        scheduler=args.scheduler,
        progress=progress_wanted(args),
    )
    queues = args.queues or [_first_answered_queue(results)]
    return _DRAW[args.kind](results, queues, args)


def _first_answered_queue(results: Results) -> str:
    summary = results.summary()
    answered = summary.index[summary["answered"] > 0]
    return str(answered[0] if len(answered) else summary.index[0])


def _draw_wait(results: Results, queues: list[str], args: argparse.Namespace) -> Figure:
    from sim import plots

    return plots.wait_histogram(results, queues, log=args.log)


def _draw_ecdf(results: Results, queues: list[str], args: argparse.Namespace) -> Figure:
    from sim import plots

    return plots.wait_ecdf(results, queues, logx=args.logx)


def _draw_survival(results: Results, queues: list[str], args: argparse.Namespace) -> Figure:
    from sim import plots

    return plots.wait_survival(results, queues, log=args.log, logx=args.logx)


def _draw_hourly(results: Results, queues: list[str], _args: argparse.Namespace) -> Figure:
    from sim import plots

    return plots.hourly_profile(results, queues[0])


def _draw_heatmap(results: Results, queues: list[str], _args: argparse.Namespace) -> Figure:
    from sim import plots

    return plots.wait_heatmap(results, queues[0])


_DRAW: dict[str, Callable[[Results, list[str], argparse.Namespace], Figure]] = {
    "wait": _draw_wait,
    "ecdf": _draw_ecdf,
    "survival": _draw_survival,
    "hourly": _draw_hourly,
    "heatmap": _draw_heatmap,
}


def read_sweep(path: str | Path) -> pd.DataFrame:
    """Read a sweep CSV (see the module docstring), as a DataFrame.

    Raises:
        PlotError: the file is missing, unreadable or lacks a ``queue`` column.
    """
    from sim.plots import PlotError
    from sim.results import read_table

    try:
        table = read_table(path)
    except (OSError, ValueError) as exc:  # pandas' parser errors are ValueErrors
        raise PlotError(f"{path}: cannot read the sweep table: {exc}") from None
    if "queue" not in table:
        raise PlotError(f"{path}: a sweep table needs a 'queue' column")
    return table


def _sweep_figure(args: argparse.Namespace) -> Figure:
    from sim import plots

    table = read_sweep(args.sweep)
    try:
        return plots.sweep_curve(table, args.metric, queues=args.queues or None)
    except plots.PlotError as exc:
        raise plots.PlotError(f"{args.sweep}: {exc}") from None
