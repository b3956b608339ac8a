"""Reading a contact log and cleaning it: one row per contact per queue visit.

The log (README, "Fitting a scenario to a contact log"): CSV or Parquet with ``queue``,
``arrive``, ``answer``, ``end``, ``outcome`` and optionally ``agent``, ``contact``,
``next_queue``, ``resolved``. Times are ISO date-times, or seconds from ``start`` (the
project's own ``contacts.csv`` takes its start from the ``metadata.json`` beside it).
Real logs are messy; every repair and every rejected row is counted in
:class:`Cleaning`, and a log with more broken rows than the threshold is refused as bad
input.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from sim.fit.clock import (
    EXCEL_DAY,
    log_times,
    numbers_as_dates,
    numeric_seconds,
    on_arrival_clock,
    wall_clock_seconds,
)
from sim.fit.table import LogError, read_table
from sim.options import option
from sim.scenario import MAX_NAME_LENGTH, Name

__all__ = [
    "LOG_FIELDS",
    "ZONED_START",
    "Cleaning",
    "Log",
    "LogError",
    "contacts_as_log",
    "parse_columns",
    "read_log",
    "read_table",
    "visit_kinds",
    "wall_clock_seconds",
]

LOG_FIELDS = ("queue", "arrive", "answer", "end", "outcome")
OPTIONAL_FIELDS = ("agent", "contact", "next_queue", "resolved")
# Outcome names: the contract's two, and the project's own (contacts.csv).
ANSWERED = {"answered", "resolved", "unresolved"}
ABANDONED = {"abandoned"}
LOST = {"not_visible", "overflow", "closed"}  # never offered service
UNFINISHED = {"unfinished", "pending"}
OUTCOMES = ANSWERED | ABANDONED | LOST | UNFINISHED
UNFINISHED_NOTE = "unfinished at the end of the log: left out"
# A start's time zone: its seconds would be set against a wall clock that has none.
ZONED_START = "give the desk's local wall-clock time without a time zone, e.g. 2026-11-02T00:00"
# With a Chinese desk's 是/否 and 已解决/未解决 (or 是否解决's 解决/未解决).
TRUE_WORDS = {"1", "true", "yes", "y", "t", "resolved", "是", "已解决", "解决"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "unresolved", "否", "未解决", "不是"}
# An id Excel showed and saved as 1.23457E+11: the digits past the sixth are lost.
_EXCEL_ROUNDED = r"\d(?:\.\d+)?[eE]\+\d+"
MIN_DATED = 10  # a column of at least this many midnights holds dates, not times
# Clocks of two systems disagree by about a second: a reply stamped up to this long
# before the arrival is a clock difference, not a broken row.
CLOCK_SKEW = 5.0
DAY = 86400.0
HOUR = 3600.0
_NAME: TypeAdapter[str] = TypeAdapter(Name)  # the scenario's rule for queue names


@dataclass
class Cleaning:
    """What the cleaning did: counts of rows kept, repaired, set aside and rejected."""

    rows: int = 0
    broken: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    other_replications: int = 0
    first: dict[str, int] = field(default_factory=dict)  # reason: its first row, from 0

    @property
    def n_broken(self) -> int:
        """Rows rejected as broken."""
        return sum(self.broken.values())

    def table(self) -> pd.DataFrame:
        """One row per count: ``kind`` (broken, repaired, note), ``what``, ``rows``."""
        rows = [("log", "rows read", self.rows)]
        if self.other_replications:
            rows.append(("log", "rows of other replications set aside", self.other_replications))
        rows += [("broken", k, v) for k, v in self.broken.items()]
        rows += [("repaired", k, v) for k, v in self.repaired.items()]
        rows += [("note", k, v) for k, v in self.notes.items()]
        return pd.DataFrame(rows, columns=["kind", "what", "rows"])


@dataclass(frozen=True)
class Log:
    """A cleaned log: times in seconds from ``origin``, one row per queue visit.

    ``frame`` columns: ``queue`` (str), ``arrive``, ``answer``, ``end`` (seconds, NaN when
    absent), ``outcome`` (the log's name), ``kind`` (``agent``, ``bot``, ``abandoned``,
    ``lost``), ``agent`` (str or missing), ``contact`` (int), ``next_queue`` (str or
    missing), ``resolved`` (1.0, 0.0 or NaN when unknown), ``external`` (the contact's
    first visit, from outside).
    """

    frame: pd.DataFrame
    origin: dt.datetime
    period: tuple[float, float]
    cleaning: Cleaning
    source: str
    has_agent: bool
    has_resolved: bool
    has_routes: bool

    @property
    def queues(self) -> list[str]:
        """Queue names, in order of first appearance."""
        return list(pd.unique(self.frame["queue"]))


def parse_columns(text: str | None) -> dict[str, str]:
    """``arrive=created_at,answer=first_reply_at`` -> ``{log field: column}``."""
    if not text:
        return {}
    mapping = {}
    for item in text.split(","):
        name, sep, column = item.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not column or name not in LOG_FIELDS + OPTIONAL_FIELDS:
            fields = ", ".join(LOG_FIELDS + OPTIONAL_FIELDS)
            raise ValueError(
                f"expected field=column pairs with fields among {fields}, got {item!r}"
            )
        mapping[name] = column
    return mapping


def _metadata_start(path: Path) -> dt.datetime | None:
    meta = path.parent / "metadata.json"
    try:
        start = json.loads(meta.read_text(encoding="utf-8")).get("start")
        return dt.datetime.fromisoformat(start) if start else None
    except (OSError, ValueError, AttributeError):
        return None


def _is_contacts_csv(table: pd.DataFrame) -> bool:
    return {"response", "agent_start", "by", "replication"} <= set(table.columns)


def contacts_as_log(table: pd.DataFrame) -> pd.DataFrame:
    """The project's own ``contacts.csv`` (or ``Results.contacts()``) as a log.

    The answer is the agent's pickup when an agent took the visit, else the bot's
    response: a contact a bot hands to the agents waits for an agent.
    """
    agent_start = pd.to_numeric(table["agent_start"], errors="coerce")
    response = pd.to_numeric(table["response"], errors="coerce")
    out = pd.DataFrame(
        {
            "queue": table["queue"],
            "arrive": table["arrive"],
            "answer": agent_start.where(agent_start.notna(), response),
            "end": table["end"],
            "outcome": table["outcome"],
            "contact": table["contact"],
            "next_queue": table["next_queue"],
        }
    )
    if "agent" in table:
        out["agent"] = table["agent"]
    outcome = table["outcome"].astype(str).str.lower()
    out["resolved"] = np.where(
        outcome.isin(["resolved", "unresolved"]), (outcome == "resolved").astype(float), np.nan
    )
    out["hop"] = pd.to_numeric(table["hop"], errors="coerce")
    return out


def _one_replication(
    table: pd.DataFrame, replication: int | None, source: str, cleaning: Cleaning
) -> pd.DataFrame:
    if "replication" not in table:
        if replication is not None:
            raise LogError(
                source, f"{option('replication')} given but the log has no replication column"
            )
        return table
    reps = pd.to_numeric(table["replication"], errors="coerce")
    if reps.isna().all():
        raise LogError(source, "the replication column holds no numbers", "replication")
    chosen = int(reps.min()) if replication is None else replication
    if not (reps == chosen).any():
        found = ", ".join(str(int(r)) for r in sorted(reps.dropna().unique())[:10])
        raise LogError(
            source, f"no replication {chosen} in the log (found: {found})", "replication"
        )
    keep = (reps == chosen).to_numpy().copy()
    if "variant" in table:
        first = table.loc[keep, "variant"].iloc[0]
        keep &= (table["variant"] == first).to_numpy()
    cleaning.other_replications = int((~keep).sum())
    return table[keep]  # the file's row numbers kept: a broken row is named by them


def _time_origin(
    table: pd.DataFrame, path: Path | None, start: dt.datetime | None, source: str
) -> tuple[dt.datetime, float | None]:
    """Time zero of the log's numbers, and seconds per unit (None: date-times)."""
    if start is not None and start.tzinfo is not None:
        raise LogError(source, f"{ZONED_START}, got {start.isoformat()}", "start")
    numbers = numeric_seconds(table["arrive"])
    if numbers is None:
        return dt.datetime(2000, 1, 1), None
    origin = start or (_metadata_start(path) if path is not None else None)
    if origin is not None:
        return origin, 1.0
    try:
        dates = numbers_as_dates(numbers)
    except ValueError as exc:
        raise LogError(source, str(exc), "arrive") from None
    if dates is None:
        raise LogError(
            source,
            f"times are numbers of seconds: give {option('start')} (or keep the metadata.json "
            "written with contacts.csv beside it)",
            "arrive",
        )
    return dates


