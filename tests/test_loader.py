"""The scenario loader: every kind of bad input, and the units and shorthands of good input.

Each bad file must raise :class:`sim.ScenarioError` whose message names the file, the
dotted path of the offending field and the reason, so a user can fix it without
reading code.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import sim
import sim.cli
import sim.experiments
from sim.scenario import Shift
from sim.timeline import Clock, rate_function, shift_instances

HOUR = 3600.0

BASE: dict[str, Any] = {
    "name": "loader-test",
    "start": "2026-01-05T00:00",  # a Monday
    "duration": "1d",
    "seed": 1,
    "queues": {
        "chat": {
            "arrivals": {"rate": "30/h"},
            "staff": 2,
            "service": {"dist": "exponential", "mean": "3m"},
            "on_unresolved": {"email": 1.0},
            "resolution": 0.8,
        },
        "email": {"staff": 1, "service": {"dist": "gamma", "mean": "20m", "cv": 1}},
    },
}


def _mutated(change) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _chat(data: dict[str, Any]) -> dict[str, Any]:
    return data["queues"]["chat"]


def _write(tmp_path: Path, data: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


# Each case: (mutation of BASE, dotted path the message must name, words of the reason).
BAD_FIELDS = {
    "unknown top-level key": (
        lambda d: d.update(durration="2d"),
        "durration",
        ["unknown field", "did you mean 'duration'"],
    ),
    "unknown queue key": (
        lambda d: _chat(d).update(servce={"dist": "constant", "value": 1}),
        "queues.chat.servce",
        ["unknown field", "did you mean 'service'"],
    ),
    "unknown arrivals key": (
        lambda d: _chat(d)["arrivals"].update(rat="3/h"),
        "queues.chat.arrivals.rat",
        ["unknown field", "did you mean 'rate'"],
    ),
    "unknown shift key": (
        lambda d: _chat(d).update(staff=[{"start": "09:00", "end": "17:00", "agent": 2}]),
        "queues.chat.staff.0.agent",
        ["unknown field", "did you mean 'agents'"],
    ),
    "wrong type for staff": (
        lambda d: _chat(d).update(staff="ten"),
        "queues.chat.staff",
        ["integer"],
    ),
    "negative rate": (
        lambda d: _chat(d)["arrivals"].update(rate=-5),
        "queues.chat.arrivals.rate",
        [">= 0"],
    ),
    "negative rate with unit": (
        lambda d: _chat(d)["arrivals"].update(rate="-5/h"),
        "queues.chat.arrivals.rate",
        ["rate"],
    ),
    "negative agents": (
        lambda d: _chat(d).update(staff=-1),
        "queues.chat.staff",
        ["between 0 and"],
    ),
    "negative agents in a shift": (
        lambda d: _chat(d).update(staff=[{"start": "09:00", "end": "17:00", "agents": -3}]),
        "queues.chat.staff.0.agents",
        ["greater than or equal to 0"],
    ),
    "bad duration": (
        lambda d: d.update(duration="4x"),
        "duration",
        ["'4x'", "duration"],
    ),
    "bad duration in a distribution": (
        lambda d: _chat(d).update(service={"dist": "exponential", "mean": "3 minutes"}),
        "queues.chat.service.mean",
        ["duration"],
    ),
    "bad clock": (
        lambda d: _chat(d).update(staff=[{"start": "25:00", "end": "08:00", "agents": 1}]),
        "queues.chat.staff.0.start",
        ["'25:00'", "time of day"],
    ),
    "shift starting at 24:00": (
        lambda d: _chat(d).update(staff=[{"start": "24:00", "end": "08:00", "agents": 1}]),
        "queues.chat.staff.0",
        ["24:00"],
    ),
    "route to a missing queue": (
        lambda d: _chat(d).update(on_unresolved={"emial": 1.0}),
        "queues.chat.on_unresolved",
        ["unknown queue 'emial'", "email"],
    ),
    "route probability above 1": (
        lambda d: _chat(d).update(on_abandon={"email": 1.5}),
        "queues.chat.on_abandon.email",
        ["less than or equal to 1"],
    ),
    "warmup not shorter than duration": (
        lambda d: d.update(warmup="1d"),
        "warmup",  # a relation between two fields: placed at the one that starts the run
        ["must be shorter than duration"],
    ),
    "profile with 23 weights": (
        lambda d: _chat(d)["arrivals"].update(profile=[1.0] * 23),
        "queues.chat.arrivals.profile",
        ["24", "got 23"],
    ),
    "weekdays with 6 weights": (
        lambda d: _chat(d)["arrivals"].update(weekdays=[1.0] * 6),
        "queues.chat.arrivals.weekdays",
        ["7"],
    ),
    "target naming an unknown queue": (
        lambda d: d.update(
            targets=[{"queue": "chatt", "metric": "mean_wait", "value": "1m", "tolerance": "10%"}]
        ),
        "targets.0.queue",
        ["unknown queue 'chatt'"],
    ),
    "target with an unknown metric": (
        lambda d: d.update(
            targets=[{"queue": "chat", "metric": "mean_waiting", "value": 1, "tolerance": 1}]
        ),
        "targets.0.metric",
        ["mean_wait"],
    ),
    "closed: route without on_closed": (
        lambda d: _chat(d).update(closed="route"),
        "queues.chat.on_closed",
        ["on_closed"],
    ),
    "unknown closed behaviour": (
        lambda d: _chat(d).update(closed="queue"),
        "queues.chat.closed",
        ["'wait'", "'lost'", "'route'"],
    ),
    "unknown distribution": (
        lambda d: _chat(d).update(service={"dist": "weibull", "mean": "3m"}),
        "queues.chat.service",
        ["unknown distribution 'weibull'", "exponential", "lognormal"],
    ),
    "distribution without dist": (
        lambda d: _chat(d).update(service={"mean": "3m"}),
        "queues.chat.service",
        ["dist"],
    ),
    "missing service": (
        lambda d: _chat(d).pop("service"),
        "queues.chat.service",
        ["required field is missing"],
    ),
    "missing start": (
        lambda d: d.pop("start"),
        "start",
        ["required field is missing"],
    ),
    "probability above 1": (
        lambda d: _chat(d).update(visibility=1.2),
        "queues.chat.visibility",
        ["less than or equal to 1"],
    ),
    "unknown day": (
        lambda d: _chat(d).update(
            staff=[{"start": "09:00", "end": "17:00", "agents": 1, "days": ["mon", "funday"]}]
        ),
        "queues.chat.staff.0.days",
        ["unknown day 'funday'"],
    ),
    "bad holiday date": (
        lambda d: d.update(calendar={"holidays": ["2026-13-01"]}),
        "calendar.holidays.0",
        ["date"],
    ),
    "no queue has arrivals": (
        lambda d: _chat(d).pop("arrivals"),
        "",
        ["no queue has arrivals"],
    ),
    "bad three_shift": (
        lambda d: _chat(d).update(staff={"three_shift": {"agents": "many"}}),
        "queues.chat.staff.three_shift.agents",
        ["integer"],
    ),
    "unknown staff shorthand": (
        lambda d: _chat(d).update(staff={"four_shift": {"agents": 2}}),
        "queues.chat.staff",
        ["three_shift", "business_hours"],
    ),
    # A value where fields belong said "Input should be a valid dictionary or instance of
    # Arrivals" (or "object to extract fields from"): pydantic's words and class names.
    "arrivals given as a bare rate": (
        lambda d: _chat(d).update(arrivals="30/h"),
        "queues.chat.arrivals",
        ["expected a mapping of fields (", "rate", "got '30/h'"],
    ),
    "service given as a bare mean": (
        lambda d: _chat(d).update(service="3m"),
        "queues.chat.service",
        ["expected a distribution such as {dist: exponential, mean: 3m}, got '3m'"],
    ),
    "queue given as a word": (
        lambda d: d["queues"].update(chat="chat"),
        "queues.chat",
        ["expected a mapping of fields (", "arrivals", "service", "got 'chat'"],
    ),
    "business hours given as a number": (
        lambda d: _chat(d).update(staff={"business_hours": 5}),
        "queues.chat.staff.business_hours",
        ["expected a mapping of fields (agents, close, days, open), got 5"],
    ),
    "peak from a clock time to a date-time": (
        lambda d: _chat(d)["arrivals"].update(
            peaks=[{"start": "20:00", "end": "2026-01-05T22:00", "multiplier": 2}]
        ),
        "queues.chat.arrivals.peaks.0",
        ["both be clock times or both be date-times"],
    ),
    "dated peak ending before it starts": (
        lambda d: _chat(d)["arrivals"].update(
            peaks=[{"start": "2026-01-05T22:00", "end": "2026-01-05T20:00", "multiplier": 2}]
        ),
        "queues.chat.arrivals.peaks.0",
        ["must end after it starts"],
    ),
    "daily peak of no length": (
        lambda d: _chat(d)["arrivals"].update(
            peaks=[{"start": "20:00", "end": "20:00", "multiplier": 2}]
        ),
        "queues.chat.arrivals.peaks.0",
        ["must not start and end at the same time"],
    ),
    "start that is not a date-time": (
        lambda d: d.update(start="2026-01-05 noon"),
        "start",
        ["expected a date-time", "'2026-01-05 noon'"],
    ),
    "pickup with no time": (
        lambda d: _chat(d).update(pickup=[]),
        "queues.chat.pickup",
        ["at least one clock time"],
    ),
    "overflow without on_overflow": (
        lambda d: _chat(d).update(overflow={"threshold": 5}),
        "queues.chat.on_overflow",
        ["no on_overflow route"],
    ),
    "business hours closing as they open": (
        lambda d: _chat(d).update(
            staff={"business_hours": {"open": "09:00", "close": "09:00", "agents": 2}}
        ),
        "queues.chat.staff.business_hours",
        ["must end at a different time than it starts"],
    ),
    "shift ending as it starts": (
        lambda d: _chat(d).update(staff=[{"start": "09:00", "end": "09:00", "agents": 2}]),
        "queues.chat.staff.0",
        ["must end at a different time than it starts"],
    ),
    "team serving a queue twice": (
        lambda d: d.update(teams={"t": {"staff": 1, "serves": ["chat", "chat"]}}),
        "teams.t.serves",
        ["queue listed twice: chat"],
    ),
    "uniform with high below low": (
        lambda d: _chat(d).update(service={"dist": "uniform", "low": "3m", "high": "1m"}),
        "queues.chat.service",
        ["high must be >= low"],
    ),
    "deadline both a duration and days": (
        lambda d: d.update(
            targets=[
                {
                    "queue": "chat",
                    "metric": "resolved_within",
                    "value": 0.5,
                    "tolerance": 0.1,
                    "within": {"seconds": 10, "days": 1},
                }
            ]
        ),
        "targets.0.within",
        ["a duration or a number of (working) days"],
    ),
    "target hours that are not a window": (
        lambda d: d.update(
            targets=[
                {
                    "queue": "chat",
                    "metric": "mean_wait",
                    "value": "1m",
                    "tolerance": "10%",
                    "hours": "10:00",
                }
            ]
        ),
        "targets.0.hours",
        ["clock window"],
    ),
    "deadline on a metric that has none": (
        lambda d: d.update(
            targets=[
                {
                    "queue": "chat",
                    "metric": "mean_wait",
                    "value": "1m",
                    "tolerance": "10%",
                    "within": "30m",
                }
            ]
        ),
        "targets.0.within",
        ["only for service_level"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIELDS))
def test_bad_field_names_file_path_and_reason(tmp_path, case):
    change, path, words = BAD_FIELDS[case]
    file = _write(tmp_path, _mutated(change), "bad_scenario.yaml")
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    err = info.value
    message = str(err)
    assert err.source == str(file)
    assert str(file) in message
    assert any(p == path for p, _ in err.problems), err.problems
    for word in words:
        assert word in message, message
    # Every line names the file; a field's line names the line it is written on (or its
    # parent's, for a missing field), its dotted path, then the reason.
    for line in message.splitlines():
        assert re.match(rf"{re.escape(str(file))}(:\d+)?: ", line), line
    written = _written_line(file, path)
    assert err.lines.get(path) == written
    if path:
        assert f"{file}{'' if written is None else f':{written}'}: {path}: " in message


def _written_line(file: Path, path: str) -> int | None:
    """The line ``path`` (or its nearest parent) is written on, by PyYAML's node tree.

    None for a path of the document itself or of a field missing from it.
    """
    node, line = yaml.compose(file.read_text(encoding="utf-8")), None
    for part in path.split(".") if path else []:
        if isinstance(node, yaml.MappingNode):
            found = [(key, value) for key, value in node.value if key.value == part]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            found = [(node.value[int(part)], node.value[int(part)])]
        else:
            found = []
        if not found:
            break
        place, node = found[0]
        line = place.start_mark.line + 1
    return line


def test_route_probabilities_summing_above_one_name_the_route_field():
    data = _mutated(lambda d: _chat(d).update(on_unresolved={"email": 0.7, "chat": 0.5}))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="s.yaml")
    assert any(p == "queues.chat.on_unresolved" for p, _ in info.value.problems)
    assert "s.yaml: queues.chat.on_unresolved: " in str(info.value)


def test_route_probabilities_summing_above_one_are_rejected():
    data = _mutated(lambda d: _chat(d).update(on_unresolved={"email": 0.7, "chat": 0.5}))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="s.yaml")
    message = str(info.value)
    assert message.startswith("s.yaml: queues.chat")
    assert "on_unresolved" in message
    assert "sum to 1.2" in message


def test_unknown_field_in_a_distribution_lists_that_distributions_fields():
    data = _mutated(
        lambda d: _chat(d).update(service={"dist": "uniform", "low": 1, "high": 2, "hgh": 3})
    )
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    reasons = dict(info.value.problems)
    assert "queues.chat.service.hgh" in reasons
    assert "did you mean 'high'" in reasons["queues.chat.service.hgh"]
    assert "did you mean 'mean'" not in str(info.value)


def test_several_problems_are_reported_together(tmp_path):
    def change(d):
        d.update(duration="4x")
        _chat(d).update(staff=-1)
        _chat(d)["arrivals"].update(profile=[1.0] * 23)

    with pytest.raises(sim.ScenarioError) as info:
        sim.load(_write(tmp_path, _mutated(change)))
    paths = {p for p, _ in info.value.problems}
    assert {"duration", "queues.chat.staff", "queues.chat.arrivals.profile"} <= paths


def test_error_is_a_value_error():
    assert issubclass(sim.ScenarioError, ValueError)


# --------------------------------------------------------------------------- file level

VALID_TEXT = """\
name: t
start: 2026-01-05T00:00
duration: 2h
queues:
  chat:
    arrivals: {rate: 30/h}
    staff: 1
    service: {dist: constant, value: 60}
