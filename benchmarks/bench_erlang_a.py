"""Engine throughput and memory benchmark: ours vs textbook SimPy, Ciw, salabim; a real network.

Runs one M/M/c+M model (Erlang A) through four implementations in a single
process and prints, for each, simulated arrivals per CPU second, the
tracemalloc peak per arrival, and the model's P(abandon) and mean wait next to
the Erlang A closed form, with a sanity verdict: does each implementation's 99%
batch-means confidence interval hold the closed form? In the same invocation
it runs this engine on a realistic network (the joined platform,
``--platform``, for 13 weeks) and divides its visits per CPU second by
textbook SimPy's contacts per CPU second,
and it measures the memory of ``sim run`` on a year of the platform with
``/usr/bin/time -v`` (maximum resident set size / visits). Textbook SimPy, this
engine on Erlang A and on the network, the three timings the goals compare, are timed
in turn, round after round (``--repeat`` rounds, the fastest of each counting), so
that a machine whose speed drifts between minutes meets all three alike. It reports against
the project's goals (issue 12: ours >= 5x textbook SimPy on both models, >= 10x
Ciw, <= 100 bytes per stored contact record, <= 150 bytes per visit end to end)
but never fails on them: the exit status is 0 whenever the script itself ran.
salabim has no goal: its ratio is printed only.

Usage:
    .venv/bin/python benchmarks/bench_erlang_a.py [--quick] [--json]
        [--arrivals N] [--ciw-arrivals N] [--salabim-arrivals N] [--seed S] [--repeat N]
        [--platform PATH] [--platform-duration 91d] [--memory-duration 365d]
        [--no-network] [--no-memory]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ciw
import numpy as np
import salabim
import simpy
from scipy import stats as scipy_stats

# The model, in minutes for the peers. Our engine works in seconds, so its
# scenario gets the same numbers scaled by SECONDS_PER_MINUTE.
ARRIVAL_RATE = 100.0  # arrivals per minute (lambda)
AGENTS = 110  # c
SERVICE_MEAN = 1.0  # minutes (1 / mu)
PATIENCE_MEAN = 2.0  # minutes (1 / theta)
SECONDS_PER_MINUTE = 60.0

FULL_ARRIVALS = 200_000
QUICK_ARRIVALS = 20_000
# Ciw rescans every agent and every waiting customer on each event, so at full
# size it can take minutes; past this many seconds we suggest --ciw-arrivals.
CIW_SLOW_SECONDS = 120.0
# The sanity check's confidence level and batches (see batch_ci).
CI_LEVEL = 0.99
CI_BATCHES = 20

GOAL_VS_SIMPY = 5.0
GOAL_VS_CIW = 10.0
GOAL_BYTES_PER_RECORD = 100.0
GOAL_BYTES_PER_VISIT = 150.0

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = ROOT / "scenarios" / "document" / "platform.yaml"
# The memory baseline: the same command on a run too short to hold any records to speak
# of (the interpreter, the imports, the scenario and one replication's fixed costs).
BASELINE_DURATION = "1h"


@dataclass
class ModelStats:
    """What one run says about the model, in seconds.

    Attributes:
        arrivals: Customers that arrived during the run.
        p_abandon: Share of completed customers who abandoned.
        mean_wait_s: Mean time in queue over all completed customers, where an
            abandoning customer's wait is its time until it abandoned.
        mean_wait_served_s: Mean time in queue over served customers only.
        p_abandon_ci: 99% batch-means confidence interval of p_abandon (None for
            the closed form).
        mean_wait_ci: The same for mean_wait_s.
    """

    arrivals: int
    p_abandon: float
    mean_wait_s: float
    mean_wait_served_s: float
    p_abandon_ci: tuple[float, float] | None = None
    mean_wait_ci: tuple[float, float] | None = None


@dataclass
class BenchResult:
    """One implementation's row of the report.

    Attributes:
        name: Implementation label.
        available: False if the implementation could not run.
        note: Why it is unavailable, or a caveat about the run.
        arrivals: Arrivals simulated in the timing pass.
        wall_s: Wall-clock seconds of the fastest timing run (simulation only).
        cpu_s: CPU seconds of the fastest timing run (``time.process_time``).
        contacts_per_s: arrivals / cpu_s.
        peak_bytes_per_contact: tracemalloc peak of the memory pass / arrivals.
        bytes_per_record: Bytes of stored records per record, where the
            implementation keeps records in arrays we can size exactly.
        stats: The model's estimates from the timing pass.
    """

    name: str
    available: bool = True
    note: str = ""
    arrivals: int = 0
    wall_s: float = math.nan
    cpu_s: float = math.nan
    contacts_per_s: float = math.nan
    peak_bytes_per_contact: float = math.nan
    bytes_per_record: float | None = None
    stats: ModelStats | None = None


# --------------------------------------------------------------------------
# Erlang A closed form
# --------------------------------------------------------------------------


def erlang_a(lam: float, mu: float, c: int, theta: float) -> ModelStats:
    """Exact Erlang A (M/M/c+M) steady state from its birth-death chain.

    Computed here rather than imported from ``sim`` so the reference does not
    depend on the code under test. Units are whatever ``lam`` is per; waits
    come back in those units (the caller scales them to seconds).

    Args:
        lam: Arrival rate.
        mu: Service rate per agent.
        c: Number of agents.
        theta: Abandonment rate per waiting customer (1 / mean patience).

    Returns:
        Steady-state P(abandon), mean wait over all arrivals and mean wait of
        served arrivals; ``arrivals`` is 0.
    """
    log_pi = _erlang_a_log_pi(lam, mu, c, theta)
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    queued = np.arange(len(pi)) - c  # customers waiting in state n, if >= 0
    lq = float(np.sum(pi[c:] * queued[c:]))
    # Little's law on the queue, and abandonments = theta * Lq per unit time.
    mean_wait = lq / lam
    p_abandon = theta * lq / lam
    served_wait_mass = _served_wait_mass(pi, mu, c, theta)
    return ModelStats(
        arrivals=0,
        p_abandon=p_abandon,
        mean_wait_s=mean_wait,
        mean_wait_served_s=float(served_wait_mass / (1.0 - p_abandon)),
    )


def _erlang_a_log_pi(lam: float, mu: float, c: int, theta: float) -> np.ndarray:
    """Unnormalised log stationary probabilities, truncated where negligible.

    Logs keep 100**n / n! style terms from overflowing for large c.
    """
    logs = [0.0]
    n = 0
    while True:
        n += 1
        death = min(n, c) * mu + max(n - c, 0) * theta
        logs.append(logs[-1] + math.log(lam / death))
        # Past c the ratio lam/death only falls, so once a term is 1e-20 of
        # the largest the tail is negligible.
        if n > c and logs[-1] < max(logs) - 46.0:
            return np.array(logs)


def _served_wait_mass(pi: np.ndarray, mu: float, c: int, theta: float) -> float:
    """E[wait * 1{served}] for an arrival that sees the stationary state (PASTA).

    An arrival finding q customers queued passes stages i = q .. 0; in stage i
    it leaves the stage at rate c*mu + (i+1)*theta, moving up with probability
    (c*mu + i*theta) / (c*mu + (i+1)*theta) and abandoning otherwise. Exit
    times of competing exponentials do not depend on which one fires, so the
    served wait is the sum of the stage means.
    """
    total = 0.0
    p_pass = 1.0
    mean_time = 0.0
    # Build stage products from the head of the queue (i = 0) outward, so the
    # arrival seeing q queued reuses the products for q - 1.
    for q in range(len(pi) - c):
        rate = c * mu + (q + 1) * theta
        p_pass *= (c * mu + q * theta) / rate
        mean_time += 1.0 / rate
        total += pi[c + q] * p_pass * mean_time
    return total


# --------------------------------------------------------------------------
# Measurement harness
# --------------------------------------------------------------------------


def time_call(run: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """Run ``run`` ``repeat`` times; return its output and the fewest CPU and wall seconds.

    CPU time (``time.process_time``) is what the rates use: on a machine shared with
    other work, wall time also counts the other programs' turns on the cores, and moves
    by a third between runs. The fastest of several runs (as ``timeit`` reports) is the
    least disturbed; every implementation gets the same number of runs. Collects
    garbage first so one implementation's leftovers are not charged to the next one's
    collector pauses.
    """
    cpu, wall, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        out = None  # the previous run's output is not kept alive during the next
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        out = run()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    return out, cpu, wall


Timed = tuple[Any, float, float]  # a run's output, its fewest CPU and wall seconds


def time_in_turn(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Timed]:
    """Time several runs in turn, ``repeat`` rounds; for each, as :func:`time_call` does.

    Round after round, each run once: on a machine whose speed drifts from one minute to
    the next, every run then meets the same minutes, where timing one run's passes all
    before the next one's set them minutes apart, and the ratio of the two fastest
    measured the drift as well (seen at stops 26 and 27). Only the last output of each
    is kept, and each is dropped before its run comes round again.
    """
    out: dict[str, Any] = dict.fromkeys(runs)
    cpu = dict.fromkeys(runs, float("inf"))
    wall = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            out[name] = None
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            out[name] = run()
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
            wall[name] = min(wall[name], time.perf_counter() - start)
    return {name: (out[name], cpu[name], wall[name]) for name in runs}


def peak_memory(run: Callable[[], Any]) -> int:
    """Run ``run`` under tracemalloc and return its peak traced bytes.

    A separate pass from the timing one, because tracing makes Python
    allocations several times slower.
    """
    gc.collect()
    tracemalloc.start()
    try:
        out = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del out
    return peak


def log(message: str) -> None:
    """Progress to stderr, so ``--json`` stdout stays machine-readable."""
    print(message, file=sys.stderr, flush=True)


def batch_ci(values: np.ndarray, batches: int = CI_BATCHES) -> tuple[float, float]:
    """Confidence interval (``CI_LEVEL``) of the mean of ``values`` by batch means.

    ``values`` are per customer in time order (a 0/1 abandoned flag, or a wait).
    Neighbours share a busy period, so they are not independent: over 8 seeds of the
    textbook model at 200,000 arrivals the spread of P(abandon) was 3.8 times the
    binomial standard error (variance 15 times), and a binomial interval would miss
    the truth in about half of honest runs. The means of ``batches`` consecutive
    batches are close to independent once a batch spans many busy periods (here
    10,000 customers, 100 minutes, at full size), so Student's t over them gives
    the interval. Both figures are non-negative, so the lower end stops at 0. On
    a few thousand arrivals the batches are minutes long, too short for that, and
    the verdict means little.
    """
    means = np.array([chunk.mean() for chunk in np.array_split(values, batches)])
    half = scipy_stats.t.ppf(0.5 + CI_LEVEL / 2, batches - 1) * means.std(ddof=1)
    half /= math.sqrt(batches)
    return max(float(means.mean() - half), 0.0), float(means.mean() + half)


def summarise(arrivals: int, wait_s: np.ndarray, gave_up: np.ndarray) -> ModelStats:
    """ModelStats from per-customer waits (seconds) and abandoned flags in time order."""
    return ModelStats(
        arrivals=arrivals,
        p_abandon=float(gave_up.mean()),
        mean_wait_s=float(wait_s.mean()),
        mean_wait_served_s=float(wait_s[~gave_up].mean()),
        p_abandon_ci=batch_ci(gave_up.astype(float)),
        mean_wait_ci=batch_ci(wait_s),
    )


# --------------------------------------------------------------------------
# 1. Textbook SimPy
# --------------------------------------------------------------------------


def simpy_simulate(n_arrivals: int, seed: int) -> tuple[list, list, list]:
    """Textbook SimPy Erlang A: one process per customer, lists of records.

    Args:
        n_arrivals: Customers the source generates.
        seed: Seed for the numpy Generator.

    Returns:
        Per-customer arrival times, waits (minutes) and abandoned flags.
    """
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    rng = np.random.default_rng(seed)
    arrive_at: list[float] = []
    waits: list[float] = []
    abandoned: list[bool] = []

    def customer(env: simpy.Environment):
        arrive = env.now
        with agents.request() as req:
            result = yield req | env.timeout(rng.exponential(PATIENCE_MEAN))
            arrive_at.append(arrive)
            waits.append(env.now - arrive)
            if req in result:
                abandoned.append(False)
                yield env.timeout(rng.exponential(SERVICE_MEAN))
            else:
                abandoned.append(True)

    def source(env: simpy.Environment):
        for _ in range(n_arrivals):
            yield env.timeout(rng.exponential(1.0 / ARRIVAL_RATE))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return arrive_at, waits, abandoned


def simpy_stats(raw: tuple[list, list, list]) -> ModelStats:
    """Summarise the textbook model's lists, converting minutes to seconds."""
    arrive_at, waits, abandoned = raw
    order = np.argsort(arrive_at, kind="stable")
    wait = np.asarray(waits)[order] * SECONDS_PER_MINUTE
    return summarise(len(waits), wait, np.asarray(abandoned, dtype=bool)[order])


