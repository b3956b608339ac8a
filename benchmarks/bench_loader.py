"""How fast the loader refuses hostile files: an alias bomb, deep nesting, many problems.

The test suite checks that these files are refused with the right message; how long that
takes is measured here, never asserted in a test. Each file is loaded ``--repeat`` times
(default 3) with :func:`sim.load` and the fastest time is printed:

* a nested alias bomb: 9 anchors of 9 aliases each (under 500 bytes), 387,420,489 values
  if it were expanded;
* a list nested 1,200 deep (block style);
* a scenario whose holidays list has 8,000, 16,000 and 32,000 invalid dates: the time to
  collect and report the problems should double with their number (linear), not
  quadruple.

Then the cost of noting each field's line for error messages (:mod:`sim.lines`, on the
limits' pass over the parser's events): a valid 1.8 MB file (1,000 queues and a long
empirical list) parsed with and without it, fastest of ``--repeat``.

Usage::

    .venv/bin/python benchmarks/bench_loader.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

import yaml

import sim
from sim import yamlfile
from sim.lines import Recorder

SCENARIO = {
    "name": "bench",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "queues": {
        "q": {
            "arrivals": {"rate": "10/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "5m"},
        }
    },
}


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\nname: bomb\n"


def deep(levels: int = 1200) -> str:
    return (
        "name: x\nq:\n"
        + "".join("  " * i + f"k{i}:\n" for i in range(1, levels))
        + ("  " * levels + "v: 1\n")
    )


def many_problems(n: int) -> str:
    return yaml.safe_dump({**SCENARIO, "calendar": {"holidays": ["not a date"] * n}})


def large(queues: int = 1000, values: int = 52_000) -> str:
    """A valid scenario of about 1.8 MB: many queues, one long list of numbers."""
    queue = {
        "channel": "chat",
        "arrivals": {"rate": "10/h", "profile": [1] * 24},
        "staff": [{"start": "08:00", "end": "16:00", "agents": 2}],
        "service": {"dist": "lognormal", "mean": "3m", "cv": 0.8},
        "patience": {"dist": "exponential", "mean": "6m"},
        "resolution": 0.9,
    }
    # Copies, or the dump would write one anchor and 999 aliases.
    data = {**SCENARIO, "queues": {f"q{i}": copy.deepcopy(queue) for i in range(queues)}}
    empirical = {"dist": "empirical", "values": [60 + i % 500 / 7 for i in range(values)]}
    data["queues"]["q0"] = {**queue, "service": empirical}
    return yaml.safe_dump(data, sort_keys=False)


def parse_time(text: str, repeat: int, lines: bool) -> float:
    """Fastest of ``repeat`` parses of ``text``, noting each field's line or not."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        yamlfile.parse_text(text, Recorder() if lines else None)
        best = min(best, time.perf_counter() - start)
    return best


def refuse_time(path: Path, repeat: int) -> float:
    """Fastest of ``repeat`` loads, each of which must be refused."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            sim.load(path)
        except sim.ScenarioError:
            best = min(best, time.perf_counter() - start)
        else:
            raise SystemExit(f"{path} was accepted")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = {"alias bomb (9^9 values)": alias_bomb(), "nested 1,200 deep": deep()}
    cases |= {f"{n:,} invalid dates": many_problems(n) for n in (8000, 16000, 32000)}
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in cases.items():
            path = Path(tmp) / "case.yaml"
            path.write_text(text)
            times[name] = {"bytes": len(text.encode()), "seconds": refuse_time(path, args.repeat)}
    text = large()
    for lines in (False, True):
        name = f"valid, {'noting' if lines else 'without'} lines"
        times[name] = {"bytes": len(text.encode()), "seconds": parse_time(text, args.repeat, lines)}
    if args.json:
        print(json.dumps(times))
        return
    for name, row in times.items():
        print(f"{name:<28}{row['bytes']:>10,} B{row['seconds']:>10.3f} s")


if __name__ == "__main__":
    main()
