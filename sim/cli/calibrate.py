"""``sim calibrate SCENARIO --free PATH[=LOW:HIGH]``: fit free parameters to the targets."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_MISS,
    EXIT_OK,
    add_run_options,
    add_scheduler_option,
    check_workload,
    positive_int,
    wrap,
)
from sim.cli.validate import PASS_RULE, add_sequential_options
from sim.outputs import OutputPlan

if TYPE_CHECKING:
    from sim.calibrate import Calibration

__all__ = ["format_fit", "register"]

_CALIBRATE_EXAMPLES = """\
examples:
  sim calibrate scenarios/document/order_page.yaml \\
      --free queues.flagship.arrivals.rate=20:120 --target 0 --out order_page.fit.yaml
  sim calibrate scenarios/document/livestream.yaml \\
      --free queues.live_promo.patience.mean=5m:30m --free queues.live_promo.arrivals.rate \\
      --out fitted.yaml   # two parameters; the rate searched in [rate/4, 4 x rate]

A bare bound is in the unit the file uses for the field (a rate written 150/h: arrivals
per hour; a duration written 8m: minutes); bounds with units (5m, 100/h) are converted.
Probabilities are searched within [0, 1] (bounds given are kept inside it): a field named
resolution, visibility, probability (a retry's) or share (a delayed route's), a route's
value (any on_* mapping: queues.live.on_unresolved.email) or a parallel visit's share
(queues.live.parallel.email), and shrinkage (below 1). Without bounds anything else is
searched in [value/4, 4 x value].
Every evaluation runs the same replications with the same seed (common random numbers).
Without -n their count is chosen once, at the start values: from --min-replications
until every fitted target's 95% CI half-width is at most --precision x its tolerance, at
most the file's own replications; the output says how many were used. The search's
evaluations simulate only what the fitted targets depend on (their queues, those routing
contacts to them, those sharing their agents): the same figures, for less work; the start
and the fitted values are simulated whole, for every target's before and after.
The calibrated file is the original YAML with the fitted values set; its comments are lost.
exit codes: 0 fitted and every target passes, 1 fitted but a target still misses,
2 bad input.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim calibrate`` to the subcommands."""
    p = sub.add_parser(
        "calibrate",
        help="fit free parameters of a scenario to its targets and write the result",
        description=wrap(
            "Fit the named free parameters (an arrival rate, a patience or service mean, "
            "a probability) so that the scenario's targets are met: scipy.optimize "
            "minimises the sum of squared misses, each in units of its tolerance, on "
            "common random numbers. Prints the fit and the targets before and after, "
            "and writes the calibrated scenario YAML.",
            PASS_RULE,
        ),
        epilog=_CALIBRATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file with targets")
    p.add_argument(
        "--free",
        action="append",
        required=True,
        metavar="PATH[=LOW:HIGH]",
        help=(
            "a field to fit, e.g. queues.live.patience.mean=5m:30m (repeatable); "
            "comma-separated paths share one value, 1-PATH takes one minus it; "
            "probabilities stay within [0, 1] (which fields: below)"
        ),
    )
    p.add_argument(
        "--target",
        dest="targets",
        action="append",
        type=int,
        metavar="INDEX",
        help="fit to this target only (0-based, repeatable; default: all targets)",
    )
    p.add_argument(
        "--max-evaluations",
        type=positive_int,
        default=60,
        metavar="N",
        help="simulations the optimiser may run, at most (default 60); when it wants more, "
        "the best values seen are the fit and the output says so",
    )
    p.add_argument(
        "--method",
        choices=("coordinate", "nelder-mead"),
        default="coordinate",
        help="optimiser for several parameters (default: coordinate, Brent along each in turn)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="calibrated scenario to write (default: STEM.calibrated.yaml in the current folder)",
    )
    add_run_options(
        p,
        json_help="print the fit as JSON on stdout",
        replications_help="replications of every evaluation (default: chosen once at the start "
        "values, from --min-replications up to the file's own; see below)",
    )
    add_sequential_options(p)
    add_scheduler_option(p)
    p.set_defaults(handler=_cmd_calibrate)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.loader import check_file_workload, load, read_scenario
    from sim.parameters import free_parameter

    data = read_scenario(args.scenario)
    # The file's problems first, named as in the file; then --free's, checked against its
    # data before the workload check, which imports numpy (a tenth of a bad --free's time).
    scenario = load(args.scenario, args.overrides, workload=False)
    free = [free_parameter(spec, data, args.scenario) for spec in args.free]
    check_file_workload(args.scenario, scenario, args.overrides)
    from sim.calibrate import calibrate, write_calibrated
    from sim.progress import Progress
    from sim.validate.sequential import Plan

    n = args.replications or scenario.replications
    # The start values, at most the budget of evaluations, the fitted values.
    repeats = 2 + args.max_evaluations
    workers = check_workload(args, args.scenario, [(scenario, n)], repeats=repeats)
    out = Path(args.out or f"{Path(args.scenario).stem}.calibrated.yaml")
    outputs = OutputPlan(protect=[args.scenario])
    outputs.file(out)
    label = f"calibrate {scenario.name}"
    with Progress(label, args.max_evaluations, unit="evaluation") as bar:
        result = calibrate(
            data,
            free,
            source=args.scenario,
            targets=args.targets,
            replications=args.replications,
            seed=args.seed,
            workers=workers,
            scheduler=args.scheduler,
            overrides=args.overrides,
            max_evaluations=args.max_evaluations,
            method=args.method,
            progress=lambda _values, loss: bar.update(1, f"objective {loss:.4g}"),
            plan=Plan(args.min_replications, args.precision),
        )
    outputs.write({out: lambda path: write_calibrated(result, path, args.scenario)})
    if args.json:
        seed = scenario.seed if args.seed is None else args.seed
        print(json.dumps({**_fit_json(result, out), "seed": seed}, indent=2))
    else:
        print(format_fit(result, args.targets))
        print(f"\nwrote {out} (the original's comments are not carried over)")
    return EXIT_OK if all(result.passed) else EXIT_MISS


def _fit_json(result: Calibration, out: Path) -> dict[str, object]:
    def clean(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "scenario": result.scenario.name,
        "parameters": [
            {
                "path": p.name,
                "start": p.start,
                "fitted": v,
                "low": p.low,
                "high": p.high,
                "at_edge": _at_edge(p.start, v, p.low, p.high),
                "unit": p.unit,
            }
            for p, v in zip(result.parameters, result.fitted, strict=True)
        ],
        "objective": result.objective,
        "evaluations": result.evaluations,
        "budget_spent": result.budget_spent,
        "replications": result.replications,
        "targets": [
            {
                "queue": t.label,
                "metric": t.metric,
                "value": t.value,
                "before": clean(b[0]),
                "after": clean(a[0]),
                "ci95": clean(a[1]),
                "passed": ok,
            }
            for t, b, a, ok in zip(
                result.targets, result.before, result.after, result.passed, strict=True
            )
        ],
        "out": str(out),
    }


def _at_edge(start: float, value: float, low: float, high: float) -> bool:
    """Whether the search moved a value onto a bound of its range (within 1% of the range).

    The bounded searches stop within a thousandth of the range of where they converge, so
    a fit pressed against a bound lands this close to it.
    """
    return value != start and min(value - low, high - value) <= 0.01 * (high - low)


def format_fit(result: Calibration, chosen: list[int] | None = None) -> str:
    """The fitted parameters and each target before and after, as text."""
    from sim.report.tables import count
    from sim.validate import describe, format_document, format_estimate, format_value, unit_metric

    lines = [
        f"{result.scenario.name}: fitted in {count(result.evaluations, 'evaluation')} of "
        f"{count(result.replications, 'replication')} each "
        f"(objective {result.objective:.4g}, sum of squared misses in tolerances)",
        "",
    ]
    if result.budget_spent:
        lines[-1:] = [
            "  the budget (--max-evaluations) ran out before the search converged: the best "
            "values seen are written",
            "",
        ]
    for p, v in zip(result.parameters, result.fitted, strict=True):
        searched = f"{p.text(p.low)}..{p.text(p.high)}"
        lines.append(f"  {p.name}: {p.text(p.start)} -> {p.text(v)}   (searched {searched})")
        if _at_edge(p.start, v, p.low, p.high):
            lines.append(
                "    at the edge of the range searched: the best value may lie beyond it "
                "(widen the range to see)"
            )
    lines += ["", "targets (document | before | after ±95% CI | result):"]
    for i, (t, b, a, ok) in enumerate(
        zip(result.targets, result.before, result.after, result.passed, strict=True)
    ):
        metric = unit_metric(t)
        fitted = "" if chosen is None or i in chosen else "  (not fitted)"
        doc = format_document(metric, t.value, t.bound)  # as validate shows it
        start, end = format_value(metric, b[0]), format_estimate(metric, a[0], a[1])
        verdict = "pass" if ok else "MISS"
        row = f"{doc} | {start} | {end} | {verdict}{fitted}"
        lines.append(f"  [{i}] {t.label} {describe(t)}: {row}")
    return "\n".join(lines)
