"""Ctrl-C and SIGTERM stop ``sim`` cleanly: one line, exit 130, nothing written, no orphans.

Each test runs the real ``sim`` command as a subprocess on work that would take many
minutes, waits until its worker processes exist, sends the signal and checks the exit
code, the output, the files and the processes left. Nothing here measures time: the
timeouts are hang guards only, far beyond what a correct run needs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc to find worker processes"
)

HANG_GUARD = 120.0  # seconds; a correct run needs a small fraction of this
# Long enough that no run finishes before it is interrupted: ~1.4 million contacts
# per replication, 16 replications.
LONG: dict = {
    "name": "long",
    "start": "2026-01-05T00:00",
    "duration": "30d",
    "seed": 1,
    "replications": 16,
    "queues": {
        "chat": {
            "arrivals": {"rate": "2000/h"},
            "staff": 40,
            "service": {"dist": "exponential", "mean": "1m"},
        }
    },
}
# A few seconds of work, overloaded so that it ends with a backlog: its note on stderr
# comes before the output files are written.
TINY: dict = {
    "name": "tiny",
    "start": "2026-01-05T00:00",
    "duration": "10m",
    "seed": 1,
    "replications": 1,
    "queues": {
        "chat": {
            "arrivals": {"rate": "120/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "1m"},
        }
    },
}
PROGRESS_LINE = re.compile(r"^.+: \d+/\d+ replications.*elapsed$")


def _tiny(tmp_path: Path) -> Path:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    return scenario


def _as_at_a_terminal() -> None:
    """In the child: SIGINT and SIGHUP as a terminal session has them.

    A test run started in the background (``make test &``) ignores SIGINT, and a child
    inherits that; Python then never turns Ctrl-C into KeyboardInterrupt. Under
    ``nohup`` SIGHUP is ignored, and sim rightly keeps it so.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"hang guard: {what} did not happen within {HANG_GUARD:g} s")
        time.sleep(0.05)


@pytest.fixture
def long_run(tmp_path) -> Iterator[tuple[subprocess.Popen, Path, set[int]]]:
    """``sim run`` on two workers, started, with its workers running."""
    scenario = tmp_path / "long.yaml"
    scenario.write_text(yaml.safe_dump(LONG))
    out = tmp_path / "out"
    argv = [*_command(), "run", str(scenario), "--workers", "2", "--allow-large", "--out", str(out)]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_as_at_a_terminal,  # noqa: PLW1509 - only a signal disposition
    )
    workers: set[int] = set()

    def started() -> bool:
        workers.update(_children(proc.pid))
        return len(workers) >= 2 or proc.poll() is not None

    try:
        _wait_for(started, "starting two workers")
        assert proc.poll() is None, proc.communicate()
        yield proc, out, workers
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def _check_stopped(proc: subprocess.Popen, out: Path, workers: set[int], word: str) -> None:
    stdout, stderr = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 130, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines[-1] == word
    assert all(PROGRESS_LINE.match(line) for line in lines[:-1]), stderr
    assert not out.exists()
    _wait_for(lambda: not _alive(workers), "the workers ending")


def test_ctrl_c_stops_the_run_and_its_workers(long_run):
    proc, out, workers = long_run
    # A terminal sends Ctrl-C to the whole foreground process group.
    os.killpg(proc.pid, signal.SIGINT)
    _check_stopped(proc, out, workers, "interrupted")


def test_sigterm_to_the_main_process_takes_its_workers_with_it(long_run):
    proc, out, workers = long_run
    proc.send_signal(signal.SIGTERM)
    _check_stopped(proc, out, workers, "terminated")


def test_a_closed_terminal_stops_the_run_like_sigterm(long_run):
    # Before: SIGHUP (the terminal closed) killed sim on the spot: no line, no exit code,
    # and during the writing temporary files and half a set of outputs were left.
    proc, out, workers = long_run
    os.killpg(proc.pid, signal.SIGHUP)  # to the whole foreground group, as a terminal
    _check_stopped(proc, out, workers, "hung up")


def test_workers_do_not_outlive_a_killed_parent(long_run):
    proc, out, workers = long_run
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=HANG_GUARD)
    _wait_for(lambda: not _alive(workers), "the orphaned workers ending")
    assert not out.exists() or not list(out.iterdir())


