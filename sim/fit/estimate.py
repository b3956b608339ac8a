"""Estimates with confidence intervals, and maximum likelihood for duration distributions.

A fitted value is an :class:`Estimate`: the value, its 95% CI and the method, which the
scenario file carries as a comment. Durations (handle time, patience, bot response) are
fitted by maximum likelihood in the scenario's own parameters, the mean and the
coefficient of variation, on the log scale: exact observations contribute their density,
right-censored ones (a wait that ended in an answer is a patience still running) their
survival. The optimum is found with :func:`scipy.optimize.minimize`; the CI is the Wald
interval on the log scale from the observed information (a numerical Hessian), so it
never crosses zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize, stats

from sim.distributions import MAX_CV, MAX_SECONDS, MIN_CV

if TYPE_CHECKING:  # what scipy's distributions return when called with parameters
    from scipy.stats._distn_infrastructure import rv_continuous_frozen

__all__ = [
    "FAMILIES",
    "Estimate",
    "FamilyFit",
    "fit_durations",
    "fit_family",
    "frozen",
    "poisson_ci",
    "share",
]

FAMILIES = ("exponential", "lognormal", "gamma")
Z95 = float(stats.norm.ppf(0.975))
GROUPING = 1e-4  # relative: durations equal to 0.01% are grouped
# The Kaplan-Meier curve is compared with a fit only where this many are still at risk:
# its last steps rest on a handful of contacts.
MIN_AT_RISK = 100
Grouped = tuple[np.ndarray, np.ndarray]
# A duration of zero has no density; below a millisecond it is read as one.
RESOLUTION = 1e-3


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its 95% confidence interval and how it was obtained."""

    value: float
    low: float
    high: float
    method: str
    n: int = 0

    def covers(self, truth: float) -> bool:
        """Whether ``truth`` lies in the interval."""
        return self.low <= truth <= self.high


def share(successes: int, trials: int, method: str = "share") -> Estimate:
    """A proportion with its Wilson 95% CI (``scipy.stats.binomtest``)."""
    if trials == 0:
        return Estimate(math.nan, math.nan, math.nan, f"{method}, no data", 0)
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(method="wilson")
    return Estimate(successes / trials, float(ci.low), float(ci.high), method, int(trials))


def poisson_ci(count: float) -> tuple[float, float]:
    """Exact (Garwood) 95% CI of a Poisson mean from one count."""
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    return float(low), float(stats.chi2.ppf(0.975, 2 * count + 2) / 2)


def frozen(family: str, mean: float, cv: float = 1.0) -> rv_continuous_frozen:
    """The scipy distribution of a family given by mean and cv (as in scenario files)."""
    if family == "exponential":
        return stats.expon(scale=mean)
    if family == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))
    if family == "gamma":
        shape = 1.0 / (cv * cv)
        return stats.gamma(a=shape, scale=mean / shape)
    raise ValueError(f"unknown family {family!r}")


@dataclass(frozen=True)
class FamilyFit:
    """One family fitted to durations: estimates, log-likelihood, AIC and a KS distance."""

    family: str
    mean: Estimate
    cv: Estimate | None
    loglik: float
    aic: float
    ks: float
    n_exact: int
    n_censored: int

    @property
    def dist(self) -> rv_continuous_frozen:
        """The fitted distribution (scipy)."""
        return frozen(self.family, self.mean.value, self.cv.value if self.cv else 1.0)

    def block(self) -> dict[str, object]:
        """The fit as a scenario distribution (``{dist, mean, cv}``)."""
        out: dict[str, object] = {"dist": self.family, "mean": round(self.mean.value, 2)}
        if self.cv is not None:
            out["cv"] = round(self.cv.value, 4)
        return out


