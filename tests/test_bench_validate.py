"""The validation benchmark reads what ``sim validate`` prints (no timing is asserted).

``benchmarks/bench_validate.py`` is a script, loaded from its file. It finds the
replications used and the pass counts in the command's output; if the output's wording
changed, it would print "(output not recognised)" beside every timing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module (it imports its sibling bench_erlang_a)."""
    path = ROOT / "benchmarks" / "bench_validate.py"
    spec = importlib.util.spec_from_file_location("bench_validate", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_validate"] = module
    spec.loader.exec_module(module)
    return module


def test_it_reads_the_counts_sim_validate_prints(bench, capsys):
    code = main(["validate", str(ROOT / "scenarios" / "document" / "email.yaml"), "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0
    [replications] = [
        line.split()[0] for line in out.splitlines() if "as the targets needed" in line
    ]
    assert bench.summary(out) == f"{replications} replications, checks 2/2, fits 0/0"


def test_it_says_when_it_cannot_read_the_output(bench):
    assert bench.summary("no such lines") == "(output not recognised)"
