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
from simpy.events import URGENT

from sim.agents import Agent, AgentPool
from sim.scenario import Breaks
from sim.timeline import ShiftInstance

if TYPE_CHECKING:
    from sim.node import Node

__all__ = ["Crew", "first_break"]


def first_break(k: int, n: int, breaks: Breaks) -> float:
    """When agent ``k`` of the ``n`` starting a shift takes its first break, from the start.

    Staggered over the period so that a shift's agents do not all go at once, and early enough
    that a break taken on time ends within its period.
    """
    return (k + 0.5) / n * (breaks.every - breaks.length)


class _ShiftChange(simpy.Event):
    """A timeout that SimPy processes before every ordinary event of its instant.

    A shift is on over [start, end): at its end no contact that falls due at the same
    instant (a pickup, a delivery) may go to its agents, and at its start every such
    contact finds them on. An ordinary timeout would leave that to the order in which
    SimPy happened to schedule the events.
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True  # a timeout's state, as simpy.Timeout sets it
        self._value = None
        env.schedule(self, URGENT, delay)


class Crew:
    """One roster of agents serving one or more queues.

    Args:
        env: the simulation environment.
        name: the team's name, or the queue's for a queue's own staff.
        nodes: the queues served, in the order they are listed.
        window: the measurement window of the agent-time integrals.
        numbers: agent numbers, shared by every crew of a replication.
        breaks: the break pattern of the agents, if any.
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
    ) -> None:
        self.env = env
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
            yield _ShiftChange(env, t - env.now)
            if starts:
                agents = pool.join(t, shift.agents, shift.end)
                if self.breaks is not None:
                    for k, agent in enumerate(agents):
                        due = t + first_break(k, len(agents), self.breaks)
                        env.process(self._break_schedule(agent, due))
                self.dispatch(t)
            else:
                pool.shift_ends(t, shift.agents, shift.end)
            if self.staffing[-1][0] == t:  # one entry per instant: the level after it
                self.staffing[-1] = (t, pool.on_shift)
            else:
                self.staffing.append((t, pool.on_shift))

    # -- work ----------------------------------------------------------------------------

    def dispatch(self, now: float) -> None:
        """Agents have become free (a shift starts, a break ends): give them work."""
        if self.pool.solo:
            self.nodes[0].dispatch()
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
