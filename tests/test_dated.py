"""Dated peaks, shifts and holidays outside the run's period are warned about, once.

A date typed a year off, or a ``--set start=...`` that moves the period, must not leave
a run silently without its promotion, its extra shift or its holidays. A thing partly
inside is fine; a country's whole-year calendar is fine; the run itself goes on.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import sim
from sim import cli, dated
from sim.dated import DatedWarning
from sim.experiments import sweep_variants

ROOT = Path(__file__).resolve().parent.parent

# One day of arrivals from 2026-11-11 00:00, a one-day drain to 2026-11-13 00:00.
DESK: dict[str, Any] = {
    "name": "desk",
    "start": "2026-11-11T00:00",
    "duration": "1d",
    "warmup": "1h",
    "drain": "1d",
    "replications": 1,
    "queues": {
        "live": {
            "arrivals": {"rate": "2/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "5m"},
        }
    },
}


@pytest.fixture(autouse=True)
def _fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with nothing warned about yet in this process."""
    monkeypatch.setattr(dated, "_warned", set())


def _desk(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DESK)
    live = data["queues"]["live"]
    for key, value in changes.items():
        if key in {"peaks", "holiday_multiplier"}:
            live["arrivals"][key] = value
        elif key == "staff":
            live["staff"] = value
        else:
            data[key] = value
    return data


