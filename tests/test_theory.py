"""The engine against queueing theory: closed forms from :mod:`sim.erlang`.

Every comparison uses independent replications: the per-replication estimates are
i.i.d., so a Student-t interval over them is honest whatever the correlation of the
contacts inside one replication. The 95% intervals the product reports are widened to
99.9% (:data:`LEVEL`, about 3.9 standard errors with 20-40 replications), so that a
correct engine fails a check about once in a thousand seeds while a wrong formula,
a wrong rate or a lost contact still shows. Each check also asserts that its interval
is narrow compared with the quantity, so it cannot pass by being vague.

Runs start empty; a warm-up of many relaxation times removes that bias up to a stated
allowance (:data:`TRANSIENT`). Contacts are counted by arrival in ``[warmup,
duration)`` and served during the drain, so no wait is censored at the horizon.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

import sim
from sim import erlang
from sim.records import Outcome
from sim.stats import mean_ci

LEVEL = 0.999
# Starting empty biases waits downwards. The relaxation time of these queues is at most
# ~15 min (M/M/c: 1 / (c*mu*(1 - sqrt(rho))^2) = 11 min at c=12, rho=0.83) and the
# warm-up is 1-2 h, so the remaining bias is below e^-4 of the initial deficit; 1% of
# the theoretical value is a generous, stated allowance for it.
TRANSIENT = 0.01
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


def counted(run: sim.ReplicationResult, queue: int = 0) -> dict[str, np.ndarray]:
    """Hop columns of one queue for contacts that entered in the measurement window."""
    w0, w1 = run.window
    entered = run.contacts["entered"][run.hops["contact"]]
    keep = (entered >= w0) & (entered < w1) & (run.hops["queue"] == queue)
    return {name: column[keep] for name, column in run.hops.items()}


def per_replication(results: sim.Results, statistic) -> np.ndarray:
    """``statistic(counted hops)`` for each replication."""
    return np.array([statistic(counted(run)) for run in results.runs])


def assert_agrees(
    values: np.ndarray, expected: float, *, max_half: float, bias: float = 0.0
) -> None:
    """The 99.9% t-interval of ``values`` plus ``bias`` covers ``expected``.

    ``max_half`` bounds the interval's half-width so the check keeps its power.
    """
    mean, half = mean_ci(values, LEVEL)
    assert half <= max_half, f"interval too wide to test anything: +-{half:.4g}"
    assert abs(mean - expected) <= half + bias, (
        f"simulated {mean:.5g} +- {half:.3g} (99.9%), theory {expected:.5g}, allowance {bias:.3g}"
    )


def single_queue(queue: dict, **fields) -> sim.Scenario:
    data = {"name": "theory", "start": "2026-01-05T00:00", "seed": 2026, "queues": {"q": queue}}
    return sim.from_dict({**data, **fields})


# --------------------------------------------------------------------------- M/M/c

MMC_LAM, MMC_MU, MMC_C = 10 / MINUTE, 1 / MINUTE, 12
MMC_THRESHOLD = 20.0


@pytest.fixture(scope="module")
def mmc() -> sim.Results:
    """M/M/12, 10 arrivals/min, mean service 1 min (rho = 0.83): Erlang C."""
    scenario = single_queue(
        {
            "arrivals": {"rate": "10/min"},
            "staff": MMC_C,
            "service": {"dist": "exponential", "mean": "1m"},
        },
        duration="1d",
        warmup="2h",
        service_level_threshold=MMC_THRESHOLD,
    )
    return sim.run(scenario, replications=40, workers=2)


def test_mmc_mean_wait_is_erlang_c(mmc):
    theory = erlang.mmc_mean_wait(MMC_LAM, MMC_MU, MMC_C)
    values = mmc.metrics()["mean_wait_s"].to_numpy()
    assert_agrees(values, theory, max_half=0.15 * theory, bias=TRANSIENT * theory)


@pytest.mark.parametrize("t", [0.0, 20.0, 45.0])
def test_mmc_wait_survival(mmc, t):
    """P(wait > t); at t = 0 this is the Erlang C probability of waiting at all."""
    theory = erlang.mmc_wait_survival(t, MMC_LAM, MMC_MU, MMC_C)
    values = per_replication(mmc, lambda h: np.mean(h["response"] - h["arrive"] > t))
    assert_agrees(values, theory, max_half=0.2 * theory, bias=TRANSIENT * theory)


def test_mmc_service_level_metric(mmc):
    """The reported service level is P(wait <= threshold) at the scenario's threshold."""
    assert mmc.scenario.service_level_threshold == MMC_THRESHOLD
    theory = erlang.mmc_service_level(MMC_THRESHOLD, MMC_LAM, MMC_MU, MMC_C)
    values = mmc.metrics()["service_level"].to_numpy()
    assert_agrees(values, theory, max_half=0.03, bias=TRANSIENT * (1 - theory))


