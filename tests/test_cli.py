"""The ``sim`` command line: the JSON and file contracts, and bad input.

Bad input of any kind must end with exit code 2, a message on stderr naming the file,
the field path and the reason, no traceback, and nothing written to ``--out``.
Commands run in-process through :func:`sim.cli.main`; one subprocess per entry point
checks the real exit code of the installed command.
"""

from __future__ import annotations

import copy
import html
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.outputs import MANIFEST
from sim.results import scenario_hash

SCENARIO: dict[str, Any] = {
    "name": "cli-test",
    "start": "2026-01-05T00:00",
    "duration": "4h",
    "warmup": "30m",
    "seed": 5,
    "replications": 3,
    "queues": {
        "chat": {
            "arrivals": {"rate": "40/h"},
            "staff": [{"start": "00:00", "end": "24:00", "agents": 2}],
            "service": {"dist": "exponential", "mean": "2m"},
            "patience": {"dist": "exponential", "mean": "5m"},
            "resolution": 0.7,
            "on_unresolved": {"email": 1.0},
        },
        "email": {"staff": 1, "service": {"dist": "constant", "value": "5m"}},
    },
}

JSON_METRICS = (
    "arrivals",
    "answered",
    "mean_wait_s",
    "median_wait_s",
    "p90_wait_s",
    "p95_wait_s",
    "service_level",
    "abandon_rate",
    "resolution_rate",
    "escalation_rate",
    "utilization",
    "occupancy",
)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli_scenario.yaml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    return path