"""


def test_duplicate_yaml_key_is_an_error_with_its_line(tmp_path):
    text = VALID_TEXT.replace("duration: 2h\n", "duration: 2h\nseed: 1\nduration: 3h\n")
    file = _write(tmp_path, text)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    message = str(info.value)
    assert str(file) in message
    assert "duplicate key 'duration'" in message
    assert "line 5" in message


def test_duplicate_nested_key_is_an_error(tmp_path):
    text = VALID_TEXT.replace("    staff: 1\n", "    staff: 1\n    staff: 2\n")
    with pytest.raises(sim.ScenarioError, match=r"duplicate key 'staff'.*line 8"):
        sim.load(_write(tmp_path, text))


MERGED_TEXT = VALID_TEXT.replace("  chat:\n", "  chat: &chat\n") + (
    "  vip:\n    <<: *chat\n    staff: 3\n"
)


def test_a_yaml_merge_key_fills_in_the_anchor_s_fields_and_the_mapping_s_own_win(tmp_path):
    # "<<: *chat" was refused as "could not determine a constructor for the tag
    # 'tag:yaml.org,2002:merge'": a queue could not reuse another's fields but one.
    scenario = sim.load(_write(tmp_path, MERGED_TEXT))
    chat, vip = scenario.queues["chat"], scenario.queues["vip"]
    assert vip.arrivals == chat.arrivals
    assert vip.service == chat.service
    assert (chat.max_agents, vip.max_agents) == (1, 3)


def test_a_merged_field_set_on_one_queue_leaves_the_anchor_s_queue_as_it_is(tmp_path):
    scenario = sim.load(_write(tmp_path, MERGED_TEXT), overrides=["queues.vip.arrivals.rate=60/h"])
    assert scenario.queues["chat"].arrivals.rate * 3600 == pytest.approx(30)
    assert scenario.queues["vip"].arrivals.rate * 3600 == pytest.approx(60)


def test_a_key_written_twice_beside_a_merge_is_still_a_duplicate(tmp_path):
    text = MERGED_TEXT + "    staff: 4\n"
    with pytest.raises(sim.ScenarioError, match=r"duplicate key 'staff'.*line 12"):
        sim.load(_write(tmp_path, text))


def test_a_merge_of_something_not_a_mapping_is_invalid_yaml_with_its_line(tmp_path):
    text = MERGED_TEXT.replace("<<: *chat", "<<: 3")
    with pytest.raises(sim.ScenarioError, match=r"invalid YAML: line 10, .*expected a mapping"):
        sim.load(_write(tmp_path, text))


# An anchor in a top-level block of its own, used by two queues, one with a merge key.
EXTENDED_TEXT = (
    "x-chat: &chat\n"
    "  arrivals: {rate: 30/h}\n"
    "  service: {dist: constant, value: 60}\n"
    "x-note: a remark\n"
    + VALID_TEXT.replace(
        "    arrivals: {rate: 30/h}\n    staff: 1\n    service: {dist: constant, value: 60}\n",
        "    <<: *chat\n    staff: 1\n",
    )
    + "  vip: {<<: *chat, staff: 3}\n"
)


def test_top_level_x_fields_hold_anchors_and_are_left_out(tmp_path):
    # A top-level "defaults: &chat {...}" was an unknown field: an anchor had nowhere to
    # live but in a queue. x- fields hold them, as in Docker Compose.
    scenario = sim.load(_write(tmp_path, EXTENDED_TEXT))
    plain = sim.load(_write(tmp_path, MERGED_TEXT, "plain.yaml"))
    assert scenario.queues == plain.queues
    assert sim.from_dict(yaml.safe_load(EXTENDED_TEXT)).queues == plain.queues
    assert "x-chat" not in sim.results.resolved_yaml(scenario)


def test_a_top_level_block_of_anchors_not_named_x_is_unknown_and_told_its_name(tmp_path):
    file = _write(tmp_path, EXTENDED_TEXT.replace("x-chat:", "defaults:"))
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    assert info.value.problems[0][0] == "defaults"
    assert info.value.lines == {"defaults": 1}
    assert info.value.problems[0][1].endswith(
        "; a block that only holds YAML anchors is named x-defaults"
    )
    # A typo of a field is told the field, not an x- name.
    with pytest.raises(sim.ScenarioError, match=r"did you mean 'queues'\?[^;]*$"):
        sim.load(_write(tmp_path, VALID_TEXT.replace("queues:", "queus:")))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: _chat(d).update({"x-note": 1}), "queues.chat.x-note"),
        (
            lambda d: d.update({"teams": {"t": {"staff": 1, "serves": ["chat"], "x-a": 1}}}),
            "teams.t.x-a",
        ),
        (lambda d: d.update({"calendar": {"x-a": 1}}), "calendar.x-a"),
    ],
    ids=["queue", "team", "calendar"],
)
def test_x_fields_below_the_top_level_are_still_unknown(change, field):
    # Only the top level takes them: below it a key is a name or a field, and a typo
    # there must still be caught.
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(_mutated(change))
    assert [p for p, r in info.value.problems if r.startswith("unknown field")] == [field]


def test_an_included_file_may_have_x_fields(tmp_path):
    _write(tmp_path, EXTENDED_TEXT, "part.yaml")
    main = _write(tmp_path, "x-n: 1\n" + VALID_TEXT + "include: {p: part.yaml}\n")
    scenario = sim.load(main)
    assert sorted(scenario.queues) == ["chat", "p.chat", "p.vip"]


def test_an_override_of_an_x_field_is_refused_not_ignored(tmp_path):
    # The anchor's copies are made when the file is read: setting it would change nothing.
    file = _write(tmp_path, EXTENDED_TEXT)
    with pytest.raises(sim.ScenarioError) as loading:
        sim.load(file, ["x-chat.arrivals.rate=60/h"])
    with pytest.raises(sim.ScenarioError) as sweeping:
        sim.sweep(file, ["x-chat.arrivals.rate=60/h,90/h"])
    for info, via in ((loading, "overrides"), (sweeping, "vary")):
        ((path, reason),) = info.value.problems
        assert path == "x-chat.arrivals.rate"
        assert reason.startswith(f"{via}: x- fields are left out of the scenario")


@pytest.mark.parametrize(("key", "kind"), [("[a, b]", "list"), ("{a: 1}", "mapping")])
def test_a_key_that_is_a_list_or_mapping_is_invalid_yaml_with_its_line(tmp_path, key, kind):
    # YAML allows "? [a, b]"; reading it raised TypeError (unhashable type): a traceback.
    text = VALID_TEXT.replace("duration: 2h\n", f"duration: 2h\n? {key}\n: 1\n")
    file = _write(tmp_path, text)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    line = text.splitlines().index(f"? {key}") + 1
    assert str(info.value) == (
        f"{file}: invalid YAML: line {line}, column 3: a key must be a single value, not a {kind}"
    )


def test_invalid_yaml_syntax_names_the_line(tmp_path):
    text = VALID_TEXT.replace("service: {dist: constant, value: 60}", "service: {dist: constant")
    file = _write(tmp_path, text)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    message = str(info.value)
    assert message.startswith(f"{file}: invalid YAML: line ")
    assert "line 8" in message or "line 9" in message


def test_yaml_that_is_not_a_mapping_is_an_error(tmp_path):
    file = _write(tmp_path, "- just\n- a list\n")
    with pytest.raises(sim.ScenarioError, match="must be a mapping"):
        sim.load(file)


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(sim.ScenarioError, match="must be a mapping"):
        sim.load(_write(tmp_path, ""))


def test_missing_file_is_an_error(tmp_path):
    file = tmp_path / "no_such_scenario.yaml"
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    assert str(file) in str(info.value)
    assert "cannot read" in str(info.value)


def test_a_directory_is_not_a_scenario(tmp_path):
    with pytest.raises(sim.ScenarioError, match="cannot read"):
        sim.load(tmp_path)


# --------------------------------------------------------------------------- overrides


def test_overrides_go_through_the_same_validation(tmp_path):
    file = _write(tmp_path, BASE)
    assert sim.load(file, ["queues.chat.staff=5"]).queues["chat"].staff == 5
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file, ["queues.chat.staff=-2"])
    assert ("queues.chat.staff", "number of agents must be between 0 and 100,000") in (
        info.value.problems
    )
    with pytest.raises(sim.ScenarioError, match=r"queues\.chat\.stafff: unknown field"):
        sim.load(file, ["queues.chat.stafff=2"])


@pytest.mark.parametrize("text", ["a.b", "=3", "queues..staff=1", ".x=1", "x.=1", "  =1"])
def test_malformed_override_is_an_error_naming_it(text):
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(BASE, overrides=[text])
    assert text in str(info.value)
    assert "dotted.path=VALUE" in str(info.value)


def test_override_cannot_descend_into_a_scalar():
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(BASE, source="f.yaml", overrides=["name.x=1"])
    assert info.value.problems[0][0] == "name.x"


def test_override_cannot_descend_through_a_scalar():
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(BASE, source="f.yaml", overrides=["name.x.y=1"])
    assert info.value.problems == [("name.x", "overrides cannot descend into str here")]


def test_override_values_are_read_as_yaml():
    s = sim.from_dict(
        BASE,
        overrides=[
            "queues.chat.service={dist: constant, value: 4m12s}",
            "queues.chat.on_unresolved.email=0.5",
            "duration=2d",
        ],
    )
    assert s.queues["chat"].service.mean == 252.0
    assert s.queues["chat"].on_unresolved == {"email": 0.5}
    assert s.duration == 2 * 86400.0


def test_overrides_do_not_modify_the_input():
    data = copy.deepcopy(BASE)
    sim.from_dict(data, overrides=["queues.chat.staff=7", "queues.chat.arrivals.rate=9/h"])
    assert data == BASE


# --------------------------------------------------------------------------- valid input


def _load_text(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()) -> sim.Scenario:
    return sim.load(_write(tmp_path, text), overrides)


def test_units_durations_and_rates(tmp_path):
    text = """\
