"""Output files: checked before the work, written as one set, never through links or inputs."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
from pathlib import Path

import pytest
import yaml

from sim.outputs import MANIFEST, OutputError, OutputPlan, write_files


@pytest.fixture
def ctrl_c():
    """SIGINT raises KeyboardInterrupt, as at a terminal, for the test.

    A test run started in the background (``make test &``) ignores SIGINT, and Python
    then leaves it ignored: a raised SIGINT would do nothing.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _text(content: str):
    return lambda p: Path(p).write_text(content)


def test_files_appear_together_with_missing_parents_created(tmp_path):
    a, b = tmp_path / "x" / "a.csv", tmp_path / "x" / "y" / "b.csv"
    written = write_files({a: _text("A"), b: _text("B")})
    assert written == [a, b]
    assert a.read_text() == "A"
    assert b.read_text() == "B"
    assert sorted(p.name for p in (tmp_path / "x").rglob("*")) == ["a.csv", "b.csv", "y"]


def test_a_failing_writer_leaves_old_files_and_no_temporaries(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old A")

    def broken(_path):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_files({a: _text("new A"), b: broken})
    assert a.read_text() == "old A"
    assert not b.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_an_interrupt_while_writing_leaves_no_temporaries(tmp_path):
    def interrupted(_path):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_files({tmp_path / "a.csv": _text("A"), tmp_path / "b.csv": interrupted})
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_during_the_renames_is_held_until_they_are_done(tmp_path, ctrl_c):
    targets = [tmp_path / f"{i}.txt" for i in range(3)]

    def raise_sigint_then_write(path):
        # Delivered during the renames: they must all finish before it takes effect.
        path.write_text("x")

    real_replace = os.replace
    calls = []

    def replace(src, dst):
        if not calls:
            signal.raise_signal(signal.SIGINT)
        calls.append(dst)
        real_replace(src, dst)

    writers = dict.fromkeys(targets, raise_sigint_then_write)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "replace", replace)
        with pytest.raises(KeyboardInterrupt):
            write_files(writers)
    assert all(t.read_text() == "x" for t in targets)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.txt", "1.txt", "2.txt"]


@pytest.mark.parametrize("hard_links", [True, False])
def test_a_rename_failing_midway_puts_back_the_files_already_replaced(tmp_path, hard_links):
    # The renames ran one by one: when the third failed, the first two were already
    # the new set beside the old third, and the OSError came out as a traceback. The
    # old files are kept by hard links, or copies where the file system has none.
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    a.write_text("old A")
    c.write_text("old C")
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst) == c and Path(src).name.startswith(".c.csv."):
            raise OSError(errno.EACCES, "Permission denied")
        real_replace(src, dst)

    def no_link(*_args, **_kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "replace", replace)
        if not hard_links:
            mp.setattr(os, "link", no_link)
        with pytest.raises(OutputError, match=r"c\.csv: cannot replace it: Permission denied"):
            write_files({a: _text("new A"), b: _text("new B"), c: _text("new C")})
    assert (a.read_text(), c.read_text()) == ("old A", "old C")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv"]  # no b, no .tmp


def test_an_output_made_a_folder_during_the_run_changes_no_output(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old A")
    b.write_text("old B")

    def then_a_folder(path):  # the user made b.csv a folder while the command ran
        Path(path).write_text("new B")
        b.unlink()
        b.mkdir()

    with pytest.raises(OutputError, match=r"b\.csv: cannot replace it: .*no output was changed"):
        write_files({a: _text("new A"), b: then_a_folder})
    assert a.read_text() == "old A"
    assert b.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_the_renames_lock_their_folders_against_another_commands(tmp_path):
    # Two commands writing the same --out at once interleaved their renames: one's
    # summary beside the other's contacts. Each takes the folders' locks for its renames.
    out = tmp_path / "out"
    out.mkdir()
    real_replace = os.replace
    free: list[bool] = []

    def replace(src, dst):
        fd = os.open(out, os.O_RDONLY)  # another command's hold on the folder
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free.append(True)
        except BlockingIOError:
            free.append(False)
        finally:
            os.close(fd)
        real_replace(src, dst)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "replace", replace)
        write_files({out / "summary.csv": _text("S"), out / "contacts.csv": _text("C")})
    assert free == [False, False]
    fd = os.open(out, os.O_RDONLY)  # and it is let go after
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_permissions_of_new_files_follow_the_umask(tmp_path):
    (path,) = write_files({tmp_path / "a.csv": _text("A")})
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_symlink_is_refused_not_followed(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="symbolic link"):
        OutputPlan().file(link)
    assert target.read_text() == "keep"


