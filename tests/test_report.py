"""HTML reports: every command writes one self-contained page, checked as HTML and in Chromium.

The reports are made once per module through the command line (in this process, one
worker) from a small two-day scenario, then read back: the page parses as HTML5
(html5lib, strict), names every queue, carries every figure as an embedded PNG with alt
text, fetches nothing from elsewhere, shows the terminal's own table cells, and carries
what is needed to reproduce the result (the file with its comments, the resolved
scenario, seed, replications, versions and hash). A real browser (headless Chromium)
then opens each page from a ``file://`` URL.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import html5lib
import numpy as np
import pandas as pd
import pytest
import yaml

import sim
import sim.cli
from sim.report import compare_table, staff_table, summary_table, sweep_table
from sim.report.browser import Browser, find
from sim.report.html import Card, Report, Section, render
from sim.report.tables import SHOWN, Table
from sim.validate import TargetRow, target_table

NS = {"h": "http://www.w3.org/1999/xhtml"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SCENARIO = """\
# A chat desk over two days, escalating to email (test scenario for the reports).
name: report-test
start: 2026-01-05T00:00      # a Monday
duration: 2d
warmup: 1h
seed: 3
replications: 3
queues:
  chat:
    channel: chat
    segment: agency
    arrivals: {rate: 20/h, profile: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.6, 1, 1.4, 1.6, 1.6, 1.5,
                                     1.4, 1.4, 1.5, 1.5, 1.4, 1.3, 1.2, 1.2, 1, 0.8, 0.5, 0.4]}
    staff: [{start: "08:00", end: "20:00", agents: 2}]
    bot: {when: unstaffed, resolution: 0.3}
    service: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 10m}   # assumption: chat shoppers give up quickly
    resolution: 0.8
    on_unresolved: {email: 1.0}
  email:
    channel: email
    staff: {business_hours: {open: "09:00", close: "17:00", agents: 1}}
    closed: wait
    service: {dist: exponential, mean: 10m}
targets:
  - {queue: chat, metric: abandon_rate, value: 0.0, tolerance: 0.5}
  - {queue: chat, metric: mean_wait, value: 2h, tolerance: 10%}
"""
SET = "queues.chat.staff.0.agents=3"
VARY = "queues.chat.staff.0.agents=1:3"
TARGET = "80% in 60s"
QUEUES = ("chat", "email")


def _cli(argv: list[str]) -> int:
    return sim.cli.main([*argv])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every kind of report, made through the command line; returns their paths."""
    root = tmp_path_factory.mktemp("reports")
    scenario = root / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    one = ["--workers", "1"]
    paths = {kind: root / f"{kind}.html" for kind in ("run", "folder", "compare", "sweep")}
    paths |= {kind: root / f"{kind}.html" for kind in ("staff", "validate")}
    codes = {
        "run": _cli(["run", str(scenario), *one, "--out", str(root / "out"),
                     "--report", str(paths["run"])]),
        "folder": _cli(["report", str(root / "out"), "--out", str(paths["folder"])]),
        "compare": _cli(["compare", str(scenario), "--set", SET, *one,
                         "--report", str(paths["compare"])]),
        "sweep": _cli(["sweep", str(scenario), "--vary", VARY, *one,
                       "--report", str(paths["sweep"])]),
        "staff": _cli(["staff", str(scenario), "--queue", "chat", "--target", TARGET,
                       "--rounds", "3", *one, "--report", str(paths["staff"])]),
        "validate": _cli(["validate", str(scenario), *one, "--report", str(paths["validate"])]),
    }  # fmt: skip
    # The run's own contacts.csv is a contact log: fit it, back-test on two runs.
    paths["fit"] = root / "fit.html"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        codes["fit"] = _cli(["fit", str(root / "out" / "contacts.csv"), "--out",
                             str(root / "fitted.yaml"), "-n", "2", *one, "--json",
                             "--report", str(paths["fit"])])  # fmt: skip
    fitted = json.loads(printed.getvalue())
    return {"root": root, "scenario": scenario, "paths": paths, "codes": codes, "fit": fitted}


