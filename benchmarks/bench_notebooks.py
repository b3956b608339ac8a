"""How long each notebook takes to run from top to bottom in a fresh kernel.

The test suite only checks that the notebooks run without errors (a wall-clock budget in
a test fails on a busy machine, not on slow code); their timing is measured here. Each
notebook runs ``--repeat`` times (default 1) with nbclient, as ``tests/test_notebooks.py``
runs it, and the wall time of the fastest run is printed with the machine's load average
at the start, so a figure can be read against how busy the machine was.

Usage::

    .venv/bin/python benchmarks/bench_notebooks.py
    .venv/bin/python benchmarks/bench_notebooks.py --repeat 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_once(path: Path) -> float:
    """Wall seconds to execute the notebook at ``path`` in a fresh kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    times = {
        path.stem: min(run_once(path) for _ in range(args.repeat))
        for path in sorted(NOTEBOOKS.glob("*.ipynb"))
    }
    if args.json:
        print(json.dumps({"load_average": load, "cores": os.cpu_count(), "seconds": times}))
        return
    print(f"load average {load:.2f} on {os.cpu_count()} cores; fastest of {args.repeat}")
    for name, seconds in times.items():
        print(f"{name:<28}{seconds:8.1f} s")


if __name__ == "__main__":
    main()
