"""Routes: where a contact goes when it leaves a queue one way or another."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    Discriminator,
    Tag,
)

from sim.distributions import Distribution
from sim.scenario.base import (
    Probability,
    Spec,
)


class DelayedRoute(Spec):
    """A route taken ``after`` a drawn delay: ``{share: 0.2, after: {dist: ..., mean: 2h}}``.

    The contact leaves the queue at once and reaches the destination after the delay
    ("writes an email two hours later").
    """

    share: Probability
    after: Distribution


def _route_kind(value: Any) -> str:
    # Tags named like pydantic's own type tags, so the loader leaves them out of paths.
    return "dict" if isinstance(value, dict | DelayedRoute) else "float"


# A route value: a bare probability, or a share with a delay.
RouteValue = Annotated[
    Annotated[Probability, Tag("float")] | Annotated[DelayedRoute, Tag("dict")],
    Discriminator(_route_kind),
]
Routes = dict[str, RouteValue]


def route_share(value: float | DelayedRoute) -> float:
    """The probability of a route value, delayed or not."""
    return value.share if isinstance(value, DelayedRoute) else value


# Queue and team names are identifiers: they name files (plots per queue), columns and

# ``parallel`` is taken on arrival, besides the visit: the contact also opens a visit at
# the destination at once (a shopper who writes an email while chatting).
ROUTE_FIELDS = (
    "on_unresolved",
    "on_abandon",
    "on_closed",
    "on_overflow",
    "on_not_visible",
    "parallel",
)