# An import hook that sends SIGINT to the process while the command line's heavy
# modules are being imported: the interrupt lands exactly during start-up.
_START_UP = """
import builtins, os, signal, sys
real_import = builtins.__import__
def interrupting_import(name, *args, **kwargs):
    if name == "sim.cli.common":
        builtins.__import__ = real_import
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupting_import
from sim.console import main
sys.exit(main(["run", "whatever.yaml"]))
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c code args...``, signals as at a terminal, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
        preexec_fn=_as_at_a_terminal,
    )


# A hang-up in the middle of renaming the outputs into place: the set must still be
# whole (all new files), with no temporary file left and the exit code of an interrupt.
_HUNG_UP_WHILE_WRITING = """
import os, signal, sys
OUT = sys.argv[2]
real_replace = os.replace
def replace(src, dst):
    if str(dst).startswith(OUT):
        os.replace = real_replace
        os.kill(os.getpid(), signal.SIGHUP)
    real_replace(src, dst)
os.replace = replace
from sim.console import main
sys.exit(main(["run", sys.argv[1], "--workers", "1", "--out", OUT]))
"""


def test_a_hang_up_while_the_outputs_are_renamed_leaves_a_whole_set(tmp_path):
    out = tmp_path / "out"
    proc = _python(_HUNG_UP_WHILE_WRITING, str(_tiny(tmp_path)), str(out))
    assert (proc.returncode, proc.stdout, proc.stderr.splitlines()[-1:]) == (130, "", ["hung up"])
    from sim.results import RESULT_FILES

    assert sorted(p.name for p in out.iterdir()) == sorted([*RESULT_FILES, ".sim-files.json"])


def test_under_nohup_a_hang_up_is_ignored():
    ignored = "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
    hang_up = _START_UP.replace("SIGINT", "SIGHUP").replace("whatever.yaml", "no.yaml")
    proc = _python(ignored + hang_up)
    assert (proc.returncode, proc.stderr) == (
        2,
        "error: no.yaml: cannot read file: No such file or directory\n",
    )


# ``sim run`` on two workers, ``stop()`` called from another thread while the main one
# waits for results; SETUP defines ``stop``.
_STOPPED_DURING_THE_RUN = """
import os, signal, sys, threading
SETUP
import sim.pool
real_map = sim.pool.WorkerPool.map
def map_then_stop(self, *args, **kwargs):
    threading.Timer(0.3, stop).start()
    return real_map(self, *args, **kwargs)
sim.pool.WorkerPool.map = map_then_stop
from sim.console import main
sys.exit(main(["run", sys.argv[1], "--workers", "2", "--allow-large"]))
"""


def _stopped_during_the_run(tmp_path: Path, setup: str) -> subprocess.CompletedProcess[str]:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(yaml.safe_dump(LONG))
    return _python(_STOPPED_DURING_THE_RUN.replace("SETUP", setup), str(scenario))


# Ctrl-C, then SIGTERM at the worst moment of its handling: as the interrupted wait
# takes its lock back (a second Ctrl-C, or a terminal's hang-up, lands there as well).
_TWICE = """
first = []
real_restore = threading.Condition._acquire_restore
def restore(self, state):
    if first and threading.current_thread() is threading.main_thread():
        first.clear()
        os.kill(os.getpid(), signal.SIGTERM)
    real_restore(self, state)
threading.Condition._acquire_restore = restore
def stop():
    first.append(1)
    os.kill(os.getpid(), signal.SIGINT)
"""


def test_a_second_stop_while_the_first_is_handled_prints_no_traceback(tmp_path):
    # Before: "RuntimeError: release unlocked lock" and its traceback, exit code 1.
    proc = _stopped_during_the_run(tmp_path, _TWICE)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "interrupted\n")


# SIGTERM and SIGINT at once: both are pending when Python runs the first handler.
_AT_ONCE = """
def stop():
    os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGINT)
"""


def test_two_stops_at_once_print_one_line(tmp_path):
    # Before: "OSError: Signal 15 ignored due to race condition" and its traceback.
    proc = _stopped_during_the_run(tmp_path, _AT_ONCE)
    assert proc.returncode == 130
    assert proc.stderr in {"interrupted\n", "terminated\n"}, proc.stderr


def test_an_interrupt_during_start_up_prints_no_traceback():
    proc = _python(_START_UP)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "interrupted\n")


# Ctrl-C reaches the whole process group: a worker that has just been forked gets it too,
# before it has set SIGINT aside. The at-fork hook sends it at that moment every time.
_FORKED = """
import os, signal
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))
from sim.pool import WorkerPool
pool = WorkerPool(2)
print(pool.map(abs, [-1, -2, -3], [1, 1, 1]))
pool.close()
"""


def test_an_interrupt_as_a_worker_starts_prints_no_traceback():
    # Seen under load in test_ctrl_c_stops_the_run_and_its_workers: "Exception ignored
    # in: <function _after_fork ...> Traceback ... KeyboardInterrupt" from a worker.
    proc = _python(_FORKED)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "[1, 2, 3]\n", "")


def test_every_public_name_is_there_when_asked_for():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None
    assert set(sim.__all__) <= set(dir(sim))
    assert sim.plots.wait_ecdf  # subpackages load on first use too
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


def test_importing_sim_loads_nothing_heavy():
    code = (
        "import sys, sim; heavy = {'numpy', 'pandas', 'simpy', 'pydantic', 'scipy'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD, check=True
    )
    assert proc.stdout.strip() == "[]"


# A worker stopped half-way through sending a result back (a replication's records are
# megabytes, so the send takes a while): the executor's own thread is left waiting for
# the rest of a message that never comes. ``STOP`` is what the worker does then.
_HALF_SENT = """
import os, signal, sys
from multiprocessing import connection
from sim.pool import WorkerLostError, WorkerPool

