"""``sim fit`` on logs as a merchant's service desk exports them.

Each test builds a small log by hand (or from a few rows of it) in the shape a real
export takes: encodings, delimiters, timestamp formats, and the data errors a desk's
system makes. Every case either reads as a stated conversion or is refused on one line.
"""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.fit import LogError, parse_columns, read_log

COLUMNS = ["queue", "contact", "arrive", "answer", "end", "outcome", "agent"]


def _chat(n: int = 20, day: str = "2026-11-02", first: int = 9) -> list[tuple]:
    """``n`` chats a few minutes apart from ``first`` o'clock, each handled 3-6 minutes."""
    rows = []
    for i in range(n):
        arrive = pd.Timestamp(f"{day}T{first:02d}:00:00") + pd.Timedelta(minutes=7 * i)
        answer = arrive + pd.Timedelta(seconds=20 + 3 * i)
        end = answer + pd.Timedelta(seconds=180 + 9 * i)
        rows.append(("chat", f"C{i}", arrive, answer, end, "answered", f"A{i % 3}"))
    return rows


def _table(rows: list[tuple], fmt: str = "%Y-%m-%dT%H:%M:%S") -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("arrive", "answer", "end"):
        table[column] = [
            t.strftime(fmt) if isinstance(t, pd.Timestamp) else t for t in table[column]
        ]
    return table


def test_an_end_shortly_before_its_answer_is_broken_not_moved_a_day_on():
    # A handle time of -30 s is a data error; moving the end a day on made it 23h59m30s
    # and multiplied the fitted mean handle time (2% of such rows: 252 s became 1,967 s).
    rows = _chat()
    name, contact, arrive, answer, _, outcome, agent = rows[4]
    rows[4] = (name, contact, arrive, answer, answer - pd.Timedelta(seconds=30), outcome, agent)
    log = read_log(_table(rows))
    assert not log.cleaning.repaired
    assert sum(log.cleaning.broken.values()) == 1
    assert len(log.frame) == 19
    handle = log.frame["end"] - log.frame["answer"]
    assert handle.max() <= 180 + 9 * 19


def test_an_end_stamped_with_the_previous_day_after_midnight_is_still_moved_a_day_on():
    rows = _chat(day="2026-11-02", first=22)
    # A chat answered at 23:58 ends at 00:03, its end stamped with the answer's date.
    name, contact, arrive, _, _, outcome, agent = rows[16]  # arrives 23:52
    answer = pd.Timestamp("2026-11-02T23:58:00")
    stamped = pd.Timestamp("2026-11-02T00:03:00")  # 2026-11-03T00:03:00
    rows[16] = (name, contact, arrive, answer, stamped, outcome, agent)
    log = read_log(_table(rows))
    assert list(log.cleaning.repaired.values()) == [1]
    assert not log.cleaning.broken
    assert (log.frame["end"] - log.frame["answer"]).iloc[16] == 300


def test_times_to_the_minute_a_second_apart_across_a_minute_are_clock_skew():
    # Chinese desks' tools write 2026/11/16 9:05 (no seconds). A reply stamped a second
    # before the arrival it answers reads a whole minute early when the two straddle a
    # minute: that is still clock skew, not a broken row (nor a 23h59m wait).
    rows = _chat()
    name, contact, _, _, end, outcome, agent = rows[3]
    arrive = pd.Timestamp("2026-11-02T09:21:00")
    rows[3] = (name, contact, arrive, arrive - pd.Timedelta(seconds=1), end, outcome, agent)
    table = _table(rows, fmt="%Y/%m/%d %H:%M")
    assert table.loc[3, "answer"] == "2026/11/02 09:20"
    log = read_log(table)
    assert not log.cleaning.broken
    assert list(log.cleaning.repaired.values()) == [1]
    assert "65 s" in next(iter(log.cleaning.repaired))
    wait = log.frame["answer"] - log.frame["arrive"]
    assert wait.iloc[3] == 0


def test_an_empty_agent_column_is_no_agent_column_not_a_desk_of_bots():
    # Exports keep a column whose field nobody filled in. Read as "no agent answered",
    # every visit became a bot's and the fitted desk had no staff at all.
    table = _table(_chat()).assign(agent="")
    assert not read_log(table).has_agent
    with pytest.raises(LogError, match=r"no agent column .*give roster="):
        sim.fit.fit(table)


