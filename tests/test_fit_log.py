"""``sim fit``: reading and cleaning logs, bad input, the command line and its files.

Messy logs come from :mod:`sim.fit.synthetic`: a simulated desk whose log is spoiled in
known ways, so the counts the cleaning reports can be checked exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.distributions import MAX_CV, MAX_SECONDS, MIN_CV
from sim.fit import LogError, read_log
from sim.fit.bot import fit_bot
from sim.fit.handle import EMPIRICAL_KS, QUANTILES, fit_handle
from sim.fit.patience import fit_patience

MINI = {
    "name": "mini",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "seed": 2,
    "replications": 3,
    "queues": {
        "chat": {
            "arrivals": {"rate": "30/h"},
            "staff": [{"start": "08:00", "end": "20:00", "agents": 2}],
            "bot": {"when": "unstaffed", "resolution": 0.5},
            "service": {"dist": "exponential", "mean": "3m"},
            "patience": {"dist": "exponential", "mean": "4m"},
            "resolution": 0.7,
            "on_unresolved": {"email": 1.0},
        },
        "email": {"staff": 1, "service": {"dist": "exponential", "mean": "10m"}},
    },
}


@pytest.fixture(scope="module")
def contacts_dir(tmp_path_factory) -> Path:
    """``sim run --out`` of a small network: contacts.csv with metadata.json beside it."""
    out = tmp_path_factory.mktemp("run")
    sim.run(sim.from_dict(MINI), workers=1).save(out)
    return out


def _fit_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["fit", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- cleaning: every kind of mess is counted, none crashes ----------------------------------


def test_messy_log_repairs_and_rejects_exactly_what_was_spoiled(desk_logs):
    clean, messy, spoiled = desk_logs
    log = read_log(messy)
    c = log.cleaning
    assert c.rows == len(messy)
    assert c.broken["arrive missing or not a time"] == spoiled["broken_arrive"]
    assert c.broken["unknown outcome"] == spoiled["broken_outcome"]
    assert (
        c.broken["end before answer (not clock skew or a date rollover)"] == spoiled["broken_end"]
    )
    repaired = {k.split(" (")[0].split(":")[0]: v for k, v in c.repaired.items()}
    assert repaired["answer before arrive up to 5 s early"] == spoiled["clock_skew"] > 0
    assert repaired["end stamped with the previous day's date"] == spoiled["rollover"]
    assert len(log.frame) == len(messy) - c.n_broken
    bots = ((clean["outcome"] == "answered") & (clean["agent"] == "")).sum()
    assert c.notes["answered with no agent (bot or menu path)"] >= bots - c.n_broken
    assert c.notes["visits crossing midnight (kept whole)"] >= spoiled["crossing"] > 0
    # Repairs restore the clean log's times exactly.
    frame = log.frame
    assert (frame["answer"].dropna() >= frame.loc[frame["answer"].notna(), "arrive"]).all()
    kept = frame[frame["end"].notna()]
    assert (kept["end"] >= kept[["arrive", "answer"]].max(axis=1)).all()


def test_the_project_contacts_csv_is_a_log(contacts_dir):
    log = read_log(contacts_dir / "contacts.csv")
    run = pd.read_csv(contacts_dir / "contacts.csv")
    first = run[run["replication"] == 0]
    assert len(log.frame) == int((first["outcome"] != "unfinished").sum())
    assert log.cleaning.other_replications == len(run) - len(first)
    assert log.origin.isoformat() == "2026-01-05T00:00:00"
    assert set(log.frame["kind"]) <= {"agent", "bot", "abandoned", "lost"}
    assert log.has_agent
    assert log.has_resolved
    assert log.has_routes
    other = read_log(contacts_dir / "contacts.csv", replication=2)
    assert len(other.frame) == int(
        ((run["replication"] == 2) & (run["outcome"] != "unfinished")).sum()
    )


def test_parquet_without_pyarrow_gives_readme_s_install_command(tmp_path, monkeypatch):
    # It said "pip install 'sim[parquet]'", not README's command with constraints.txt.
    def no_pyarrow(*_args, **_kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd, "read_parquet", no_pyarrow)
    (tmp_path / "log.parquet").write_bytes(b"")
    with pytest.raises(LogError, match="needs pyarrow") as caught:
        read_log(tmp_path / "log.parquet")
    command = str(caught.value).split("in sim's repository, ")[1]
    assert command == ".venv/bin/pip install -c constraints.txt -e '.[parquet]'"
    readme = Path(__file__).resolve().parents[1] / "README.md"
    assert f"`{command}`" in readme.read_text(encoding="utf-8")


def test_renamed_columns_seconds_and_parquet_read_the_same(desk_logs, tmp_path):
    clean = desk_logs[0]
    reference = read_log(clean).frame
    renamed = clean.rename(columns={"arrive": "created_at", "answer": "first_reply_at"})
    again = read_log(renamed, columns={"arrive": "created_at", "answer": "first_reply_at"})
    pd.testing.assert_frame_equal(again.frame, reference)
    start = pd.Timestamp("2026-11-01T00:00")
    seconds = clean.copy()
    for column in ("arrive", "answer", "end"):
        stamps = pd.to_datetime(seconds[column].replace("", None))
        seconds[column] = ((stamps - start).dt.total_seconds()).astype("Float64").astype(str)
        seconds[column] = seconds[column].replace("<NA>", "")
    numeric = read_log(seconds, start=start.to_pydatetime())
    pd.testing.assert_frame_equal(numeric.frame, reference)
    clean.to_parquet(tmp_path / "log.parquet")
    pd.testing.assert_frame_equal(read_log(tmp_path / "log.parquet").frame, reference)


# -- bad input: one line, exit 2, nothing written -----------------------------------------


def _bad_logs(clean: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str]]:
    broken = clean.copy()
    broken["arrive"] = "not a time"
    many = clean.copy()
    many.loc[: len(many) // 10, "outcome"] = "??"
    return {
        "missing column": (clean.drop(columns=["end"]), "missing column 'end'"),
        "no rows": (clean.iloc[:0], "the log has no rows"),
        "all broken": (broken, "rows are broken, more than 5%"),
        "too many broken": (many, "rows are broken, more than 5%"),
    }


@pytest.mark.parametrize("case", ["missing column", "no rows", "all broken", "too many broken"])
def test_bad_logs_exit_2_with_one_line_and_write_nothing(desk_logs, tmp_path, capsys, case):
    table, reason = _bad_logs(desk_logs[0])[case]
    path = tmp_path / "log.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "fitted.yaml"
    code, stdout, err = _fit_cli(
        capsys, str(path), "--out", str(out), "--report", str(tmp_path / "r")
    )
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}")
    assert reason in err
    assert "Traceback" not in err
    assert stdout == ""
    assert not out.exists()
    assert not (tmp_path / "r").exists()


def test_max_broken_lets_a_log_with_more_broken_rows_through(desk_logs, tmp_path, capsys):
    # No test passed --max-broken: a tenth of the rows broken is refused at the default
    # 5%, and fitted when the option allows a fifth.
    path = tmp_path / "log.csv"
    _bad_logs(desk_logs[0])["too many broken"][0].to_csv(path, index=False)
    out = tmp_path / "fitted.yaml"
    code, _, err = _fit_cli(capsys, str(path), "--out", str(out))
    assert code == 2
    assert "more than 5%" in err
    code, _, err = _fit_cli(capsys, str(path), "--out", str(out), "--max-broken", "20%")
    assert code == 0, err
    assert sim.load(out).queues.keys() == {"chat", "email"}


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--max-broken", "150%", "expected a share like 5% or 0.05, got '150%'"),
        ("--max-broken", "-0.1", "expected a share like 5% or 0.05, got '-0.1'"),
        # It said "could not convert string to float: 'abc'", Python's words.
        ("--max-broken", "abc", "expected a share like 5% or 0.05, got 'abc'"),
        ("--start", "yesterday", "expected an ISO date-time like 2026-11-02T00:00"),
    ],
)
def test_a_bad_option_value_exits_2_naming_the_option(tmp_path, capsys, option, value, reason):
    with pytest.raises(SystemExit) as stopped:
        main(["fit", "log.csv", "--out", str(tmp_path / "f.yaml"), option, value])
    assert stopped.value.code == 2
    assert f"argument {option}: {reason}" in capsys.readouterr().err


UNREADABLE = {
    "missing": (None, "cannot read file: no such file"),
    "folder": ("", "cannot read file: is a folder, not a file"),
    "log.parquet": (b"PAR1 not a Parquet file", "cannot read Parquet: "),
    "log.csv": (b'queue,arrive,end\nchat,"2026-01-05T00:00\n', "cannot read CSV: "),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_an_unreadable_log_exits_2_naming_it(tmp_path, capsys, name):
    # No test gave sim fit a log it cannot open or parse.
    content, reason = UNREADABLE[name]
    path = tmp_path / name
    if content == "":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    out = tmp_path / "fitted.yaml"
    code, stdout, err = _fit_cli(capsys, str(path), "--out", str(out))
    assert code == 2
    assert err.startswith(f"error: {path}: {reason}")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert stdout == ""
    assert not out.exists()


def test_no_replication_of_that_number_is_bad_input(desk_logs):
    with pytest.raises(LogError, match="no replication 5"):
        read_log(desk_logs[0].assign(replication=0), replication=5)


def _abandoned_at(clean: pd.DataFrame, arrive: str, end: str) -> pd.DataFrame:
    return clean.assign(arrive=arrive, answer="", end=end, outcome="abandoned")


# What to give, said to a Python caller as its keyword and on the command line as its
# flag: (the log, sim.fit's keywords, the same as flags, what Python is told, what the
# command line is told). Python was told the flags ("give --start").
TOLD_WHAT_TO_GIVE = {
    "seconds without start": (
        lambda clean: _abandoned_at(clean, "10", "20"), {}, [],
        "give start= (or keep", "give --start (or keep",
    ),
    "unix times": (
        lambda clean: _abandoned_at(clean, "1767225600", "1767225700"), {}, [],
        "or start='1970-01-01T08:00' to read", "or --start 1970-01-01T08:00 to read",
    ),
    "no agents without roster": (
        lambda clean: clean.drop(columns=["agent"]), {}, [],
        "give roster= to say", "give --roster to say",
    ),
    "a replication of a log without them": (
        lambda clean: clean, {"replication": 1}, ["--replication", "1"],
        "replication= given but", "--replication given but",
    ),
    "columns naming no column": (
        lambda clean: clean, {"columns": {"arrive": "nope"}}, ["--columns", "arrive=nope"],
        "columns= names a column the log lacks: 'nope'",
        "--columns names a column the log lacks: 'nope'",
    ),
    "a missing column": (
        lambda clean: clean.drop(columns=["end"]), {}, [],
        "name yours with columns={'end': COLUMN}", "name yours with --columns end=COLUMN",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", TOLD_WHAT_TO_GIVE)
def test_python_is_told_keywords_and_the_command_line_flags(desk_logs, tmp_path, capsys, case):
    make, keywords, flags, python, command_line = TOLD_WHAT_TO_GIVE[case]
    table = make(desk_logs[0])
    with pytest.raises(sim.LogError) as error:
        sim.fit(table, replications=1, workers=1, **keywords)
    assert python in str(error.value)
    assert "--" not in str(error.value)
    path = tmp_path / "log.csv"
    table.to_csv(path, index=False)
    code, stdout, err = _fit_cli(capsys, str(path), "--out", str(tmp_path / "f.yaml"), *flags)
    assert (code, stdout) == (2, "")
    assert command_line in err


def test_a_roster_replaces_presence(desk_logs):
    clean = desk_logs[0]
    roster = pd.DataFrame(
        {"start": ["2026-11-02T08:00"], "end": ["2026-11-16T00:00"], "agents": [3], "queue": "chat"}
    )
    result = sim.fit.fit(clean.drop(columns=["agent"]), roster=roster)
    staffing = result.queue("chat").staffing
    assert staffing.source == "roster"
    inside = staffing.intervals.iloc[9:300]
    assert (inside["effective"] == 3).all()
    assert (result.queue("email").staffing.intervals["effective"] == 0).all()


# -- the command line ---------------------------------------------------------------------


def test_cli_writes_a_commented_scenario_that_sim_run_accepts(contacts_dir, tmp_path, capsys):
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    code, stdout, err = _fit_cli(
        capsys, str(contacts_dir / "contacts.csv"), "--out", str(out), "--report", str(report),
        "-n", "3", "--workers", "1",
    )  # fmt: skip
    assert code == 0, err
    text = out.read_text()
    scenario = sim.load(out)
    assert set(scenario.queues) == {"chat", "email"}
    for line in text.splitlines():
        field = line.strip().split(":")[0]
        if field in {"rate", "service", "patience", "resolution", "bot"} or (
            field == "email" and "%" in line
        ):
            assert "95% CI" in line, line
    assert "by day" in stdout
    assert "by hour of day" in stdout
    assert "overall" in stdout
    assert sim.run(scenario, replications=1, workers=1).summary().loc["chat", "arrivals"] > 0
    written = sorted(p.name for p in report.iterdir())
    for name in ("parameters.csv", "backtest_daily.csv", "backtest_hourly_chat.png",
                 "patience_chat.png", "handle_time_email.png", "staffing_chat.png"):  # fmt: skip
        assert name in written
    daily = pd.read_csv(report / "backtest_daily.csv")
    assert {"observed_abandon_rate", "simulated_abandon_rate_ci95"} <= set(daily.columns)


def test_cli_json_document(contacts_dir, tmp_path, capsys):
    code, stdout, err = _fit_cli(
        capsys, str(contacts_dir / "contacts.csv"), "--out", str(tmp_path / "f.yaml"),
        "--json", "-n", "2", "--workers", "1", "--interval", "30m",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["scenario"] == "fitted-contacts"
    assert {"overall", "daily", "hourly"} <= set(doc["backtest"])
    assert any(p["parameter"] == "resolution" for p in doc["parameters"])
    staff = yaml.safe_load((tmp_path / "f.yaml").read_text())["queues"]["chat"]["staff"]
    assert all("T" in s["start"] and "T" in s["end"] for s in staff)  # dated shifts


def test_staffing_intervals_follow_the_interval(contacts_dir):
    result = sim.fit.fit(contacts_dir / "contacts.csv", interval=1800.0)
    starts = result.queue("chat").staffing.intervals["start"]
    assert set(starts.diff().dropna()) == {1800.0}


def test_cli_refuses_to_overwrite_its_log(contacts_dir, capsys):
    log = str(contacts_dir / "contacts.csv")
    code, _, err = _fit_cli(capsys, log, "--out", log)
    assert code == 2
    assert "would overwrite the input" in err


# -- choices the desk does not exercise ----------------------------------------------------


def test_a_two_humped_handle_time_is_written_as_empirical_quantiles():
    rng = np.random.default_rng(4)
    handle = np.concatenate([rng.normal(60, 5, 3000), rng.normal(600, 30, 3000)])
    fit = fit_handle("q", handle)
    assert fit.fits[0].ks > EMPIRICAL_KS
    assert fit.chosen == "empirical"
    block = fit.distribution()
    assert block["dist"] == "empirical"
    assert len(block["values"]) == QUANTILES
    assert fit.mean.covers(330.0)
    scenario = {**MINI, "queues": {"chat": {**MINI["queues"]["chat"], "service": block}}}
    scenario["queues"]["chat"].pop("on_unresolved")
    sim.from_dict(scenario)  # a valid service distribution


def test_a_menu_answering_while_agents_work_is_a_first_line_bot():
    rng = np.random.default_rng(5)
    n = 400
    arrive = np.sort(rng.uniform(0, 8 * 3600, n))
    menu = rng.random(n) < 0.3
    frame = pd.DataFrame(
        {
            "arrive": arrive,
            "answer": arrive + np.where(menu, 0.0, 20.0),
            "end": arrive + np.where(menu, 30.0, 200.0),
            "kind": np.where(menu, "bot", "agent"),
            "resolved": 1.0,
            "next_queue": pd.NA,
        }
    )
    fit = fit_bot("q", frame, lambda t: np.full(len(t), 3.0))  # agents present throughout
    assert fit.when == "always"
    assert fit.resolution.covers(0.3)
    assert fit.resolution.value == menu.mean()
    assert fit.response is None  # answered at once
    assert fit.handle.covers(30.0)


# -- logs as desks export them ------------------------------------------------------------


def _two_hops(order: list[int], **extra) -> pd.DataFrame:
    """Two contacts a menu answered at once and sent on to email in the same second."""
    rows = [
        ("chat", 7, "2026-11-02T09:00:00", "2026-11-02T09:00:00", "2026-11-02T09:00:00", ""),
        ("email", 7, "2026-11-02T09:00:00", "2026-11-02T09:30:00", "2026-11-02T09:40:00", "A1"),
        ("chat", 8, "2026-11-02T10:00:00", "2026-11-02T10:00:00", "2026-11-02T10:00:00", ""),
        ("email", 8, "2026-11-02T10:00:00", "2026-11-02T10:20:00", "2026-11-02T10:25:00", "A1"),
    ]
    table = pd.DataFrame(rows, columns=["queue", "contact", "arrive", "answer", "end", "agent"])
    return table.assign(outcome="answered", **extra).iloc[order].reset_index(drop=True)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [1, 0, 3, 2], [3, 1, 2, 0]])
def test_rows_in_any_order_give_the_same_first_visits_and_routes(order):
    # A follow-up that arrives in the same second as its first visit ends must not be
    # taken for the first visit because its row comes first.
    frame = read_log(_two_hops(order)).frame.sort_values(["contact", "arrive", "end"])
    assert frame["queue"].tolist() == ["chat", "email", "chat", "email"]
    assert frame["external"].tolist() == [True, False, True, False]
    assert frame["next_queue"].fillna("").tolist() == ["email", "", "email", ""]


def test_contact_ids_may_be_text_and_a_row_without_one_is_a_contact_of_its_own():
    text = _two_hops([0, 1, 2, 3]).assign(contact=["C-7", "C-7", "C-8", "C-8"])
    frame = read_log(text).frame
    assert frame["external"].tolist() == [True, False, True, False]
    assert frame["next_queue"].fillna("").tolist() == ["email", "", "email", ""]
    assert frame["contact"].nunique() == 2
    # Three chats with no contact id: three arrivals, linked to nothing.
    alone = _two_hops([0, 2, 0]).assign(contact="")
    frame = read_log(alone).frame
    assert frame["external"].tolist() == [True, True, True]
    assert frame["contact"].nunique() == 3
    assert frame["next_queue"].isna().all()


@pytest.mark.parametrize("zone", [None, "Asia/Shanghai"])
def test_parquet_timestamp_columns_read_as_the_same_wall_clock_times(tmp_path, zone):
    text = _two_hops([0, 1, 2, 3])
    typed = text.copy()
    for column in ("arrive", "answer", "end"):
        typed[column] = pd.to_datetime(typed[column]).dt.tz_localize(zone)
    typed.to_parquet(tmp_path / "log.parquet")
    expected = read_log(text).frame
    pd.testing.assert_frame_equal(read_log(tmp_path / "log.parquet").frame, expected)


def _with_offsets(table: pd.DataFrame, columns: tuple, offsets: list[str]) -> pd.DataFrame:
    out = table.copy()
    for column in columns:
        out[column] = [t + z if t else t for t, z in zip(out[column], offsets, strict=True)]
    return out


def test_times_with_several_utc_offsets_and_a_roster_with_offsets_read_as_wall_clock():
    # A daylight-saving change in the log: +02:00 before, +01:00 after. Profiles are about
    # the wall clock, as with a single offset.
    text = _two_hops([0, 1, 2, 3])
    offsets = ["+02:00", "+02:00", "+01:00", "+01:00"]
    mixed = _with_offsets(text, ("arrive", "answer", "end"), offsets)
    pd.testing.assert_frame_equal(read_log(mixed).frame, read_log(text).frame)
    roster = pd.DataFrame(
        {"start": ["2026-11-02T08:00"], "end": ["2026-11-02T12:00"], "agents": [2]}
    )
    zoned = _with_offsets(roster, ("start", "end"), ["+02:00"])
    plain = sim.fit.fit(text.drop(columns="agent"), roster=roster).queue("email").staffing
    fitted = sim.fit.fit(text.drop(columns="agent"), roster=zoned).queue("email").staffing
    pd.testing.assert_frame_equal(fitted.intervals, plain.intervals)
    assert fitted.intervals["scheduled"].max() == 2


def test_columns_mapping_replaces_a_column_already_named_like_the_field():
    # The export has its own 'arrive' (say, when the ticket was archived) and the
    # analyst maps arrive to created_at: the mapping wins over the name.
    text = _two_hops([0, 1, 2, 3])
    export = text.assign(created_at=text["arrive"], arrive="2030-01-01T00:00:00")
    mapped = read_log(export, columns={"arrive": "created_at"}).frame
    pd.testing.assert_frame_equal(mapped, read_log(text).frame)
    swapped = text.rename(columns={"arrive": "answer", "answer": "arrive"})
    again = read_log(swapped, columns={"arrive": "answer", "answer": "arrive"}).frame
    pd.testing.assert_frame_equal(again, read_log(text).frame)


def test_a_row_exported_twice_is_dropped_and_counted():
    text = _two_hops([0, 1, 2, 3])
    twice = pd.concat([text, text.iloc[[1, 2]]], ignore_index=True)
    log = read_log(twice)
    pd.testing.assert_frame_equal(log.frame, read_log(text).frame)
    assert log.cleaning.rows == 6
    assert log.cleaning.repaired == {"rows repeated (same contact, every column equal): dropped": 2}
    # Without contact ids two bot answers in one second are two contacts: kept, noted.
    anonymous = twice.drop(columns="contact")
    log = read_log(anonymous)
    assert len(log.frame) == 6
    assert log.cleaning.notes["rows equal to another row (no contact id to tell): kept"] == 2


def test_every_fitted_duration_is_one_a_scenario_accepts(desk_logs):
    # A log without a queue column is one queue: here chat shoppers who give up within
    # minutes and email answered after half a day. Lognormal patience then wanted a cv
    # of 50, past the scenario's limit of 20, and the fitted file was refused.
    rng = np.random.default_rng(3)
    exact = rng.lognormal(np.log(120), 1.0, 1000)
    censored = np.concatenate(
        [np.zeros(4000), rng.lognormal(np.log(20), 1.0, 2000),
         rng.lognormal(np.log(12 * 3600), 1.0, 1500)]
    )  # fmt: skip
    for family in fit_patience("q", exact, censored).fits:
        assert family.cv is None or MIN_CV <= family.cv.value <= MAX_CV
        assert family.mean.value <= MAX_SECONDS
    # One shopper gave up, 20,000 waited a day each: exponential patience of 55 years.
    (rare,) = fit_patience("q", np.array([60.0]), np.full(20_000, 86400.0)).fits
    assert rare.mean.value == pytest.approx(MAX_SECONDS)
    assert rare.mean.value <= MAX_SECONDS
    assert np.isfinite(rare.loglik)
    merged = sim.fit.fit(desk_logs[0].drop(columns="queue"), replications=2)
    assert merged.log.queues == ["queue"]
    assert merged.scenario.queues["queue"].patience is not None


def test_queue_names_a_scenario_refuses_are_renamed_and_said():
    text = _two_hops([0, 1, 2, 3])
    text["queue"] = text["queue"].map({"chat": "Live Chat", "email": "e-mail/tickets"})
    text["next_queue"] = ["e-mail/tickets", "", "e-mail/tickets", ""]
    log = read_log(text)
    assert log.queues == ["Live_Chat", "e-mail_tickets"]
    assert log.frame["next_queue"].fillna("").tolist() == [
        "e-mail_tickets",
        "",
        "e-mail_tickets",
        "",
    ]
    notes = log.cleaning.notes
    assert notes["rows of queue 'Live Chat', named Live_Chat in the scenario"] == 2
    assert notes["rows of queue 'e-mail/tickets', named e-mail_tickets in the scenario"] == 2
    fitted = sim.fit.fit(log)
    assert list(fitted.scenario.queues) == ["Live_Chat", "e-mail_tickets"]
    assert fitted.scenario.queues["Live_Chat"].on_unresolved == {"e-mail_tickets": 1.0}


def test_queue_names_yaml_would_read_as_numbers_or_nothing_stay_names(tmp_path):
    # A queue named 007 came back from the written scenario as the number 7 (and the fit
    # stopped with "queues.7: Input should be a valid string"); null as nothing.
    text = _two_hops([0, 1, 2, 3])
    text["queue"] = text["queue"].map({"chat": "007", "email": "null"})
    text["next_queue"] = ["null", "", "null", ""]
    fitted = sim.fit.fit(read_log(text))
    assert list(fitted.scenario.queues) == ["007", "null"]
    assert fitted.scenario.queues["007"].on_unresolved == {"null": 1.0}
    path = tmp_path / "fitted.yaml"
    path.write_text(fitted.to_yaml(), encoding="utf-8")
    assert list(sim.load(path).queues) == ["007", "null"]


def test_a_replication_column_without_numbers_is_bad_input():
    text = _two_hops([0, 1, 2, 3])
    with pytest.raises(LogError, match="replication: the replication column holds no numbers"):
        read_log(text.assign(replication=""))


def test_two_queue_names_that_clean_to_one_name_stay_two_queues():
    # "Live Chat" and "Live/Chat" both clean to Live_Chat: the second is numbered, so
    # their rows stay apart (no test had two such names).
    text = _two_hops([0, 1, 2, 3])
    text["queue"] = text["queue"].map({"chat": "Live Chat", "email": "Live/Chat"})
    text["next_queue"] = ["Live/Chat", "", "Live/Chat", ""]
    log = read_log(text)
    assert log.queues == ["Live_Chat", "Live_Chat_2"]
    assert log.frame["next_queue"].fillna("").tolist() == ["Live_Chat_2", "", "Live_Chat_2", ""]
    assert log.cleaning.notes["rows of queue 'Live/Chat', named Live_Chat_2 in the scenario"] == 2


def test_a_bad_columns_mapping_exits_2_naming_the_fields(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["fit", "log.csv", "--out", str(tmp_path / "f.yaml"), "--columns", "arrive"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --columns: expected field=column pairs with fields among queue, " in err
    assert err.rstrip().endswith("got 'arrive'")
