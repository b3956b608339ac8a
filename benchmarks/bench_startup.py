"""Start-up time of the ``sim`` command: ``--help`` and one-line bad-input errors.

Each command runs as a user runs it (the console script, a fresh interpreter), best of
``--repeat`` runs, wall clock. Goal (issue 12): under 0.5 s each on the 2-core machine.
``--importtime`` adds the ten slowest imports of ``sim --help`` and of a bad-input error,
from ``python -X importtime``. Two commands that do a little work are timed beside them,
with no goal: how soon a small run and a small file's validation answer (start-up is
most of it). The host's speed is printed first: textbook SimPy's Erlang-A contacts per
CPU second (``bench_validate.py``'s measure; the issue's machine ran about 29,000).

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5] [--importtime] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import ISSUE_RATE, textbook_rate  # the folder is not a package

ROOT = Path(__file__).resolve().parents[1]
SIM = Path(sys.executable).with_name("sim")
GOAL_S = 0.5
BAD = """\
name: typo
start: 2026-01-05T00:00
duration: 1d
queues:
  q: {arrivals: {rate: 5/h}, pattience: 3m, service: {dist: exponential, mean: 1m}}
"""


def _commands(bad: Path) -> dict[str, list[str]]:
    livestream = str(ROOT / "scenarios" / "livestream_promo_peak.yaml")
    return {
        "sim --help": ["--help"],
        "sim --version": ["--version"],
        "sim run (a typo in the file)": ["run", str(bad)],
        "sim validate (a typo in the file)": ["validate", str(bad)],
        "sim sweep (a bad --vary)": ["sweep", livestream, "--vary", "queues.live_peak.staff=9:1"],
        "sim calibrate (no such --free field)": ["calibrate", livestream, "--free", "x.y"],
        "sim fit (no such log)": ["fit", "no-such-log.csv", "--out", "f.yaml"],
    }


def _small_work() -> dict[str, list[str]]:
    small = str(ROOT / "scenarios" / "small_merchant_order_chat.yaml")
    email = str(ROOT / "scenarios" / "document" / "email.yaml")
    return {
        "sim run (small file, 1 replication)": ["run", small, "-n", "1", "--workers", "1"],
        "sim validate (document/email.yaml)": ["validate", email, "--workers", "1"],
    }


def _best(argv: list[str], repeat: int) -> tuple[float, int]:
    best, code = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([str(SIM), *argv], capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
        code = done.returncode
    return best, code


def _importtime(argv: list[str]) -> list[tuple[float, str]]:
    script = "import sys; from sim.console import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[12:].split("|"))
            if cumulative.isdigit():
                rows.append((int(cumulative) / 1e6, name))
    return sorted(rows, reverse=True)[:10]


def main() -> int:
    """Time each command; print a table (or JSON) with the goal's verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    textbook_rate()  # warms its imports
    speed = textbook_rate()
    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "typo.yaml"
        bad.write_text(BAD, encoding="utf-8")
        os.chdir(tmp)
        rows = []
        for label, argv in _commands(bad).items():
            seconds, code = _best(argv, args.repeat)
            rows.append({"command": label, "seconds": seconds, "exit": code})
        work = []
        for label, argv in _small_work().items():
            seconds, code = _best(argv, args.repeat)
            work.append({"command": label, "seconds": seconds, "exit": code})
        slowest = {label: _importtime(argv) for label, argv in _commands(bad).items()}
    load = os.getloadavg()[0]
    if args.json:
        doc = {
            "load_average": load,
            "textbook_simpy_contacts_per_s": speed,
            "goal_s": GOAL_S,
            "rows": rows,
            "small_work": work,
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(
        f"host: textbook SimPy {speed:,.0f} contacts/s (the issue's machine {ISSUE_RATE:,.0f});"
        f" best of {args.repeat} runs each, load average {load:.2f}; goal < {GOAL_S} s"
    )
    for row in rows:
        verdict = "PASS" if row["seconds"] < GOAL_S else "MISS"
        print(f"  {row['command']:<40} {row['seconds']:6.3f} s  exit {row['exit']}  {verdict}")
    print("a little work (no goal):")
    for row in work:
        print(f"  {row['command']:<40} {row['seconds']:6.3f} s  exit {row['exit']}")
    if args.importtime:
        for label in ("sim --help", "sim run (a typo in the file)"):
            print(f"\nslowest imports (cumulative) of {label}:")
            for seconds, name in slowest[label]:
                print(f"  {seconds:6.3f} s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