# --------------------------------------------------------------------------
# 2. Ciw
# --------------------------------------------------------------------------


def ciw_simulate(n_arrivals: int, seed: int) -> ciw.Simulation:
    """Ciw Erlang A run for the time that yields about ``n_arrivals`` arrivals.

    Args:
        n_arrivals: Expected arrivals; the horizon is n_arrivals / lambda.
        seed: Seed passed to ``ciw.seed``.

    Returns:
        The finished Ciw simulation.
    """
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / SERVICE_MEAN)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / PATIENCE_MEAN)],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(n_arrivals / ARRIVAL_RATE)
    return simulation


def ciw_stats(simulation: ciw.Simulation) -> ModelStats:
    """Summarise Ciw's service and renege records, converting to seconds."""
    records = simulation.get_all_records(only=["service", "renege"])
    order = np.argsort([r.arrival_date for r in records], kind="stable")
    wait = np.array([r.waiting_time for r in records])[order] * SECONDS_PER_MINUTE
    gave_up = np.array([r.record_type == "renege" for r in records])[order]
    # Counted at the arrival node, so customers still in the system at the horizon
    # count as arrivals too (the rate is per arrival).
    return summarise(simulation.nodes[0].number_of_individuals, wait, gave_up)


# --------------------------------------------------------------------------
# 3. salabim
# --------------------------------------------------------------------------


