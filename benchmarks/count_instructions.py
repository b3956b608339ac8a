"""Instructions per Erlang-A contact and per platform visit, counted by callgrind.

On a shared machine CPU seconds move by several percent between runs; the number of
instructions executed does not depend on the load, so it shows a change of a percent or
two that timing cannot. The script re-runs itself under ``valgrind --tool=callgrind`` with
instrumentation off, and switches it on (``callgrind_control -i on``) only around the
``sim.simulate`` call: imports and loading the scenario are not counted. It prints the
instructions divided by the arrivals (Erlang A, the model of ``bench_erlang_a.py``) or
by the visits (hop records) of the scenario file.

``feature`` counts one feature at a time (``--feature``): small scenarios with Erlang A's
traffic (100 arrivals a minute, exponential service of a minute and patience of two,
1000 minutes) that add one thing each: a chat desk with concurrency, a line most
contacts wait in, retrials, a team serving two queues, a bot always first (answering at
once, or after 20 s on average), a routed chain, three shifts. Per visit, as for a
scenario file.

``textbook`` counts ``bench_erlang_a.py``'s textbook SimPy model on the same traffic (one
process per customer): the denominator of issue 12's ratios, in instructions, so that a
ratio can be read off that does not move with the load (``--arrivals 20000`` is enough;
it is about 200 times slower under callgrind).

``simpy-floor`` counts what SimPy alone costs on Erlang A's traffic: the same two events
per contact (an arrival, a service end; 110 agents, a line without patience), with
callbacks that only count agents. ``--environment calls`` counts the same traffic as
scheduled calls on the engine's environment (``Environment.call_at``), the way the engine
schedules its frequent events; ``--environment fed`` the same with the arrivals fed
(``Environment.feed``), the way the engine gives its arrivals: the engine cannot go below
that without fewer events.

Usage:
    .venv/bin/python benchmarks/count_instructions.py erlang-a [--arrivals 100000]
    .venv/bin/python benchmarks/count_instructions.py simpy-floor [--arrivals 100000]
        [--environment simpy|sim|calls|fed]
    .venv/bin/python benchmarks/count_instructions.py textbook --arrivals 20000
    .venv/bin/python benchmarks/count_instructions.py feature --feature concurrency
    .venv/bin/python benchmarks/count_instructions.py platform [--duration 7d]
        [--scenario scenarios/document/platform.yaml] [--cache [--last-level KIB]]

``--cache`` also simulates the data caches (callgrind's ``--cache-sim``: a first level of
48 KiB and a last of 1 MiB, the per-core first- and second-level caches of stop 31's
host) and prints the misses per unit: a read or write that misses the first
level waits for the second, one that misses both for the shared third level or memory.
On a machine shared with other work those waits grow, where the instruction count does
not. ``--last-level 512`` simulates a last level of 512 KiB instead: the half a program
sharing the core would leave, and the whole second-level cache of stop 32's host (32 KiB
and 512 KiB a core). Stop 32, two days of the platform: 15 more
misses a visit (reads and writes) at 512 KiB than at 1 MiB; a textbook SimPy contact 10
more, over 6.6 times the instructions. Garbage is collected before the count, as the
benchmarks collect before each timed run (until stop 32 a collection that the imports
and the loading had made due fell inside it: those two days counted 27.1 last-level read
misses a visit at 512 KiB with it, 15.3 without).

Needs valgrind (``apt-get install valgrind``). Under callgrind the run is about 50 times
slower: 100,000 Erlang-A arrivals take about 10 s, a week of the platform a few minutes.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


_TRAFFIC = {
    "channel": "chat",
    "arrivals": {"rate": "100/min"},
    "service": {"dist": "exponential", "mean": "1m"},
    "patience": {"dist": "exponential", "mean": "2m"},
}
_BACK_OFFICE = {"channel": "email", "service": {"dist": "exponential", "mean": "1m"}}
# Each feature's queues (and teams): Erlang A's desk with one thing added.
FEATURES = {
    "plain": {"queues": {"desk": {**_TRAFFIC, "staff": 110}}},
    "waiting": {"queues": {"desk": {**_TRAFFIC, "staff": 97}}},  # most contacts wait
    "concurrency": {
        "queues": {"desk": {**_TRAFFIC, "staff": 40, "concurrency": {"max": 3, "slowdown": 0.25}}}
    },
    "retry": {
        "queues": {
            "desk": {
                **_TRAFFIC,
                "staff": 100,
                "retry": {"probability": 0.4, "after": {"dist": "exponential", "mean": "10m"}},
            }
        }
    },
    "team": {
        "teams": {"t": {"staff": 110, "serves": ["a", "b"]}},
        "queues": {
            "a": {**_TRAFFIC, "arrivals": {"rate": "40/min"}, "priority": 1},
            "b": {**_TRAFFIC, "arrivals": {"rate": "60/min"}},
        },
    },
    "bot": {
        "queues": {"desk": {**_TRAFFIC, "staff": 80, "bot": {"when": "always", "resolution": 0.3}}}
    },
    "bot_response": {  # the bot takes a while to answer (exponential, 20 s)
        "queues": {
            "desk": {
                **_TRAFFIC,
                "staff": 80,
                "bot": {
                    "when": "always",
                    "resolution": 0.3,
                    "response": {"dist": "exponential", "mean": "20s"},
                },
            }
        }
    },
    "chain": {
        "queues": {
            "desk": {
                **_TRAFFIC,
                "staff": 110,
                "resolution": 0.7,
                "on_unresolved": {"back": 1.0},
            },
            "back": {**_BACK_OFFICE, "staff": 40},
        }
    },
    "shifts": {
        "queues": {"desk": {**_TRAFFIC, "staff": {"three_shift": {"agents": [100, 110, 120]}}}}
    },
}


def _scenario(args: argparse.Namespace):
    import sim

    if args.model == "erlang-a":
        from bench_erlang_a import our_scenario_dict

        return sim.from_dict(our_scenario_dict(args.arrivals, args.seed))
    if args.model == "feature":
        head = {"name": args.feature, "start": "2026-01-05T00:00", "duration": "1000m"}
        return sim.from_dict({**head, "warmup": 0, "seed": 7, **FEATURES[args.feature]})
    return sim.load(args.scenario, overrides=[f"duration={args.duration}"])


def simpy_floor(arrivals: int, seed: int, environment: str = "simpy") -> int:
    """Erlang A's arrivals and services as bare SimPy timeouts; return the arrivals.

    ``environment``: ``simpy`` (SimPy's ``Environment``) or ``sim`` (the engine's,
    ``sim.environment``: the same order of events on a heap of times), or ``calls``: the
    engine's environment with scheduled calls instead of timeouts (``call_at``), as the
    engine schedules its frequent events, or ``fed``: the same with the arrivals fed
    (``Environment.feed``), as the engine gives its arrivals (``bench_floor.py``'s floor).
    """
    if environment in ("calls", "fed"):
        from bench_floor import calls_floor_run, fed_floor_run

        run = calls_floor_run if environment == "calls" else fed_floor_run
        _instrumentation("on")
        run(arrivals, seed)
        _instrumentation("off")
        return arrivals
    import numpy as np
    import simpy
    from bench_erlang_a import AGENTS, ARRIVAL_RATE, SECONDS_PER_MINUTE, SERVICE_MEAN

    rng = np.random.default_rng(seed)
    gaps = iter(rng.exponential(SECONDS_PER_MINUTE / ARRIVAL_RATE, arrivals).tolist())
    services = iter(rng.exponential(SERVICE_MEAN * SECONDS_PER_MINUTE, arrivals).tolist())
    if environment == "sim":
        from sim.environment import Environment

        env: simpy.Environment = Environment()
    else:
        env = simpy.Environment()
    timeout = env.timeout
    state = {"free": AGENTS, "waiting": 0}

    def finish(_event: simpy.Event) -> None:
        if state["waiting"]:
            state["waiting"] -= 1
            timeout(next(services), (0, None, 0.0)).callbacks.append(finish)
        else:
            state["free"] += 1

    def arrive(event: simpy.Event | None) -> None:
        if event is not None:
            if state["free"]:
                state["free"] -= 1
                timeout(next(services), (0, None, 0.0)).callbacks.append(finish)
            else:
                state["waiting"] += 1
        gap = next(gaps, None)
        if gap is not None:
            timeout(gap).callbacks.append(arrive)

    _instrumentation("on")
    arrive(None)
    env.run()
    _instrumentation("off")
    return arrivals


# A first level of 48 KiB (12 ways) and a last of ``last_level_kib`` (16 ways), 64-byte lines.
def _cache_sim(last_level_kib: int) -> list[str]:
    return ["--cache-sim=yes", "--D1=49152,12,64", f"--LL={last_level_kib * 1024},16,64"]


_MISSES = ("D1mr", "D1mw", "DLmr", "DLmw")


def _instrumentation(state: str) -> None:
    if state == "on":
        # As the benchmarks do before each timed run: a collection that the imports and
        # the loading made due would otherwise fall inside the count (see the docstring).
        gc.collect()
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def inner(args: argparse.Namespace) -> None:
    """Under callgrind: count the instructions of one ``sim.simulate`` call."""
    if args.model == "simpy-floor":
        arrivals = simpy_floor(args.arrivals, args.seed, args.environment)
        print(f"units {arrivals}", file=sys.stderr)
        return
    if args.model == "textbook":
        from bench_erlang_a import simpy_simulate

        _instrumentation("on")
        simpy_simulate(args.arrivals, args.seed)
        _instrumentation("off")
        print(f"units {args.arrivals}", file=sys.stderr)
        return
    from sim.engine import simulate  # imported here: an import is not the engine's work

    scenario = _scenario(args)
    _instrumentation("on")
    result = simulate(scenario)
    _instrumentation("off")
    units = result.hops["hop"] == 0 if args.model == "erlang-a" else result.hops["hop"] >= 0
    print(f"units {int(units.sum())}", file=sys.stderr)


def outer(args: argparse.Namespace) -> None:
    """Run this script under callgrind and print instructions per unit."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            *(_cache_sim(args.last_level) if args.cache else []),
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            *sys.argv[1:],
            "--inner",
        ]
        # A fixed hash seed: string hashing moves set and dict layouts, and with them a
        # tenth of a percent of the count, between runs.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        run = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        units = re.search(r"^units (\d+)$", run.stderr, re.M)
        text = out.read_text() if out.exists() else ""
        events = re.search(r"^events: (.+)$", text, re.M)
        totals = re.search(r"^totals: (.+)$", text, re.M)
        if run.returncode or units is None or events is None or totals is None:
            sys.exit(f"callgrind run failed:\n{run.stderr[-2000:]}")
        if args.keep:
            shutil.copy(out, args.keep)
    counts = dict(zip(events[1].split(), map(int, totals[1].split()), strict=True))
    n, instructions = int(units[1]), counts["Ir"]
    what = "arrivals" if args.model in ("erlang-a", "simpy-floor", "textbook") else "visits"
    per = instructions / n
    model = f"feature {args.feature}" if args.model == "feature" else args.model
    if args.model == "simpy-floor":
        model += f" ({args.environment})"
    print(f"{model}: {instructions:,} instructions, {n:,} {what}, {per:,.0f} per unit")
    if args.cache:
        misses = ", ".join(f"{name} {counts[name] / n:,.1f}" for name in _MISSES)
        print(f"  misses per unit: {misses}")
        print("  (D1: first level, LL: last; r: reads, w: writes)")