def test_an_input_is_never_replaced(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: x\n")
    with pytest.raises(OutputError, match="would overwrite the input"):
        OutputPlan(protect=[scenario]).folder(tmp_path, ["summary.csv", "scenario.yaml"])
    with pytest.raises(OutputError, match="would overwrite the input"):
        OutputPlan(protect=[scenario]).file(tmp_path / "." / "scenario.yaml")


def test_wrong_kinds_of_paths_are_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a folder"):
        OutputPlan().file(tmp_path / "folder")
    with pytest.raises(OutputError, match="is a file"):
        OutputPlan().folder(tmp_path / "file")
    with pytest.raises(OutputError, match="is not a folder"):
        OutputPlan().file(tmp_path / "file" / "x.csv")


def test_an_unwritable_place_is_refused_before_any_work(tmp_path):
    # /proc refuses new files even to root, where permission bits would not.
    with pytest.raises(OutputError, match="cannot write in /proc: the folder takes no new"):
        OutputPlan().file("/proc/sim-results/summary.csv")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(OutputError, match="cannot write in"):
                OutputPlan().folder(locked)
        finally:
            locked.chmod(0o700)


def test_writing_an_unplanned_file_is_a_programming_error(tmp_path):
    plan = OutputPlan()
    plan.file(tmp_path / "a.csv")
    with pytest.raises(ValueError, match="not planned"):
        plan.write({tmp_path / "b.csv": _text("B")})
    assert plan.write({tmp_path / "a.csv": _text("A")}) == [tmp_path / "a.csv"]


def test_an_os_error_while_writing_is_reported_as_bad_output(tmp_path):
    def full(_path):
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        write_files({tmp_path / "a.csv": full})
    assert list(tmp_path.iterdir()) == []


SMALL = """\
name: one-set
start: 2026-01-05T00:00
duration: 2h
seed: 1
replications: 1
queues:
  q: {arrivals: {rate: 30/h}, staff: 1, service: {dist: exponential, mean: 1m}}
"""


def test_out_and_report_of_a_command_are_one_set(tmp_path, monkeypatch, capsys):
    import sim.cli
    import sim.report.html

    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)

    def broken_page(_report):
        def write(_path):
            raise OSError(28, "No space left on device")

        return write

    monkeypatch.setattr(sim.report.html, "page_writer", broken_page)
    out, report = tmp_path / "out", tmp_path / "r.html"
    argv = ["run", str(scenario), "--workers", "1", "--out", str(out), "--report", str(report)]
    assert sim.cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert f"error: --report {report}: " in err  # not "--out", which wrote nothing wrong
    assert not report.exists()
    assert not out.exists() or not any(out.iterdir()), "no result file without the report"