def salabim_simulate(n_arrivals: int, seed: int) -> tuple[list, list, list]:
    """salabim Erlang A, written as salabim's reneging sample models write it.

    "Bank, 3 clerks, reneging (resources)" in salabim's sample models: a Component
    per customer that does ``request(clerks, fail_delay=patience)`` and asks
    ``failed()``; we take that form (not the Store or State variants) because it is
    the one whose reneging is a single documented call, as SimPy's request-or-timeout
    and Ciw's reneging distribution are. Generator ("yield") processes: salabim's
    default yieldless mode needs greenlet, which salabim does not declare as a
    dependency. No trace, no animation, the Resource's monitors off
    (``monitor=False``); each Component's own status and mode monitors cannot be
    turned off. Draws come from a numpy Generator, as in the textbook model, and
    ``random_seed=""`` keeps salabim from reseeding the global ``random`` and
    ``numpy.random``.

    Args:
        n_arrivals: Customers the source generates.
        seed: Seed for the numpy Generator.

    Returns:
        Per-customer arrival times, waits (minutes) and abandoned flags, as the
        textbook model returns them.
    """
    env = salabim.Environment(
        trace=False,
        random_seed="",
        set_numpy_random_seed=False,
        yieldless=False,
    )
    agents = salabim.Resource("agents", capacity=AGENTS, monitor=False, env=env)
    rng = np.random.default_rng(seed)
    arrive_at: list[float] = []
    waits: list[float] = []
    abandoned: list[bool] = []

    class Customer(salabim.Component):
        def process(self):
            arrive = env.now()
            yield self.request(agents, fail_delay=rng.exponential(PATIENCE_MEAN))
            arrive_at.append(arrive)
            waits.append(env.now() - arrive)
            abandoned.append(self.failed())
            if not self.failed():
                yield self.hold(rng.exponential(SERVICE_MEAN))
                self.release()

    class Source(salabim.Component):
        def process(self):
            for _ in range(n_arrivals):
                yield self.hold(rng.exponential(1.0 / ARRIVAL_RATE))
                Customer(env=env)

    Source(env=env)
    env.run()
    return arrive_at, waits, abandoned


def salabim_stats(raw: tuple[list, list, list]) -> ModelStats:
    """Summarise the salabim model's lists: the textbook model's summary, same lists."""
    return simpy_stats(raw)


# --------------------------------------------------------------------------
# 4. Ours (package `sim`)
# --------------------------------------------------------------------------


