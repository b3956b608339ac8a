"""Agents on one roster and the queues they serve: a queue's own staff, or a team.

A :class:`Crew` brings its agents on and off shift (a SimPy process), sends them on
breaks, and gives a freed agent its next contact. Which contact a freed agent takes:
among the queues it serves whose waiting contacts it may take (it holds fewer than the
queue's ``concurrency.max``), the highest ``priority`` first, then the contact that has
waited longest (since it joined its line), then the queue listed first. Priorities are
non-preemptive: a contact in service is never interrupted. A queue's own agents serve
only their queue.

The dispatch keeps one invariant after every event: no free agent could take a waiting
contact. So an arriving contact only ever meets agents that found nothing to do, and a
freed agent is the only one that can take what is waiting.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import simpy
from simpy.events import URGENT, EventPriority

from sim.agents import Agent, AgentPool
from sim.scenario import Breaks
from sim.timeline import ShiftInstance

if TYPE_CHECKING:
    from sim.node import Node

__all__ = ["Crew", "ShiftStarts", "first_break"]


def first_break(k: int, n: int, breaks: Breaks) -> float:
    """When agent ``k`` of the ``n`` starting a shift takes its first break, from the start.

    Staggered over the period so that a shift's agents do not all go at once, and early enough
    that a break taken on time ends within its period.
    """
    return (k + 0.5) / n * (breaks.every - breaks.length)


# Shift changes come before every other event of their instant, process starts included;
# the dispatch of the agents who came on follows them (URGENT), before anything else.
_SHIFTS = EventPriority(URGENT - 1)


class _At(simpy.Event):
    """A timeout of SimPy priority ``priority`` (a lower one is processed first at a tie)."""

    def __init__(self, env: simpy.Environment, delay: float, priority: EventPriority) -> None:
        super().__init__(env)
        self._ok = True  # a timeout's state, as simpy.Timeout sets it
        self._value = None
        env.schedule(self, priority, delay)


class ShiftStarts:
    """The crews whose agents came on at the current instant, given work together.

    A shift is on over [start, end): at its end no contact falling due at the same
    instant (a pickup, a delivery) may go to its agents, and at its start every such
    contact finds them on, so shift changes come first at their instant. The crews that
    started agents then take work once every change of the instant is done: the queues'
    own staff first (in the queues' order), then the teams (in the file's order). Left
    to SimPy's order of events, a team starting with a queue's own staff could take the
    contact the own agent should have had, depending on when each last changed.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._count = 0
        self._started: dict[int, Crew] = {}

    def register(self) -> int:
        """A new crew's rank: crews are made own staff first, then teams."""
        self._count += 1
        return self._count - 1

    def add(self, crew: Crew) -> None:
        """``crew``'s agents came on now: give them work after the instant's changes."""
        if not self._started:
            _At(self.env, 0.0, URGENT).callbacks.append(self._dispatch)
        self._started[crew.rank] = crew

    def _dispatch(self, _event: simpy.Event) -> None:
        started, self._started = self._started, {}
        for rank in sorted(started):
            started[rank].dispatch(self.env.now)


class Crew:
    """One roster of agents serving one or more queues.

    Args:
        env: the simulation environment.
        name: the team's name, or the queue's for a queue's own staff.
        nodes: the queues served, in the order they are listed.
        window: the measurement window of the agent-time integrals.
        numbers: agent numbers, shared by every crew of a replication.
        breaks: the break pattern of the agents, if any.
        starts: where the replication's crews get work after shift starts (a new one: alone).
        own: whether the crew is a queue's own staff (else a team).
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        nodes: list[Node],
        *,
        window: tuple[float, float],
        numbers: Iterator[int],
        breaks: Breaks | None = None,
        starts: ShiftStarts | None = None,
        own: bool = False,
    ) -> None:
        self.env = env
        self.starts = starts = starts if starts is not None else ShiftStarts(env)
        self.rank = starts.register()
        self.own = own
        self.name = name
        self.nodes = nodes
        self.slots = max(node.slots for node in nodes)
        self.pool = AgentPool(self.slots, window, numbers, self, solo=len(nodes) == 1)
        self.breaks = breaks
        if breaks is not None:
            self.pool.on_stop = self._start_break
        self.staffing: list[tuple[float, int]] = [(0.0, 0)]

    # -- shifts --------------------------------------------------------------------------

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
            yield _At(env, t - env.now, _SHIFTS)
            if starts:
                agents = pool.join(t, shift.agents, shift.end)
                if self.breaks is not None:
                    for k, agent in enumerate(agents):
                        due = t + first_break(k, len(agents), self.breaks)
                        env.process(self._break_schedule(agent, due))
                self.starts.add(self)
            else:
                pool.shift_ends(t, shift.agents, shift.end)
            for node in self.nodes:
                node.restaff()
            if self.staffing[-1][0] == t:  # one entry per instant: the level after it
                self.staffing[-1] = (t, pool.on_shift)
            else:
                self.staffing.append((t, pool.on_shift))

    # -- work ----------------------------------------------------------------------------

    def dispatch(self, now: float) -> None:
        """Agents have become free (a shift starts, a break ends): give them work."""
        if self.pool.solo:
            # Only this crew's agents: handing the queue's contacts to any of its free
            # agents gave a team serving other queues too a contact that it would not
            # have chosen (one of its other queues' waited longer, or came first).
            self.nodes[0].dispatch_pool(self.pool)
            return
        pool = self.pool
        while (agent := pool.first_free(self.slots)) is not None and self.offer(agent, now):
            pass

    def offer(self, agent: Agent, now: float) -> bool:
        """Give free ``agent`` the contact it should take next, if any; return whether."""
        node = self.next_queue(agent.load)
        if node is None:
            return False
        self.pool.take(agent, now)
        node.serve_next(agent, now)
        return True

    def next_queue(self, load: int) -> Node | None:
        """The queue whose first waiting contact an agent holding ``load`` takes next."""
        best, key = None, None
        for node in self.nodes:
            if node.line.available and load < node.slots:
                if best is None:  # most often the only one: no ranking needed
                    best = node
                    continue
                if key is None:
                    key = (-best.priority, best.line.head_time())
                rank = (-node.priority, node.line.head_time())
                if rank < key:
                    best, key = node, rank
        return best

    # -- breaks --------------------------------------------------------------------------

    def _break_schedule(self, agent: Agent, due: float) -> Generator:
        """Breaks fall due every ``breaks.every`` from ``due`` until the shift ends."""
        env, every = self.env, self.breaks.every  # type: ignore[union-attr]
        while due < agent.leaves:
            yield env.timeout(due - env.now)
            agent.owed += 1
            if agent.away:
                pass  # taken right after the break in progress
            elif agent.load == 0:
                self._start_break(agent, due)
            else:
                self.pool.stop_taking(agent, due)
            due += every

    def _start_break(self, agent: Agent, now: float) -> None:
        self.pool.pause(agent, now)
        self._break_until(agent, now)

    def _break_until(self, agent: Agent, now: float) -> None:
        agent.owed -= 1
        end = min(now + self.breaks.length, agent.leaves)  # type: ignore[union-attr]
        self.env.timeout(end - now, agent).callbacks.append(self._end_break)

    def _end_break(self, event: simpy.Event) -> None:
        # The timeout's value is the agent (see _break_until): SimPy types it Any | None.
        agent: Agent = event.value  # type: ignore[assignment]
        now = self.env.now
        if agent.owed and now < agent.leaves:
            self._break_until(agent, now)  # a break owed meanwhile follows at once
        elif self.pool.resume(agent, now):
            self.dispatch(now)
