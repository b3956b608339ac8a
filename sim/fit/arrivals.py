"""Arrivals: a rate with a 24-hour profile and weekday weights, and unusual dates as peaks.

External arrivals (a contact's first visit) are counted per hour of the log's period.
The model is the scenario's: a Poisson process whose hourly mean is ``a[hour] *
b[weekday] * m[date]``, with ``m`` 1 except on dates that depart strongly from the
pattern. Its maximum-likelihood fit is found by iterative proportional fitting (the
Poisson log-linear model's score equations match the margins: each hour's, weekday's and
unusual date's total). A date becomes a dated peak (``m`` free) when its count is beyond
what the pattern allows at a Bonferroni-corrected 0.1% level *and* departs by more than
:data:`PEAK_RATIO`; the search repeats until no date qualifies, taking a date with no
arrivals at all first (a closure or a gap in the export, against which its weekday's
other date would look like a promotion). The chi-square of
observed against fitted counts, per hour cell pooled to an expected count of at least 5,
says whether the pattern is adequate.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.fit.estimate import Estimate, poisson_ci

__all__ = ["PEAK_RATIO", "ArrivalFit", "fit_arrivals", "hour_cells"]

PEAK_RATIO = 1.5  # a date 50% above or a third below its expected volume
PEAK_ALPHA = 0.001
MIN_EXPECTED = 5.0
HOUR = 3600.0


@dataclass(frozen=True)
class DatedPeak:
    """A date whose volume departs from the pattern: its own multiplier."""

    date: dt.date
    multiplier: Estimate
    observed: int
    expected: float


@dataclass(frozen=True)
class ArrivalFit:
    """The arrival fit of one queue."""

    queue: str
    rate_per_hour: Estimate
    profile: np.ndarray
    profile_ci: np.ndarray
    weekdays: np.ndarray | None
    weekdays_ci: np.ndarray | None
    peaks: tuple[DatedPeak, ...]
    cells: pd.DataFrame
    chi2: float
    dof: int
    p_value: float

    def block(self) -> dict[str, object]:
        """The ``arrivals:`` block of the scenario."""
        out: dict[str, object] = {
            "rate": f"{self.rate_per_hour.value:.4g}/h",
            "profile": [round(float(w), 4) for w in self.profile],
        }
        if self.weekdays is not None:
            out["weekdays"] = [round(float(w), 4) for w in self.weekdays]
        if self.peaks:
            out["peaks"] = [
                {
                    "start": dt.datetime.combine(p.date, dt.time()).isoformat(timespec="minutes"),
                    "end": dt.datetime.combine(p.date + dt.timedelta(days=1), dt.time()).isoformat(
                        timespec="minutes"
                    ),
                    "multiplier": round(p.multiplier.value, 4),
                }
                for p in self.peaks
            ]
        return out


def hour_cells(origin: dt.datetime, period: tuple[float, float]) -> pd.DataFrame:
    """One row per whole hour of the period: start (s), date, hour, weekday."""
    starts = np.arange(period[0], period[1], HOUR)
    stamps = pd.Timestamp(origin) + pd.to_timedelta(starts, unit="s")
    return pd.DataFrame(
        {
            "start": starts,
            "date": stamps.date,
            "hour": stamps.hour,
            "weekday": stamps.day_of_week,
        }
    )


def _ipf(
    cells: pd.DataFrame, counts: np.ndarray, free_dates: set[dt.date]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hour x weekday (x free date) Poisson model: fitted means, hour and weekday factors."""
    hour, weekday = cells["hour"].to_numpy(), cells["weekday"].to_numpy()
    dates = cells["date"].to_numpy()
    free = np.array([d in free_dates for d in dates])
    date_codes, date_index = np.unique(dates, return_inverse=True)
    a, b = np.ones(24), np.ones(7)
    m: np.ndarray = np.ones(len(date_codes))
    for _ in range(200):
        previous = a[hour] * b[weekday] * m[date_index]
        # Each factor's partner is the product of the others, never the fit divided by
        # the factor: an hour or weekday with no arrivals has a factor of 0.
        a[:] = _margin(counts, b[weekday] * m[date_index], hour, 24, 0.0)
        b[:] = _margin(counts, a[hour] * m[date_index], weekday, 7, 0.0)
        if free.any():
            m = _margin(counts * free, a[hour] * b[weekday] * free, date_index, len(m), 1.0)
        fitted = a[hour] * b[weekday] * m[date_index]
        if np.allclose(fitted, previous, rtol=1e-9, atol=1e-12):
            break
    return fitted, a, b


