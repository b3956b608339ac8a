"""The run-time state of one queue: its line, its bot, its routes and its retrials.

A :class:`Node` reacts to contacts arriving (from outside, routed from another queue, or
trying again), starts services with the agents of the crews that serve it
(:mod:`sim.crew`: its own staff, and teams), and sends what it does not resolve on
to the other nodes of the network. Batch pickups are one SimPy process for the whole
scenario (:mod:`sim.pickups`); service ends, patience timers, bot answers and delayed
routes are calls scheduled on the environment (``Environment.call_at``), in the order
SimPy would give timeouts scheduled at the same moments: they are the frequent events,
and a call costs less than an event with a callback, which costs less than resuming a
process. Arrivals from outside are sampled before the run and fed to the environment
in time order (``Environment.feed``, see :mod:`sim.engine`): each calls ``arrive``.

An arriving contact that finds agents free goes to the queue's own agents first, then
to its teams' agents: the least-loaded one, and among those holding equally many
contacts the one that has done so longest (for idle agents, the one idle longest).
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from simpy.events import NORMAL

from sim.agents import Agent, AgentPool
from sim.distributions import Distribution
from sim.environment import Call, Environment
from sim.records import By, ContactLog, Outcome, Row
from sim.routing import Route
from sim.scenario import ROUTE_FIELDS, Queue
from sim.streams import Draws, JointDraws, QueueStreams
from sim.waiting import WaitingLine

if TYPE_CHECKING:
    from simpy.core import SimTime

__all__ = ["NEW_CONTACT", "Node"]

# Final, here and below: a static when compiled (see sim.environment).
_heappush: Final = heapq.heappush

# What a hop draws on arrival, in one call (each None when the queue does not use it):
# service, resolution, patience and visibility, then its later decisions: the route it
# leaves by, the bot's answer and its response time, whether it tries again after
# giving up and after how long. The service time and the route's draw are only stored
# (in the log's columns): Stored keeps them, compiled, the objects the stream gave, where
# a float would be unboxed and boxed again to be stored.
Draw = float | None
Stored = Any  # a float, or None for the route's draw
ArrivalDraws = Callable[[], tuple[Stored, Draw, Draw, Draw, Stored, Draw, Draw, Draw, Draw]]


_RESOLVED: Final = Outcome.RESOLVED
_UNRESOLVED: Final = Outcome.UNRESOLVED
_ABANDONED: Final = Outcome.ABANDONED
_BOT: Final = int(By.BOT)

NEW_CONTACT: Final = -1  # contact id of an external arrival: the log numbers it
# The draws a queue does not use: one iterator for them all, which stays in the cache.
_NONE: Final = itertools.repeat(None)
_INF: Final = math.inf


def _uniforms(rng: np.random.Generator) -> Callable[[], float]:
    return Draws(rng.random).next


def _arrival_draws(
    spec: Queue, streams: QueueStreams, prefix: str = "", source: str | None = None
) -> ArrivalDraws:
    """The per-hop draws of first attempts, of retrials (``retry_``) or of routed visits.

    Routed visits (``routed_``) draw from streams of their own per ``source``, the name of
    the queue they come from. Each kind of draw has its own stream, sampled in blocks
    that are laid out side by side (:class:`sim.streams.JointDraws`): a hop takes one
    draw of each kind, in one call. A draw the queue never uses (resolution certain, no
    patience, always visible, no route, no bot, no retrials) is None and takes nothing
    from its stream. Decisions taken later in the visit are drawn here too, on arrival:
    taken in the order things happen, they would be dealt to other visits whenever a
    what-if change moved that order.
    """
    bot, retry = spec.bot, spec.retry
    kinds: list[tuple[str, Distribution | None, bool]] = [  # None: a uniform draw
        ("service", spec.service, True),
        ("resolution", None, spec.resolution < 1.0),
        ("patience", spec.patience, spec.patience is not None),
        ("visibility", None, spec.visibility < 1.0),
        ("routing", None, routes_out(spec)),
        ("bot", None, bot is not None),
        ("bot_response", bot.response if bot else None, bool(bot and bot.response)),
        ("retry", None, retry is not None),
        ("retry_delay", retry.after if retry else None, retry is not None),
    ]

    def sampler(kind: str, dist: Distribution | None) -> Callable[[int], np.ndarray]:
        rng = streams[prefix + kind] if source is None else streams.child(prefix + kind, source)
        return rng.random if dist is None else functools.partial(dist.sample, rng)

    # The used kinds' draws come in turn from one iterator: zip takes them in order.
    joint = JointDraws([sampler(kind, dist) for kind, dist, used in kinds if used]).values
    draws = zip(
        *(joint if used else _NONE for _, _, used in kinds),
        strict=False,  # endless streams
    )
    return functools.partial(next, draws)


def routes_out(spec: Queue) -> bool:
    """Whether the queue routes contacts anywhere (a route field with a destination)."""
    return any(getattr(spec, field) for field in ROUTE_FIELDS)


# Node's attributes: its __slots__, and what release lets go of.
_FIELDS = (
    "_acquire",
    "_again",
    "_batch",
    "_bot_always",
    "_bot_hands_over",
    "_bot_resolves",
    "_bot_unstaffed",
    "_call_at",
    "_closed_waits",
    "_due_at",
    "_first",
    "_from",
    "_last_hop",
    "_on_abandon",
    "_on_answer",
    "_on_delivery",
    "_on_finish",
    "_on_timer",
    "_on_unresolved",
    "_overflow",
    "_own",
    "_own_staffed",
    "_p_resolve",
    "_p_visible",
    "_parallel",
    "_retry_p",
    "_routes",
    "_slowdown",
    "_streams",
    "_teams",
    "_tie",
    "_timers",
    "_times",
    "_u_parallel",
    "arrive",
    "env",
    "index",
    "line",
    "log",
    "name",
    "network",
    "priority",
    "slots",
    "spec",
    "staffed",
)


class Node:
    """One queue in one replication."""

    # A node's attributes are read on every event. As slots they sit in the object; as
    # ordinary attributes, more than 30 of them (there are 45) outgrow the key table that
    # CPython shares between a class's instances, and every read became a dict lookup
    # (4.5% of a platform visit's instructions, 2% of an Erlang-A contact's).
    __slots__ = _FIELDS
    # Compiled (mypyc), a node's attributes can be deleted (release) only when listed here,
    # as a literal (a name is refused): the same names as _FIELDS (tests/test_compiled.py).
    # fmt: off
    __deletable__ = (
        "_acquire", "_again", "_batch", "_bot_always", "_bot_hands_over", "_bot_resolves",
        "_bot_unstaffed", "_call_at", "_closed_waits", "_due_at", "_first", "_from", "_last_hop",
        "_on_abandon", "_on_answer", "_on_delivery", "_on_finish", "_on_timer", "_on_unresolved",
        "_overflow", "_own", "_own_staffed", "_p_resolve", "_p_visible", "_parallel", "_retry_p",
        "_routes", "_slowdown", "_streams", "_teams", "_tie", "_timers", "_times", "_u_parallel",
        "arrive", "env", "index", "line", "log", "name", "network", "priority", "slots", "spec",
        "staffed",
    )
    # fmt: on

    def __init__(
        self,
        env: Environment,
        index: int,
        spec: Queue,
        *,
        name: str,
        log: ContactLog,
        streams: QueueStreams,
        routes: dict[str, Route | None],
        network: list[Node],
        max_hops: int,
    ) -> None:
        self.env = env
        self._call_at = env.call_at
        # call_at's parts, for the frequent calls written out (see Environment.parts).
        self._times, self._due_at, self._tie = env.parts()
        self.index = index
        self.name = name
        self.spec = spec
        self.log = log
        # Every node of the replication, by queue index (filled in as they are built):
        # a routed contact goes straight to its destination's ``arrive``.
        self.network = network
        self._last_hop = max_hops - 1
        self._routes = routes
        self._on_unresolved = routes["on_unresolved"]
        self._on_abandon = routes["on_abandon"]
        self._parallel = routes["parallel"]
        # Typed where read on the hot path: compiled (mypyc), a float or an int attribute is
        # a C value, where one taken untyped from the spec is compared as an object.
        self.slots: int = spec.slots
        self.priority: int = spec.priority
        self._slowdown: float = spec.concurrency.slowdown if spec.concurrency else 0.0
        self._batch: bool = spec.pickup is not None
        self.line = WaitingLine(batch=self._batch)
        # Per-hop numbers are drawn on arrival, in arrival order, whatever happens next:
        # variants of a scenario then share them (common random numbers). Retrials draw
        # from streams of their own, so however many there are, first attempts keep theirs.
        self._first = _arrival_draws(spec, streams)
        self._again = _arrival_draws(spec, streams, "retry_") if spec.retry else self._first
        # Routed visits draw from a stream per queue they come from (made when first
        # needed): a change upstream that moves routed arrivals leaves this queue's own
        # arrivals, and contacts routed from other queues, their draws.
        self._streams, self._from = streams, dict[int, ArrivalDraws]()
        self._retry_p: float = spec.retry.probability if spec.retry else 0.0
        # A hop's later decisions, drawn on arrival, wait in working columns until taken.
        if routes_out(spec):
            log.route_draws()
        if spec.retry:
            log.retry_delays()
        # Parallel visits choose from their own stream: the other draws stay as they are.
        self._u_parallel: Callable[[], float] | None = (
            _uniforms(streams["parallel"]) if self._parallel else None
        )
        # A contact reaches this queue (see _arrive): the method is chosen once, so that a
        # queue without parallel visits spends nothing on them.
        self.arrive: Callable[..., Row] = self._arrive_with_twin if self._parallel else self._arrive
        # The decisions every arrival takes, read once: the spec is frozen.
        self._p_resolve: float = spec.resolution
        self._p_visible: float = spec.visibility
        self._bot_always: bool = spec.bot is not None and spec.bot.when == "always"
        self._bot_unstaffed: bool = spec.bot is not None and spec.bot.when == "unstaffed"
        self._closed_waits: bool = spec.closed == "wait"
        # What the bot settles and what it hands to the agents. Read once: an attribute
        # of a pydantic model costs a slow lookup (its class defines ``__getattr__``).
        self._bot_resolves: float = spec.bot.resolution if spec.bot else 0.0
        self._bot_hands_over: bool = self._bot_always or (
            spec.bot is not None and spec.bot.unresolved == "wait"
        )
        self._overflow: int | None = spec.overflow.threshold if spec.overflow is not None else None
        # The deadlines of the pending patience timers. A timer is armed only for a deadline
        # earlier than every pending one, so the list is decreasing: the next to fire is
        # the last, and a stack does what a heap would.
        self._timers: list[float] = []
        # The scheduled calls' callables (see Environment.call_at), bound once: a bound
        # method is built anew on every attribute access.
        self._on_finish = self._finish
        self._on_timer = self._time_up
        self._on_delivery = self._deliver
        self._on_answer = self._answer
        self._own: AgentPool | None = None
        self._own_staffed = False
        self._teams: list[AgentPool] = []
        # Whether an agent who may take this queue's contacts is on shift: read on every
        # arrival, changed only when shifts start or end (see restaff).
        self.staffed = False
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
            team = self._teams[0]
            # A limit of the team's own most (the common case) is no limit: the bare
            # method is cheaper to call than a partial with a keyword.
            self._acquire = (
                team.acquire
                if self.slots >= team.max_chats
                else functools.partial(team.acquire, limit=self.slots)
            )
        else:
            self._acquire = self._any_agent

    def restaff(self) -> None:
        """Look again whether any of the pools' agents is on shift (a shift began or ended)."""
        self.staffed = any(pool.on_shift > 0 for pool in self.pools)

    def release(self) -> None:
        """Let go of everything the node holds, once its replication is over.

        A replication's nodes, agents and SimPy events refer to one another (the network,
        callbacks, bound methods): cyclic garbage that Python frees only at its next full
        collection, which may come several replications later. A worker running one
        replication after another then held each one's records and random-number blocks
        until then (weeks of the document's platform: a peak 173 MiB over the worker's
        start, 76 MiB without them); with the node emptied, reference counting frees
        them at once.
        """
        for name in _FIELDS:
            with contextlib.suppress(AttributeError):  # a few are set only when used
                delattr(self, name)

    def draws_from(self, source: Node) -> ArrivalDraws:
        """The per-hop draws of the visits routed here from ``source``."""
        draws = self._from.get(source.index)
        if draws is None:
            draws = _arrival_draws(self.spec, self._streams, "routed_", source.name)
            self._from[source.index] = draws
        return draws

    @property
    def pools(self) -> list[AgentPool]:
        """The agents who may take this queue's contacts: its own, then its teams'."""
        own = [self._own] if self._own is not None else []  # None until attached
        return [*own, *self._teams]

    # -- contact flow ------------------------------------------------------------------
    # ``now`` is passed down every call chain: it is always the clock's time (``env.now``),
    # read once per event rather than once per step.

    def _arrive(
        self,
        now: float,
        contact: int = NEW_CONTACT,
        hop: int = 0,
        draws: ArrivalDraws | None = None,
    ) -> Row:
        """A contact reaches this queue at ``now`` (the current time): ``arrive``.

        ``contact`` is the id of a routed contact, or ``NEW_CONTACT`` for an arrival from
        outside (``arrive(now)``, as the environment calls it: see :mod:`sim.engine`),
        and ``hop`` its hop; ``draws`` are a retrial's or a routed visit's (see
        :meth:`draws_from`).
        Returns the hop's record, or -1 if the queue turned the contact away on arrival
        (hidden entry, closed hours, a full line).
        """
        log = self.log
        rec = log.open_hop(contact, hop, self.index, now)
        service, u_resolve, patience, u_visible, u_route, u_bot, bot_delay, u_retry, retry_after = (
            draws or self._first
        )()
        log.service[rec] = service
        if u_resolve is not None and u_resolve >= self._p_resolve:
            log.fate[rec] = True  # an agent will not resolve it (the column reads 0 until then)
        if u_route is not None:
            log.route_u[rec] = u_route
        if u_retry is not None and u_retry < self._retry_p:
            log.retry_after[rec] = retry_after  # type: ignore[assignment]
        deadline = now + patience if patience is not None else _INF
        if u_visible is not None and u_visible >= self._p_visible:
            self._leave(rec, Outcome.NOT_VISIBLE, self._routes["on_not_visible"], now)
            return -1
        if self._bot_always:
            self._bot(rec, deadline, now, u_bot, bot_delay)  # type: ignore[arg-type]
            return rec
        staffed = self.staffed
        if self._bot_unstaffed and not staffed:
            self._bot(rec, deadline, now, u_bot, bot_delay)  # type: ignore[arg-type]
        elif staffed or self._closed_waits:
            # _hand_over, inlined (the hot path), with triage: a new contact that would
            # wait finds the line long and goes elsewhere (never with an agent free).
            if self.line.available or self._batch or (agent := self._acquire(now)) is None:
                if self._overflow is not None and len(self.line) >= self._overflow:
                    self._leave(rec, Outcome.OVERFLOW, self._routes["on_overflow"], now)
                    return -1
                # _wait, written out: most arrivals at a busy queue wait.
                self.line.push(rec, deadline, now)
                timers = self._timers
                if deadline < _INF and (not timers or timers[-1] > deadline):
                    self._arm_timer(deadline, now)
            else:
                self._serve(rec, agent, now)
        else:
            self._leave(rec, Outcome.CLOSED, self._routes["on_closed"], now)
            return -1
        return rec

    def _arrive_with_twin(
        self,
        now: float,
        contact: int = NEW_CONTACT,
        hop: int = 0,
        draws: ArrivalDraws | None = None,
    ) -> Row:
        """``arrive`` at a queue with parallel visits: the contact may open one elsewhere.

        A first attempt's parallel visit (a retrial does not open another) is drawn on
        every first arrival (common random numbers) and opened only if this queue takes
        the contact in: a shopper turned away on arrival (hidden entry, closed hours, a
        full line) is not chatting here, and its turn-away route says where it goes.
        """
        u = self._u_parallel() if draws is not self._again else None  # type: ignore[misc]
        rec = self._arrive(now, contact, hop, draws)
        if u is None or rec < 0:
            return rec
        twin = self._parallel.choose(u)  # type: ignore[union-attr]
        log = self.log
        if twin >= 0 and log.hop[rec] < self._last_hop:
            node = self.network[self._parallel.destinations[twin]]  # type: ignore[union-attr]
            node.arrive(now, log.contact[rec], log.hop[rec] + 1, node.draws_from(self))
        return rec

    def _hand_over(self, rec: Row, deadline: float, now: float) -> None:
        """The bot hands the contact to the agents: an agent, or the line, untriaged.

        Triage (``overflow``) turns away new contacts, in ``arrive``; this one has had
        the bot's answer and is promised a person.
        """
        # The dispatch keeps every agent who could take a waiting contact busy (see
        # sim.crew), so while contacts wait, none is free: a newcomer joins the line
        # without looking for one. Most arrivals at a busy queue take this way.
        if self.line.available or self._batch or (agent := self._acquire(now)) is None:
            self._wait(rec, deadline, now)
        else:
            self._serve(rec, agent, now)

    def _wait(self, rec: Row, deadline: float, now: float) -> None:
        self.line.push(rec, deadline, now)
        timers = self._timers
        if deadline < _INF and (not timers or timers[-1] > deadline):
            self._arm_timer(deadline, now)

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

    def _serve(self, rec: Row, agent: Agent, now: float) -> None:
        log = self.log
        log.agent_start[rec] = now
        log.agent[rec] = agent.id
        handle = log.service[rec]
        if agent.load > 1:
            # Contacts of every queue the agent holds share its attention.
            handle *= 1.0 + self._slowdown * (agent.load - 1)
            log.service[rec] = handle
        # The end time rides along: it is the clock's time when the call comes.
        end: SimTime = now + handle  # boxed once, compiled (see Row)
        entry: Call = (self._on_finish, rec, agent, end)
        if self._due_at(end, entry) is entry:  # call_at, written out (the hot path)
            _heappush(self._times, end)
        else:
            self._tie(end, NORMAL, entry)

    def serve_next(self, agent: Agent, now: float) -> None:
        """``agent`` (already holding its slot) takes the longest-waiting contact."""
        self._serve(self.line.pop(), agent, now)

    def _finish(self, call: Call) -> None:
        # Declared: compiled (mypyc), an agent taken untyped from the call was read through
        # Python attribute lookups and method calls, and compared with a time boxed anew.
        agent: Agent
        now: float
        _, rec, agent, now = call
        log = self.log
        # The agent is done with the contact before an unresolved one goes on (below):
        # sent on first, it met its own agent still holding it, as a chat slot free beside
        # itself (with concurrency), and took it, stretched by the chat just ended, ahead
        # of whatever waited. Inline, not a method of its own: this is the hot path.
        sent_on = log.fate[rec]
        if not sent_on:
            log.outcome[rec] = _RESOLVED  # its end is start + handle time: see ContactLog.close
        if agent.solo:
            # While contacts wait, every agent who could take one is full (the dispatch's
            # invariant), so the agent finishing here is the only one with a slot: it
            # takes the longest-waiting contact itself, keeping the slot, at any load.
            line = self.line
            if line.available and now < agent.stop:
                self._serve(line.pop(), agent, now)
            else:
                agent.pool.release(now, agent)
        # An agent of a team that held only this contact and stays on takes its next
        # contact itself, keeping its slot.
        elif agent.load == 1 and now < agent.stop:
            node = agent.crew.next_queue(0)
            if node is None:
                agent.pool.release(now, agent)  # nothing it may take waits: it is free
            else:
                node.serve_next(agent, now)
        elif agent.pool.release(now, agent):
            agent.crew.offer(agent, now)
        if sent_on:
            self._leave(rec, _UNRESOLVED, self._on_unresolved, now)

    def dispatch_pool(self, pool: AgentPool) -> None:
        """Give waiting contacts to free agents of ``pool``, which serves only this queue."""
        line, now, acquire = self.line, self.env.now, pool.acquire
        while line.available and (agent := acquire(now)) is not None:
            self._serve(line.pop(), agent, now)

    def take_one(self, now: float) -> bool:
        """Give the longest-waiting contact (one must be) to a free agent; return whether."""
        agent = self._acquire(now)
        if agent is None:
            return False
        self._serve(self.line.pop(), agent, now)
        return True

    def _bot(self, rec: Row, deadline: float, now: float, u: float, delay: float | None) -> None:
        """The bot takes the contact: ``u`` decides its answer, given after ``delay``."""
        if delay:
            # The answer's time rides along: it is the clock's time when the call comes.
            at: SimTime = now + delay
            self._call_at(at, (self._on_answer, rec, deadline, at, u))
        else:
            self._bot_answer(rec, deadline, now, u)

    def _answer(self, call: Call) -> None:
        _, rec, deadline, now, u = call
        self._bot_answer(rec, deadline, now, u)

    def _bot_answer(self, rec: Row, deadline: float, now: float, u: float) -> None:
        log = self.log
        log.response[rec] = now
        log.by[rec] = _BOT
        if u < self._bot_resolves:
            self._leave(rec, _RESOLVED, None, now)
        elif self._bot_hands_over:
            # The human line takes over; patience runs from the hand-over.
            self._hand_over(rec, deadline + (now - log.arrive[rec]), now)
        else:
            self._leave(rec, _UNRESOLVED, self._on_unresolved, now)

    # -- abandonment and retrials ------------------------------------------------------

    def _arm_timer(self, deadline: float, now: float) -> None:
        """Wake up at ``deadline``, earlier than any timer pending (the caller checks).

        One pending timer per distinct earliest deadline, not one event per contact.
        """
        self._timers.append(deadline)
        # now + (deadline - now), as SimPy's clock would sum a timeout's delay: it may
        # differ from the deadline in the last bit.
        at: SimTime = now + (deadline - now)
        entry: Call = (self._on_timer, at)
        if self._due_at(at, entry) is entry:  # call_at, written out (the hot path)
            _heappush(self._times, at)
        else:
            self._tie(at, NORMAL, entry)

    def _time_up(self, call: Call) -> None:
        now = call[1]
        timers = self._timers
        timers.pop()
        gone, following = self.line.expire(now)
        for rec in gone:
            self._abandon(rec, now)
        if following < _INF and (not timers or timers[-1] > following):
            self._arm_timer(following, now)

    def _abandon(self, rec: Row, now: float) -> None:
        """A contact gives up: it tries again later, or follows ``on_abandon``."""
        log = self.log
        if self._retry_p and log.hop[rec] < self._last_hop:
            after = log.retry_after[rec]
            if not math.isnan(after):  # decided on arrival that it tries again
                log.end[rec] = now
                log.outcome[rec] = _ABANDONED
                log.next_queue[rec] = self.index
                self._later(after, self.index, rec, now, self._again)
                return
        self._leave(rec, _ABANDONED, self._on_abandon, now)

    # -- leaving -----------------------------------------------------------------------

    def _leave(self, rec: Row, outcome: int, route: Route | None, now: float) -> None:
        log = self.log
        log.end[rec] = now
        log.outcome[rec] = outcome
        if route is not None and log.hop[rec] < self._last_hop:
            chosen = route.choose(log.route_u[rec])
            if chosen >= 0:
                dest = route.destinations[chosen]
                log.next_queue[rec] = dest
                delay = route.delays[chosen]
                node = self.network[dest]
                if delay is None:
                    node.arrive(now, log.contact[rec], log.hop[rec] + 1, node.draws_from(self))
                else:
                    self._later(delay(), dest, rec, now, node.draws_from(self))

    def _later(self, delay: float, dest: int, rec: Row, now: float, draws: ArrivalDraws) -> None:
        """Send the contact of hop ``rec`` on to ``dest`` after ``delay``, with its draws."""
        log = self.log
        contact, hop = log.contact[rec], log.hop[rec] + 1
        due: SimTime = now + delay
        log.transit[rec] = (dest, contact, hop, due)
        self._call_at(due, (self._on_delivery, rec, draws))

    def _deliver(self, call: Call) -> None:
        _, rec, draws = call
        # Due at now + delay when sent: the clock's time now.
        dest, contact, hop, due = self.log.transit.pop(rec)
        self.network[dest].arrive(due, contact, hop, draws)