def our_scenario_dict(n_arrivals: int, seed: int) -> dict:
    """The Erlang A scenario in our engine's format (seconds inside)."""
    return {
        "name": "erlang-a-bench",
        "start": "2026-01-05T00:00",
        "duration": n_arrivals / ARRIVAL_RATE * SECONDS_PER_MINUTE,
        "warmup": 0,
        "seed": seed,
        "replications": 1,
        "queues": {
            "desk": {
                "channel": "chat",
                "arrivals": {"rate": f"{ARRIVAL_RATE:g}/min"},
                "staff": AGENTS,
                "service": {"dist": "exponential", "mean": f"{SERVICE_MEAN:g}m"},
                "patience": {"dist": "exponential", "mean": f"{PATIENCE_MEAN:g}m"},
            }
        },
    }


def outcome_mask(sim_module: Any, outcome: np.ndarray, name: str) -> np.ndarray:
    """Rows whose outcome is ``name``, for string or integer encodings.

    The engine may store outcomes as strings or as small integer codes; for
    codes we look the constant up in ``sim.records`` instead of hard-coding a
    number that could change under us.
    """
    if outcome.dtype.kind in "OUS":
        return outcome.astype(str) == name
    code = _outcome_code(sim_module, name)
    return np.zeros(outcome.shape, dtype=bool) if code is None else outcome == code


def _outcome_code(sim_module: Any, name: str) -> int | None:
    """Integer code for outcome ``name`` in ``sim.records``, or None if absent."""
    import importlib

    records = importlib.import_module(f"{sim_module.__name__}.records")
    upper = name.upper()
    for enum_name in ("Outcome", "OutcomeCode"):
        enum = getattr(records, enum_name, None)
        if enum is not None and hasattr(enum, upper):
            return int(getattr(enum, upper))
    for constant in (upper, f"OUTCOME_{upper}"):
        if hasattr(records, constant):
            return int(getattr(records, constant))
    for names in ("OUTCOMES", "OUTCOME_NAMES"):
        if name in getattr(records, names, ()):
            return list(getattr(records, names)).index(name)
    return None


def _column(records: dict, names: tuple[str, ...]) -> np.ndarray:
    """The first of ``names`` present in ``records``, as float."""
    for name in names:
        if name in records:
            return np.asarray(records[name], dtype=float)
    raise KeyError(f"records have none of the columns {names}")


def our_stats(sim_module: Any, result: Any) -> ModelStats:
    """Summarise our records (already in seconds).

    Every row counts as an arrival; the statistics use finished rows only,
    as Ciw's do, since a contact still waiting at the horizon has no outcome.
    """
    records = result.records
    outcome = np.asarray(records["outcome"])
    unfinished = outcome_mask(sim_module, outcome, "unfinished") | outcome_mask(
        sim_module, outcome, "pending"
    )
    gave_up = outcome_mask(sim_module, outcome, "abandoned")[~unfinished]
    arrive = _column(records, ("arrive",))[~unfinished]
    # The contract names first_response; the engine's records call it response.
    wait = _column(records, ("first_response", "response", "agent_start"))[~unfinished] - arrive
    # The peers count an abandoner's wait up to the moment it leaves.
    left = _column(records, ("end", "abandon", "leave", "depart"))[~unfinished]
    all_wait = np.where(gave_up, left - arrive, wait)
    order = np.argsort(arrive, kind="stable")
    return summarise(int(result.n_records), all_wait[order], gave_up[order])


def run_ours(
    n_arrivals: int, seed: int, repeat: int = 1, timed: Timed | None = None
) -> BenchResult:
    """Time and size our engine; any failure becomes an 'unavailable' row.

    ``timed``: the timing passes' result, if they ran already (see run_all).
    """
    try:
        import sim

        scenario = sim.from_dict(our_scenario_dict(n_arrivals, seed))
        result, cpu, wall = (
            timed if timed is not None else time_call(lambda: sim.simulate(scenario), repeat)
        )
        stats = our_stats(sim, result)
        stored = sum(np.asarray(a).nbytes for a in result.records.values())
        bytes_per_record = stored / max(int(result.n_records), 1)
        del result
        log(f"  ours: {cpu:.2f} CPU s; memory pass ...")
        # The records live in anonymous memory maps, which tracemalloc does not see: add
        # their bytes (the most the maps hold) to the traced peak.
        peak = peak_memory(lambda: sim.simulate(scenario)) + stored
    except Exception as exc:
        return BenchResult(name="ours", available=False, note=f"{type(exc).__name__}: {exc}")
    return BenchResult(
        name="ours",
        arrivals=stats.arrivals,
        wall_s=wall,
        cpu_s=cpu,
        contacts_per_s=stats.arrivals / cpu,
        peak_bytes_per_contact=peak / stats.arrivals,
        bytes_per_record=bytes_per_record,
        stats=stats,
    )


# --------------------------------------------------------------------------
# Running the peers
# --------------------------------------------------------------------------


def run_peer(
    name: str,
    simulate: Callable[[], Any],
    summarise: Callable[[Any], ModelStats],
    note: str = "",
    *,
    repeat: int = 1,
    timed: Timed | None = None,
) -> BenchResult:
    """Timing passes, then a separate tracemalloc pass, for one peer.

    ``timed``: the timing passes' result, if they ran already (see run_all).
    """
    raw, cpu, wall = timed if timed is not None else time_call(simulate, repeat)
    stats = summarise(raw)
    del raw
    log(f"  {name}: {cpu:.2f} CPU s; memory pass ...")
    peak = peak_memory(simulate)
    return BenchResult(
        name=name,
        note=note,
        arrivals=stats.arrivals,
        wall_s=wall,
        cpu_s=cpu,
        contacts_per_s=stats.arrivals / cpu,
        peak_bytes_per_contact=peak / stats.arrivals,
        stats=stats,
    )


