"""The run-time state of one queue: its line, its bot, its routes and its retrials.

A :class:`Node` reacts to contacts arriving (from outside, routed from another queue, or
trying again), starts services with the agents of the crews that serve it
(:mod:`sim.crew`: its own staff, and teams), and sends what it does not resolve on
through a ``send`` callable supplied by the network. Batch pickups are a SimPy process
(a generator function); arrivals, service ends, patience timers and delayed routes are
SimPy timeouts whose callbacks, SimPy's documented event hook, do the bookkeeping: they
are the frequent events, and a callback costs less than resuming a process.

An arriving contact that finds agents free goes to the queue's own agents first, then
to its teams' agents: the least-loaded one, and among those holding equally many
contacts the one that has done so longest (for idle agents, the one idle longest).
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Generator

import numpy as np
import simpy

from sim.agents import Agent, AgentPool
from sim.records import By, ContactLog, Outcome
from sim.routing import Route, dist_draws
from sim.scenario import Queue
from sim.streams import Draws, QueueStreams
from sim.waiting import WaitingLine

__all__ = ["NEW_CONTACT", "Node"]

Send = Callable[[int, int, int], None]  # (destination queue, contact, hop)
# What a hop draws on arrival: service, resolution, patience (None: no patience) and
# visibility.
ArrivalDraws = tuple[
    Callable[[], float], Callable[[], float], Callable[[], float] | None, Callable[[], float]
]

_RESOLVED, _UNRESOLVED, _ABANDONED = Outcome.RESOLVED, Outcome.UNRESOLVED, Outcome.ABANDONED
_BOT = int(By.BOT)

NEW_CONTACT = -1  # contact id of an external arrival: the log numbers it


def _uniforms(rng: np.random.Generator) -> Callable[[], float]:
    return Draws(rng.random).next


def _arrival_draws(spec: Queue, streams: QueueStreams, prefix: str = "") -> ArrivalDraws:
    """The per-hop draws, from the first attempts' streams or (``retry_``) the retrials'."""
    patience = spec.patience
    return (
        dist_draws(spec.service, streams[f"{prefix}service"]),
        _uniforms(streams[f"{prefix}resolution"]),
        dist_draws(patience, streams[f"{prefix}patience"]) if patience is not None else None,
        _uniforms(streams[f"{prefix}visibility"]),
    )


class Node:
    """One queue in one replication."""

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        spec: Queue,
        *,
        log: ContactLog,
        streams: QueueStreams,
        routes: dict[str, Route | None],
        send: Send,
        max_hops: int,
    ) -> None:
        self.env = env
        # SimPy builds a new bound method on every ``env.timeout`` access; keep one.
        self._timeout = env.timeout
        self.index = index
        self.spec = spec
        self.log = log
        self.send = send
        self._last_hop = max_hops - 1
        self._routes = routes
        self._on_unresolved = routes["on_unresolved"]
        self._on_abandon = routes["on_abandon"]
        self._parallel = routes["parallel"]
        self.slots = spec.slots
        self.priority = spec.priority
        self._slowdown = spec.concurrency.slowdown if spec.concurrency else 0.0
        self._batch = spec.pickup is not None
        self.line = WaitingLine(batch=self._batch)
        # Per-hop numbers are drawn on arrival, in arrival order, whatever happens next:
        # variants of a scenario then share them (common random numbers). Retrials draw
        # from streams of their own, so however many there are, first attempts keep theirs.
        self._first = _arrival_draws(spec, streams)
        self._again = _arrival_draws(spec, streams, "retry_") if spec.retry else self._first
        self._retry_p = spec.retry.probability if spec.retry else 0.0
        if spec.retry:
            self._u_retry = _uniforms(streams["retry"])
            self._retry_delay = dist_draws(spec.retry.after, streams["retry_delay"])
        # Parallel visits choose from their own stream: the other draws stay as they are.
        self._u_parallel = _uniforms(streams["parallel"]) if self._parallel else None
        bot_response = spec.bot.response if spec.bot else None
        self._bot_response = (
            dist_draws(bot_response, streams["bot_response"]) if bot_response else None
        )
        self._u_route = _uniforms(streams["routing"])
        self._u_bot = _uniforms(streams["bot"])
        # The decisions every arrival takes, read once: the spec is frozen.
        self._p_resolve, self._p_visible = spec.resolution, spec.visibility
        self._bot_always = spec.bot is not None and spec.bot.when == "always"
        self._bot_unstaffed = spec.bot is not None and spec.bot.when == "unstaffed"
        self._closed_waits = spec.closed == "wait"
        self._overflow = spec.overflow.threshold if spec.overflow is not None else None
        self._timers: list[float] = []
        self._on_finish = self._finish  # one bound method, not one per service
        self._own: AgentPool | None = None
        self._own_staffed = False
        self._teams: list[AgentPool] = []
        self._acquire: Callable[[float], Agent | None] = lambda _now: None

    def attach(self, pool: AgentPool, own: bool, staffed: bool = True) -> None:
        """Let ``pool``'s agents take this queue's contacts: its own staff, or a team.

        ``staffed``: whether the pool ever has agents (a queue without own staff).
        """
        if own:
            self._own, self._own_staffed = pool, staffed
        else:
            self._teams.append(pool)
        # The shortest way to an agent for each case: the hot path.
        if not self._teams:
            self._acquire = self._own.acquire  # type: ignore[union-attr]
        elif len(self._teams) == 1 and not self._own_staffed:
            self._acquire = functools.partial(self._teams[0].acquire, limit=self.slots)
        else:
            self._acquire = self._any_agent

    @property
    def pools(self) -> list[AgentPool]:
        """The agents who may take this queue's contacts: its own, then its teams'."""
        return [self._own, *self._teams]

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

    def pickups(self, times: list[float]) -> Generator:
        """Batch pickup: work is released to agents only at these times."""
        env = self.env
        for t in times:
            yield env.timeout(t - env.now)
            self.line.release_held()
            self.dispatch()

    # -- contact flow ------------------------------------------------------------------

    def arrive(
        self, contact: int, hop: int, now: float | None = None, draws: ArrivalDraws | None = None
    ) -> None:
        """A contact reaches this queue (``now``: the current time, if the caller has it).

        ``contact`` is the id of a routed contact, or ``NEW_CONTACT`` for an arrival from
        outside; ``draws`` are a retrial's.
        """
        if now is None:
            now = self.env.now
        log = self.log
        rec = log.open_hop(contact, hop, self.index, now)
        service, u_resolve, patience, u_visible = draws or self._first
        log.service[rec] = service()
        if self._p_resolve < 1.0:
            log.fate[rec] = u_resolve() >= self._p_resolve
        deadline = now + patience() if patience is not None else math.inf
        # A first attempt's parallel visit (a retrial does not open another), drawn on
        # every first arrival and used only if the contact gets in.
        twin = self._parallel.choose(self._u_parallel()) if self._parallel and not draws else -1
        if self._p_visible < 1.0 and u_visible() >= self._p_visible:
            self._leave(rec, Outcome.NOT_VISIBLE, self._routes["on_not_visible"])
            return
        staffed = self._own.on_shift > 0  # type: ignore[union-attr]
        if not staffed:
            for pool in self._teams:
                if pool.on_shift > 0:
                    staffed = True
                    break
        if self._bot_always or (self._bot_unstaffed and not staffed):
            self._bot(rec, deadline)
        elif staffed or self._closed_waits:
            # _join, its first step inlined: most arrivals find an agent free.
            agent = None if self._batch else self._acquire(now)
            if agent is None:
                self._wait(rec, deadline, now)
            else:
                self._serve(rec, agent, now)
        else:
            self._leave(rec, Outcome.CLOSED, self._routes["on_closed"])
        if twin >= 0 and log.hop[rec] < self._last_hop:
            dest = self._parallel.destinations[twin]  # type: ignore[union-attr]
            self.send(dest, log.contact[rec], log.hop[rec] + 1)

    def _join(self, rec: int, deadline: float, now: float) -> None:
        agent = None if self._batch else self._acquire(now)
        if agent is None:
            self._wait(rec, deadline, now)
        else:
            self._serve(rec, agent, now)

    def _wait(self, rec: int, deadline: float, now: float) -> None:
        line = self.line
        # Triage applies to contacts that would have to wait, never with an agent free.
        if self._overflow is not None and len(line) >= self._overflow:
            self._leave(rec, Outcome.OVERFLOW, self._routes["on_overflow"])
            return
        line.push(rec, deadline, now)
        if deadline < math.inf:
            self._arm_timer(deadline)

    def _any_agent(self, now: float) -> Agent | None:
        agent = self._own.acquire(now)  # type: ignore[union-attr]
        return agent if agent is not None else self._team_agent(now)

    def _team_agent(self, now: float) -> Agent | None:
        """The teams' least-loaded agent with a free slot for this queue, longest so."""
        for level in range(self.slots):
            best = None
            for pool in self._teams:
                if level < pool.max_chats and (agents := pool.free[level]):
                    candidate = next(iter(agents))
                    if best is None or candidate.since < best.since:
                        best = candidate
            if best is not None:
                best.pool.take(best, now)
                return best
        return None

    def _serve(self, rec: int, agent: Agent, now: float) -> None:
        log = self.log
        log.agent_start[rec] = now
        log.agent[rec] = agent.id
        handle = log.service[rec]
        if agent.load > 1:
            # Contacts of every queue the agent holds share its attention.
            handle *= 1.0 + self._slowdown * (agent.load - 1)
            log.service[rec] = handle
        self._timeout(handle, (rec, agent)).callbacks.append(self._on_finish)

    def serve_next(self, agent: Agent, now: float) -> None:
        """``agent`` (already holding its slot) takes the longest-waiting contact."""
        self._serve(self.line.pop(), agent, now)

    def _finish(self, event: simpy.Event) -> None:
        rec, agent = event.value
        log, now = self.log, self.env.now
        if log.fate[rec]:
            self._leave(rec, _UNRESOLVED, self._on_unresolved)
        else:
            log.end[rec] = now
            log.outcome[rec] = _RESOLVED
        # An agent that held only this contact and stays on takes its next contact
        # itself, keeping its slot: from this queue's line if it serves no other.
        if agent.solo:
            line = self.line
            if line.available and agent.load == 1 and now < agent.stop:
                self._serve(line.pop(), agent, now)
            elif agent.pool.release(now, agent) and line.available:
                self.dispatch()
            return
        if agent.load == 1 and now < agent.stop:
            node = agent.crew.next_queue(0)
            if node is None:
                agent.pool.release(now, agent)  # nothing it may take waits: it is free
            else:
                node.serve_next(agent, now)
        elif agent.pool.release(now, agent):
            agent.crew.offer(agent, now)

    def dispatch(self) -> None:
        """Give waiting contacts to agents with free slots, own agents first."""
        line, now, acquire = self.line, self.env.now, self._acquire
        while line.available:
            agent = acquire(now)
            if agent is None:
                return
            self._serve(line.pop(), agent, now)

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

    # -- abandonment and retrials ------------------------------------------------------

    def _arm_timer(self, deadline: float) -> None:
        # One pending timer per distinct earliest deadline, not one event per contact.
        timers = self._timers
        if not timers or timers[0] > deadline:
            heapq.heappush(timers, deadline)
            self._timeout(deadline - self.env.now).callbacks.append(self._on_timer)

    def _on_timer(self, _event: simpy.Event) -> None:
        heapq.heappop(self._timers)
        for rec in self.line.expire(self.env.now):
            self._abandon(rec)
        following = self.line.next_deadline()
        if following < math.inf:
            self._arm_timer(following)

    def _abandon(self, rec: int) -> None:
        """A contact gives up: it tries again later, or follows ``on_abandon``."""
        log = self.log
        if self._retry_p and log.hop[rec] < self._last_hop and self._u_retry() < self._retry_p:
            log.end[rec] = self.env.now
            log.outcome[rec] = _ABANDONED
            log.next_queue[rec] = self.index
            self._later(self._retry_delay(), self.index, rec, self._again)
            return
        self._leave(rec, _ABANDONED, self._on_abandon)

    # -- leaving -----------------------------------------------------------------------

    def _leave(self, rec: int, outcome: int, route: Route | None) -> None:
        log = self.log
        log.end[rec] = self.env.now
        log.outcome[rec] = outcome
        if route is not None and log.hop[rec] < self._last_hop:
            chosen = route.choose(self._u_route())
            if chosen >= 0:
                dest = route.destinations[chosen]
                log.next_queue[rec] = dest
                delay = route.delays[chosen]
                if delay is None:
                    self.send(dest, log.contact[rec], log.hop[rec] + 1)
                else:
                    self._later(delay(), dest, rec)

    def _later(self, delay: float, dest: int, rec: int, draws: ArrivalDraws | None = None) -> None:
        """Send the contact of hop ``rec`` on to ``dest`` after ``delay``."""
        log = self.log
        contact, hop = log.contact[rec], log.hop[rec] + 1
        log.transit[rec] = (dest, contact, hop, self.env.now + delay)
        self._timeout(delay, (rec, draws)).callbacks.append(self._deliver)

    def _deliver(self, event: simpy.Event) -> None:
        rec, draws = event.value
        dest, contact, hop, _ = self.log.transit.pop(rec)
        if draws is None:
            self.send(dest, contact, hop)
        else:
            self.arrive(contact, hop, None, draws)
