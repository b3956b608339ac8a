"""Composition (``include:``) on careless and hostile input: each case a defect once found.

The including file's problems must name the places its user reads, an included file's
meaning must not change silently in the join, and a hostile include block must cost
little. The shapes of the join itself are in ``test_compose.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import sim
from sim import cli

# One small valid channel file; including files are built around it.
CHANNEL: dict[str, Any] = {
    "name": "channel",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "queues": {
        "chat": {
            "arrivals": {"rate": "20/h"},
            "staff": 2,
            "service": {"dist": "exponential", "mean": "4m"},
            "on_unresolved": {"email": 1.0},
            "resolution": 0.8,
        },
        "email": {"staff": 1, "service": {"dist": "gamma", "mean": "10m", "cv": 1}},
    },
    "targets": [
        {"id": "wait", "queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "50%"}
    ],
}
TOP = {"name": "top", "start": "2026-01-05T00:00", "duration": "1d"}


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path)
    assert info.value.source == str(path)
    return info.value.problems


def _target(queue: str, **fields: Any) -> dict[str, Any]:
    return {"queue": queue, "metric": "mean_wait", "value": "1m", "tolerance": "50%", **fields}


# -- the including file's own list entries keep their places ---------------------------


@pytest.fixture
def two(tmp_path: Path) -> dict[str, Any]:
    """An including file of the channel twice (two included targets, a.wait and b.wait)."""
    _write(tmp_path, "channel.yaml", CHANNEL)
    return {**TOP, "include": {"a": "channel.yaml", "b": "channel.yaml"}}


def test_a_problem_in_the_including_files_target_names_its_place_in_that_file(tmp_path, two):
    # The includer's targets follow the two included ones in the join: its targets.1
    # was reported as targets.3, a place its file does not have.
    own = [_target("a.chat", id="mine"), _target("a.chta")]
    path = _write(tmp_path, "top.yaml", {**two, "targets": own})
    assert _problems(path) == [("targets.1.queue", "unknown queue 'a.chta'")]
    own[1] = _target("a.chat", metric="mean_wiat")
    wheres = [p for p, _ in _problems(_write(tmp_path, "top.yaml", {**two, "targets": own}))]
    assert "targets.1.metric" in wheres
    assert all(p.startswith("targets.1.") for p in wheres), wheres


def test_an_included_including_files_target_names_its_place_in_that_file(tmp_path, two):
    # The same, one level down: the middle file is checked alone as the join it makes.
    _write(tmp_path, "middle.yaml", {**two, "targets": [_target("a.chta")]})
    path = _write(tmp_path, "top.yaml", {**TOP, "include": {"m": "middle.yaml"}})
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path)
    assert info.value.source == str(tmp_path / "middle.yaml")
    assert info.value.problems == [("targets.0.queue", "unknown queue 'a.chta'")]


def test_a_duplicate_id_among_the_including_files_targets_names_both_places(tmp_path, two):
    own = [_target("a.chat", id="mine"), _target("b.chat", id="mine")]
    path = _write(tmp_path, "top.yaml", {**two, "targets": own})
    assert _problems(path) == [("targets.1.id", "'mine' is also targets.0")]


def test_a_problem_in_the_including_files_ledger_names_its_place(tmp_path, two):
    channel = {**CHANNEL, "calibrated": [{"field": "queues.chat.arrivals.rate", "to": ["wait"]}]}
    _write(tmp_path, "channel.yaml", channel)
    own = {
        "targets": [_target("a.chat", id="mine")],
        "calibrated": [{"field": "queues.a.chat.arrivals.rat", "to": ["mine"]}],
    }
    path = _write(tmp_path, "top.yaml", {**two, **own})
    reason = "no field 'queues.a.chat.arrivals.rat' in the scenario"
    assert _problems(path) == [("calibrated.0.field", reason)]


def test_the_including_files_ledger_names_targets_by_id_not_position(tmp_path, two):
    # Its paths are read in the join: its own first target's "targets.0.within" was
    # silently the first included target's, a wrong entry in the ledger.
    own = {
        "targets": [
            _target("a.chat", id="mine", within="1m", metric="service_level", value=0.8),
            _target("a.chat", restates=["targets.0.within"]),
        ],
        "calibrated": [{"field": ["targets.mine.within", "targets.0.within"], "to": ["mine"]}],
    }
    path = _write(tmp_path, "top.yaml", {**two, **own})
    assert [p for p, _ in _problems(path)] == ["calibrated.0.field", "targets.1.restates"]
    assert all(r.startswith("'targets.0.within': in a file with includes, name a target by its id")
               for _, r in _problems(path))  # fmt: skip


def test_an_id_of_an_included_target_is_not_taken_again(tmp_path, two):
    # It said "targets.2.id: 'a.wait' is also targets.0" (two places the file lacks); a
    # user may well mean to replace the included target, which a join does not do.
    path = _write(tmp_path, "top.yaml", {**two, "targets": [_target("a.chat", id="a.wait")]})
    [(where, reason)] = _problems(path)
    assert where == "targets.0.id"
    assert reason.startswith("'a.wait' is the id of an included target")


@pytest.mark.parametrize("command", ["run", "validate", "staff", "calibrate"])
def test_every_command_names_the_including_files_place(tmp_path, two, capsys, command, *, at_line):
    path = _write(tmp_path, "top.yaml", {**two, "targets": [_target("b.emial")]})
    extra = {
        "staff": ["--queue", "a.chat", "--target", "80% in 60s"],
        "calibrate": ["--free", "queues.a.chat.staff"],
    }
    assert cli.main([command, str(path), *extra.get(command, [])]) == 2
    err = capsys.readouterr().err
    where = at_line(path, "- queue: b.emial")
    assert err.strip() == f"error: {where}: targets.0.queue: unknown queue 'b.emial'"


# -- top-level fields of an included file that its queues depend on ---------------------


def _holiday_file(folder: Path) -> dict[str, Any]:
    """Including a file whose holiday shift and holiday arrivals need its holidays."""
    chat = CHANNEL["queues"]["chat"]
    holiday = {
        **CHANNEL,
        "duration": "3d",  # alone, its run covers its holidays (no warning of dates outside)
        "calendar": {"holidays": ["2026-01-06", "2026-01-07"]},
        "queues": {
            **CHANNEL["queues"],
            "chat": {
                **chat,
                "arrivals": {"rate": "20/h", "holiday_multiplier": 2},
                "staff": [{"start": "00:00", "end": "24:00", "agents": 2, "days": "holidays"},
                          {"start": "00:00", "end": "24:00", "agents": 4, "days": "workdays"}],
            },
        },
    }  # fmt: skip
    _write(folder, "holiday.yaml", holiday)
    return {**TOP, "duration": "3d", "include": {"h": "holiday.yaml"}}


def test_an_included_files_holidays_are_not_dropped_silently(tmp_path):
    # The join kept only the including file's calendar: the included holiday shift never
    # worked, the holiday arrivals never came, a holiday target had nothing to measure.
    top = _holiday_file(tmp_path)
    [(where, reason)] = _problems(_write(tmp_path, "top.yaml", top))
    assert where == "include.h"
    assert "holidays 2026-01-06, 2026-01-07 are not in this file's calendar.holidays" in reason


def test_an_included_files_holidays_kept_by_the_including_file_join(tmp_path):
    top = _holiday_file(tmp_path)
    # The including file's calendar may hold more (its own queues' holidays).
    calendar = {"holidays": ["2026-01-07", "2026-01-06", "2026-05-01"]}
    joined = sim.load(_write(tmp_path, "top.yaml", {**top, "calendar": calendar}))
    alone = sim.load(tmp_path / "holiday.yaml")
    assert set(alone.calendar.holidays) <= set(joined.calendar.holidays)
    assert joined.queues["h.chat"].staff == alone.queues["chat"].staff


def test_an_included_files_longer_paths_are_not_cut_silently(tmp_path):
    _write(tmp_path, "channel.yaml", {**CHANNEL, "max_hops": 20})
    top = {**TOP, "include": {"c": "channel.yaml"}}
    [(where, reason)] = _problems(_write(tmp_path, "top.yaml", top))
    assert where == "include.c"
    assert "make 20 hops, this file's max_hops is 10" in reason
    assert sim.load(_write(tmp_path, "top.yaml", {**top, "max_hops": 20})).max_hops == 20


# -- hostile include blocks cost one reading per file ------------------------------------


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files the loader reads, in order."""
    from sim import yamlfile

    seen: list[str] = []
    real = yamlfile.read_with_lines

    def counted(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(yamlfile, "read_with_lines", counted)
    return seen


def test_a_file_included_many_times_is_read_and_checked_once(tmp_path, reads):
    # It was read, joined and validated once per include: 10,000 prefixes of one file
    # took 15 s to be refused, 400 took 1.4 s to load.
    _write(tmp_path, "channel.yaml", CHANNEL)
    top = {**TOP, "include": {f"p{i}": "channel.yaml" for i in range(40)}}
    scenario = sim.load(_write(tmp_path, "top.yaml", top))
    assert len(scenario.queues) == 80
    assert reads == ["top.yaml", "channel.yaml"]


def test_a_diamond_of_includes_reads_each_file_once_and_stops_at_the_queue_limit(tmp_path, reads):
    # Each level includes the next twice: 2**12 copies of the channel's queues, an
    # include bomb. Each file is read once, and the join stops once past the limit.
    _write(tmp_path, "level12.yaml", CHANNEL)
    for k in range(12):
        level = {**TOP, "include": {"a": f"level{k + 1}.yaml", "b": f"level{k + 1}.yaml"}}
        _write(tmp_path, f"level{k}.yaml", level)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(tmp_path / "level0.yaml")
    [(where, reason)] = info.value.problems
    assert (where, reason) == (
        "include.b",
        "the join has more than 1,000 queues, a scenario's most",
    )
    assert len(reads) == len(set(reads))


def test_more_includes_than_a_scenario_has_queues_are_refused_unread(tmp_path, reads):
    _write(tmp_path, "channel.yaml", CHANNEL)
    top = {**TOP, "include": {f"p{i}": "channel.yaml" for i in range(10_000)}}
    [(where, reason)] = _problems(_write(tmp_path, "top.yaml", top))
    assert (where, reason) == ("include", "10,000 files; a scenario has at most 1,000 queues")
    assert reads == ["top.yaml"]


# -- names --------------------------------------------------------------------------------


def test_a_name_made_too_long_by_prefixes_says_so(tmp_path):
    # Cut to 64 characters it read "'...level_3.emai' is not a valid name": another name,
    # and a rule of letters and dots it kept.
    _write(tmp_path, "level4.yaml", CHANNEL)
    for k in range(4):
        level = {**TOP, "include": {f"level_{k}_" + "x" * 8: f"level{k + 1}.yaml"}}
        _write(tmp_path, f"level{k}.yaml", level)
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(tmp_path / "level0.yaml")
    assert info.value.source == str(tmp_path / "level0.yaml")  # its prefix made it long
    assert [p for p, _ in info.value.problems] == [
        "queues.level_0_xxxxxxxx.level_1_xxxxxxxx.level_2_xxxxxxxx.level_3_xxxxxxxx.chat",
        "queues.level_0_xxxxxxxx.level_1_xxxxxxxx.level_2_xxxxxxxx.level_3_xxxxxxxx.email",
    ]
    for where, reason in info.value.problems:
        name = where.removeprefix("queues.")
        assert reason == (
            f"{name[:64]!r}... has {len(name)} characters, more than 64 "
            "(an included name counts its include prefixes)"
        )


@pytest.mark.parametrize(
    ("prefix", "where", "read"),
    [("1", "1", "a number"), ("true", "true", "true/false"), ("2026-01-01", "2026-01-01", "a date"),
     ("null", "null", "null")],
)  # fmt: skip
def test_a_prefix_yaml_reads_as_no_text_says_to_quote_it(tmp_path, prefix, where, read):
    # "include.1: a prefix is letters, digits, '_' or '-'" of the digit 1, "include.True"
    # of true: the rule it seemed to keep, and a name the file does not have.
    _write(tmp_path, "channel.yaml", CHANNEL)
    text = yaml.safe_dump(TOP) + f"include:\n  {prefix}: channel.yaml\n"
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    [(field, reason)] = _problems(path)
    assert field == f"include.{where}"
    assert reason.endswith(f"; YAML reads this one as {read}: quote it")
    quoted = text.replace(f"  {prefix}:", f"  '{prefix}':")
    if prefix != "2026-01-01":  # a valid prefix once quoted
        path.write_text(quoted, encoding="utf-8")
        assert f"{prefix}.chat" in sim.load(path).queues


def test_a_prefix_outside_the_ascii_rule_names_the_rule(tmp_path):
    _write(tmp_path, "channel.yaml", CHANNEL)
    path = _write(tmp_path, "top.yaml", {**TOP, "include": {"客服": "channel.yaml"}})
    assert _problems(path) == [
        ("include.客服", "a prefix is ASCII letters, digits, '_' and '-' (not first), no dots")
    ]


# -- included paths -------------------------------------------------------------------------


def test_an_included_folder_is_called_a_folder(tmp_path):
    # It said "no such file" of a folder that is there.
    (tmp_path / "channels").mkdir()
    path = _write(tmp_path, "top.yaml", {**TOP, "include": {"c": "channels"}})
    reason = f"a folder, not a scenario file: {tmp_path / 'channels'}"
    assert _problems(path) == [("include.c", reason)]


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("x" * 5000 + ".yaml", "cannot use this path (File name too long): "),
        ("/".join(["x" * 200] * 30), "cannot use this path (File name too long): "),
        ("a\nb\x00.yaml", "no such file: '"),
    ],
)
def test_an_included_path_the_system_refuses_is_one_line(
    tmp_path, capsys, relative, reason, *, at_line
):
    # A name too long for the system was a traceback (OSError from is_file) and exit 1.
    path = _write(tmp_path, "top.yaml", {**TOP, "include": {"c": relative}})
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {at_line(path, '  c: ')}: include.c: {reason}")
    assert err.count("\n") == 1
    assert "\x00" not in err