def run_all(args: argparse.Namespace) -> tuple[list[BenchResult], NetworkResult | None]:
    """Run textbook SimPy, Ciw, salabim and ours on Erlang A, and ours on the platform.

    The goals' three timings (textbook SimPy, ours on Erlang A, ours on the platform)
    run in turn, round after round (:func:`time_in_turn`); then Ciw's and salabim's, then
    the memory passes. All in this process.
    """
    n, seed = args.arrivals, args.seed
    runs: dict[str, Callable[[], Any]] = {"textbook": lambda: simpy_simulate(n, seed)}
    ours = network_scenario = None
    try:
        import sim

        ours = sim.from_dict(our_scenario_dict(n, seed))
        runs["ours"] = lambda: sim.simulate(ours)
        if not args.no_network:
            overrides = [f"duration={args.platform_duration}"]
            network_scenario = sim.load(args.platform, overrides=overrides)
            runs["platform"] = lambda: sim.simulate(network_scenario)
    except Exception as exc:  # reported as the rows' notes below
        log(f"  ours unavailable: {type(exc).__name__}: {exc}")
    names = {"textbook": f"textbook SimPy ({n:,} arrivals)", "ours": f"ours ({n:,} arrivals)"}
    names["platform"] = f"ours on {args.platform} ({args.platform_duration})"
    log(f"in turn, {args.repeat} rounds: " + ", ".join(names[k] for k in runs) + " ...")
    timed = time_in_turn(runs, args.repeat)
    textbook = run_peer(
        "textbook SimPy", lambda: simpy_simulate(n, seed), simpy_stats, timed=timed["textbook"]
    )
    n_ciw = args.ciw_arrivals
    ciw_note = "" if n_ciw == n else f"run on {n_ciw:,} arrivals (rate is comparable)"
    log(f"Ciw, {n_ciw:,} arrivals ...")
    ciw_row = run_peer(
        "Ciw", lambda: ciw_simulate(n_ciw, seed), ciw_stats, ciw_note, repeat=args.repeat
    )
    if ciw_row.cpu_s > CIW_SLOW_SECONDS:
        ciw_row.note = (ciw_row.note + "; " if ciw_row.note else "") + (
            f"took {ciw_row.cpu_s:.0f} CPU s, consider --ciw-arrivals"
        )
    n_sal = args.salabim_arrivals
    log(f"salabim, {n_sal:,} arrivals ...")
    salabim_row = run_peer(
        "salabim",
        lambda: salabim_simulate(n_sal, seed),
        salabim_stats,
        "" if n_sal == n else f"run on {n_sal:,} arrivals (rate is comparable)",
        repeat=args.repeat,
    )
    log(f"ours, {n:,} arrivals: memory pass ...")
    ours_row = run_ours(n, seed, args.repeat, timed.get("ours"))
    network = None
    if not args.no_network:
        network = run_network(
            args.platform, args.platform_duration, args.repeat, timed.get("platform")
        )
    return [textbook, ciw_row, salabim_row, ours_row], network


# --------------------------------------------------------------------------
# 5. A realistic network: ours on the joined platform
# --------------------------------------------------------------------------


@dataclass
class NetworkResult:
    """This engine on a scenario file: visits (hop records) per CPU second.

    Attributes:
        scenario: The scenario file.
        duration: The ``duration`` it was run for (``--set duration=...``).
        visits: Hop records of one replication (a contact's visit to one queue).
        cpu_s: Fewest CPU seconds of ``sim.simulate`` over the timing runs.
        wall_s: Fewest wall-clock seconds of the same.
        visits_per_s: visits / cpu_s.
        note: Why it did not run, if it did not.
    """

    scenario: str
    duration: str
    visits: int = 0
    cpu_s: float = math.nan
    wall_s: float = math.nan
    visits_per_s: float = math.nan
    note: str = ""


def run_network(
    path: Path, duration: str, repeat: int, timed: Timed | None = None
) -> NetworkResult:
    """Time one replication of the scenario at ``path`` run for ``duration``.

    ``timed``: the timing passes' result, if they ran already (see run_all).
    """
    row = NetworkResult(scenario=str(path), duration=duration)
    try:
        import sim

        scenario = sim.load(path, overrides=[f"duration={duration}"])
        result, row.cpu_s, row.wall_s = (
            timed if timed is not None else time_call(lambda: sim.simulate(scenario), repeat)
        )
    except Exception as exc:
        row.note = f"{type(exc).__name__}: {exc}"
        return row
    row.visits = int(result.n_records)
    row.visits_per_s = row.visits / row.cpu_s
    return row


# --------------------------------------------------------------------------
# 6. Memory end to end: `sim run` on a year of the platform
# --------------------------------------------------------------------------


@dataclass
class MemoryResult:
    """Maximum resident set size of ``sim run`` per visit, gross and net of a baseline.

    Attributes:
        command: The command measured.
        visits: Visits the run counted (the sum of its queues' ``arrivals``).
        max_rss_bytes: Its maximum resident set size.
        baseline_rss_bytes: The same command with ``duration`` 1h: the interpreter,
            the imports (numpy, scipy, pandas, pyarrow, ...) and a replication's fixed
            costs, which do not grow with the run.
        gross_bytes_per_visit: max_rss_bytes / visits.
        net_bytes_per_visit: (max_rss_bytes - baseline_rss_bytes) / visits.
        tool: What measured the RSS.
        note: Why it did not run, if it did not.
    """

    command: str
    visits: int = 0
    max_rss_bytes: int = 0
    baseline_rss_bytes: int = 0
    gross_bytes_per_visit: float = math.nan
    net_bytes_per_visit: float = math.nan
    tool: str = ""
    note: str = ""


