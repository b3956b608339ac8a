"""What-if simulation of merchant customer service: staffed queues on SimPy.

Typical use::

    import sim
    scenario = sim.load("scenarios/livestream_promo_peak.yaml")
    results = sim.run(scenario, replications=20)
    results.summary()
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
    "from_dict",
    "load",
    "run",
    "simulate",
    "staff_plan",
    "sweep",
]
