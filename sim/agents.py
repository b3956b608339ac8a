"""A pool of agents who come and go with their shifts, take breaks and may hold several chats.

Agents are individuals (an agent's shift end is its own), so an agent whose shift ends
finishes what it holds and only then leaves, while agents of the next shift start
fresh. With chat concurrency, a new contact goes to the least-loaded agent; among
agents holding equally many contacts, to the one that has held that many longest (for
idle agents: the one idle longest).

The pool is bookkeeping only: who is free at which load, who is on shift, present or on
break, and the time integrals of those counts. When agents come and go, and what they
take, is decided by :mod:`sim.crew`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Agent", "AgentPool"]


class Agent:
    """One agent: its number, shift end, contacts held and break state.

    ``stop`` is when the agent stops taking new contacts: its shift end, or earlier
    while a break it owes waits for the contacts in hand to finish.
    """

    __slots__ = ("away", "crew", "id", "leaves", "load", "owed", "pool", "since", "solo", "stop")

    def __init__(self, number: int, leaves: float, now: float, pool: AgentPool) -> None:
        self.id = number
        self.leaves = self.stop = leaves
        self.load = 0
        self.since = now  # when the agent last reached its current load
        self.pool = pool
        self.crew = pool.crew
        self.solo = pool.solo
        self.owed = 0  # breaks fallen due and not yet taken
        self.away = False  # on break


class AgentPool:
    """Agents on duty, with time-integrated headcounts over the measurement window.

    ``on_shift`` counts agents scheduled now; ``present`` also counts agents finishing a
    contact after their shift; ``on_break`` those on a break (always within their
    shift). Busy time is not tracked here: it follows exactly from the per-contact
    records (see :mod:`sim.engine`), which keeps the hot path short.

    Args:
        max_chats: contacts an agent may hold at once (the most any served queue allows).
        window: the measurement window of the time integrals.
        numbers: where agent numbers come from (shared by every pool of a replication).
        crew: the owner, carried by every agent so a freed agent finds its work.
        solo: whether the pool's agents serve one queue only.
    """

    def __init__(
        self,
        max_chats: int,
        window: tuple[float, float],
        numbers: Iterator[int],
        crew: Any = None,
        solo: bool = True,
    ) -> None:
        self.max_chats = max_chats
        self.crew = crew
        self.solo = solo
        self._numbers = numbers
        self.on_shift = 0
        self.present = 0
        self.on_break = 0
        # free[k]: agents holding k contacts, k < max_chats; dicts as ordered sets, in
        # the order the agents reached that load.
        self.free: list[dict[Agent, None]] = [{} for _ in range(max_chats)]
        self.ids: list[int] = []
        # Called when an agent that owes a break has finished its last contact.
        self.on_stop: Callable[[Agent, float], None] | None = None
        self._window = window
        self._last = window[0]
        self.present_time = 0.0
        self.on_shift_time = 0.0
        self.break_time = 0.0
        # Agents on a break from each instant on (a step function, changes only): what
        # the hourly figures subtract from agents on shift.
        self.breaks: list[tuple[float, int]] = [(0.0, 0)]

    def _advance(self, now: float) -> None:
        lo, hi = max(self._last, self._window[0]), min(now, self._window[1])
        if hi > lo:
            self.present_time += self.present * (hi - lo)
            self.on_shift_time += self.on_shift * (hi - lo)
            self.break_time += self.on_break * (hi - lo)
        self._last = max(self._last, now)

    def join(self, now: float, count: int, leaves: float) -> list[Agent]:
        """``count`` agents start a shift that ends at ``leaves``; return them."""
        self._advance(now)
        self.on_shift += count
        self.present += count
        idle = self.free[0]
        agents = [Agent(next(self._numbers), leaves, now, self) for _ in range(count)]
        for agent in agents:
            idle[agent] = None
            self.ids.append(agent.id)
        return agents

    def shift_ends(self, now: float, count: int, leaves: float) -> None:
        """A shift of ``count`` agents ends: idle ones leave, busy ones after their work.

        Agents on a break end it now and leave (their break ends with the shift).
        """
        self._advance(now)
        self.on_shift -= count
        for level, agents in enumerate(self.free):
            for agent in [a for a in agents if a.leaves == leaves]:
                del agents[agent]
                if level == 0:
                    self.present -= 1

    def first_free(self, limit: int) -> Agent | None:
        """The least-loaded agent holding fewer than ``limit`` contacts, longest at its load."""
        for level in range(min(limit, self.max_chats)):
            agents = self.free[level]
            if agents:
                return next(iter(agents))
        return None

    def take(self, agent: Agent, now: float) -> None:
        """``agent`` (a free one) takes a contact."""
        level = agent.load
        del self.free[level][agent]
        agent.load = level = level + 1
        if level < self.max_chats:
            agent.since = now
            self.free[level][agent] = None

    def acquire(self, now: float, limit: int = 0) -> Agent | None:
        """Give a contact to the least-loaded agent with fewer than ``limit`` contacts.

        ``limit`` 0 means the pool's own ``max_chats``.
        """
        if self.max_chats == 1:  # the common case, kept short
            idle = self.free[0]
            if not idle:
                return None
            # The first is the one idle longest; a bare loop reads it fastest.
            for agent in idle:  # noqa: B007
                break
            del idle[agent]
            agent.load = 1
            return agent
        # first_free and take, inlined: with chat concurrency this runs on every arrival
        # that finds the line empty and every dispatch.
        free = self.free
        for level in range(min(limit, self.max_chats) if limit else self.max_chats):
            agents = free[level]
            if agents:
                for agent in agents:  # noqa: B007
                    break
                del agents[agent]
                agent.load = load = level + 1
                if load < self.max_chats:
                    agent.since = now
                    free[load][agent] = None
                return agent
        return None

    def release(self, now: float, agent: Agent) -> bool:
        """An agent finishes a contact; return whether it stays with a free slot."""
        load = agent.load
        if load < self.max_chats:
            # Absent from the free sets when it has stopped taking work.
            self.free[load].pop(agent, None)
        agent.load = load = load - 1
        if now >= agent.stop:
            if load == 0:
                if now >= agent.leaves:
                    self._advance(now)
                    self.present -= 1
                else:
                    self.on_stop(agent, now)  # type: ignore[misc]  # a break is owed
            return False
        agent.since = now
        self.free[load][agent] = None
        return True

    # -- breaks --------------------------------------------------------------------------

    def stop_taking(self, agent: Agent, now: float) -> None:
        """A break falls due while ``agent`` holds contacts: it takes nothing new."""
        agent.stop = now
        if agent.load < self.max_chats:
            self.free[agent.load].pop(agent, None)

    def pause(self, agent: Agent, now: float) -> None:
        """``agent``, holding nothing, goes on a break."""
        self.free[0].pop(agent, None)
        agent.stop = now
        agent.away = True
        self._advance(now)
        self.on_break += 1
        self._step_breaks(now)

    def resume(self, agent: Agent, now: float) -> bool:
        """``agent``'s break ends; return whether it is back (else its shift is over)."""
        self._advance(now)
        self.on_break -= 1
        self._step_breaks(now)
        agent.away = False
        if now >= agent.leaves:
            self.present -= 1
            return False
        agent.stop = agent.leaves
        agent.since = now
        self.free[0][agent] = None
        return True

    def _step_breaks(self, now: float) -> None:
        if self.breaks[-1][0] == now:  # one entry per instant: the level after it
            self.breaks[-1] = (now, self.on_break)
        else:
            self.breaks.append((now, self.on_break))

    def close(self, now: float) -> None:
        """Bring the time integrals up to ``now``."""
        self._advance(now)
