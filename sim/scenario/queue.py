"""A queue: one channel of one merchant segment, with its bot, patience and routes."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution
from sim.scenario.arrivals import Arrivals
from sim.scenario.base import (
    Clock,
    Probability,
    Spec,
)
from sim.scenario.routes import (
    ROUTE_FIELDS,
    DelayedRoute,
    Routes,
    route_share,
)
from sim.scenario.staff import (
    Breaks,
    Rostered,
    Shrinkage,
    Staff,
)


class Bot(Spec):
    """An AI bot with unlimited capacity.

    ``when: unstaffed`` covers hours with no agent on shift; ``when: always`` answers every
    contact first and hands what it does not resolve to the human agents (hybrid). What
    an unstaffed-hours bot does not resolve follows the queue's ``on_unresolved`` routes
    (``unresolved: route``) or waits in line for the next shift (``unresolved: wait``).
    """

    when: Literal["unstaffed", "always"] = "unstaffed"
    resolution: Probability
    response: Distribution | None = None
    unresolved: Literal["route", "wait"] = "route"


class Overflow(Spec):
    """Smart triage: arrivals finding ``threshold`` or more waiting go to ``on_overflow``."""

    threshold: int = Field(ge=0)


class Concurrency(Spec):
    """Chat concurrency: an agent holds up to ``max`` chats at once.

    A chat started while the agent holds k chats (this one included) takes its drawn
    handle time times ``1 + slowdown * (k - 1)``: attention is shared, so each chat
    gets slower as more are held.
    """

    max: int = Field(ge=1, le=16)
    slowdown: float = Field(default=0.25, ge=0, le=10)


class Retry(Spec):
    """A contact that abandons tries the same queue again ``after`` a drawn delay.

    It does so with ``probability`` each time it abandons (a new hop, the same contact),
    as long as ``max_hops`` allows; otherwise it follows ``on_abandon``. A retrial draws
    its service time, patience, resolution and visibility anew, from the queue's retrial
    streams, so retrials never shift the draws of first attempts.
    """

    probability: Probability
    after: Distribution


class Queue(Rostered):
    """One channel of one merchant segment: agents, arrivals, behaviour and routes.

    ``on_*`` routes send a contact on when it leaves this queue that way; ``parallel``
    opens, on arrival, a second visit of the same contact at another queue while this
    one goes on (chat and an email ticket at once); the contact is resolved when the
    first of its visits resolves it.
    """

    channel: str = "chat"
    segment: str | None = None
    arrivals: Arrivals | None = None
    staff: Staff = 0
    shrinkage: Shrinkage | None = None
    breaks: Breaks | None = None
    priority: int = Field(default=0, ge=-1000, le=1000)
    bot: Bot | None = None
    service: Distribution
    patience: Distribution | None = None
    retry: Retry | None = None
    resolution: Probability = 1.0
    visibility: Probability = 1.0
    closed: Literal["wait", "lost", "route"] = "wait"
    overflow: Overflow | None = None
    pickup: tuple[Clock, ...] | None = None
    concurrency: Concurrency | None = None
    on_unresolved: Routes = Field(default_factory=dict)
    on_abandon: Routes = Field(default_factory=dict)
    on_closed: Routes = Field(default_factory=dict)
    on_overflow: Routes = Field(default_factory=dict)
    on_not_visible: Routes = Field(default_factory=dict)
    parallel: Routes = Field(default_factory=dict)

    @field_validator("pickup")
    @classmethod
    def _pickup_times(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and not v:
            raise ValueError("pickup needs at least one clock time")
        return None if v is None else tuple(sorted({t % 86400 for t in v}))

    @model_validator(mode="after")
    def _routes_consistent(self) -> Queue:
        for field in ROUTE_FIELDS:
            total = sum(route_share(v) for v in getattr(self, field).values())
            if total > 1 + 1e-9:
                raise ValueError(f"{field}: probabilities sum to {total:g}, more than 1")
        if any(isinstance(v, DelayedRoute) for v in self.parallel.values()):
            raise ValueError("parallel: a parallel visit opens at once: give a probability")
        if self.closed == "route" and not self.on_closed:
            raise ValueError("on_closed: closed is route but no on_closed route is given")
        if self.overflow is not None and not self.on_overflow:
            raise ValueError("on_overflow: overflow is set but no on_overflow route is given")
        self._no_dead_routes()
        return self

    def _no_dead_routes(self) -> None:
        """A route for an event that the file never enables is a typo, not a choice.

        ``on_closed`` without ``closed``, for instance, left closed-hours contacts
        waiting (the default) that the user meant to route. A value given explicitly
        (``closed: wait``, ``visibility: 1``: a what-if sweep) is a choice: accepted;
        ``null`` (``--set ...patience=null``, an include's override) removes the field,
        and the routes that need it must go too.
        """
        given = self.model_fields_set
        for field, enabler, needs in _ENABLED_BY:
            if getattr(self, field) and (enabler not in given or getattr(self, enabler) is None):
                raise ValueError(f"{field}: {needs}")

    @property
    def slots(self) -> int:
        """Contacts one agent may hold at once for this queue (chat concurrency)."""
        return self.concurrency.max if self.concurrency is not None else 1


# Routes (and retrials) taken only on an event that another field enables.
_ENABLED_BY = (
    ("on_closed", "closed", "taken only with closed: route (closed is wait when not given)"),
    (
        "on_overflow",
        "overflow",
        "taken only with overflow: {threshold: N}, which is not given (or null)",
    ),
    (
        "on_abandon",
        "patience",
        "contacts abandon only with a patience, which is not given (or null)",
    ),
    ("retry", "patience", "contacts abandon only with a patience, which is not given (or null)"),
    ("on_not_visible", "visibility", "taken only with visibility below 1, which is not given"),
)