def _margin(
    counts: np.ndarray, other: np.ndarray, key: np.ndarray, size: int, empty: float
) -> np.ndarray:
    """The factor matching each ``key``'s total: observed over the other factors' sum."""
    num = np.bincount(key, weights=counts, minlength=size)
    den = np.bincount(key, weights=other, minlength=size)
    return np.where(den > 0, num / np.where(den > 0, den, 1), empty)


def _unusual_date(
    cells: pd.DataFrame, counts: np.ndarray, model: tuple, free: set[dt.date]
) -> dt.date | None:
    """The date departing most from what the *other* dates of its weekday predict, if any.

    Leave-one-out: a promotion day must not raise its own weekday's weight and hide
    itself. The expectation of date d of weekday w is its hourly pattern times the
    weekday level of the other dates of w (the hourly factors are kept: one date moves
    them little). Dates with no other date of their weekday cannot be judged.
    """
    _, a, _ = model
    frame = pd.DataFrame(
        {"date": cells["date"], "weekday": cells["weekday"], "o": counts,
         "a": a[cells["hour"].to_numpy()]}
    )  # fmt: skip
    frame = frame[~frame["date"].isin(free)]
    days = frame.groupby("date").agg(weekday=("weekday", "first"), o=("o", "sum"), a=("a", "sum"))
    level = days.groupby("weekday")[["o", "a"]].transform("sum")
    others_a = level["a"] - days["a"]
    judged = others_a > 1e-9 * level["a"]
    days = days[judged]
    if days.empty:
        return None
    e = (days["a"] * (level["o"] - days["o"])[judged] / others_a[judged]).to_numpy()
    o = days["o"].to_numpy()
    alpha = PEAK_ALPHA / len(days)
    p_high = stats.poisson.sf(o - 1, e)
    p_low = stats.poisson.cdf(o, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(e > 0, o / e, np.inf)
    strong = ((p_high < alpha) & (ratio > PEAK_RATIO)) | (
        (p_low < alpha) & (ratio < 1 / PEAK_RATIO)
    )
    if not strong.any():
        return None
    empty = strong & (o == 0)
    if empty.any():
        # A date with no contacts at all (a closure, a gap in the export) comes first:
        # judged against it, its weekday's other date would look like a huge promotion.
        return days.index[int(np.argmax(np.where(empty, e, -np.inf)))]
    z = np.abs(o - e) / np.sqrt(np.maximum(e, 1.0))
    return days.index[int(np.argmax(np.where(strong, z, -np.inf)))]


def _chi_square(
    counts: np.ndarray, fitted: np.ndarray, parameters: int
) -> tuple[float, int, float]:
    """Pooled consecutive cells (expected >= 5): chi-square, degrees of freedom, p-value."""
    groups = np.zeros(len(counts), dtype=int)
    acc, g = 0.0, 0
    for i, e in enumerate(fitted):
        groups[i] = g
        acc += e
        if acc >= MIN_EXPECTED:
            g, acc = g + 1, 0.0
    if acc and g:  # a last group short of 5 joins the one before
        groups[groups == g] = g - 1
    o = np.bincount(groups, weights=counts)
    e = np.bincount(groups, weights=fitted)
    keep = e > 0
    chi2 = float(((o[keep] - e[keep]) ** 2 / e[keep]).sum())
    dof = max(int(keep.sum()) - parameters, 1)
    return chi2, dof, float(stats.chi2.sf(chi2, dof))


def _relative_ci(count: float) -> tuple[float, float]:
    low, high = poisson_ci(count)
    return (low / count, high / count) if count > 0 else (0.0, math.inf)


def fit_arrivals(
    queue: str, arrive: np.ndarray, origin: dt.datetime, period: tuple[float, float]
) -> ArrivalFit:
    """Fit the arrival pattern of one queue from its external arrival times (seconds)."""
    cells = hour_cells(origin, period)
    index = np.floor((np.asarray(arrive) - period[0]) / HOUR).astype(int)
    index = index[(index >= 0) & (index < len(cells))]
    counts = np.bincount(index, minlength=len(cells)).astype(float)
    full_week = cells.groupby("weekday")["hour"].count().reindex(range(7), fill_value=0)
    use_weekdays = bool((full_week >= 24).all())
    model_cells = cells if use_weekdays else cells.assign(weekday=0)
    free: set[dt.date] = set()
    fitted, a, b = _ipf(model_cells, counts, free)
    while (date := _unusual_date(model_cells, counts, (fitted, a, b), free)) is not None:
        free.add(date)
        fitted, a, b = _ipf(model_cells, counts, free)
    b = b if use_weekdays else b[:1]
    return _summarise(queue, cells, counts, (fitted, a, b), free)


def _weights_ci(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """95% CIs of weights from the counts behind them (exact Poisson, scaled)."""
    seen = counts > 0
    per_count = np.where(seen, weights / np.where(seen, counts, 1), 0.0)
    if seen.any():
        per_count[~seen] = np.median(per_count[seen])
    return np.array([poisson_ci(c) for c in counts]) * per_count[:, None]


def _summarise(
    queue: str,
    cells: pd.DataFrame,
    counts: np.ndarray,
    model: tuple[np.ndarray, np.ndarray, np.ndarray],
    free: set[dt.date],
) -> ArrivalFit:
    fitted, a, b = model
    hour, weekday = cells["hour"].to_numpy(), cells["weekday"].to_numpy()
    in_pattern = ~cells["date"].isin(free).to_numpy()
    profile = a / a.mean() if a.sum() > 0 else np.ones(24)
    n_h = np.bincount(hour[in_pattern], weights=counts[in_pattern], minlength=24)
    profile_ci = _weights_ci(n_h, profile)
    weekdays = weekdays_ci = None
    if len(b) == 7:
        weekdays = b / b.mean() if b.sum() > 0 else np.ones(7)
        n_w = np.bincount(weekday[in_pattern], weights=counts[in_pattern], minlength=7)
        weekdays_ci = _weights_ci(n_w, weekdays)
    # rate x profile[h] x weekdays[w] = a[h] b[w]: the rate is the mean over a week.
    mean_rate = float(a.mean() * b.mean())
    total = counts[in_pattern].sum()
    low, high = _relative_ci(total)
    rate = Estimate(
        mean_rate, mean_rate * low, mean_rate * high,
        "Poisson MLE (hour x weekday model), exact CI on the total", int(total),
    )  # fmt: skip
    pattern = a[hour] * (b[weekday] if len(b) == 7 else b[0])
    peaks = []
    for date in sorted(free):
        day = (cells["date"] == date).to_numpy()
        o, e = float(counts[day].sum()), float(pattern[day].sum())
        lo, hi = poisson_ci(o)  # over e, not relative to o: a date may have none
        ratio = o / e if e > 0 else math.nan
        estimate = Estimate(
            ratio, lo / e if e > 0 else math.nan, hi / e if e > 0 else math.nan,
            "date's count / pattern, exact CI", int(o),
        )  # fmt: skip
        peaks.append(DatedPeak(date, estimate, int(o), e))
    parameters = 24 + (6 if weekdays is not None else 0) + len(free)
    chi2, dof, p = _chi_square(counts, fitted, parameters)
    table = cells.assign(observed=counts, expected=fitted, queue=queue)
    return ArrivalFit(
        queue, rate, profile, profile_ci, weekdays, weekdays_ci, tuple(peaks), table, chi2, dof, p
    )
