"""Checking scenarios against the document: each target's figure with its 95% CI.

One module per concept: :mod:`~sim.validate.figures` (a target's figure on one
replication), :mod:`~sim.validate.estimate` (its mean or ratio of means over replications, with
the CI), :mod:`~sim.validate.rule` (over replications, and the pass rule),
:mod:`~sim.validate.ledger` (which targets are fits, restated inputs or checks),
:mod:`~sim.validate.files` (files and folders to validate) and
:mod:`~sim.validate.table` (how rows read in the terminal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import exports

if TYPE_CHECKING:
    from sim.validate.estimate import Estimate
    from sim.validate.figures import target_figures, target_parts
    from sim.validate.files import discover, load_all
    from sim.validate.ledger import Tally, roles, tally
    from sim.validate.rule import (
        TargetRow,
        Validation,
        cannot_fail,
        passes,
        validate,
        validate_all,
        validate_many,
    )
    from sim.validate.table import (
        describe,
        format_document,
        format_estimate,
        format_half,
        format_ledger,
        format_rows,
        format_value,
        replications_by_file,
        target_table,
        unit_metric,
        verdict,
    )

# Not the function ``estimate``: its module's name, which importing the module sets here
# (``from sim.validate.estimate import estimate``).
_HOMES = {
    "Estimate": "sim.validate.estimate",
    "target_figures": "sim.validate.figures",
    "target_parts": "sim.validate.figures",
    "discover": "sim.validate.files",
    "load_all": "sim.validate.files",
    "Tally": "sim.validate.ledger",
    "roles": "sim.validate.ledger",
    "tally": "sim.validate.ledger",
    "TargetRow": "sim.validate.rule",
    "Validation": "sim.validate.rule",
    "cannot_fail": "sim.validate.rule",
    "passes": "sim.validate.rule",
    "validate": "sim.validate.rule",
    "validate_all": "sim.validate.rule",
    "validate_many": "sim.validate.rule",
    "describe": "sim.validate.table",
    "format_document": "sim.validate.table",
    "format_estimate": "sim.validate.table",
    "format_half": "sim.validate.table",
    "format_ledger": "sim.validate.table",
    "format_rows": "sim.validate.table",
    "format_value": "sim.validate.table",
    "replications_by_file": "sim.validate.table",
    "target_table": "sim.validate.table",
    "unit_metric": "sim.validate.table",
    "verdict": "sim.validate.table",
}

__all__ = [
    "Estimate",
    "Tally",
    "TargetRow",
    "Validation",
    "cannot_fail",
    "describe",
    "discover",
    "format_document",
    "format_estimate",
    "format_half",
    "format_ledger",
    "format_rows",
    "format_value",
    "load_all",
    "passes",
    "replications_by_file",
    "roles",
    "tally",
    "target_figures",
    "target_parts",
    "target_table",
    "unit_metric",
    "validate",
    "validate_all",
    "validate_many",
    "verdict",
]

__getattr__, __dir__ = exports(__name__, _HOMES)
