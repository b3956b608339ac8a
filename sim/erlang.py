"""Closed-form queueing formulas for validating the simulator and sizing staff.

The discrete-event engine in :mod:`sim` is only trustworthy if, for the special
cases that have an exact answer, its estimates agree with that answer. This
module supplies those answers and the staffing search built on them:

* Erlang B (M/M/c/c loss) and Erlang C (M/M/c delay): blocking and waiting
  probabilities, mean wait, waiting-time survival and service level.
* M/M/1 shortcuts, which make the simplest engine tests easy to read.
* Erlang A (M/M/c+M, Palm's model with exponential patience), computed from the
  birth-death stationary distribution; see :func:`erlang_a`.
* Cobham's formula for the mean wait of each class of a non-preemptive priority
  M/M/c queue with one service rate; see :func:`mmc_priority_waits`.
* :func:`required_agents`, the smallest headcount meeting a service target.

All quantities are computed in log space from Poisson log-pmfs (never from
factorials), so they stay finite for thousands of agents and loads of
thousands of erlangs. Times are in whatever unit the rates use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import betainc, logsumexp
from scipy.stats import poisson

__all__ = [
    "ErlangA",
    "erlang_a",
    "erlang_a_service_level",
    "erlang_b",
    "erlang_c",
    "mm1_mean_wait",
    "mm1_utilization",
    "mmc_mean_wait",
    "mmc_priority_waits",
    "mmc_service_level",
    "mmc_wait_survival",
    "required_agents",
]

# Terms below exp(-700) relative to the largest are < 1e-300 of the total and cannot
# change any double-precision result.
_LOG_NEGLIGIBLE = 700.0
# Only reached when patience is extremely long compared with service in an overloaded
# or critically loaded system; refusing beats silently allocating gigabytes.
_MAX_TAIL_TERMS = 1 << 22
_MAX_AGENTS = 10_000_000


def _rate(name: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _agents(c: int) -> int:
    if isinstance(c, Real) and not isinstance(c, (bool, Integral)) and float(c).is_integer():
        c = int(c)
    if isinstance(c, bool) or not isinstance(c, Integral) or c < 0:
        raise ValueError(f"c (number of agents) must be an integer >= 0, got {c!r}")
    return int(c)


def _times(t: float | np.ndarray) -> np.ndarray:
    arr = np.asarray(t, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr < 0):
        raise ValueError(f"t must be >= 0 (no NaN), got {t!r}")
    return arr


def _as_output(arr: np.ndarray) -> float | np.ndarray:
    return float(arr) if arr.ndim == 0 else arr


def _log_head(c: int, a: float) -> np.ndarray:
    # log(a^k/k!) up to the constant -a, for k = 0..c. Summing pmfs with logsumexp
    # instead of calling poisson.logcdf because the latter underflows to -inf
    # when a >> c (e.g. c=10, a=1000).
    return poisson.logpmf(np.arange(c + 1), a)


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Uses B = pmf(c) / cdf(c) of a Poisson(a) variable, evaluated in log space.

    Args:
        c: Number of agents (integer >= 0).
        a: Offered load in erlangs, lambda / mu (>= 0).

    Returns:
        Probability that an arrival finds all ``c`` agents busy and is lost.

    Raises:
        ValueError: If ``c`` is not a non-negative integer or ``a`` is negative.
    """
    c, a = _agents(c), _rate("a", a)
    log_head = _log_head(c, a)
    return float(np.exp(log_head[-1] - logsumexp(log_head)))


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability that an arrival must wait in an M/M/c queue.

    Args:
        c: Number of agents (integer >= 0).
        a: Offered load in erlangs, lambda / mu (>= 0).

    Returns:
        P(wait > 0); 1.0 when ``a >= c`` (the queue is unstable, everyone waits).

    Raises:
        ValueError: If ``c`` is not a non-negative integer or ``a`` is negative.
    """
    c, a = _agents(c), _rate("a", a)
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    # Standard B -> C conversion; the denominator is >= 1 - a/c > 0, so no cancellation.
    return b / (1.0 - (a / c) * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue of an M/M/c queue, C(c, a) / (c*mu - lam).

    Args:
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 0).

    Returns:
        Mean wait in queue, or ``math.inf`` if ``lam >= c*mu``.

    Raises:
        ValueError: On negative rates, ``mu == 0`` or invalid ``c``.
    """
    lam, mu, c = _rate("lam", lam), _rate("mu", mu, positive=True), _agents(c)
    if lam >= c * mu:
        return math.inf
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_priority_waits(lams: Sequence[float], mu: float, c: int) -> list[float]:
    """Mean wait of each class of a non-preemptive priority M/M/c queue (Cobham, 1954).

    All classes share one exponential service rate; within a class service is first
    come, first served. With ``sigma_k`` the load of classes 1..k per agent,
    ``W_k = C(c, a) / (c * mu * (1 - sigma_{k-1}) * (1 - sigma_k))``.

    Args:
        lams: Arrival rate of each class, highest priority first (each >= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 1).

    Returns:
        Mean wait in queue of each class, in the order given; ``math.inf`` for the
        classes whose cumulative load (theirs and the higher classes') reaches
        ``c * mu``.

    Raises:
        ValueError: On negative rates, ``mu == 0`` or invalid ``c``.
    """
    lams = [_rate("lam", lam) for lam in lams]
    mu, c = _rate("mu", mu, positive=True), _agents(c)
    if c < 1:
        raise ValueError("c (number of agents) must be at least 1")
    # Overloaded as a whole, every agent is always busy (C = 1), and the classes whose
    # own cumulative load stays below c * mu still see the formula.
    waiting = erlang_c(c, sum(lams) / mu) / (c * mu)
    waits, before = [], 0.0
    for lam in lams:
        after = before + lam / (c * mu)
        waits.append(math.inf if after >= 1.0 else waiting / ((1.0 - before) * (1.0 - after)))
        before = after
    return waits