def _parse(path: Path):
    """The page as an element tree; html5lib's strict mode raises on any parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(path.read_text(encoding="utf-8"))


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _tables(doc) -> list[list[list[str]]]:
    """Every table's body rows as lists of cell texts."""
    rows = [t.iterfind(".//h:tbody/h:tr", NS) for t in doc.iterfind(".//h:table", NS)]
    return [[[_text(c) for c in row if c.tag.endswith(("td", "th"))] for row in t] for t in rows]


def _images(doc) -> list:
    return list(doc.iterfind(".//h:img", NS))


def _has_rows(doc, table: Table) -> bool:
    """Whether one table of the page holds exactly these cells (the terminal's)."""
    wanted = [list(r) for r in table.rows]
    return any(rows == wanted for rows in _tables(doc))


# -- every kind -------------------------------------------------------------------------------


def test_every_command_writes_its_report(made):
    for kind in ("run", "folder", "compare", "sweep", "fit"):
        assert made["codes"][kind] == 0, kind
    for kind, path in made["paths"].items():
        assert path.is_file(), kind
        assert path.stat().st_size > 10_000, kind


ALL_KINDS = ["run", "folder", "compare", "sweep", "staff", "validate", "fit"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_page_parses_is_accessible_and_self_contained(made, kind):
    path = made["paths"][kind]
    doc = _parse(path)
    page = path.read_text(encoding="utf-8")
    assert doc.get("lang") == "en"
    assert len(doc.findall(".//h:h1", NS)) == 1
    assert doc.findall(".//h:h2", NS)
    for table in doc.iterfind(".//h:table", NS):
        caption = table.find("h:caption", NS)
        assert caption is not None, "every table has a caption"
        assert _text(caption)
    images = _images(doc)
    assert images, "every report has at least one figure"
    for img in images:
        assert len(img.get("alt", "")) > 40, "alt text says what the figure shows"
        src = img.get("src")
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_SIGNATURE
    # Nothing is fetched or linked from elsewhere: no scripts, style sheets, fonts, links.
    assert not doc.findall(".//h:script", NS)
    assert not doc.findall(".//h:link", NS)
    for element in doc.iter():
        for attribute in ("src", "href", "action", "srcset", "poster", "data"):
            value = element.get(attribute)
            assert value is None or value.startswith(("data:", "#")), (attribute, value)
    style = "".join(_text(s) for s in doc.iterfind(".//h:style", NS))
    for outside in ("@import", "url(", "@font-face"):
        assert outside not in style
    assert "@media print" in style
    assert not re.search(r"<(iframe|object|embed)\b", page)


@pytest.mark.parametrize("kind", ["run", "folder", "compare", "sweep", "staff", "validate"])
def test_assumptions_carry_what_reproduces_the_result(made, kind):
    doc = _parse(made["paths"][kind])
    blocks = [_text(p) for p in doc.iterfind(".//h:pre", NS)]
    raw = ["".join(p.itertext()) for p in doc.iterfind(".//h:pre", NS)]
    facts = {
        _text(r.find("h:th", NS)): _text(r.find("h:td", NS))
        for r in doc.iterfind(".//h:table[@class='facts']/h:tbody/h:tr", NS)
    }
    assert {"seed", "replications", "sim version", "Python", "NumPy"} <= set(facts)
    expected = sim.load(made["scenario"])
    resolved = [sim.from_dict(yaml.safe_load(t)) for t in raw if t.startswith("name:")]
    assert resolved, "the resolved scenario is on the page"
    assert resolved[0] == expected  # A, for compare
    hashes = {_text(c) for c in doc.iterfind(".//h:code[@class='hash']", NS)}
    assert sim.results.scenario_hash(expected) in hashes
    assert facts["command"].startswith(f"sim {'report' if kind == 'folder' else kind} ")
    # The file as written, with its comments (a results folder keeps only the resolved one).
    commented = any("assumption: chat shoppers give up quickly" in b for b in blocks)
    assert commented == (kind != "folder")


def test_fit_report_shows_the_back_test_the_terminal_prints_and_the_fitted_file(made):
    from sim.report.tables import backtest_table

    doc = _parse(made["paths"]["fit"])
    threshold = sim.load(made["scenario"]).service_level_threshold
    backtest = made["fit"]["backtest"]
    for key, name in (("queue", "overall"), ("date", "daily"), ("hour", "hourly")):
        if key == "queue":
            assert _has_rows(doc, backtest_table(pd.DataFrame(backtest[name]), key, threshold))
        else:  # one table per queue on the page
            for queue in QUEUES:
                mine = pd.DataFrame(backtest[name])
                mine = mine[mine["queue"] == queue]
                if len(mine):
                    assert _has_rows(doc, backtest_table(mine, key, threshold))
    ids = {s.get("id") for s in doc.iterfind(".//h:section", NS)}
    assert {f"queue-{q}" for q in QUEUES} <= ids
    raw = ["".join(p.itertext()) for p in doc.iterfind(".//h:pre", NS)]
    fitted_file = (made["root"] / "fitted.yaml").read_text(encoding="utf-8")
    assert fitted_file in raw, "the fitted file, with its comments, is on the page"
    facts = {
        _text(r.find("h:th", NS)): _text(r.find("h:td", NS))
        for r in doc.iterfind(".//h:table[@class='facts']/h:tbody/h:tr", NS)
    }
    assert facts["command"].startswith("sim fit ")
    assert facts["replications"] == "2"


def test_fit_report_folder_holds_the_html_page_too(made, tmp_path):
    folder = tmp_path / "backtest"
    log = made["root"] / "out" / "contacts.csv"
    argv = ["fit", str(log), "--out", str(tmp_path / "f.yaml"), "-n", "1", "--workers", "1"]
    argv += ["--report", str(folder)]
    assert _cli(argv) == 0
    assert (folder / "report.html").is_file()
    assert (folder / "backtest_overall.csv").is_file()
    _parse(folder / "report.html")


# -- run and report DIR -------------------------------------------------------------------------


def test_run_report_shows_every_queue_and_figure_and_the_terminal_table(made):
    doc = _parse(made["paths"]["run"])
    ids = {s.get("id") for s in doc.iterfind(".//h:section", NS)}
    summary = pd.read_csv(made["root"] / "out" / "summary.csv", index_col="queue")
    for queue in QUEUES:
        assert f"queue-{queue}" in ids
        assert summary.loc[queue, "answered"] > 0
    # Per queue: survival curve, hourly profile, day-by-hour heat map (two days).
    titles = [_text(f.find("h:figcaption/h:strong", NS)) for f in doc.iterfind(".//h:figure", NS)]
    for queue in QUEUES:
        assert f"How long answered contacts of {queue} waited." in titles
        assert f"{queue} hour by hour." in titles
        assert f"{queue} by day and hour." in titles
    assert len(_images(doc)) == 3 * len(QUEUES)
    metadata = json.loads((made["root"] / "out" / "metadata.json").read_text())
    table = summary_table(summary, sim.load(made["scenario"]).service_level_threshold)
    assert _has_rows(doc, table)
    assert metadata["scenario_sha256"] in made["paths"]["run"].read_text()


def test_report_from_folder_shows_the_same_figures_as_run_report(made):
    run, folder = _parse(made["paths"]["run"]), _parse(made["paths"]["folder"])
    assert [i.get("alt") for i in _images(run)] == [i.get("alt") for i in _images(folder)]
    assert _tables(run)[0] == _tables(folder)[0]  # the headline table, cell for cell
    same = sum(
        a.get("src") == b.get("src") for a, b in zip(_images(run), _images(folder), strict=True)
    )
    # The CSVs keep every float exactly: the figures are the same bytes.
    assert same == len(_images(run))


def test_report_of_a_folder_keeps_queue_names_that_read_like_numbers_or_na(tmp_path, capsys):
    # Queues named NA (North America) and 007 are valid names, but pandas read them back
    # from the folder's CSVs as a missing value and the number 7: `sim report` ended in a
    # KeyError traceback.
    names = ("NA", "007", "null")
    queue = {"arrivals": {"rate": "20/h"}, "staff": 2, "service": {"dist": "constant", "value": 60}}
    data = {"name": "regions", "start": "2026-01-05T00:00", "duration": "2h", "seed": 1,
            "replications": 1, "queues": dict.fromkeys(names, queue)}  # fmt: skip
    scenario = tmp_path / "regions.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out, page = tmp_path / "out", tmp_path / "page.html"
    assert _cli(["run", str(scenario), "--workers", "1", "--out", str(out)]) == 0
    assert _cli(["report", str(out), "--out", str(page)]) == 0, capsys.readouterr().err
    doc = _parse(page)
    assert [row[0] for row in _tables(doc)[0]] == list(names)
    assert [s.get("id") for s in doc.iterfind(".//h:section", NS)][2:5] == [
        "queue-na", "queue-007", "queue-null"
    ]  # fmt: skip


def test_queue_text_leaves_out_the_figures_a_queue_does_not_have():
    # A queue nobody staffs (its contacts wait) and one a bot alone answers were described
    # as "mean wait -, 90th percentile -, agents busy - of their time on shift and - of
    # their time available": dashes inside a sentence, for figures that do not exist.
    from sim.report.run import RunTables, run_report

    queue = {"arrivals": {"rate": "20/h"}, "service": {"dist": "constant", "value": 60}}
    bot = {"when": "always", "resolution": 1.0}
    data = {"name": "odd", "start": "2026-01-05T00:00", "duration": "1h", "seed": 1,
            "replications": 2, "queues": {"unstaffed": {**queue, "staff": 0},
                                          "botted": {**queue, "staff": 0, "bot": bot}}}  # fmt: skip
    page = render(run_report(RunTables.from_results(sim.run(data, workers=1)), []))
    intros = re.findall(r"<p>((?:unstaffed|botted) \(channel chat\):[^<]*)</p>", page)
    assert len(intros) == 2
    for intro in intros:
        assert " - " not in intro, intro
        assert " -," not in intro, intro
        assert "no agent on shift" in intro, intro
    assert "answered per replication; mean wait 0s ±0s, 90th percentile 0s ±0s;" in intros[1]


def test_report_of_a_folder_that_is_not_results_is_bad_input(tmp_path, capsys):
    (tmp_path / "summary.csv").write_text("queue\n")
    assert _cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "scenario.yaml: missing" in err
    assert "Traceback" not in err
    assert not (tmp_path / "report.html").exists()


def _drop(column):
    return lambda t: t.drop(columns=[column])


def _set(column, row, value):
    def edit(t):
        t[column] = t[column].astype(object)
        t.loc[row, column] = value
        return t

    return edit


def _unanswer(table):
    """The contacts with one counted answer of the chat queue blanked (after the warm-up)."""
    counted = (table["queue"] == "chat") & table["wait"].notna() & (table["entered"] >= 3600)
    table.loc[counted.idxmax(), "wait"] = np.nan
    return table


@pytest.mark.parametrize(
    ("name", "edit", "said"),
    [
        ("summary.csv", _drop("utilization"), "summary.csv: utilization: missing column"),
        ("summary.csv", _drop("p90_wait_s_ci95"), "summary.csv: p90_wait_s_ci95: missing"),
        ("summary.csv", _set("queue", 0, "ghost"), "summary.csv: queue 'ghost' is not in"),
        ("summary.csv", lambda t: t.iloc[:0], "summary.csv: no queue"),
        ("summary.csv", _set("mean_wait_s", 1, "soon"), "summary.csv: mean_wait_s: not a number"),
        ("hourly.csv", _drop("mean_wait_s"), "hourly.csv: mean_wait_s: missing column"),
        ("hourly.csv", _drop("agents_on_shift"), "hourly.csv: agents_on_shift: missing"),
        ("contacts.csv", _drop("wait"), "contacts.csv: wait: missing column"),
        ("contacts.csv", _drop("entered"), "contacts.csv: entered: missing column"),
        ("contacts.csv", _set("wait", 3, "abc"), "contacts.csv: wait: not a number"),
        ("teams.csv", _drop("occupancy"), "teams.csv: occupancy: missing column"),
        ("metadata.json", None, "metadata.json: replications: not a whole number"),
        # Cut at a line's end: every row reads, but visits, answers or hours are missing.
        ("contacts.csv", lambda t: t.iloc[:-40], "visits of queue 'chat' in the measurement"),
        ("contacts.csv", _unanswer, "answered visits of queue 'chat'"),
        ("hourly.csv", lambda t: t.iloc[:-1], "hourly.csv: 71 rows of queue 'email', not 72"),
    ],
)
def test_report_of_a_folder_edited_by_hand_names_the_file_and_column(
    made, tmp_path, capsys, *, name, edit, said
):
    # A column removed, a queue renamed or a figure overwritten by hand in a folder of
    # sim run --out ended sim report in a KeyError, IndexError or ValueError traceback.
    from sim.results import read_table

    out = tmp_path / "out"
    shutil.copytree(made["root"] / "out", out)
    path = out / name
    if edit is None:
        meta = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**meta, "replications": "three"}), encoding="utf-8")
    else:
        edit(read_table(path)).to_csv(path, index=False)
    assert _cli(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (out / "report.html").exists()


# -- compare, sweep, staff, validate -------------------------------------------------------------


def test_compare_report_table_is_the_compare_table(made):
    doc = _parse(made["paths"]["compare"])
    diffs = sim.compare(made["scenario"], overrides=[SET], workers=1)
    assert _has_rows(doc, compare_table(diffs, [m for _, m, _ in SHOWN]))
    assert "queues.chat.staff.0.agents: 2 → 3" in _text(doc)
    alts = [i.get("alt") for i in _images(doc)]
    assert len(alts) == len(QUEUES)  # one overlay of A and B per queue
    assert all("for A and for B" in a for a in alts)


def test_compare_curve_of_a_queue_only_one_side_answered_says_so():
    # With no answer at a queue in A, the figure held B's curve alone, drawn solid, under
    # "A solid, B dashed" and an alt text describing "two step curves ... for A and for B".
    from sim.experiments import paired_results
    from sim.report.compare import compare_report

    queue = {"arrivals": {"rate": "20/h"}, "service": {"dist": "constant", "value": 60}}
    data = {"name": "one-side", "start": "2026-01-05T00:00", "duration": "1h", "seed": 1,
            "replications": 2, "queues": {"desk": {**queue, "staff": 0}}}  # fmt: skip
    a = sim.run(data, workers=1)
    b = sim.run(sim.from_dict(data, overrides=["queues.desk.staff=2"]), workers=1)
    page = render(compare_report(a, b, paired_results(a, b), [], labels=("a", "b")))
    doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page)
    (figure,) = doc.iterfind(".//h:figure", NS)
    alt = figure.find(".//h:img", NS).get("alt")
    assert alt.startswith("One step curve falling from 1 to 0")
    assert "for B only (A answered no contact here)" in alt
    assert "dashed" not in _text(figure.find(".//h:figcaption", NS))


