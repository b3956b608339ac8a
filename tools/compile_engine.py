"""Compile the engine's hot modules with mypyc: ``make compile`` (``make test`` runs it).

The compiled modules go to ``.compiled/sim`` beside the package, never into ``sim/``:
``sim`` puts that folder first on its ``__path__`` only while every compiled module's
source is the one it was built from (hashes in ``manifest.json``, see
:mod:`sim.compiled`), so an edited module is never shadowed by a stale build, and
``SIM_PURE=1`` ignores the build. The numbers are the same to the bit either way
(``tests/test_compiled.py``). A build that is current is left alone.

Each module is its own extension (mypyc's ``separate``), built in parallel: one grouped
extension took 1 min 33 s to build on a 2-core machine, these take ~20 s, and run as
fast (``benchmarks/README.md``, stop 35). Without mypyc (the ``compile`` extra, Python
3.11+) or a C compiler the build fails, says so, and ``sim`` runs as pure Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sim, whatever is installed

from sim.compiled import BUILD, MODULES, manifest, stale  # noqa: E402

# mypy for the build: the engine's modules, and SimPy, whose classes two of them extend.
# Every other import is skipped (typed Any, run as Python calls): following numpy, pandas
# and pydantic took a minute of a cold build's 1 min 35 s, for code outside the loop.
_CONFIG = """
[mypy]
follow_imports = skip
ignore_missing_imports = True
[mypy-simpy,simpy.*]
follow_imports = silent
"""

_TAIL = 8  # lines of a failed build's output shown

_SETUP = """
from setuptools import setup
from mypyc.build import mypycify
setup(name="sim-engine", ext_modules=mypycify({args!r}, separate=True))
"""


def current() -> bool:
    """Whether ``.compiled/sim`` holds a build of the sources as they are now."""
    return stale() is None


def build() -> int:
    """Compile :data:`MODULES` into ``.compiled/sim``; the exit status."""
    try:
        import mypyc  # noqa: F401, PLC0415 (only to say what is missing)
    except ImportError:
        print(
            "compile_engine: mypyc is not installed (pip install -e '.[compile]', Python "
            "3.11+); sim runs as pure Python",
            file=sys.stderr,
        )
        return 1
    sources = [f"sim/{name}.py" for name in MODULES]
    jobs = str(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "mypy.ini"
        config.write_text(_CONFIG)
        # A fresh cache each time: mypyc crashed on entries of a build before an edit.
        cache = str(Path(tmp) / "cache")
        args = ["--config-file", str(config), "--cache-dir", cache, *sources]
        setup = Path(tmp) / "setup_engine.py"
        setup.write_text(_SETUP.format(args=args))
        lib = Path(tmp) / "lib"
        done = subprocess.run(
            [sys.executable, str(setup), "-q", "build_ext", "-j", jobs,
             "--build-lib", str(lib), "--build-temp", str(Path(tmp) / "temp")],
            cwd=ROOT, check=False, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            # The compiler's last words say why (most often: no C compiler, or no
            # Python.h); the rest of setuptools' output would bury them.
            tail = (done.stdout + done.stderr).strip().splitlines()[-_TAIL:]
            print("\n".join(tail), file=sys.stderr)
            left = (
                "the build before it, still current, stays"
                if current()
                else "sim runs as pure Python"
            )
            print(f"compile_engine: the build failed; {left}", file=sys.stderr)
            return done.returncode
        shutil.rmtree(BUILD, ignore_errors=True)
        shutil.copytree(lib / "sim", BUILD)
    (BUILD / "manifest.json").write_text(json.dumps(manifest(), indent=1))
    print(f"compile_engine: compiled {len(MODULES)} modules into {BUILD.relative_to(ROOT)}")
    return 0


def main() -> int:
    """Build unless the build is current (or ``--force``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even if current")
    if not parser.parse_args().force and current():
        print("compile_engine: the compiled engine is current")
        return 0
    return build()


if __name__ == "__main__":
    sys.exit(main())
