"""A pool of agents who come and go with their shifts and may hold several chats.

Agents are individuals (an agent's shift end is its own), so an agent whose shift ends
finishes what it holds and only then leaves, while agents of the next shift start
fresh. With chat concurrency, a new contact goes to the least-loaded agent.
"""

from __future__ import annotations

import math

__all__ = ["Agent", "AgentPool"]


class Agent:
    """One agent: when its shift ends and how many contacts it holds."""

    __slots__ = ("leaves", "load")

    def __init__(self, leaves: float) -> None:
        self.leaves = leaves
        self.load = 0


class AgentPool:
    """Agents on duty, with time-integrated presence and occupancy for utilisation.

    ``on_shift`` counts agents scheduled now; ``present`` also counts agents finishing a
    contact after their shift. Busy time is integrated in chat slots, so utilisation is
    occupied slots over available slots (plain agent busy share when ``max_chats`` is 1).
    """

    def __init__(self, max_chats: int, window: tuple[float, float]) -> None:
        self.max_chats = max_chats
        self.on_shift = 0
        self.present = 0
        self.busy = 0
        # free[k]: agents holding k contacts, k < max_chats; dicts as ordered sets.
        self._free: list[dict[Agent, None]] = [{} for _ in range(max_chats)]
        self._window = window
        self._last = window[0]
        self.present_time = 0.0
        self.busy_time = 0.0
        self.on_shift_time = 0.0

    def _advance(self, now: float) -> None:
        lo, hi = max(self._last, self._window[0]), min(now, self._window[1])
        if hi > lo:
            span = hi - lo
            self.present_time += self.present * span
            self.busy_time += self.busy * span
            self.on_shift_time += self.on_shift * span
        self._last = max(self._last, now)

    def join(self, now: float, count: int, leaves: float) -> None:
        """``count`` agents start a shift that ends at ``leaves``."""
        self._advance(now)
        self.on_shift += count
        self.present += count
        idle = self._free[0]
        for _ in range(count):
            idle[Agent(leaves)] = None

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

    def acquire(self, now: float) -> Agent | None:
        """Give a contact to the least-loaded agent with a free slot, if any."""
        for level, agents in enumerate(self._free):
            if agents:
                self._advance(now)
                agent, _ = agents.popitem()
                agent.load = level + 1
                if agent.load < self.max_chats:
                    self._free[agent.load][agent] = None
                self.busy += 1
                return agent
        return None

    def release(self, now: float, agent: Agent) -> bool:
        """An agent finishes a contact; return whether it stays with a free slot."""
        self._advance(now)
        self.busy -= 1
        # Absent from the free sets when full, or when its shift has ended.
        if agent.load < self.max_chats:
            self._free[agent.load].pop(agent, None)
        agent.load -= 1
        if now >= agent.leaves:
            if agent.load == 0:
                self.present -= 1
            return False
        self._free[agent.load][agent] = None
        return True

    def close(self, now: float) -> None:
        """Bring the time integrals up to ``now``."""
        self._advance(now)

    @property
    def utilization(self) -> float:
        """Occupied slot time over available slot time in the measurement window."""
        capacity = self.present_time * self.max_chats
        return self.busy_time / capacity if capacity > 0 else math.nan