def test_compare_with_report_prints_the_same_table_as_without(made, capsys):
    argv = ["compare", str(made["scenario"]), "--set", SET, "--workers", "1", "--json"]
    assert _cli(argv) == 0
    plain = json.loads(capsys.readouterr().out)
    report = made["root"] / "again.html"
    assert _cli([*argv, "--report", str(report)]) == 0
    assert json.loads(capsys.readouterr().out) == plain


def test_sweep_report_has_the_table_and_a_curve_per_metric(made):
    doc = _parse(made["paths"]["sweep"])
    table = sim.sweep(made["scenario"], [VARY], workers=1)
    assert _has_rows(doc, sweep_table(table, ["queues.chat.staff.0.agents"]))
    alts = [i.get("alt") for i in _images(doc)]
    for words in ("Mean wait", "Service level", "Abandonment", "Agent utilisation"):
        assert any(a.startswith(words) for a in alts)


def test_sweep_curve_alt_text_names_values_as_the_table_does(made):
    # The alt text quoted numbers ('lowest at queues.chat.staff.0.agents="3"') and said
    # "lowest at 1, highest at 1" of a figure every variant shares (email never abandons).
    alts = [i.get("alt") for i in _images(_parse(made["paths"]["sweep"]))]
    text = " ".join(alts)
    assert '="' not in text
    assert "lowest at queues.chat.staff.0.agents=3, highest at 1" in text  # mean wait
    for alt in alts:
        for low, high in re.findall(r"lowest at \S+=(\S+), highest at ([^;.]+)", alt):
            assert low != high, alt
    assert "email: 0.0% for every value" in " ".join(a for a in alts if a.startswith("Aband"))


