"""Line numbers in scenario errors: ``FILE:LINE: PATH: reason``, as editors read them.

Each case writes a scenario by hand and finds the expected line by the text it wrote
(the one line holding a marker), never by a number copied from a run. What has no
line in a file (``--set`` overrides, plain data, problems with no field) keeps the
form ``SOURCE: PATH: reason``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

import sim
from sim import cli, yamlfile
from sim.lines import Recorder
from sim.loader import check_file_workload

VALID = """\
name: lines
start: 2026-01-05T00:00
duration: 1d
queues:
  chat:
    arrivals: {rate: 30/h}
    staff:
      - {start: "00:00", end: "12:00", agents: 2}
      - start: "12:00"
        end: "24:00"
        agents: 3
    service: &service
      dist: exponential
      mean: 3m
  email:
    staff: 1
    service: *service
"""


def _write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, marker: str) -> int:
    """The 1-based number of the one line of ``text`` that holds ``marker``."""
    (number,) = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    return number


def _error(path: Path, overrides: list[str] | None = None) -> sim.ScenarioError:
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path, overrides or [])
    return info.value


def test_the_valid_file_loads():
    # Every case below changes this file in one place: that place is the problem.
    sim.from_dict(yaml.safe_load(VALID))


def test_an_unknown_field_is_shown_at_its_line(tmp_path):
    text = VALID.replace(
        "    arrivals:", "    pattience: {dist: exponential, mean: 6m}\n    arrivals:"
    )
    path = _write(tmp_path, text)
    err = _error(path)
    line = _line(text, "pattience")
    assert err.lines == {"queues.chat.pattience": line}
    assert str(err).startswith(f"{path}:{line}: queues.chat.pattience: unknown field; did you mean")


def test_a_value_of_the_wrong_type_is_shown_at_its_line(tmp_path):
    text = VALID.replace("duration: 1d", "duration: 1d\nreplications: many")
    err = _error(_write(tmp_path, text))
    [(where, reason)] = err.problems
    assert where == "replications"
    assert err.lines == {where: _line(text, "replications: many")}
    assert "integer" in reason


def test_a_field_of_a_list_item_is_shown_at_its_line(tmp_path):
    text = VALID.replace("agents: 3", "agents: -3")
    path = _write(tmp_path, text)
    err = _error(path)
    line = _line(text, "agents: -3")
    assert [p for p, _ in err.problems] == ["queues.chat.staff.1.agents"]
    assert str(err).startswith(f"{path}:{line}: queues.chat.staff.1.agents: ")


def test_a_list_item_is_shown_at_its_own_line_in_a_flow_list_over_lines(tmp_path):
    text = VALID.replace(
        "duration: 1d", "duration: 1d\ncalendar:\n  holidays: [2026-01-01,\n    '2026-13-01']"
    )
    err = _error(_write(tmp_path, text))
    assert err.lines == {"calendar.holidays.1": _line(text, "2026-13-01")}


def test_a_missing_required_field_is_shown_at_its_parent_mappings_line(tmp_path):
    text = VALID.replace(
        "  email:\n    staff: 1\n    service: *service\n", "  email:\n    staff: 1\n"
    )
    err = _error(_write(tmp_path, text))
    assert err.problems == [("queues.email.service", "required field is missing")]
    assert err.lines == {"queues.email.service": _line(text, "email:")}


def test_a_missing_top_level_field_has_no_line(tmp_path):
    # Its parent is the whole document: the file is named, no line is better than line 1.
    text = VALID.replace("duration: 1d\n", "")
    path = _write(tmp_path, text)
    err = _error(path)
    assert err.lines == {}
    assert str(err) == f"{path}: duration: required field is missing"


def test_a_field_inside_an_anchor_is_shown_where_it_is_written(tmp_path):
    # Both queues' service is the anchored mapping: its bad field is written once, there.
    text = VALID.replace("      mean: 3m", "      mean: 3m\n      cv: 1")
    err = _error(_write(tmp_path, text))
    line = _line(text, "cv: 1")
    assert err.lines == {"queues.chat.service.cv": line, "queues.email.service.cv": line}


def test_a_field_missing_from_an_aliased_mapping_is_shown_at_the_anchor(tmp_path):
    # A gamma distribution needs cv: it is added where the mapping is written.
    text = VALID.replace("dist: exponential", "dist: gamma")
    err = _error(_write(tmp_path, text))
    anchor = _line(text, "&service")
    assert err.lines == {"queues.chat.service.cv": anchor, "queues.email.service.cv": anchor}


def test_a_field_whose_value_is_an_alias_is_shown_at_its_own_line(tmp_path):
    text = VALID.replace(
        "    staff: 1\n    service: *service", "    staff: 1\n    patiense: *service"
    )
    err = _error(_write(tmp_path, text))
    assert err.lines["queues.email.patiense"] == _line(text, "patiense")


def test_a_problem_in_an_included_file_names_that_file_and_its_line(tmp_path):
    included_text = VALID.replace("agents: 3", "agents: -3")
    included = _write(tmp_path, included_text, "desk.yaml")
    top_text = "name: top\nstart: 2026-01-05T00:00\nduration: 1d\ninclude:\n  desk: desk.yaml\n"
    top = _write(tmp_path, top_text, "top.yaml")
    err = _error(top)
    assert err.source == str(included)
    line = _line(included_text, "agents: -3")
    assert str(err).startswith(f"{included}:{line}: queues.chat.staff.1.agents: ")


def test_a_problem_of_the_including_file_has_its_line_there(tmp_path):
    _write(tmp_path, VALID, "desk.yaml")
    top_text = (
        "name: top\nstart: 2026-01-05T00:00\nduration: 1d\ninclude:\n  desk: desk.yaml\n"
        "queues:\n  desk.chat:\n    resolution: 2\n"
    )
    top = _write(tmp_path, top_text, "top.yaml")
    err = _error(top)
    assert err.source == str(top)
    assert err.lines == {"queues.desk.chat.resolution": _line(top_text, "resolution: 2")}


def test_a_problem_of_an_included_member_the_including_file_does_not_write_has_no_line(
    tmp_path,
):
    # Fine alone over one day, the included queue is too busy over the includer's two.
    # Its path is the join's: the including file's queues: line would not show it.
    _write(tmp_path, VALID.replace("rate: 30/h", "rate: 3000000/h"), "desk.yaml")
    top_text = (
        "name: top\nstart: 2026-01-05T00:00\nduration: 2d\ninclude:\n  desk: desk.yaml\n"
        "queues:\n  desk.email:\n    staff: 2\n"
    )
    top = _write(tmp_path, top_text, "top.yaml")
    err = _error(top)
    [(where, _)] = err.problems
    assert where.startswith("queues.desk.chat.arrivals")
    assert err.lines == {}
    assert str(err).startswith(f"{top}: queues.desk.chat.arrivals")


def test_an_impossible_schedule_found_after_the_fields_is_shown_at_its_line(tmp_path):
    text = VALID.replace("duration: 1d", "duration: 1d\nwarmup: 2d")
    err = _error(_write(tmp_path, text))
    assert err.lines == {"warmup": _line(text, "warmup: 2d")}


def test_a_workload_past_the_limit_is_shown_at_the_arrivals_line(tmp_path):
    # Found by the loader after validation (sim.workload), not by the schema.
    text = VALID.replace("rate: 30/h", "rate: 3000000/h").replace("duration: 1d", "duration: 2d")
    err = _error(_write(tmp_path, text))
    [(where, reason)] = err.problems
    assert where.startswith("queues.chat.arrivals")
    assert "the limit is" in reason
    assert err.lines == {where: _line(text, "arrivals:")}


def test_the_deferred_workload_check_places_its_error_as_load_does(tmp_path):
    # sim calibrate loads with workload=False, checks --free, then runs the check.
    text = VALID.replace("rate: 30/h", "rate: 3000000/h").replace("duration: 1d", "duration: 2d")
    path = _write(tmp_path, text)
    scenario = sim.load(path, workload=False)
    with pytest.raises(sim.ScenarioError) as caught:
        check_file_workload(path, scenario)
    assert caught.value.problems == _error(path).problems
    assert caught.value.lines == _error(path).lines != {}
    # Past the limit by an override: no line, as load gives none (the file does not say it).
    within = _write(tmp_path, VALID.replace("duration: 1d", "duration: 2d"), "within.yaml")
    setting = ["queues.chat.arrivals.rate=3000000/h"]
    scenario = sim.load(within, setting, workload=False)
    with pytest.raises(sim.ScenarioError) as caught:
        check_file_workload(within, scenario, setting)
    assert caught.value.problems == _error(within, setting).problems
    assert caught.value.lines == _error(within, setting).lines == {}


def test_what_an_override_set_has_no_line(tmp_path):
    # The file does not say it: the line of the field it replaced would mislead.
    path = _write(tmp_path, VALID)
    err = _error(path, ["queues.chat.staff.1.agents=-3"])
    assert err.lines == {}
    assert str(err).startswith(f"{path}: queues.chat.staff.1.agents: ")
    err = _error(path, ["queues.chatt.staff=1"])
    assert str(err) == f"{path}: queues.chatt: overrides: no queue 'chatt' (queues: chat, email)"


def test_what_an_override_set_through_a_target_id_has_no_line(tmp_path):
    # --set names the target by its id, the problem by its position: the same field.
    text = VALID + (
        "targets:\n  - {id: wait, queue: chat, metric: mean_wait, value: 1m, tolerance: 50%}\n"
    )
    path = _write(tmp_path, text)
    err = _error(path, ["targets.wait.queue=chatt"])
    assert [p for p, _ in err.problems] == ["targets.0.queue"]
    assert err.lines == {}


def test_the_files_own_problems_keep_their_lines_beside_an_override(tmp_path):
    text = VALID.replace("agents: 3", "agents: -3")
    err = _error(_write(tmp_path, text), ["queues.email.staff=2"])
    assert err.lines == {"queues.chat.staff.1.agents": _line(text, "agents: -3")}


def test_plain_data_has_no_lines():
    data = yaml.safe_load(VALID.replace("agents: 3", "agents: -3"))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    assert info.value.lines == {}
    assert str(info.value).startswith("<dict>: queues.chat.staff.1.agents: ")


def test_a_problem_with_no_field_has_no_line(tmp_path):
    text = VALID.replace("    arrivals: {rate: 30/h}\n", "")
    path = _write(tmp_path, text)
    err = _error(path)
    assert err.problems[0][0] == ""
    assert str(err).startswith(f"{path}: no queue has arrivals")


def test_problems_stay_path_reason_pairs_and_lines_survive_pickling(tmp_path):
    # A worker process sends the error back pickled (sim.run with workers).
    text = VALID.replace("agents: 3", "agents: -3")
    err = _error(_write(tmp_path, text))
    assert all(isinstance(p, tuple) and len(p) == 2 for p in err.problems)
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.problems, copy.lines, str(copy)) == (
        type(err),
        err.problems,
        err.lines,
        str(err),
    )


def test_the_command_line_prints_file_colon_line(tmp_path, capsys):
    text = VALID.replace("agents: 3", "agents: -3")
    path = _write(tmp_path, text)
    assert cli.main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    line = _line(text, "agents: -3")
    assert err.startswith(f"error: {path}:{line}: queues.chat.staff.1.agents: ")
    assert "Traceback" not in err


def test_lines_survive_pickling():
    # A worker process sends the error back pickled; the default rebuilt it from the
    # message alone.
    err = sim.ScenarioError("f.yaml", [("queues.a", "bad"), ("", "worse")], {"queues.a": 3})
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.source, copy.problems, copy.lines) == ("f.yaml", err.problems, {"queues.a": 3})
    assert str(copy) == "f.yaml:3: queues.a: bad\nf.yaml: worse"


def test_more_problems_than_shown_keep_the_count_line():
    from sim.errors import MAX_SHOWN

    problems = [(f"queues.q{i}", "bad") for i in range(MAX_SHOWN + 2)]
    err = sim.ScenarioError("f.yaml", problems, {"queues.q0": 7})
    shown = str(err).splitlines()
    assert shown[0] == "f.yaml:7: queues.q0: bad"
    assert shown[1] == "f.yaml: queues.q1: bad"
    assert shown[-1] == "f.yaml: ... and 2 more problems"


def test_an_alias_bomb_is_recorded_without_expanding_it():
    # One entry per alias written, not per value it would expand to (9^9).
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
    )
    recorder = Recorder()
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        recorder.event(event)
    lines = recorder.lines
    assert len(lines.aliases) == 8 * 9
    assert sum(map(len, lines.items.values())) == 9 * 9
    assert lines.line("a8.3.4.5.6.7.8.0.1.2") == 1


def test_read_with_lines_reads_what_read_reads(tmp_path):
    path = _write(tmp_path, VALID)
    data, lines = yamlfile.read_with_lines(path)
    assert data == yamlfile.read(path)
    assert lines.line("queues.email.staff") == _line(VALID, "staff: 1")
