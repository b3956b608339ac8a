"""Tests for sim.erlang against independently computed references.

References are computed here, not copied from a run: exact rational arithmetic
for Erlang B/C, the incomplete-gamma closed form for Erlang A, and a small
Gillespie simulation of the M/M/c+M queue for the per-customer quantities.
"""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammainc, gammaincc, gammaln

from sim.erlang import (
    ErlangA,
    erlang_a,
    erlang_a_service_level,
    erlang_b,
    erlang_c,
    mm1_mean_wait,
    mm1_utilization,
    mmc_mean_wait,
    mmc_priority_waits,
    mmc_service_level,
    mmc_wait_survival,
    required_agents,
)

# --------------------------------------------------------------------------- references


def exact_erlang_b(c: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def exact_erlang_b_integer_load(c: int, a: int) -> Fraction:
    # B = a^c / sum_k a^k c!/k!, all in integers, so c=1000 stays fast and exact.
    total, falling = 0, 1
    for k in range(c, -1, -1):
        total += a**k * falling
        falling *= k
    return Fraction(a**c, total)


def erlang_a_closed_form(lam: float, mu: float, c: int, theta: float) -> tuple[float, float]:
    """(P(wait), P(abandon)) via the incomplete-gamma form (Mandelbaum & Zeltyn).

    With x = lam/theta and y = c*mu/theta the tail sum relative to pi_c is
    T = sum_j x^j G(y+1)/G(y+j+1) = e^x x^-y G(y+1) P(y, x), and the
    balance (c*mu + j*theta) t_j = lam t_{j-1} gives theta*sum_j j t_j = (lam - c*mu) T + c*mu.
    """
    a, x, y = lam / mu, lam / theta, c * mu / theta
    big_t = math.exp(gammaln(y + 1) + x - y * math.log(x) + math.log(gammainc(y, x)))
    b = math.exp(c * math.log(a) - a - gammaln(c + 1)) / gammaincc(c + 1, a)
    norm = 1 + b * (big_t - 1)
    p_wait = b * big_t / norm
    p_abandon = b * ((1 - c * mu / lam) * big_t + c * mu / lam) / norm
    return p_wait, p_abandon


def simulate_mmc_m(lam, mu, c, theta, *, n_arrivals, seed):
    """Gillespie simulation of FCFS M/M/c+M; returns (P(wait), P(ab), E[W | served])."""
    rng = np.random.default_rng(seed)
    now, busy, queue = 0.0, 0, deque()
    arrivals = waited = abandoned = served = 0
    served_wait = 0.0
    while arrivals < n_arrivals:
        rates = (lam, busy * mu, len(queue) * theta)
        total = sum(rates)
        now += rng.exponential(1 / total)
        u = rng.random() * total
        if u < rates[0]:
            arrivals += 1
            if busy < c:
                busy += 1
                served += 1
            else:
                waited += 1
                queue.append(now)
        elif u < rates[0] + rates[1]:
            if queue:
                served_wait += now - queue.popleft()
                served += 1
            else:
                busy -= 1
        else:
            # Exponential patience is memoryless, so the abandoner is uniform over the queue.
            del queue[rng.integers(len(queue))]
            abandoned += 1
    return waited / arrivals, abandoned / arrivals, served_wait / served


# --------------------------------------------------------------------------- Erlang B / C

LOADS = [Fraction(1, 10), Fraction(1, 2), Fraction(9, 10), Fraction(3, 2), Fraction(37, 7)]


@pytest.mark.parametrize("c", range(1, 11))
@pytest.mark.parametrize("a", [*LOADS, Fraction(12), Fraction(101, 4)])
def test_erlang_b_matches_exact_rationals(c, a):
    assert erlang_b(c, float(a)) == pytest.approx(float(exact_erlang_b(c, a)), rel=1e-12)


RHOS = [Fraction(1, 10), Fraction(1, 2), Fraction(4, 5), Fraction(99, 100)]


@pytest.mark.parametrize("c", range(1, 11))
@pytest.mark.parametrize("rho", RHOS)
def test_erlang_c_matches_exact_rationals(c, rho):
    a = rho * c
    assert erlang_c(c, float(a)) == pytest.approx(float(exact_erlang_c(c, a)), rel=1e-11)


def test_erlang_edge_cases():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(5, 7.5) == 1.0
    assert erlang_b(10, 1000.0) == pytest.approx(float(exact_erlang_b_integer_load(10, 1000)))


def test_large_c_is_finite_and_exact():
    b, cprob = erlang_b(1000, 950.0), erlang_c(1000, 950.0)
    assert b == pytest.approx(float(exact_erlang_b_integer_load(1000, 950)), rel=1e-10)
    assert 0 < b < cprob < 1
    assert cprob == pytest.approx(b / (1 - 0.95 * (1 - b)), rel=1e-12)
    wq = mmc_mean_wait(950.0, 1.0, 1000)
    assert math.isfinite(wq)
    assert wq == pytest.approx(cprob / 50.0)
    perf = erlang_a(950.0, 1.0, 1000, 0.5)
    assert all(math.isfinite(v) for v in vars(perf).values())
    assert 0 < perf.p_abandon < perf.p_wait < cprob


# --------------------------------------------------------------------------- M/M/1 and M/M/c


@pytest.mark.parametrize("a", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_erlang_c_single_server_equals_load(a):
    assert erlang_c(1, a) == pytest.approx(a, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("lam", "mu"), [(0.5, 1.0), (3.0, 4.0), (9.9, 10.0)])
def test_mm1_identities(lam, mu):
    rho = lam / mu
    assert mm1_utilization(lam, mu) == pytest.approx(rho)
    assert mm1_mean_wait(lam, mu) == pytest.approx(rho / (mu - lam))
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(rho / (mu - lam))


def test_unstable_systems():
    assert mm1_mean_wait(2.0, 1.0) == math.inf
    assert mm1_utilization(2.0, 1.0) == 2.0
    assert mmc_mean_wait(10.0, 1.0, 10) == math.inf
    assert mmc_wait_survival(3.0, 10.0, 1.0, 10) == 1.0
    assert mmc_service_level(3.0, 10.0, 1.0, 10) == 0.0


def test_wait_survival_shape_and_integral():
    lam, mu, c = 8.0, 1.0, 10
    t = np.array([0.0, 0.1, 1.0, 5.0])
    surv = mmc_wait_survival(t, lam, mu, c)
    assert isinstance(surv, np.ndarray)
    assert surv.shape == t.shape
    assert surv[0] == pytest.approx(erlang_c(c, lam / mu))
    assert np.all(np.diff(surv) < 0)
    np.testing.assert_allclose(mmc_service_level(t, lam, mu, c), 1 - surv)
    assert isinstance(mmc_wait_survival(0.5, lam, mu, c), float)
    integral, _ = quad(lambda s: mmc_wait_survival(s, lam, mu, c), 0, np.inf)
    assert integral == pytest.approx(mmc_mean_wait(lam, mu, c), rel=1e-8)


# --------------------------------------------------------------------------- priorities


@pytest.mark.parametrize(
    ("lams", "mu", "c"), [((0.2, 0.3), 1.0, 1), ((4, 6), 1.0, 12), ((1, 2, 3), 0.5, 14)]
)
def test_priority_waits_average_to_the_fcfs_wait(lams, mu, c):
    """With one service rate, the order of service does not change the mean wait over all
    contacts (Kleinrock's conservation law): the classes' waits average to Erlang C's."""
    waits = mmc_priority_waits(lams, mu, c)
    average = sum(lam * w for lam, w in zip(lams, waits, strict=True)) / sum(lams)
    assert average == pytest.approx(mmc_mean_wait(sum(lams), mu, c), rel=1e-12)
    assert waits == sorted(waits)  # higher priority waits less


def test_priority_waits_single_server_closed_form():
    """M/M/1 non-preemptive: W_k = (rho / mu) / ((1 - sigma_{k-1}) (1 - sigma_k))."""
    lams, mu = (0.1, 0.2, 0.3), 1.0
    rho = sum(lams) / mu
    sigma = np.cumsum((0.0, *lams)) / mu
    expected = [rho / mu / ((1 - sigma[k]) * (1 - sigma[k + 1])) for k in range(3)]
    assert mmc_priority_waits(lams, mu, 1) == pytest.approx(expected, rel=1e-12)
    # One class is plain M/M/c; an overloaded low class waits forever, the high one not.
    assert mmc_priority_waits([5.0], 1.0, 7) == pytest.approx([mmc_mean_wait(5.0, 1.0, 7)])
    high, low = mmc_priority_waits([0.5, 1.0], 1.0, 1)
    assert math.isfinite(high)
    assert low == math.inf


# --------------------------------------------------------------------------- Erlang A

ERLANG_A_CASES = [
    (100.0, 1.0, 110, 0.5),
    (100.0, 1.0, 90, 0.5),
    (2.0, 1.0, 2, 0.5),
    (5.0, 1.0, 3, 2.0),
    (950.0, 1.0, 1000, 0.1),
    (20.0, 0.5, 30, 0.05),
]


@pytest.mark.parametrize(("lam", "mu", "c", "theta"), ERLANG_A_CASES)
def test_erlang_a_matches_incomplete_gamma_closed_form(lam, mu, c, theta):
    perf = erlang_a(lam, mu, c, theta)
    p_wait, p_abandon = erlang_a_closed_form(lam, mu, c, theta)
    assert perf.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert perf.p_abandon == pytest.approx(p_abandon, rel=1e-7)


@pytest.mark.parametrize(("lam", "mu", "c", "theta"), ERLANG_A_CASES)
def test_erlang_a_identities(lam, mu, c, theta):
    perf = erlang_a(lam, mu, c, theta)
    assert isinstance(perf, ErlangA)
    for p in (perf.p_wait, perf.p_abandon, perf.utilization):
        assert 0 <= p <= 1
    assert perf.p_abandon <= perf.p_wait
    assert perf.p_abandon == pytest.approx(theta * perf.mean_wait, rel=1e-12)
    assert perf.utilization == pytest.approx(lam * (1 - perf.p_abandon) / (c * mu), rel=1e-12)
    assert erlang_a_service_level(0.0, lam, mu, c, theta) == pytest.approx(1 - perf.p_wait)
    # E[W] is the integral of the survival P(W > t) computed by the service-level formula.
    integral, _ = quad(lambda s: 1 - erlang_a_service_level(s, lam, mu, c, theta), 0, np.inf)
    assert integral == pytest.approx(perf.mean_wait, rel=1e-6)
    # E[W] = E[W; served] + E[W; abandoned], and the second part is positive.
    assert perf.mean_wait_served > 0
    assert perf.mean_wait_served * (1 - perf.p_abandon) <= perf.mean_wait


def test_erlang_a_benchmark_case():
    perf = erlang_a(100.0, 1.0, 110, 0.5)
    assert 0 < perf.p_abandon < perf.p_wait < erlang_c(110, 100.0)
    assert perf.mean_wait < mmc_mean_wait(100.0, 1.0, 110)
    assert perf.utilization < 100 / 110


@pytest.mark.parametrize(("lam", "mu", "c"), [(8.0, 1.0, 10), (95.0, 1.0, 100), (0.7, 1.0, 1)])
def test_erlang_a_reduces_to_erlang_c_as_theta_vanishes(lam, mu, c):
    perf = erlang_a(lam, mu, c, 1e-9)
    cprob, wq = erlang_c(c, lam / mu), mmc_mean_wait(lam, mu, c)
    assert perf.p_wait == pytest.approx(cprob, rel=1e-6)
    assert perf.mean_wait == pytest.approx(wq, rel=1e-6)
    assert perf.mean_wait_served == pytest.approx(wq, rel=1e-6)
    assert perf.p_abandon < 1e-6
    sl = erlang_a_service_level(0.3, lam, mu, c, 1e-9)
    assert sl == pytest.approx(mmc_service_level(0.3, lam, mu, c), rel=1e-6)
    exact = erlang_a(lam, mu, c, 0.0)
    assert exact.p_wait == cprob
    assert exact.mean_wait == wq
    assert erlang_a_service_level(0.3, lam, mu, c, 0.0) == mmc_service_level(0.3, lam, mu, c)


@pytest.mark.parametrize(("lam", "mu", "c"), [(8.0, 1.0, 10), (12.0, 1.0, 10), (100.0, 1.0, 110)])
def test_erlang_a_becomes_loss_system_as_theta_grows(lam, mu, c):
    perf = erlang_a(lam, mu, c, 1e9)
    b = erlang_b(c, lam / mu)
    assert perf.p_wait == pytest.approx(b, rel=1e-6)
    assert perf.p_abandon == pytest.approx(b, rel=1e-6)
    assert perf.mean_wait < 1e-8
    assert perf.utilization == pytest.approx(lam / mu * (1 - b) / c, rel=1e-6)


def test_erlang_a_matches_simulation():
    lam, mu, c, theta = 2.0, 1.0, 2, 0.5
    perf = erlang_a(lam, mu, c, theta)
    p_wait, p_abandon, wait_served = simulate_mmc_m(lam, mu, c, theta, n_arrivals=200_000, seed=7)
    assert p_wait == pytest.approx(perf.p_wait, rel=0.03)
    assert p_abandon == pytest.approx(perf.p_abandon, rel=0.03)
    assert wait_served == pytest.approx(perf.mean_wait_served, rel=0.04)


def test_erlang_a_degenerate_inputs():
    assert erlang_a(0.0, 1.0, 3, 0.5) == ErlangA(0.0, 0.0, 0.0, 0.0, 0.0)
    nobody = erlang_a(5.0, 1.0, 0, 1.0)
    assert nobody.p_wait == pytest.approx(1.0)
    assert nobody.p_abandon == pytest.approx(1.0)
    assert nobody.mean_wait == pytest.approx(1.0)
    assert math.isnan(nobody.mean_wait_served)
    with pytest.raises(ValueError, match="stability"):
        erlang_a(10.0, 1.0, 10, 0.0)


# --------------------------------------------------------------------------- staffing

STAFFING_CASES = [
    ({"target_sl": 0.8, "t": 1 / 3}, None),
    ({"target_sl": 0.95, "t": 0.1}, None),
    ({"max_mean_wait": 0.05}, None),
    ({"target_sl": 0.8, "t": 1 / 3}, 0.5),
    ({"max_mean_wait": 0.02}, 0.5),
    ({"max_abandon": 0.02}, 0.5),
    ({"max_abandon": 0.2}, 2.0),
]


def _meets(lam, mu, c, target, theta):
    if theta is None:
        if "target_sl" in target:
            return mmc_service_level(target["t"], lam, mu, c) >= target["target_sl"]
        return mmc_mean_wait(lam, mu, c) <= target["max_mean_wait"]
    if "target_sl" in target:
        return erlang_a_service_level(target["t"], lam, mu, c, theta) >= target["target_sl"]
    perf = erlang_a(lam, mu, c, theta)
    if "max_abandon" in target:
        return perf.p_abandon <= target["max_abandon"]
    return perf.mean_wait <= target["max_mean_wait"]


@pytest.mark.parametrize(("target", "theta"), STAFFING_CASES)
@pytest.mark.parametrize(("lam", "mu"), [(100.0, 1.0), (3.0, 0.25), (0.5, 1.0)])
def test_required_agents_is_minimal(lam, mu, target, theta):
    c = required_agents(lam, mu, theta=theta, **target)
    assert _meets(lam, mu, c, target, theta)
    assert c == 0 or not _meets(lam, mu, c - 1, target, theta)


def test_required_agents_zero_load_and_abandonment_helps():
    assert required_agents(0.0, 1.0, target_sl=0.8, t=0.2) == 0
    erlang_c_staff = required_agents(100.0, 1.0, target_sl=0.8, t=1 / 3)
    erlang_a_staff = required_agents(100.0, 1.0, target_sl=0.8, t=1 / 3, theta=0.5)
    assert erlang_a_staff <= erlang_c_staff


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_b(2.5, 1.0),
        lambda: erlang_b(3, -0.1),
        lambda: erlang_b(3, math.nan),
        lambda: erlang_c(3, math.inf),
        lambda: mmc_mean_wait(-1.0, 1.0, 3),
        lambda: mmc_mean_wait(1.0, 0.0, 3),
        lambda: mmc_wait_survival(-1.0, 1.0, 2.0, 1),
        lambda: mmc_wait_survival(np.array([0.0, -1.0]), 1.0, 2.0, 1),
        lambda: mmc_service_level(1.0, 1.0, -2.0, 1),
        lambda: mm1_utilization(1.0, -1.0),
        lambda: mm1_mean_wait(-1.0, 1.0),
        lambda: erlang_a(1.0, 1.0, -2, 0.5),
        lambda: erlang_a(1.0, 1.0, 2, -0.5),
        lambda: erlang_a_service_level(-0.1, 1.0, 1.0, 2, 0.5),
        lambda: required_agents(1.0, 1.0),
        lambda: required_agents(1.0, 1.0, target_sl=0.8),
        lambda: required_agents(1.0, 1.0, target_sl=1.0, t=1.0),
        lambda: required_agents(1.0, 1.0, target_sl=0.8, t=1.0, max_mean_wait=1.0),
        lambda: required_agents(1.0, 1.0, max_abandon=0.1),
        lambda: required_agents(1.0, 1.0, max_abandon=0.1, theta=0.0),
        lambda: required_agents(1.0, 1.0, max_mean_wait=0.0),
        lambda: required_agents(1.0, 1.0, max_mean_wait=1.0, t=1.0),
        lambda: required_agents(-1.0, 1.0, max_mean_wait=1.0),
    ],
)
def test_invalid_inputs_raise_value_error(call):
    with pytest.raises(ValueError):  # noqa: PT011 - every message differs; type is the contract
        call()


def test_edges_of_the_formulas_no_other_test_reached():
    # A whole number given as a float is a number of agents; 2.5 agents is not.
    assert erlang_c(3.0, 2.0) == erlang_c(3, 2.0)
    with pytest.raises(ValueError, match=r"integer >= 0, got 2\.5"):
        erlang_c(2.5, 2.0)
    # Priority classes need an agent to share; no arrivals meet any answer-time target.
    with pytest.raises(ValueError, match="must be at least 1"):
        mmc_priority_waits([0.1, 0.2], 1.0, 0)
    assert erlang_a_service_level(20.0, 0.0, 1 / 300, 3, 1 / 60) == 1.0
    with pytest.raises(ValueError, match=r"max_abandon must be in \(0, 1\], got 1\.5"):
        required_agents(1.0, 1.0, theta=1.0, max_abandon=1.5)
    # Patience far longer than an overload lasts: the chain's tail cannot be summed.
    with pytest.raises(ValueError, match="Erlang A tail too long"):
        erlang_a(1.0, 1e-9, 1, 1e-12)
