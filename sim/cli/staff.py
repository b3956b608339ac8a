"""``sim staff SCENARIO --queue Q --target T``: agents per interval and a shift plan."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_MISS,
    EXIT_OK,
    add_output_options,
    add_report_option,
    add_run_options,
    check_workload,
    command_line,
    fail,
    lazy_type,
    plan_report,
    positive_int,
    progress_wanted,
    table_width,
    typed,
    wrap,
)
from sim.outputs import OutputPlan
from sim.staffing.base import INTERVAL_HELP, TARGET_HELP, parse_interval
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.staffing import (
        StaffingPlan,
    )

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
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
            "reported. The queue is simulated with every queue whose contacts or agents can "
            "reach it, as the scenario staffs them (one that reaches it only through a "
            "hidden entry, its arrivals and that entry alone; the rest are left out; what "
            "it routes out of them just leaves), so contacts routed to it count: the "
            "formula adds "
            "their rate per interval, from a simulation of the scenario as it stands, and "
            "a queue with no arrivals of its own is staffed for them; the runs start empty "
            "with no warm-up. On several days each interval is sized for its busiest day. "
            "An interval meets the target when its simulated figure's one-sided 95% "
            "confidence bound over the replications does (the lower bound of a service "
            "level, the upper bound of a mean wait or abandonment), in adding agents, in "
            "taking them away and in the verdict: a point estimate from a few replications "
            "that just reads 80% is often luck. An interval with few contacts over the "
            "replications (under 5 / (p (1 - p)) for a target share p, 32 at 80%; 30 for a "
            "mean wait) is judged on its mean. More --replications give a tighter bound, "
            "and often fewer agents. "
            "Exit 1 when the plan misses the target in some interval."
        ),
        epilog=(
            f"targets: {TARGET_HELP}\n\n"
            "examples:\n"
            "  sim staff scenarios/livestream_promo_peak.yaml \\\n"
            '      --queue live_peak --target "80% in 60s"\n'
            '  sim staff SCENARIO --queue live_peak --target "mean wait 2m" --shifts three\n'
            "  sim staff scenarios/document/homepage.yaml --queue email \\\n"
            '      --target "80% in 4h"   # a desk fed only by routes from other queues\n'
            '  sim staff SCENARIO --queue live_peak --target "abandon 5%" --interval 30m \\\n'
            "      --shift-template 09:00-18:00 --shift-template 18:00-02:00 \\\n"
            "      --shift-template 02:00-09:00 --out staff.yaml   # the templates cover the day"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--queue", help="queue to staff (default: the only queue with arrivals)")
    p.add_argument(
        "--target",
        required=True,
        type=lazy_type("sim.staffing.targets", "parse_target"),
        help=f"service target per interval: {TARGET_HELP.replace('%', '%%')}",
    )
    p.add_argument(
        "--interval",
        type=typed(parse_interval),
        default=3600.0,
        help=f"interval length: {INTERVAL_HELP} (default 60m)",
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
        type=lazy_type("sim.staffing.shifts", "parse_shift_template"),
        metavar="HH:MM-HH:MM",
        help="an allowed shift (repeatable; replaces --shifts)",
    )
    p.add_argument(
        "--rounds",
        type=positive_int,
        default=8,
        metavar="N",
        help="at most N rounds of adding agents where the simulation misses, then N of "
        "taking away those it does not need; each stops early when nothing changes "
        "(default 8)",
    )
    add_run_options(p, json_help="print the plan as JSON on stdout")
    add_output_options(p, out_help="also write the staff: block to FILE")
    add_report_option(p)
    p.set_defaults(handler=_cmd_staff)


def _cmd_staff(args: argparse.Namespace) -> int:
    from sim.loader import load

    scenario = load(args.scenario, args.overrides)
    from sim.staffing import StaffingError, max_calls, resolve_queue, staff_plan
    from sim.staffing.network import feeders, network

    outputs = OutputPlan(protect=[args.scenario])
    report = plan_report(args, outputs)
    try:
        queue = resolve_queue(scenario, args.queue)
    except StaffingError as exc:
        return fail(f"{args.scenario}: --queue: {exc}")
    net = network(scenario, queue)
    n = args.replications or scenario.replications
    repeats = max_calls(args.rounds, routed=bool(feeders(scenario, queue)))
    workers = check_workload(args, args.scenario, [(net, n)], repeats=repeats)
    if args.out:
        outputs.file(args.out)
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
            workers=workers,
            scheduler=args.scheduler,
            progress=progress_wanted(args),
        )
    except StaffingError as exc:
        return fail(f"{args.scenario}: {exc}")
    writers = {}
    if args.out:
        block = plan.staff_yaml()
        writers[Path(args.out)] = lambda path: path.write_text(block, encoding="utf-8")
    if report:
        writers[Path(args.report)] = _report_page(args, scenario, plan)
    if writers:  # --out and --report: one set
        outputs.write(writers)
    if args.json:
        # The plan's own document names the queue, replications and seed, not the file.
        named = {"scenario": scenario.name, "variant": ", ".join(args.overrides) or "base"}
        print(json.dumps({**named, **plan.to_dict()}, indent=2))
    else:
        bot = scenario.queues[plan.queue].bot
        hybrid = bot is not None and bot.when == "always"
        print(_staff_text(plan, args.scenario, args.overrides, hybrid=hybrid))
    return EXIT_OK if plan.meets_target else EXIT_MISS


_SHIFT_WORDS = {"8h": "8-hour shifts starting on any hour", "three": "00-08, 08-16, 16-24"}


def _report_page(
    args: argparse.Namespace, scenario: Scenario, plan: StaffingPlan
) -> Callable[[Path], object]:
    from sim.report.html import page_writer, scenario_text
    from sim.report.staff import staff_report

    templates = args.shift_template
    shifts = ", ".join(t.label() for t in templates) if templates else _SHIFT_WORDS[args.shifts]
    page = staff_report(
        plan,
        [scenario_text(scenario.name, scenario, args.scenario, args.overrides)],
        source=args.scenario,
        shifts=shifts,
        command=command_line(args),
        changes=args.overrides,
    )
    return page_writer(page)


def _staff_text(
    plan: StaffingPlan, source: str, changes: list[str], *, hybrid: bool = False
) -> str:
    from sim.report import shift_table, staff_table, staff_verdict
    from sim.report.staff import routed_line, simulated_with, try_command
    from sim.report.tables import count

    verdict = staff_verdict(plan)
    notes = [
        f"{plan.queue}: target {plan.target.describe()}, per "
        f"{format_duration(plan.interval)} interval",
        f"{plan.model} agents, corrected by simulation ({count(plan.replications, 'replication')}, "
        f"seed {plan.seed}; {source}, {simulated_with(plan)})",
    ]
    if plan.routed_from:
        notes.append(routed_line(plan))
    if hybrid:
        notes.append(
            "the bot answers every contact first: waits are the time to an agent of the "
            "contacts it hands over"
        )
    if not plan.corrected:
        notes.append("warning: the simulation correction did not converge; try --rounds 16")
    return "\n".join(
        [
            *notes,
            "",
            staff_table(plan).text(table_width()),
            "",
            f"shift plan: {plan.agent_hours:g} agent-hours per day",
            shift_table(plan).text(table_width()),
            "",
            verdict,
            "",
            f"staff block, to paste under queues.{plan.queue} in {source}:",
            plan.staff_yaml().rstrip(),
            "",
            "or try it at once:",
            f"  {try_command(plan, source, changes)}",
        ]
    )
