"""The scenario: frozen, validated plain data describing a network of service queues.

These pydantic models are the public scenario format (README, "Scenario reference"). They are built
once at the edge by :mod:`sim.loader`; the engine receives them as immutable typed
objects. Shorthands (``staff: 110``, ``three_shift``, ``business_hours``) are expanded
here so the engine sees one shape only.

One module per part of the format: :mod:`~sim.scenario.base` (the shared base, unit
types, limits), :mod:`~sim.scenario.calendar` (days, dates, holidays),
:mod:`~sim.scenario.arrivals`, :mod:`~sim.scenario.staff` (shifts, breaks, teams),
:mod:`~sim.scenario.routes`, :mod:`~sim.scenario.queue`, :mod:`~sim.scenario.target`
(targets and the ledger) and :mod:`~sim.scenario.scenario` (the whole, cross-checked).
"""

from sim.scenario.arrivals import Arrivals, Peak
from sim.scenario.base import MAX_HORIZON, MAX_NAME_LENGTH, MAX_REPLICATIONS, Name
from sim.scenario.calendar import DAY_NAMES, Calendar
from sim.scenario.queue import Bot, Concurrency, Overflow, Queue, Retry
from sim.scenario.routes import ROUTE_FIELDS, DelayedRoute, Routes, route_share
from sim.scenario.scenario import Scenario
from sim.scenario.staff import Breaks, Shift, Team
from sim.scenario.target import (
    AGENT_TIME_METRICS,
    DEADLINE_METRICS,
    RATE_METRICS,
    TIME_METRICS,
    Calibrated,
    Deadline,
    LeastOf,
    QueueSelection,
    Reference,
    Target,
)

__all__ = [
    "AGENT_TIME_METRICS",
    "DAY_NAMES",
    "DEADLINE_METRICS",
    "MAX_HORIZON",
    "MAX_NAME_LENGTH",
    "MAX_REPLICATIONS",
    "RATE_METRICS",
    "ROUTE_FIELDS",
    "TIME_METRICS",
    "Arrivals",
    "Bot",
    "Breaks",
    "Calendar",
    "Calibrated",
    "Concurrency",
    "Deadline",
    "DelayedRoute",
    "LeastOf",
    "Name",
    "Overflow",
    "Peak",
    "Queue",
    "QueueSelection",
    "Reference",
    "Retry",
    "Routes",
    "Scenario",
    "Shift",
    "Target",
    "Team",
    "route_share",
]