name: units
start: 2026-01-05T00:00
duration: 1d2h
warmup: 90s
drain: 1w
service_level_threshold: 1m30s
queues:
  a: {arrivals: {rate: 150/h}, staff: 1, service: {dist: constant, value: 4m12s}}
  b: {arrivals: {rate: 2/min}, staff: 1, service: {dist: exponential, mean: 1.5h}}
  c: {arrivals: {rate: 3000/d}, staff: 1, service: {dist: lognormal, mean: 300, cv: 0.5}}
  d: {arrivals: {rate: 12}, staff: 1, service: {dist: uniform, low: 1m, high: 2m}}
  e: {arrivals: {rate: 1/s}, staff: 1, service: {dist: empirical, values: [30s, 1m, 90]}}
"""
    s = _load_text(tmp_path, text)
    assert s.duration == 26 * HOUR
    assert s.warmup == 90.0
    assert s.drain == 7 * 86400.0
    assert s.service_level_threshold == 90.0
    q = s.queues
    assert q["a"].service.value == 252.0
    assert q["a"].arrivals.rate == pytest.approx(150 / HOUR, rel=1e-15)
    assert q["b"].arrivals.rate == pytest.approx(2 / 60, rel=1e-15)
    assert q["c"].arrivals.rate == pytest.approx(3000 / 86400, rel=1e-15)
    assert q["d"].arrivals.rate == pytest.approx(12 / HOUR, rel=1e-15)  # bare number: per hour
    assert q["e"].arrivals.rate == 1.0
    assert q["b"].service.mean == 1.5 * HOUR
    assert q["d"].service.mean == 90.0
    assert q["e"].service.values == (30.0, 60.0, 90.0)


def _shifts(staff: Any) -> list[tuple[float, float, int, tuple[str, ...]]]:
    return [(s.start, s.end, s.agents, s.days) for s in staff]


def test_three_shift_expands_to_00_08_16_24(tmp_path):
    s = sim.from_dict(
        _mutated(lambda d: _chat(d).update(staff={"three_shift": {"agents": [3, 5, 4]}}))
    )
    assert _shifts(s.queues["chat"].staff) == [
        (0.0, 8 * HOUR, 3, ("all",)),
        (8 * HOUR, 16 * HOUR, 5, ("all",)),
        (16 * HOUR, 24 * HOUR, 4, ("all",)),
    ]
    same = sim.from_dict(
        _mutated(
            lambda d: _chat(d).update(staff={"three_shift": {"agents": 2, "days": "weekdays"}})
        )
    )
    assert [a for _, _, a, _ in _shifts(same.queues["chat"].staff)] == [2, 2, 2]
    assert {d for *_, d in _shifts(same.queues["chat"].staff)} == {("weekdays",)}


def test_business_hours_defaults_to_9_18_on_weekdays():
    s = sim.from_dict(_mutated(lambda d: _chat(d).update(staff={"business_hours": {"agents": 4}})))
    assert _shifts(s.queues["chat"].staff) == [(9 * HOUR, 18 * HOUR, 4, ("weekdays",))]
    custom = sim.from_dict(
        _mutated(
            lambda d: _chat(d).update(
                staff={
                    "business_hours": {
                        "open": "08:30",
                        "close": "17:00",
                        "agents": 2,
                        "days": "workdays",
                    }
                }
            )
        )
    )
    assert _shifts(custom.queues["chat"].staff) == [(8.5 * HOUR, 17 * HOUR, 2, ("workdays",))]


def test_24_00_end_and_overnight_shift(tmp_path):
    text = """\