def test_an_empty_next_queue_column_leaves_routes_to_the_contact_links():
    rows = _chat(4)
    arrive = rows[1][3]
    rows.append(
        (
            "email",
            "C1",
            arrive,
            arrive + pd.Timedelta(hours=1),
            arrive + pd.Timedelta(hours=1, minutes=5),
            "answered",
            "E1",
        )
    )
    frame = read_log(_table(rows).assign(next_queue="")).frame
    assert frame["next_queue"].fillna("").tolist() == ["", "email", "", "", ""]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_bar_delimited_exports_read_like_commas(tmp_path, sep):
    # Excel writes ';' where the decimal mark is a comma (Europe), tab for "Text".
    table = _table(_chat()).assign(note="says: hello, world; thanks")
    table.to_csv(tmp_path / "comma.csv", index=False)
    table.to_csv(tmp_path / "other.csv", index=False, sep=sep)
    expected = read_log(tmp_path / "comma.csv").frame
    pd.testing.assert_frame_equal(read_log(tmp_path / "other.csv").frame, expected)


def _chinese() -> pd.DataFrame:
    table = _table(_chat())
    table["queue"] = ["在线客服", "售后"] * 10
    table["agent"] = table["agent"].map({"A0": "小王", "A1": "小李", "A2": "小张"})
    return table


@pytest.mark.parametrize(
    ("encoding", "sep", "note"),
    [("gbk", ",", "GB18030"), ("gb18030", ",", "GB18030"), ("utf-16", "\t", "UTF-16")],
)
def test_chinese_desk_exports_in_gbk_and_excel_unicode_text_read_as_utf8(
    tmp_path, encoding, sep, note
):
    # A Chinese desk's Excel saves CSV in GBK; its "Unicode text" is tab-separated UTF-16.
    table = _chinese()
    table.to_csv(tmp_path / "utf8.csv", index=False, encoding="utf-8-sig")
    table.to_csv(tmp_path / "export.csv", index=False, encoding=encoding, sep=sep)
    log = read_log(tmp_path / "export.csv")
    pd.testing.assert_frame_equal(log.frame, read_log(tmp_path / "utf8.csv").frame)
    assert log.queues == ["在线客服", "售后"]
    assert any(note in what for what in log.cleaning.notes)


def test_a_file_in_no_known_text_encoding_is_refused_on_one_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(_table(_chat()).to_csv(index=False).encode() + b"\x80\xff\x00\xfe\n")
    with pytest.raises(LogError, match="not UTF-8, UTF-16 or GB18030 text") as error:
        read_log(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (
            {"arrive": "16/11/2026 09:05:03"},
            "arrive: 20 of 20 rows are broken, more than 5% (most: 20 arrive missing or not "
            "a time; the first: row 1, arrive '16/11/2026 09:05:03')",
        ),
        (
            {"outcome": "已接入"},
            "outcome: 20 of 20 rows are broken, more than 5% (most: 20 unknown outcome; the "
            "first: row 1, outcome '已接入')",
        ),
    ],
)
def test_a_refused_log_names_the_column_the_first_row_and_its_value(spoil, expected):
    # "2,000 of 2,000 rows are broken (most: arrive missing or not a time)" left the user
    # to guess which value of which row the reader could not take.
    table = _table(_chat())
    table.loc[1, "outcome"] = "answered"
    table = table.assign(**spoil)
    with pytest.raises(LogError) as error:
        read_log(table)
    assert str(error.value) == f"<DataFrame>: {expected}"


def test_the_first_broken_row_is_counted_in_the_file_as_read(tmp_path):
    table = _table(_chat())
    table.loc[[6, 8], "outcome"] = "??"
    table = pd.concat([table.iloc[:3], table.iloc[:3], table.iloc[3:]])  # 3 rows exported twice
    with pytest.raises(LogError, match=r"the first: row 10, outcome '\?\?'"):
        read_log(table, max_broken=0.05)


@pytest.mark.parametrize(
    "fmt",
    [
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日%H时%M分%S秒",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S.000",
    ],
)
def test_chinese_date_times_read_as_the_same_wall_clock(fmt):
    # A Chinese desk's tools write 2026年11月02日 09:05:00, or 9时05分; the reader took
    # none of them, and refused the log with every row broken.
    expected = read_log(_table(_chat())).frame
    pd.testing.assert_frame_equal(read_log(_table(_chat(), fmt=fmt)).frame, expected)


