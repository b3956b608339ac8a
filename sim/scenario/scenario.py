"""The scenario: the queues, teams, targets and horizon, checked against each other."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from sim.scenario.base import (
    EARLIEST_START,
    LATEST_END,
    MAX_HOPS,
    MAX_HORIZON,
    MAX_QUEUES,
    MAX_REPLICATIONS,
    Name,
    Seconds,
    Spec,
)
from sim.scenario.calendar import (
    Calendar,
    local_datetime,
)
from sim.scenario.queue import Queue
from sim.scenario.routes import (
    ROUTE_FIELDS,
)
from sim.scenario.staff import (
    Team,
)
from sim.scenario.target import (
    Calibrated,
    Target,
)


class Scenario(Spec):
    """A complete, validated scenario: the queues, the horizon and the experiment.

    Frozen: make a changed one from the file or its data (``sim.load(path,
    overrides=[...])``, :func:`sim.from_dict`), which validates it again;
    ``model_copy(update=...)`` would skip every check. Durations are seconds.

    Attributes:
        name: the scenario's name, carried by every result row.
        start: the clock's time zero (naive local date-time): weekdays, holidays and
            hours of day count from it.
        duration: arrivals stop after this many seconds.
        warmup: contacts entering before it are not counted.
        drain: how long after ``duration`` the run may go on finishing contacts.
        seed: the base seed of the random streams.
        replications: the default number of replications.
        service_level_threshold: the wait within which an answer counts for
            ``service_level``.
        max_hops: the most queues one contact may visit.
        calendar: the holidays.
        queues: the queues by name, in file order.
        teams: shared agent groups by name (each ``serves`` some queues).
        targets: figures of the source document this scenario must reproduce.
        calibrated: the values tuned to targets, and which targets they were tuned to.
    """

    name: str = Field(min_length=1)
    start: Annotated[dt.datetime, BeforeValidator(local_datetime)]
    duration: Seconds = Field(gt=0)
    warmup: Seconds = 0.0
    drain: Seconds = 7 * 86400.0
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)
    service_level_threshold: Seconds = 60.0
    max_hops: int = Field(default=10, ge=1, le=MAX_HOPS)
    calendar: Calendar = Calendar()
    queues: dict[Name, Queue] = Field(min_length=1, max_length=MAX_QUEUES)
    teams: dict[Name, Team] = Field(default_factory=dict, max_length=MAX_QUEUES)
    targets: tuple[Target, ...] = ()
    calibrated: tuple[Calibrated, ...] = ()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError("warmup: must be shorter than duration")
        if self.duration + self.drain > MAX_HORIZON:
            raise ValueError("duration: duration plus drain must stay within ten years")
        # Calendar arithmetic looks a week back and up to ten years ahead (deadlines in
        # working days); Python's dates end at the years 1 and 9999.
        horizon = dt.timedelta(seconds=self.duration + self.drain + MAX_HORIZON)
        if not EARLIEST_START <= self.start <= LATEST_END - horizon:
            latest = (LATEST_END - horizon).isoformat(timespec="minutes")
            raise ValueError(
                f"start: must be between {EARLIEST_START.date()} and {latest}: the simulated "
                "period and ten years of calendar after it must fit in the years 1 to 9999"
            )
        names = set(self.queues)
        for qname, queue in self.queues.items():
            if qname in queue.parallel:
                raise ValueError(
                    f"queues.{qname}.parallel: a queue cannot run in parallel with itself"
                )
            for field in ROUTE_FIELDS:
                for dest in getattr(queue, field):
                    if dest not in names:
                        raise ValueError(
                            f"queues.{qname}.{field}: route to unknown queue {dest!r} "
                            f"(queues are: {', '.join(sorted(names))})"
                        )
        for tname, team in self.teams.items():
            for name in team.serves:
                if name not in names:
                    raise ValueError(
                        f"teams.{tname}.serves: unknown queue {name!r} "
                        f"(queues are: {', '.join(sorted(names))})"
                    )
        for i, target in enumerate(self.targets):
            for field, name in target.queue_refs():
                if name not in names:
                    raise ValueError(f"targets.{i}.{field}: unknown queue {name!r}")
        self._check_ledger()
        if not any(q.arrivals is not None for q in self.queues.values()):
            raise ValueError("no queue has arrivals: give at least one queue an arrivals block")
        return self

    def teams_serving(self, queue: str) -> tuple[str, ...]:
        """Names of the teams that take contacts from ``queue``, in file order."""
        return tuple(name for name, team in self.teams.items() if queue in team.serves)

    def _check_ledger(self) -> None:
        ids: dict[str, int] = {}
        for i, target in enumerate(self.targets):
            if target.id is not None:
                if target.id in ids:
                    raise ValueError(
                        f"targets.{i}.id: {target.id!r} is also targets.{ids[target.id]}"
                    )
                ids[target.id] = i
        for i, entry in enumerate(self.calibrated):
            for name in entry.to:
                if name not in ids:
                    raise ValueError(f"calibrated.{i}.to: no target with id {name!r}")
                if self.targets[ids[name]].restates is not None:
                    raise ValueError(
                        f"calibrated.{i}.to: target {name!r} restates an input; it cannot be fitted"
                    )