def test_mmc_utilization_is_offered_load_per_agent(mmc):
    """Without breaks, utilisation and occupancy are one figure: rho = lam / (c mu)."""
    theory = MMC_LAM / MMC_MU / MMC_C
    metrics = mmc.metrics()
    values = metrics["utilization"].to_numpy()
    # Utilisation is a time average and barely depends on the starting state.
    assert_agrees(values, theory, max_half=0.02)
    assert_agrees(metrics["occupancy"].to_numpy(), theory, max_half=0.02)
    assert (metrics["occupancy"] == metrics["utilization"]).all()


# --------------------------------------------------------------------------- Erlang A

EA_LAM, EA_MU, EA_C, EA_THETA = 10 / MINUTE, 1 / MINUTE, 10, 1 / (2 * MINUTE)


@pytest.fixture(scope="module")
def erlang_a_run() -> sim.Results:
    """M/M/10+M at critical load: 10/min, service 1 min, patience 2 min (~10% abandon)."""
    scenario = single_queue(
        {
            "arrivals": {"rate": "10/min"},
            "staff": EA_C,
            "service": {"dist": "exponential", "mean": "1m"},
            "patience": {"dist": "exponential", "mean": "2m"},
        },
        duration="13h",
        warmup="1h",
    )
    return sim.run(scenario, replications=30, workers=2)


@pytest.fixture(scope="module")
def erlang_a_theory() -> erlang.ErlangA:
    return erlang.erlang_a(EA_LAM, EA_MU, EA_C, EA_THETA)


def test_erlang_a_abandonment(erlang_a_run, erlang_a_theory):
    theory = erlang_a_theory.p_abandon
    assert 0.05 < theory < 0.15  # the regime this test is meant to exercise
    values = erlang_a_run.metrics()["abandon_rate"].to_numpy()
    assert_agrees(values, theory, max_half=0.1 * theory, bias=TRANSIENT * theory)
    # Abandonment is an outcome of its own, never counted as answered.
    for run in erlang_a_run.runs:
        gone = run.hops["outcome"] == Outcome.ABANDONED
        assert np.isnan(run.hops["response"][gone]).all()


def test_erlang_a_probability_of_waiting(erlang_a_run, erlang_a_theory):
    """An arrival waits unless an agent takes it at the instant it arrives."""
    theory = erlang_a_theory.p_wait
    values = per_replication(erlang_a_run, lambda h: np.mean(~(h["agent_start"] == h["arrive"])))
    assert_agrees(values, theory, max_half=0.05 * theory, bias=TRANSIENT * theory)


def test_erlang_a_wait_of_served(erlang_a_run, erlang_a_theory):
    """The reported mean wait is over answered contacts: Erlang A's served-customer wait."""
    theory = erlang_a_theory.mean_wait_served
    values = erlang_a_run.metrics()["mean_wait_s"].to_numpy()
    assert_agrees(values, theory, max_half=0.1 * theory, bias=TRANSIENT * theory)


def test_erlang_a_utilization(erlang_a_run, erlang_a_theory):
    theory = erlang_a_theory.utilization
    values = erlang_a_run.metrics()["utilization"].to_numpy()
    assert_agrees(values, theory, max_half=0.02)


# --------------------------------------------------------------------------- M/M/1 and M/G/c

MM1_LAM, MM1_MU = 42 / HOUR, 1 / MINUTE