def _resolved(values: pd.Series, cleaning: Cleaning) -> np.ndarray:
    """1.0, 0.0, or NaN (unknown): a word neither yes nor no is said, not guessed."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = values.astype(str).str.strip().str.lower()
    text = text.where(numbers.isna(), numbers.astype(str).str.replace(".0", "", regex=False))
    out = np.full(len(values), np.nan)
    out[text.isin(TRUE_WORDS).to_numpy()] = 1.0
    out[text.isin(FALSE_WORDS).to_numpy()] = 0.0
    odd = np.isnan(out) & _text(values).notna().to_numpy()
    if odd.any():
        words = ", ".join(map(repr, pd.unique(values[odd].astype(str).str.strip())[:3]))
        cleaning.notes[f"resolved values not read as yes or no ({words}): unknown"] = int(odd.sum())
    return out


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _scenario_names(frame: pd.DataFrame, cleaning: Cleaning) -> None:
    """Rename queues a scenario refuses (``Live Chat``: ``Live_Chat``), and say so.

    Every character a name may not hold becomes ``_``; a name taken already gets a number.
    """
    names = pd.unique(frame["queue"].astype(str))  # a route elsewhere keeps its name
    taken, renamed = {n for n in names if _is_name(n)}, {}
    for name in names:
        if name in taken:
            continue
        base = re.sub(r"[^\w.-]", "_", name).lstrip(".-")[: MAX_NAME_LENGTH - 4] or "queue"
        new, k = base, 1
        while new in taken:
            k += 1
            new = f"{base}_{k}"
        taken.add(new)
        renamed[name] = new
        what = f"rows of queue {name!r}, named {new} in the scenario"
        cleaning.notes[what] = int((frame["queue"] == name).sum())
    if renamed:
        frame["queue"] = frame["queue"].replace(renamed)
        frame["next_queue"] = frame["next_queue"].replace(renamed)


def _is_name(name: str) -> bool:
    try:
        _NAME.validate_python(name)
    except ValidationError:
        return False
    return True


def _visit_times(
    table: pd.DataFrame, origin: dt.datetime, scale: float | None, source: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Arrive, answer and end in seconds from ``origin``, durations true across offsets."""
    arrive, answer, end = (log_times(table[c], origin, scale) for c in LOG_FIELDS[1:4])
    if scale != 1.0:  # date-times (not seconds from --start)
        for name, (seconds, _) in zip(LOG_FIELDS[1:4], (arrive, answer, end), strict=True):
            _refuse_dates_alone(table[name], seconds, source)
    answer_s, end_s = on_arrival_clock(arrive[1], answer, end)
    return arrive[0], answer_s, end_s