def _said(data: dict[str, Any], overrides: tuple[str, ...] = ()) -> list[str]:
    """The dated warnings loading ``data`` gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.from_dict(data, source="desk.yaml", overrides=overrides)
    return [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]


def _peak(start: str, end: str) -> dict[str, Any]:
    return {"start": start, "end": end, "multiplier": 3}


def _shift(start: str, end: str, agents: int = 2) -> dict[str, Any]:
    return {"start": start, "end": end, "agents": agents}


def test_a_peak_a_year_off_is_warned_naming_file_field_dates_and_period() -> None:
    said = _said(_desk(peaks=[_peak("2025-11-11T20:00", "2025-11-11T23:00")]))
    assert said == [
        "desk.yaml: queues.live.arrivals.peaks.0: the dated peak 2025-11-11T20:00 to "
        "2025-11-11T23:00 is outside the run's period 2026-11-11T00:00 to "
        "2026-11-12T00:00: it changes no arrivals"
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-11T20:00", "2026-11-11T23:00"),  # inside
        ("2026-11-10T20:00", "2026-11-11T01:00"),  # starts before, ends inside
        ("2026-11-11T23:00", "2026-11-12T03:00"),  # starts inside, ends after
        ("2026-11-11T00:00", "2026-11-11T00:30"),  # in the warm-up: it builds a line
        ("2026-11-01T00:00", "2026-12-01T00:00"),  # covers the whole period
    ],
)
def test_a_peak_at_least_partly_inside_the_arrivals_is_fine(start: str, end: str) -> None:
    assert _said(_desk(peaks=[_peak(start, end)])) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-12T00:00", "2026-11-12T06:00"),  # in the drain: arrivals have stopped
        ("2026-11-10T18:00", "2026-11-11T00:00"),  # ends as the period starts
    ],
)
def test_a_peak_touching_no_arrival_is_warned(start: str, end: str) -> None:
    said = _said(_desk(peaks=[_peak(start, end)]))
    assert len(said) == 1
    assert "peaks.0" in said[0]


def test_a_daily_peak_is_no_dated_thing() -> None:
    assert _said(_desk(peaks=[_peak("20:00", "23:00")])) == []


def test_set_start_moving_the_period_away_is_warned() -> None:
    data = _desk(peaks=[_peak("2026-11-11T20:00", "2026-11-11T23:00")])
    said = _said(data, ("start=2026-12-12T00:00",))
    assert len(said) == 1
    assert "period 2026-12-12T00:00 to 2026-12-13T00:00" in said[0]
    assert _said(data, ("duration=90m",))  # shortened to before the peak


def test_a_dated_shift_outside_the_drain_is_warned() -> None:
    staff = [
        _shift("2026-11-11T00:00", "2026-11-12T00:00"),
        _shift("2025-11-11T08:00", "2025-11-11T16:00"),
    ]
    assert _said(_desk(staff=staff)) == [
        "desk.yaml: queues.live.staff.1: the dated shift 2025-11-11T08:00 to "
        "2025-11-11T16:00 is outside the run's period 2026-11-11T00:00 to 2026-11-12T00:00 "
        "(its drain to 2026-11-13T00:00): no one works it"
    ]


def test_a_dated_shift_in_the_drain_or_without_agents_is_fine() -> None:
    staff = [
        _shift("2026-11-11T00:00", "2026-11-12T00:00"),
        _shift("2026-11-12T08:00", "2026-11-12T16:00"),  # works off the backlog
        _shift("2025-11-11T08:00", "2025-11-11T16:00", agents=0),  # nobody either way
    ]
    assert _said(_desk(staff=staff)) == []


def test_a_rosters_shifts_outside_are_one_warning() -> None:
    days = [f"2026-10-{d:02d}" for d in range(1, 9)]
    staff = [_shift("2026-11-11T00:00", "2026-11-12T00:00")]
    staff += [_shift(f"{d}T09:00", f"{d}T18:00") for d in days]
    said = _said(_desk(staff=staff))
    assert len(said) == 1
    assert "queues.live.staff: 8 dated shifts (1, 2, 3, 4, 5 and 3 more; " in said[0]
    assert "2026-10-01T09:00 to 2026-10-08T18:00" in said[0]


def test_a_teams_dated_shift_is_checked_too() -> None:
    data = _desk()
    data["teams"] = {
        "pool": {"serves": ["live"], "staff": [_shift("2027-01-01T08:00", "2027-01-01T16:00")]}
    }
    said = _said(data)
    assert len(said) == 1
    assert "teams.pool.staff.0" in said[0]


YEAR = ["2026-01-01", "2026-05-01", "2026-10-01", "2026-11-11", "2026-12-25"]


def _holidays(dates: list[str], **changes: Any) -> dict[str, Any]:
    data = _desk(**changes)
    data["calendar"] = {"holidays": dates}
    return data


def test_a_years_calendar_with_one_holiday_inside_is_fine() -> None:
    assert _said(_holidays(YEAR, holiday_multiplier=2)) == []


def test_holidays_outside_with_no_holiday_settings_are_fine() -> None:
    assert _said(_holidays(["2025-11-11"])) == []


def test_holidays_all_outside_with_a_multiplier_are_warned() -> None:
    said = _said(_holidays(["2025-11-11", "2025-11-12"], holiday_multiplier=2))
    assert said == [
        "desk.yaml: calendar.holidays: none of its 2 holidays (2025-11-11 to 2025-11-12) "
        "falls within the run's period 2026-11-11T00:00 to 2026-11-12T00:00, so "
        "queues.live.arrivals.holiday_multiplier changes nothing"
    ]


def test_a_holiday_in_the_drain_counts_for_shifts_not_for_arrivals() -> None:
    workdays = [{"start": "09:00", "end": "18:00", "agents": 1, "days": "workdays"}]
    assert _said(_holidays(["2026-11-12"], staff=workdays)) == []
    said = _said(_holidays(["2026-11-12"], holiday_multiplier=2))
    assert said == [
        "desk.yaml: calendar.holidays: its holiday 2026-11-12 is outside the run's period "
        "2026-11-11T00:00 to 2026-11-12T00:00, so queues.live.arrivals.holiday_multiplier "
        "changes nothing"
    ]


def test_a_holiday_the_day_before_counts_for_day_selectors_only() -> None:
    # 2026-11-10 is a holiday: its overnight workdays shift would run into the period.
    overnight = [{"start": "22:00", "end": "06:00", "agents": 1, "days": "workdays"}]
    assert _said(_holidays(["2026-11-10"], staff=overnight)) == []
    said = _said(_holidays(["2026-11-10"], holiday_multiplier=2))
    assert len(said) == 1
    assert "holiday_multiplier" in said[0]


def test_no_holidays_warns_of_holiday_only_settings_not_workdays() -> None:
    holiday_shift = [{"start": "09:00", "end": "18:00", "agents": 1, "days": "holidays"}]
    said = _said(_desk(staff=holiday_shift))
    assert said == [
        "desk.yaml: calendar.holidays: no holidays are listed, so queues.live.staff.0.days "
        "changes nothing"
    ]
    workdays = [{"start": "09:00", "end": "18:00", "agents": 1, "days": "workdays"}]
    assert _said(_desk(staff=workdays)) == []


def test_a_daily_peak_on_holidays_acts_on_holidays_like_a_shift_does() -> None:
    # A clock peak whose days select holidays: no test had one.
    on_holidays = {**_peak("20:00", "23:00"), "days": ["holidays"]}
    said = _said(_desk(peaks=[on_holidays]))
    assert said == [
        "desk.yaml: calendar.holidays: no holidays are listed, so "
        "queues.live.arrivals.peaks.0.days changes nothing"
    ]
    assert _said(_holidays(["2026-11-11"], peaks=[on_holidays])) == []
    workdays = {**_peak("20:00", "23:00"), "days": ["workdays"]}
    assert _said(_desk(peaks=[workdays])) == []  # plain weekdays with no holidays listed


def test_an_included_files_peak_is_checked_against_the_including_period(tmp_path: Path) -> None:
    # The included file's own period (December) misses its peak; the including one's
    # (start 2026-11-11, as DESK) holds it, and a later one misses it again.
    part = _desk(start="2026-12-12T00:00", peaks=[_peak("2026-11-11T20:00", "2026-11-11T23:00")])
    (tmp_path / "part.yaml").write_text(yaml.safe_dump(part), encoding="utf-8")
    whole = {k: v for k, v in DESK.items() if k != "queues"} | {"include": {"shop": "part.yaml"}}
    path = tmp_path / "whole.yaml"
    path.write_text(yaml.safe_dump(whole), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.load(path)
        assert caught == []
        sim.load(path, ["start=2027-11-11T00:00"])
    said = [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]
    assert len(said) == 1
    part = tmp_path / "part.yaml"
    assert said[0].startswith(f"{part}:8: queues.shop.live.arrivals.peaks.0: the dated peak")


def _peak_line(path: Path) -> int:
    """The line of the first (dated) peak's item in a file :func:`yaml.safe_dump` wrote."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith("- end: 2025"))


