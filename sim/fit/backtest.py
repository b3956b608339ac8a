"""The back-test: the fitted scenario simulated over the log's own period, beside the log.

Observed and simulated figures are computed by the same function from the same kind of
rows (the simulated contacts go through the log reader's conversion), by queue and day,
by queue and hour of day, and overall: visits, abandonment (abandoned / visits), mean
wait of answered visits (first answer - arrival), and the share answered within the
threshold (of visits offered service). Observed CIs: exact Poisson for counts, Wilson
for shares, Student t for the mean wait. Simulated: the mean over replications with its
t CI, and ``plausible``: whether the observed figure lies in the 95% prediction interval
of one replication (``mean ± t sd sqrt(1 + 1/R)``), i.e. could be a run of the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.fit.estimate import poisson_ci
from sim.fit.log import contacts_as_log, visit_kinds
from sim.records import on_time
from sim.runner import run
from sim.scenario import Scenario
from sim.stats import mean_ci

__all__ = ["FIGURES", "Backtest", "figures", "run_backtest"]

FIGURES = ("arrivals", "abandon_rate", "mean_wait_s", "service_level")
DAY = 86400.0


@dataclass(frozen=True)
class Backtest:
    """Observed against simulated figures: overall, by day and by hour of day."""

    overall: pd.DataFrame
    daily: pd.DataFrame
    hourly: pd.DataFrame
    replications: int
    seed: int


def _keys(frame: pd.DataFrame, origin: dt.datetime) -> pd.DataFrame:
    stamps = pd.Timestamp(origin) + pd.to_timedelta(frame["arrive"], unit="s")
    return frame.assign(date=stamps.dt.date.astype(str), hour=stamps.dt.hour, overall="all")


def figures(frame: pd.DataFrame, by: list[str], threshold: float) -> pd.DataFrame:
    """Per group: visits, abandoned, answered, offered, mean wait and its parts."""
    kind = frame["kind"]
    answered = kind.isin(["agent", "bot"])
    wait = (frame["answer"] - frame["arrive"]).where(answered)
    in_time = answered & on_time(frame["answer"], frame["arrive"], threshold)
    rows = frame.assign(
        visits=1,
        abandoned=(kind == "abandoned").astype(int),
        answered=answered.astype(int),
        offered=(kind != "lost").astype(int),
        within=in_time.astype(int),
        wait=wait,
        wait2=wait**2,
    )
    g = rows.groupby(by, observed=True)
    out = g[["visits", "abandoned", "answered", "offered", "within"]].sum()
    out["wait_sum"], out["wait_sq"] = g["wait"].sum(), g["wait2"].sum()
    out["arrivals"] = out["visits"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["abandon_rate"] = out["abandoned"] / out["visits"]
        out["mean_wait_s"] = out["wait_sum"] / out["answered"]
        out["service_level"] = out["within"] / out["offered"]
    return out


def _observed_ci(f: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=f.index)
    for metric in FIGURES:
        out[f"observed_{metric}"] = f[metric]
    bounds = np.array([poisson_ci(c) for c in f["visits"]]).reshape(-1, 2)
    out["observed_arrivals_low"], out["observed_arrivals_high"] = bounds[:, 0], bounds[:, 1]
    for metric, num, den in (
        ("abandon_rate", "abandoned", "visits"),
        ("service_level", "within", "offered"),
    ):
        ci = [
            stats.binomtest(int(k), int(n)).proportion_ci(method="wilson") if n else None
            for k, n in zip(f[num], f[den], strict=True)
        ]
        out[f"observed_{metric}_low"] = [c.low if c else np.nan for c in ci]
        out[f"observed_{metric}_high"] = [c.high if c else np.nan for c in ci]
    n = f["answered"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (f["wait_sq"] - n * f["mean_wait_s"] ** 2) / (n - 1)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(np.clip(var, 0, None) / n)
    out["observed_mean_wait_s_low"] = f["mean_wait_s"] - half
    out["observed_mean_wait_s_high"] = f["mean_wait_s"] + half
    return out


def _simulated(per_rep: list[pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    r = len(per_rep)
    t = stats.t.ppf(0.975, r - 1) if r > 1 else np.nan
    for metric in FIGURES:
        values = np.column_stack(
            [p[metric].reindex(index).to_numpy(float) for p in per_rep]
        )  # one column per replication
        if metric == "arrivals":
            values = np.nan_to_num(values)
        means, halves = (
            zip(*(mean_ci(row) for row in values), strict=True) if len(values) else ((), ())
        )
        sd = np.array([_sd(row) for row in values])
        out[f"simulated_{metric}"] = means
        out[f"simulated_{metric}_ci95"] = halves
        out[f"simulated_{metric}_band"] = t * sd * np.sqrt(1 + 1 / r)
    return out


def _sd(values: np.ndarray) -> float:
    x = values[~np.isnan(values)]
    return float(x.std(ddof=1)) if len(x) > 1 else np.nan


def _table(observed: pd.DataFrame, per_rep: list[pd.DataFrame]) -> pd.DataFrame:
    table = _observed_ci(observed).join(_simulated(per_rep, observed.index))
    for metric in FIGURES:
        gap = (table[f"observed_{metric}"] - table[f"simulated_{metric}"]).abs()
        band = table[f"simulated_{metric}_band"]
        table[f"plausible_{metric}"] = (gap <= band).where(gap.notna() & band.notna())
    return table.reset_index()


def run_backtest(
    scenario: Scenario,
    observed_rows: pd.DataFrame,
    origin: dt.datetime,
    period: tuple[float, float],
    *,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
    scheduler: Any = None,
) -> Backtest:
    """Simulate ``scenario`` and set its figures beside the log's."""
    threshold = scenario.service_level_threshold
    results = run(
        scenario,
        replications=replications,
        seed=seed,
        workers=workers,
        progress=progress,
        scheduler=scheduler,
    )
    contacts = results.contacts()
    # A run with no contact at all is a run with zero arrivals, not a run left out.
    runs = dict(tuple(contacts.groupby("replication", sort=True)))
    simulated = [
        _counted(_as_log(runs.get(r, contacts.iloc[:0])), period) for r in range(replications)
    ]
    observed = _counted(observed_rows, period)
    tables = {}
    for name, by in (
        ("overall", ["queue"]),
        ("daily", ["queue", "date"]),
        ("hourly", ["queue", "hour"]),
    ):
        obs = figures(_keys(observed, origin), by, threshold)
        reps = [figures(_keys(s, origin), by, threshold) for s in simulated]
        tables[name] = _table(obs, reps)
    return Backtest(tables["overall"], tables["daily"], tables["hourly"], replications, seed)


def _as_log(contacts: pd.DataFrame) -> pd.DataFrame:
    frame = contacts_as_log(contacts)
    frame["queue"] = frame["queue"].astype(str)
    frame["kind"] = visit_kinds(frame["outcome"].astype(str), frame["agent"].isna().to_numpy())
    return frame


def _counted(frame: pd.DataFrame, period: tuple[float, float]) -> pd.DataFrame:
    arrive = frame["arrive"].to_numpy(float)
    return frame[(arrive >= period[0]) & (arrive < period[1])]