def main() -> None:
    """Parse the command line; count (under callgrind) or start callgrind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "model", choices=["erlang-a", "simpy-floor", "textbook", "platform", "feature"]
    )
    parser.add_argument("--feature", choices=list(FEATURES), default="plain")
    parser.add_argument("--arrivals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--duration", default="7d")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios/document/platform.yaml"))
    parser.add_argument(
        "--environment",
        choices=["simpy", "sim", "calls", "fed"],
        default="simpy",
        help="simpy-floor on SimPy's Environment (default), on the engine's (sim.environment) "
        "with SimPy timeouts, on the engine's with scheduled calls (call_at), or with the "
        "arrivals fed (feed) and the service ends scheduled calls, as the engine runs them",
    )
    parser.add_argument(
        "--cache", action="store_true", help="also count data-cache misses (slower)"
    )
    parser.add_argument(
        "--last-level",
        type=int,
        default=1024,
        metavar="KIB",
        help="with --cache: the simulated last level in KiB, a power of two "
        "(default 1024, stop 31's host's per-core second level)",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep callgrind's output here (for callgrind_annotate)"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.last_level < 64 or args.last_level & (args.last_level - 1):
        parser.error(f"--last-level must be a power of two of at least 64, got {args.last_level}")
    (inner if args.inner else outer)(args)


if __name__ == "__main__":
    main()
