"""The bot (or menu) path: visits answered with no agent.

Answered visits with an empty agent were answered by a bot or a menu. When most of them
(:data:`UNSTAFFED_SHARE`) came while no agent was present, the path is a bot covering
unstaffed hours (``when: unstaffed``) whose resolution is the share of its visits
resolved (or not routed on). Otherwise it is a first line in front of the agents
(``when: always``) that finishes its share of the offered visits and hands the rest on.
The bot's response time is fitted like a handle time when it is not instant. The
engine's bots hold no agent, so the bot's own handling time (``end - answer``) is
reported, not simulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.fit.estimate import Estimate, FamilyFit, fit_durations, share
from sim.stats import mean_ci

__all__ = ["INSTANT", "UNSTAFFED_SHARE", "BotFit", "fit_bot"]

UNSTAFFED_SHARE = 0.8
INSTANT = 1.0  # a median response below a second is "at once"


@dataclass(frozen=True)
class BotFit:
    """The bot path of one queue."""

    queue: str
    when: str
    share: Estimate
    resolution: Estimate
    response: FamilyFit | None
    handle: Estimate
    unstaffed_share: float

    def block(self) -> dict[str, object]:
        """The ``bot:`` block of the scenario."""
        out: dict[str, object] = {"when": self.when, "resolution": round(self.resolution.value, 4)}
        if self.response is not None:
            out["response"] = self.response.block()
        return out


def fit_bot(queue: str, frame: pd.DataFrame, present_at) -> BotFit | None:
    """The bot path of ``queue`` (None when every answered visit had an agent).

    Args:
        queue: the queue.
        frame: the queue's rows of the cleaned log.
        present_at: agents present at given times (from the staffing fit).
    """
    bot = frame[frame["kind"] == "bot"]
    if bot.empty:
        return None
    offered = frame[frame["kind"].isin(["agent", "bot", "abandoned"])]
    unstaffed = float(np.mean(present_at(bot["answer"].to_numpy(float)) < 0.5))
    flag = bot["resolved"]
    solved = (flag == 1).where(flag.notna(), bot["next_queue"].isna())
    bot_share = share(len(bot), len(offered), "bot-answered visits / offered visits")
    if unstaffed >= UNSTAFFED_SHARE:
        when = "unstaffed"
        resolution = share(int(solved.sum()), len(bot), "bot visits resolved (or not routed on)")
    else:
        when, resolution = "always", bot_share
    waits = (bot["answer"] - bot["arrive"]).to_numpy(float)
    response = None
    if np.median(waits) >= INSTANT and len(waits) >= 2:
        response = fit_durations(waits)[0]
    handle_mean, half = mean_ci((bot["end"] - bot["answer"]).to_numpy(float))
    handle = Estimate(
        handle_mean, handle_mean - half, handle_mean + half, "mean, t CI (not simulated)", len(bot)
    )
    return BotFit(queue, when, bot_share, resolution, response, handle, unstaffed)
