"""Staffing one queue: agents per interval from Erlang, corrected by simulation, then shifts.

Three steps, each shown to the user beside the previous one:

1. **Formula.** Each interval of the day gets the Erlang C agents (Erlang A when the
   queue has patience, with the patience mean as 1/theta) for its average arrival rate.
   Stationary formulas ignore that queues lag behind a rising rate and that backlogs
   spill over shift edges, and they assume exponential service.
2. **Simulation.** The queue is simulated with exactly that many agents in each interval
   (agents join when the requirement rises and leave when it falls, so nobody changes
   seat at an interval edge for nothing); intervals that miss the target get more
   agents, for a few rounds.
3. **Shift plan.** ``scipy.optimize.milp`` chooses how many agents start each allowed
   shift so that every interval is covered at minimum agent-hours; the plan is then
   simulated and its figures per interval reported.

The queue is simulated in its network (:mod:`sim.staffing.network`): with every queue
whose contacts or agents can reach it, as the scenario staffs them (one that reaches it
only through a hidden entry as a gate: its arrivals and that entry alone), so the
contacts routed to it arrive as they would in the whole scenario (its visits are the
same, to the bit); the other queues are left out, and what it routes out of that network
simply leaves. The formula's rate adds the contacts routed in per interval, counted in a
simulation of the network as the scenario stands, on the plan's replications and seed;
so a queue with no arrivals of its own (an email desk fed by escalations) is staffed
for what reaches it. When the queue routes contacts back upstream (a cycle), what
reaches it depends on its own staffing: the baseline's count is the formula's first
guess, and the simulation rounds, which run the cycle, correct it. Random streams are
keyed by queue name, so all steps run on common random numbers. The simulation starts
empty at the scenario start with no warm-up, so that every interval of the day is
measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import exports

if TYPE_CHECKING:
    from sim.errors import StaffingError
    from sim.staffing.base import INTERVAL_HELP, INTERVALS, TARGET_HELP, parse_interval
    from sim.staffing.formula import erlang_agents, interval_rates
    from sim.staffing.plan import StaffingPlan, resolve_queue, staff_plan
    from sim.staffing.shifts import (
        ShiftTemplate,
        cover_shifts,
        parse_shift_template,
        shift_templates,
    )
    from sim.staffing.simulation import max_calls
    from sim.staffing.targets import StaffTarget, parse_target

_HOMES = {
    "INTERVAL_HELP": "sim.staffing.base",
    "INTERVALS": "sim.staffing.base",
    "TARGET_HELP": "sim.staffing.base",
    "parse_interval": "sim.staffing.base",
    "StaffingError": "sim.errors",
    "erlang_agents": "sim.staffing.formula",
    "interval_rates": "sim.staffing.formula",
    "StaffingPlan": "sim.staffing.plan",
    "resolve_queue": "sim.staffing.plan",
    "staff_plan": "sim.staffing.plan",
    "ShiftTemplate": "sim.staffing.shifts",
    "cover_shifts": "sim.staffing.shifts",
    "parse_shift_template": "sim.staffing.shifts",
    "shift_templates": "sim.staffing.shifts",
    "max_calls": "sim.staffing.simulation",
    "StaffTarget": "sim.staffing.targets",
    "parse_target": "sim.staffing.targets",
}

__all__ = [
    "INTERVALS",
    "INTERVAL_HELP",
    "TARGET_HELP",
    "ShiftTemplate",
    "StaffTarget",
    "StaffingError",
    "StaffingPlan",
    "cover_shifts",
    "erlang_agents",
    "interval_rates",
    "max_calls",
    "parse_interval",
    "parse_shift_template",
    "parse_target",
    "resolve_queue",
    "shift_templates",
    "staff_plan",
]

__getattr__, __dir__ = exports(__name__, _HOMES)
