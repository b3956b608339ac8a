"""The engine benchmark's salabim peer, at a small size (no timing is asserted).

The benchmark (``benchmarks/bench_erlang_a.py``) is a script, not part of the package,
so it is loaded from its file. Its salabim model draws from the same numpy stream in the
same order as its textbook SimPy model (inter-arrival time, then the new customer's
patience, then a service time when an agent takes it), so two libraries running the same
model must produce the same sample path: the strongest check that salabim's
``request(..., fail_delay=patience)`` reneges as SimPy's request-or-timeout does.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_erlang_a.py"
ARRIVALS = 3_000


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module."""
    spec = importlib.util.spec_from_file_location("bench_erlang_a", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_salabim_follows_the_textbook_sample_path(bench):
    """Same seed, same draws, same model: every customer's wait and outcome agree."""
    arrive_t, wait_t, gave_up_t = bench.simpy_simulate(ARRIVALS, 7)
    arrive_s, wait_s, gave_up_s = bench.salabim_simulate(ARRIVALS, 7)
    assert len(wait_s) == ARRIVALS
    order_t, order_s = np.argsort(arrive_t), np.argsort(arrive_s)
    np.testing.assert_allclose(np.asarray(arrive_s)[order_s], np.asarray(arrive_t)[order_t])
    np.testing.assert_allclose(np.asarray(wait_s)[order_s], np.asarray(wait_t)[order_t])
    assert np.array_equal(np.asarray(gave_up_s)[order_s], np.asarray(gave_up_t)[order_t])
    # Some customers must have abandoned, or the check says nothing about reneging.
    assert 0 < sum(gave_up_s) < ARRIVALS
    assert bench.salabim_stats((arrive_s, wait_s, gave_up_s)) == bench.simpy_stats(
        (arrive_t, wait_t, gave_up_t)
    )


def test_salabim_leaves_the_global_random_streams_alone(bench):
    """salabim reseeds ``random`` and ``numpy.random`` unless told not to.

    The legacy global numpy calls are the point here (NPY002): the state they read is
    the one salabim's ``Environment`` would reseed.
    """
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    before = random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    bench.salabim_simulate(200, 1)
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])  # noqa: NPY002


def test_salabim_row_and_ratio_in_the_json(bench, capsys):
    """One small invocation: salabim's row on its own size, and ours/salabim beside ours/ciw."""
    argv = ["--arrivals", "2000", "--salabim-arrivals", "1500", "--repeat", "1"]
    assert bench.main([*argv, "--no-network", "--no-memory", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    row = next(r for r in doc["results"] if r["name"] == "salabim")
    assert row["available"]
    assert row["arrivals"] == 1500
    assert doc["model"]["salabim_arrivals"] == 1500
    assert list(doc["ratios"])[:3] == ["ours/textbook_simpy", "ours/ciw", "ours/salabim"]
    assert doc["ratios"]["ours/salabim"] > 0
    assert not any("salabim" in g["goal"] for g in doc["goals"])
    assert "salabim" in doc["versions"]
    assert {c["name"] for c in doc["sanity"]} == {"textbook SimPy", "Ciw", "salabim", "ours"}


def test_salabim_arrivals_default_to_arrivals(bench):
    """Like --ciw-arrivals, --salabim-arrivals is the whole run's size unless given."""
    assert bench.parse_args(["--arrivals", "900"]).salabim_arrivals == 900