name: shifts
start: 2026-01-05T00:00
duration: 2d
queues:
  a:
    arrivals: {rate: 10/h}
    staff:
      - {start: "16:00", end: "24:00", agents: 2}
      - {start: "22:00", end: "06:00", agents: 1}
    service: {dist: constant, value: 60}
"""
    s = _load_text(tmp_path, text)
    late, night = s.queues["a"].staff
    assert (late.start, late.end, late.length) == (16 * HOUR, 24 * HOUR, 8 * HOUR)
    assert (night.start, night.end, night.length) == (22 * HOUR, 6 * HOUR, 8 * HOUR)
    clock = Clock(s.start)
    spans = [
        (i.start, i.end, i.agents) for i in shift_instances(s.queues["a"].staff, clock, 2 * 86400)
    ]
    # The night shift of the day before the start reaches into day 0 from time 0.
    assert (0.0, 6 * HOUR, 1) in spans
    assert (22 * HOUR, 30 * HOUR, 1) in spans
    assert (16 * HOUR, 24 * HOUR, 2) in spans


def test_unquoted_clock_times_read_as_sexagesimal_are_understood(tmp_path):
    # YAML 1.1 reads unquoted 20:00 as the integer 1200; the loader must undo that.
    assert yaml.safe_load("t: 20:00")["t"] == 1200
    text = """\
name: sexagesimal
start: 2026-01-05T00:00
duration: 1d
queues:
  a:
    arrivals:
      rate: 10/h
      peaks: [{start: 20:00, end: 23:30, multiplier: 2}]
    staff: [{start: 06:00, end: 22:15, agents: 1}]
    pickup: [09:00, 15:45]
    service: {dist: constant, value: 60}
