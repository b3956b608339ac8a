"""The what-if subcommands: ``sim compare``, ``sim sweep`` and ``sim staff``.

Each ``register_*`` function adds one subcommand to the ``sim`` parser (see
:data:`sim.cli.COMMANDS`); the handlers are thin glue over :mod:`sim.experiments` and
:mod:`sim.staffing`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.cliutil import (
    EXIT_BAD_INPUT,
    EXIT_MISS,
    EXIT_OK,
    add_run_options,
    add_scheduler_option,
    positive_int,
    wrap,
)
from sim.experiments import compare, parse_vary, save_scenarios, sweep
from sim.loader import load
from sim.metrics import METRICS
from sim.report import COLUMNS
from sim.staffing import (
    INTERVALS,
    TARGET_HELP,
    StaffingError,
    StaffingPlan,
    parse_shift_template,
    parse_target,
    staff_plan,
)
from sim.units import format_duration, parse_duration

__all__ = ["register_compare", "register_staff", "register_sweep"]

# Metrics shown in terminal tables (JSON and CSV carry all of them): (title, metric, kind).
SHOWN = tuple(column for column in COLUMNS if column[1] != "answered")
_KIND = {metric: kind for _, metric, kind in SHOWN}


# -- argument types ----------------------------------------------------------------------


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type whose ValueError message reaches the user (exit 2)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _interval(text: str) -> float:
    seconds = parse_duration(text)
    if seconds not in INTERVALS:
        raise ValueError(f"interval must be 30m or 60m, got {text!r}")
    return seconds


def _parallel_options(
    p: argparse.ArgumentParser,
    out_help: str = "also write the table as CSV to FILE, and the resolved scenarios of the "
    "variants beside it (FILE.scenarios.yaml)",
) -> None:
    add_scheduler_option(p)
    p.add_argument("--out", metavar="FILE", help=out_help)


def _scenarios_path(out: str) -> Path:
    """``results.csv`` -> ``results.scenarios.yaml``: the resolved variants beside the table."""
    return Path(out).with_suffix(".scenarios.yaml")


def _progress(args: argparse.Namespace) -> bool:
    return not args.json and sys.stderr.isatty()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


# -- formatting --------------------------------------------------------------------------


def _fmt(value: float, kind: str, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ""
    size = abs(value) if signed else value
    if kind == "time":
        return sign + format_duration(size)
    if kind == "share":
        return f"{sign}{100 * size:.1f}{' pp' if signed else '%'}"
    return f"{sign}{size:,.0f}" if abs(size) >= 100 else f"{sign}{size:,.3g}"


def _with_ci(value: float, half: float, kind: str, *, signed: bool = False) -> str:
    text = _fmt(value, kind, signed=signed)
    if text == "-" or half is None or math.isnan(half):
        return text
    if kind == "share":
        return f"{text} ±{100 * half:.1f}"
    return f"{text} ±{_fmt(half, kind)}"


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A fixed-width table; the first ``left`` columns are left-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def _kind(metric: str) -> str:
    if metric in _KIND:
        return _KIND[metric]
    if metric.endswith("_s"):
        return "time"
    return "share" if metric.endswith(("_rate", "_share", "utilization")) else "count"


# -- sim compare -------------------------------------------------------------------------


def register_compare(sub: argparse._SubParsersAction) -> None:
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
    add_run_options(p, json_help="print the differences as JSON on stdout")
    _parallel_options(p)
    p.add_argument("--all", action="store_true", help="show every metric, not the main ones")
    p.set_defaults(handler=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    if args.b is None and not args.overrides:
        return _fail("give a second scenario B or --set overrides that make the variant")
    a = load(args.a)
    b = load(args.b or args.a, args.overrides)
    table = compare(
        a,
        b,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=_progress(args),
    )
    replications = a.replications if args.replications is None else args.replications
    seed = a.seed if args.seed is None else args.seed
    if args.out:
        table.to_csv(args.out, index=False)
        save_scenarios(table, _scenarios_path(args.out))
    label_b = args.b or args.a
    if args.overrides:
        label_b += " with " + " ".join(args.overrides)
    if args.json:
        print(json.dumps(_compare_json(table, args.a, label_b, replications, seed), indent=2))
        return EXIT_OK
    print(f"A: {args.a}\nB: {label_b}")
    print(
        f"{replications} paired replications, seed {seed} (common random numbers); "
        "B - A with 95% CI half-width; * = significant"
    )
    shown = list(METRICS) if args.all else [m for _, m, _ in SHOWN]
    titles = {m: t for t, m, _ in SHOWN}
    rows = [
        [
            row.queue,
            titles.get(row.metric, row.metric),
            _fmt(row.a, _kind(row.metric)),
            _fmt(row.b, _kind(row.metric)),
            _with_ci(row.diff, row.ci95, _kind(row.metric), signed=True),
            "*" if row.significant else "",
        ]
        for row in table.itertuples()
        if row.metric in shown
    ]
    print(_grid(["queue", "metric", "A", "B", "B - A", ""], rows, left=2))
    return EXIT_OK


def _compare_json(
    table: pd.DataFrame, a: str, b: str, replications: int, seed: int
) -> dict[str, Any]:
    queues: dict[str, dict[str, Any]] = {}
    for row in table.itertuples():
        queues.setdefault(row.queue, {})[row.metric] = {
            "a": _clean(row.a),
            "b": _clean(row.b),
            "diff": _clean(row.diff),
            "ci95": _clean(row.ci95),
            "significant": bool(row.significant),
        }
    return {"a": a, "b": b, "replications": replications, "seed": seed, "queues": queues}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


# -- sim sweep ---------------------------------------------------------------------------


def register_sweep(sub: argparse._SubParsersAction) -> None:
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
            "  sim sweep SCENARIO --vary queues.live_peak.staff.1.agents=10,12 "
            "--vary queues.live_peak.bot.resolution=0.34,0.5   # a 2x2 grid\n"
            "  sim sweep SCENARIO --vary queues.email.staff=1:4 --json > sweep.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument(
        "--vary",
        action="append",
        required=True,
        type=_typed(parse_vary),
        metavar="PATH=V1,V2,...",
        help="a field and its values (repeat for a grid)",
    )
    p.add_argument("--queue", action="append", help="show only this queue (repeatable)")
    add_run_options(p, json_help="print a list of rows as JSON on stdout")
    _parallel_options(p)
    p.set_defaults(handler=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    paths = [path for path, _ in args.vary]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        return _fail(f"--vary: a path is given twice: {', '.join(twice)}")
    load(args.scenario, args.overrides)  # report problems of the base file first
    table = sweep(
        args.scenario,
        dict(args.vary),
        overrides=args.overrides,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=_progress(args),
    )
    if args.queue:
        unknown = sorted(set(args.queue) - set(table["queue"]))
        if unknown:
            return _fail(f"--queue: no queue {', '.join(unknown)} in the scenario")
        table = table[table["queue"].isin(args.queue)].reset_index(drop=True)
    if args.out:
        table.to_csv(args.out, index=False)
        save_scenarios(table, _scenarios_path(args.out))
    if args.json:
        print(json.dumps(_sweep_json(table, paths), indent=2))
        return EXIT_OK
    print(
        f"{args.scenario}: {table['variant'].nunique()} variants x "
        f"{int(table['replications'].iloc[0])} replications on common random numbers "
        "(mean ±95% CI half-width)"
    )
    header = [*paths, "queue", *(t for t, _, _ in SHOWN)]
    rows = [
        [json.dumps(row[p], default=str) for p in paths]
        + [row["queue"]]
        + [
            _with_ci(row[m], row[f"{m}_ci95"], k) if k != "count" else _fmt(row[m], k)
            for _, m, k in SHOWN
        ]
        for _, row in table.iterrows()
    ]
    print(_grid(header, rows, left=len(paths) + 1))
    return EXIT_OK


def _sweep_json(table: pd.DataFrame, paths: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "variant": {p: _clean(row[p]) for p in paths},
            "queue": row["queue"],
            **{m: _clean(row[m]) for m in METRICS},
            "ci95": {m: _clean(row[f"{m}_ci95"]) for m in METRICS},
        }
        for _, row in table.iterrows()
    ]


# -- sim staff ---------------------------------------------------------------------------


def register_staff(sub: argparse._SubParsersAction) -> None:
    """Add ``sim staff SCENARIO --queue Q --target T``."""
    p = sub.add_parser(
        "staff",
        help="agents needed per interval and a shift plan that covers them",
        description=wrap(
            "For one queue: agents needed in each 30- or 60-minute interval of the day by "
            "Erlang C (Erlang A when the queue has patience, with theta = 1/mean patience), "
            "then corrected by simulating the queue with that many agents per interval "
            "(time-varying arrivals and shift edges break stationary formulas; both numbers "
            "are shown), then the cheapest plan of allowed shifts covering every interval "
            "(integer programme, scipy.optimize.milp, minimum agent-hours), printed as a "
            "staff: block to paste. The plan is simulated and its figures per interval "
            "reported. The queue is simulated alone: contacts routed to it from other "
            "queues are out of scope, what it routes on just leaves; the run starts empty "
            "with no warm-up. On several days each interval is sized for its busiest day. "
            "Exit 1 when the plan misses the target in some interval beyond the 95% CI."
        ),
        epilog=(
            f"targets: {TARGET_HELP}\n\n"
            "examples:\n"
            "  sim staff scenarios/livestream_promo_peak.yaml \\\n"
            '      --queue live_peak --target "80% in 60s"\n'
            '  sim staff SCENARIO --queue live_peak --target "mean wait 2m" --shifts three\n'
            '  sim staff SCENARIO --queue live_peak --target "abandon 5%" --interval 30m \\\n'
            "      --shift-template 09:00-18:00 --shift-template 18:00-02:00 --out staff.yaml"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--queue", help="queue to staff (default: the only queue with arrivals)")
    p.add_argument(
        "--target",
        required=True,
        type=_typed(parse_target),
        help=f"service target per interval: {TARGET_HELP.replace('%', '%%')}",
    )
    p.add_argument(
        "--interval",
        type=_typed(_interval),
        default=3600.0,
        help="interval length: 30m or 60m (default 60m)",
    )
    p.add_argument(
        "--shifts",
        choices=("8h", "three"),
        default="8h",
        help="allowed shifts: 8h = 8-hour shifts starting on any hour (default); "
        "three = 00-08, 08-16, 16-24",
    )
    p.add_argument(
        "--shift-template",
        action="append",
        type=_typed(parse_shift_template),
        metavar="HH:MM-HH:MM",
        help="an allowed shift (repeatable; replaces --shifts)",
    )
    p.add_argument(
        "--rounds", type=positive_int, default=8, help="simulation-correction rounds (default 8)"
    )
    add_run_options(p, json_help="print the plan as JSON on stdout")
    _parallel_options(p, out_help="also write the staff: block to FILE")
    p.set_defaults(handler=_cmd_staff)


def _cmd_staff(args: argparse.Namespace) -> int:
    scenario = load(args.scenario, args.overrides)
    try:
        plan = staff_plan(
            scenario,
            args.queue,
            args.target,
            interval=args.interval,
            shifts=args.shift_template or args.shifts,
            replications=args.replications,
            seed=args.seed,
            rounds=args.rounds,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=_progress(args),
        )
    except StaffingError as exc:
        return _fail(str(exc))
    if args.out:
        Path(args.out).write_text(plan.staff_yaml(), encoding="utf-8")
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        print(_staff_text(plan, args.scenario))
    return EXIT_OK if plan.meets_target else EXIT_MISS


def _staff_text(plan: StaffingPlan, source: str) -> str:
    metric = plan.target.metric
    kind = "share" if metric != "mean_wait_s" else "time"
    short = {"service_level": "SL", "mean_wait_s": "wait", "abandon_rate": "abandon"}[metric]
    table = plan.intervals
    rows = [
        [
            f"{r['start']}-{r['end']}",
            f"{r['arrival_rate_per_h']:.1f}",
            str(r["erlang_agents"]),
            str(r["simulated_agents"]),
            str(r["planned_agents"]),
            _fmt(r[f"{metric}_at_erlang"], kind),
            _with_ci(r[metric], r[f"{metric}_ci95"], kind),
            "" if r["meets_target"] else "MISS",
        ]
        for _, r in table.iterrows()
    ]
    header = [
        "interval",
        "arrivals/h",
        plan.model,
        "simulated",
        "planned",
        f"{short}@Erlang",
        f"{short} plan",
        "",
    ]
    shifts = [[f"{s['start']}-{s['end']}", str(s["agents"])] for s in plan.staff_block()]
    missed = [f"{r['start']}-{r['end']}" for _, r in table.iterrows() if not r["meets_target"]]
    verdict = (
        "the plan meets the target in every interval (within the 95% CI)"
        if not missed
        else f"the plan MISSES the target in {', '.join(missed)}"
    )
    notes = [
        f"{plan.queue}: target {plan.target.describe()}, per "
        f"{format_duration(plan.interval)} interval",
        f"{plan.model} agents, corrected by simulation ({plan.replications} replications, "
        f"seed {plan.seed}; {source}, this queue alone)",
    ]
    if not plan.corrected:
        notes.append("warning: the simulation correction did not converge; try --rounds 16")
    block = json.dumps(plan.staff_block())  # JSON is YAML: a valid --set value
    return "\n".join(
        [
            *notes,
            "",
            _grid(header, rows),
            "",
            f"shift plan: {plan.agent_hours:g} agent-hours per day",
            _grid(["shift", "agents"], shifts),
            "",
            verdict,
            "",
            f"staff block, to paste under queues.{plan.queue} in {source}:",
            plan.staff_yaml().rstrip(),
            "",
            "or try it at once:",
            f"  sim run {source} --set 'queues.{plan.queue}.staff={block}'",
        ]
    )