BIG = 1_000_000

def job(n):
    real = connection.Connection._send
    def send(self, buf, write=os.write):
        if len(buf) >= BIG:  # the big result's body: half of it, then stop
            write(self._handle, bytes(buf[: len(buf) // 2]))
            STOP
        return real(self, buf, write)
    connection.Connection._send = send
    return b"x" * n

if __name__ == "__main__":
    try:
        WorkerPool(2).map(job, [BIG, 1, 1, 1], [1, 1, 1, 1])
    except KeyboardInterrupt:
        print("interrupted")
    except WorkerLostError as exc:
        print(str(exc).split(" before")[0])
    pool = WorkerPool(2)  # the next call works
    print(pool.map(len, ["a", "bb"], [1, 1]))
    pool.close()
    print(len(__import__("multiprocessing").active_children()), "processes left")
"""


def test_an_interrupt_while_a_worker_sends_its_result_does_not_hang():
    # Before: Ctrl-C then hung for ever in the executor's shutdown (a second Ctrl-C too).
    stop = "os.kill(os.getppid(), signal.SIGINT); signal.pause()"
    proc = _python(_HALF_SENT.replace("STOP", stop))
    assert (proc.stdout, proc.stderr) == ("interrupted\n[1, 2]\n0 processes left\n", "")


def test_a_worker_killed_while_it_sends_its_result_is_reported():
    # Before: the run waited for ever instead of saying a worker was lost (exit code 2).
    proc = _python(_HALF_SENT.replace("STOP", "os.kill(os.getpid(), signal.SIGKILL)"))
    lost = "a worker process ended abruptly (killed by SIGKILL)"
    assert (proc.stdout, proc.stderr) == (f"{lost}\n[1, 2]\n0 processes left\n", "")


def test_a_reader_that_leaves_does_not_stop_the_files(tmp_path):
    # Before: `sim run x --out DIR 2>&1 | head -1` wrote nothing and exited 0: the note
    # on stderr met the closed pipe before the files were written.
    from sim.results import RESULT_FILES

    out = tmp_path / "out"
    argv = [*_command(), "run", str(_tiny(tmp_path)), "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader left before sim said anything
    assert proc.wait(timeout=HANG_GUARD) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*RESULT_FILES, ".sim-files.json"])


def test_a_closed_stdout_or_stderr_is_the_null_device(tmp_path):
    # Before: `sim run x >&-` ended in a traceback (exit 1), and with `2>&-` the notes
    # meant for stderr went into --json's output on stdout.
    scenario = str(_tiny(tmp_path))
    closed = ["sh", "-c", 'exec "$@" >&-', "sh", *_command(), "run", scenario, "--workers", "1"]
    proc = subprocess.run(
        [*closed, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert (proc.returncode, proc.stdout, "Traceback" in proc.stderr) == (0, "", False)
    assert len(list((tmp_path / "o").iterdir())) == 8
    closed[2] = 'exec "$@" 2>&-'
    proc = subprocess.run(
        [*closed, "--json"], capture_output=True, text=True, timeout=HANG_GUARD, check=False
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["replications"] == 1


def test_stdout_on_a_full_disk_is_one_line_and_exit_2(tmp_path):
    # Before: a traceback ending in "OSError: [Errno 28] No space left on device", exit 1
    # (or, for output still buffered at exit, Python's "Exception ignored" and exit 120).
    argv = [*_command(), "run", str(_tiny(tmp_path)), "--workers", "1", "--json"]
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        proc = subprocess.run(
            argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=HANG_GUARD, check=False
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == "error: stdout: cannot write: No space left on device"
    assert "Traceback" not in proc.stderr


def test_stop_signals_stay_ignored_through_pythons_shutdown():
    # Python resets its own handlers to the default as it shuts down: a Ctrl-C then
    # (a Dask client closing takes a while) killed sim by SIGINT after "interrupted".
    code = (
        "import signal; from sim.console import main; code = main(['run', 'no.yaml']);"
        "print(code, [signal.getsignal(s) == signal.SIG_IGN for s in "
        "(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])"
    )
    proc = _python(code)
    assert proc.stdout == "2 [True, True, True]\n", proc.stderr