def test_staff_report_has_the_interval_table_and_the_gantt(made):
    doc = _parse(made["paths"]["staff"])
    plan = sim.staff_plan(made["scenario"], "chat", TARGET, rounds=3, workers=1)
    assert made["codes"]["staff"] == (0 if plan.meets_target else 1)
    assert _has_rows(doc, staff_table(plan))
    shifts = [[f"{s['start']}-{s['end']}", str(s["agents"])] for s in plan.staff_block()]
    assert shifts in _tables(doc)
    (alt,) = [i.get("alt") for i in _images(doc)]
    assert f"{len(plan.shifts)} horizontal bars" in alt
    block = " ".join(plan.staff_yaml().split())
    assert block in [_text(p) for p in doc.iterfind(".//h:pre", NS)]


def test_validate_report_marks_the_missed_target(made):
    assert made["codes"]["validate"] == 1  # the 2h mean wait is far from the simulation
    doc = _parse(made["paths"]["validate"])
    rows = doc.findall(".//h:tbody/h:tr", NS)
    verdicts = {_text(r[1]): (r.get("class"), _text(r[-1])) for r in rows if len(r) >= 6}
    assert verdicts["abandon_rate"] == (None, "pass")
    assert verdicts["mean_wait"] == ("miss", "MISS")
    assert "role" not in [_text(h) for h in doc.iterfind(".//h:thead//h:th", NS)]