def test_includes_of_a_large_file_stop_at_the_size_limit_before_the_join(
    tmp_path, reads, monkeypatch
):
    # Read once, the file was still copied into the join once per include before the
    # size limit was checked: 200 includes of a 1.8 MB file ran past two minutes.
    from sim import compose, yamlfile

    monkeypatch.setattr(yamlfile, "MAX_NODES", 500)  # the channel file has about 50
    monkeypatch.setattr(compose, "combine", lambda *a: pytest.fail("the join was built"))
    _write(tmp_path, "channel.yaml", CHANNEL)
    top = {**TOP, "include": {f"p{i}": "channel.yaml" for i in range(40)}}
    [(where, reason)] = _problems(_write(tmp_path, "top.yaml", top))
    assert where.startswith("include.p")
    assert reason == "the join has more than 500 values, a scenario's most"
    assert reads == ["top.yaml", "channel.yaml"]


def test_an_included_ledger_naming_a_top_level_field_is_a_problem_of_the_join(tmp_path):
    # It said "channel.yaml: service_level_threshold: ...": a file valid alone, and a
    # field path that was the ledger's value, not a place in the file.
    ledger = [{"field": "service_level_threshold", "to": ["wait"]}]
    channel = {**CHANNEL, "service_level_threshold": "30s", "calibrated": ledger}
    included = _write(tmp_path, "channel.yaml", channel)
    sim.load(included)  # valid alone
    path = _write(tmp_path, "top.yaml", {**TOP, "include": {"c": "channel.yaml"}})
    [(where, reason)] = _problems(path)
    assert where == "include.c"
    assert reason.startswith(f"{included}: its ledger names 'service_level_threshold'")