@pytest.fixture(scope="module")
def mm1() -> sim.Results:
    """M/M/1 at rho = 0.7."""
    scenario = single_queue(
        {"arrivals": {"rate": "42/h"}, "staff": 1, "service": {"dist": "exponential", "mean": 60}},
        duration="3d",
        warmup="3h",  # relaxation time 1 / (mu*(1 - sqrt(rho))^2) is 37 min
    )
    return sim.run(scenario, replications=40, workers=2)


def test_mm1_utilization(mm1):
    theory = erlang.mm1_utilization(MM1_LAM, MM1_MU)
    values = mm1.metrics()["utilization"].to_numpy()
    assert_agrees(values, theory, max_half=0.03)
    summary = mm1.summary().loc["q"]
    assert summary["utilization"] == pytest.approx(values.mean())


def test_mm1_mean_wait(mm1):
    theory = erlang.mm1_mean_wait(MM1_LAM, MM1_MU)
    values = mm1.metrics()["mean_wait_s"].to_numpy()
    assert_agrees(values, theory, max_half=0.15 * theory, bias=TRANSIENT * theory)


def test_mgc_utilization_is_load_per_agent_for_any_service_distribution():
    """Utilisation = lam * E[S] / c needs no exponential service (here lognormal, cv 1.5)."""
    lam, mean_service, agents = 20 / HOUR, 12 * MINUTE, 6
    scenario = single_queue(
        {
            "arrivals": {"rate": "20/h"},
            "staff": agents,
            "service": {"dist": "lognormal", "mean": "12m", "cv": 1.5},
        },
        duration="4d",
        warmup="2h",
    )
    results = sim.run(scenario, replications=30)
    values = results.metrics()["utilization"].to_numpy()
    assert_agrees(values, lam * mean_service / agents, max_half=0.04)
    # The handle times really are the lognormal's: mean 12 min within its own CI.
    handles = np.concatenate([counted(run)["service"] for run in results.runs])
    mean, half = mean_ci(handles, LEVEL)
    assert abs(mean - mean_service) <= half


# --------------------------------------------------------------------------- NHPP arrivals

START = dt.datetime(2026, 1, 5)  # a Monday
PROFILE = [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 6, 5, 4, 3, 2]
PEAKS = [
    {"start": "20:30", "end": "22:00", "multiplier": 3},
    {"start": "23:30", "end": "00:30", "multiplier": 2},  # wraps midnight
]


def arrivals_only(arrivals: dict) -> dict:
    """A queue nobody staffs and that loses contacts at once: it only counts arrivals."""
    return {
        "arrivals": arrivals,
        "staff": 0,
        "closed": "lost",
        "service": {"dist": "constant", "value": 60},
    }


