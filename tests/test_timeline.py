"""``sim.timeline.rate_function`` against the calendar read one instant at a time.

The rate function is built vectorised over every hour of a run; here the rate at random
instants is worked out from ``datetime`` alone (the clock hour, the weekday, whether the
date is a holiday) and compared with the piecewise function's value there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.scenario.arrivals import Arrivals
from sim.timeline import HOUR, Clock, rate_function

PROFILE = tuple(float(h % 7 + 1) for h in range(24))
WEEKDAYS = (1.0, 2.0, 3.0, 4.0, 5.0, 0.5, 0.25)


def _expected(arrivals: Arrivals, clock: Clock, t: float) -> float:
    when = clock.start + dt.timedelta(seconds=t)
    profile = np.array(PROFILE) * (24 / sum(PROFILE))
    weekdays = np.array(WEEKDAYS) * (7 / sum(WEEKDAYS))
    rate = arrivals.rate * profile[when.hour] * weekdays[when.weekday()]
    return rate * arrivals.holiday_multiplier if when.date() in clock.holidays else rate


@pytest.mark.parametrize("start", ["2026-11-16T00:00", "2026-11-18T07:13:20"])
@pytest.mark.parametrize("days", [0.3, 3.0, 45.0])
def test_the_rate_at_any_instant_is_the_calendars(start: str, days: float) -> None:
    clock = Clock(
        dt.datetime.fromisoformat(start),
        frozenset(dt.date(2026, 11, d) for d in (15, 19, 20)) | {dt.date(2026, 12, 25)},
    )
    arrivals = Arrivals(rate=0.01, profile=PROFILE, weekdays=WEEKDAYS, holiday_multiplier=3.0)
    t0, t1 = 0.25 * HOUR, days * 86400.0
    edges, rates = rate_function(arrivals, clock, t0, t1)
    assert edges[0] == t0
    assert edges[-1] == t1
    assert (np.diff(edges) > 0).all()
    assert (np.diff(edges) <= HOUR).all()  # hour starts are edges
    instants = np.random.default_rng(3).uniform(t0, t1, 500)
    got = rates[np.searchsorted(edges, instants, side="right") - 1]
    want = [_expected(arrivals, clock, t) for t in instants.tolist()]
    np.testing.assert_allclose(got, want, rtol=1e-12)
