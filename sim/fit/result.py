"""The Python API: ``sim.fit(log) -> FitResult``.

:func:`fit` reads and cleans the log, fits every queue (arrivals, staffing, bot, handle
time, patience, routes), writes the scenario and validates it like any file;
:meth:`FitResult.backtest` simulates it over the log's own period (run once, on first
use), and :meth:`FitResult.report` gathers every table as DataFrames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.fit.arrivals import fit_arrivals
from sim.fit.backtest import Backtest, run_backtest
from sim.fit.bot import fit_bot
from sim.fit.estimate import Estimate
from sim.fit.handle import HandleFit, fit_handle
from sim.fit.log import Log, LogError, read_log, read_table
from sim.fit.patience import fit_patience
from sim.fit.routes import fit_routes
from sim.fit.staffing import IDLE_GAP, fit_staffing, read_roster
from sim.fit.write import QueueFit, scenario_yaml
from sim.loader import from_dict
from sim.options import option
from sim.runner import positive_whole, replication_count, seed_value
from sim.scenario import Scenario
from sim.staffing.base import parse_interval
from sim.yamlfile import parse_text

__all__ = ["FitResult", "fit"]


@dataclass
class FitResult:
    """A fitted scenario, how it was fitted, and (on demand) its back-test.

    Attributes:
        scenario: the fitted scenario, validated (:func:`sim.run` takes it).
        yaml_text: the fitted scenario file (also :meth:`to_yaml`).
        log: the log as read and cleaned.
        queues: per queue of the log, what was fitted (see :meth:`queue`).
        replications: replications of the back-test (and of the scenario file).
        seed: seed of the back-test (and of the scenario file).
    """

    scenario: Scenario
    yaml_text: str
    log: Log
    queues: list[QueueFit]
    replications: int
    seed: int
    workers: int | None = None
    progress: bool = False
    scheduler: Any = None
    _backtest: Backtest | None = field(default=None, repr=False)

    def to_yaml(self) -> str:
        """The fitted scenario file, every fitted value commented."""
        return self.yaml_text

    def queue(self, name: str) -> QueueFit:
        """The fits of one queue.

        Raises:
            KeyError: the log has no queue ``name``; the message lists those it has.
        """
        for q in self.queues:
            if q.queue == name:
                return q
        fitted = ", ".join(q.queue for q in self.queues)
        raise KeyError(f"no queue {name!r} in the fitted log (queues: {fitted})")

    def backtest(self) -> Backtest:
        """The fitted scenario simulated over the log's period, beside the log."""
        if self._backtest is None:
            self._backtest = run_backtest(
                self.scenario,
                self.log.frame,
                self.log.origin,
                self.log.period,
                replications=self.replications,
                seed=self.seed,
                workers=self.workers,
                progress=self.progress,
                scheduler=self.scheduler,
            )
        return self._backtest

    @cached_property
    def parameters(self) -> pd.DataFrame:
        """Every fitted value: queue, parameter, value, 95% CI, method, n."""
        rows = []
        for q in self.queues:
            for name, e in _estimates(q):
                rows.append(
                    {"queue": q.queue, "parameter": name, "value": e.value, "low": e.low,
                     "high": e.high, "method": e.method, "n": e.n}
                )  # fmt: skip
        return pd.DataFrame(rows)

    def distributions(self) -> pd.DataFrame:
        """Every family fitted to handle times and patience: AIC, KS, chosen or not."""
        rows = []
        for q in self.queues:
            for what, fitted in (("handle", q.handle), ("patience", q.patience)):
                if fitted is None:
                    continue
                chosen = fitted.chosen if isinstance(fitted, HandleFit) else fitted.best.family
                rows += [
                    {"queue": q.queue, "what": what, "family": f.family,
                     "mean_s": f.mean.value, "cv": f.cv.value if f.cv else 1.0,
                     "loglik": f.loglik, "aic": f.aic, "ks": f.ks,
                     "n_exact": f.n_exact, "n_censored": f.n_censored,
                     "chosen": f.family == chosen}
                    for f in fitted.fits
                ]  # fmt: skip
        return pd.DataFrame(rows)

    def report(self, backtest: bool = True) -> dict[str, pd.DataFrame]:
        """Every table of the fit (and of the back-test) as DataFrames, by name.

        ``parameters`` (every fitted value with its 95% CI, as :attr:`parameters`),
        ``distributions`` (:meth:`distributions`), ``cleaning`` (what the log's
        cleaning repaired or dropped), ``staffing`` (agents present, busy and effective
        per queue and interval) and ``arrivals`` (observed against expected arrivals per
        queue, date and hour); with ``backtest`` (it runs the back-test once, on first
        use) also ``backtest_overall``, ``backtest_daily`` and ``backtest_hourly``:
        observed figures with their CIs beside the simulated ones.
        """
        tables = {
            "parameters": self.parameters,
            "distributions": self.distributions(),
            "cleaning": self.log.cleaning.table(),
            "staffing": pd.concat([q.staffing.intervals for q in self.queues], ignore_index=True),
            "arrivals": pd.concat(
                [q.arrivals.cells for q in self.queues if q.arrivals is not None],
                ignore_index=True,
            ),
        }
        if backtest:
            b = self.backtest()
            tables |= {
                "backtest_overall": b.overall,
                "backtest_daily": b.daily,
                "backtest_hourly": b.hourly,
            }
        return tables


