"""How much of a platform visit is SimPy's own event handling, and what 5x leaves the engine.

Issue 12 asks for the joined platform's visits per CPU second to be 5 times textbook
SimPy's Erlang-A contacts per CPU second (``bench_erlang_a.py``). This script splits a
platform visit's CPU time into two parts, in one invocation:

* **The floor**: what an environment costs per event when the callbacks do almost
  nothing. Erlang A's traffic (an arrival and a service end per contact) as bare,
  reused SimPy timeouts on SimPy's ``Environment``, and on the engine's
  (``sim.environment``: SimPy's order on a heap of times) the way the engine runs its
  events: service ends as bare scheduled calls (``Environment.call_at``, since stop 28)
  and arrivals fed in time order (``Environment.feed``, since stop 29). Two runs give
  the two prices: every event a scheduled call, then the arrivals fed. The floor is the
  schedule and the dispatch and nothing else. The engine's, at the platform's events
  per visit (its scheduled calls and SimPy events, counted by wrapping ``call_at``,
  ``schedule`` and the node's written-out calls through ``parts``, and its fed arrivals,
  during the same run), is the part of a visit no
  change inside the engine removes short of fewer events.
* **The engine's own work**: a visit's CPU time (``sim.simulate`` of the platform over
  13 weeks, as ``bench_erlang_a.py`` runs it) less that floor.

It prints both, textbook SimPy's rate (measured here), the CPU time a visit may take for
5x, and by how much the engine's own work would have to shrink for it. Every figure is the
fastest of ``--repeat`` runs of CPU time (``time.process_time``); nothing is asserted.

Usage:
    .venv/bin/python benchmarks/bench_floor.py [--repeat 3] [--contacts 200000] [--duration 91d]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.environment import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_erlang_a import (  # the folder is not a package: found on the path
    AGENTS,
    ARRIVAL_RATE,
    GOAL_VS_SIMPY,
    PLATFORM,
    SECONDS_PER_MINUTE,
    SERVICE_MEAN,
    cpu_caches,
    simpy_simulate,
    time_call,
)


def _traffic(contacts: int, seed: int) -> tuple[Iterator[float], Iterator[float], dict]:
    """Erlang A's gaps and service times, and the agents' state (free, waiting)."""
    rng = np.random.default_rng(seed)
    gaps = iter(rng.exponential(SECONDS_PER_MINUTE / ARRIVAL_RATE, contacts).tolist())
    services = iter(rng.exponential(SERVICE_MEAN * SECONDS_PER_MINUTE, contacts).tolist())
    return gaps, services, {"free": AGENTS, "waiting": 0}


def floor_run(contacts: int, seed: int) -> int:
    """Erlang A's arrivals and service ends as bare, reused timeouts on SimPy's environment.

    Returns the events processed.
    """
    gaps, services, state = _traffic(contacts, seed)
    env = simpy.Environment()
    timeout, schedule = env.timeout, env.schedule
    spare: list[simpy.Event] = []

    def later(delay: float, callbacks: list) -> None:
        if spare:
            event = spare.pop()
            event.callbacks = callbacks
            schedule(event, NORMAL, delay)
        else:
            timeout(delay).callbacks = callbacks

    def finish(event: simpy.Event) -> None:
        spare.append(event)
        if state["waiting"]:
            state["waiting"] -= 1
            later(next(services), on_finish)
        else:
            state["free"] += 1

    def arrive(event: simpy.Event | None) -> None:
        if event is not None:
            if state["free"]:
                state["free"] -= 1
                later(next(services), on_finish)
            else:
                state["waiting"] += 1
        gap = next(gaps, None)
        if gap is None:
            return
        if event is None:
            timeout(gap).callbacks = on_arrival
        else:
            event.callbacks = on_arrival
            schedule(event, NORMAL, gap)

    on_finish, on_arrival = [finish], [arrive]
    arrive(None)
    env.run()
    return 2 * contacts


def _agents(env: Environment, services: Iterator[float], state: dict) -> Callable[[float], None]:
    """What a contact arriving at ``now`` does: start a service (a scheduled call), or wait."""
    call_at = env.call_at

    def finish(call: tuple) -> None:
        if state["waiting"]:
            state["waiting"] -= 1
            at = call[1] + next(services)
            call_at(at, (finish, at))
        else:
            state["free"] += 1

    def take(now: float) -> None:
        if state["free"]:
            state["free"] -= 1
            at = now + next(services)
            call_at(at, (finish, at))
        else:
            state["waiting"] += 1

    return take


def calls_floor_run(contacts: int, seed: int) -> int:
    """Erlang A's arrivals and service ends as bare scheduled calls; return events.

    The engine's environment, as the engine uses it (``Environment.call_at``); each call
    carries its own time, the clock's when it comes. An arrival's call makes one Python
    call more than a service end's (``take``): half a call an event more than the bare
    minimum, which :func:`fed_floor_run` then counts less for a fed arrival.
    """
    gaps, services, state = _traffic(contacts, seed)
    env = Environment()
    call_at, take = env.call_at, _agents(env, services, state)

    def arrive(call: tuple) -> None:
        now = call[1]
        take(now)
        gap = next(gaps, None)
        if gap is not None:
            call_at(now + gap, (arrive, now + gap))

    first = next(gaps)
    call_at(first, (arrive, first))
    env.run()
    return 2 * contacts


def fed_floor_run(contacts: int, seed: int) -> int:
    """Erlang A's traffic with the arrivals fed (``Environment.feed``); return the events.

    The service ends are scheduled calls, as in :func:`calls_floor_run`; the arrival
    times are summed before the run, as the engine samples them.
    """
    gaps, services, state = _traffic(contacts, seed)
    env = Environment()
    times = np.cumsum(np.fromiter(gaps, float, contacts))
    env.feed(times.data, itertools.repeat(_agents(env, services, state), contacts))
    env.run()
    return 2 * contacts


def platform_events(duration: str) -> tuple[int, int, int]:
    """One replication of the platform: its scheduled events, its fed arrivals, its visits.

    Scheduled: calls and SimPy events, whether through ``call_at`` and ``schedule`` or
    written out by the node with ``Environment.parts``; fed: arrivals from outside
    (``Environment.feed``).
    """
    import sim

    scenario = sim.load(PLATFORM, overrides=[f"duration={duration}"])
    count = [0, 0]
    schedule, call_at, feed = Environment.schedule, Environment.call_at, Environment.feed
    parts = Environment.parts

    def counted_schedule(self: Environment, *args: object, **kwargs: object) -> None:
        count[0] += 1
        schedule(self, *args, **kwargs)  # type: ignore[arg-type]

    def counted_call(self: Environment, *args: object) -> None:
        count[0] += 1
        call_at(self, *args)  # type: ignore[arg-type]

    def counted_parts(self: Environment) -> tuple:
        times, setdefault, tie = parts(self)

        def counted_setdefault(at: float, entry: tuple) -> tuple:
            count[0] += 1
            return setdefault(at, entry)

        return times, counted_setdefault, tie

    def counted_feed(self: Environment, times: Iterable[float], calls: Iterable) -> None:
        times = list(times)
        count[1] += len(times)
        feed(self, times, calls)

    Environment.schedule = counted_schedule  # type: ignore[method-assign]
    Environment.call_at = counted_call  # type: ignore[method-assign]
    Environment.feed = counted_feed  # type: ignore[method-assign]
    Environment.parts = counted_parts  # type: ignore[method-assign]
    try:
        result = sim.simulate(scenario)
    finally:
        Environment.schedule = schedule  # type: ignore[method-assign]
        Environment.call_at = call_at  # type: ignore[method-assign]
        Environment.feed = feed  # type: ignore[method-assign]
        Environment.parts = parts  # type: ignore[method-assign]
    return count[0], count[1], int(result.n_records)


def main(argv: list[str] | None = None) -> None:
    """Print the floor, the engine's own share and what 5x asks of it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--contacts", type=int, default=200_000, help="Erlang-A contacts")
    parser.add_argument("--duration", default="91d", help="the platform's run (default 91d)")
    args = parser.parse_args(argv)

    import sim

    print(
        f"load average at the start: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores;"
        f" {cpu_caches()}"
    )
    _, textbook_cpu, _ = time_call(lambda: simpy_simulate(args.contacts, 1), args.repeat)
    textbook = args.contacts / textbook_cpu
    events_floor, floor_cpu, _ = time_call(lambda: floor_run(args.contacts, 1), args.repeat)
    simpy_per_event = floor_cpu / events_floor
    _, floor_cpu, _ = time_call(lambda: calls_floor_run(args.contacts, 1), args.repeat)
    per_event = floor_cpu / events_floor  # a scheduled call
    _, fed_cpu, _ = time_call(lambda: fed_floor_run(args.contacts, 1), args.repeat)
    per_fed = max(fed_cpu - per_event * args.contacts, 0.0) / args.contacts  # a fed arrival
    events, fed, visits = platform_events(args.duration)
    scenario = sim.load(PLATFORM, overrides=[f"duration={args.duration}"])
    _, engine_cpu, _ = time_call(lambda: sim.simulate(scenario), args.repeat)

    us = 1e6
    visit = engine_cpu / visits * us
    floor = (per_event * events + per_fed * fed) / visits * us
    budget = us / (GOAL_VS_SIMPY * textbook)
    own, own_budget = visit - floor, budget - floor
    print(f"textbook SimPy, Erlang A: {textbook:,.0f} contacts/s ({us / textbook:.2f} us each)")
    print(f"SimPy's floor: {simpy_per_event * us:.3f} us an event (bare reused timeouts)")
    print(f"the engine's schedule (sim.environment): {per_event * us:.3f} us a scheduled call, "
          f"{per_fed * us:.3f} us a fed arrival")  # fmt: skip
    print(f"platform, {args.duration}: {visits:,} visits, {events:,} scheduled events "
          f"({events / visits:.2f} a visit) and {fed:,} fed arrivals "
          f"({fed / visits:.2f} a visit)")  # fmt: skip
    print(f"  a visit: {visit:.2f} us = the schedule's floor {floor:.2f} "
          f"+ the engine's own {own:.2f}")  # fmt: skip
    print(f"  ratio now: {us / visit / textbook:.2f}x textbook SimPy")
    print(f"  {GOAL_VS_SIMPY:g}x needs {budget:.2f} us a visit: the engine's own work at "
          f"{own_budget:.2f} us, {100 * (1 - own_budget / own):.0f}% less than now")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
