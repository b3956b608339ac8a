"""``sim.environment.Environment`` processes events in exactly SimPy's order.

Its schedule is a heap of times and a dict of events; SimPy's is a heap of
``(time, priority, id, event)``. The tests run the same programs on both, with many
events sharing an instant (whole-number delays), every priority the engine uses, events
scheduled while others of their instant are processed, processes, ``run(until=...)``
at a time and at an event, and ``step``, and compare the logs of what fired when. On
the engine's environment a third of the NORMAL events are scheduled calls
(``Environment.call_at``), which must fire where SimPy fires the events they stand for.
Fed calls (``Environment.feed``: times known before the run) must fire as SimPy fires
events scheduled up front with a priority after NORMAL: after every other entry of
their instant, in the order fed.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import numpy as np
import pytest
import simpy
from simpy.core import EmptySchedule
from simpy.events import NORMAL, URGENT, EventPriority

from sim.environment import Environment, chained

PRIORITIES = (EventPriority(-1), URGENT, NORMAL)
AFTER_NORMAL = EventPriority(NORMAL + 1)  # what a fed call stands for on SimPy's environment


def _program(env: simpy.Environment, seed: int, log: list, fed: bool = False) -> None:
    """Events that schedule more events, at whole-number delays: ties everywhere.

    On the engine's environment, a third of the NORMAL events are scheduled calls
    (``call_at``) instead: each must fire where SimPy fires the event it stands for.
    With ``fed``, calls at whole-number times known up front are fed to the engine's
    environment, and scheduled on SimPy's at the start with a priority after NORMAL.
    """
    rng = random.Random(seed)
    budget = [400]

    def fire(event: simpy.Event) -> None:
        fired(event.value)

    def call(entry: tuple) -> None:
        fired(entry[1])

    def fired(name: int) -> None:
        log.append((env.now, name))
        for _ in range(rng.choice((0, 1, 1, 2))):
            if budget[0] <= 0:
                return
            budget[0] -= 1
            later(rng.choice((0, 0, 1, 2, 3)), rng.choice(PRIORITIES), budget[0])

    def later(delay: int, priority: EventPriority, name: int) -> None:
        as_call = rng.random() < 1 / 3  # drawn on both environments: the same program
        if as_call and priority is NORMAL and isinstance(env, Environment):
            env.call_at(env.now + delay, (call, name))
            return
        event = simpy.Event(env)
        event._ok, event._value = True, name
        event.callbacks.append(fire)
        env.schedule(event, priority, delay)

    def worker(name: str):
        for _ in range(rng.randint(1, 6)):
            yield env.timeout(rng.choice((0, 1, 2)), value=name)
            log.append((env.now, name))

    for i in range(20):
        later(rng.choice((0, 1, 2)), rng.choice(PRIORITIES), 1000 + i)
    for i in range(5):
        env.process(worker(f"p{i}"))
    if fed:
        times = sorted(rng.choice(range(12)) for _ in range(15))  # ties among them too
        if isinstance(env, Environment):
            env.feed(
                times,
                [functools.partial(lambda name, _at: fired(name), 2000 + i) for i in range(15)],
            )
        else:
            for i, t in enumerate(times):
                event = simpy.Event(env)
                event._ok, event._value = True, 2000 + i
                event.callbacks.append(fire)
                env.schedule(event, AFTER_NORMAL, t)


def _both(
    seed: int, run: Callable[[simpy.Environment, list], None], fed: bool = False
) -> list[list]:
    """The program's log on SimPy's environment and on the engine's, ``run`` running it."""
    logs = []
    for make in (simpy.Environment, Environment):
        env, log = make(), list[tuple]()
        _program(env, seed, log, fed)
        run(env, log)
        logs.append(log)
    return logs


@pytest.mark.parametrize("seed", range(12))
def test_the_order_of_events_is_simpys(seed: int) -> None:
    simpys, ours = _both(seed, lambda env, _log: env.run())
    assert len(simpys) > 100
    assert simpys == ours


def _in_three_runs(env: simpy.Environment, log: list) -> None:
    env.run(until=3)  # lands on an instant with events still due: they wait
    log.append(("stopped", env.now, env.peek()))
    env.run(until=7.5)
    log.append(("stopped", env.now, env.peek()))
    env.run()


@pytest.mark.parametrize("seed", range(6))
def test_run_until_a_time_and_on_again_is_simpys(seed: int) -> None:
    simpys, ours = _both(seed, _in_three_runs)
    assert simpys == ours


@pytest.mark.parametrize("seed", range(12))
def test_fed_calls_come_after_the_other_entries_of_their_instant(seed: int) -> None:
    simpys, ours = _both(seed, lambda env, _log: env.run(), fed=True)
    assert sum(name >= 2000 for _, name in simpys if isinstance(name, int)) == 15
    assert simpys == ours


@pytest.mark.parametrize("seed", range(6))
def test_fed_calls_wait_through_runs_until_a_time(seed: int) -> None:
    simpys, ours = _both(seed, _in_three_runs, fed=True)
    assert simpys == ours


