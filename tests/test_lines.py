"""Line numbers in scenario errors: ``FILE:LINE: PATH: reason``, as editors read them.

Each case writes a scenario by hand and finds the expected line by the text it wrote
(the one line holding a marker), never by a number copied from a run. What has no
line in a file (``--set`` overrides, plain data, problems with no field) keeps the
form ``SOURCE: PATH: reason``.
"""

from __future__ import annotations

import pickle

import sim


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
