"""``sim validate`` and ``sim calibrate``: the document's figures against the simulation.

``sim validate PATH...`` runs every scenario with targets and prints one line per
target; ``sim calibrate SCENARIO --free PATH[=LOW:HIGH]`` fits free parameters to a
scenario's targets and writes the calibrated scenario.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim.calibrate import Calibration, calibrate, free_parameter, write_calibrated
from sim.cliutil import (
    EXIT_MISS,
    EXIT_OK,
    add_run_options,
    add_scheduler_option,
    positive_int,
    wrap,
)
from sim.errors import ScenarioError
from sim.loader import read_yaml
from sim.validate import (
    TargetRow,
    describe,
    discover,
    format_rows,
    format_value,
    load_all,
    unit_metric,
    validate_many,
)

__all__ = ["register_calibrate", "register_validate"]

PASS_RULE = (
    "Pass rule: a target passes when |simulated mean - document figure| <= its tolerance "
    "(10% = a tenth of the figure; 0.03 = 3 percentage points; 30s = 30 seconds); "
    "'bound: at_most' targets pass when simulated mean <= figure + tolerance, "
    "'at_least' when simulated mean >= figure - tolerance. The 95% CI half-width over "
    "replications is shown beside the mean; it is not part of the rule."
)

_VALIDATE_EXAMPLES = """\
examples:
  sim validate scenarios/document
  sim validate scenarios/document/hotline.yaml -n 40
  sim validate scenarios/document --json > validation.json
  sim validate scenarios/document/livestream.yaml \
      --set 'queues.live_promo.staff.three_shift.agents=[6, 8, 10]'

JSON rows: scenario, queue, metric, value, simulated, ci95, tolerance, passed (times in
seconds, rates and shares as fractions, ratios as numbers; tolerance is the half-width
in the same units), plus bound, detail, note, replications, source.
exit codes: 0 every target passes, 1 a target missed, 2 bad input.
"""

_CALIBRATE_EXAMPLES = """\
examples:
  sim calibrate scenarios/document/order_page.yaml \\
      --free queues.flagship.arrivals.rate=20:120 --target 0 --out order_page.fit.yaml
  sim calibrate SCENARIO --free queues.live.patience.mean=5m:30m \\
      --free queues.live.arrivals.rate --out fitted.yaml

A bare bound is in the unit the file uses for the field (a rate written 150/h: arrivals
per hour; a duration written 8m: minutes); bounds with units (5m, 100/h) are converted.
Without bounds a probability is searched in [0, 1], anything else in [value/4, 4 x value].
Every evaluation runs the same replications with the same seed (common random numbers).
The calibrated file is the original YAML with the fitted values set; its comments are lost.
exit codes: 0 fitted and every target passes, 1 fitted but a target still misses,
2 bad input.
"""


def register_validate(sub: argparse._SubParsersAction) -> None:
    """Add ``sim validate`` to the subcommands."""
    p = sub.add_parser(
        "validate",
        help="check scenarios' targets (the document's figures) against the simulation",
        description=wrap(
            "Run each scenario (files, or folders searched for *.yaml files with a "
            "targets: list) and print, per target, the document's figure, the simulated "
            "mean over replications with its 95% CI half-width, and pass or MISS.",
            PASS_RULE,
        ),
        epilog=_VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    add_run_options(p, json_help="print the rows as a JSON list on stdout")
    add_scheduler_option(p)
    p.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    files = discover(args.paths)
    if not files:
        raise ScenarioError(" ".join(args.paths), [("", "no scenario files with targets found")])
    scenarios = load_all(files, args.overrides)
    empty = [source for source, s in scenarios if not s.targets]
    for source in empty:
        print(f"note: {source} has no targets", file=sys.stderr)
    rows = validate_many(
        [(src, s) for src, s in scenarios if s.targets],
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.json and sys.stderr.isatty(),
    )
    if not rows:
        raise ScenarioError(" ".join(args.paths), [("", "no targets to check")])
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    else:
        print(_title(rows, len(scenarios)))
        print(format_rows(rows))
    return EXIT_OK if all(r.passed for r in rows) else EXIT_MISS


def _title(rows: list[TargetRow], files: int) -> str:
    reps = sorted({r.replications for r in rows})
    count = "/".join(str(n) for n in reps)
    return (
        f"Document vs simulation: {len(rows)} targets in {files} scenario file(s), "
        f"{count} replications each (mean ±95% CI half-width)\n"
    )


def register_calibrate(sub: argparse._SubParsersAction) -> None:
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
            "comma-separated paths share one value, 1-PATH takes one minus it"
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
        help="simulation budget of the optimiser (default 60)",
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
    add_run_options(p, json_help="print the fit as JSON on stdout")
    p.set_defaults(handler=_cmd_calibrate)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    data = read_yaml(args.scenario)
    free = [free_parameter(spec, data, args.scenario) for spec in args.free]
    result = calibrate(
        data,
        free,
        source=args.scenario,
        targets=args.targets,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        overrides=args.overrides,
        max_evaluations=args.max_evaluations,
        method=args.method,
    )
    out = Path(args.out or f"{Path(args.scenario).stem}.calibrated.yaml")
    write_calibrated(result, out, args.scenario)
    if args.json:
        print(json.dumps(_fit_json(result, out), indent=2))
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
                "unit": p.unit,
            }
            for p, v in zip(result.parameters, result.fitted, strict=True)
        ],
        "objective": result.objective,
        "evaluations": result.evaluations,
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


def format_fit(result: Calibration, chosen: list[int] | None = None) -> str:
    """The fitted parameters and each target before and after, as text."""
    lines = [
        f"{result.scenario.name}: fitted in {result.evaluations} evaluations "
        f"(objective {result.objective:.4g}, sum of squared misses in tolerances)",
        "",
    ]
    for p, v in zip(result.parameters, result.fitted, strict=True):
        searched = f"{p.text(p.low)}..{p.text(p.high)}"
        lines.append(f"  {p.name}: {p.text(p.start)} -> {p.text(v)}   (searched {searched})")
    lines += ["", "targets (document | before | after ±95% CI | result):"]
    for i, (t, b, a, ok) in enumerate(
        zip(result.targets, result.before, result.after, result.passed, strict=True)
    ):
        metric = unit_metric(t)
        fitted = "" if chosen is None or i in chosen else "  (not fitted)"
        doc, start, end, half = (format_value(metric, x) for x in (t.value, b[0], a[0], a[1]))
        verdict = "pass" if ok else "MISS"
        lines.append(
            f"  [{i}] {t.label} {describe(t)}: {doc} | {start} | {end} ±{half} | {verdict}{fitted}"
        )
    return "\n".join(lines)