def sim_run_command(path: Path, duration: str) -> list[str]:
    """``sim run`` on one replication of the scenario at ``path``, JSON on stdout."""
    return [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(path),
        "--set",
        f"duration={duration}",
        "--replications",
        "1",
        "--workers",
        "1",
        "--json",
        "--allow-large",  # a year of the platform is past the soft limits on purpose
    ]


def max_rss(command: list[str]) -> tuple[int, str, str]:
    """Maximum resident set size in bytes of ``command``, its stdout, and the tool used.

    ``/usr/bin/time -v`` where it exists (GNU time); otherwise the kernel's own account
    of the finished child (``getrusage``), which is the number GNU time prints.
    """
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        done = subprocess.run(
            [gnu_time, "-v", *command], capture_output=True, text=True, check=True
        )
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if found:
            return int(found.group(1)) * 1024, done.stdout, "/usr/bin/time -v"
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after <= before:
        raise RuntimeError("cannot tell this child's peak from an earlier, larger one")
    return after * 1024, done.stdout, "getrusage(RUSAGE_CHILDREN)"


def run_memory(path: Path, duration: str) -> MemoryResult:
    """Peak memory of ``sim run`` on ``path`` for ``duration``, against the baseline."""
    command = sim_run_command(path, duration)
    row = MemoryResult(command=" ".join(["python", *command[1:]]))
    try:
        row.baseline_rss_bytes, _, _ = max_rss(sim_run_command(path, BASELINE_DURATION))
        row.max_rss_bytes, stdout, row.tool = max_rss(command)
    except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
        row.note = f"{type(exc).__name__}: {exc}"
        return row
    queues = json.loads(stdout)["queues"]
    row.visits = int(sum(q["arrivals"] for q in queues.values()))
    row.gross_bytes_per_visit = row.max_rss_bytes / row.visits
    row.net_bytes_per_visit = (row.max_rss_bytes - row.baseline_rss_bytes) / row.visits
    return row


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def closed_form_seconds() -> ModelStats:
    """Erlang A closed form for the benchmark model, waits in seconds."""
    exact = erlang_a(ARRIVAL_RATE, 1.0 / SERVICE_MEAN, AGENTS, 1.0 / PATIENCE_MEAN)
    exact.mean_wait_s *= SECONDS_PER_MINUTE
    exact.mean_wait_served_s *= SECONDS_PER_MINUTE
    return exact


def engine_closed_form() -> ModelStats | None:
    """``sim.erlang.erlang_a`` for the same model, as a cross-check of ours.

    Returns None when the engine's version is not importable yet; the inline
    chain above stays the reference either way.
    """
    try:
        from sim.erlang import erlang_a as engine_erlang_a

        got = engine_erlang_a(ARRIVAL_RATE, 1.0 / SERVICE_MEAN, AGENTS, 1.0 / PATIENCE_MEAN)
        return ModelStats(
            arrivals=0,
            p_abandon=float(got.p_abandon),
            mean_wait_s=float(got.mean_wait) * SECONDS_PER_MINUTE,
            mean_wait_served_s=float(got.mean_wait_served) * SECONDS_PER_MINUTE,
        )
    except Exception:
        return None


def ratios(rows: list[BenchResult], network: NetworkResult | None) -> dict[str, float]:
    """Ours' contacts (or the network's visits) per CPU second over each peer's."""
    by_name = {r.name: r for r in rows}
    ours, textbook = by_name["ours"].contacts_per_s, by_name["textbook SimPy"].contacts_per_s
    out = {
        "ours/textbook_simpy": ours / textbook,
        "ours/ciw": ours / by_name["Ciw"].contacts_per_s,
        # No goal for salabim (issue 12 set none): the ratio is reported only.
        "ours/salabim": ours / by_name["salabim"].contacts_per_s,
    }
    if network is not None:
        out["network visits/textbook_simpy contacts"] = network.visits_per_s / textbook
    return out


def goals(
    rows: list[BenchResult],
    ratio: dict[str, float],
    network: NetworkResult | None,
    memory: MemoryResult | None,
) -> list[dict]:
    """Each goal with its measured value and PASS / MISS (n/a if not run)."""
    bytes_per_record = next(r for r in rows if r.name == "ours").bytes_per_record
    checks = [
        ("ours >= 5x textbook SimPy contacts/s", ratio["ours/textbook_simpy"], ">=", GOAL_VS_SIMPY),
        ("ours >= 10x Ciw contacts/s", ratio["ours/ciw"], ">=", GOAL_VS_CIW),
        (
            "ours <= 100 bytes per stored record",
            math.nan if bytes_per_record is None else bytes_per_record,
            "<=",
            GOAL_BYTES_PER_RECORD,
        ),
    ]
    if network is not None:
        checks.append(
            (
                f"{Path(network.scenario).stem} visits/s >= 5x textbook",
                ratio["network visits/textbook_simpy contacts"],
                ">=",
                GOAL_VS_SIMPY,
            )
        )
    if memory is not None:
        checks += [
            (
                "<= 150 B/visit end to end, net of baseline",
                memory.net_bytes_per_visit,
                "<=",
                GOAL_BYTES_PER_VISIT,
            ),
            (
                "<= 150 B/visit end to end, gross",
                memory.gross_bytes_per_visit,
                "<=",
                GOAL_BYTES_PER_VISIT,
            ),
        ]
    out = []
    for label, value, op, target in checks:
        met = value >= target if op == ">=" else value <= target
        verdict = "n/a" if math.isnan(value) else ("PASS" if met else "MISS")
        out.append({"goal": label, "value": value, "target": target, "verdict": verdict})
    return out