def _estimates(q: QueueFit) -> list[tuple[str, Estimate]]:
    out = []
    a = q.arrivals
    if a is not None:
        out.append(("arrivals.rate_per_hour", a.rate_per_hour))
        out += [(f"arrivals.peak.{p.date}", p.multiplier) for p in a.peaks]
        weights = [("profile", a.profile, a.profile_ci)]
        if a.weekdays is not None:
            weights.append(("weekdays", a.weekdays, a.weekdays_ci))  # type: ignore[arg-type]  # both set
        for name, values, ci in weights:
            method = f"{name} weight (mean 1), exact Poisson CI on its count"
            out += [
                (f"arrivals.{name}.{i}", Estimate(float(v), float(lo), float(hi), method))
                for i, (v, (lo, hi)) in enumerate(zip(values, ci, strict=True))
            ]
    if q.handle is not None:
        out.append((f"service.mean_s ({q.handle.chosen})", q.handle.mean))
        if q.handle.cv is not None:
            out.append((f"service.cv ({q.handle.chosen})", q.handle.cv))
    if q.patience is not None:
        best = q.patience.best
        out.append((f"patience.mean_s ({best.family})", best.mean))
        if best.cv is not None:
            out.append((f"patience.cv ({best.family})", best.cv))
    r = q.routes
    if r.resolution is not None:
        out.append(("resolution", r.resolution))
    if r.visibility is not None:
        out.append(("visibility", r.visibility))
    for name in ("on_unresolved", "on_abandon", "on_not_visible", "on_closed"):
        out += [(f"{name}.{dest}", e) for dest, e in getattr(r, name).items()]
    if q.bot is not None:
        out += [("bot.share", q.bot.share), ("bot.resolution", q.bot.resolution)]
        out.append(("bot.handle_s (not simulated)", q.bot.handle))
    return out


def _roster(roster: str | Path | pd.DataFrame | None, log: Log) -> pd.DataFrame | None:
    if roster is None:
        return None
    source = "<roster>" if isinstance(roster, pd.DataFrame) else str(roster)
    table = roster if isinstance(roster, pd.DataFrame) else read_table(roster)
    return read_roster(table, log.origin, source)


def _fit_queue(
    name: str, log: Log, *, interval: float, idle_gap: float, roster: pd.DataFrame | None
) -> QueueFit:
    frame = log.frame[log.frame["queue"] == name]
    horizon = float(np.nanmax(log.frame[["arrive", "answer", "end"]].to_numpy(float))) + interval
    staffing = fit_staffing(
        name, frame, log.origin, horizon, interval=interval, idle_gap=idle_gap, roster=roster,
        period_end=log.period[1],
    )  # fmt: skip
    external = frame.loc[frame["external"], "arrive"].to_numpy(float)
    arrivals = fit_arrivals(name, external, log.origin, log.period) if len(external) else None
    agent = frame[frame["kind"] == "agent"]
    handle = fit_handle(name, (agent["end"] - agent["answer"]).to_numpy(float))
    answered = frame[frame["kind"].isin(["agent", "bot"])]
    abandoned = frame[frame["kind"] == "abandoned"]
    patience = fit_patience(
        name,
        (abandoned["end"] - abandoned["arrive"]).to_numpy(float),
        (answered["answer"] - answered["arrive"]).to_numpy(float),
    )
    routes = fit_routes(name, frame, log.queues)
    bot = fit_bot(name, frame, staffing.present_at)
    return QueueFit(name, arrivals, handle, patience, staffing, routes, bot)


