"""Scenario composition: included files namespaced, joined, overridden; dotted names in paths.

An including file's queues, routes, targets and ledger must come out as one flat
scenario whose every name points at the right (namespaced) queue; overrides merge into
included queues; every error names the file it is in and the field, and exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import sim
from sim import cli, paths
from sim.experiments import sweep
from sim.loader import apply_overrides, read_scenario
from sim.validate.ledger import keeps_ledger, roles

CHANNEL: dict[str, Any] = {
    "name": "channel",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "seed": 3,
    "replications": 2,
    "queues": {
        "chat": {
            "arrivals": {"rate": "20/h"},
            "staff": 2,
            "service": {"dist": "exponential", "mean": "4m"},
            "patience": {"dist": "exponential", "mean": "5m"},
            "resolution": 0.8,
            "on_unresolved": {"email": 0.5},
            "on_abandon": {"email": 1.0},
        },
        "email": {"staff": 1, "service": {"dist": "gamma", "mean": "10m", "cv": 1}},
    },
    "targets": [
        {"id": "wait", "queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "50%"},
        {"id": "mix", "queue": {"chat": 0.5, "email": 0.5}, "metric": "mean_wait",
         "value": "5m", "tolerance": "100%"},
        {"queue": "chat", "metric": "e2e_reach_rate", "scope": ["email"],
         "ratio_to": {"queue": ["chat"], "metric": "e2e_answer_rate", "scope": ["chat"]},
         "value": 0.3, "tolerance": 0.3},
        {"id": "fcr", "queue": "chat", "metric": "resolution_rate", "value": 0.7,
         "tolerance": 0.2, "restates": "queues.chat.resolution"},
    ],
    "calibrated": [{"field": ["queues.chat.arrivals.rate", "targets.2.value"], "to": ["wait"]}],
}  # fmt: skip


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """Two copies of the channel file included by a platform in another folder."""
    (tmp_path / "channels").mkdir()
    _write(tmp_path / "channels", "channel.yaml", CHANNEL)
    platform = {
        "name": "platform",
        "start": "2026-01-12T00:00",
        "duration": "2d",
        "seed": 9,
        "include": {"a": "channels/channel.yaml", "b": "channels/channel.yaml"},
        "queues": {
            "a.chat": {"staff": 3, "on_unresolved": {"a.email": None, "shared": 0.5}},
            # Without a patience nobody abandons: its on_abandon route goes too.
            "b.chat": {"service": {"mean": "6m"}, "patience": None, "on_abandon": None},
            "shared": {"staff": 1, "service": {"dist": "constant", "value": "5m"}},
        },
        "targets": [{"id": "own", "queue": "shared", "metric": "mean_wait", "value": "1m",
                     "tolerance": "100%"}],
    }  # fmt: skip
    return _write(tmp_path, "platform.yaml", platform)


def test_included_names_are_namespaced_everywhere(world):
    data = read_scenario(world)
    assert "include" not in data
    assert set(data["queues"]) == {"a.chat", "a.email", "b.chat", "b.email", "shared"}
    assert data["queues"]["b.chat"]["on_unresolved"] == {"b.email": 0.5}
    targets = data["targets"]
    ids = ["a.wait", "a.mix", None, "a.fcr", "b.wait", "b.mix", None, "b.fcr", "own"]
    assert [t.get("id") for t in targets] == ids
    assert targets[1]["queue"] == {"a.chat": 0.5, "a.email": 0.5}
    assert targets[2]["scope"] == ["a.email"]
    assert targets[2]["ratio_to"] == {
        "queue": ["a.chat"],
        "metric": "e2e_answer_rate",
        "scope": ["a.chat"],
    }
    assert targets[7]["restates"] == "queues.b.chat.resolution"
    # Ledger paths follow their targets: an index becomes the joined scenario's index.
    assert data["calibrated"][0] == {
        "field": ["queues.a.chat.arrivals.rate", "targets.2.value"],
        "to": ["a.wait"],
    }
    assert data["calibrated"][1]["field"] == ["queues.b.chat.arrivals.rate", "targets.6.value"]
    assert data["calibrated"][1]["to"] == ["b.wait"]


def test_overrides_merge_into_included_queues_and_top_level_is_the_includers(world):
    scenario = sim.load(world)
    assert (scenario.name, scenario.seed, scenario.duration) == ("platform", 9, 2 * 86400.0)
    assert scenario.replications == 10  # the default: included files' fields do not carry
    a, b = scenario.queues["a.chat"], scenario.queues["b.chat"]
    assert a.staff == 3
    assert a.on_unresolved == {"shared": 0.5}  # null removed a.email, shared added
    assert a.on_abandon == {"a.email": 1.0}
    assert b.service.mean == 360.0  # merged: same dist, new mean
    assert b.service.dist == "exponential"
    assert b.patience is None
    assert len(scenario.targets) == 9
    # The joined scenario runs, and the targets name its queues.
    rows = sim.validate.validate(scenario, replications=1)
    assert [r.role for r in rows[:4]] == ["fit", "check", "check", "input"]


def test_a_distribution_of_another_kind_and_a_staff_block_replace(tmp_path):
    _write(tmp_path, "channel.yaml", CHANNEL)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
        "queues": {
            "c.chat": {
                "service": {"dist": "constant", "value": "3m"},
                "staff": {"business_hours": {"agents": 2}},
            }
        },
    }
    scenario = sim.load(_write(tmp_path, "p.yaml", platform))
    chat = scenario.queues["c.chat"]
    assert chat.service == sim.Constant(value=180.0)
    assert [(s.start, s.end, s.agents) for s in chat.staff] == [(9 * 3600.0, 18 * 3600.0, 2)]


def test_nested_includes_stack_prefixes(tmp_path):
    _write(tmp_path, "channel.yaml", CHANNEL)
    middle = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"x": "channel.yaml"},
    }
    _write(tmp_path, "middle.yaml", middle)
    top = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"m": "middle.yaml"},
    }
    scenario = sim.load(_write(tmp_path, "top.yaml", top))
    assert set(scenario.queues) == {"m.x.chat", "m.x.email"}
    assert scenario.queues["m.x.chat"].on_unresolved == {"m.x.email": 0.5}
    assert scenario.calibrated[0].to == ("m.x.wait",)  # fmt: skip


# -- errors --------------------------------------------------------------------------------


def _error(path: Path, capsys, *extra: str) -> str:
    assert cli.main(["run", str(path), "-n", "1", *extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_missing_included_file_and_cycle_are_clear_errors(tmp_path, capsys, at_line):
    base = {k: CHANNEL[k] for k in ("name", "start", "duration")}
    missing = _write(tmp_path, "missing.yaml", {**base, "include": {"x": "nowhere.yaml"}})
    expected = f"{at_line(missing, '  x: nowhere.yaml')}: include.x: no such file"
    assert expected in _error(missing, capsys)
    _write(tmp_path, "one.yaml", {**base, "include": {"two": "two.yaml"}})
    two = _write(tmp_path, "two.yaml", {**base, "include": {"one": "one.yaml"}})
    err = _error(two, capsys)
    assert "include cycle: two.yaml -> one.yaml -> two.yaml" in err
    bad_prefix = _write(tmp_path, "prefix.yaml", {**base, "include": {"a.b": "one.yaml"}})
    assert "include.a.b: a prefix is" in _error(bad_prefix, capsys)


def test_errors_inside_an_included_file_name_that_file_and_field(tmp_path, capsys, at_line):
    broken = {**CHANNEL, "queues": {**CHANNEL["queues"], "email": {"staff": 1, "servce": 1}}}
    included = _write(tmp_path, "broken.yaml", broken)
    base = {k: CHANNEL[k] for k in ("name", "start", "duration")}
    top = _write(tmp_path, "top.yaml", {**base, "include": {"x": "broken.yaml"}})
    err = _error(top, capsys)
    assert f"{at_line(included, '    servce:')}: queues.email.servce: unknown field" in err
    assert "top.yaml" not in err


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("queues", "abc", "expected a mapping"),
        ("queues", [1, 2], "expected a mapping"),
        ("teams", "abc", "expected a mapping"),
        ("targets", "abc", "expected a list"),
        ("targets", {"a": 1}, "expected a list"),
        ("calibrated", "abc", "expected a list"),
    ],
)
def test_an_including_files_joined_fields_of_the_wrong_kind_are_clear_errors(
    world, capsys, field, value, reason, *, at_line
):
    # Found by the mutation fuzzer (seed 20): a string under queues: was a traceback, and
    # one under targets: became one target per character.
    data = yaml.safe_load(world.read_text())
    data[field] = value
    _write(world.parent, "platform.yaml", data)
    err = _error(world, capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {at_line(world, f'{field}:')}: {field}: {reason}"), err


def test_an_override_of_an_included_queue_that_does_not_exist_is_an_error(world, capsys, at_line):
    data = yaml.safe_load(world.read_text())
    data["queues"]["a.chta"] = {"staff": 4}
    _write(world.parent, "platform.yaml", data)
    err = _error(world, capsys)
    where = at_line(world, "  a.chta:")
    assert f"{where}: queues.a.chta: no queue of that name in the file included as 'a'" in err
    assert "did you mean 'a.chat'" in err


def test_ledger_errors_name_the_field(tmp_path, capsys):
    def broken(change) -> Path:
        data = yaml.safe_load(yaml.safe_dump(CHANNEL))
        change(data)
        return _write(tmp_path, "ledger.yaml", data)

    path = broken(lambda d: d["calibrated"][0].update(to=["nope"]))
    assert "calibrated.0.to: no target with id 'nope'" in _error(path, capsys)
    path = broken(lambda d: d["calibrated"][0].update(field="queues.chat.arrivals.rat"))
    assert "calibrated.0.field: no field 'queues.chat.arrivals.rat'" in _error(path, capsys)
    path = broken(lambda d: d["calibrated"][0].update(to=["fcr"]))
    assert "target 'fcr' restates an input" in _error(path, capsys)
    path = broken(lambda d: d["targets"][1].update(id="wait"))
    assert "targets.1.id: 'wait' is also targets.0" in _error(path, capsys)


# -- dotted names in --set, --vary and --free -------------------------------------------------


def test_paths_match_the_longest_existing_key():
    data = {"queues": {"a": {"x": 1}, "a.b": {"staff": 2}, "a.b.c": {"staff": 3}}}
    assert paths.split(data, "queues.a.b.staff") == ["queues", "a.b", "staff"]
    assert paths.split(data, "queues.a.b.c.staff") == ["queues", "a.b.c", "staff"]
    assert paths.split(data, "queues.a.x") == ["queues", "a", "x"]
    assert paths.split(data, "queues.new.staff") == ["queues", "new", "staff"]
    targets = {"targets": [{"id": "p.wait"}, {"id": "p"}, {}]}
    assert paths.split(targets, "targets.p.wait.value") == ["targets", 0, "value"]
    assert paths.split(targets, "targets.p.value") == ["targets", 1, "value"]
    assert paths.split(targets, "targets.2.value") == ["targets", 2, "value"]
    assert paths.lookup(targets, "targets.q") == (False, targets["targets"])


def test_set_and_vary_reach_included_queues_and_targets(world, capsys):
    data = read_scenario(world)
    changed = apply_overrides(data, ["queues.a.chat.staff=5", "targets.b.wait.value=2m"])
    assert changed["queues"]["a.chat"]["staff"] == 5
    assert changed["targets"][4]["value"] == "2m"
    assert (
        cli.main(["run", str(world), "-n", "1", "--json", "--set", "queues.b.email.staff=4"]) == 0
    )
    capsys.readouterr()
    table = sweep(world, {"queues.a.chat.staff": [1, 4]}, replications=1, workers=1)
    chat = table[table["queue"] == "a.chat"]
    assert chat["mean_wait_s"].iloc[0] > chat["mean_wait_s"].iloc[1]
    with pytest.raises(
        sim.ScenarioError, match=r"queues\.a\.chta: vary: no queue 'a\.chta' \(queues: a\.chat"
    ):
        sweep(world, {"queues.a.chta.staff": [1]}, replications=1, workers=1)


def test_removing_an_included_queues_patience_leaves_no_abandon_route(tmp_path):
    # null removes the patience; the included on_abandon could then never be taken.
    _write(tmp_path, "channel.yaml", CHANNEL)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
        "queues": {"c.chat": {"patience": None}},
    }
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(_write(tmp_path, "p.yaml", platform))
    assert [p for p, _ in info.value.problems] == ["queues.c.chat.on_abandon"]


@pytest.mark.parametrize("value", [None, 3, "email"])
def test_an_included_queue_given_a_value_that_is_not_fields_says_so(tmp_path, value):
    # It said "no queue of that name in the file included as 'c'; did you mean 'c.email'?"
    # of the very queue c.email.
    _write(tmp_path, "channel.yaml", CHANNEL)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
        "queues": {"c.email": value},
    }
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(_write(tmp_path, "p.yaml", platform))
    assert [p for p, _ in info.value.problems] == ["queues.c.email"]
    assert "did you mean" not in str(info.value)
    assert "mapping of fields" in str(info.value)


def test_set_on_the_include_block_says_includes_are_joined_first(tmp_path):
    # It said "include: unknown field (allowed: calendar, ...)" of a field the file has.
    _write(tmp_path, "channel.yaml", CHANNEL)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
    }
    file = _write(tmp_path, "p.yaml", platform)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file, ["include.d=channel.yaml"])
    assert [p for p, _ in info.value.problems] == ["include.d"]
    assert "unknown field" not in str(info.value)
    assert "prefixed names" in str(info.value)


def test_an_included_service_level_target_keeps_its_files_threshold(tmp_path):
    # "80% answered within the file's 30 s" became "within the includer's 60 s": the
    # top-level threshold is the includer's, and the target silently changed meaning.
    channel = {
        **CHANNEL,
        "service_level_threshold": "30s",
        "targets": [
            {"queue": "chat", "metric": "service_level", "value": 0.8, "tolerance": 0.05},
            {"queue": "chat", "metric": "service_level", "value": 0.9, "tolerance": 0.05,
             "within": "2m"},
        ],
        "calibrated": [],
    }  # fmt: skip
    _write(tmp_path, "channel.yaml", channel)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
    }
    joined = sim.load(_write(tmp_path, "p.yaml", platform))
    assert joined.service_level_threshold == 60.0  # the includer's, as documented
    assert [t.within.seconds for t in joined.targets] == [30.0, 120.0]
    # The same threshold needs no pin: the target reads as it did.
    same = sim.load(_write(tmp_path, "q.yaml", {**platform, "service_level_threshold": 30}))
    assert same.targets[0].within is None


def test_a_joined_file_keeps_an_included_files_empty_ledger(tmp_path):
    # `calibrated: []` (nothing was fitted) in the included file alone was dropped by the
    # join: the joined scenario had no ledger, its targets no role, and it left `sim
    # validate`'s ledger table. A declared ledger, empty or not, carries over.
    channel = {**CHANNEL, "targets": CHANNEL["targets"][:3], "calibrated": []}
    _write(tmp_path, "channel.yaml", channel)
    platform = {
        **{k: CHANNEL[k] for k in ("name", "start", "duration")},
        "include": {"c": "channel.yaml"},
    }
    joined = sim.load(_write(tmp_path, "p.yaml", platform))
    assert keeps_ledger(joined)
    assert roles(joined) == ["check", "check", "check"]
    # A file that declares no ledger, included by one that declares none, keeps none.
    bare = {k: v for k, v in channel.items() if k != "calibrated"}
    _write(tmp_path, "channel.yaml", bare)
    assert roles(sim.load(tmp_path / "p.yaml")) == [None, None, None]
