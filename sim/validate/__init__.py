"""Checking scenarios against the document: each target's figure with its 95% CI.

One module per concept: :mod:`~sim.validate.figures` (a target's figure on one
replication), :mod:`~sim.validate.rule` (over replications, and the pass rule),
:mod:`~sim.validate.ledger` (which targets are fits, restated inputs or checks),
:mod:`~sim.validate.files` (files and folders to validate) and
:mod:`~sim.validate.table` (how rows read in the terminal).
"""

from sim.validate.figures import target_figures
from sim.validate.files import discover, load_all
from sim.validate.ledger import Tally, roles, tally
from sim.validate.rule import (
    TargetRow,
    Validation,
    passes,
    validate,
    validate_all,
    validate_many,
)
from sim.validate.table import (
    describe,
    format_ledger,
    format_rows,
    format_value,
    target_table,
    unit_metric,
    verdict,
)

__all__ = [
    "Tally",
    "TargetRow",
    "Validation",
    "describe",
    "discover",
    "format_ledger",
    "format_rows",
    "format_value",
    "load_all",
    "passes",
    "roles",
    "tally",
    "target_figures",
    "target_table",
    "unit_metric",
    "validate",
    "validate_all",
    "validate_many",
    "verdict",
]