def test_mixed_time_formats_in_one_column_read_alike():
    table = _table(_chat())
    chinese = _table(_chat(), fmt="%Y年%-m月%-d日 %H:%M:%S")
    table.loc[::2, "arrive"] = chinese.loc[::2, "arrive"]
    table.loc[1::3, "end"] = _table(_chat(), fmt="%Y/%m/%d %H:%M:%S").loc[1::3, "end"]
    assert table.loc[0, "arrive"] == "2026年11月2日 09:00:00"
    pd.testing.assert_frame_equal(read_log(table).frame, read_log(_table(_chat())).frame)


def _numbers(table: pd.DataFrame, convert) -> pd.DataFrame:
    out = table.copy()
    for column in ("arrive", "answer", "end"):
        out[column] = [convert(pd.Timestamp(t)) for t in table[column]]
    return out


def test_excel_serial_dates_read_as_the_wall_clock_they_show(tmp_path):
    # Excel's date-times are days since 1899-12-30 (46328.3791 is 2026-11-02 09:06);
    # saved unformatted they were refused with "times are numbers of seconds".
    table = _table(_chat())
    serial = _numbers(
        table, lambda t: f"{(t - pd.Timestamp('1899-12-30')) / pd.Timedelta(days=1):.10f}"
    )
    serial.to_csv(tmp_path / "serial.csv", index=False)
    log = read_log(tmp_path / "serial.csv")
    pd.testing.assert_frame_equal(log.frame, read_log(table).frame)
    assert log.origin == read_log(table).origin
    assert any("Excel" in what for what in log.cleaning.notes)


@pytest.mark.parametrize(("unit", "scale"), [("seconds", 1), ("milliseconds", 1000)])
def test_unix_times_are_refused_with_what_they_are(unit, scale):
    # Unix times are instants in UTC: the wall clock needs the desk's zone, which the log
    # does not hold. Asking for --start (seconds from it) made no sense of them.
    def unix(t: pd.Timestamp) -> str:
        return str(int((t - pd.Timestamp("1970-01-01T08:00")).total_seconds() * scale))

    with pytest.raises(LogError, match=f"arrive: Unix times in {unit}") as error:
        read_log(_numbers(_table(_chat()), unix))
    assert "\n" not in str(error.value)


def _berlin(instants: list[tuple[str, int, int]]) -> pd.DataFrame:
    """Chats (UTC arrival, wait s, handle s) as a Berlin desk exports them: local + offset."""
    rows = []
    for i, (arrive, wait, handle) in enumerate(instants):
        t0 = pd.Timestamp(arrive, tz="UTC")
        t1, t2 = t0 + pd.Timedelta(seconds=wait), t0 + pd.Timedelta(seconds=wait + handle)
        stamps = [t.tz_convert("Europe/Berlin") for t in (t0, t1, t2)]
        rows.append(("chat", f"C{i}", *stamps, "answered", f"A{i % 2}"))
    return pd.DataFrame(rows, columns=COLUMNS)


@pytest.mark.parametrize(
    "change",
    ["2026-10-25T00:50", "2026-03-29T00:55"],  # clocks back at 03:00, forward at 02:00
)
@pytest.mark.parametrize("as_text", [True, False])
def test_waits_and_handle_times_across_a_daylight_saving_change_are_true_durations(change, as_text):
    # A European desk's export crossing the change: 02:50+02:00 answered at 02:05+01:00
    # waited 15 minutes, not minus 45 (a broken row) nor, in spring, an hour more.
    day = change[:10]
    chats = [(f"{day}T{h:02d}:{m:02d}", 20 + m, 200 + 3 * m) for h in (6, 8, 10) for m in (0, 30)]
    table = _berlin([(change, 900, 300), *chats])
    if as_text:
        for column in ("arrive", "answer", "end"):
            table[column] = [t.isoformat() for t in table[column]]
    log = read_log(table)
    frame = log.frame
    assert (frame["answer"] - frame["arrive"]).tolist() == [900] + [w for _, w, _ in chats]
    assert (frame["end"] - frame["answer"]).tolist() == [300] + [h for *_, h in chats]
    # Arrivals stay on the wall clock: the first at 02:50 (autumn) or 01:55 (spring).
    first = log.origin + pd.Timedelta(seconds=frame["arrive"].iloc[0])
    assert first.strftime("%H:%M") == ("02:50" if day.endswith("25") else "01:55")