def _grouped(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values to a relative precision of :data:`GROUPING`, and their counts.

    A month of a busy desk has a million waits but far fewer distinct ones at 0.01%:
    the likelihood on the distinct values is the same to far below its sampling error,
    and many times faster.
    """
    if not len(x):
        return x, x
    logs, counts = np.unique(np.round(np.log(x) / GROUPING), return_counts=True)
    return np.exp(logs * GROUPING), counts.astype(float)


def _negloglik(family: str, theta: np.ndarray, exact: Grouped, censored: Grouped) -> float:
    mean = math.exp(theta[0])
    cv = math.exp(theta[1]) if len(theta) > 1 else 1.0
    # Only distributions a scenario accepts: the fit is written as one.
    if not (MIN_CV <= cv <= MAX_CV and RESOLUTION <= mean <= MAX_SECONDS):
        return math.inf
    dist = frozen(family, mean, cv)
    total = dist.logpdf(exact[0]) @ exact[1]
    if len(censored[0]):
        total += dist.logsf(censored[0]) @ censored[1]
    return -float(total) if np.isfinite(total) else math.inf


def _hessian(f, x: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    k = len(x)
    h = np.eye(k) * step
    out = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                value = (f(x + h[i]) - 2 * f0 + f(x - h[i])) / step**2
            else:
                value = (
                    f(x + h[i] + h[j])
                    - f(x + h[i] - h[j])
                    - f(x - h[i] + h[j])
                    + f(x - h[i] - h[j])
                ) / (4 * step**2)
            out[i, j] = out[j, i] = value
    return out


def _start(exact: np.ndarray, censored: np.ndarray) -> np.ndarray:
    # The exponential MLE under censoring (total time over events) starts the mean.
    mean = (exact.sum() + censored.sum()) / max(len(exact), 1)
    cv = exact.std() / exact.mean() if len(exact) > 1 and exact.mean() > 0 else 1.0
    # Just inside the limits: exp(log(x)) may round past them.
    top = (MAX_SECONDS * (1 - 1e-9), MAX_CV * (1 - 1e-9))
    return np.log([min(max(mean, 1.0), top[0]), min(max(cv, 0.05), top[1])])


def _ks(family_fit: FamilyFit, exact: np.ndarray, censored: np.ndarray) -> float:
    """KS distance to the data: the sample's ECDF, or Kaplan-Meier when censored."""
    dist = family_fit.dist
    if not len(censored):
        # scipy-stubs take a scalar cdf only; a frozen distribution's is overloaded.
        return float(stats.kstest(exact, dist.cdf).statistic)  # type: ignore[arg-type]
    km = stats.ecdf(stats.CensoredData(uncensored=exact, right=censored)).sf
    everyone = np.sort(np.concatenate([exact, censored]))
    at_risk = len(everyone) - np.searchsorted(everyone, km.quantiles, side="left")
    t = km.quantiles[at_risk >= MIN_AT_RISK]
    p = km.probabilities[at_risk >= MIN_AT_RISK]
    return float(np.max(np.abs(p - dist.sf(t)))) if len(t) else math.nan


def fit_family(
    family: str, exact: np.ndarray, censored: np.ndarray | None = None, *, what: str = ""
) -> FamilyFit:
    """Maximum likelihood fit of one family; ``censored`` are right-censored durations."""
    exact = np.maximum(np.asarray(exact, float), RESOLUTION)
    censored = np.asarray(censored if censored is not None else [], float)
    censored = censored[censored > 0]  # a bound of zero says nothing
    theta0 = _start(exact, censored)
    if family == "exponential":
        theta0 = theta0[:1]

    grouped_exact, grouped_censored = _grouped(exact), _grouped(censored)

    def f(theta: np.ndarray) -> float:
        return _negloglik(family, theta, grouped_exact, grouped_censored)

    if family == "exponential":
        best = theta0  # closed form: total time over the number of exact observations
    else:
        best = optimize.minimize(f, theta0, method="Nelder-Mead", options={"xatol": 1e-6}).x
    nll = f(best)
    try:
        cov = np.linalg.inv(_hessian(f, best))
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.full(len(best), math.nan)
    kind = "censored MLE" if len(censored) else "MLE"
    method = f"{kind} {family}{' ' + what if what else ''}, Wald CI on log scale"
    n = len(exact) + len(censored)

    def estimate(i: int) -> Estimate:
        value = math.exp(best[i])
        return Estimate(
            value, math.exp(best[i] - Z95 * se[i]), math.exp(best[i] + Z95 * se[i]), method, n
        )

    k = len(best)
    partial = FamilyFit(
        family, estimate(0), estimate(1) if k > 1 else None, -nll, 2 * k + 2 * nll, math.nan,
        len(exact), len(censored),
    )  # fmt: skip
    return FamilyFit(**{**partial.__dict__, "ks": _ks(partial, exact, censored)})


def fit_durations(
    exact: np.ndarray, censored: np.ndarray | None = None, families: tuple[str, ...] = FAMILIES
) -> list[FamilyFit]:
    """Every family fitted, best AIC first."""
    fits = [fit_family(f, exact, censored) for f in families]
    return sorted(fits, key=lambda x: x.aic)
