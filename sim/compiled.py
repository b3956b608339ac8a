"""Whether ``sim`` runs its engine compiled: a build of ``make compile``, if it is current.

``tools/compile_engine.py`` compiles the engine's hot modules (:data:`MODULES`) with
mypyc into ``.compiled/sim`` beside the package (never into ``sim/`` itself) and records
a hash of each module's source. When ``sim`` is imported, :func:`search_path` puts that
folder first on the package's ``__path__``, so ``import sim.node`` finds the compiled
module, but only if every recorded source is still the one in ``sim/`` and the build is
for this Python: an edited module is never shadowed by a stale build (it runs as Python
until ``make compile`` runs again). ``SIM_PURE=1`` ignores any build. Both give the same
numbers to the bit (``tests/test_compiled.py``). An installed (not editable) ``sim`` has
no build beside it and runs as pure Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from pathlib import Path

__all__ = ["BUILD", "MODULES", "STATE", "manifest", "search_path", "stale"]

_PACKAGE = Path(__file__).resolve().parent
BUILD = _PACKAGE.parent / ".compiled" / "sim"

# The modules the event loop runs through (py-spy: four fifths of a validation's time).
MODULES = ("node", "waiting", "routing", "streams", "records", "agents", "crew", "environment")

# What search_path found: "compiled", or "pure" with the reason when a build was passed over.
STATE = "pure"


def manifest(package: Path = _PACKAGE) -> dict[str, object]:
    """What a build of ``package``'s sources as they are now records: ABI and hashes."""
    return {
        "soabi": sysconfig.get_config_var("SOABI"),
        "sources": {
            name: hashlib.sha256((package / f"{name}.py").read_bytes()).hexdigest()
            for name in MODULES
        },
    }


def stale(build: Path = BUILD, package: Path = _PACKAGE) -> str | None:
    """Why the build in ``build`` is not one of ``package``'s sources for this Python.

    None when it is current. ``tools/compile_engine.py`` asks the same to skip a build.
    """
    try:
        built = json.loads((build / "manifest.json").read_text())
        soabi, sources = built["soabi"], built["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        sources = None
    if not isinstance(sources, dict):  # a broken manifest must not break `import sim`
        return "the compiled build's manifest is unreadable (make compile)"
    if soabi != sysconfig.get_config_var("SOABI"):
        return f"the compiled build is for {soabi} (make compile)"
    now = manifest(package)["sources"]
    for name in MODULES:
        if sources.get(name) != now[name]:  # type: ignore[index]
            return f"sim/{name}.py changed since the compiled build (make compile)"
    return None


def search_path(build: Path = BUILD, package: Path = _PACKAGE) -> str | None:
    """The folder of a current compiled build to search before ``sim/``, or None."""
    global STATE  # noqa: PLW0603 (set once, when sim is imported)
    if not (build / "manifest.json").is_file():
        STATE = "pure"
        return None
    why = "SIM_PURE is set" if os.environ.get("SIM_PURE") else stale(build, package)
    STATE = "compiled" if why is None else f"pure: {why}"
    return str(build) if why is None else None