def _fmt(value: float | None, spec: str) -> str:
    """Format a number, showing '-' for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def print_table(
    rows: list[BenchResult],
    exact: ModelStats,
    engine: ModelStats | None,
    args: argparse.Namespace,
) -> None:
    """Human-readable report on stdout; ``engine`` is sim.erlang's closed form."""
    print(
        f"\nErlang A: lambda={ARRIVAL_RATE:g}/min, c={AGENTS}, service mean "
        f"{SERVICE_MEAN:g} min, patience mean {PATIENCE_MEAN:g} min, "
        f"{args.arrivals:,} arrivals, seed {args.seed}\n"
    )
    header = (
        f"{'implementation':<16}{'arrivals':>10}{'CPU s':>9}{'contacts/s':>12}"
        f"{'peak B/contact':>16}{'B/record':>10}{'P(abandon)':>12}"
        f"{'wait s':>9}{'wait|served s':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        if not r.available:
            print(f"{r.name:<16}not available: {r.note}")
            continue
        s = r.stats
        print(
            f"{r.name:<16}{r.arrivals:>10,}{r.cpu_s:>9.2f}{r.contacts_per_s:>12,.0f}"
            f"{r.peak_bytes_per_contact:>16,.0f}{_fmt(r.bytes_per_record, '.1f'):>10}"
            f"{s.p_abandon:>12.5f}{_fmt(s.mean_wait_s, '.3f'):>9}"
            f"{s.mean_wait_served_s:>15.3f}"
        )
    for label, ref in (("Erlang A exact", exact), ("sim.erlang (chk)", engine)):
        if ref is not None:
            print(
                f"{label:<16}{'':>10}{'':>9}{'':>12}{'':>16}{'':>10}"
                f"{ref.p_abandon:>12.5f}{ref.mean_wait_s:>9.3f}{ref.mean_wait_served_s:>15.3f}"
            )
    print(
        "\ncontacts/s: arrivals per CPU second (time.process_time), fastest of"
        f" {args.repeat} runs\n(textbook SimPy, ours and the network timed in turn, round after"
        " round; then Ciw, then salabim);"
        "\nwait s: mean time in queue over all arrivals (abandoners until they leave);"
        "\nwait|served s: over served arrivals only; B/record: stored record arrays"
        " / rows;\npeak B/contact: tracemalloc peak of a separate pass / arrivals."
    )
    notes = [f"  {r.name}: {r.note}" for r in rows if r.available and r.note]
    if notes:
        print("\nNotes:\n" + "\n".join(notes))


def print_network(network: NetworkResult, textbook: BenchResult) -> None:
    """The realistic network's row, next to textbook SimPy's Erlang A rate."""
    print(f"\nRealistic network: {network.scenario} with duration={network.duration}")
    if network.note:
        print(f"  not available: {network.note}")
        return
    print(
        f"  {network.visits:,} visits in {network.cpu_s:.2f} CPU s ({network.wall_s:.2f} s wall):"
        f" {network.visits_per_s:,.0f} visits/s; textbook SimPy on Erlang A above:"
        f" {textbook.contacts_per_s:,.0f} contacts/s"
    )


def print_memory(memory: MemoryResult) -> None:
    """The end-to-end memory figures."""
    print(f"\nMemory end to end: {memory.command}")
    if memory.note:
        print(f"  not available: {memory.note}")
        return
    mib = 1024 * 1024
    print(
        f"  max RSS {memory.max_rss_bytes / mib:,.0f} MiB ({memory.tool}) for"
        f" {memory.visits:,} visits: {memory.gross_bytes_per_visit:.0f} B/visit gross;"
        f"\n  baseline (duration={BASELINE_DURATION}: interpreter, imports, fixed costs)"
        f" {memory.baseline_rss_bytes / mib:,.0f} MiB; net"
        f" {memory.net_bytes_per_visit:.0f} B/visit"
    )


def versions() -> dict[str, str]:
    """Installed versions of the peers, for the report."""
    from importlib.metadata import version

    return {name: version(name) for name in ("simpy", "ciw", "salabim")}


def sanity(rows: list[BenchResult], exact: ModelStats) -> list[dict]:
    """Per implementation: do its batch-means intervals hold the closed form?

    A sanity check, not a goal: at 99% an honest implementation misses about one
    time in a hundred per figure; a wrong model (units, patience not applied)
    misses by far more than the interval's width.
    """
    out = []
    for r in rows:
        if not r.available or r.stats is None or r.stats.p_abandon_ci is None:
            continue
        p_ci, w_ci = r.stats.p_abandon_ci, r.stats.mean_wait_ci
        assert w_ci is not None  # summarise sets both intervals
        out.append(
            {
                "name": r.name,
                "p_abandon_ci": p_ci,
                "p_abandon_inside": p_ci[0] <= exact.p_abandon <= p_ci[1],
                "mean_wait_ci": w_ci,
                "mean_wait_inside": w_ci[0] <= exact.mean_wait_s <= w_ci[1],
            }
        )
    return out


def print_sanity(checks: list[dict]) -> None:
    """The sanity verdicts on stdout."""
    print(
        f"\nSanity: does the {CI_LEVEL:.0%} confidence interval (batch means of"
        f" {CI_BATCHES} consecutive batches) hold Erlang A exact?"
    )
    for c in checks:
        p_lo, p_hi = c["p_abandon_ci"]
        w_lo, w_hi = c["mean_wait_ci"]
        print(
            f"  {c['name']:<16}P(abandon) [{p_lo:.5f}, {p_hi:.5f}]"
            f" {'yes' if c['p_abandon_inside'] else 'NO':<4}"
            f" wait s [{w_lo:.3f}, {w_hi:.3f}] {'yes' if c['mean_wait_inside'] else 'NO'}"
        )


def print_goals(ratio: dict[str, float], goal_rows: list[dict]) -> None:
    """Ratios and goal verdicts on stdout."""
    print("\nRatios (per CPU second, same invocation):")
    for name, value in ratio.items():
        print(f"  {name:<40}{_fmt(value, '.2f'):>8}x")
    print("\nGoals:")
    for g in goal_rows:
        print(f"  [{g['verdict']:^4}] {g['goal']:<48} measured {_fmt(g['value'], '.2f')}")


def load_line(start: tuple[float, ...], caches: str) -> str:
    """The load average at the start and now, the cores and their caches: the machine."""
    now = os.getloadavg()
    return (
        f"load average at start {' '.join(f'{x:.2f}' for x in start)}, at the end"
        f" {' '.join(f'{x:.2f}' for x in now)}, on {os.cpu_count()} cores; {caches}"
    )


def cpu_caches() -> str:
    """The first core's caches as Linux lists them ("caches: L1d 32K, ..."), or "unknown".

    Printed with every invocation because the ratios depend on the host: the platform's
    replication keeps more data hot than textbook SimPy's (between 512 KiB and 1 MiB), and
    the development machine has come on hosts with 1 MiB and with 512 KiB of second-level
    cache a core (stop 32; ``benchmarks/README.md``).
    """
    kinds = {"Data": "d", "Instruction": "i"}
    found = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size, cpus = (
                (index / name).read_text().strip()
                for name in ("level", "type", "size", "shared_cpu_list")
            )
        except OSError:
            continue
        shared = " shared" if "-" in cpus or "," in cpus else ""
        found.append(f"L{level}{kinds.get(kind, '')} {size}{shared}")
    return f"caches: {', '.join(found)}" if found else "caches: unknown"


def to_json(
    rows: list[BenchResult],
    *,
    exact: ModelStats,
    engine: ModelStats | None,
    network: NetworkResult | None,
    memory: MemoryResult | None,
    ratio: dict[str, float],
    goal_rows: list[dict],
    load: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    """All results as one JSON document (NaN becomes null)."""
    doc = {
        "model": {
            "arrival_rate_per_min": ARRIVAL_RATE,
            "agents": AGENTS,
            "service_mean_min": SERVICE_MEAN,
            "patience_mean_min": PATIENCE_MEAN,
            "arrivals": args.arrivals,
            "ciw_arrivals": args.ciw_arrivals,
            "salabim_arrivals": args.salabim_arrivals,
            "seed": args.seed,
            "repeat": args.repeat,
        },
        "versions": versions(),
        "erlang_a_exact": asdict(exact),
        "sanity": sanity(rows, exact),
        "sim_erlang_a": None if engine is None else asdict(engine),
        "results": [asdict(r) for r in rows],
        "network": None if network is None else asdict(network),
        "memory": None if memory is None else asdict(memory),
        "ratios": ratio,
        "goals": goal_rows,
        "load_average": load,
    }
    return json.dumps(_nan_to_none(doc), indent=2)


def _nan_to_none(value: Any) -> Any:
    """Replace NaN floats recursively, because JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; --ciw-arrivals and --salabim-arrivals default to --arrivals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ARRIVALS:,} arrivals")
    parser.add_argument("--arrivals", type=int, help=f"arrivals (default {FULL_ARRIVALS:,})")
    parser.add_argument("--ciw-arrivals", type=int, help="arrivals for Ciw only")
    parser.add_argument("--salabim-arrivals", type=int, help="arrivals for salabim only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timing runs per implementation; the fastest counts"
    )
    parser.add_argument(
        "--platform",
        type=Path,
        default=PLATFORM,
        help="the realistic network's scenario file (default: the joined platform)",
    )
    parser.add_argument(
        "--platform-duration", default="91d", help="its duration for the speed ratio (13 weeks)"
    )
    parser.add_argument(
        "--memory-duration", default="365d", help="its duration for the memory goal (a year)"
    )
    parser.add_argument(
        "--no-network", action="store_true", help="skip the realistic network (speed)"
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the end-to-end memory measurement"
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(argv)
    if args.arrivals is None:
        args.arrivals = QUICK_ARRIVALS if args.quick else FULL_ARRIVALS
    if args.ciw_arrivals is None:
        args.ciw_arrivals = args.arrivals
    if args.salabim_arrivals is None:
        args.salabim_arrivals = args.arrivals
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; always 0 if it completed."""
    args = parse_args(argv)
    start_load, caches = os.getloadavg(), cpu_caches()
    log(
        f"load average {' '.join(f'{x:.2f}' for x in start_load)} on {os.cpu_count()} cores;"
        f" {caches}"
    )
    rows, network = run_all(args)
    memory = None
    if not args.no_memory:
        log(f"sim run on {args.platform}, duration={args.memory_duration}, under time -v ...")
        memory = run_memory(args.platform, args.memory_duration)
    exact = closed_form_seconds()
    engine = engine_closed_form()
    ratio = ratios(rows, network)
    goal_rows = goals(rows, ratio, network, memory)
    load = {
        "start": start_load,
        "end": os.getloadavg(),
        "cores": os.cpu_count(),
        "caches": caches,
    }
    if args.json:
        print(
            to_json(
                rows,
                exact=exact,
                engine=engine,
                network=network,
                memory=memory,
                ratio=ratio,
                goal_rows=goal_rows,
                load=load,
                args=args,
            )
        )
    else:
        print_table(rows, exact, engine, args)
        print_sanity(sanity(rows, exact))
        print("\nVersions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
        if network is not None:
            print_network(network, rows[0])
        if memory is not None:
            print_memory(memory)
        print_goals(ratio, goal_rows)
        print(f"\n{load_line(start_load, caches)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