def test_routes_to_a_queue_not_in_the_log_are_said_not_dropped_silently():
    # An export of the chat desk alone names the email desk it escalates to; the fitted
    # scenario cannot route there, and the user must hear it.
    table = _table(_chat()).assign(next_queue="")
    table.loc[[2, 5, 7], "next_queue"] = "Email Desk"
    log = read_log(table)
    assert (
        log.cleaning.notes["rows routed to a queue not in the log ('Email Desk'): not simulated"]
        == 3
    )


def test_a_backtest_whose_runs_have_no_contacts_counts_them_as_zero():
    # A log of one contact: a run of its hour may see nobody. Such runs were left out
    # of the simulated means, and when every run saw nobody the back-test crashed with
    # a traceback ("need at least one array to concatenate").
    result = sim.fit.fit(_table(_chat(1)), replications=4, seed=0, workers=1)
    contacts = sim.run(result.scenario, replications=4, seed=0, workers=1).contacts()
    per_run = contacts.groupby("replication").size().reindex(range(4), fill_value=0)
    assert (per_run == 0).any()  # the case at hand (seed 0)
    overall = result.backtest().overall
    assert overall["simulated_arrivals"].iloc[0] == pytest.approx(per_run.mean())


def test_agent_visits_with_no_handle_time_are_said():
    # Some desks stamp the answer when the agent closes the chat: every handle time 0,
    # fitted as agents who serve in no time, with no word in the cleaning report.
    table = _table(_chat())
    table.loc[::4, "end"] = table.loc[::4, "answer"]
    log = read_log(table)
    assert log.cleaning.notes["answered by an agent with no handle time (end = answer)"] == 5


def test_a_log_with_chinese_column_names_is_told_how_to_name_them():
    table = _table(_chat())
    table.columns = ["队列", "会话ID", "进线时间", "接入时间", "结束时间", "结果", "客服"]
    with pytest.raises(LogError, match=r"missing column 'arrive' \(columns: 队列, 会话ID, ") as e:
        read_log(table)
    named = "name yours with columns={'arrive': COLUMN, 'answer': COLUMN, ...}"
    assert str(e.value).endswith(named)
    mapping = "queue=队列,contact=会话ID,arrive=进线时间,answer=接入时间,end=结束时间"
    mapping += ",outcome=结果,agent=客服"
    named = read_log(table, columns=parse_columns(mapping)).frame
    pd.testing.assert_frame_equal(named, read_log(_table(_chat())).frame)


def test_empty_rows_of_an_excel_export_are_left_out_not_broken(tmp_path):
    # Excel saves rows that once held data as ",,,,,,": not contacts, and 5 of 25 rows
    # counted as broken refused the whole log (more than 5%).
    text = _table(_chat()).to_csv(index=False, lineterminator="\r\n") + ",,,,,,\r\n" * 5
    (tmp_path / "export.csv").write_text(text, encoding="utf-8-sig")
    log = read_log(tmp_path / "export.csv")
    assert log.cleaning.notes["empty rows (every column blank): left out"] == 5
    assert not log.cleaning.broken
    assert log.cleaning.rows == 20
    pd.testing.assert_frame_equal(log.frame, read_log(_table(_chat())).frame)


def test_an_abandoned_visit_with_an_answer_time_is_abandoned_at_its_end():
    # Chat exports stamp the agent's reply even when the shopper had left: the reply
    # came after the end. Such rows were broken (before: moved a day on, a day's
    # patience); the shopper gave up at the end, and the answer served nobody.
    table = _table(_chat())
    for i in (3, 5, 9):
        arrive = pd.Timestamp(table.loc[i, "arrive"])
        table.loc[i, "outcome"] = "abandoned"
        table.loc[i, "end"] = (arrive + pd.Timedelta(seconds=60)).isoformat()
        table.loc[i, "answer"] = (arrive + pd.Timedelta(seconds=90 if i < 9 else 30)).isoformat()
    log = read_log(table)
    assert not log.cleaning.broken
    assert not log.cleaning.repaired
    assert log.cleaning.notes["abandoned with an answer time: answer left out"] == 3
    gone = log.frame[log.frame["kind"] == "abandoned"]
    assert gone["answer"].isna().all()
    assert ((gone["end"] - gone["arrive"]) == 60).all()