"""
    a = _load_text(tmp_path, text).queues["a"]
    assert (a.arrivals.peaks[0].start, a.arrivals.peaks[0].end) == (20 * HOUR, 23.5 * HOUR)
    assert (a.staff[0].start, a.staff[0].end) == (6 * HOUR, 22.25 * HOUR)
    assert a.pickup == (9 * HOUR, 15.75 * HOUR)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("all", ("all",)),
        ("weekdays", ("weekdays",)),
        ("weekends", ("weekends",)),
        ("workdays", ("workdays",)),
        ("holidays", ("holidays",)),
        (["mon", "wed"], ("mon", "wed")),
        (["Friday", "sat"], ("fri", "sat")),
        ("tue", ("tue",)),
    ],
)
def test_day_selectors(days, expected):
    shift = Shift.model_validate({"start": "09:00", "end": "17:00", "agents": 1, "days": days})
    assert shift.days == expected


def test_day_keywords_are_case_insensitive_like_day_names():
    shift = Shift.model_validate(
        {"start": "09:00", "end": "17:00", "agents": 1, "days": "Weekdays"}
    )
    assert shift.days == ("weekdays",)


def test_day_selectors_drive_the_shift_calendar():
    clock = Clock(dt.datetime(2026, 1, 5), frozenset({dt.date(2026, 1, 7)}))  # Mon; Wed holiday
    week = 7 * 86400.0

    def days_worked(days: Any) -> list[int]:
        shift = Shift.model_validate({"start": "09:00", "end": "17:00", "agents": 1, "days": days})
        return [int(i.start // 86400) for i in shift_instances((shift,), clock, week)]

    assert days_worked("all") == list(range(7))
    assert days_worked("weekdays") == [0, 1, 2, 3, 4]
    assert days_worked("workdays") == [0, 1, 3, 4]
    assert days_worked("weekends") == [5, 6]
    assert days_worked("holidays") == [2]
    assert days_worked(["tue", "sun"]) == [1, 6]


def test_a_daily_peak_with_days_raises_the_rate_on_those_days_only():
    # A daily peak's days: no test had a day the selection leaves out.
    peak = {"start": "22:00", "end": "02:00", "multiplier": 3, "days": ["saturday"]}
    s = sim.from_dict(
        _mutated(lambda d: (d.update(duration="7d"), _chat(d)["arrivals"].update(peaks=[peak])))
    )
    edges, rates = rate_function(s.queues["chat"].arrivals, Clock(s.start), 0.0, 7 * 86400.0)
    mids = (edges[:-1] + edges[1:]) / 2
    # From a Monday: Saturday is day 5, and the peak runs on into Sunday's first 2 hours.
    saturday_night = (mids >= 5 * 86400 + 22 * HOUR) & (mids < 6 * 86400 + 2 * HOUR)
    base = 30 / 3600
    np.testing.assert_allclose(rates, np.where(saturday_night, 3 * base, base))


def test_dated_peaks_and_calendar(tmp_path):
    text = """\
name: peaks
start: 2026-11-10T00:00
duration: 3d
calendar: {holidays: [2026-11-11]}
queues:
  a:
    arrivals:
      rate: 10/h
      holiday_multiplier: 3
      weekdays: [1, 1, 1, 1, 1, 2, 2]
      peaks:
        - {start: 2026-11-11T20:00, end: 2026-11-12T01:00, multiplier: 4}
        - {start: "10:00", end: "11:00", multiplier: 1.5, days: weekdays}
    staff: 3
    service: {dist: constant, value: 60}
"""
    s = _load_text(tmp_path, text)
    peaks = s.queues["a"].arrivals.peaks
    assert peaks[0].start == dt.datetime(2026, 11, 11, 20)
    assert peaks[1].start == 10 * HOUR
    assert s.calendar.holidays == (dt.date(2026, 11, 11),)
    assert s.queues["a"].arrivals.holiday_multiplier == 3


def test_scenario_is_frozen():
    s = sim.from_dict(BASE)
    with pytest.raises(Exception, match="frozen"):
        s.name = "other"


def test_from_dict_equals_load_of_the_same_data(tmp_path):
    assert sim.load(_write(tmp_path, BASE)) == sim.from_dict(BASE)


def test_dumped_scenario_loads_back_equal():
    s = sim.from_dict(BASE)
    again = sim.from_dict(yaml.safe_load(yaml.safe_dump(s.model_dump(mode="json"))))
    assert again.queues["chat"].arrivals.rate == s.queues["chat"].arrivals.rate
    assert again == s


def test_duration_beyond_the_calendar_is_rejected():
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(_mutated(lambda d: d.update(duration=1e300)))
    assert info.value.problems[0][0] == "duration"


def test_dated_shifts_are_worked_once_on_their_dates(tmp_path):
    text = """\
name: dated
start: 2026-11-02T00:00
duration: 3d
queues:
  a:
    arrivals: {rate: 10/h}
    staff:
      - {start: 2026-11-03T09:00, end: 2026-11-03T17:30, agents: 3}
      - {start: 2026-11-03T22:00, end: 2026-11-04T02:00, agents: 1}
      - {start: "08:00", end: "10:00", agents: 2, days: wed}
    service: {dist: constant, value: 60}
"""
    s = _load_text(tmp_path, text)
    staff = s.queues["a"].staff
    assert staff[0].start == dt.datetime(2026, 11, 3, 9)
    assert staff[0].dated
    assert not staff[2].dated
    assert staff[1].length == 4 * HOUR
    instances = shift_instances(staff, Clock(s.start), s.duration)
    spans = [(i.start / HOUR, i.end / HOUR, i.agents) for i in instances]
    # Dated shifts once (days: is for clock shifts); the clock shift on Wednesday only.
    assert spans == [(33, 41.5, 3), (46, 50, 1), (56, 58, 2)]
    again = sim.from_dict(yaml.safe_load(yaml.safe_dump(s.model_dump(mode="json"))))
    assert again == s


@pytest.mark.parametrize(
    ("shift", "reason"),
    [
        ({"start": "2026-11-03T09:00", "end": "17:00"}, "both be clock times or both be date"),
        ({"start": "2026-11-03T09:00", "end": "2026-11-03T09:00"}, "must end after it starts"),
        ({"start": "2026-11-03T09:00", "end": "2026-11-02T17:00"}, "must end after it starts"),
        ({"start": "2026-11-03T09:00+08:00", "end": "2026-11-03T17:00"}, "without a time zone"),
    ],
)
def test_bad_dated_shifts_name_the_field(shift, reason):
    data = _mutated(lambda d: d["queues"]["chat"].update(staff=[{**shift, "agents": 2}]))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    path, message = info.value.problems[0]
    assert path.startswith("queues.chat.staff.0")
    assert reason in message


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (["Mon"], ("mon",)),
        (["monday", "TUESDAY"], ("mon", "tue")),
        (["tues", "thurs", "wednes"], ("thu", "tue", "wed")),
    ],
)
def test_day_names_in_full_or_abbreviated_are_understood(days, expected):
    shift = Shift.model_validate({"start": "09:00", "end": "17:00", "agents": 1, "days": days})
    assert shift.days == expected


@pytest.mark.parametrize("days", ["mon-fri", "mon, tue", ["monkey"], ["sunshine"], ["mo"]])
def test_a_day_that_only_starts_like_a_day_name_is_an_error(days):
    # These were read by their first three letters: "mon-fri" meant Mondays only.
    data = _mutated(
        lambda d: _chat(d).update(
            staff=[{"start": "09:00", "end": "17:00", "agents": 1, "days": days}]
        )
    )
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="typo.yaml")
    assert ("queues.chat.staff.0.days", info.value.problems[0][1]) == info.value.problems[0]
    assert "unknown day" in str(info.value)


_HOURS_TEXT = """\
name: base-60
start: 2026-01-05T00:00
duration: {duration}
queues:
  a:
    arrivals: {{rate: 10/h}}
    staff: {staff}
    service: {{dist: constant, value: 60}}