def _write(tmp_path: Path, data: dict[str, Any] | str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def _run_json(capsys, *args: str) -> dict[str, Any]:
    code = main(["run", *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- success


def test_run_json_has_the_contract_keys(capsys, scenario_file):
    doc = _run_json(capsys, str(scenario_file), "-n", "2")
    assert doc["scenario"] == "cli-test"
    assert doc["replications"] == 2
    assert doc["seed"] == 5
    assert set(doc["queues"]) == {"chat", "email"}
    for name, figures in doc["queues"].items():
        for metric in JSON_METRICS:
            assert metric in figures, (name, metric)
            assert metric in figures["ci95"], (name, metric)
        assert figures["arrivals"] > 0
        assert 0 <= figures["utilization"] <= figures["occupancy"] <= 1
    chat = doc["queues"]["chat"]
    assert 0 < chat["service_level"] <= 1
    assert chat["escalation_rate"] > 0  # 30% unresolved go to email


def test_run_seed_and_replications_options(capsys, scenario_file):
    a = _run_json(capsys, str(scenario_file), "-n", "2", "--seed", "9")
    b = _run_json(capsys, str(scenario_file), "--replications", "2", "--seed", "9")
    c = _run_json(capsys, str(scenario_file), "-n", "2", "--seed", "10")
    assert a == b
    assert a["seed"] == 9
    assert a["queues"] != c["queues"]


def test_default_replications_and_seed_come_from_the_file(capsys, scenario_file):
    doc = _run_json(capsys, str(scenario_file))
    assert (doc["replications"], doc["seed"]) == (3, 5)


def test_set_override_changes_the_result(capsys, scenario_file):
    base = _run_json(capsys, str(scenario_file), "-n", "2")
    more = _run_json(capsys, str(scenario_file), "-n", "2", "--set", "queues.chat.staff=5")
    # Common random numbers: the same arrivals, shared by more agents.
    assert more["queues"]["chat"]["arrivals"] == base["queues"]["chat"]["arrivals"]
    assert more["queues"]["chat"]["utilization"] < base["queues"]["chat"]["utilization"]
    assert more["queues"]["chat"]["mean_wait_s"] < base["queues"]["chat"]["mean_wait_s"]


def test_table_names_every_queue(capsys, scenario_file):
    assert main(["run", str(scenario_file), "-n", "2"]) == 0
    out, err = capsys.readouterr()
    assert "cli-test" in out
    for name in SCENARIO["queues"]:
        assert name in out
    assert "Traceback" not in out + err


def test_out_writes_results_metadata_and_resolved_scenario(capsys, scenario_file, tmp_path):
    out_dir = tmp_path / "results" / "run1"
    assert main(["run", str(scenario_file), "-n", "2", "--out", str(out_dir)]) == 0
    said = capsys.readouterr().out
    for name in ("summary.csv", "contacts.csv", "metadata.json", "scenario.yaml"):
        assert (out_dir / name).is_file(), name
    assert not [p for p in out_dir.iterdir() if p.suffix == ".tmp"]  # no temporary files
    # The closing line names every file written, and the option's help lists them all
    # (but sim's record of them, MANIFEST).
    written = sorted(p.name for p in out_dir.iterdir() if p.name != MANIFEST)
    assert (
        sorted(said.split("wrote ")[1].removeprefix(f"{out_dir}/").strip().split(", ")) == written
    )
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    assert all(name in helped for name in written), helped

    summary = pd.read_csv(out_dir / "summary.csv", index_col="queue")
    assert sorted(summary.index) == ["chat", "email"]
    for metric in JSON_METRICS:
        assert metric in summary.columns
        assert f"{metric}_ci95" in summary.columns

    contacts = pd.read_csv(out_dir / "contacts.csv")
    assert {"replication", "contact", "queue", "arrive", "end", "outcome", "wait"} <= set(
        contacts.columns
    )
    assert set(contacts["replication"]) == {0, 1}
    assert (contacts["outcome"] != "pending").all()

    meta = json.loads((out_dir / "metadata.json").read_text())
    assert meta["seed"] == 5
    assert meta["sim_version"] == sim.__version__
    assert meta["scenario_sha256"] == scenario_hash(sim.load(scenario_file))
    assert len(meta["scenario_sha256"]) == 64


def test_out_scenario_yaml_loads_back_equal(capsys, scenario_file, tmp_path):
    out_dir = tmp_path / "out"
    assert main(["run", str(scenario_file), "-n", "1", "--out", str(out_dir)]) == 0
    capsys.readouterr()
    assert sim.load(out_dir / "scenario.yaml") == sim.load(scenario_file)


def test_run_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--replications", "--seed", "--set", "--out", "--json"):
        assert option in out


def test_python_m_sim_help_exits_zero():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "run" in proc.stdout


# --------------------------------------------------------------------------- bad input


def _mutated(change) -> dict[str, Any]:
    data = copy.deepcopy(SCENARIO)
    change(data)
    return data


def _chat(data: dict[str, Any]) -> dict[str, Any]:
    return data["queues"]["chat"]


# (mutation, dotted path the message names)
BAD_FILES = {
    "unknown top-level key": (lambda d: d.update(replicatons=3), "replicatons"),
    "unknown nested key": (
        lambda d: _chat(d)["arrivals"].update(rat=3),
        "queues.chat.arrivals.rat",
    ),
    "wrong type": (lambda d: _chat(d).update(staff="ten"), "queues.chat.staff"),
    "negative rate": (lambda d: _chat(d)["arrivals"].update(rate=-1), "queues.chat.arrivals.rate"),
    "negative agents": (lambda d: d["queues"]["email"].update(staff=-2), "queues.email.staff"),
    "bad duration": (lambda d: d.update(duration="4x"), "duration"),
    "bad clock": (
        lambda d: _chat(d)["staff"][0].update(start="25:00"),
        "queues.chat.staff.0.start",
    ),
    "shift starting at 24:00": (
        lambda d: _chat(d)["staff"][0].update(start="24:00"),
        "queues.chat.staff.0",
    ),
    "route to a missing queue": (
        lambda d: _chat(d).update(on_abandon={"mail": 1}),
        "queues.chat.on_abandon",
    ),
    "route sum above 1": (
        lambda d: _chat(d).update(on_unresolved={"email": 0.6, "chat": 0.6}),
        "queues.chat",
    ),
    "warmup >= duration": (lambda d: d.update(warmup="5h"), "warmup"),
    "profile of 23": (
        lambda d: _chat(d)["arrivals"].update(profile=[1] * 23),
        "queues.chat.arrivals.profile",
    ),
    "target on unknown queue": (
        lambda d: d.update(
            targets=[{"queue": "x", "metric": "service_level", "value": 0.8, "tolerance": 0.03}]
        ),
        "targets.0.queue",
    ),
    "closed route without on_closed": (lambda d: _chat(d).update(closed="route"), "queues.chat"),
    "unknown distribution": (
        lambda d: _chat(d).update(service={"dist": "weibull", "mean": 3}),
        "queues.chat.service",
    ),
    "missing service": (lambda d: d["queues"]["email"].pop("service"), "queues.email.service"),
}


def _assert_bad_input(code: int, out: str, err: str, file: Path, path: str) -> None:
    assert code == 2
    assert out == ""
    assert "Traceback" not in out + err
    assert err.startswith("error: ")
    assert str(file) in err
    assert path in err


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_exits_2_with_message_and_writes_nothing(capsys, tmp_path, case):
    change, path = BAD_FILES[case]
    file = _write(tmp_path, _mutated(change))
    out_dir = tmp_path / "out"
    code = main(["run", str(file), "-n", "1", "--json", "--out", str(out_dir)])
    out, err = capsys.readouterr()
    _assert_bad_input(code, out, err, file, path)
    assert not out_dir.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: t\nname: u\n", ["duplicate key 'name'", "line 2"]),
        ("name: t\nqueues: {a: [1, 2}\n", ["invalid YAML", "line 2"]),
        ("- a list\n", ["mapping"]),
    ],
)
def test_unreadable_yaml_exits_2(capsys, tmp_path, text, words):
    file = _write(tmp_path, text)
    out_dir = tmp_path / "out"
    code = main(["run", str(file), "--out", str(out_dir)])
    out, err = capsys.readouterr()
    _assert_bad_input(code, out, err, file, "")
    for word in words:
        assert word in err
    assert not out_dir.exists()


def test_missing_file_exits_2(capsys, tmp_path):
    file = tmp_path / "missing.yaml"
    code = main(["run", str(file), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    _assert_bad_input(code, out, err, file, "")
    assert "cannot read" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("a.b", "a.b"),
        ("=3", "=3"),
        ("queues..staff=3", "queues..staff=3"),
        ("queues.chat.stafff=3", "queues.chat.stafff"),
        ("queues.chat.staff=ten", "queues.chat.staff"),
        ("queues.chat.staff=-1", "queues.chat.staff"),
        ("duration=4x", "duration"),
        ("queues.chat.service.dist=weibull", "queues.chat.service"),
        ("name.first=x", "name.first"),
        ("queues.chat.on_abandon.nowhere=0.5", "queues.chat.on_abandon"),
    ],
)
def test_bad_set_override_exits_2_naming_the_path(capsys, scenario_file, tmp_path, override, named):
    out_dir = tmp_path / "out"
    code = main(["run", str(scenario_file), "--set", override, "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert named in err
    assert not out_dir.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["run", "x.yaml", "-n", "0"],
        ["run", "x.yaml", "-n", "two"],
        ["run", "x.yaml", "--seed", "-1"],
        ["run", "x.yaml", "--workers", "0"],
        ["run", "x.yaml", "--bogus"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert "usage:" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["compare", "a.yaml", "--metric", "x"], "compare"),
        (["run", "x.yaml", "extra.yaml"], "run"),
        (["validate", "x.yaml", "--bogus"], "validate"),
    ],
)
def test_an_unknown_argument_is_the_subcommands_error_with_its_usage(capsys, argv, command):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: sim {command} ")
    unknown = " ".join(argv[2:]) if command != "compare" else "--metric x"
    assert err.rstrip().endswith(f"sim {command}: error: unrecognized arguments: {unknown}")


def test_absurd_rate_is_bad_input_not_a_crash(capsys, scenario_file):
    code = main(["run", str(scenario_file), "-n", "1", "--set", "queues.chat.arrivals.rate=1e30/h"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "queues.chat.arrivals.rate" in err


def test_installed_command_exit_code_and_no_traceback(tmp_path, at_line):
    """One real process: the console script's exit status and stderr."""
    file = _write(tmp_path, _mutated(lambda d: _chat(d).update(servce=1)))
    out_dir = tmp_path / "out"
    script = Path(sys.executable).with_name("sim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim"]
    proc = subprocess.run(
        [*command, "run", str(file), "--out", str(out_dir)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    where = at_line(file, "    servce:")
    assert f"{where}: queues.chat.servce: unknown field; did you mean 'service'?" in proc.stderr
    assert not out_dir.exists()


def test_validate_prints_no_ledger_for_files_without_one(capsys, tmp_path, monkeypatch):
    # A file with targets but no `calibrated:` list and no `restates` has no roles: the
    # ledger printed "targets 0, checks 0/0" for a file whose 2 targets were just checked.
    targets = [
        {"queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "50%"},
        {"queue": "chat", "metric": "abandon_rate", "value": 0.1, "tolerance": 0.1},
    ]
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {**SCENARIO, "targets": targets}, "plain.yaml")
    assert main(["validate", "plain.yaml", "-n", "2", "--workers", "1"]) in (0, 1)
    out, _ = capsys.readouterr()
    assert "targets pass" in out
    assert "Ledger" not in out

    # Beside a file that keeps one, the ledger lists that file only.
    _write(tmp_path, {**SCENARIO, "targets": targets, "calibrated": []}, "kept.yaml")
    assert main(["validate", "plain.yaml", "kept.yaml", "-n", "2", "--workers", "1"]) in (0, 1)
    out, _ = capsys.readouterr()
    table = out[out.index("Ledger") :]
    assert "kept.yaml" in table
    assert "plain.yaml" not in table
    assert table.splitlines()[-1].split()[2] == "2"  # all files: 2 targets


def test_validate_ledger_keeps_the_end_of_a_long_file_name():
    # The file column was cut at its end: two files deep in one folder both showed
    # "/home/.../scenarios/document/…", without the names that tell them apart.
    from sim.validate import format_ledger
    from sim.validate.ledger import Tally

    folder = "/home/analyst/projects/merchant-service-desk/2026-promotions/scenarios/document"
    tallies = [Tally(f"{folder}/{name}.yaml", 3, 3, 1, 1, 0, 1) for name in ("email", "hotline")]
    lines = format_ledger(tallies).splitlines()
    assert max(len(line) for line in lines) <= 120
    assert lines[2].split()[0].endswith("/email.yaml")
    assert lines[3].split()[0].endswith("/hotline.yaml")


def test_run_with_set_names_its_variant_in_every_output(capsys, scenario_file, tmp_path):
    # Rows carry scenario, variant, replication and seed so that tables of several runs
    # can be put together; a run with --set said variant "base" like the file's own run,
    # so its contacts and replications could not be told from the base run's.
    change = "queues.chat.staff.0.agents=3"
    assert _run_json(capsys, str(scenario_file), "-n", "1")["variant"] == "base"
    out_dir = tmp_path / "out"
    argv = [str(scenario_file), "-n", "1", "--set", change, "--out", str(out_dir)]
    assert _run_json(capsys, *argv)["variant"] == change
    meta = json.loads((out_dir / "metadata.json").read_text())
    assert meta["variant"] == change
    for name in ("summary.csv", "replications.csv", "hourly.csv", "contacts.csv"):
        assert set(pd.read_csv(out_dir / name)["variant"]) == {change}, name


def test_one_replication_is_said_so_with_no_ci_promised(capsys, scenario_file, tmp_path):
    # With one replication no CI exists: the title said "1 replications, seed 5 (mean
    # ±95% CI half-width)" over figures that had none; the report and plots "1 replications".
    page = tmp_path / "one.html"
    assert main(["run", str(scenario_file), "-n", "1", "--report", str(page)]) == 0
    out = capsys.readouterr().out
    assert "cli-test: 1 replication, seed 5 (one replication: no confidence interval)" in out
    assert "±" not in out
    assert "1 replications" not in page.read_text(encoding="utf-8")
    assert "1 replication" in page.read_text(encoding="utf-8")
    assert main(["compare", str(scenario_file), "-n", "1", "--set", "queues.email.staff=2"]) == 0
    out = capsys.readouterr().out
    assert "1 paired replication, seed 5 (common random numbers); B - A, no CI" in out
    assert main(["sweep", str(scenario_file), "-n", "1", "--vary", "queues.email.staff=1,2"]) == 0
    out = capsys.readouterr().out
    assert "2 variants x 1 replication on common random numbers (one replication: no" in out
    assert main(["run", str(scenario_file), "-n", "2"]) == 0
    assert "cli-test: 2 replications, seed 5 (mean ±95% CI half-width)" in capsys.readouterr().out


def test_staff_try_it_command_runs_the_scenario_that_was_planned(capsys, tmp_path):
    # The printed "try it at once" command left out the user's own --set changes (it ran
    # another scenario than the one planned) and did not quote the file's path (a folder
    # with a space in its name broke it); the HTML report's dropped the changes too.
    folder = tmp_path / "my scenarios"
    folder.mkdir()
    path = _write(folder, SCENARIO, "desk.yaml")
    change = "queues.chat.arrivals.rate=30/h"
    page = tmp_path / "staff.html"
    argv = ["staff", str(path), "--queue", "chat", "--target", "80% in 60s", "--set", change,
            "-n", "2", "--rounds", "1", "--workers", "1", "--report", str(page)]  # fmt: skip
    assert main(argv) in (0, 1)
    out = capsys.readouterr().out
    line = out[out.index("or try it at once:") :].splitlines()[1]
    words = shlex.split(line)
    assert words[:6] == ["sim", "run", str(path), "--set", change, "--set"]
    assert words[6].startswith("queues.chat.staff=[")
    assert len(words) == 7
    assert line.strip() in html.unescape(page.read_text(encoding="utf-8"))


def test_compare_says_which_queues_only_one_side_has(capsys, scenario_file, tmp_path):
    # A queue added in B (or dropped from it) was left out of the table without a word:
    # the analyst comparing a desk with and without a new FAQ queue never saw it.
    data = copy.deepcopy(SCENARIO)
    data["queues"]["faq"] = {"arrivals": {"rate": "5/h"}, "staff": 1,
                             "service": {"dist": "constant", "value": "1m"}}  # fmt: skip
    b = _write(tmp_path, data, "with_faq.yaml")
    page = tmp_path / "c.html"
    argv = ["compare", str(scenario_file), str(b), "-n", "2", "--workers", "1"]
    assert main([*argv, "--report", str(page)]) == 0
    out, err = capsys.readouterr()
    assert "note: queue faq is only in B, so it is not compared" in err
    assert not any(line.startswith("faq ") for line in out.splitlines())
    assert "queue faq is only in B, so it is not compared" in page.read_text(encoding="utf-8")
    assert main(["compare", str(b), str(scenario_file), "-n", "2", "--workers", "1"]) == 0
    assert "note: queue faq is only in A, so it is not compared" in capsys.readouterr().err


def test_compare_says_when_a_difference_is_over_fewer_replications(capsys, tmp_path):
    # A and B are each side's own mean, B - A the mean over the replications where both
    # have a value: with mean waits missing on one side in some replications the table
    # read A 43.5s, B 4m22s, B - A +4m8s, and nothing said why.
    data = {"name": "sparse", "start": "2026-11-02T00:00", "duration": "1h", "drain": "1h",
            "seed": 3, "queues": {"q": {"arrivals": {"rate": "3/h"}, "staff": 1,
            "visibility": 0.4, "on_not_visible": {}, "service": {"dist": "exponential",
            "mean": "20m"}}}}  # fmt: skip
    path = _write(tmp_path, data, "sparse.yaml")
    argv = ["compare", str(path), "--set", "queues.q.visibility=1", "-n", "10", "--workers", "1"]
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    cell = json.loads(out)["queues"]["q"]["mean_wait_s"]
    assert 0 < cell["pairs"] < 10  # the case this test is about
    assert f"note: queue q, mean wait: B - A is over the {cell['pairs']} of 10 replications" in err
    assert "queue q, arrivals:" not in err  # counts have a value in every replication


def test_run_out_with_a_trailing_slash_names_the_files_it_wrote(capsys, scenario_file, tmp_path):
    # `--out results/` printed "wrote results//summary.csv, ...".
    out_dir = f"{tmp_path / 'results'}/"
    assert main(["run", str(scenario_file), "-n", "1", "--out", out_dir]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(f"wrote {tmp_path / 'results' / 'summary.csv'}, replications.csv")


def test_fit_back_test_of_one_run_says_1_run_with_no_ci(capsys, scenario_file, tmp_path):
    # "1 runs, ...; simulated mean ±95% CI" over simulated figures that have no CI.
    out_dir = tmp_path / "out"
    assert main(["run", str(scenario_file), "-n", "1", "--out", str(out_dir)]) == 0
    capsys.readouterr()
    fitted = tmp_path / "fitted.yaml"
    argv = ["fit", str(out_dir / "contacts.csv"), "--out", str(fitted), "-n", "1"]
    assert main([*argv, "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "log's period, 1 run, seed 0; observed ±95% CI, simulated (no CI);" in out


def test_every_output_row_names_its_scenario_variant_replications_and_seed(
    capsys, scenario_file, tmp_path
):
    # The sweep and compare CSVs and JSON had no scenario or seed field, run's summary.csv
    # and teams.csv no seed, staff --json no scenario and validate --json no variant or
    # seed: a row read away from the terminal that printed it could not say what ran.
    from sim.results import read_table

    common = ["-n", "2", "--seed", "11", "--workers", "1"]
    run_dir = tmp_path / "run"
    assert main(["run", str(scenario_file), *common, "--out", str(run_dir)]) == 0
    capsys.readouterr()
    for name in ("summary.csv", "teams.csv"):
        table = read_table(run_dir / name)
        assert {"scenario", "variant", "replications", "seed"} <= set(table.columns), name
    summary = read_table(run_dir / "summary.csv")
    assert set(summary["scenario"]) == {"cli-test"}
    assert set(summary["seed"]) == {11}

    csv = tmp_path / "sweep.csv"
    vary = ["--vary", "queues.email.staff=1,2"]
    assert main(["sweep", str(scenario_file), *common, *vary, "--out", str(csv), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["scenario"], r["replications"], r["seed"]) for r in rows} == {("cli-test", 2, 11)}
    table = read_table(csv)
    assert set(zip(table["scenario"], table["seed"], strict=True)) == {("cli-test", 11)}
    # A varied seed is each row's own seed, held once; a varied replications count is
    # one column too (two of the same name crashed the printed table).
    vary = ["--vary", "seed=3,4", "--vary", "replications=1,2"]
    assert main(["sweep", str(scenario_file), "--workers", "1", *vary, "--out", str(csv)]) == 0
    capsys.readouterr()
    table = read_table(csv)
    assert list(table.columns).count("seed") == 1 == list(table.columns).count("replications")
    assert sorted(set(table["seed"])) == [3, 4]
    assert sorted(set(table["replications"])) == [1, 2]

    csv = tmp_path / "compare.csv"
    argv = ["compare", str(scenario_file), *common, "--set", "queues.email.staff=2"]
    assert main([*argv, "--out", str(csv), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["scenario_a"], document["scenario_b"], document["seed"]) == (
        "cli-test", "cli-test", 11)  # fmt: skip
    table = read_table(csv)
    ids = ["scenario_a", "variant_a", "scenario_b", "variant_b", "replications", "seed"]
    assert list(table.columns[:6]) == ids
    assert set(table["variant_b"]) == {document["b"]}
    assert set(table["seed"]) == {11}
    assert document["b"].endswith("with queues.email.staff=2")

    argv = ["staff", str(scenario_file), "--queue", "chat", "--target", "80% in 60s",
            *common, "--rounds", "1", "--json"]  # fmt: skip
    assert main(argv) in (0, 1)
    document = json.loads(capsys.readouterr().out)
    assert (document["scenario"], document["variant"], document["seed"]) == ("cli-test", "base", 11)

    data = copy.deepcopy(SCENARIO)
    data["targets"] = [{"queue": "chat", "metric": "resolution_rate", "value": 0.7,
                        "tolerance": 0.5}]  # fmt: skip
    path = _write(tmp_path, data, "targets.yaml")
    assert main(["validate", str(path), *common, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["scenario"], row["variant"], row["replications"], row["seed"]) == (
        "cli-test", "base", 2, 11)  # fmt: skip
    argv = ["calibrate", str(path), "--free", "queues.chat.resolution", "--max-evaluations",
            "1", "--out", str(tmp_path / "fitted.yaml"), *common, "--json"]  # fmt: skip
    assert main(argv) in (0, 1)
    document = json.loads(capsys.readouterr().out)
    assert (document["scenario"], document["replications"], document["seed"]) == (
        "cli-test", 2, 11)  # fmt: skip


def test_run_out_into_an_earlier_runs_folder_leaves_no_file_of_that_run(
    capsys, scenario_file, tmp_path
):
    # The second `sim run --out DIR` left the first run's plots and the report that `sim
    # report DIR` had made of it beside its own tables: the folder mixed two runs.
    folder = tmp_path / "results"
    argv = ["run", str(scenario_file), "-n", "1", "--workers", "1", "--out", str(folder)]
    assert main([*argv, "--plots"]) == 0
    assert main(["report", str(folder)]) == 0
    (folder / "notes.md").write_text("the analyst's own")
    earlier = {p.name for p in folder.iterdir()}
    assert {"report.html", "notes.md"} <= earlier
    assert any(name.endswith(".png") for name in earlier)
    assert main([*argv, "--seed", "9"]) == 0
    capsys.readouterr()
    left = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert left == sorted([*sim.results.RESULT_FILES, "notes.md"])
    assert json.loads((folder / "metadata.json").read_text())["seed"] == 9


# The fields the help names as probabilities, each with a path into _PROBABILITY_DATA.
_PROBABILITY_PATHS = {
    "resolution": "queues.chat.resolution",
    "visibility": "queues.chat.visibility",
    "retry probability": "queues.chat.retry.probability",
    "route share": "queues.chat.on_abandon.email.share",
    "route value": "queues.chat.on_unresolved.email",
    "parallel share": "queues.chat.parallel.email",
    "shrinkage": "queues.chat.shrinkage",
}
_PROBABILITY_DATA = {
    "queues": {
        "chat": {
            "resolution": 0.7,
            "visibility": 0.9,
            "retry": {"probability": 0.3, "after": "5m"},
            "on_abandon": {"email": {"share": 0.2, "after": "1h"}},
            "on_unresolved": {"email": 1.0},
            "parallel": {"email": 0.1},
            "shrinkage": 0.25,
            "service": {"dist": "exponential", "mean": "3m"},
        }
    }
}


def test_calibrate_help_says_which_free_fields_are_searched_within_0_1(capsys):
    # The help said "a probability is searched in [0, 1]" without saying which fields
    # count as one: a user freeing a route's share or a shrinkage could not know.
    from sim.parameters import free_parameter

    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    assert "searched within [0, 1]" in helped
    for field in ("resolution", "visibility", "probability", "share", "on_", "parallel",
                  "shrinkage"):  # fmt: skip
        assert field in helped, field
    # What the help lists is what the search does.
    for what, path in _PROBABILITY_PATHS.items():
        free = free_parameter(path, _PROBABILITY_DATA)
        assert free.low == 0.0, what
        assert 0.99 < free.high <= 1.0, what
    other = free_parameter("queues.chat.service.mean", _PROBABILITY_DATA)
    assert (other.low, other.high) == (other.start / 4, other.start * 4)


def test_sweep_heading_says_what_varied_rows_ran(capsys, scenario_file):
    # The heading took the first row's count for all ("2 variants x 1 replication" when
    # the other ran 2) and called varied seeds common random numbers.
    argv = ["sweep", str(scenario_file), "--workers", "1", "--vary", "replications=1,2"]
    assert main(argv) == 0
    assert "2 variants x 1-2 replications on common random numbers" in capsys.readouterr().out
    argv = ["sweep", str(scenario_file), "-n", "2", "--workers", "1", "--vary", "seed=3,4"]
    assert main(argv) == 0
    assert "2 variants x 2 replications on varied seeds" in capsys.readouterr().out


def test_sweep_refuses_a_huge_grid_before_validating_all_of_it(capsys, scenario_file, monkeypatch):
    # 2,000 variants of 1,000 replications: the workload guard refused the grid only
    # after every variant had been built and validated (minutes without a word).
    import sim.experiments

    made = []
    variant = sim.experiments._variant

    def counted(*args, **kwargs):
        made.append(1)
        return variant(*args, **kwargs)

    monkeypatch.setattr(sim.experiments, "_variant", counted)
    vary = ["--vary", "queues.email.staff=1:1000", "--vary", "queues.chat.resolution=0.5,0.6"]
    argv = ["sweep", str(scenario_file), "-n", "1000", *vary]
    assert main(argv) == 2
    assert "--allow-large" in capsys.readouterr().err
    assert len(made) <= 256  # refused at the first power of two past the limit


def test_sweep_validates_each_variant_once(capsys, scenario_file, monkeypatch):
    # The command validated every variant to check the workload, then sim.sweep made
    # and validated them all again (15 ms a variant of the platform, for nothing).
    from sim.scenario import Scenario

    validated = []
    validate = Scenario.model_validate

    def counted(data, *args, **kwargs):
        validated.append(data.get("name"))
        return validate(data, *args, **kwargs)

    monkeypatch.setattr(Scenario, "model_validate", counted)
    vary = ["--vary", "queues.email.staff=1,2,3", "--vary", "queues.chat.resolution=0.5,0.6"]
    argv = ["sweep", str(scenario_file), "-n", "1", "--workers", "1", *vary]
    assert main(argv) == 0
    assert "6 variants x 1 replication" in capsys.readouterr().out
    assert len(validated) == 1 + 6  # the base file, then each variant


def test_sweep_workload_counts_each_variants_own_replications(capsys, scenario_file):
    # The guard counted the base file's replications for every variant, so a sweep of
    # the replications field itself (3 in the file, 2,000 varied) passed unchecked.
    argv = ["sweep", str(scenario_file), "--set", "queues.chat.arrivals.rate=4000/h"]
    assert main([*argv, "--vary", "replications=1,2000"]) == 2
    assert "--allow-large" in capsys.readouterr().err
