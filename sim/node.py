"""The run-time state of one queue: its agents, its line, its bot and its routes.

A :class:`Node` reacts to contacts arriving (from outside or routed from another
queue), starts services, and sends what it does not resolve on through a ``send``
callable supplied by the network. Shifts and batch pickups are SimPy processes
(generator functions); arrivals, service ends and patience timers are SimPy timeouts
whose callbacks, SimPy's documented event hook, do the bookkeeping: they are the
frequent events, and a callback costs less than resuming a process.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Generator, Iterator

import numpy as np
import simpy

from sim.agents import Agent, AgentPool
from sim.records import By, ContactLog, Outcome
from sim.scenario import Queue
from sim.streams import Draws
from sim.timeline import ShiftInstance
from sim.waiting import WaitingLine

__all__ = ["Node", "Route"]

Send = Callable[[int, int, int], None]  # (destination queue, contact, hop)


class Route:
    """A probabilistic choice among destination queues (the rest: go nowhere)."""

    __slots__ = ("_cumulative", "_destinations")

    def __init__(self, routes: dict[int, float]) -> None:
        self._destinations = list(routes)
        self._cumulative = np.cumsum(list(routes.values())).tolist()

    def __bool__(self) -> bool:
        return bool(self._destinations)

    def choose(self, u: float) -> int:
        """Destination for a uniform draw ``u``, or -1 for none."""
        for dest, edge in zip(self._destinations, self._cumulative, strict=True):
            if u < edge:
                return dest
        return -1


_RESOLVED, _UNRESOLVED, _ABANDONED = Outcome.RESOLVED, Outcome.UNRESOLVED, Outcome.ABANDONED
_AGENT, _BOT = int(By.AGENT), int(By.BOT)


def _draws(dist: object, rng: np.random.Generator) -> Draws:
    return Draws(lambda n: dist.sample(rng, n))  # type: ignore[attr-defined]


UNIFORM_SOURCES = ("visibility", "resolution", "routing", "bot")
NEW_CONTACT = -1  # contact id of an external arrival: the log numbers it


class Node:
    """One queue in one replication."""

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        spec: Queue,
        *,
        log: ContactLog,
        streams: dict[str, np.random.Generator],
        routes: dict[str, Route],
        send: Send,
        window: tuple[float, float],
        max_hops: int,
        agent_ids: Iterator[int] | None = None,
    ) -> None:
        self.env = env
        # SimPy builds a new bound method on every ``env.timeout`` access; keep one.
        self._timeout = env.timeout
        self.index = index
        self.spec = spec
        self.log = log
        self.send = send
        self._last_hop = max_hops - 1
        self._routes = {name: (route or None) for name, route in routes.items()}
        self._on_unresolved = self._routes["on_unresolved"]
        self._on_abandon = self._routes["on_abandon"]
        concurrency = spec.concurrency
        self.pool = AgentPool(concurrency.max if concurrency else 1, window, agent_ids)
        self._slowdown = concurrency.slowdown if concurrency else 0.0
        self.line = WaitingLine(batch=spec.pickup is not None)
        self._service = _draws(spec.service, streams["service"]).next
        self._patience = _draws(spec.patience, streams["patience"]).next if spec.patience else None
        bot_response = spec.bot.response if spec.bot else None
        self._bot_response = _draws(bot_response, streams["bot_response"]) if bot_response else None
        uniform = {name: Draws(streams[name].random).next for name in UNIFORM_SOURCES}
        self._u_visible, self._u_resolve, self._u_route, self._u_bot = (
            uniform[name] for name in UNIFORM_SOURCES
        )
        self._answered_by_bot_first = spec.bot is not None
        # The decisions every arrival takes, read once: the spec is frozen.
        self._p_resolve, self._p_visible = spec.resolution, spec.visibility
        self._bot_always = spec.bot is not None and spec.bot.when == "always"
        self._bot_unstaffed = spec.bot is not None and spec.bot.when == "unstaffed"
        self._closed_waits = spec.closed == "wait"
        self._overflow = spec.overflow.threshold if spec.overflow is not None else None
        self._timers: list[float] = []
        self.staffing: list[tuple[float, int]] = [(0.0, 0)]

    # -- processes -------------------------------------------------------------------

    def source(self, times: np.ndarray) -> None:
        """Schedule external arrivals at the given times.

        Arrivals are the most frequent event, so they form a chain of timeouts with a
        callback (SimPy's event hook) rather than a process: resuming a generator on
        every arrival would cost about a twentieth of the run.
        """
        env, timeout, arrive = self.env, self._timeout, self.arrive
        pending = iter(times.tolist())

        def next_arrival(event: simpy.Event | None) -> None:
            now = 0.0
            if event is not None:
                # The clock's own time, not the sampled t: now + (t - now) may differ
                # from t in the last bit, and every later time stamp reads the clock.
                now = env.now
                arrive(NEW_CONTACT, 0, now)
            t = next(pending, None)
            if t is not None:
                timeout(t - now).callbacks.append(next_arrival)

        next_arrival(None)

    def shifts(self, instances: list[ShiftInstance]) -> Generator:
        """Agents join and leave as the schedule says (ends before starts at a tie)."""
        changes = sorted(
            [(s.start, 1, s) for s in instances] + [(s.end, 0, s) for s in instances],
            key=lambda c: (c[0], c[1]),
        )
        env, pool = self.env, self.pool
        for t, starts, shift in changes:
            if t == math.inf:
                return
            yield env.timeout(t - env.now)
            if starts:
                pool.join(t, shift.agents, shift.end)
                self._dispatch()
            else:
                pool.shift_ends(t, shift.agents, shift.end)
            if self.staffing[-1][0] == t:  # one entry per instant: the level after it
                self.staffing[-1] = (t, pool.on_shift)
            else:
                self.staffing.append((t, pool.on_shift))

    def pickups(self, times: list[float]) -> Generator:
        """Batch pickup: work is released to agents only at these times."""
        env = self.env
        for t in times:
            yield env.timeout(t - env.now)
            self.line.release_held()
            self._dispatch()

    # -- contact flow ------------------------------------------------------------------

    def arrive(self, contact: int, hop: int, now: float | None = None) -> None:
        """A contact reaches this queue (``now``: the current time, if the caller has it).

        ``contact`` is the id of a routed contact, or ``NEW_CONTACT`` for an arrival from
        outside.
        """
        if now is None:
            now = self.env.now
        log = self.log
        rec = log.open_hop(contact, hop, self.index, now)
        # Per-contact numbers are drawn on arrival, in arrival order, whatever happens
        # next: variants of a scenario then share them (common random numbers).
        log.service[rec] = self._service()
        if self._p_resolve < 1.0:
            log.fate[rec] = self._u_resolve() >= self._p_resolve
        deadline = now + self._patience() if self._patience is not None else math.inf
        if self._p_visible < 1.0 and self._u_visible() >= self._p_visible:
            self._leave(rec, Outcome.NOT_VISIBLE, self._routes["on_not_visible"])
            return
        staffed = self.pool.on_shift > 0
        if self._bot_always or (self._bot_unstaffed and not staffed):
            self._bot(rec, deadline)
        elif staffed or self._closed_waits:
            self._join(rec, deadline, now)
        else:
            self._leave(rec, Outcome.CLOSED, self._routes["on_closed"])

    def _join(self, rec: int, deadline: float, now: float) -> None:
        line = self.line
        if not line.batch:
            agent = self.pool.acquire()
            if agent is not None:
                self._serve(rec, agent, now)
                return
        # Triage applies to contacts that would have to wait, never with an agent free.
        if self._overflow is not None and len(line) >= self._overflow:
            self._leave(rec, Outcome.OVERFLOW, self._routes["on_overflow"])
            return
        line.push(rec, deadline)
        if deadline < math.inf:
            self._arm_timer(deadline)

    def _serve(self, rec: int, agent: Agent, now: float) -> None:
        log = self.log
        log.agent_start[rec] = now
        log.agent[rec] = agent.id
        # NaN response: no bot answered first
        if not self._answered_by_bot_first or log.response[rec] != log.response[rec]:
            log.response[rec] = now
        handle = log.service[rec]
        if agent.load > 1:
            handle *= 1.0 + self._slowdown * (agent.load - 1)
            log.service[rec] = handle
        self._timeout(handle, (rec, agent)).callbacks.append(self._finish)

    def _finish(self, event: simpy.Event) -> None:
        rec, agent = event.value
        log, now = self.log, self.env.now
        log.by[rec] = _AGENT
        if log.fate[rec]:
            self._leave(rec, _UNRESOLVED, self._on_unresolved)
        else:
            log.end[rec] = now
            log.outcome[rec] = _RESOLVED
        if agent.load == 1 and now < agent.leaves and self.line.available:
            # Single-chat agent staying on: it takes the next contact itself.
            self._serve(self.line.pop(), agent, now)
        elif self.pool.release(now, agent) and self.line.available:
            self._dispatch()

    def _dispatch(self) -> None:
        """Give waiting contacts to agents with free slots."""
        pool, line, now = self.pool, self.line, self.env.now
        while line.available and pool.has_capacity():
            self._serve(line.pop(), pool.acquire(), now)

    def _bot(self, rec: int, deadline: float) -> None:
        delay = self._bot_response() if self._bot_response is not None else 0.0
        if delay > 0:
            event = self._timeout(delay, (rec, deadline))
            event.callbacks.append(lambda e: self._bot_answer(*e.value))
        else:
            self._bot_answer(rec, deadline)

    def _bot_answer(self, rec: int, deadline: float) -> None:
        bot, log = self.spec.bot, self.log
        log.response[rec] = self.env.now
        log.by[rec] = _BOT
        if self._u_bot() < bot.resolution:
            self._leave(rec, _RESOLVED, None)
        elif bot.when == "always" or bot.unresolved == "wait":
            # The human line takes over; patience runs from the hand-over.
            self._join(rec, deadline + (log.response[rec] - log.arrive[rec]), self.env.now)
        else:
            self._leave(rec, _UNRESOLVED, self._on_unresolved)

    # -- abandonment -----------------------------------------------------------------

    def _arm_timer(self, deadline: float) -> None:
        # One pending timer per distinct earliest deadline, not one event per contact.
        timers = self._timers
        if not timers or timers[0] > deadline:
            heapq.heappush(timers, deadline)
            self._timeout(deadline - self.env.now).callbacks.append(self._on_timer)

    def _on_timer(self, _event: simpy.Event) -> None:
        heapq.heappop(self._timers)
        for rec in self.line.expire(self.env.now):
            self._leave(rec, _ABANDONED, self._on_abandon)
        following = self.line.next_deadline()
        if following < math.inf:
            self._arm_timer(following)

    # -- leaving -----------------------------------------------------------------------

    def _leave(self, rec: int, outcome: int, route: Route | None) -> None:
        log = self.log
        log.end[rec] = self.env.now
        log.outcome[rec] = outcome
        if route is not None and log.hop[rec] < self._last_hop:
            dest = route.choose(self._u_route())
            if dest >= 0:
                log.next_queue[rec] = dest
                self.send(dest, log.contact[rec], log.hop[rec] + 1)