def mmc_wait_survival(t: float | np.ndarray, lam: float, mu: float, c: int) -> float | np.ndarray:
    """Waiting-time tail P(W > t) = C(c, a) * exp(-(c*mu - lam) * t) of an M/M/c queue.

    Args:
        t: Time threshold(s) >= 0; scalar or array-like.
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 0).

    Returns:
        P(W > t) with the shape of ``t`` (a float for scalar ``t``); 1.0 everywhere
        if the queue is unstable.

    Raises:
        ValueError: On negative or NaN ``t``, negative rates, ``mu == 0`` or invalid ``c``.
    """
    t_arr = _times(t)
    lam, mu, c = _rate("lam", lam), _rate("mu", mu, positive=True), _agents(c)
    if lam >= c * mu:
        return _as_output(np.ones_like(t_arr))
    return _as_output(erlang_c(c, lam / mu) * np.exp(-(c * mu - lam) * t_arr))


def mmc_service_level(t: float | np.ndarray, lam: float, mu: float, c: int) -> float | np.ndarray:
    """Service level P(W <= t) of an M/M/c queue.

    Args:
        t: Answer-time threshold(s) >= 0; scalar or array-like.
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 0).

    Returns:
        1 - :func:`mmc_wait_survival`, with the shape of ``t``.

    Raises:
        ValueError: On invalid inputs (see :func:`mmc_wait_survival`).
    """
    return _as_output(1.0 - np.asarray(mmc_wait_survival(t, lam, mu, c)))


def mm1_utilization(lam: float, mu: float) -> float:
    """Offered utilisation rho = lam / mu of an M/M/1 queue (may exceed 1).

    Args:
        lam: Arrival rate (>= 0).
        mu: Service rate (> 0).

    Returns:
        ``lam / mu``.

    Raises:
        ValueError: On negative rates or ``mu == 0``.
    """
    return _rate("lam", lam) / _rate("mu", mu, positive=True)


def mm1_mean_wait(lam: float, mu: float) -> float:
    """Mean time in queue of an M/M/1 queue, rho / (mu - lam).

    Args:
        lam: Arrival rate (>= 0).
        mu: Service rate (> 0).

    Returns:
        Mean wait in queue, or ``math.inf`` if ``lam >= mu``.

    Raises:
        ValueError: On negative rates or ``mu == 0``.
    """
    rho = mm1_utilization(lam, mu)
    return math.inf if rho >= 1 else rho / (mu - lam)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state performance of an M/M/c+M (Erlang A) queue.

    Attributes:
        p_wait: Probability that an arrival has to wait (finds all agents busy).
        p_abandon: Probability that an arrival abandons before service.
        mean_wait: Mean time in queue over all arrivals, abandoners included
            (equals ``p_abandon / theta``).
        mean_wait_served: Mean time in queue of the arrivals that get served
            (NaN when nobody is served, i.e. ``c == 0``).
        utilization: Fraction of agent time busy, lam * (1 - p_abandon) / (c*mu).
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_served: float
    utilization: float


