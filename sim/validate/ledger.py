"""The degrees-of-freedom ledger: which targets are fits, restated inputs or checks.

A scenario declares what was calibrated (``calibrated: [{field, to: [target ids]}]``)
and which targets only restate an input (``restates: [field paths]``). Every target then
has one role:

* ``fit``: a calibrated value was tuned to it; passing shows the fit worked;
* ``input``: it repeats a value the scenario is given (not counted as a pass);
* ``check``: a prediction: nothing was tuned to it, so it could have missed.

A calibrated value tuned to several targets leaves spare degrees of freedom (targets
beyond the values fitted to them); sharing one value across segments is how a fitted
scenario earns checks. Entries that name a field in common are one value, however the
field is spelled (a target by index or by id): listing a value twice, tuned to other
targets (a composed scenario refitting an included value), does not count it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim import paths
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.validate.rule import TargetRow

__all__ = ["ROLES", "Tally", "calibrated_values", "keeps_ledger", "roles", "tally"]

ROLES = ("check", "fit", "input")


def keeps_ledger(scenario: Scenario) -> bool:
    """Whether the scenario declares its ledger.

    It does with a ``calibrated`` list (an empty one says nothing was fitted) or a target
    that ``restates`` an input; without either its targets have no role.
    """
    return "calibrated" in scenario.model_fields_set or any(
        t.restates is not None for t in scenario.targets
    )


def roles(scenario: Scenario) -> list[str | None]:
    """The role of each of the scenario's targets, in order (None without a ledger)."""
    if not keeps_ledger(scenario):
        return [None] * len(scenario.targets)
    fitted = {name for entry in scenario.calibrated for name in entry.to}
    return [
        "input" if t.restates is not None else "fit" if t.id in fitted else "check"
        for t in scenario.targets
    ]


def calibrated_values(scenario: Scenario) -> int:
    """How many values the ``calibrated`` entries fitted: entries sharing a field are one."""
    data = scenario.model_dump(mode="json")  # lists, as a file has: targets by id
    owner: dict[str, int] = {}  # each field path, spelled one way, to its first entry
    parent = list(range(len(scenario.calibrated)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, entry in enumerate(scenario.calibrated):
        for field in entry.field:
            j = owner.setdefault(paths.dotted(paths.split(data, field)), i)
            parent[root(i)] = root(j)
    return len({root(i) for i in range(len(parent))})


@dataclass(frozen=True)
class Tally:
    """One file's ledger: targets by role and verdict, and the values calibrated."""

    source: str
    checks: int
    checks_passed: int
    fits: int
    fits_passed: int
    inputs: int
    values: int

    @property
    def targets(self) -> int:
        """Targets of every role."""
        return self.checks + self.fits + self.inputs

    @property
    def spare(self) -> int:
        """Fitted targets beyond the values fitted to them (over-determined fits)."""
        return max(self.fits - self.values, 0)


def tally(source: str, scenario: Scenario, rows: Sequence[TargetRow]) -> Tally:
    """Count one file's rows by role (``rows`` are that file's, in target order)."""

    def count(role: str, passed: bool | None = None) -> int:
        return sum(r.role == role and (passed is None or r.passed == passed) for r in rows)

    return Tally(
        source=source,
        checks=count("check"),
        checks_passed=count("check", True),
        fits=count("fit"),
        fits_passed=count("fit", True),
        inputs=count("input"),
        values=calibrated_values(scenario),
    )