def test_target_table_has_a_role_column_only_when_rows_carry_one():
    base = {"scenario": "s", "queue": "q", "metric": "mean_wait", "value": 60.0,
            "simulated": 61.0, "ci95": 2.0, "tolerance": 6.0, "passed": True,
            "bound": "equal", "detail": "mean_wait", "note": "", "replications": 3,
            "source": "s.yaml"}  # fmt: skip
    plain = target_table([TargetRow(**base)])
    assert "role" not in plain.header

    table = target_table([TargetRow(**base, role="fit")])
    assert table.header[3] == "role"
    assert table.rows[0][3] == "fit"
    page = render(Report("validate", "t", ("q",), cards=(Card("c", "1"),), headline=(table,)))
    assert '<th scope="col" class="label">role</th>' in page


def test_a_new_kind_is_a_template_and_sections():
    """The skeleton comes from base.html; a kind only supplies its sections."""
    section = Section("Only section", ("A paragraph.",), code=(("cmd", "sim run x"),))
    page = render(Report("run", "Title", ("Asked?",), sections=(section,)))
    doc = html5lib.HTMLParser(strict=True).parse(page)
    assert doc is not None
    assert 'id="only-section"' in page
    assert "Assumptions and how to reproduce" in page


def test_every_section_and_scenario_has_its_own_id():
    """Queues ``live.chat``, ``live-chat`` and ``Live_chat`` are three names (all valid):
    their sections, and two files of one scenario name, had the same id, so the page was
    not valid HTML and the contents' second and third links led to the first queue."""
    from sim.report.html import ScenarioText

    names = ("live.chat", "live-chat", "Live_chat")
    sections = tuple(Section(f"Queue {q}", anchor=f"queue-{q}") for q in names)
    sections += (Section("Question"),)  # a title like one of the page's own parts
    scenarios = tuple(ScenarioText("desk", f"{d}/desk.yaml", None, "name: desk", "0") for d in "ab")
    page = render(Report("run", "T", ("q",), sections=sections, scenarios=scenarios))
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), ids
    links = re.findall(r'<a href="#([^"]+)">', page)
    assert len(links) == len(set(links))
    assert set(links) <= set(ids)
    _ = html5lib.HTMLParser(strict=True).parse(page)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [("report.txt", "end it in .html"), ("file/x.html", "is not a folder")],
)
def test_bad_report_path_is_refused_before_the_run(made, tmp_path, capsys, name, reason):
    (tmp_path / "file").write_text("a file, not a folder")
    target = tmp_path / name
    code = _cli(["run", str(made["scenario"]), "--workers", "1", "--report", str(target)])
    err = capsys.readouterr()
    assert code == 2
    assert "--report" in err.err
    assert reason in err.err
    assert "Traceback" not in err.err
    assert err.out == ""  # refused before the simulation: no table was printed
    assert not target.exists()