def test_trailing_empty_column_blank_lines_and_a_totals_row(tmp_path):
    # Excel's trailing delimiter, blank lines between blocks, and a totals row at the end.
    table = _table(_chat())
    lines = table.to_csv(index=False).splitlines()
    text = "\n".join([line + "," for line in lines[:10]] + [""] + lines[10:] + ["Total,,,,,20,"])
    (tmp_path / "export.csv").write_text(text + "\n", encoding="utf-8")
    log = read_log(tmp_path / "export.csv")
    assert log.cleaning.broken == {"arrive missing or not a time": 1}  # the totals row
    pd.testing.assert_frame_equal(log.frame, read_log(table).frame)


def test_ids_with_leading_zeros_are_names_and_an_open_contact_is_a_broken_row():
    table = _table(_chat(4)).assign(contact=["007", "7", "0007", "007"])
    table.loc[3, "end"] = ""  # still open when the export ran
    log = read_log(table, max_broken=0.5)
    assert log.frame["contact"].tolist() == [0, 1, 2]
    assert log.cleaning.broken == {"answered or abandoned without an end time": 1}


def test_resolved_flags_in_chinese_read_as_yes_and_no_and_unknown_words_are_said():
    # A Chinese desk's 是否解决 column holds 是/否: read as unknown, the fit took resolution
    # from routes alone, and the chat desk's resolution came out 0% (every visit routed).
    table = _table(_chat()).assign(resolved=["yes", "no", "yes", "yes"] * 5)
    chinese = table.assign(resolved=table["resolved"].map({"yes": "是", "no": "否"}))
    expected = read_log(table).frame["resolved"]
    pd.testing.assert_series_equal(read_log(chinese).frame["resolved"], expected)
    solved = table.assign(resolved=table["resolved"].map({"yes": "已解决", "no": "未解决"}))
    pd.testing.assert_series_equal(read_log(solved).frame["resolved"], expected)
    odd = table.assign(resolved=["yes", "no", "perhaps", "yes"] * 5)
    log = read_log(odd)
    assert log.cleaning.notes["resolved values not read as yes or no ('perhaps'): unknown"] == 5


@pytest.mark.parametrize("links", ["next_queue", "contact"])
def test_without_a_resolved_column_resolution_is_the_share_not_routed_on(links):
    # The resolved column is optional: resolution is then the share of agent-answered
    # visits not routed on. Only the routed visits were counted, so resolution was 0%.
    rows = _chat()
    for i in (2, 7, 11, 15):  # 4 of 20 chats go on to email an hour later
        arrive = rows[i][3] + pd.Timedelta(hours=1)
        later = arrive + pd.Timedelta(minutes=30)
        end = later + pd.Timedelta(minutes=5)
        rows.append(("email", rows[i][1], arrive, later, end, "answered", "E1"))
    table = _table(rows)
    if links == "next_queue":
        table["next_queue"] = ["email" if i in (2, 7, 11, 15) else "" for i in range(len(rows))]
        table["contact"] = ""
    result = sim.fit.fit(table, replications=1, workers=1)
    chat = result.queue("chat").routes
    assert chat.resolution.value == pytest.approx(16 / 20)
    assert chat.resolution.n == 20
    assert chat.on_unresolved["email"].value == 1.0


def test_a_row_without_a_queue_in_a_log_with_queues_is_broken_not_a_queue_of_its_own():
    # Contacts that left before choosing a skill group have no queue in the export; they
    # became a queue named after the file, a desk of their own in the fitted scenario.
    table = _table(_chat()).assign(queue=["chat", "email"] * 10)
    table.loc[4, "queue"] = ""
    log = read_log(table, max_broken=0.1)
    assert log.queues == ["chat", "email"]
    assert log.cleaning.broken == {"queue missing": 1}


def test_answers_to_the_minute_beside_arrivals_to_the_second_are_clock_skew():
    # Arrivals from the chat system to the second, answers and ends from a ticket tool
    # to the minute: an answer 20 s after an arrival at 09:00:30 reads 09:00, 30 s early.
    rows = []
    for i in range(20):
        arrive = pd.Timestamp("2026-11-02T09:00:30") + pd.Timedelta(minutes=7 * i)
        answer = arrive + pd.Timedelta(seconds=20)
        end = answer + pd.Timedelta(seconds=200 + 9 * i)
        rows.append(("chat", f"C{i}", arrive, answer, end, "answered", f"A{i % 3}"))
    table = _table(rows)
    table[["answer", "end"]] = _table(rows, fmt="%Y-%m-%d %H:%M")[["answer", "end"]]
    log = read_log(table)
    assert not log.cleaning.broken
    assert log.cleaning.repaired == {
        "answer before arrive up to 65 s early (clock skew): set equal": 20
    }


