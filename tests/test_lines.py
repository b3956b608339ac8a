"""Line numbers in scenario errors: ``FILE:LINE: PATH: reason``, as editors read them.

Each case writes a scenario by hand and finds the expected line by the text it wrote
(the one line holding a marker), never by a number copied from a run. What has no
line in a file (``--set`` overrides, plain data, problems with no field) keeps the
form ``SOURCE: PATH: reason``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import yaml

import sim
from sim import yamlfile
from sim.lines import Recorder

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