def test_a_save_that_cannot_write_names_the_folder_not_a_flag(tmp_path, capsys):
    # Results.save from Python said "--out .../summary.csv: cannot write", a flag its
    # caller never gave, and named the first file it tried rather than the folder; the
    # command still names --out.
    import sim
    import sim.cli

    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "results"  # inside a file: no folder can be made there
    results = sim.run(scenario, workers=1)
    with pytest.raises(OutputError) as saving:
        results.save(out)
    # The reason the command gives (it said "cannot write: Not a directory").
    reason = f"{tmp_path / 'file'} is not a folder"
    assert str(saving.value) == f"{out}: {reason}"
    assert sim.cli.main(["run", str(scenario), "--workers", "1", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: --out {out}: {reason}\n"
    # /proc exists but takes no new files: it said "No such file or directory".
    with pytest.raises(OutputError) as saving:
        results.save("/proc/sim-results")
    assert str(saving.value) == (
        "/proc/sim-results: cannot write in /proc: the folder takes no new files "
        "(the system said: No such file or directory)"
    )


def test_a_save_is_checked_before_any_file_is_written(tmp_path):
    # Results.save skipped the command's checks: a folder where teams.csv belongs was
    # found only at the renames, after summary.csv and the others were in place, and
    # came out as a bare IsADirectoryError.
    import sim

    out = tmp_path / "out"
    (out / "teams.csv").mkdir(parents=True)
    (out / "summary.csv").write_text("the user's")
    results = sim.run(sim.from_dict(yaml.safe_load(SMALL)), workers=1)
    with pytest.raises(OutputError) as saving:
        results.save(out)
    assert str(saving.value) == f"{out / 'teams.csv'}: is a folder; give a file name"
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv", "teams.csv"]
    assert (out / "summary.csv").read_text() == "the user's"


def test_one_path_for_two_outputs_is_refused(tmp_path, capsys):
    import sim.cli

    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    same = str(tmp_path / "x.html")
    argv = ["sweep", str(scenario), "--vary", "queues.q.staff=1,2", "--out", same]
    assert sim.cli.main([*argv, "--report", same]) == 2
    assert "two outputs" in capsys.readouterr().err


def _hours_scenario():
    import sim

    window = {"queue": "chat", "metric": "mean_wait", "value": "1m", "tolerance": "10%"}
    return sim.from_dict(
        {
            "name": "hours",
            "start": "2026-11-16T00:00",
            "duration": "1d",
            "queues": {
                "chat": {
                    "arrivals": {"rate": "10/h"},
                    "staff": 2,
                    "service": {"dist": "exponential", "mean": "3m"},
                }
            },
            "targets": [
                {**window, "hours": "00:00-07:00"},
                {**window, "hours": "22:00-24:00"},
                {**window, "hours": "23:30-01:15"},
            ],
        }
    )


def test_resolved_scenario_with_target_hours_loads_back_equal():
    # A target over some hours of the day (the document's "small hours" figures) was
    # written as seconds, [0.0, 25200.0], which the loader refuses: the scenario.yaml of
    # `sim run --out` (and `sim report` of that folder) failed with exit 2.
    import yaml

    import sim
    from sim.results import resolved_yaml

    scenario = _hours_scenario()
    assert sim.from_dict(yaml.safe_load(resolved_yaml(scenario))) == scenario


def test_sweep_scenarios_file_with_target_hours_loads_back_equal(tmp_path):
    # The same for the FILE.scenarios.yaml beside a sweep's or a comparison's --out.
    import pandas as pd
    import yaml

    import sim
    from sim.experiments import save_scenarios

    scenario = _hours_scenario()
    table = pd.DataFrame()
    table.attrs["scenarios"] = {"a": scenario, "b": scenario}
    data = yaml.safe_load(save_scenarios(table, tmp_path / "s.yaml").read_text())
    assert {label: sim.from_dict(d) for label, d in data.items()} == table.attrs["scenarios"]


def test_a_sweeps_scenarios_file_reproduces_its_rows_at_the_seed_it_ran(tmp_path):
    # `sim sweep --seed 99 -n 3 --out s.csv` wrote each variant into s.scenarios.yaml with
    # the file's own seed and replications: `sim run` on a variant copied from it gave
    # other numbers than the row it was saved to reproduce. The same for compare's B, run
    # at A's seed.
    import yaml

    import sim
    from sim.experiments import save_scenarios

    data = _hours_scenario().model_dump(mode="json")
    data.update(targets=[], duration=3600.0, seed=1, replications=5)
    table = sim.sweep(data, {"queues.chat.staff": [1, 2]}, seed=99, replications=2, workers=1)
    saved = yaml.safe_load(save_scenarios(table, tmp_path / "s.yaml").read_text())
    for row in table.itertuples():
        again = sim.run(sim.from_dict(saved[row.variant]), workers=1).summary()
        assert again.loc[row.queue, "mean_wait_s"] == row.mean_wait_s
        assert again.loc[row.queue, "replications"] == row.replications == 2

    b = {**data, "seed": 7, "replications": 9}
    diffs = sim.compare(data, b, workers=1)
    saved = yaml.safe_load(save_scenarios(diffs, tmp_path / "c.yaml").read_text())
    assert [(s["seed"], s["replications"]) for s in saved.values()] == [(1, 5), (1, 5)]


# -- a folder written again --------------------------------------------------------------


def _write_folder(folder: Path, contents: dict[str, str]) -> None:
    plan = OutputPlan()
    plan.folder(folder, contents)
    plan.write({folder / name: _text(text) for name, text in contents.items()})


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_folder_written_again_loses_the_files_only_the_earlier_set_had(tmp_path):
    # `sim run --out DIR --plots` then `sim run --out DIR` left the first run's plots
    # beside the second run's tables: the folder mixed two runs.
    folder = tmp_path / "out"
    _write_folder(folder, {"a.csv": "1", "wait.png": "1"})
    (folder / "notes.txt").write_text("mine")  # sim never wrote it: never removed
    _write_folder(folder, {"a.csv": "2"})
    assert _visible(folder) == ["a.csv", "notes.txt"]
    assert (folder / "a.csv").read_text() == "2"
    _write_folder(folder, {"b.csv": "3"})
    assert _visible(folder) == ["b.csv", "notes.txt"]


def test_a_file_changed_since_sim_wrote_it_is_kept(tmp_path):
    folder = tmp_path / "out"
    _write_folder(folder, {"a.csv": "1", "edited.csv": "sim's"})
    (folder / "edited.csv").write_text("the user's own version")
    _write_folder(folder, {"a.csv": "2"})
    assert _visible(folder) == ["a.csv", "edited.csv"]
    _write_folder(folder, {"a.csv": "3"})  # no longer sim's: not listed any more
    assert _visible(folder) == ["a.csv", "edited.csv"]


def test_a_file_written_into_a_results_folder_goes_with_its_next_set(tmp_path):
    # `sim report DIR` writes DIR/report.html: the next `sim run --out DIR` must not leave
    # a report of the earlier run beside its tables.
    folder = tmp_path / "out"
    _write_folder(folder, {"a.csv": "1"})
    plan = OutputPlan()
    plan.join(plan.file(folder / "report.html"))
    plan.file(folder / "sweep.csv")  # another command's file, kept there on purpose
    plan.write({folder / "report.html": _text("<html>"), folder / "sweep.csv": _text("x")})
    _write_folder(folder, {"a.csv": "2"})
    assert _visible(folder) == ["a.csv", "sweep.csv"]


def test_a_folder_record_naming_files_elsewhere_is_not_followed(tmp_path):
    folder = tmp_path / "out"
    _write_folder(folder, {"a.csv": "1"})
    victim = tmp_path / "victim.txt"
    victim.write_text("x")
    (folder / "link.csv").symlink_to(victim)
    record = json.loads((folder / MANIFEST).read_text())
    stamp = record["files"]["a.csv"]
    record["files"] |= {"../victim.txt": stamp, "link.csv": stamp, str(victim): stamp}
    (folder / MANIFEST).write_text(json.dumps(record))
    _write_folder(folder, {"b.csv": "2"})
    assert victim.read_text() == "x"
    assert (folder / "link.csv").is_symlink()


def _interrupted_after_mkstemp(monkeypatch):
    """Ctrl-C the instant a temporary file exists, before its name is kept anywhere."""
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        made = real(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_an_interrupt_as_a_temporary_file_is_made_leaves_none(tmp_path, monkeypatch, ctrl_c):
    # Before: a Ctrl-C between mkstemp and noting the name left a .NAME.*.tmp (or the
    # .sim-probe-*.tmp of the start-up check) behind in the user's folder.
    _interrupted_after_mkstemp(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        OutputPlan().file(tmp_path / "a.csv")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(KeyboardInterrupt):
        write_files({tmp_path / "a.csv": _text("A")})
    assert list(tmp_path.iterdir()) == []
