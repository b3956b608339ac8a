"""One scenario's replications round by round: what each target has, what runs next.

The first round runs the whole scenario (``plan.minimum`` replications, or the fixed
count). After it, only the targets not yet settled (:mod:`sim.validate.sequential`) ask
for more, and the next round runs only what they depend on
(:func:`sim.depends.runs_only`): the queues outside their influencers take no arrivals,
and those that feed them only through a hidden entry are gates. A target settled only
because its CI is precise enough, while it still straddles an edge of its pass band,
rides along in the rounds its file still runs (more replications may move its verdict,
as they did when every round ran the whole file). A target is measured by a round when
all its influencers are among the round's (those it needs simulated, simulated; its
gates, simulated or gated), so a settled target keeps gaining replications while it
comes for free, and a target settled once may become unsettled again on them; a target
the round does not measure keeps the replications it has. Each target's figure is then
over its own replications, the file's count being the most any target has.

Queue loads (the stability check, :mod:`sim.stability`) are kept, per replication, for
the queues whose visits it simulated exactly (its influencers, not the gates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.depends import Needs, needs, reads, runs_only
from sim.runner import Task
from sim.scenario import Scenario, Target
from sim.stability import QueueLoad
from sim.validate.estimate import Parts
from sim.validate.sequential import Plan, decided, next_count, settled

__all__ = ["FileRuns", "Round"]


@dataclass(frozen=True)
class Round:
    """The replications a round runs for one scenario, and what they measure."""

    tasks: list[Task]
    targets: list[int]  # indices in scenario.targets, in the order the runs give them
    queues: frozenset[str]  # whose visits the runs simulate exactly


@dataclass
class FileRuns:
    """The replications of one scenario so far: each target's parts, each run's loads."""

    scenario: Scenario
    seed: int
    limit: int  # the most replications the scenario may have
    parts: list[list[Parts]] = field(init=False)  # per target, per replication it has
    loads: list[dict[str, QueueLoad]] = field(default_factory=list)  # per replication
    done: int = 0  # replications run: the most any target has

    def __post_init__(self) -> None:
        self.parts = [[] for _ in self.scenario.targets]
        self._needs = [needs(self.scenario, reads(self.scenario, t)) for t in self.targets]

    @property
    def targets(self) -> tuple[Target, ...]:
        """The scenario's targets."""
        return self.scenario.targets

    def values(self, i: int) -> np.ndarray:
        """Target ``i``'s parts over its replications, one row each."""
        return np.array(self.parts[i], dtype=float).reshape(len(self.parts[i]), -1)

    def next_round(self, plan: Plan, fixed: int | None) -> Round | None:
        """What to run next for this scenario (None: it is done)."""
        if self.done == 0:
            everything = frozenset(self.scenario.queues)
            return self._round(
                self.scenario,
                list(range(len(self.targets))),
                everything,
                fixed or plan.start(self.limit),
            )
        if fixed is not None or self.done >= self.limit:
            return None
        current = [i for i, p in enumerate(self.parts) if len(p) == self.done]
        waiting = [
            i for i in current if not settled(self.targets[i], self.values(i), plan.precision)
        ]
        if not waiting:
            return None
        table = [[self.parts[i][r] for i in waiting] for r in range(self.done)]
        wanted = next_count([self.targets[i] for i in waiting], table, self.limit, plan.precision)
        # Settled only by its precision, a figure on its band's edge rides along: the
        # replications other targets need may still move its verdict.
        riders = [
            i for i in current if i not in waiting and not decided(self.targets[i], self.values(i))
        ]
        needed = _union([self._needs[i] for i in waiting + riders])
        measured = [i for i in current if self._needs[i].within(needed)]
        whole = len(needed.simulated) == len(self.scenario.queues)
        if whole and len(measured) == len(self.targets):
            return self._round(self.scenario, measured, needed.simulated, wanted)
        copy, _ = runs_only(self.scenario, [self.targets[i] for i in measured])
        return self._round(copy, measured, needed.simulated, wanted)

    def _round(
        self, scenario: Scenario, targets: list[int], queues: frozenset[str], wanted: int
    ) -> Round:
        tasks = [Task(scenario, r, self.seed) for r in range(self.done, wanted)]
        return Round(tasks, targets, queues)

    def add(self, round_: Round, outcomes: list[tuple[list[Parts], dict[str, QueueLoad]]]) -> None:
        """Take a round's outcomes: each run's parts (the round's targets) and loads."""
        for parts, loads in outcomes:
            for i, p in zip(round_.targets, parts, strict=True):
                self.parts[i].append(p)
            self.loads.append({q: load for q, load in loads.items() if q in round_.queues})
        self.done += len(outcomes)


def _union(parts: list[Needs]) -> Needs:
    simulated = frozenset().union(*(n.simulated for n in parts))
    return Needs(simulated, frozenset().union(*(n.gates for n in parts)) - simulated)
