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
from sim.loader import from_dict, load
from sim.records import Outcome
from sim.results import Results
from sim.runner import run
from sim.scenario import Scenario

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
    "Uniform",
    "__version__",
    "from_dict",
    "load",
    "run",
    "simulate",
]
