"""Lazy exports for packages (PEP 562): a name is imported from its module on first use.

The command line builds its parser from every command module; if a package's
``__init__`` imported its modules eagerly, ``sim --help`` would load scipy, pandas and
matplotlib before printing a line. With :func:`exports`, ``from sim.staffing import
TARGET_HELP`` imports only the module that defines it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names live in ``homes``.

    Args:
        package: the package's ``__name__``.
        homes: public name -> the module that defines it (``"sim.staffing.plan"``).
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the PEP 562 hook
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)  # the next access is a plain lookup
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the PEP 562 hook
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