def _refuse_dates_alone(values: pd.Series, seconds: pd.Series, source: str) -> None:
    """Refuse a time column of dates alone: Excel saves a CSV as it shows it."""
    known = seconds.dropna()
    if len(known) >= MIN_DATED and bool((np.mod(known.to_numpy(float), DAY) == 0).all()):
        row = known.index[0]
        raise LogError(
            source,
            f"every {values.name} time is a midnight (row {row + 1}: "
            f"{str(values[row]).strip()!r}): dates without their times; format the column as "
            "date and time before saving the CSV",
            str(values.name),
        )


def _refuse_rounded_ids(values: pd.Series, source: str) -> None:
    """Refuse ids Excel wrote in scientific notation: rounded, they join contacts."""
    if not (pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)):
        return
    rounded = values.astype("string").str.strip().str.fullmatch(_EXCEL_ROUNDED).fillna(False)
    if rounded.any():
        row = rounded.index[rounded.to_numpy(bool)][0]  # the file's row, from 0
        raise LogError(
            source,
            f"row {row + 1}, contact {str(values[row]).strip()!r}: ids in Excel's "
            "scientific notation, rounded so that different contacts share one: save the "
            "column as text",
            "contact",
        )


def _contacts(values: pd.Series) -> np.ndarray:
    """Contact ids numbered 0, 1, ... in order of first appearance, whatever they look like.

    Ids are names (``C-1042``, an order number too long for a float), not quantities; a
    row without one is a contact of its own.
    """
    codes = pd.factorize(_text(values))[0]
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes.astype(np.int64)