"""


def test_a_duration_written_like_a_clock_is_an_error_not_base_60(tmp_path):
    # YAML 1.1 read an unquoted 24:00 as the integer 1440: a day became 24 minutes.
    with pytest.raises(sim.ScenarioError) as info:
        _load_text(tmp_path, _HOURS_TEXT.format(duration="24:00", staff=1))
    assert info.value.problems[0][0] == "duration"
    assert "'24:00'" in str(info.value)
    with pytest.raises(sim.ScenarioError, match="duration"):
        _load_text(tmp_path, _HOURS_TEXT.format(duration="1d", staff=1), ("duration=1:30",))


def test_a_number_with_a_leading_zero_is_decimal_not_octal(tmp_path):
    # YAML 1.1 read 010 as the octal 8.
    scenario = _load_text(tmp_path, _HOURS_TEXT.format(duration="1d", staff="010"))
    assert scenario.queues["a"].staff == 10


def test_an_unquoted_date_is_midnight_like_the_same_date_quoted(tmp_path):
    # YAML reads an unquoted 2026-01-05 as a date: it was refused ("expected a
    # date-time ..., got datetime.date(2026, 1, 5)") while "2026-01-05" was midnight.
    text = """\
name: dates
start: {start}
duration: 2d
queues:
  a:
    arrivals: {{rate: 10/h, peaks: [{{start: {peak}, end: 2026-01-06T12:00, multiplier: 2}}]}}
    staff: [{{start: {shift}, end: 2026-01-06T18:00, agents: 1}}]
    service: {{dist: constant, value: 60}}
