"""``sim fit LOG --out FITTED.yaml``: a scenario fitted from a contact log, back-tested."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_OK,
    add_allow_large,
    add_scheduler_option,
    check_workload,
    command_line,
    json_clean,
    non_negative_int,
    positive_int,
    progress_wanted,
    replications,
    table_width,
    typed,
    wrap,
)
from sim.errors import ScenarioError
from sim.outputs import OutputPlan
from sim.staffing.base import INTERVAL_HELP, parse_interval
from sim.units import parse_duration

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["register"]

LOG_HELP = (
    "The log: CSV (UTF-8, UTF-16 or GB18030; delimited by , ; tab or |) or Parquet, one row "
    "per contact per queue visit, columns queue (optional), "
    "arrive, answer (empty if never answered), end (service end, or when the contact gave up), "
    "outcome (answered/abandoned or the project's outcome names), optional agent, contact, "
    "next_queue, resolved; times as ISO date-times (2026-11-16 09:05, 2026/11/16 9:05), "
    "as Chinese tools write them (2026年11月16日 09:05), as Excel serial dates, or seconds "
    "with --start (Unix times are refused: give the desk's local date-times). The project's "
    "own contacts.csv (sim run --out) is a log: its start comes from the metadata.json "
    "beside it, and of its replications the first is fitted unless --replication says "
    "which."
)


def _share(text: str) -> float:
    try:  # float()'s own message ("could not convert string to float") names no option
        value = float(text.strip().rstrip("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise ValueError(f"expected a share like 5% or 0.05, got {text!r}")
    return value


def _start(text: str):
    import datetime as dt

    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO date-time like 2026-11-02T00:00, got {text!r}") from None
    if start.tzinfo is not None:  # the log's seconds are read on the desk's wall clock
        from sim.fit.log import ZONED_START

        raise ValueError(f"{ZONED_START}, got {text!r}")
    return start


def _columns(text: str) -> dict[str, str]:
    from sim.fit.log import parse_columns

    return parse_columns(text)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sim fit LOG``."""
    p = sub.add_parser(
        "fit",
        help="fit a scenario to a contact log, and back-test it",
        description=wrap(
            "Read a contact log, report what was repaired or rejected, fit each queue "
            "(arrivals with an hourly profile, weekday weights and unusual dates as dated "
            "peaks; handle time and patience by maximum likelihood, patience with answered "
            "waits as censored observations; a bot path for visits answered without an agent; "
            "resolution and routes; staffing as effective agents per interval), and write a "
            "commented scenario file that sim run accepts. Then simulate it over the log's "
            "own period and print observed against simulated figures by day, by hour of day "
            "and overall.",
            LOG_HELP,
            "Staffing: from --roster when given, else agents present from a first answer to a "
            "last service end, split at idle gaps longer than --idle-gap. A present agent idle "
            "while a contact waited was away (an available agent would have taken it): from "
            "the first such moment in an idle gap to the gap's end. Effective agents = present "
            "- away per interval: the availability factor, the one quantity taken per "
            "interval from the log's waits. An agent leaving while contacts waited went off "
            "shift during its last contact (away from its midpoint); after the log's period, "
            "one leaving with nobody waiting is kept on through the drain.",
        ),
        epilog=(
            "examples:\n"
            "  sim fit log.csv --out fitted.yaml\n"
            "  sim fit export.parquet --out fitted.yaml --columns arrive=created_at,"
            "answer=first_reply_at\n"
            "  sim fit results/contacts.csv --out fitted.yaml --replication 3 --report backtest/\n"
            "  sim fit log.csv --start 2026-11-02T00:00 --out fitted.yaml --interval 30m --json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("log", help="the contact log (CSV or Parquet)")
    p.add_argument("--out", required=True, metavar="FITTED.yaml", help="the scenario to write")
    p.add_argument(
        "--start",
        type=typed(_start),
        help="time zero when the log's times are seconds, on the desk's wall clock (no time "
        "zone), e.g. 2026-11-02T00:00",
    )
    p.add_argument(
        "--columns",
        type=typed(_columns),
        default={},
        metavar="FIELD=COLUMN,...",
        help="the log's names for the fields, e.g. arrive=created_at,answer=first_reply_at",
    )
    p.add_argument(
        "--interval",
        type=typed(parse_interval),
        default=3600.0,
        help=f"staffing interval: {INTERVAL_HELP} (default 60m)",
    )
    p.add_argument(
        "--roster",
        metavar="ROSTER.csv",
        help="scheduled agents: columns start, end (date-times), agents and optional queue "
        "(without it, every row counts for every queue)",
    )
    p.add_argument(
        "--report",
        metavar="FILE.html|DIR",
        help="a path ending in .html: one self-contained HTML report of the fit and its "
        "back-test; otherwise a folder: the back-test tables (CSV), figures (PNG) and the "
        "same report as report.html",
    )
    p.add_argument(
        "--replication",
        type=non_negative_int,
        help="with a contacts.csv of several replications: its number in the replication "
        "column (default: the lowest, the first)",
    )
    p.add_argument(
        "--max-broken",
        type=typed(_share),
        default=0.05,
        metavar="SHARE",
        help="refuse the log (exit 2) when more rows than this are broken (default 5%%)",
    )
    p.add_argument(
        "--idle-gap",
        type=typed(parse_duration),
        default=4 * 3600.0,
        metavar="DURATION",
        help="idle time after which an agent counts as gone (default 4h)",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=replications,
        default=10,
        metavar="N",
        help="back-test runs, also the fitted file's replications (default 10)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="back-test seed, also the fitted file's seed (default 0)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local processes for the back-test (default: one per core, fewer if more would "
        "pass the memory limit; same results)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the fit and back-test as JSON on stdout"
    )
    add_allow_large(p)
    add_scheduler_option(p)
    p.set_defaults(handler=_cmd_fit)


def _cmd_fit(args: argparse.Namespace) -> int:
    if not Path(args.log).is_file():  # said at once, before pandas is imported
        reason = "is a folder, not a file" if Path(args.log).is_dir() else "no such file"
        raise ScenarioError(args.log, [("", f"cannot read file: {reason}")])
    from sim.fit import fit, read_log
    from sim.fit.folder import plan_report, report_writers

    log = read_log(
        args.log,
        columns=args.columns,
        start=args.start,
        replication=args.replication,
        max_broken=args.max_broken,
    )
    protect = [args.log] + ([args.roster] if args.roster else [])
    plan = OutputPlan(protect=protect)
    out = plan.file(args.out)
    html = bool(args.report) and Path(args.report).suffix.lower() in {".html", ".htm"}
    if html:
        plan.file(args.report, "--report")
    elif args.report:
        plan_report(plan, args.report, log.queues)
    result = fit(
        log,
        interval=args.interval,
        roster=args.roster,
        idle_gap=args.idle_gap,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        name=f"fitted-{Path(args.log).stem}",
        progress=progress_wanted(args),
        scheduler=args.scheduler,
    )
    # The back-test keeps every replication; the log's size decides its workload.
    result.workers = check_workload(
        args, args.log, [(result.scenario, args.replications)], keep=True
    )
    result.backtest()  # before anything is written: a failure leaves no file behind
    writers = {out: lambda p: p.write_text(result.to_yaml(), encoding="utf-8")}
    if html:
        page = _html(result, args)
        writers[Path(args.report)] = lambda p: p.write_text(page, encoding="utf-8")
    elif args.report:
        writers |= report_writers(result, args.report, _html(result, args))
    plan.write(writers)  # the scenario and the report: one set
    print(json.dumps(_document(result, args), indent=2) if args.json else _text(result, args))
    return EXIT_OK


def _html(result, args: argparse.Namespace) -> str:
    from sim.report.fit import fit_report
    from sim.report.html import render

    return render(fit_report(result, log=args.log, out=args.out, command=command_line(args)))


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: json_clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _document(result, args: argparse.Namespace) -> dict:
    tables = result.report()
    return {
        "log": args.log,
        "scenario": result.scenario.name,
        "out": args.out,
        "cleaning": _records(tables["cleaning"]),
        "parameters": _records(tables["parameters"]),
        "backtest": {
            "replications": result.replications,
            "seed": result.seed,
            **{k: _records(tables[f"backtest_{k}"]) for k in ("overall", "daily", "hourly")},
        },
    }


def _text(result, args: argparse.Namespace) -> str:
    from sim.report.layout import fit
    from sim.report.tables import backtest_table, count

    log, backtest = result.log, result.backtest()
    threshold = result.scenario.service_level_threshold
    width = table_width()
    cleaning = [
        f"  {row.kind}: {row.rows:,} {row.what}" for row in log.cleaning.table().itertuples()
    ]
    params = [
        [r["queue"], r["parameter"], f"{r['value']:.4g}", f"{r['low']:.4g}-{r['high']:.4g}",
         r["method"]]
        for _, r in result.parameters.iterrows()
        if not r["parameter"].startswith(("arrivals.profile.", "arrivals.weekdays."))
    ]  # fmt: skip
    b = backtest
    simulated = "simulated mean ±95% CI" if b.replications > 1 else "simulated (no CI)"
    note = (
        f"back-test: the fitted scenario simulated over the log's period, "
        f"{count(b.replications, 'run')}, seed {b.seed}; observed ±95% CI, {simulated}; "
        "! = observed outside one run's 95% range"
    )
    return "\n".join(
        [
            f"{args.log}: {log.cleaning.rows:,} rows, {len(log.frame):,} used, "
            f"queues {', '.join(log.queues)}",
            *cleaning,
            "",
            fit(
                ["queue", "parameter", "estimate", "95% CI", "method"], params, left=2, width=width
            ),
            "(each hourly and weekday weight with its CI: --json, or parameters.csv in --report)",
            "",
            note,
            "",
            "overall",
            backtest_table(b.overall, "queue", threshold).text(width),
            "",
            "by day",
            backtest_table(b.daily, "date", threshold).text(width),
            "",
            "by hour of day",
            backtest_table(b.hourly, "hour", threshold).text(width),
            "",
            f"wrote {args.out}"
            + (f" and the back-test report {args.report}" if args.report else ""),
        ]
    )