def _resolution(times: np.ndarray) -> float:
    """A column's clock step: 60 s when every time in it is on a whole minute, else 0."""
    present = times[~np.isnan(times)]
    return 60.0 if present.size and bool(np.all(np.mod(present, 60.0) == 0)) else 0.0


def _repair_order(
    later: np.ndarray,
    earlier: np.ndarray,
    broken: np.ndarray,
    queue: pd.Series,
    skew_limit: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``later`` must not precede ``earlier``: clock skew clamps, a date rollover adds a day.

    A time stamped with the previous event's date after midnight reads a day early; it is
    moved a day on when that puts it after ``earlier`` by no more than the longest such
    interval of the queue's rows in order. A handle time of -30 s is a data error, not
    one of 23h59m30s.

    Returns:
        The repaired times and the rows repaired for skew and for a rollover.
    """
    later = later.copy()
    gap = earlier - later
    valid = ~np.isnan(later) & ~np.isnan(earlier) & ~broken
    skew = valid & (gap > 0) & (gap <= skew_limit)
    later[skew] = earlier[skew]
    in_order = pd.Series(np.where(valid & (gap <= 0), -gap, np.nan), index=queue.index)
    longest = in_order.groupby(queue.to_numpy()).transform("max").to_numpy()
    rollover = valid & (gap > skew_limit) & (gap < DAY) & (DAY - gap <= longest)
    later[rollover] += DAY
    return later, skew, rollover


def _repair_times(
    arrive: np.ndarray, answer: np.ndarray, end: np.ndarray, broken: np.ndarray, queue: pd.Series
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Answers and ends repaired for clock skew and date rollovers, and the rows of each."""
    # Times written to the minute read up to a minute apart for events a second apart.
    step = {
        name: _resolution(t) for name, t in (("arrive", arrive), ("answer", answer), ("end", end))
    }
    skew = CLOCK_SKEW + max(step["arrive"], step["answer"])
    answer, answer_skew, answer_roll = _repair_order(answer, arrive, broken, queue, skew)
    follows = np.where(np.isnan(answer), step["arrive"], step["answer"])
    end_skew = CLOCK_SKEW + np.fmax(step["end"], follows)
    end, end_skewed, end_roll = _repair_order(end, np.fmax(answer, arrive), broken, queue, end_skew)
    most = end_skew[end_skewed].max(initial=CLOCK_SKEW)
    return (
        answer,
        end,
        {
            f"answer before arrive up to {skew:g} s early (clock skew): set equal": answer_skew,
            "answer stamped with the previous day's date: moved a day on": answer_roll,
            f"end before answer up to {most:g} s early (clock skew): set equal": end_skewed,
            "end stamped with the previous day's date: moved a day on": end_roll,
        },
    )


def _classify(frame: pd.DataFrame, raw: dict[str, np.ndarray], cleaning: Cleaning) -> pd.DataFrame:
    """Check every row; repair what is unambiguous, mark the rest broken, drop them."""
    n = len(frame)
    reasons: dict[str, np.ndarray] = {}
    arrive = frame["arrive"].to_numpy(float)
    answer = frame["answer"].to_numpy(float, copy=True)
    end = frame["end"].to_numpy(float)
    outcome = frame["outcome"].fillna("").astype(str).str.strip().str.lower()
    frame["outcome"] = outcome
    abandoned = outcome.isin(ABANDONED).to_numpy()
    # A shopper who gave up was served by no answer: a reply after they left, or an
    # automatic one before. Patience runs to the end.
    replied = abandoned & raw["answer"]
    if replied.any():
        cleaning.notes["abandoned with an answer time: answer left out"] = int(replied.sum())
        answer[replied] = np.nan
    reasons["queue missing"] = ~raw["queue"]
    reasons["arrive missing or not a time"] = np.isnan(arrive)
    reasons["answer not a time"] = raw["answer"] & ~abandoned & np.isnan(answer)
    reasons["end not a time"] = raw["end"] & np.isnan(end)
    reasons["unknown outcome"] = ~outcome.isin(OUTCOMES).to_numpy()
    answered = outcome.isin(ANSWERED).to_numpy()
    reasons["answered without an answer time"] = answered & np.isnan(answer)
    reasons["answered or abandoned without an end time"] = (answered | abandoned) & np.isnan(end)
    broken = np.zeros(n, dtype=bool)
    for mask in reasons.values():
        broken |= mask
    answer, end, repairs = _repair_times(arrive, answer, end, broken, frame["queue"])
    reasons["answer before arrive (not clock skew or a date rollover)"] = ~broken & (
        answer < arrive
    )
    reasons["end before answer (not clock skew or a date rollover)"] = ~broken & (
        end < np.fmax(answer, arrive)
    )
    broken = np.zeros(n, dtype=bool)
    for reason, mask in reasons.items():
        new = mask & ~broken
        if new.any():
            cleaning.broken[reason] = int(new.sum())
            cleaning.first[reason] = int(frame.index[new][0])
        broken |= mask
    for what, mask in repairs.items():
        if (mask & ~broken).any():
            cleaning.repaired[what] = int((mask & ~broken).sum())
    frame["answer"], frame["end"] = answer, end
    unfinished = ~broken & outcome.isin(UNFINISHED).to_numpy()
    if unfinished.any():
        cleaning.notes[UNFINISHED_NOTE] = int(unfinished.sum())
    return frame[~broken & ~unfinished].reset_index(drop=True)


def _external(frame: pd.DataFrame, has_contact: bool) -> np.ndarray:
    """Whether each visit is its contact's first (an arrival from outside).

    Decided before broken rows are dropped: the follow-up of a broken first visit is
    still a routed visit (a broken arrival time sorts first).
    """
    if "hop" in frame:
        return (pd.to_numeric(frame["hop"], errors="coerce").fillna(0) == 0).to_numpy()
    if not has_contact:
        return np.ones(len(frame), dtype=bool)
    order = _visit_order(frame)
    first = ~order["contact"].duplicated()
    return first.reindex(frame.index).to_numpy()


def _visit_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The visits of each contact in the order they happened, whatever the rows' order.

    A visit routed on at once arrives in the same second as the one before it, which
    ended then: among visits arriving together, the one whose last time (arrival,
    answer or end: an end not yet repaired may read a day early) is earliest came first.
    """
    last = np.fmax(frame["arrive"], np.fmax(frame["answer"], frame["end"]))
    keys = frame.assign(_ended=last)
    order = keys.sort_values(["contact", "arrive", "_ended"], kind="stable", na_position="first")
    return order.drop(columns="_ended")


def _link_routes(frame: pd.DataFrame) -> pd.Series:
    """``next_queue`` from contact links: the queue of the contact's next visit."""
    order = _visit_order(frame)
    same = order["contact"].shift(-1) == order["contact"]
    following = order["queue"].shift(-1).where(same)
    return following.reindex(frame.index)


def visit_kinds(outcome: pd.Series, no_agent: np.ndarray) -> np.ndarray:
    """``agent``, ``bot`` (answered with no agent), ``abandoned`` or ``lost`` per visit."""
    kind = np.full(len(outcome), "lost", dtype=object)
    answered = outcome.isin(ANSWERED).to_numpy()
    kind[answered & ~no_agent] = "agent"
    kind[answered & no_agent] = "bot"
    kind[outcome.isin(ABANDONED).to_numpy()] = "abandoned"
    return kind


def read_log(
    log: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    start: dt.datetime | None = None,
    replication: int | None = None,
    max_broken: float = 0.05,
) -> Log:
    """Read, check and clean a contact log.

    Args:
        log: a CSV or Parquet path, or a DataFrame with the log's columns.
        columns: ``{log field: column name}`` for logs whose columns are named otherwise.
        start: time zero when times are seconds, on the desk's wall clock (no time zone;
            default: ``metadata.json`` beside it).
        replication: with the project's ``contacts.csv`` (several replications), the one
            to fit (default: the first).
        max_broken: the share of broken rows above which the log is refused.

    Raises:
        LogError: a missing column, no rows, too many broken rows, or a ``start`` with a
            time zone (bad input).
    """
    path: Path | None
    if isinstance(log, pd.DataFrame):
        path, table = None, log.reset_index(drop=True)
    elif not isinstance(log, str | Path):
        raise TypeError(
            f"expected a log: a CSV or Parquet path or a DataFrame, got {type(log).__name__}"
        )
    else:
        path = Path(log)
        table = read_table(path)
    source = "<DataFrame>" if path is None else str(path)
    stripped = [str(c).strip() for c in table.columns]  # " arrive", "end\u00a0" from Excel
    if len(set(stripped)) == len(stripped):
        table = table.set_axis(stripped, axis=1)
    cleaning = Cleaning()
    if table.attrs.get("above header"):
        cleaning.notes["lines above the header (a title, or blank): left out"] = table.attrs[
            "above header"
        ]
    if table.attrs.get("encoding", "UTF-8") != "UTF-8":
        cleaning.notes[f"rows read as {table.attrs['encoding']} text (not UTF-8)"] = len(table)
    table = _one_replication(
        _mapped(table, dict(columns or {}), source), replication, source, cleaning
    )
    if _is_contacts_csv(table):
        table = contacts_as_log(table)
    _require_columns(table, source)
    table = _repeated_rows(_rows(table, cleaning, source), cleaning)
    origin, scale = _time_origin(table, path, start, source)
    if scale == EXCEL_DAY:
        cleaning.notes["rows with times as Excel serial dates (days since 1899-12-30)"] = len(table)
    present = {c: (table[c].notna() & (table[c].astype(str).str.strip() != "")).to_numpy()
               for c in ("answer", "end")}  # fmt: skip
    arrive, answer, end = _visit_times(table, origin, scale, source)
    frame = pd.DataFrame(
        {
            "queue": _text(table["queue"]) if "queue" in table else None,
            "arrive": arrive,
            "answer": answer,
            "end": end,
            "outcome": table["outcome"],
        }
    )
    # A log without queues is one queue, named after the file; in a log with them, a row
    # without one is broken (a contact that left before choosing one).
    present["queue"] = frame["queue"].notna().to_numpy() | frame["queue"].isna().all()
    default_queue = path.stem if path is not None else "queue"
    frame["queue"] = frame["queue"].fillna(default_queue).astype(str)
    # A column nobody filled in (exports keep them) is no column: an empty agent column
    # is not a desk answered by bots alone, an empty next_queue not a desk without routes.
    has = {
        name: name in table and bool(_text(table[name]).notna().any()) for name in OPTIONAL_FIELDS
    }
    frame["agent"] = _text(table["agent"]) if has["agent"] else pd.NA
    if has["contact"]:
        _refuse_rounded_ids(table["contact"], source)
    frame["contact"] = _contacts(table["contact"]) if has["contact"] else np.arange(len(table))
    frame["next_queue"] = _text(table["next_queue"]) if has["next_queue"] else pd.NA
    _scenario_names(frame, cleaning)
    frame["resolved"] = _resolved(table["resolved"], cleaning) if has["resolved"] else np.nan
    if "hop" in table:
        frame["hop"] = table["hop"].to_numpy()
    frame["external"] = _external(frame, has["contact"])
    frame = _classify(frame, present, cleaning)
    if cleaning.n_broken > max_broken * cleaning.rows:
        raise _too_broken(table, cleaning, max_broken, source)
    if frame.empty:  # every row unfinished (and the few others broken)
        unfinished = cleaning.notes.get(UNFINISHED_NOTE, 0)
        raise LogError(
            source,
            f"no visit to fit: {unfinished:,} of {cleaning.rows:,} rows unfinished at the end "
            f"of the log (left out)"
            + (f", {cleaning.n_broken:,} broken" * bool(cleaning.n_broken)),
            "outcome",
        )
    return _finish(frame, cleaning, origin, source, has)


def _require_columns(table: pd.DataFrame, source: str) -> None:
    missing = [name for name in LOG_FIELDS[1:] if name not in table]
    if missing:
        have = ", ".join(map(str, table.columns[:12]))
        more = len(missing) > 2
        flag = ",".join(f"{name}=COLUMN" for name in missing[:2]) + ",..." * more
        keyword = "{" + ", ".join(f"{name!r}: COLUMN" for name in missing[:2]) + ", ..." * more
        named = option("columns", flag, keyword + "}")
        raise LogError(
            source, f"missing column {missing[0]!r} (columns: {have}); name yours with {named}",
            missing[0],
        )  # fmt: skip


def _rows(table: pd.DataFrame, cleaning: Cleaning, source: str) -> pd.DataFrame:
    """The table without empty rows (Excel saves rows that once held data as ``,,,,``)."""
    empty = _empty_rows(table)
    if empty.any():
        cleaning.notes["empty rows (every column blank): left out"] = int(empty.sum())
        table = table[~empty]
    if not len(table):
        raise LogError(source, "the log has no rows")
    cleaning.rows = len(table)
    return table


def _empty_rows(table: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column (text columns: no text either)."""
    empty = np.ones(len(table), dtype=bool)
    for i in range(table.shape[1]):
        rows = empty.nonzero()[0]  # only rows empty so far: few after the first column
        values = table.iloc[rows, i]
        blank = values.isna()
        if pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values):
            blank |= values.astype("string").str.strip().eq("").fillna(True)
        empty[rows] = blank.to_numpy(bool)
    return empty


def _mapped(table: pd.DataFrame, columns: dict[str, str], source: str) -> pd.DataFrame:
    """The table with ``--columns`` applied: ``{log field: the log's column}``."""
    if not columns:
        return table
    missing = [c for c in columns.values() if c not in table]
    if missing:
        raise LogError(source, f"{option('columns')} names a column the log lacks: {missing[0]!r}")
    # The mapping names each field's column; a column already called like a mapped
    # field is not that field (and renaming would leave two columns of one name).
    chosen = {name: table[column] for name, column in columns.items()}
    return table.drop(columns=[c for c in columns if c in table]).assign(**chosen)


def _too_broken(
    table: pd.DataFrame, cleaning: Cleaning, max_broken: float, source: str
) -> LogError:
    """The refusal of a log with too many broken rows: its commonest reason, first row."""
    reason, n = max(cleaning.broken.items(), key=lambda kv: kv[1], default=("none", 0))
    text = (
        f"{cleaning.n_broken:,} of {cleaning.rows:,} rows are broken, more than "
        f"{max_broken:.0%} (most: {n:,} {reason}"
    )
    if reason not in cleaning.first:
        return LogError(source, text + ")")
    column = next(w for w in reason.split() if w in LOG_FIELDS)  # each reason names one
    row = cleaning.first[reason]
    value = table[column].get(row) if column in table else None
    shown = "" if value is None or pd.isna(value) else f" {str(value)[:40]!r}"
    return LogError(source, f"{text}; the first: row {row + 1}, {column}{shown})", column)


def _repeated_rows(table: pd.DataFrame, cleaning: Cleaning) -> pd.DataFrame:
    """Drop rows exported twice: the same contact's visit, every column equal.

    Without a contact id two equal rows may be two contacts (a bot answering both in one
    second): they are kept, and counted.
    """
    repeated = table.duplicated().to_numpy()
    if not repeated.any():
        return table
    named = (
        _text(table["contact"]).notna().to_numpy()
        if "contact" in table
        else np.zeros(len(table), dtype=bool)
    )
    if (repeated & ~named).any():
        what = "rows equal to another row (no contact id to tell): kept"
        cleaning.notes[what] = int((repeated & ~named).sum())
    if (repeated & named).any():
        what = "rows repeated (same contact, every column equal): dropped"
        cleaning.repaired[what] = int((repeated & named).sum())
    return table[~(repeated & named)]


def _finish(
    frame: pd.DataFrame,
    cleaning: Cleaning,
    origin: dt.datetime,
    source: str,
    has: dict[str, bool],
) -> Log:
    frame["contact"] = frame["contact"].fillna(-1).astype(np.int64)
    if has["contact"] and not has["next_queue"]:
        frame["next_queue"] = _link_routes(frame)
    no_agent = frame["agent"].isna().to_numpy() if has["agent"] else np.zeros(len(frame), bool)
    frame["kind"] = visit_kinds(frame["outcome"], no_agent)
    frame = frame.drop(columns=[c for c in ("hop",) if c in frame])
    # Time zero: the hour the first arrival falls in, so hourly cells are whole hours.
    first = float(frame["arrive"].min())
    absolute = origin + dt.timedelta(seconds=first)
    hour0 = absolute.replace(minute=0, second=0, microsecond=0)
    shift = (hour0 - origin).total_seconds()
    for column in ("arrive", "answer", "end"):
        frame[column] = frame[column] - shift
    last = float(frame.loc[frame["external"], "arrive"].max())
    period = (0.0, float(np.floor(last / HOUR) + 1) * HOUR)
    _notes(frame, cleaning, hour0, has)
    return Log(
        frame=frame,
        origin=hour0,
        period=period,
        cleaning=cleaning,
        source=source,
        has_agent=has["agent"],
        has_resolved=bool(frame["resolved"].notna().any()),
        has_routes=bool(frame["next_queue"].notna().any()),
    )


def _notes(frame: pd.DataFrame, cleaning: Cleaning, origin: dt.datetime, has: dict) -> None:
    offset = (origin - dt.datetime.combine(origin.date(), dt.time())).total_seconds()
    day_of = np.floor((frame[["arrive", "end"]].to_numpy(float) + offset) / DAY)
    crossing = int(np.nansum(day_of[:, 1] > day_of[:, 0]))
    if crossing:
        cleaning.notes["visits crossing midnight (kept whole)"] = crossing
    queues = set(pd.unique(frame["queue"]))
    elsewhere = frame["next_queue"].notna() & ~frame["next_queue"].isin(queues)
    if elsewhere.any():
        names = ", ".join(map(repr, pd.unique(frame.loc[elsewhere, "next_queue"])[:3]))
        what = f"rows routed to a queue not in the log ({names}): not simulated"
        cleaning.notes[what] = int(elsewhere.sum())
    instant = int(((frame["kind"] == "agent") & (frame["end"] == frame["answer"])).sum())
    if instant:
        cleaning.notes["answered by an agent with no handle time (end = answer)"] = instant
    bots = int((frame["kind"] == "bot").sum())
    if bots:
        cleaning.notes["answered with no agent (bot or menu path)"] = bots
    if not has["agent"]:
        cleaning.notes[f"no agent column: staffing needs {option('roster')}"] = len(frame)