def test_each_problem_is_warned_once_across_loads_and_sweep_variants(tmp_path: Path) -> None:
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(_desk(peaks=[_peak("2025-11-11T20:00", "2025-11-11T23:00")])))
    vary = {"queues.live.staff": [1, 2], "start": ["2026-11-11T00:00", "2025-11-11T00:00"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.load(path)
        list(sweep_variants(path, vary))
    said = [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]
    # The base's problem once; nothing for the variants that keep it; nothing for those
    # with start 2025-11-11, whose period holds the peak.
    assert said == [
        f"{path}:{_peak_line(path)}: queues.live.arrivals.peaks.0: the dated peak "
        "2025-11-11T20:00 to "
        "2025-11-11T23:00 is outside the run's period 2026-11-11T00:00 to 2026-11-12T00:00: "
        "it changes no arrivals"
    ]


COMMANDS = [
    ["run"],
    ["compare", "--set", "queues.live.staff=2"],
    ["sweep", "--vary", "queues.live.staff=1,2"],
    ["validate"],
    ["staff", "--queue", "live", "--target", "80% in 60s"],
    ["calibrate", "--free", "queues.live.service.mean=3m:10m", "--max-evaluations", "1"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_prints_it_once_and_keeps_its_exit_code(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "desk.yaml"
    data = _desk(peaks=[_peak("2025-11-11T20:00", "2025-11-11T23:00")], replications=2)
    data["targets"] = [{"queue": "live", "metric": "abandon_rate", "value": 0, "tolerance": 0.5}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    name, *options = command
    extra = ["--out", str(tmp_path / "out.yaml")] if name == "calibrate" else []
    code = cli.main([name, str(path), *options, *extra])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if "dated peak" in line]
    assert lines == [
        f"warning: {path}:{_peak_line(path)}: queues.live.arrivals.peaks.0: the dated peak "
        "2025-11-11T20:00 to "
        "2025-11-11T23:00 is outside the run's period 2026-11-11T00:00 to 2026-11-12T00:00: "
        "it changes no arrivals"
    ]


YEAR_OFF = """\
name: desk
start: 2026-11-11T00:00
duration: 1d
queues:
  live:
    arrivals:
      rate: 2/h
      peaks:
        - {start: 2026-11-11T08:00, end: 2026-11-11T09:00, multiplier: 2}
        - {start: 2025-11-11T20:00, end: 2025-11-11T23:00, multiplier: 3}
    staff:
      - {start: "00:00", end: "24:00", agents: 1}
      - {start: 2025-11-12T09:00, end: 2025-11-12T18:00, agents: 2}
    service: {dist: exponential, mean: 5m}
"""


def test_a_warning_about_a_file_names_the_line_of_its_field(tmp_path: Path) -> None:
    # Errors read FILE:LINE: PATH: reason, the dated warnings FILE: PATH: reason, and
    # the reader of a long file had to find the peak by its path.
    path = tmp_path / "desk.yaml"
    path.write_text(YEAR_OFF, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.load(path)
    said = [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]
    assert [m.split(": the dated")[0] for m in said] == [
        f"{path}:10: queues.live.arrivals.peaks.1",
        f"{path}:13: queues.live.staff.1",
    ]
    # A field the file does not decide (set by --set) has no line, as in an error; nor
    # does a scenario that is no file's.
    dated._warned.clear()
    moved = "queues.live.arrivals.peaks.1.end=2025-11-11T22:00"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.load(path, [moved])
        sim.from_dict(yaml.safe_load(YEAR_OFF), source="desk.yaml")
    said = [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]
    assert [m.split(": the dated")[0] for m in said] == [
        f"{path}: queues.live.arrivals.peaks.1",
        f"{path}:13: queues.live.staff.1",
        "desk.yaml: queues.live.arrivals.peaks.1",
    ]


INNER = """\
name: inner
start: 2025-11-11T00:00
duration: 1d
queues:
  live:
    arrivals:
      rate: 2/h
      peaks:
        - {start: 2025-11-11T20:00, end: 2025-11-11T23:00, multiplier: 3}
    service: {dist: exponential, mean: 5m}
teams:
  crew:
    serves: [live]
    staff:
      - {start: 2025-11-11T09:00, end: 2025-11-11T18:00, agents: 2}
"""
PART = """\
name: part
start: 2025-11-11T00:00
duration: 1d
include: {in: inner.yaml}
queues:
  desk:
    arrivals:
      rate: 2/h
      peaks:
        - {start: 2025-11-11T08:00, end: 2025-11-11T09:00, multiplier: 2}
    staff: 1
    service: {dist: exponential, mean: 5m}
"""
WHOLE = """\
name: whole
start: 2026-11-11T00:00
duration: 1d
include: {shop: part.yaml}
queues:
  shop.desk:
    staff:
      - {start: "00:00", end: "24:00", agents: 1}
      - {start: 2025-11-12T09:00, end: 2025-11-12T18:00, agents: 2}
"""


def test_an_included_files_dated_field_is_named_in_that_file_at_its_line(tmp_path: Path) -> None:
    # Warnings about included queues' and teams' fields named the including file with no
    # line: the reader had to find which file, and where in it. Each is now the file
    # that writes it (an include of an include too) at its line; the including file's
    # own override of an included queue is its own, and a field --set gave has no line.
    for name, text in (("inner.yaml", INNER), ("part.yaml", PART), ("whole.yaml", WHOLE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    inner, part, whole = (tmp_path / f"{n}.yaml" for n in ("inner", "part", "whole"))

    def said(load: Any) -> list[str]:
        dated._warned.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load()
        messages = [str(w.message) for w in caught if issubclass(w.category, DatedWarning)]
        return sorted(m.split(": the dated")[0] for m in messages)

    assert said(lambda: sim.load(whole)) == sorted(
        [
            f"{inner}:9: queues.shop.in.live.arrivals.peaks.0",
            f"{part}:10: queues.shop.desk.arrivals.peaks.0",
            f"{whole}:9: queues.shop.desk.staff.1",
            f"{inner}:15: teams.shop.in.crew.staff.0",
        ]
    )
    moved = "queues.shop.desk.arrivals.peaks.0.end=2025-11-11T10:00"
    assert f"{whole}: queues.shop.desk.arrivals.peaks.0" in said(lambda: sim.load(whole, [moved]))
    # Data that is no file's has no lines of its own; its included files have theirs.
    data = yaml.safe_load(WHOLE)
    assert said(lambda: sim.from_dict(data, source=str(whole), overrides=[moved])) == sorted(
        [
            f"{inner}:9: queues.shop.in.live.arrivals.peaks.0",
            f"{whole}: queues.shop.desk.arrivals.peaks.0",
            f"{whole}: queues.shop.desk.staff.1",
            f"{inner}:15: teams.shop.in.crew.staff.0",
        ]
    )


def test_the_python_api_warns_with_its_own_class(tmp_path: Path) -> None:
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(_desk(peaks=[_peak("2025-11-11T20:00", "2025-11-11T23:00")])))
    with pytest.warns(DatedWarning, match=r"peaks\.0: the dated peak 2025-11-11T20:00"):
        sim.run(path, replications=1, workers=1)


SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize(
    "path", SHIPPED, ids=lambda p: p.relative_to(ROOT / "scenarios").as_posix()
)
def test_shipped_scenarios_give_no_dated_warning(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatedWarning)
        sim.load(path)