def test_report_never_overwrites_the_scenario(made, tmp_path, capsys):
    scenario = tmp_path / "s.html"
    scenario.write_text(SCENARIO)
    code = _cli(["run", str(scenario), "--workers", "1", "--report", str(scenario)])
    assert code == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert scenario.read_text() == SCENARIO


# -- in a real browser ----------------------------------------------------------------------------

BROWSER = find()


@pytest.fixture(scope="module")
def browser():
    if isinstance(BROWSER, str):
        pytest.skip(f"no browser to drive: {BROWSER}")
    with Browser(width=1280, height=1000) as session:
        yield session


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_report_in_headless_chromium(made, browser, kind, tmp_path):
    from matplotlib.image import imread

    path = made["paths"][kind]
    check = browser.open(path)
    expected = len(_images(_parse(path)))
    assert check.errors == ()
    assert check.requests == ()  # nothing fetched: no network, no other file
    assert len(check.images) == expected
    for img in check.images:
        assert img["complete"], img["alt"][:60]
        assert img["width"] > 0, img["alt"][:60]
        assert img["height"] > 0, img["alt"][:60]
    shot = imread(browser.screenshot(tmp_path / f"{kind}.png"))
    pixels = shot[..., :3].reshape(-1, 3)
    ink = (pixels.min(axis=1) < 0.9).mean()  # share of pixels that are not near-white
    assert 0.01 < ink < 0.9, "the screenshot shows a page, not a blank"
    rgb = (pixels * 255).astype(np.uint32)
    assert len(np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])) > 50  # colours


