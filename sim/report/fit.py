"""The report of ``sim fit --report``: the fitted scenario and its back-test against the log."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sim.report.html import Card, Image, Report, ScenarioText, Section, facts, image
from sim.report.tables import Table, backtest_table, fmt, with_ci
from sim.units import format_duration

if TYPE_CHECKING:
    import pandas as pd

    from sim.fit import FitResult

__all__ = ["fit_report", "fitted_scenario"]

_PER_WEIGHT = ("arrivals.profile.", "arrivals.weekdays.")


def fitted_scenario(result: FitResult, source: str) -> ScenarioText:
    """The fitted file as written (every value with its CI and method in a comment)."""
    from sim.results import resolved_yaml, scenario_hash  # noqa: PLC0415 - import cycle

    return ScenarioText(
        label="fitted scenario",
        source=source,
        text=result.to_yaml(),
        resolved=resolved_yaml(result.scenario),
        sha256=scenario_hash(result.scenario),
    )


def _cards(overall: pd.DataFrame) -> tuple[Card, ...]:
    cards = []
    for _, r in overall.iterrows():
        observed = fmt(r["observed_abandon_rate"], "share")
        simulated = with_ci(r["simulated_abandon_rate"], r["simulated_abandon_rate_ci95"], "share")
        wait = fmt(r["observed_mean_wait_s"], "time")
        sim_wait = fmt(r["simulated_mean_wait_s"], "time")
        odd = r["plausible_abandon_rate"] is False or r["plausible_mean_wait_s"] is False
        cards.append(
            Card(
                f"{r['queue']}: abandoned, log against fitted model",
                f"{observed} / {simulated}",
                f"mean wait {wait} / {sim_wait} · {fmt(r['observed_arrivals'], 'count')} visits",
                flag="miss" if odd else "",
            )
        )
    return tuple(cards)


def _parameters(result: FitResult) -> Table:
    rows = tuple(
        (
            r["queue"],
            r["parameter"],
            f"{r['value']:.4g}",
            f"{r['low']:.4g}-{r['high']:.4g}",
            r["method"],
        )
        for _, r in result.parameters.iterrows()
        if not r["parameter"].startswith(_PER_WEIGHT)
    )
    caption = (
        "Every fitted value with its 95% CI and method (the 24 hourly and 7 weekday weights "
        "are in the fitted file's comments)."
    )
    return Table(("queue", "parameter", "estimate", "95% CI", "method"), rows, 2, caption)


def _distributions(result: FitResult) -> Table:
    table = result.distributions()
    rows = tuple(
        (
            r["queue"],
            r["what"],
            r["family"],
            fmt(r["mean_s"], "time"),
            f"{r['cv']:.3g}",
            f"{r['aic']:,.1f}",
            f"{r['ks']:.3f}",
            "chosen" if r["chosen"] else "",
        )
        for _, r in table.iterrows()
    )
    caption = (
        "Handle time and patience: every family fitted by maximum likelihood (patience with "
        "the waits of answered visits as censored observations), chosen by AIC; KS distance "
        "of the fit to the data."
    )
    header = ("queue", "what", "family", "mean", "cv", "AIC", "KS", "")
    return Table(header, rows, 3, caption)


def _cleaning(result: FitResult) -> Table:
    table = result.log.cleaning.table()
    rows = tuple((str(r.kind), str(r.what), f"{r.rows:,}") for r in table.itertuples())
    return Table(("kind", "what", "rows"), rows, 2, "What the log held and what was repaired.")


def _figures(result: FitResult, queue: str) -> tuple[Image, ...]:
    from sim import plots  # noqa: PLC0415 - matplotlib

    fit = result.queue(queue)
    drawn = [
        (
            plots.backtest_figure(result, queue),
            "Back-test by day",
            f"Observed and simulated visits, abandonment, mean wait and service level of {queue} "
            "for each date of the log, simulated with its 95% band.",
        ),
        (
            plots.backtest_figure(result, queue, by="hour"),
            "Back-test by hour of day",
            f"The same figures of {queue} by hour of day over the whole log.",
        ),
        (
            plots.staffing_figure(result, queue),
            "Staffing",
            f"Agents present per interval in the log of {queue} and the effective agents the "
            "fitted scenario puts on duty after the availability factor.",
        ),
    ]
    if fit.handle is not None:
        drawn.append(
            (
                plots.handle_time_figure(result, queue),
                "Handle time",
                f"Observed handle times of {queue} against the fitted families, with a QQ plot.",
            )
        )
    if fit.patience is not None:
        drawn.append(
            (
                plots.patience_figure(result, queue),
                "Patience",
                f"Kaplan-Meier estimate of {queue}'s patience against the parametric fits.",
            )
        )
    return tuple(image(fig, title, alt) for fig, title, alt in drawn)


def fit_report(result: FitResult, *, log: str, out: str, command: str | None = None) -> Report:
    """The back-test tables and figures, the fitted values, and the fitted file.

    Args:
        result: the fit.
        log: the log file as given.
        out: the fitted scenario file written.
        command: the command line that made the result.
    """
    b = result.backtest()
    threshold = result.scenario.service_level_threshold
    start = result.log.origin + dt.timedelta(seconds=result.log.period[0])
    length = format_duration(result.log.period[1] - result.log.period[0])
    queues = [q.queue for q in result.queues]
    per_queue = tuple(
        Section(
            f"Queue {q}",
            tables=(
                backtest_table(
                    b.daily[b.daily["queue"] == q],
                    "date",
                    threshold,
                    f"{q} by day: observed ±95% CI against simulated mean ±95% CI.",
                ),
                backtest_table(
                    b.hourly[b.hourly["queue"] == q], "hour", threshold, f"{q} by hour of day."
                ),
            ),
            images=_figures(result, q),
        )
        for q in queues
    )
    return Report(
        kind="fit",
        title=f"Fitted from {log}: {', '.join(queues)}",
        question=(
            f"Does a scenario fitted to the log {log} ({result.log.cleaning.rows:,} rows, "
            f"{len(result.log.frame):,} used; {length} from {start:%a %d %b %Y %H:%M}) "
            "reproduce it when simulated over the log's own period?",
            f"The fitted scenario is {out}: every value in it carries its estimate, 95% CI "
            "and method as a comment.",
        ),
        cards=_cards(b.overall),
        headline=(
            backtest_table(
                b.overall,
                "queue",
                threshold,
                "Overall: observed ±95% CI against simulated mean ±95% CI.",
            ),
        ),
        sections=(
            Section("What the log held", tables=(_cleaning(result),), anchor="log"),
            Section("Fitted values", tables=(_parameters(result), _distributions(result))),
            *per_queue,
        ),
        facts=facts(b.seed, b.replications, command=command),
        scenarios=(fitted_scenario(result, out),),
        notes=(
            "A simulated figure marked ! (and its row) lies where the observed one is "
            "outside one simulated run's 95% range: the model could not have produced it.",
        ),
    )