def _chain(folder: Path, levels: int) -> Path:
    """level0 includes level1 ... includes a one-queue file: ``levels`` prefixes deep."""
    service = CHANNEL["queues"]["chat"]["service"]
    queue = {"arrivals": {"rate": "5/h"}, "staff": 1, "service": service}
    _write(folder, f"level{levels}.yaml", {**TOP, "queues": {"q": queue}})
    for k in range(levels):
        _write(folder, f"level{k}.yaml", {**TOP, "include": {"p": f"level{k + 1}.yaml"}})
    return folder / "level0.yaml"


def test_includes_nested_past_what_names_allow_are_refused_not_a_recursion_error(tmp_path):
    # 1,500 files each including the next was a RecursionError traceback, exit 1.
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(_chain(tmp_path, 1500))
    assert info.value.source == str(tmp_path / "level31.yaml")
    [(where, reason)] = info.value.problems
    assert where == "include.p"
    assert reason.startswith("includes nested more than 32 deep")


def test_includes_nested_as_deep_as_names_allow_load(tmp_path):
    # 31 prefixes and a dot each, and a one-letter queue: 63 characters, a valid name.
    assert list(sim.load(_chain(tmp_path, 31)).queues) == ["p." * 31 + "q"]


def test_a_problem_set_by_position_keeps_the_position_set(tmp_path, two):
    # --set takes the join's positions: its problem is named as it was set.
    path = _write(tmp_path, "top.yaml", {**two, "targets": [_target("a.chat")]})
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path, ["targets.2.queue=a.chta"])
    assert info.value.problems == [("targets.2.queue", "unknown queue 'a.chta'")]


