"""A pool of agents who come and go with their shifts and may hold several chats.

Agents are individuals (an agent's shift end is its own), so an agent whose shift ends
finishes what it holds and only then leaves, while agents of the next shift start
fresh. With chat concurrency, a new contact goes to the least-loaded agent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

__all__ = ["Agent", "AgentPool"]


class Agent:
    """One agent: its number, when its shift ends and how many contacts it holds."""

    __slots__ = ("id", "leaves", "load")

    def __init__(self, leaves: float, agent_id: int = -1) -> None:
        self.id = agent_id
        self.leaves = leaves
        self.load = 0


class AgentPool:
    """Agents on duty, with time-integrated headcounts over the measurement window.

    ``on_shift`` counts agents scheduled now; ``present`` also counts agents finishing a
    contact after their shift. Busy time is not tracked here: it follows exactly from
    the per-contact records (see :mod:`sim.engine`), which keeps the hot path short.
    """

    def __init__(
        self, max_chats: int, window: tuple[float, float], ids: Iterator[int] | None = None
    ) -> None:
        self.max_chats = max_chats
        # Agent numbers, shared by the queues of a replication: in order of coming on shift.
        self._ids = itertools.count() if ids is None else ids
        self.on_shift = 0
        self.present = 0
        # free[k]: agents holding k contacts, k < max_chats; dicts as ordered sets.
        self._free: list[dict[Agent, None]] = [{} for _ in range(max_chats)]
        self._window = window
        self._last = window[0]
        self.present_time = 0.0
        self.on_shift_time = 0.0

    def _advance(self, now: float) -> None:
        lo, hi = max(self._last, self._window[0]), min(now, self._window[1])
        if hi > lo:
            self.present_time += self.present * (hi - lo)
            self.on_shift_time += self.on_shift * (hi - lo)
        self._last = max(self._last, now)

    def join(self, now: float, count: int, leaves: float) -> None:
        """``count`` agents start a shift that ends at ``leaves``."""
        self._advance(now)
        self.on_shift += count
        self.present += count
        idle = self._free[0]
        for _ in range(count):
            idle[Agent(leaves, next(self._ids))] = None

    def shift_ends(self, now: float, count: int, leaves: float) -> None:
        """A shift of ``count`` agents ends: idle ones leave, busy ones after their work."""
        self._advance(now)
        self.on_shift -= count
        for level, agents in enumerate(self._free):
            for agent in [a for a in agents if a.leaves == leaves]:
                del agents[agent]
                if level == 0:
                    self.present -= 1

    def has_capacity(self) -> bool:
        """Whether some agent on shift can take a contact now."""
        return any(self._free)

    def acquire(self) -> Agent | None:
        """Give a contact to the least-loaded agent with a free slot, if any."""
        idle = self._free[0]
        if idle and self.max_chats == 1:  # the common case, kept short
            agent, _ = idle.popitem()
            agent.load = 1
            return agent
        for level, agents in enumerate(self._free):
            if agents:
                agent, _ = agents.popitem()
                agent.load = load = level + 1
                if load < self.max_chats:
                    self._free[load][agent] = None
                return agent
        return None

    def release(self, now: float, agent: Agent) -> bool:
        """An agent finishes a contact; return whether it stays with a free slot."""
        load = agent.load
        if load < self.max_chats:
            # Absent from the free sets when its shift has ended.
            self._free[load].pop(agent, None)
        agent.load = load = load - 1
        if now >= agent.leaves:
            if load == 0:
                self._advance(now)
                self.present -= 1
            return False
        self._free[load][agent] = None
        return True

    def close(self, now: float) -> None:
        """Bring the time integrals up to ``now``."""
        self._advance(now)
