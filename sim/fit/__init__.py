"""Fitting a scenario to a real contact log, and back-testing it.

``sim.fit(log)`` reads a contact log (CSV, Parquet or a DataFrame; the project's own
``contacts.csv`` too), cleans it and reports what it repaired or rejected, fits each
queue's arrivals, staffing, bot path, handle time, patience and routes, and returns a
:class:`FitResult` whose scenario ``sim run`` accepts. One module per concept: ``table``
(the file), ``log`` (reading, cleaning), ``clock`` (the log's times), ``estimate``
(estimates with CIs, maximum likelihood), ``arrivals``, ``staffing``, ``bot``,
``handle``, ``patience``, ``routes``, ``write`` (the scenario file), ``backtest`` and
``result`` (the API); ``synthetic`` makes realistic messy logs.
The engine never imports this package.

The package is callable: ``sim.fit(log, ...)`` is :func:`sim.fit.fit`, the API of
the README, while ``sim.fit.read_log`` and the other names stay reachable.
"""

import inspect
import sys
import types
from typing import Any

from sim.fit.backtest import FIGURES, Backtest
from sim.fit.log import Cleaning, Log, LogError, parse_columns, read_log
from sim.fit.result import FitResult, fit

__all__ = [
    "FIGURES",
    "Backtest",
    "Cleaning",
    "FitResult",
    "Log",
    "LogError",
    "fit",
    "parse_columns",
    "read_log",
]


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`fit`."""

    def __call__(self, *args: Any, **kwargs: Any) -> FitResult:  # fit's, passed on as given
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
# What help(sim.fit) and a notebook's signature pop-up show: fit's own arguments.
__signature__ = inspect.signature(fit)