def test_a_roster_without_an_agent_column_says_availability_was_not_measured():
    # With a roster and no agent column nobody's presence is seen: the file's comment
    # read "availability (effective/present) 72000000000000.00 overall".
    table = _table(_chat()).drop(columns="agent")
    roster = pd.DataFrame(
        {"start": ["2026-11-02T08:00"], "end": ["2026-11-02T12:00"], "agents": [2]}
    )
    text = sim.fit.fit(table, roster=roster, replications=1, workers=1).to_yaml()
    staff = next(line for line in text.splitlines() if line.strip().startswith("staff:"))
    assert "availability not measured (no agent column): the roster as scheduled" in staff
    assert "0000000" not in text


def test_a_log_of_contacts_all_still_open_says_so():
    # An export taken mid-shift of open contacts only: "0 of 20 rows are broken, more
    # than 5% (most: 0 none)" said nothing true.
    with pytest.raises(LogError) as error:
        read_log(_table(_chat()).assign(outcome="pending"))
    assert str(error.value) == (
        "<DataFrame>: outcome: no visit to fit: 20 of 20 rows unfinished at the end of the "
        "log (left out)"
    )


def test_header_names_with_spaces_around_them_are_the_names(tmp_path):
    # Exports pad headers (" arrive", "end\u00a0" after a hand edit in Excel); the log was
    # refused for a missing column whose name was right there.
    table = _table(_chat())
    padded = table.rename(columns={"arrive": " arrive", "end": "end\u00a0", "agent": "agent "})
    padded.to_csv(tmp_path / "export.csv", index=False)
    pd.testing.assert_frame_equal(read_log(tmp_path / "export.csv").frame, read_log(table).frame)


@pytest.mark.parametrize("title", ["客服会话记录 2026-11\n", "客服会话记录,,,,,,\n\n", "\n\n"])
def test_title_lines_above_the_header_are_left_out_and_said(tmp_path, title):
    # Exports put a title (or an Excel title cell, or blank lines) above the header; the
    # log was refused for missing columns named after the title.
    table = _table(_chat())
    (tmp_path / "export.csv").write_text(title + table.to_csv(index=False), encoding="utf-8")
    log = read_log(tmp_path / "export.csv")
    pd.testing.assert_frame_equal(log.frame, read_log(table).frame)
    assert log.cleaning.notes["lines above the header (a title, or blank): left out"] == (
        title.count("\n")
    )


def test_contact_ids_rounded_by_excel_are_refused_on_one_line():
    # Excel shows a 12-digit order number as 1.23457E+11 and saves it so: thousands of
    # contacts then share one id, read as one contact's visits (arrivals undercounted).
    table = _table(_chat()).assign(contact=[f"1.2345{i % 2}E+11" for i in range(20)])
    with pytest.raises(LogError) as error:
        read_log(table)
    assert str(error.value) == (
        "<DataFrame>: contact: row 1, contact '1.23450E+11': ids in Excel's scientific "
        "notation, rounded so that different contacts share one: save the column as text"
    )


@pytest.mark.parametrize("column", ["arrive", "end"])
def test_a_time_column_of_dates_alone_is_refused_on_one_line(column):
    # Excel saves a CSV as it shows it: a column formatted as a date loses its times, and
    # every contact then arrived (or ended) at midnight.
    table = _table(_chat())
    table[column] = _table(_chat(), fmt="%Y/%m/%d")[column]
    with pytest.raises(LogError) as error:
        read_log(table)
    assert str(error.value) == (
        f"<DataFrame>: {column}: every {column} time is a midnight (row 1: "
        f"'2026/11/02'): dates without their times; format the column as date and time "
        "before saving the CSV"
    )


def test_a_utc_column_beside_a_local_one_with_offsets_gives_true_durations():
    # Arrivals stamped by the shop in local time (+08:00), answers and ends by a service
    # in UTC (Z): with the offsets dropped, answers read 8 h early (and were moved a day on).
    table = _table(_chat())
    zoned = table.assign(arrive=table["arrive"] + "+08:00")
    for column in ("answer", "end"):
        utc = pd.to_datetime(table[column]) - pd.Timedelta(hours=8)
        zoned[column] = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    pd.testing.assert_frame_equal(read_log(zoned).frame, read_log(table).frame)
