"""The run-time state of one queue: its agents, its line, its bot and its routes.

A :class:`Node` reacts to contacts arriving (from outside or routed from another
queue), starts services, and sends what it does not resolve on through a ``send``
callable supplied by the network. Its processes (arrivals, shifts, batch pickups) are
SimPy generator functions; service ends and patience timers are SimPy events whose
callbacks, SimPy's documented hook, do the bookkeeping.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Generator

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
    ) -> None:
        self.env = env
        self.index = index
        self.spec = spec
        self.log = log
        self.send = send
        self.routes = routes
        self._last_hop = max_hops - 1
        concurrency = spec.concurrency
        self.pool = AgentPool(concurrency.max if concurrency else 1, window)
        self._slowdown = concurrency.slowdown if concurrency else 0.0
        self.line = WaitingLine(batch=spec.pickup is not None)
        self._draw = self._make_draws(spec, streams)
        self._patience = spec.patience is not None
        self._timers: list[float] = []
        self.in_flight = 0
        self.staffing: list[tuple[float, int]] = [(0.0, 0)]

    @staticmethod
    def _make_draws(spec: Queue, streams: dict[str, np.random.Generator]) -> dict[str, Draws]:
        def dist(d: object, rng: np.random.Generator) -> Draws:
            return Draws(lambda n: d.sample(rng, n))  # type: ignore[attr-defined]

        draws = {
            name: Draws(streams[name].random)
            for name in ("visibility", "resolution", "routing", "bot")
        }
        draws["service"] = dist(spec.service, streams["service"])
        if spec.patience is not None:
            draws["patience"] = dist(spec.patience, streams["patience"])
        if spec.bot is not None and spec.bot.response is not None:
            draws["bot_response"] = dist(spec.bot.response, streams["bot_response"])
        return draws

    # -- processes -------------------------------------------------------------------

    def source(self, times: np.ndarray, new_contact: Callable[[float, int], int]) -> Generator:
        """External arrivals at the given times."""
        env = self.env
        for t in times.tolist():
            yield env.timeout(t - env.now)
            self.arrive(new_contact(t, self.index), 0)

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
            self.staffing.append((t, pool.on_shift))

    def pickups(self, times: list[float]) -> Generator:
        """Batch pickup: work is released to agents only at these times."""
        env = self.env
        for t in times:
            yield env.timeout(t - env.now)
            self.line.release_held()
            self._dispatch()

    # -- contact flow ------------------------------------------------------------------

    def arrive(self, contact: int, hop: int) -> None:
        """A contact reaches this queue."""
        now, spec, draw = self.env.now, self.spec, self._draw
        rec = self.log.open_hop(contact, hop, self.index, now)
        self.in_flight += 1
        # Draw every per-contact number on arrival, in arrival order, whatever happens
        # next: variants then share them (common random numbers).
        service = draw["service"]()
        self.log.service[rec] = service
        self.log.fate[rec] = draw["resolution"]() < spec.resolution
        deadline = now + draw["patience"]() if self._patience else math.inf
        if spec.visibility < 1.0 and draw["visibility"]() >= spec.visibility:
            self._leave(rec, Outcome.NOT_VISIBLE, "on_not_visible")
            return
        bot = spec.bot
        staffed = self.pool.on_shift > 0
        if bot is not None and (bot.when == "always" or not staffed):
            self._bot(rec, deadline)
        elif not staffed and spec.closed != "wait":
            self._leave(rec, Outcome.CLOSED, "on_closed")
        else:
            self._join(rec, deadline)

    def _join(self, rec: int, deadline: float) -> None:
        overflow = self.spec.overflow
        if overflow is not None and len(self.line) >= overflow.threshold:
            self._leave(rec, Outcome.OVERFLOW, "on_overflow")
            return
        if not self.line.batch:
            agent = self.pool.acquire(self.env.now)
            if agent is not None:
                self._serve(rec, agent)
                return
        self.line.push(rec, deadline)
        if deadline < math.inf:
            self._arm_timer(deadline)

    def _serve(self, rec: int, agent: Agent) -> None:
        now, log = self.env.now, self.log
        log.agent_start[rec] = now
        if log.response[rec] != log.response[rec]:  # NaN: no bot answered first
            log.response[rec] = now
        handle = log.service[rec] * (1.0 + self._slowdown * (agent.load - 1))
        log.service[rec] = handle
        done = self.env.timeout(handle, (rec, agent))
        done.callbacks.append(self._finish)

    def _finish(self, event: simpy.Event) -> None:
        rec, agent = event.value
        self.log.by[rec] = By.AGENT
        if self.log.fate[rec]:
            self._leave(rec, Outcome.RESOLVED, None)
        else:
            self._leave(rec, Outcome.UNRESOLVED, "on_unresolved")
        if self.pool.release(self.env.now, agent):
            self._dispatch()

    def _dispatch(self) -> None:
        """Give waiting contacts to agents with free slots."""
        pool, line = self.pool, self.line
        while len(line) and pool.has_capacity():
            rec = line.pop()
            if rec is None:
                return
            self._serve(rec, pool.acquire(self.env.now))

    def _bot(self, rec: int, deadline: float) -> None:
        delay = self._draw["bot_response"]() if "bot_response" in self._draw else 0.0
        if delay > 0:
            event = self.env.timeout(delay, (rec, deadline))
            event.callbacks.append(lambda e: self._bot_answer(*e.value))
        else:
            self._bot_answer(rec, deadline)

    def _bot_answer(self, rec: int, deadline: float) -> None:
        bot = self.spec.bot
        self.log.response[rec] = self.env.now
        self.log.by[rec] = By.BOT
        if self._draw["bot"]() < bot.resolution:
            self._leave(rec, Outcome.RESOLVED, None)
        elif bot.when == "always":
            # Hybrid: the human line takes over; patience runs from the hand-over.
            self._join(rec, deadline + (self.log.response[rec] - self.log.arrive[rec]))
        else:
            self._leave(rec, Outcome.UNRESOLVED, "on_unresolved")

    # -- abandonment -----------------------------------------------------------------

    def _arm_timer(self, deadline: float) -> None:
        # One pending timer per distinct earliest deadline, not one per contact.
        if not self._timers or self._timers[0] > deadline:
            heapq.heappush(self._timers, deadline)
            timer = self.env.timeout(deadline - self.env.now)
            timer.callbacks.append(self._on_timer)

    def _on_timer(self, _event: simpy.Event) -> None:
        heapq.heappop(self._timers)
        for rec in self.line.expire(self.env.now):
            self._leave(rec, Outcome.ABANDONED, "on_abandon")
        nxt = self.line.next_deadline()
        if nxt < math.inf:
            self._arm_timer(nxt)

    # -- leaving -----------------------------------------------------------------------

    def _leave(self, rec: int, outcome: Outcome, route: str | None) -> None:
        log = self.log
        log.end[rec] = self.env.now
        log.outcome[rec] = outcome
        self.in_flight -= 1
        chooser = self.routes.get(route) if route else None
        if chooser and log.hop[rec] < self._last_hop:
            dest = chooser.choose(self._draw["routing"]())
            if dest >= 0:
                log.next_queue[rec] = dest
                self.send(dest, log.contact[rec], log.hop[rec] + 1)