"""
    quoted = _load_text(
        tmp_path, text.format(start='"2026-01-05"', peak='"2026-01-06"', shift='"2026-01-06"')
    )
    bare = _load_text(
        tmp_path, text.format(start="2026-01-05", peak="2026-01-06", shift="2026-01-06")
    )
    assert bare == quoted
    assert bare.start == dt.datetime(2026, 1, 5)
    assert bare.queues["a"].staff[0].start == dt.datetime(2026, 1, 6)


@pytest.mark.parametrize(
    ("target", "path", "words"),
    [
        # 85 meant 85%: a share can never reach it, so the target could only miss.
        ({"metric": "abandon_rate", "value": 85, "tolerance": 0.05}, "targets.0.value", "share"),
        (
            {"metric": "service_level", "value": -0.1, "bound": "at_least"},
            "targets.0.value",
            "never negative",
        ),
        # 10 meant 10%: a share within 10 of anything, the target could never miss.
        (
            {"metric": "resolution_rate", "value": 0.5, "tolerance": 10},
            "targets.0.tolerance",
            "10%",
        ),
        (
            {"metric": "resolution_rate", "value": 0.5, "tolerance": "5m"},
            "targets.0.tolerance",
            "10%",
        ),
        (
            {"metric": "mean_wait", "value": -1, "tolerance": 1, "ratio_to": {"queue": "email"}},
            "targets.0.value",
            "negative",
        ),
    ],
)
def test_a_share_target_out_of_its_range_is_an_error(target, path, words):
    data = _mutated(lambda d: d.update(targets=[{"queue": "chat", **target}]))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="targets.yaml")
    assert [p for p, _ in info.value.problems] == [path]
    assert words in str(info.value)


@pytest.mark.parametrize(
    "target",
    [
        {"metric": "abandon_rate", "value": 1, "bound": "at_most"},
        {"metric": "resolution_rate", "value": 0.5, "tolerance": 1},
        {"metric": "resolution_rate", "value": 0.5, "tolerance": "150%"},
        {
            "metric": "e2e_resolution_rate",
            "value": 1.3,
            "bound": "at_least",
            "ratio_to": "best_other_hour",
            "hours": "10:00-12:00",
        },
        {"metric": "mean_wait", "value": "4m12s", "tolerance": "30s"},
    ],
)
def test_targets_within_their_range_are_accepted(target):
    data = _mutated(lambda d: d.update(targets=[{"queue": "chat", **target}]))
    assert len(sim.from_dict(data).targets) == 1


RATIO = {"ratio_to": {"queue": "email"}}


@pytest.mark.parametrize(
    ("target", "words"),
    [
        # 30 seconds on a plain ratio of waits read as 30: every ratio within 30 of 1.2.
        ({"metric": "mean_wait", "value": 1.2, "tolerance": "30s", **RATIO}, "a ratio"),
        ({"metric": "abandon_rate", "value": 2, "tolerance": "1m", **RATIO}, "a ratio"),
        # One second on a share read as 1: every share within 1 of anything.
        ({"metric": "service_level", "value": 0.8, "tolerance": "1s"}, "a share"),
        ({"metric": "abandon_rate", "value": 0.1, "tolerance": "0.5s"}, "a share"),
        # A share on a wait read as 0.05 seconds: a figure that can only miss.
        ({"metric": "mean_wait", "value": "4m", "tolerance": 0.05}, "a duration"),
        ({"metric": "p90_wait", "value": "4m", "tolerance": "0.5"}, "a duration"),
    ],
)
def test_a_tolerance_in_units_the_metric_is_not_in_is_an_error(target, words):
    data = _mutated(lambda d: d.update(targets=[{"queue": "chat", "id": "t", **target}]))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="targets.yaml")
    assert [p for p, _ in info.value.problems] == ["targets.0.tolerance"]
    assert words in str(info.value)
    assert "target 't'" in str(info.value)


@pytest.mark.parametrize(
    "target",
    [
        {"metric": "mean_wait", "value": 1.2, "tolerance": 0.3, **RATIO},
        {"metric": "mean_wait", "value": 1.2, "tolerance": "25%", **RATIO},
        {"metric": "mean_wait", "value": "4m", "tolerance": 30},
        {"metric": "mean_wait", "value": "4m", "tolerance": 0},
        {"metric": "mean_wait", "value": "4m", "tolerance": "2m"},
        {"metric": "service_level", "value": 0.8, "tolerance": 0.05},
    ],
)
def test_a_tolerance_in_the_metrics_units_is_accepted(target):
    data = _mutated(lambda d: d.update(targets=[{"queue": "chat", **target}]))
    assert sim.from_dict(data).targets[0].half_width >= 0


# A route whose event the queue never enables (the enabling field left out) is a typo:
# the user meant to route those contacts, and they silently waited or stayed instead.
DEAD_ROUTES = {
    "on_closed without closed": (
        {"on_closed": {"email": 1.0}},
        "queues.chat.on_closed",
        "closed: route",
    ),
    "on_overflow without overflow": (
        {"on_overflow": {"email": 1.0}},
        "queues.chat.on_overflow",
        "overflow",
    ),
    "on_abandon without patience": (
        {"on_abandon": {"email": 0.5}},
        "queues.chat.on_abandon",
        "patience",
    ),
    "retry without patience": (
        {"retry": {"probability": 0.5, "after": {"dist": "constant", "value": "5m"}}},
        "queues.chat.retry",
        "patience",
    ),
    "on_not_visible without visibility": (
        {"on_not_visible": {"email": 1.0}},
        "queues.chat.on_not_visible",
        "visibility",
    ),
}


@pytest.mark.parametrize("case", list(DEAD_ROUTES))
def test_a_route_for_an_event_the_queue_never_has_is_an_error(case):
    fields, path, words = DEAD_ROUTES[case]
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(_mutated(lambda d: _chat(d).update(fields)), source="dead.yaml")
    assert [p for p, _ in info.value.problems] == [path]
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        # Explicit values are what-ifs (sweep closed over wait, lost, route): the routes
        # wait unused and are accepted.
        (["queues.chat.closed=wait"], None),
        (["queues.chat.closed=lost"], None),
        (["queues.chat.visibility=1"], None),
        # null removes a field: the routes that need it must go too.
        (["queues.chat.overflow=null"], "queues.chat.on_overflow"),
        (["queues.chat.overflow=null", "queues.chat.on_overflow={}"], None),
        (["queues.chat.patience=null", "queues.chat.retry=null"], "queues.chat.on_abandon"),
        (
            ["queues.chat.patience=null", "queues.chat.retry=null", "queues.chat.on_abandon={}"],
            None,
        ),
    ],
)
def test_an_explicit_choice_that_leaves_a_route_unused_is_accepted(overrides, refused):
    live = {
        "closed": "route",
        "on_closed": {"email": 1.0},
        "overflow": {"threshold": 3},
        "on_overflow": {"email": 1.0},
        "patience": {"dist": "exponential", "mean": "5m"},
        "on_abandon": {"email": 0.5},
        "retry": {"probability": 0.5, "after": {"dist": "constant", "value": "5m"}},
        "visibility": 0.9,
        "on_not_visible": {"email": 1.0},
    }
    data = _mutated(lambda d: _chat(d).update(live))
    if refused is None:
        assert sim.from_dict(data, overrides=overrides).queues["chat"].on_closed
    else:
        with pytest.raises(sim.ScenarioError) as info:
            sim.from_dict(data, overrides=overrides)
        assert [p for p, _ in info.value.problems] == [refused]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # YAML reads yes/no/on/off/true/false as booleans; a number field took them as 1
        # and 0 (staff: yes was one agent, resolution: no resolved nothing).
        ("staff: yes", "queues.chat.staff"),
        ("resolution: no", "queues.chat.resolution"),
        ("on_unresolved: {email: true}", "queues.chat.on_unresolved.email"),
        ("service: {dist: gamma, mean: 3m, cv: on}", "queues.chat.service.cv"),
        ("staff: [{start: '09:00', end: '17:00', agents: yes}]", "queues.chat.staff.0.agents"),
        (
            "arrivals: {rate: 3/h, weekdays: [1, 1, 1, 1, 1, true, 1]}",
            "queues.chat.arrivals.weekdays.5",
        ),
    ],
)
def test_a_boolean_where_a_number_belongs_is_an_error(tmp_path, text, path):
    queue = "\n".join(
        f"    {line}"
        for line in (
            "arrivals: {rate: 3/h}",
            "service: {dist: exponential, mean: 3m}",
            "staff: 1",
            "on_unresolved: {email: 0.5}",
            "resolution: 0.8",
        )
        if line.split(":")[0] != text.split(":")[0]
    )
    body = (
        f"name: b\nstart: 2026-01-05T00:00\nduration: 1d\nqueues:\n  chat:\n{queue}\n    {text}\n"
    )
    body += "  email: {staff: 1, service: {dist: constant, value: 60}}\n"
    with pytest.raises(sim.ScenarioError) as info:
        _load_text(tmp_path, body)
    assert [p for p, _ in info.value.problems] == [path]
    assert "true/false" in str(info.value)
    assert str(info.value).endswith("give a number (or quote the text)")


@pytest.mark.parametrize(
    ("text", "path", "advice"),
    [
        # Both were told to "give a number": a bot is a mapping of fields, closed a choice.
        ("bot: yes", "queues.chat.bot", "give a mapping of fields"),
        ("retry: on", "queues.chat.retry", "give a mapping of fields"),
        ("closed: no", "queues.chat.closed", "give one of 'wait', 'lost', 'route'"),
    ],
)
def test_a_boolean_where_fields_or_a_choice_belong_says_what_the_field_takes(
    tmp_path, text, path, advice
):
    body = (
        "name: b\nstart: 2026-01-05T00:00\nduration: 1d\nqueues:\n  chat:\n"
        "    arrivals: {rate: 3/h}\n    service: {dist: exponential, mean: 3m}\n"
        f"    staff: 1\n    {text}\n"
    )
    with pytest.raises(sim.ScenarioError) as info:
        _load_text(tmp_path, body)
    assert [p for p, _ in info.value.problems] == [path]
    assert str(info.value).endswith(f"as booleans; {advice}")


@pytest.mark.parametrize(
    ("field", "value"),
    [("hours", "10:00-11:00"), ("days", "weekdays"), ("ratio_to", {"metric": "occupancy"})],
)
def test_an_agent_time_target_names_the_field_it_cannot_take(field, value):
    # The error named "targets.0.utilization", a field that does not exist.
    target = {"queue": "chat", "metric": "utilization", "value": 0.5, "tolerance": 0.1}
    data = _mutated(lambda d: d.update(targets=[{**target, field: value}]))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    assert [p for p, _ in info.value.problems] == [f"targets.0.{field}"]
    assert "utilization: takes no days, hours or ratio_to" in str(info.value)


@pytest.mark.parametrize(
    ("path", "high"),
    [
        ("queues.chat.retry.probability", 1.0),
        ("queues.chat.parallel.email", 1.0),
        ("queues.chat.on_abandon.email.share", 1.0),
        ("queues.chat.bot.resolution", 1.0),
        ("queues.chat.resolution", 1.0),
    ],
)
def test_a_free_probability_is_searched_within_0_and_1(path, high):
    # retry.probability 0.4 was searched up to 1.6: calibrate stopped half-way with
    # "Input should be less than or equal to 1" once the search tried a value past 1.
    from sim.parameters import free_parameter

    chat = {
        "retry": {"probability": 0.4, "after": {"dist": "constant", "value": "5m"}},
        "parallel": {"email": 0.3},
        "on_abandon": {"email": {"share": 0.5, "after": {"dist": "constant", "value": "1h"}}},
        "bot": {"resolution": 0.3},
        "patience": {"dist": "exponential", "mean": "5m"},
    }
    data = _mutated(lambda d: _chat(d).update(chat))
    parameter = free_parameter(path, data)
    assert (parameter.low, parameter.high) == (0.0, high)


def test_a_free_shrinkage_stays_below_1():
    from sim.parameters import free_parameter

    parameter = free_parameter(
        "queues.chat.shrinkage", _mutated(lambda d: _chat(d).update(shrinkage=0.3))
    )
    assert parameter.low == 0.0
    assert parameter.high < 1.0


def test_numpy_numbers_are_numbers_for_rates_and_durations():
    # A notebook sweeping np.arange(...) values: np.int64(5) was "cannot read
    # np.int64(5) as a rate" (and a duration), while np.float64 was accepted.
    import numpy as np

    def with_numpy(d: dict[str, Any]) -> None:
        _chat(d)["arrivals"]["rate"] = np.int64(30)
        _chat(d)["service"] = {"dist": "exponential", "mean": np.int64(180)}
        d["warmup"] = np.int32(600)

    numpy = sim.from_dict(_mutated(with_numpy))
    plain = sim.from_dict(_mutated(lambda d: d.update(warmup=600)))
    assert numpy == plain


def test_a_dated_peak_with_days_is_an_error_not_every_day():
    # {dated November, days: weekends} doubled every day of November: days was ignored.
    peak = {"start": "2026-01-05T00:00", "end": "2026-01-19T00:00", "multiplier": 2}
    data = _mutated(lambda d: _chat(d)["arrivals"].update(peaks=[{**peak, "days": "weekends"}]))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    assert [p for p, _ in info.value.problems] == ["queues.chat.arrivals.peaks.0.days"]
    every_day = _mutated(lambda d: _chat(d)["arrivals"].update(peaks=[{**peak, "days": "all"}]))
    assert sim.from_dict(every_day).queues["chat"].arrivals.peaks[0].days == ("all",)


@pytest.mark.parametrize("written", ["90", "1e3", " 45 "])
def test_a_free_parameter_written_as_a_number_in_text_is_a_number(written):
    # The loader reads "90" as 90 seconds, but --free refused it: "cannot read '90'".
    from sim.parameters import free_parameter

    data = _mutated(lambda d: _chat(d).update(patience={"dist": "exponential", "mean": written}))
    parameter = free_parameter("queues.chat.patience.mean", data)
    assert (parameter.start, parameter.unit) == (float(written), "")


@pytest.mark.parametrize("name", ["chat.", "order..chat"])
def test_a_queue_name_with_an_empty_dotted_part_is_an_error(name):
    # Accepted, but no --set, --vary or --free path could reach it ("queues.chat..staff"
    # is refused as a path with an empty part).
    data = _mutated(lambda d: d["queues"].update({name: copy.deepcopy(d["queues"]["email"])}))
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data)
    assert [p for p, _ in info.value.problems] == [f"queues.{name}"]


# Every number of a scenario that uses most fields, for the numpy-boolean test below.
_NUMBERS: dict[str, Any] = {
    "name": "numbers",
    "start": "2026-01-05T00:00",
    "duration": 86400,
    "warmup": 3600,
    "seed": 1,
    "replications": 3,
    "max_hops": 5,
    "service_level_threshold": 60,
    "queues": {
        "chat": {
            "arrivals": {
                "rate": 30,
                "weekdays": [1, 1, 1, 1, 1, 2, 1],
                "peaks": [{"start": "20:00", "end": "22:00", "multiplier": 2}],
            },
            "staff": [{"start": "08:00", "end": "20:00", "agents": 2}],
            "shrinkage": 0.1,
            "priority": 1,
            "bot": {"when": "unstaffed", "resolution": 0.3},
            "service": {"dist": "gamma", "mean": 180, "cv": 1},
            "patience": {"dist": "exponential", "mean": 300},
            "retry": {"probability": 0.2, "after": {"dist": "constant", "value": 60}},
            "resolution": 0.8,
            "visibility": 0.9,
            "overflow": {"threshold": 4},
            "concurrency": {"max": 2, "slowdown": 0.25},
            "on_unresolved": {"email": 0.5},
            "on_abandon": {
                "email": {"share": 0.5, "after": {"dist": "uniform", "low": 1, "high": 9}}
            },
            "on_overflow": {"email": 1.0},
            "on_not_visible": {"email": 1.0},
            "parallel": {"email": 0.1},
        },
        "email": {"staff": 1, "service": {"dist": "empirical", "values": [60, 120]}},
    },
    "teams": {"desk": {"staff": 1, "serves": ["chat"]}},
    "targets": [{"queue": "chat", "metric": "mean_wait", "value": 60, "tolerance": 6}],
}


def _number_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        numeric = isinstance(node, int | float) and not isinstance(node, bool)
        return [prefix.lstrip(".")] if numeric else []
    return [p for key, value in items for p in _number_paths(value, f"{prefix}.{key}")]


@pytest.mark.parametrize("value", [np.True_, np.False_, np.array(True)], ids=repr)
def test_a_numpy_boolean_where_a_number_belongs_is_an_error(value):
    # The Python API takes numpy values (a notebook's np.int64 counts); numpy's booleans
    # are not Python bools, and pydantic read np.True_ as 1 (agents: np.True_, one agent).
    # Now each is refused as the Python boolean is, naming the field.
    sim.from_dict(_NUMBERS)  # valid as it stands
    paths = _number_paths(_NUMBERS)
    assert len(paths) > 30

    def problems(path: str, new: Any) -> list[tuple[str, str]]:
        data = copy.deepcopy(_NUMBERS)
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = new
        with pytest.raises(sim.ScenarioError) as info:
            sim.from_dict(data)
        return info.value.problems

    for path in paths:
        found = problems(path, value)
        assert found == problems(path, bool(value))
        # The field itself, or (a target's value, checked with its metric) its entry.
        assert len(found) == 1
        assert f"{path}.".startswith(f"{found[0][0]}."), found


# Bad overrides, and the reason each gives after the option's name ("--set: no item 5").
LIVESTREAM = Path(__file__).resolve().parents[1] / "scenarios" / "livestream_promo_peak.yaml"
BAD_OVERRIDES = {
    "queues.live_peak.staff.5.agents=1": ": no item 5 in this list",
    "queues.live_peak.staff.0.agents.x=1": " cannot set a field here",
    "queues.nope.staff.x=2": ": no queue 'nope'",
    "include.x=1": ": included files are joined before overrides apply",
}


@pytest.mark.parametrize(("text", "reason"), BAD_OVERRIDES.items())
def test_a_bad_override_names_the_option_it_came_by(capsys, text, reason):
    # Python callers of sim.load(overrides=...) were told "--set", a flag they never gave.
    with pytest.raises(sim.ScenarioError, match=f"overrides{reason}") as loading:
        sim.load(LIVESTREAM, overrides=[text])
    assert "--" not in str(loading.value)
    assert sim.cli.main(["run", str(LIVESTREAM), "--set", text]) == 2
    assert f"--set{reason}" in capsys.readouterr().err


def test_a_bad_varied_path_names_vary_not_set(capsys):
    # sim sweep --vary queues.x.staff.0.agents.x=1,2 said "--set cannot set a field here".
    text = "queues.live_peak.staff.0.agents.x=1"
    with pytest.raises(sim.ScenarioError, match="vary cannot set a field here") as sweeping:
        sim.sweep(LIVESTREAM, [text])
    assert "--" not in str(sweeping.value)
    assert sim.cli.main(["sweep", str(LIVESTREAM), "--vary", text]) == 2
    assert "--vary cannot set a field here" in capsys.readouterr().err


def test_an_override_past_the_yaml_limits_is_refused_naming_its_field():
    deep = "[" * 40 + "]" * 40
    with pytest.raises(sim.ScenarioError) as refused:
        sim.from_dict(BASE, source="f.yaml", overrides=[f"name={deep}"])
    assert refused.value.problems == [
        ("name", "line 1, column 33: nested more than 32 levels deep")
    ]


def test_a_vary_value_past_the_yaml_limits_is_refused_naming_its_field(capsys):
    # A varied value past the limits was a bare ValueError ("cannot read value '[[[...':")
    # as text, and as data nested thousands deep a RecursionError; an override's value
    # past them is a ScenarioError naming its field, and so is a varied one.
    deep = "[" * 40 + "]" * 40
    path = "queues.live_peak.staff"
    with pytest.raises(sim.ScenarioError) as sweeping:
        sim.sweep(LIVESTREAM, [f"{path}=1,{deep}"])
    assert sweeping.value.source == "vary"
    assert sweeping.value.problems == [(path, "line 1, column 33: nested more than 32 levels deep")]
    deeper: list[object] = []
    for _ in range(10_000):
        deeper = [deeper]
    with pytest.raises(sim.ScenarioError) as sweeping:
        sim.sweep(LIVESTREAM, {path: [1, deeper]})
    assert sweeping.value.problems == [(path, "nested more than 32 levels deep")]
    # The command names its flag once, as for any other --vary it cannot read.
    with pytest.raises(SystemExit) as usage:  # argparse: a --vary it cannot read
        sim.cli.main(["sweep", str(LIVESTREAM), "--vary", f"{path}=1,{deep}"])
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert err.endswith(
        f"error: argument --vary: {path}: line 1, column 33: nested more than 32 levels deep\n"
    )
    assert "Traceback" not in err
