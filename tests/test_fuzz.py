"""The mutation fuzzer (``tests/fuzzing.py``) on a fixed seed and a small budget.

``make fuzz`` runs the same fuzzer with a larger budget. The fuzzer runs in its own
process so that its address-space limit (the memory bound) applies to it alone; the
timeout here is a hang guard, not a measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FUZZER = Path(__file__).with_name("fuzzing.py")
SEED = 13
CASES = 150
HANG_GUARD = 900


def test_mutated_scenarios_exit_0_or_2_without_a_traceback():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(FUZZER), "--seed", str(SEED), "--cases", str(CASES), "--json"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
        env=env,
    )
    assert proc.stdout, proc.stderr
    report = json.loads(proc.stdout)
    assert report["failures"] == [], json.dumps(report["failures"], indent=2)
    assert proc.returncode == 0
    assert sum(report["outcomes"].values()) == CASES
    # Both outcomes occur, and every mutation class was tried.
    assert set(report["outcomes"]) == {"exit 0", "exit 2"}
    assert set(report["classes"]) == {"structure", "types", "numbers", "names", "bytes", "aliases"}