# -- overrides ----------------------------------------------------------------------------


def test_an_override_of_no_included_queue_lists_that_files_queues(tmp_path, two):
    # Without a close name it said only "no queue of that name in the file included as
    # 'a'": which names it has, the user had to look up in another file.
    path = _write(tmp_path, "top.yaml", {**two, "queues": {"a.xyz": {"staff": 3}}})
    assert _problems(path) == [
        (
            "queues.a.xyz",
            "no queue of that name in the file included as 'a'; it has: a.chat, a.email",
        )
    ]
    path = _write(tmp_path, "top.yaml", {**two, "teams": {"b.desk": {"staff": 3}}})
    assert _problems(path) == [
        ("teams.b.desk", "no team of that name in the file included as 'b'; it has: none")
    ]


def test_an_including_files_lower_max_hops_is_its_own_where_no_file_sets_one(tmp_path):
    # The default says nothing about an included file's paths: no conflict to report.
    _write(tmp_path, "channel.yaml", CHANNEL)
    top = {**TOP, "include": {"c": "channel.yaml"}, "max_hops": 4}
    assert sim.load(_write(tmp_path, "top.yaml", top)).max_hops == 4


def test_an_included_broken_or_looping_link_is_called_one(tmp_path):
    # It said "no such file" of a name that is there, a link.
    (tmp_path / "gone.yaml").symlink_to("nowhere.yaml")
    (tmp_path / "ping.yaml").symlink_to("pong.yaml")
    (tmp_path / "pong.yaml").symlink_to("ping.yaml")
    for name in ("gone.yaml", "ping.yaml"):
        path = _write(tmp_path, "top.yaml", {**TOP, "include": {"c": name}})
        reason = f"a symbolic link to no file (broken, or a loop): {tmp_path / name}"
        assert _problems(path) == [("include.c", reason)]


# -- symbolic links: an included file's includes are its own folder's ----------------------


def _linked(tmp_path: Path) -> Path:
    """a/platform.yaml includes b/link.yaml and d/link.yaml, both links to c/real.yaml.

    c/real.yaml includes sub.yaml: c/sub.yaml is the channel; b/ and d/ hold a sub.yaml
    of another queue, which a link's own folder would give.
    """
    for name in "abcd":
        (tmp_path / name).mkdir()
    _write(tmp_path / "c", "real.yaml", {**TOP, "name": "real", "include": {"s": "sub.yaml"}})
    _write(tmp_path / "c", "sub.yaml", CHANNEL)
    queue = {"arrivals": {"rate": "1/h"}, "staff": 1, "service": {"dist": "constant", "value": 60}}
    other = {**CHANNEL, "queues": {"other": queue}, "targets": []}
    for name in "bd":
        _write(tmp_path / name, "sub.yaml", other)
    (tmp_path / "b" / "link.yaml").symlink_to(Path("..") / "c" / "real.yaml")
    (tmp_path / "d" / "link.yaml").symlink_to(tmp_path / "c" / "real.yaml")  # absolute
    top = {**TOP, "include": {"x": "../b/link.yaml", "y": "../d/link.yaml"}}
    return _write(tmp_path / "a", "platform.yaml", top)


def test_a_linked_file_includes_from_its_targets_folder(tmp_path):
    # b/sub.yaml was read for both links (the first link's folder; the second reused
    # the reading of the same resolved file): the queue of another file.
    scenario = sim.load(_linked(tmp_path))
    assert list(scenario.queues) == ["x.s.chat", "x.s.email", "y.s.chat", "y.s.email"]


def test_a_linked_scenario_file_includes_from_its_targets_folder(tmp_path):
    _linked(tmp_path)
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "top.yaml").symlink_to(tmp_path / "c" / "real.yaml")
    assert list(sim.load(tmp_path / "e" / "top.yaml").queues) == ["s.chat", "s.email"]


def test_messages_name_the_linked_file_itself(tmp_path):
    top = _linked(tmp_path)
    real = (tmp_path / "c" / "real.yaml").resolve()
    # A problem inside the linked file: named as the file it is, not the link.
    _write(tmp_path / "c", "real.yaml", {**TOP, "include": {"s": "sub.yaml"}, "warmup": "soon"})
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(top)
    assert info.value.source == str(real)
    assert [field for field, _ in info.value.problems] == ["warmup"]
    # A file it includes that is missing: looked for, and named, beside it.
    _write(tmp_path / "c", "real.yaml", {**TOP, "include": {"s": "nope.yaml"}})
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(top)
    assert info.value.source == str(real)
    assert info.value.problems == [("include.s", f"no such file: {real.parent / 'nope.yaml'}")]


def test_a_link_and_its_target_are_one_file_in_a_cycle(tmp_path):
    top = _linked(tmp_path)
    _write(tmp_path / "c", "real.yaml", {**TOP, "include": {"back": "../b/link.yaml"}})
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(top)
    assert info.value.source == str((tmp_path / "c" / "real.yaml").resolve())
    assert info.value.problems == [
        ("include.back", "include cycle: platform.yaml -> real.yaml -> real.yaml")
    ]


def test_includes_of_data_with_a_source_too_long_for_a_file_name_are_read_from_here(
    tmp_path, monkeypatch
):
    # A source label too long to be a file name made Path.is_file raise OSError: it is
    # no file, so the included paths are relative to the working folder.
    (tmp_path / "part.yaml").write_text(yaml.safe_dump(CHANNEL))
    monkeypatch.chdir(tmp_path)
    label = "x" * 5000
    joined = sim.from_dict({**TOP, "include": {"a": "part.yaml"}}, source=label)
    assert list(joined.queues) == ["a.chat", "a.email"]
    with pytest.raises(sim.ScenarioError) as missing:
        sim.from_dict({**TOP, "include": {"a": "gone.yaml"}}, source=label)
    assert missing.value.problems == [("include.a", f"no such file: {tmp_path / 'gone.yaml'}")]


@pytest.mark.parametrize(
    ("fields", "path", "reason"),
    [
        ({"include": []}, "include", "expected a mapping {prefix: file.yaml, ...}"),
        ({"include": "part.yaml"}, "include", "expected a mapping {prefix: file.yaml, ...}"),
        ({"include": {"a": 5}}, "include.a", "expected a file path"),
        ({"include": {"a": " "}}, "include.a", "expected a file path"),
        # The including file's own fields, unreadable, are said by validation at them.
        ({"calendar": "x"}, "calendar", "expected a mapping of fields (holidays), got 'x'"),
        ({"service_level_threshold": "soon"}, "service_level_threshold", "cannot read 'soon'"),
        ({"targets": [5]}, "targets.0", "expected a mapping of fields ("),
    ],
)
def test_a_bad_include_block_or_field_beside_it_names_its_place(tmp_path, fields, path, reason):
    (tmp_path / "part.yaml").write_text(yaml.safe_dump(CHANNEL))
    top = tmp_path / "top.yaml"
    top.write_text(yaml.safe_dump({**TOP, "include": {"a": "part.yaml"}, **fields}))
    with pytest.raises(sim.ScenarioError) as refused:
        sim.load(top)
    ((where, why),) = refused.value.problems
    assert (where, refused.value.source) == (path, str(top))
    assert why.startswith(reason)
