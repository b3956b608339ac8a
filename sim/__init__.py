"""What-if simulation of merchant customer service: staffed queues on SimPy.

Typical use::

    import sim
    scenario = sim.load("scenarios/livestream_promo_peak.yaml")
    results = sim.run(scenario, replications=20)
    results.summary()
    fitted = sim.fit("contacts.csv")   # a scenario fitted from a contact log

The names below are imported when first used (PEP 562), so ``import sim`` and the
``sim`` command start without loading numpy, pandas and SimPy until they are needed.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from sim.compiled import search_path

# The engine compiled by `make compile`, when its build is current (sim.compiled).
if (_build := search_path()) is not None:
    __path__.insert(0, _build)

if TYPE_CHECKING:
    from sim import fit
    from sim.cluster import ClusterError
    from sim.distributions import Constant, Empirical, Exponential, Gamma, Lognormal, Uniform
    from sim.engine import ReplicationResult, simulate
    from sim.errors import (
        CJKFontWarning,
        DatedWarning,
        LogError,
        PlotError,
        ScenarioError,
        StaffingError,
        WorkersWarning,
        WorkloadError,
    )
    from sim.experiments import compare, sweep
    from sim.loader import from_dict, load
    from sim.outputs import OutputError
    from sim.pool import WorkerLostError
    from sim.records import Outcome
    from sim.results import Results
    from sim.runner import run
    from sim.scenario import Scenario
    from sim.staffing import StaffingPlan, staff_plan

__version__ = "0.1.0"

# Public name -> the module that defines it.
_HOMES = {
    "Constant": "sim.distributions",
    "Empirical": "sim.distributions",
    "Exponential": "sim.distributions",
    "Gamma": "sim.distributions",
    "Lognormal": "sim.distributions",
    "Uniform": "sim.distributions",
    "ReplicationResult": "sim.engine",
    "simulate": "sim.engine",
    # The errors and warnings: light modules, so that an ``except sim.PlotError`` imports
    # no matplotlib, nor a filter on sim.DatedWarning pydantic.
    "ClusterError": "sim.cluster",
    "CJKFontWarning": "sim.errors",
    "DatedWarning": "sim.errors",
    "LogError": "sim.errors",
    "PlotError": "sim.errors",
    "ScenarioError": "sim.errors",
    "StaffingError": "sim.errors",
    "WorkersWarning": "sim.errors",
    "WorkloadError": "sim.errors",
    "OutputError": "sim.outputs",
    "WorkerLostError": "sim.pool",
    "compare": "sim.experiments",
    "sweep": "sim.experiments",
    "from_dict": "sim.loader",
    "load": "sim.loader",
    "Outcome": "sim.records",
    "Results": "sim.results",
    "run": "sim.runner",
    "Scenario": "sim.scenario",
    "StaffingPlan": "sim.staffing",
    "staff_plan": "sim.staffing",
}

__all__ = [
    "CJKFontWarning",
    "ClusterError",
    "Constant",
    "DatedWarning",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogError",
    "Lognormal",
    "Outcome",
    "OutputError",
    "PlotError",
    "ReplicationResult",
    "Results",
    "Scenario",
    "ScenarioError",
    "StaffingError",
    "StaffingPlan",
    "Uniform",
    "WorkerLostError",
    "WorkersWarning",
    "WorkloadError",
    "__version__",
    "compare",
    "fit",
    "from_dict",
    "load",
    "run",
    "simulate",
    "staff_plan",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """Import a public name, or a subpackage (``sim.plots``, ``sim.fit``), on first use.

    ``sim.fit`` is a callable package: ``sim.fit(log)`` fits a scenario to a contact log.
    """
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