def minute_rates(
    rate_per_hour: float,
    days: int,
    *,
    profile=None,
    weekdays=None,
    peaks=(),
    holidays=(),
    holiday_multiplier=1.0,
) -> np.ndarray:
    """Expected arrivals in each minute from START, written from the format's definition.

    Independent of :mod:`sim.timeline`: every boundary in these tests is on a whole
    minute, so the rate is constant within each minute.
    """
    minute = np.arange(days * 1440)
    day, clock = minute // 1440, minute % 1440
    weekday = (START.weekday() + day) % 7
    hourly = np.ones(24) if profile is None else np.asarray(profile, float)
    daily = np.ones(7) if weekdays is None else np.asarray(weekdays, float)
    rate = (
        rate_per_hour / 60 * (hourly / hourly.mean())[clock // 60] * (daily / daily.mean())[weekday]
    )
    for peak in peaks:
        begin = _minutes(peak["start"])
        length = (_minutes(peak["end"]) - begin) % 1440
        rate = np.where((clock - begin) % 1440 < length, rate * peak["multiplier"], rate)
    dates = [START.date() + dt.timedelta(days=int(d)) for d in day]
    holiday = np.array([d in set(holidays) for d in dates])
    return np.where(holiday, rate * holiday_multiplier, rate)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def assert_poisson_counts(observed: np.ndarray, expected: np.ndarray) -> None:
    """Counts in disjoint bins are independent Poisson: a chi-square test at 99.9%."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    assert expected.min() > 20  # the chi-square approximation needs full bins
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    limit = stats.chi2.ppf(LEVEL, len(expected))
    assert chi2 <= limit, f"chi2 {chi2:.1f} > {limit:.1f}: {observed} vs {expected.round(1)}"


def assert_poisson_total(observed: float, expected: float) -> None:
    """A Poisson total within 3.3 standard deviations (99.9%, two-sided)."""
    z = (observed - expected) / np.sqrt(expected)
    assert abs(z) <= stats.norm.ppf((1 + LEVEL) / 2), f"{observed} vs {expected:.1f} (z={z:.2f})"


def arrival_days(results: sim.Results, queue: int, days: int) -> np.ndarray:
    """Arrivals per simulated day, summed over replications."""
    arrive = np.concatenate(
        [run.hops["arrive"][run.hops["queue"] == queue] for run in results.runs]
    )
    return np.bincount((arrive // DAY).astype(int), minlength=days)


def test_hourly_profile_and_daily_peaks():
    days, reps, rate = 2, 10, 60.0
    scenario = sim.from_dict(
        {
            "name": "nhpp",
            "start": START.isoformat(),
            "duration": f"{days}d",
            "seed": 5,
            "queues": {
                "peaked": arrivals_only({"rate": rate, "profile": PROFILE, "peaks": PEAKS}),
                "shaped": arrivals_only({"rate": rate, "profile": PROFILE}),
            },
        }
    )
    results = sim.run(scenario, replications=reps)
    hourly = results.hourly().groupby(["queue", "hour"])["arrivals"].sum()
    for name, peaks in (("peaked", PEAKS), ("shaped", ())):
        per_minute = minute_rates(rate, days, profile=PROFILE, peaks=peaks)
        expected = reps * per_minute.reshape(days, 24, 60).sum(axis=(0, 2))
        assert_poisson_counts(hourly.loc[name].to_numpy(), expected)
    # A profile shapes the day without changing its volume: rate x duration in total.
    assert_poisson_total(hourly.loc["shaped"].sum(), reps * rate * days * 24)
    # The peaks add volume: 1.5 h x 2 extra and 1 h x 1 extra, weighted by the profile.
    assert hourly.loc["peaked"].sum() > hourly.loc["shaped"].sum()


def test_weekday_weights_average_to_one_over_a_week():
    weights = [1, 1, 1, 1, 1.5, 0.6, 0.4]
    days, reps, rate = 7, 4, 100.0
    scenario = single_queue(
        arrivals_only({"rate": rate, "weekdays": weights}), duration="7d", seed=6
    )
    results = sim.run(scenario, replications=reps)
    observed = arrival_days(results, 0, days)
    assert_poisson_total(observed.sum(), reps * rate * 24 * days)
    expected = reps * minute_rates(rate, days, weekdays=weights).reshape(days, -1).sum(axis=1)
    assert_poisson_counts(observed, expected)
    # Friday (weight 1.5) vs Sunday (0.4): a difference far beyond Poisson noise.
    assert observed[4] > 2 * observed[6]


def test_weekday_weights_are_scale_free():
    """Weights are normalised, so multiplying them all changes nothing, draw for draw."""
    weights = [1, 1, 1, 1, 1.5, 0.6, 0.4]
    runs = [
        sim.simulate(
            single_queue(arrivals_only({"rate": 50, "weekdays": w}), duration="7d", seed=6)
        )
        for w in (weights, [3 * x for x in weights])
    ]
    np.testing.assert_allclose(runs[0].hops["arrive"], runs[1].hops["arrive"], rtol=1e-12)


def test_holiday_multiplier_applies_on_listed_holidays_only():
    holiday = START.date() + dt.timedelta(days=1)
    days, reps, rate, multiplier = 3, 6, 80.0, 2.5
    scenario = single_queue(
        arrivals_only({"rate": rate, "holiday_multiplier": multiplier}),
        duration=f"{days}d",
        calendar={"holidays": [holiday.isoformat()]},
        seed=7,
    )
    results = sim.run(scenario, replications=reps)
    observed = arrival_days(results, 0, days)
    per_minute = minute_rates(rate, days, holidays=[holiday], holiday_multiplier=multiplier)
    expected = reps * per_minute.reshape(days, -1).sum(axis=1)
    assert expected[1] == pytest.approx(multiplier * expected[0])
    assert_poisson_counts(observed, expected)