def test_browser_check_sees_broken_images_and_console_errors(browser, tmp_path):
    """The checks above can fail: a broken image and a console error are reported."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>broken</title></head><body>'
        '<img src="data:image/png;base64,AAAA" alt="broken">'
        '<script>console.error("deliberate")</script></body></html>'
    )
    check = browser.open(page)
    assert any("deliberate" in e for e in check.errors)
    assert check.images[0]["width"] == 0


def test_sim_report_errors_name_its_own_arguments(made, tmp_path, capsys):
    # sim report took its checks from the commands that have --report: given a file
    # instead of a folder it said "--report page.html/report.html: page.html is not a
    # folder", and a --out that is not .html was "--report x.txt": options it has not.
    page = tmp_path / "page.html"
    page.write_text("<p>not results</p>", encoding="utf-8")
    assert _cli(["report", str(page)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {page}: no such folder of results\n"
    out = tmp_path / "x.txt"
    assert _cli(["report", str(made["root"] / "out"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err
    assert "--report" not in err
    assert not out.exists()


def test_a_run_report_of_one_replication_claims_no_confidence_interval():
    # sim run -n 1 printed "(one replication: no confidence interval)" on the terminal,
    # while its report's table said "mean over 1 replication ± 95% CI half-width" and
    # the page told the reader to read each figure "± the half-width of its 95% CI", and
    # the hourly figure's legend promised a CI band.
    from sim.report.run import RunTables, run_report

    queue = {"arrivals": {"rate": "20/h"}, "staff": 1, "service": {"dist": "constant", "value": 60}}
    data = {"name": "once", "start": "2026-01-05T00:00", "duration": "1h", "seed": 1,
            "replications": 1, "queues": {"desk": queue}}  # fmt: skip
    results = sim.run(data, workers=1)
    page = render(run_report(RunTables.from_results(results), []))
    doc = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)
    (caption,) = [_text(c) for c in doc.iterfind(".//h:section[@id='headline']//h:caption", NS)]
    assert "CI" not in caption
    assert "one replication: no confidence interval" in caption
    question = _text(doc.find(".//h:section[@id='question']", NS))
    assert "95%" not in question
    assert "one replication" in question
    from sim import plots

    legend = plots.hourly_profile(results, "desk").axes[0].get_legend()
    assert legend.get_texts()[0].get_text() == "mean wait (one replication: no CI)"


def test_compare_question_says_which_side_has_a_queue_instead_of_dumping_it():
    # A queue only one side has was listed under "What varies" as its every resolved
    # field in JSON ("queues.extra: {"channel": "chat", "segment": null, ...} → null"),
    # a paragraph of braces in the question a manager reads first.
    from sim.experiments import paired_results
    from sim.report.compare import compare_report

    queue = {"arrivals": {"rate": "20/h"}, "staff": 2, "service": {"dist": "constant", "value": 60}}
    data = {"name": "sides", "start": "2026-01-05T00:00", "duration": "1h", "seed": 1,
            "replications": 2, "queues": {"desk": queue, "extra": queue}}  # fmt: skip
    a = sim.run(data, workers=1)
    b_data = {**data, "queues": {"desk": {**queue, "staff": 3}, "more.desk": queue}}
    b = sim.run(b_data, workers=1)
    report = compare_report(a, b, paired_results(a, b), [], labels=("a", "b"))
    varies = report.question[-1]
    assert "queues.desk.staff: 2 → 3" in varies
    assert "queues.extra: only in A" in varies
    assert "queues.more.desk: only in B" in varies  # a dotted name, as includes make
    assert "channel" not in varies


def test_compare_and_sweep_reports_of_one_replication_claim_no_confidence_interval(
    tmp_path, capsys
):
    # The terminal said "no CI" / "one replication: no confidence interval"; the pages
    # captioned "mean of the 1 per-replication differences ± 95% CI half-width" and
    # "mean over 1 replication ± 95% CI half-width", the sweep curves "Band: 95% CI", and
    # both pages' "How to read it" promised a 95% confidence interval for each figure.
    queue = {"arrivals": {"rate": "20/h"}, "staff": 1, "service": {"dist": "constant", "value": 60}}
    data = {"name": "once", "start": "2026-01-05T00:00", "duration": "1h", "seed": 1,
            "replications": 1, "queues": {"desk": queue}}  # fmt: skip
    scenario = tmp_path / "once.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    pages = {kind: tmp_path / f"{kind}.html" for kind in ("compare", "sweep")}
    one = ["--workers", "1", "--report"]
    assert _cli(["compare", str(scenario), "--set", "queues.desk.staff=2", *one,
                 str(pages["compare"])]) == 0  # fmt: skip
    assert _cli(["sweep", str(scenario), "--vary", "queues.desk.staff=1:2", *one,
                 str(pages["sweep"])]) == 0  # fmt: skip
    capsys.readouterr()
    for kind, page in pages.items():
        doc = _parse(page)
        captions = [_text(c) for c in doc.iterfind(".//h:section[@id='headline']//h:caption", NS)]
        captions += [_text(c) for c in doc.iterfind(".//h:figcaption", NS)]
        assert captions, kind
        for caption in captions:
            assert "95% CI" not in caption, (kind, caption)
        assert any("one replication" in c for c in captions), kind
        reading = _text(doc.find(".//h:p[@class='reading']", NS))
        assert "confidence interval" in reading
        assert "no confidence interval" in reading, (kind, reading)
