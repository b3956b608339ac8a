"""What-if simulation of merchant customer service: staffed queues on SimPy.

Typical use::

    import sim
    scenario = sim.load("scenarios/livestream_promo_peak.yaml")
    results = sim.run(scenario, replications=20)
    results.summary()
    fitted = sim.fit("contacts.csv")   # a scenario fitted from a contact log
"""

from sim.distributions import Constant, Empirical, Exponential, Gamma, Lognormal, Uniform
from sim.engine import ReplicationResult, simulate
from sim.errors import ScenarioError
from sim.experiments import compare, sweep
from sim.loader import from_dict, load
from sim.records import Outcome
from sim.results import Results
from sim.runner import run
from sim.scenario import Scenario
from sim.staffing import StaffingPlan, staff_plan

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``sim.fit(log)`` fits a scenario to a contact log (a callable package, see sim.fit);
    # imported on first use so that ``import sim`` and the command line start fast.
    if name == "fit":
        import importlib  # noqa: PLC0415

        return importlib.import_module("sim.fit")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = [
    "Constant",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Outcome",
    "ReplicationResult",
    "Results",
    "Scenario",
    "ScenarioError",
    "StaffingPlan",
    "Uniform",
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