def fit(
    log: str | Path | pd.DataFrame | Log,
    *,
    start: dt.datetime | str | None = None,
    columns: dict[str, str] | None = None,
    interval: float | str = 3600.0,
    roster: str | Path | pd.DataFrame | None = None,
    replication: int | None = None,
    max_broken: float = 0.05,
    idle_gap: float = IDLE_GAP,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = None,
    name: str | None = None,
    progress: bool = False,
    scheduler: Any = None,
) -> FitResult:
    """Fit a scenario to a contact log.

    Args:
        log: a CSV or Parquet file, or a DataFrame, with the log's columns (README,
            "Fitting a scenario to a contact log"); or a log already read with
            :func:`sim.fit.read_log` (then ``start``, ``columns``, ``replication`` and
            ``max_broken`` are the ones it was read with, and giving them here is a
            TypeError).
        start: time zero when the log's times are seconds (a datetime or ISO text).
        columns: ``{log field: column}`` for logs whose columns are named otherwise.
        interval: staffing interval, 30 or 60 minutes: seconds (1800, 3600) or text
            (``"30m"``, ``"1h"``).
        roster: scheduled agents (``start``, ``end``, ``agents``, optional ``queue``).
        replication: which replication of a ``contacts.csv`` to fit (default: the first).
        max_broken: share of broken rows above which the log is refused (0 to 1).
        idle_gap: idle time after which an agent counts as gone (seconds).
        replications: replications of the back-test (and of the scenario file).
        seed: seed of the back-test (and of the scenario file).
        workers: local processes for the back-test.
        name: the scenario's name (default: ``fitted-`` and the file's stem;
            ``fitted-log`` for a DataFrame or a log already read).
        progress: show a progress bar during the back-test.
        scheduler: a Dask scheduler address, ``distributed.Client`` or cluster to run
            the back-test on instead of local processes (see :func:`sim.run`).

    Returns:
        The fitted scenario (``.scenario``, ``.to_yaml()``), its fits and, on first use,
        its back-test (``.backtest()``, ``.report()``).

    Raises:
        LogError: bad input (missing column, no rows, too many broken rows, no way to
            tell the staffing, a ``start`` that is not a date-time or has a time zone).
        TypeError: ``replications``, ``seed`` or ``workers`` is not a whole number, or
            an option of reading the log is given with a log already read.
        ValueError: ``interval`` is not 30 or 60 minutes, ``max_broken`` not a share
            from 0 to 1, ``replications`` or ``workers`` below 1, or ``seed`` negative.
    """
    if isinstance(log, Log):
        _refuse_read_options(start=start, columns=columns, replication=replication,
                             max_broken=max_broken)  # fmt: skip
    if isinstance(start, str):
        start = _start(start, log)
    interval = parse_interval(interval)
    if not 0 <= max_broken <= 1:
        raise ValueError(f"max_broken is a share from 0 to 1 (0.05 is 5%), got {max_broken!r}")
    replications, seed = replication_count(replications), seed_value(seed)
    if workers is not None:
        positive_whole(workers, "workers")
    cleaned = (
        log
        if isinstance(log, Log)
        else read_log(
            log, columns=columns, start=start, replication=replication, max_broken=max_broken
        )
    )
    if not cleaned.has_agent and roster is None:
        raise LogError(
            cleaned.source,
            f"no agent column (or no value in it): give {option('roster')} to say who was on shift",
            "agent",
        )
    rosters = _roster(roster, cleaned)
    fits = [
        _fit_queue(q, cleaned, interval=interval, idle_gap=idle_gap, roster=rosters)
        for q in cleaned.queues
    ]
    stem = "log" if isinstance(log, pd.DataFrame | Log) else Path(log).stem
    name = name or f"fitted-{stem}"
    header = _header(cleaned, interval)
    text = scenario_yaml(
        name, cleaned.origin, cleaned.period, fits,
        header=header, replications=replications, seed=seed,
    )  # fmt: skip
    # Read back as a file is (sim.yamlfile's YAML rules), not by PyYAML's defaults.
    scenario = from_dict(parse_text(text), source=f"fitted scenario of {cleaned.source}")
    return FitResult(
        scenario, text, cleaned, fits, replications, seed, workers, progress, scheduler
    )


def _refuse_read_options(**given: object) -> None:
    """A Log was read with its own options: any given to :func:`fit` would be ignored."""
    defaults = {"start": None, "columns": None, "replication": None, "max_broken": 0.05}
    ignored = [name for name, value in given.items() if value != defaults[name]]
    if ignored:
        raise TypeError(
            f"{', '.join(ignored)}: options of reading the log, and this log is already read "
            "(give them to sim.fit.read_log, or pass the file or DataFrame)"
        )


def _start(text: str, log: str | Path | pd.DataFrame | Log) -> dt.datetime:
    """``start`` given as text: an ISO date-time, or bad input naming ``start``."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        source = log.source if isinstance(log, Log) else _source(log)
        reason = f"expected an ISO date-time like 2026-11-02T00:00, got {text!r}"
        raise LogError(source, reason, "start") from None


def _source(log: str | Path | pd.DataFrame) -> str:
    return "<DataFrame>" if isinstance(log, pd.DataFrame) else str(log)


def _header(log: Log, interval: float) -> list[str]:
    c = log.cleaning
    return [
        f"Fitted by `sim fit` from {log.source}: {c.rows:,} rows, {len(log.frame):,} used, "
        f"{c.n_broken:,} broken.",
        "Every fitted value's comment gives its estimate, 95% CI and method. Staffing is the",
        f"one quantity set per {int(interval // 60)}-minute interval from the log: present "
        "agents times an availability",
        "factor estimated from busy time and waits (see sim/fit/staffing.py).",
    ]
