"""The report of ``sim staff --report``: agents per interval and the shift plan as a Gantt."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.report.html import Card, Report, ScenarioText, Section, facts, image
from sim.report.tables import shift_table, staff_table, staff_verdict
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.staffing import StaffingPlan

__all__ = ["routed_line", "simulated_with", "staff_report", "try_command"]


def try_command(plan: StaffingPlan, source: str, changes: Sequence[str] = ()) -> str:
    """The ``sim run`` that tries the plan on the scenario it was made for.

    With the ``--set`` changes the plan was made with, each word quoted for the shell.
    """
    block = json.dumps(plan.staff_value())  # JSON is YAML: a valid --set value
    sets = [w for change in changes for w in ("--set", change)]
    return shlex.join(["sim", "run", source, *sets, "--set", f"queues.{plan.queue}.staff={block}"])


def simulated_with(plan: StaffingPlan) -> str:
    """What the plan's simulations ran: the queue alone, or with the queues feeding it."""
    if not plan.feeders:
        return "this queue alone"
    return f"this queue with the queues that reach it: {', '.join(plan.feeders)}"


def routed_line(plan: StaffingPlan) -> str:
    """How much of the queue's contacts are routed in, and from where (percent)."""
    parts = ", ".join(f"{name} ({_percent(share)})" for name, share in plan.routed_from.items())
    return f"routed in: {_percent(plan.routed_share)} of arrivals, from {parts}"


def _percent(share: float) -> str:
    # A trickle is not nothing, nor all: "0%" beside a queue named as a source, or
    # "100%" of a desk with a few arrivals of its own, reads as a mistake.
    if 0 < share < 0.005:
        return "<1%"
    return ">99%" if 0.995 <= share < 1 else f"{100 * share:.0f}%"


def _cards(plan: StaffingPlan) -> tuple[Card, ...]:
    missed = int((~plan.intervals["meets_target"].astype(bool)).sum())
    peak = int(plan.intervals["planned_agents"].max()) if len(plan.intervals) else 0
    return (
        Card(
            "agent-hours per day",
            f"{plan.agent_hours:,.0f}",
            f"{len(plan.shifts)} shifts; at most {peak} agents at once",
        ),
        Card(
            "intervals meeting the target",
            f"{len(plan.intervals) - missed} of {len(plan.intervals)}",
            staff_verdict(plan),
            flag="miss" if missed else "",
        ),
    )


def _gantt(plan: StaffingPlan) -> tuple:
    if not plan.shifts:
        return ()
    from sim import plots  # noqa: PLC0415 - matplotlib

    # pandas-stubs take idxmax's label (a Hashable) for no row label .loc accepts.
    busiest = plan.intervals.loc[plan.intervals["simulated_agents"].idxmax()]  # type: ignore[call-overload]
    alt = (
        f"Top: {len(plan.shifts)} horizontal bars, one per shift of the plan, from its "
        "start to its end over the 24 hours, labelled with its agents. Bottom: agents needed "
        "per interval (formula and simulation-corrected) as step lines, and the plan's "
        f"cover as a shaded step; the most agents are needed at {busiest['start']}-"
        f"{busiest['end']} ({busiest['simulated_agents']})."
    )
    caption = "An overnight shift wraps from the evening to the morning."
    return (image(plots.shift_plan(plan), "The shift plan", alt, caption),)


def staff_report(
    plan: StaffingPlan,
    scenarios: Sequence[ScenarioText],
    *,
    source: str,
    shifts: str,
    command: str | None = None,
    changes: Sequence[str] = (),
) -> Report:
    """The interval table, the shift plan (table, Gantt chart, staff: block), assumptions.

    Args:
        plan: the staffing plan.
        scenarios: the scenario as written and as it ran.
        source: the scenario file.
        shifts: the shifts allowed, in words (``8-hour shifts on any hour``).
        command: the command line that made the result.
        changes: the ``--set`` overrides the plan was made with.
    """
    interval = format_duration(plan.interval)
    caption = (
        f"Per {interval} interval: arrivals, agents needed by {plan.model} and after the "
        f"simulation correction, agents the plan puts on duty, and the target figure at "
        f"the {plan.model} staffing and with the plan (± 95% CI half-width)."
    )
    plan_section = Section(
        "Shift plan",
        (f"{plan.agent_hours:,.0f} agent-hours per day; {staff_verdict(plan)}.",),
        tables=(shift_table(plan, "Shifts and agents on each."),),
        images=_gantt(plan),
        code=(
            (
                f"The staff: block, to paste under queues.{plan.queue} in {source}:",
                plan.staff_yaml(),
            ),
            ("Or try it at once:", try_command(plan, source, changes)),
        ),
        anchor="plan",
    )
    question = [
        f"How many agents does queue {plan.queue} of {source} need per {interval} "
        f"interval to meet the target {plan.target.describe()}, and which shifts cover "
        "them at the least agent-hours?",
        f"Allowed shifts: {shifts}. Simulated: {simulated_with(plan)}, as the scenario "
        "staffs them; on several days each interval is sized for its busiest day.",
    ]
    if plan.routed_from:
        question.append(
            f"{routed_line(plan).capitalize()} (retrials not counted; in a simulation of "
            "the scenario as it stands)."
        )
    notes = []
    if not plan.corrected:
        notes.append("The simulation correction did not converge; try --rounds 16.")
    return Report(
        kind="staff",
        title=f"Staffing {plan.queue}: {plan.target.describe()}",
        question=tuple(question),
        cards=_cards(plan),
        headline=(staff_table(plan, caption),),
        sections=(plan_section,),
        facts=facts(plan.seed, plan.replications, command=command),
        scenarios=tuple(scenarios),
        notes=tuple(notes),
    )
