"""Times in a contact log: date-times as desks write them, and numbers that are times.

Date-times are read on the wall clock, as profiles and shifts are about it: ISO 8601
(``T`` or a space, ``-`` or ``/``), the Chinese forms ``2026年11月2日 9时05分``, Parquet
timestamps. Numbers are seconds from a start, or Excel's serial dates; Unix times are
refused, as their wall clock needs a zone.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.options import option

__all__ = [
    "EXCEL_DAY",
    "log_times",
    "numbers_as_dates",
    "numeric_seconds",
    "on_arrival_clock",
    "wall_clock_seconds",
]

# Numbers that are dates: Unix times (1973-2099), and Excel's serial dates (days since
# 1899-12-30, 1970-2099) when they span at most a year and no --start says seconds.
UNIX_FROM, UNIX_TO = 1e8, 4.1e9
EXCEL_ZERO = dt.datetime(1899, 12, 30)
EXCEL_DAY = 86400.0
EXCEL_FROM, EXCEL_TO, EXCEL_SPAN = 25569.0, 73415.0, 366.0
# The date-times a Chinese desk's tools write: 2026年11月2日 9时05分(30秒).
_CHINESE = (
    (r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*", r"\1-\2-\3 "),
    (r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分\s*(?:(\d{1,2})\s*秒)?$", r"\1:\2:\3"),
    (r":$", ""),
)
# A clock time followed by a UTC offset (Z, +08, +0800 or +08:00): the offset is dropped.
_OFFSET = r"^(.*\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def numeric_seconds(values: pd.Series) -> pd.Series | None:
    """The column as seconds if it is numeric (or empty), else None."""
    if pd.api.types.is_datetime64_any_dtype(values):  # Parquet's timestamps: not seconds
        return None
    numbers = pd.to_numeric(values, errors="coerce")
    present = values.notna() & (values.astype(str).str.strip() != "")
    return numbers if bool(numbers[present].notna().all()) else None


def log_times(
    values: pd.Series, origin: dt.datetime, scale: float | None
) -> tuple[pd.Series, np.ndarray | None]:
    """Seconds since ``origin`` (NaN: missing or unparseable), and their UTC offsets.

    ``scale``: seconds per unit of a numeric column (1, or a day for Excel's serial
    dates, kept to the millisecond Excel stores), or None for date-times. The offsets
    are seconds east of UTC (NaN where a time has none), None when no time has one.
    """
    if scale is None:
        return _wall_clock(values, origin)
    seconds = pd.to_numeric(values, errors="coerce").astype(float) * scale
    return (seconds if scale == 1 else seconds.round(3)), None


def on_arrival_clock(
    arrive: np.ndarray | None, *others: tuple[pd.Series, np.ndarray | None]
) -> list[pd.Series]:
    """Later times of a visit moved onto its arrival's UTC offset, where both have one.

    Across a daylight-saving change an answer at 02:05+01:00 came 15 minutes after an
    arrival at 02:50+02:00: arrivals keep the wall clock (profiles and shifts are about
    it), waits and handle times are the true durations.
    """
    moved = []
    for seconds, offsets in others:
        if arrive is None or offsets is None:
            moved.append(seconds)
            continue
        shift = arrive - offsets
        moved.append(seconds + np.where(np.isnan(shift), 0.0, shift))
    return moved


def wall_clock_seconds(values: pd.Series, origin: dt.datetime) -> pd.Series:
    """Seconds from ``origin`` of date-times (ISO text or timestamps), on the wall clock.

    A UTC offset is dropped, the local time kept: profiles and shifts are about the wall
    clock, and a log crossing a daylight-saving change has two offsets.
    """
    return _wall_clock(values, origin)[0]


def _wall_clock(values: pd.Series, origin: dt.datetime) -> tuple[pd.Series, np.ndarray | None]:
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps, offsets = _naive(values), _offsets(values)
    else:
        stamps, offsets = _parse(values)
        failed = stamps.isna() & values.notna()
        if failed.any():  # Chinese date-times, read only where ISO 8601 fails
            stamps[failed] = _parse(_chinese_to_iso(values[failed]))[0]
    delta = stamps - pd.Timestamp(origin)
    return delta.dt.total_seconds(), offsets


def _parse(values: pd.Series) -> tuple[pd.Series, np.ndarray | None]:
    """ISO 8601 text (``T`` or a space, ``-`` or ``/``): wall-clock timestamps, offsets."""
    try:
        stamps = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except ValueError:  # several offsets (or some rows with one, some without)
        text = values.astype("string").str.strip()
        local = pd.to_datetime(
            text.str.replace(_OFFSET, r"\1", regex=True), errors="coerce", format="ISO8601"
        )
        instants = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        offsets = _seconds(local - _naive(instants))
        has_offset = text.str.fullmatch(_OFFSET).fillna(False).to_numpy(bool)
        return local, np.where(has_offset, offsets, np.nan)
    return _naive(stamps), _offsets(stamps)


def _offsets(stamps: pd.Series) -> np.ndarray | None:
    """Seconds east of UTC of timestamps with a zone, None for naive ones."""
    if getattr(stamps.dt, "tz", None) is None:
        return None
    return _seconds(_naive(stamps) - _naive(stamps.dt.tz_convert("UTC")))


def _seconds(delta: pd.Series) -> np.ndarray:
    return delta.dt.total_seconds().to_numpy(float)


def _naive(stamps: pd.Series) -> pd.Series:
    return stamps.dt.tz_localize(None) if getattr(stamps.dt, "tz", None) is not None else stamps


def _chinese_to_iso(values: pd.Series) -> pd.Series:
    """``2026年11月2日 9时05分30秒`` (or ``... 09:05``) as ``2026-11-2 9:05:30``."""
    text = values.astype("string").str.strip()
    for pattern, iso in _CHINESE:
        text = text.str.replace(pattern, iso, regex=True)
    return text


def numbers_as_dates(numbers: pd.Series) -> tuple[dt.datetime, float] | None:
    """Time zero and seconds per unit of numbers that are dates, with no ``start`` given.

    Excel's serial dates are days since 1899-12-30 on the wall clock; Unix times are
    instants in UTC, and the wall clock needs the desk's zone, which a log does not hold.

    Raises:
        ValueError: Unix times, with what they are and how to give the wall clock.
    """
    low, high = float(numbers.min()), float(numbers.max())
    for unit, scale in (("seconds", 1.0), ("milliseconds", 1000.0)):
        if UNIX_FROM * scale <= low and high <= UNIX_TO * scale:
            raise ValueError(_unix_reason(unit, scale, low))
    if low >= EXCEL_FROM and high <= EXCEL_TO and high - low <= EXCEL_SPAN:
        return EXCEL_ZERO, EXCEL_DAY
    return None


def _unix_reason(unit: str, scale: float, first: float) -> str:
    instant = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=first / scale)
    utc8 = option("start", "1970-01-01T08:00", "'1970-01-01T08:00'")
    hint = (
        f", or {utc8} to read them on the clock of UTC+8 (for a zone without daylight saving)"
        if scale == 1
        else ""
    )
    return (
        f"Unix times in {unit} (instants in UTC: {first:.0f} is {instant:%Y-%m-%d %H:%M} "
        f"UTC), not the desk's wall clock: give local date-times{hint}"
    )