def _erlang_a_chain(lam: float, mu: float, c: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Normalised stationary probabilities of M/M/c+M: (pi_0..pi_c, pi_{c+1}..pi_{c+J}).

    The tail is grown in doubling chunks until it is decreasing and negligible,
    because its length depends on (lam - c*mu)/theta and is not known up front.
    """
    log_head = _log_head(c, lam / mu)
    # Chain terms are tracked relative to pi_c, so the head peak is shifted likewise.
    head_peak = float(log_head.max() - log_head[-1])
    log_ratio_steps, last, peak, start, size = [], 0.0, 0.0, 1, 1024
    while True:
        j = np.arange(start, start + size, dtype=float)
        steps = math.log(lam) - np.log(c * mu + j * theta)
        chunk = last + np.cumsum(steps)
        log_ratio_steps.append(chunk)
        last, peak = float(chunk[-1]), max(peak, float(chunk.max()))
        if steps[-1] < 0 and last < max(peak, head_peak) - _LOG_NEGLIGIBLE:
            break
        start += size
        size *= 2
        if start > _MAX_TAIL_TERMS:
            raise ValueError(
                "Erlang A tail too long: patience is extremely long relative to the "
                f"overload (lam={lam}, c*mu={c * mu}, theta={theta}); use erlang_c for "
                "a stable system or a larger theta"
            )
    log_tail = log_head[-1] + np.concatenate(log_ratio_steps)
    log_z = np.logaddexp(logsumexp(log_head), logsumexp(log_tail))
    return np.exp(log_head - log_z), np.exp(log_tail - log_z)


def erlang_a(lam: float, mu: float, c: int, theta: float) -> ErlangA:
    """Steady-state metrics of the M/M/c+M (Erlang A / Palm) queue.

    The chain is a birth-death process with birth rate ``lam`` and death rate
    ``min(k, c)*mu + max(k - c, 0)*theta`` in state ``k``, so pi_k is proportional
    to a^k/k! for k <= c and to pi_c * prod_{j=1}^{k-c} lam / (c*mu + j*theta) above.
    It is evaluated directly in log space and truncated once terms fall below
    1e-300 of the largest (for theta > 0 the tail decays super-geometrically).
    This is preferred over the incomplete-gamma closed form of Mandelbaum & Zeltyn
    because it is transparent and avoids the cancellation that closed form suffers
    for small theta; the test suite checks the two agree. Then, by PASTA,
    P(wait) = sum_{k>=c} pi_k; P(abandon) = theta * E[queue] / lam (abandonment rate
    over arrival rate); mean wait = E[queue] / lam (Little). A tagged arrival that
    finds j others queued is served with probability c*mu / (c*mu + (j+1)*theta)
    after expected stage times sum_{i=1}^{j+1} 1 / (c*mu + i*theta), which gives the
    wait of served customers.

    Args:
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 0).
        theta: Abandonment rate, 1 / mean patience (>= 0). ``theta == 0`` reduces
            to Erlang C and requires ``lam < c*mu``.

    Returns:
        An :class:`ErlangA` with the steady-state metrics.

    Raises:
        ValueError: On invalid inputs, on ``theta == 0`` with ``lam >= c*mu``, or if
            theta is so small relative to the load that the tail cannot be summed.
    """
    lam, mu, c = _rate("lam", lam), _rate("mu", mu, positive=True), _agents(c)
    theta = _rate("theta", theta)
    served_util = 0.0 if c == 0 else lam / (c * mu)
    if lam == 0:
        return ErlangA(0.0, 0.0, 0.0, 0.0, 0.0)
    if theta == 0:
        if lam >= c * mu:
            raise ValueError(f"theta=0 needs lam < c*mu for stability, got {lam} >= {c * mu}")
        wq = mmc_mean_wait(lam, mu, c)
        return ErlangA(erlang_c(c, lam / mu), 0.0, wq, wq, served_util)
    head, tail = _erlang_a_chain(lam, mu, c, theta)
    j = np.arange(1, tail.size + 1, dtype=float)
    mean_queue = float(np.dot(j, tail))
    p_abandon = min(1.0, theta * mean_queue / lam)
    # Arrivals seeing k = c + j (j = 0, 1, ...) queue behind j others.
    seen = np.concatenate(([head[-1]], tail[:-1]))
    rates = c * mu + np.arange(1, seen.size + 1) * theta
    served_part = float(np.dot(seen * (c * mu / rates), np.cumsum(1.0 / rates)))
    return ErlangA(
        p_wait=min(1.0, float(head[-1] + tail.sum())),
        p_abandon=p_abandon,
        mean_wait=mean_queue / lam,
        mean_wait_served=served_part / (1.0 - p_abandon) if c > 0 else math.nan,
        utilization=min(1.0, served_util * (1.0 - p_abandon)),  # rounding in overload
    )


def erlang_a_service_level(t: float, lam: float, mu: float, c: int, theta: float) -> float:
    """Service level P(W <= t) of the M/M/c+M queue, W the actual time in queue.

    W ends at service start or at abandonment, so customers who abandon within
    ``t`` count as meeting the threshold (Mandelbaum & Zeltyn's P{W <= t}). An
    arrival finding j others queued abandons at constant rate theta, independently
    of its progress; its offered wait V is a sum of exponentials with rates
    c*mu + m*theta, m = 0..j, so exp(-theta*V) ~ Beta(c*mu/theta, j+1) and
    P(W > t | j) = exp(-theta*t) * I_{exp(-theta*t)}(c*mu/theta, j+1).

    Args:
        t: Answer-time threshold (>= 0).
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        c: Number of agents (integer >= 0).
        theta: Abandonment rate (>= 0); 0 gives the Erlang C service level.

    Returns:
        P(W <= t).

    Raises:
        ValueError: On invalid inputs (see :func:`erlang_a`).
    """
    t = float(_times(t))
    lam, mu, c = _rate("lam", lam), _rate("mu", mu, positive=True), _agents(c)
    theta = _rate("theta", theta)
    if lam == 0:
        return 1.0
    if theta == 0:
        erlang_a(lam, mu, c, theta)  # same stability rule as erlang_a
        return float(mmc_service_level(t, lam, mu, c))
    head, tail = _erlang_a_chain(lam, mu, c, theta)
    seen = np.concatenate(([head[-1]], tail[:-1]))
    x = math.exp(-theta * t)
    # With c == 0 nobody is ever served, so only abandonment ends the wait.
    offered = betainc(c * mu / theta, np.arange(1, seen.size + 1), x) if c > 0 else 1.0
    return float(min(1.0, max(0.0, 1.0 - x * float(np.sum(seen * offered)))))


def required_agents(
    lam: float,
    mu: float,
    *,
    target_sl: float | None = None,
    t: float | None = None,
    max_mean_wait: float | None = None,
    max_abandon: float | None = None,
    theta: float | None = None,
) -> int:
    """Smallest number of agents meeting exactly one service target.

    Without ``theta`` the Erlang C model is used; with ``theta`` the Erlang A
    model (every metric is monotone in c, so a doubling-plus-bisection search
    is exact).

    Args:
        lam: Arrival rate (>= 0).
        mu: Service rate of one agent (> 0).
        target_sl: Required service level P(W <= t), in (0, 1); needs ``t``.
        t: Answer-time threshold for ``target_sl`` (>= 0).
        max_mean_wait: Upper bound on the mean time in queue (> 0); under Erlang A
            this is the mean over all arrivals, abandoners included.
        max_abandon: Upper bound on P(abandon), in (0, 1]; needs ``theta``.
        theta: Abandonment rate (> 0) to size with Erlang A instead of Erlang C.

    Returns:
        The smallest ``c`` whose metric meets the target (0 when ``lam == 0``).

    Raises:
        ValueError: On invalid rates, not exactly one target, a target out of
            range, ``t`` missing for ``target_sl``, or ``max_abandon`` without ``theta``.
    """
    lam, mu = _rate("lam", lam), _rate("mu", mu, positive=True)
    targets = [x is not None for x in (target_sl, max_mean_wait, max_abandon)]
    if sum(targets) != 1:
        raise ValueError("give exactly one of target_sl, max_mean_wait, max_abandon")
    if theta is not None:
        theta = _rate("theta", theta, positive=True)
    if target_sl is not None:
        if not 0 < _rate("target_sl", target_sl) < 1:
            raise ValueError(f"target_sl must be in (0, 1), got {target_sl!r}")
        if t is None:
            raise ValueError("target_sl needs the threshold t")
        t = float(_times(t))
    elif t is not None:
        raise ValueError("t is only meaningful together with target_sl")
    if max_mean_wait is not None:
        _rate("max_mean_wait", max_mean_wait, positive=True)
    if max_abandon is not None:
        if theta is None:
            raise ValueError("max_abandon needs theta (Erlang A); Erlang C has no abandonment")
        if not 0 < _rate("max_abandon", max_abandon) <= 1:
            raise ValueError(f"max_abandon must be in (0, 1], got {max_abandon!r}")
    if lam == 0:
        return 0

    # The closure reads only the one target given (checked above), and t comes with
    # target_sl: the defaults are never compared with.
    t_sl = 0.0 if t is None else t
    wait_bound = math.inf if max_mean_wait is None else max_mean_wait

    def meets(c: int) -> bool:
        if theta is None:
            if target_sl is not None:
                return float(mmc_service_level(t_sl, lam, mu, c)) >= target_sl
            return mmc_mean_wait(lam, mu, c) <= wait_bound
        if target_sl is not None:
            return erlang_a_service_level(t_sl, lam, mu, c, theta) >= target_sl
        perf = erlang_a(lam, mu, c, theta)
        if max_abandon is not None:
            return perf.p_abandon <= max_abandon
        return perf.mean_wait <= wait_bound

    # Erlang C fails every target for c <= a (unstable); Erlang A may not.
    lo = -1 if theta is not None else math.floor(lam / mu)
    hi = max(lo + 1, math.ceil(lam / mu))
    while not meets(hi):
        lo, hi = hi, 2 * hi
        if hi > _MAX_AGENTS:
            raise ValueError(f"target not met with up to {_MAX_AGENTS} agents")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi
