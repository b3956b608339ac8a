"""Hostile and broken input: one clear line, exit code 2, nothing written, nothing run.

Each case of issue 13's list is here: files that attack the reader (alias bombs, deep
nesting, bad bytes), values the engine cannot run, absurd workloads, names that would
leave the output folder, outputs that cannot or must not be written, and bad
``--scheduler`` addresses. Commands run in-process through :func:`sim.cli.main`; a
monkeypatched engine proves that nothing was simulated when the input was refused.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import shlex
import socket
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import sim
import sim.runner
from sim import cluster
from sim.cli import main
from sim.errors import MAX_SHOWN
from sim.outputs import MANIFEST, OutputError, OutputPlan
from sim.results import RESULT_FILES
from sim.yamlfile import MAX_DEPTH

SMALL: dict[str, Any] = {
    "name": "hostile",
    "start": "2026-01-05T00:00",
    "duration": "6h",
    "seed": 3,
    "replications": 2,
    "queues": {
        "chat": {
            "arrivals": {"rate": "20/h"},
            "staff": [{"start": "00:00", "end": "12:00", "agents": 2}],
            "service": {"dist": "exponential", "mean": "3m"},
            "patience": {"dist": "exponential", "mean": "5m"},
            "resolution": 0.8,
            "on_unresolved": {"email": 1.0},
        },
        "email": {"staff": 1, "service": {"dist": "constant", "value": "5m"}},
    },
    "targets": [{"queue": "chat", "metric": "abandon_rate", "value": 0.1, "tolerance": 0.5}],
}


def _data(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def _file(tmp_path: Path, data: dict[str, Any] | str | bytes, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if anything is simulated (serial runs call the engine here)."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a simulation ran although the input was refused")

    monkeypatch.setattr(sim.runner, "simulate", refuse)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys, *argv: str, words: tuple[str, ...] = ()) -> str:
    """Run a command that must be refused; return its message."""
    code, out, err = _cli(capsys, *argv)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


# ------------------------------------------------------------------ the reader's limits


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\nname: bomb\n"


def test_nested_alias_bomb_is_refused_before_it_expands(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _alias_bomb())
    assert file.stat().st_size < 700  # 9^9 = 387 million values once expanded
    err = _refused(capsys, "run", str(file), "--out", str(tmp_path / "out"), words=("alias",))
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_alias_inside_its_own_anchor_is_refused(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, "name: x\nloop: &a [1, *a]\n")
    _refused(capsys, "run", str(file), words=("alias *a refers to a collection that contains it",))


def test_ordinary_aliases_still_work_and_are_copies(tmp_path):
    text = yaml.safe_dump(_data(), sort_keys=False).replace(
        "  email:\n    staff: 1\n", "  email:\n    staff: &one 1\n"
    )
    text += "calendar: {holidays: []}\n"
    scenario = sim.load(_file(tmp_path, text))
    assert scenario.queues["email"].staff == 1


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_1200_deep_is_refused(capsys, tmp_path, style, no_simulation):
    if style == "flow":
        text = "name: " + "[" * 1200 + "]" * 1200 + "\n"
    else:
        text = "name: x\nq:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 1200))
        text += "  " * 1200 + "v: 1\n"
    err = _refused(capsys, "run", str(_file(tmp_path, text)), words=("nest",))
    assert err.count("\n") == 1


def test_nesting_limit_through_the_python_api():
    deep: Any = 1
    for _ in range(1200):
        deep = [deep]
    with pytest.raises(sim.ScenarioError, match=f"nested more than {MAX_DEPTH} levels"):
        sim.from_dict(_data(extra=deep))


def test_8000_invalid_items_report_the_first_and_count_the_rest(capsys, tmp_path):
    file = _file(tmp_path, _data(calendar={"holidays": ["not a date"] * 8000}))
    err = _refused(capsys, "run", str(file), words=("calendar.holidays.0", "7,980 more problems"))
    assert err.count("\n") == MAX_SHOWN + 1
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(file)
    assert len(info.value.problems) == 8000  # all kept for the API, the first shown


def test_gbk_bytes_are_one_line_naming_the_byte_position(capsys, tmp_path, no_simulation):
    text = yaml.safe_dump(_data(), sort_keys=False).encode()
    comment = "# 直播客服: livestream desk\n".encode("gbk")
    file = _file(tmp_path, text + comment)
    with pytest.raises(UnicodeDecodeError) as bad:  # where UTF-8 reading first fails
        comment.decode("utf-8")
    where = f"byte position {len(text) + bad.value.start}"
    err = _refused(capsys, "run", str(file), words=("not UTF-8", where))
    assert err.count("\n") == 1
    assert str(file) in err


def test_utf8_with_a_bom_and_chinese_text_is_read(tmp_path):
    text = yaml.safe_dump(_data(name="直播客服"), sort_keys=False, allow_unicode=True)
    file = _file(tmp_path, b"\xef\xbb\xbf" + text.encode())
    assert sim.load(file).name == "直播客服"


def test_control_characters_and_big_files_are_one_line(capsys, tmp_path, monkeypatch):
    _refused(capsys, "run", str(_file(tmp_path, "name: a\x00b\n")), words=("#x0000",))
    monkeypatch.setattr("sim.yamlfile.MAX_FILE_BYTES", 100)
    _refused(capsys, "run", str(_file(tmp_path, "name: x\n" * 20)), words=("larger than",))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nseed: " + "9" * 5000 + "\n", ("line 2", "cannot read")),
        ("name: x\nstart: 0000-01-01\n", ("line 2", "year 0")),
    ],
)
def test_scalars_python_cannot_represent_are_one_line(capsys, tmp_path, text, words):
    _refused(capsys, "run", str(_file(tmp_path, text)), words=words)


# ------------------------------------------------------- values the engine cannot run


def _chat(**changes: Any) -> dict[str, Any]:
    data = _data()
    data["queues"]["chat"].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (_chat(service={"dist": "gamma", "mean": "3m", "cv": 1e-200}), "queues.chat.service.cv"),
        (
            _chat(service={"dist": "lognormal", "mean": "3m", "cv": 1e-200}),
            "queues.chat.service.cv",
        ),
        (_data(start="0001-01-01T00:00"), "start"),
        (_data(start="9999-12-01T00:00"), "start"),
        (_chat(arrivals={"rate": "20/h", "profile": [1] * 23 + [".inf"]}), "profile"),
        (_chat(arrivals={"rate": "20/h", "profile": [1e-300] * 24}), "profile"),
        (_chat(patience={"dist": "exponential", "mean": 1e300}), "queues.chat.patience.mean"),
        (_chat(resolution=float("nan")), "queues.chat.resolution"),
        (_data(max_hops=200), "max_hops"),
        (
            _chat(
                arrivals={
                    "rate": "20/h",
                    "peaks": [{"start": "01:00", "end": "02:00", "multiplier": 1e6}],
                }
            ),
            "multiplier",
        ),
        (_chat(arrivals={"rate": "20/h", "holiday_multiplier": ".nan"}), "holiday_multiplier"),
    ],
)
def test_values_the_engine_cannot_run_are_refused_at_load(capsys, tmp_path, data, path):
    text = yaml.safe_dump(data, sort_keys=False).replace("'.inf'", ".inf").replace("'.nan'", ".nan")
    err = _refused(capsys, "run", str(_file(tmp_path, text)), words=(path,))
    assert err.count("\n") == 1


def test_a_routing_cycle_stops_at_max_hops(tmp_path):
    data = _chat(resolution=0.0, on_unresolved={"chat": 1.0})
    data["max_hops"] = 100  # the most the hop column stores
    result = sim.simulate(sim.from_dict(data))
    assert int(result.hops["hop"].max()) == 99


def test_10_to_the_15_arrivals_are_refused_at_load_and_by_the_engine(capsys, tmp_path):
    peaks = [{"start": "00:00", "end": "24:00", "multiplier": 1000}] * 4
    data = _chat(arrivals={"rate": "1000/s", "peaks": peaks})
    _refused(capsys, "run", str(_file(tmp_path, data)), words=("queues.chat.arrivals", "arrivals"))
    # A scenario changed without the loader meets the same limit in the engine.
    base = sim.from_dict(_data())
    chat = base.queues["chat"]
    huge = chat.model_copy(update={"arrivals": chat.arrivals.model_copy(update={"rate": 1e11})})
    scenario = base.model_copy(update={"queues": {**base.queues, "chat": huge}})
    with pytest.raises(sim.ScenarioError, match="limit is 100,000,000"):
        sim.simulate(scenario)


# ----------------------------------------------------------------- absurd workloads


def test_a_million_replications_need_allow_large(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _data(replications=1_000_000))
    _refused(capsys, "run", str(file), words=("1,000,000 replications", "--allow-large"))
    _refused(capsys, "run", str(_file(tmp_path, _data())), "-n", "2000000", words=("at most",))


def test_1000_per_second_for_a_day_needs_allow_large(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _chat(arrivals={"rate": "1000/s"}), "fast.yaml")
    for command in (["run"], ["sweep", "--vary", "queues.chat.resolution=0.5,0.6"]):
        argv = [command[0], str(file), *command[1:], "--set", "duration=1d"]
        _refused(capsys, *argv, words=("contacts", "86,400,000", "--allow-large"))


def test_compare_validate_and_staff_check_the_workload_too(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _chat(arrivals={"rate": "1000/s"}), "fast.yaml")
    for argv in (
        ["compare", str(file), "--set", "queues.chat.resolution=0.5"],
        ["validate", str(file)],
        ["staff", str(file), "--queue", "chat", "--target", "80% in 60s"],
        ["calibrate", str(file), "--free", "queues.chat.resolution"],
        ["plot", str(file), "--out", str(tmp_path / "p.png")],
    ):
        _refused(capsys, *argv, words=("--allow-large",))
    assert list(tmp_path.iterdir()) == [file]


# ------------------------------------------------------------- names and output paths


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "x" * 65, "a\\b", ""])
def test_queue_names_are_identifiers(capsys, tmp_path, name, no_simulation):
    data = _data()
    data["queues"][name] = data["queues"].pop("email")
    data["queues"]["chat"]["on_unresolved"] = {name: 1.0}
    out = tmp_path / "out"
    _refused(capsys, "run", str(_file(tmp_path, data)), "--out", str(out), "--plots")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_a_name_starting_with_a_dash_is_refused_by_the_rule_it_breaks(
    capsys, tmp_path, no_simulation
):
    data = _data()
    data["queues"]["-x"] = data["queues"].pop("email")
    data["queues"]["chat"]["on_unresolved"] = {"-x": 1.0}
    _refused(capsys, "run", str(_file(tmp_path, data)), words=("not starting with '.' or '-'",))


def test_team_names_are_identifiers_too(capsys, tmp_path, no_simulation):
    data = _data(teams={"../desk": {"staff": 1, "serves": ["chat"]}})
    _refused(capsys, "run", str(_file(tmp_path, data)), words=("teams.../desk", "not a valid name"))


def test_names_with_dots_digits_and_chinese_are_accepted():
    data = _data()
    data["queues"]["platform.邮件-2"] = data["queues"].pop("email")
    data["queues"]["chat"]["on_unresolved"] = {"platform.邮件-2": 1.0}
    assert "platform.邮件-2" in sim.from_dict(data).queues


def test_file_names_derived_from_names_cannot_leave_the_folder(tmp_path):
    for name in ("../x.png", "a/x.png", "..", ""):
        with pytest.raises(OutputError, match="not a plain file name"):
            OutputPlan().folder(tmp_path / "out", [name])


def test_out_dot_never_overwrites_the_scenario(capsys, tmp_path, monkeypatch, no_simulation):
    monkeypatch.chdir(tmp_path)
    file = _file(tmp_path, _data(), "scenario.yaml")
    before = file.read_text()
    _refused(capsys, "run", "scenario.yaml", "--out", ".", words=("would overwrite the input",))
    assert file.read_text() == before


def test_sweep_out_never_writes_through_a_symlink(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _data())
    precious = tmp_path / "precious.csv"
    precious.write_text("keep me")
    link = tmp_path / "sweep.csv"
    link.symlink_to(precious)
    argv = ["sweep", str(file), "--vary", "queues.chat.resolution=0.5", "--out", str(link)]
    _refused(capsys, *argv, words=("symbolic link",))
    assert precious.read_text() == "keep me"
    # Nor can the table replace the scenario itself.
    argv[-1] = str(file)
    _refused(capsys, *argv, words=("would overwrite the input",))


def test_an_existing_file_as_out_folder_is_refused_before_running(capsys, tmp_path, no_simulation):
    file = _file(tmp_path, _data())
    taken = tmp_path / "results"
    taken.write_text("a file")
    _refused(capsys, "run", str(file), "--out", str(taken), words=("is a file",))
    assert taken.read_text() == "a file"


UNWRITABLE = "/proc/sim-cannot-write-here"
# /proc exists but refuses new files, saying "No such file or directory" (even to root).
PROC_REFUSES = (
    "cannot write in /proc: the folder takes no new files "
    "(the system said: No such file or directory)"
)
LOG = (
    "queue,arrive,answer,end,outcome\n"
    "chat,2026-01-05T09:00,2026-01-05T09:01,2026-01-05T09:05,answered\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "{file}", "--out", UNWRITABLE],
        ["run", "{file}", "--plots", "--out", UNWRITABLE],
        ["sweep", "{file}", "--vary", "queues.chat.resolution=0.5", "--out", f"{UNWRITABLE}/s.csv"],
        [
            "compare",
            "{file}",
            "--set",
            "queues.chat.resolution=0.5",
            "--out",
            f"{UNWRITABLE}/c.csv",
        ],
        [
            "staff",
            "{file}",
            "--queue",
            "chat",
            "--target",
            "80% in 60s",
            "--out",
            f"{UNWRITABLE}/s",
        ],
        [
            "calibrate",
            "{file}",
            "--free",
            "queues.chat.resolution",
            "--out",
            f"{UNWRITABLE}/f.yaml",
        ],
        ["plot", "{file}", "--out", f"{UNWRITABLE}/p.png"],
        ["run", "{file}", "--report", f"{UNWRITABLE}/r.html"],
        [
            "sweep",
            "{file}",
            "--vary",
            "queues.chat.resolution=0.5",
            "--report",
            f"{UNWRITABLE}/r.html",
        ],
        ["compare", "{file}", "{file}", "--report", f"{UNWRITABLE}/r.html"],
        [
            "staff",
            "{file}",
            "--queue",
            "chat",
            "--target",
            "80% in 60s",
            "--report",
            f"{UNWRITABLE}/r.html",
        ],
        ["validate", "{file}", "--report", f"{UNWRITABLE}/r.html"],
        ["fit", "{log}", "--out", f"{UNWRITABLE}/f.yaml"],
        ["fit", "{log}", "--out", "{tmp}/f.yaml", "--report", f"{UNWRITABLE}/r.html"],
        ["fit", "{log}", "--out", "{tmp}/f.yaml", "--report", f"{UNWRITABLE}/report"],
        ["report", "{tmp}", "--out", f"{UNWRITABLE}/r.html"],
    ],
)
def test_an_unwritable_place_is_refused_before_any_simulation(
    capsys, tmp_path, argv, no_simulation
):
    # Every output option says why in the same words; /proc's own "No such file or
    # directory" sent users looking for a missing folder.
    names = {"file": _file(tmp_path, _data()), "log": _file(tmp_path, LOG, "log.csv")}
    names["tmp"] = tmp_path
    err = _refused(capsys, *(a.format(**names) for a in argv))
    option, path = argv[-2:]
    assert err == f"error: {option} {path}: {PROC_REFUSES}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "s.yaml"]


@pytest.mark.parametrize(
    ("command", "written"),
    [
        ("run {file} -n 1 --out {out}/r", "{out}/r/summary.csv"),
        (
            "sweep {file} -n 1 --vary queues.chat.resolution=0.5 --out {out}/s.csv",
            "{out}/s.scenarios.yaml",
        ),
        ("compare {file} -n 1 --set queues.chat.resolution=0.5 --out {out}/c.csv", "{out}/c.csv"),
        (
            "staff {file} -n 1 --queue chat --target '80% in 60s' --rounds 1 --out {out}/s.yaml",
            "{out}/s.yaml",
        ),
        (
            "calibrate {file} -n 1 --free queues.chat.resolution --max-evaluations 3 "
            "--out {out}/f.yaml",
            "{out}/f.yaml",
        ),
    ],
)
def test_missing_parent_folders_are_created_by_every_command(capsys, tmp_path, command, written):
    file = _file(tmp_path, _data())
    out = tmp_path / "missing" / "parents"
    argv = shlex.split(command.format(file=file, out=out))
    code, _, err = _cli(capsys, *argv, "--workers", "1")
    assert code in (0, 1), err
    assert Path(written.format(out=out)).is_file()
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".") and p.name != MANIFEST]
    assert leftovers == []  # no temporary files (the record of a folder's files is sim's)


def test_run_out_plots_writes_tables_and_images_as_one_set(capsys, tmp_path):
    file = _file(tmp_path, _data())
    out = tmp_path / "out"
    code, _, err = _cli(
        capsys, "run", str(file), "-n", "1", "--workers", "1", "--out", str(out), "--plots"
    )
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir() if p.name != MANIFEST)
    assert {n for n in names if not n.endswith(".png")} == set(RESULT_FILES)
    images = [n for n in names if n.endswith(".png")]
    assert "wait_histogram_chat.png" in images
    assert all((out / n).read_bytes().startswith(b"\x89PNG") for n in images)
    assert not [n for n in names if n.startswith(".")]  # no temporary files left


def test_an_interrupted_save_leaves_nothing(capsys, tmp_path, monkeypatch):
    file = _file(tmp_path, _data())
    out = tmp_path / "out"

    def interrupted(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.Results, "_write_contacts", interrupted)
    code, stdout, err = _cli(
        capsys, "run", str(file), "-n", "1", "--workers", "1", "--out", str(out)
    )
    assert (code, stdout, err) == (130, "", "interrupted\n")
    assert not out.exists() or list(out.iterdir()) == []


# ------------------------------------------------------------------------ --scheduler


@pytest.mark.parametrize(
    "address", ["foo bar", "tcp://host:notaport", "tcp://:8786", "http://h:1", "h:99999", "tcp://h"]
)
def test_a_malformed_scheduler_address_is_one_line(capsys, tmp_path, address, no_simulation):
    file = _file(tmp_path, _data())
    err = _refused(capsys, "run", str(file), "--scheduler", address, words=("--scheduler",))
    assert err.count("\n") == 1


@pytest.fixture
def silent_endpoint():
    """A TCP port that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_silent_scheduler_does_not_hang(capsys, tmp_path, monkeypatch, silent_endpoint):
    monkeypatch.setattr(cluster, "HANDSHAKE_TIMEOUT", 0.5)
    file = _file(tmp_path, _data())
    err = _refused(
        capsys, "run", str(file), "--scheduler", silent_endpoint, words=("did not greet",)
    )
    assert err.count("\n") == 1


def test_a_refused_scheduler_port_is_one_line(capsys, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again when the block ends
    file = _file(tmp_path, _data())
    err = _refused(capsys, "run", str(file), "--scheduler", f"tcp://127.0.0.1:{port}")
    assert "cannot reach the Dask scheduler" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------- messages


def test_set_on_an_unknown_queue_names_the_queue(capsys, tmp_path):
    file = _file(tmp_path, _data())
    err = _refused(capsys, "run", str(file), "--set", "queues.nosuch.staff=3")
    assert "queues.nosuch: --set: no queue 'nosuch' (queues: chat, email)" in err
    assert "service" not in err
    argv = ["sweep", str(file), "--vary", "queues.nosuch.staff=1,2"]
    assert "no queue 'nosuch'" in _refused(capsys, *argv)


def test_set_on_an_unknown_team_names_the_team(capsys, tmp_path):
    data = _data()
    data["teams"] = {"desk": {"staff": 2, "serves": ["chat", "email"]}}
    file = _file(tmp_path, data)
    err = _refused(capsys, "run", str(file), "--set", "teams.deks.shrinkage=0.2")
    assert "teams.deks: --set: no team 'deks' (teams: desk)" in err
    argv = ["sweep", str(file), "--vary", "teams.dsk.staff=1,2"]
    assert "no team 'dsk'" in _refused(capsys, *argv)
    code, _, err = _cli(capsys, "run", str(file), "-n", "1", "--set", "teams.desk.shrinkage=0.2")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("override", "field", "items"),
    [
        ("targets.5.value=1", "targets.5", "items 0-0"),
        ("targets.-1.value=1", "targets.-1", "items 0-0"),
        ("targets.1=5", "targets.1", "items 0-0"),
        ("targets.0.scope.3=chat", "targets.0.scope.3", "items 0-1"),
    ],
)
def test_set_past_the_end_of_a_list_says_which_items_it_has(
    capsys, tmp_path, override, field, items
):
    data = _data()
    data["targets"] = [{"queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "50%",
                        "scope": ["chat", "email"]}]  # fmt: skip
    file = _file(tmp_path, data)
    err = _refused(capsys, "run", str(file), "--set", override)
    assert f"{field}: --set: no item {field.rsplit('.', 1)[1]} in this list (it has {items})" in err
    assert err.count("\n") == 1


SHORTHAND_ERRORS = {
    "business_hours field": (
        {"business_hours": {"opens": "09:00", "agents": 2}},
        "staff.business_hours.opens",
        "agents, close, days, open",
    ),
    "three_shift field": ({"three_shift": {"agent": 2}}, "staff.three_shift.agent", "agents, days"),
    "beside a shorthand": (
        {"business_hours": {"agents": 2}, "extra": 1},
        "staff.extra",
        "business_hours",
    ),
}


@pytest.mark.parametrize(("staff", "path", "allowed"), list(SHORTHAND_ERRORS.values()))
def test_shorthand_errors_keep_their_name_and_list_their_fields(
    capsys, tmp_path, staff, path, allowed
):
    file = _file(tmp_path, _chat(staff=staff))
    err = _refused(capsys, "run", str(file), words=(f"queues.chat.{path}: unknown field",))
    assert f"(allowed: {allowed})" in err


def test_bad_input_messages_stay_json_free_and_stdout_empty(capsys, tmp_path):
    file = _file(tmp_path, _chat(staff={"business_hours": {"agents": -1}}))
    _, out, err = _cli(capsys, "run", str(file), "--json")
    assert out == ""
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)


# --------------------------------------------------------------------------- Python API
# What a notebook passes: the same checks as the command line, as Python exceptions.


def test_run_takes_a_path_or_plain_data_like_compare_and_sweep(tmp_path):
    file = _file(tmp_path, _data())
    loaded = sim.run(sim.load(file), replications=2, workers=1).metrics()
    for source in (file, str(file), _data()):
        same = sim.run(source, replications=2, workers=1).metrics()
        assert same.drop(columns="scenario").equals(loaded.drop(columns="scenario"))
    with pytest.raises(TypeError, match=r"expected a scenario: .* got int"):
        sim.run(42)
    with pytest.raises(sim.ScenarioError, match="queues: required field is missing"):
        sim.run({"name": "x", "start": "2026-01-05T00:00", "duration": "1h"})


@pytest.mark.parametrize("bad", ["3", 2.0, True, [2]])
def test_run_refuses_replications_that_are_not_whole_numbers(tmp_path, bad, no_simulation):
    message = re.escape(f"replications must be a whole number, got {bad!r}")
    with pytest.raises(TypeError, match=message):
        sim.run(_file(tmp_path, _data()), replications=bad)


def test_a_numpy_integer_is_a_whole_number(tmp_path):
    file = _file(tmp_path, _data())
    results = sim.run(file, replications=np.int64(2), seed=np.uint32(5), workers=1)
    assert (len(results.runs), results.seed) == (2, 5)


@pytest.mark.parametrize(("seed", "error", "message"), [
    (-1, ValueError, "seed must be >= 0, got -1"),
    ("7", TypeError, "seed must be a whole number, got '7'"),
    (1.5, TypeError, "seed must be a whole number, got 1.5"),
])  # fmt: skip
def test_run_sweep_and_compare_refuse_a_bad_seed(tmp_path, seed, error, message, no_simulation):
    file = _file(tmp_path, _data())
    with pytest.raises(error, match=message):
        sim.run(file, seed=seed)
    with pytest.raises(error, match=message):
        sim.sweep(file, {"queues.chat.resolution": [0.5]}, seed=seed)
    with pytest.raises(error, match=message):
        sim.compare(file, overrides=["queues.chat.resolution=0.5"], seed=seed)


@pytest.mark.parametrize("data", [None, [1, 2], "name: x"])
def test_from_dict_refuses_what_is_not_a_mapping(data):
    with pytest.raises(sim.ScenarioError, match="a scenario must be a mapping of fields, got"):
        sim.from_dict(data)


def test_one_override_text_is_one_override_not_one_per_character(tmp_path):
    file = _file(tmp_path, _data())
    one = sim.load(file, "queues.chat.resolution=0.5")
    assert one == sim.load(file, ["queues.chat.resolution=0.5"])
    assert one.queues["chat"].resolution == 0.5
    table = sim.compare(file, overrides="queues.chat.resolution=0.5", replications=2, workers=1)
    row = table.set_index(["queue", "metric"]).loc[("chat", "resolution_rate")]
    assert row["diff"] < 0


def test_staff_plan_and_fit_refuse_bad_arguments_by_name(tmp_path, no_simulation):
    file = _file(tmp_path, _data())
    with pytest.raises(ValueError, match="seed must be >= 0, got -3"):
        sim.staff_plan(file, queue="chat", seed=-3)
    with pytest.raises(TypeError, match="expected a log: a CSV or Parquet path or a DataFrame"):
        sim.fit(42)


@pytest.mark.parametrize("bounds", ["1:inf", "-inf:5", "nan:nan", "1m:inf", "0:1e400", "0.2:NaN"])
def test_a_free_parameter_bound_that_is_not_finite_is_refused(
    capsys, tmp_path, bounds, no_simulation
):
    # "1:inf" reached scipy, whose "bounds must be finite" ValueError was a traceback.
    file = _file(tmp_path, _data())
    _refused(
        capsys,
        "calibrate",
        str(file),
        "--free",
        f"queues.chat.patience.mean={bounds}",
        words=("--free", "queues.chat.patience.mean", "finite"),
    )