def test_step_and_peek_see_the_fed_calls() -> None:
    env, fired = Environment(), []
    env.feed([1.0, 2.0], [fired.append, fired.append])
    env.timeout(2, value="event").callbacks.append(lambda e: fired.append(e.value))
    assert env.peek() == 1.0
    env.step()
    assert (env.now, fired, env.peek()) == (1.0, [1.0], 2.0)
    env.step()  # the event first: a fed call comes last at its instant
    env.step()
    assert fired == [1.0, "event", 2.0]
    assert env.peek() == float("inf")
    with pytest.raises(EmptySchedule):
        env.step()
    env.feed([3.0, 4.0], [fired.append, fired.append])  # the first feed is over: a second may
    env.timeout(1.5).callbacks.append(lambda _e: fired.append(("peek", env.peek())))
    env.run(until=4.5)  # peek during the run sees the next fed call, at 4 (the stop at 4.5)
    assert fired[-3:] == [3.0, ("peek", 4.0), 4.0]
    env.feed([6.0, 7.0], [fired.append, fired.append])
    env.run(until=6.5)
    assert fired[-1] == 6.0  # the run stopped with a fed call left, taken by the next one
    env.run()
    assert (fired[-1], env.now) == (7.0, 7.0)
    env.feed([8.0, 9.0], [fired.append, fired.append])
    env.run(until=8.5)
    with pytest.raises(RuntimeError, match="calls left"):
        env.feed([10.0], [fired.append])


def _timeout_chain(times: list[float]) -> list[float]:
    """When a process waiting ``t - now`` for each t in turn wakes: SimPy's sums."""
    out, now = [], 0.0
    for t in times:
        now += t - now
        out.append(now)
    return out


def test_chained_times_are_the_sums_a_chain_of_timeouts_makes() -> None:
    rng = np.random.default_rng(5)
    # Ordinary gaps, with ties and a start at 0.
    times = np.sort(np.concatenate([[0.0, 0.0], rng.exponential(60.0, 2000)]))
    times[100] = times[99]
    assert chained(times).tobytes() == np.array(_timeout_chain(times.tolist())).tobytes()
    # A gap much longer than the time elapsed, where now + (t - now) may miss t.
    missed = 0
    for now in rng.exponential(1.0, 2000).tolist():
        pair = [now, now * rng.uniform(3.0, 1000.0)]
        clock = chained(np.array(pair))
        assert clock.tolist() == _timeout_chain(pair)
        missed += clock[1] != pair[1]
    assert missed > 0  # the case the function exists for occurs here


def test_run_until_an_event_returns_its_value_as_simpy_does() -> None:
    values = []
    for make in (simpy.Environment, Environment):
        env = make()
        done = env.timeout(5, value="done")
        env.timeout(2)
        env.timeout(9)
        values.append((env.run(until=done), env.now, env.peek(), env.run(until=done)))
    # The until event goes back on the schedule at its instant (SimPy's StopSimulation).
    assert values[0] == values[1] == ("done", 5, 5, "done")


def test_calls_tied_with_events_keep_the_order_they_were_scheduled_in() -> None:
    env, fired = Environment(), []
    env.timeout(1, value="event 1").callbacks.append(lambda e: fired.append(e.value))
    env.call_at(1, (lambda entry: fired.append(entry[1]), "call 2"))
    env.timeout(1, value="event 3").callbacks.append(lambda e: fired.append(e.value))
    env.call_at(1, (lambda entry: fired.append(entry[1]), "call 4"))
    urgent = simpy.Event(env)
    urgent._ok, urgent._value = True, "urgent 5"
    urgent.callbacks.append(lambda e: fired.append(e.value))
    env.schedule(urgent, URGENT, 1)
    env.run()
    assert fired == ["urgent 5", "event 1", "call 2", "event 3", "call 4"]
    assert env.now == 1


def test_step_and_peek_and_an_empty_schedule_are_simpys() -> None:
    env = Environment()
    assert env.peek() == float("inf")
    fired = []
    env.timeout(1, value="a").callbacks.append(lambda e: fired.append(e.value))
    env.timeout(1, value="b").callbacks.append(lambda e: fired.append(e.value))
    assert env.peek() == 1
    env.step()
    assert (env.now, fired, env.peek()) == (1, ["a"], 1)
    env.step()
    assert fired == ["a", "b"]
    with pytest.raises(EmptySchedule):
        env.step()


def test_a_failed_event_crashes_the_run_as_in_simpy() -> None:
    def failing(env: simpy.Environment):
        yield env.timeout(1)
        raise KeyError("boom")

    for make in (simpy.Environment, Environment):
        env = make()
        env.process(failing(env))
        with pytest.raises(KeyError, match="boom"):
            env.run()


def test_run_until_a_time_not_in_the_future_is_refused_as_in_simpy() -> None:
    for make in (simpy.Environment, Environment):
        env = make()
        env.timeout(2)
        env.run(until=2)
        with pytest.raises(ValueError, match="must be greater than the current simulation time"):
            env.run(until=1)
