"""Check that an engine change leaves every shipped scenario's records bit-identical.

A speed change to the engine must not change a single number. This script runs one
replication of every shipped scenario (``scenarios/*.yaml`` and
``scenarios/document/*.yaml``) and either saves its records, or compares them with
records saved before, column by column and byte by byte (so that a NaN's payload or
the sign of a zero counts too). It compares the hop records, the per-contact columns,
the end time and every crew's agent-time accounts.

Usage, with the reference made by the engine of another checkout (``main``):
    git archive main | tar -x -C /tmp/main-engine
    PYTHONPATH=/tmp/main-engine .venv/bin/python benchmarks/check_identical.py --save /tmp/ref
    .venv/bin/python benchmarks/check_identical.py --against /tmp/ref

The exit status is 1 when anything differs, 0 when everything is identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
    (ROOT / "scenarios" / "document").glob("*.yaml")
)


def arrays(path: Path) -> dict[str, np.ndarray]:
    """One replication of the scenario at ``path``, every output as a named array."""
    import sim

    result = sim.simulate(sim.load(path))
    out = {f"hops.{k}": v for k, v in result.hops.items()}
    out |= {f"contacts.{k}": v for k, v in result.contacts.items()}
    out["end_time"] = np.array([result.end_time])
    for i, crew in enumerate(result.crews):
        figures = [crew.present_time, crew.on_shift_time, crew.break_time, *crew.busy_by_queue]
        out[f"crew{i}.times"] = np.array(figures)
        out[f"crew{i}.agents"] = np.array(crew.agent_ids, dtype=np.int64)
    return out


def differences(saved: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[str]:
    """What differs between two sets of arrays, one line per array."""
    lines = [f"missing now: {k}" for k in saved.keys() - now.keys()]
    lines += [f"new: {k}" for k in now.keys() - saved.keys()]
    for key in sorted(saved.keys() & now.keys()):
        a, b = saved[key], now[key]
        if a.dtype != b.dtype or a.shape != b.shape:
            lines.append(f"{key}: {a.dtype}{a.shape} then, {b.dtype}{b.shape} now")
        elif a.tobytes() != b.tobytes():
            # Byte by byte, row by row: NaNs compare equal only when their bits do.
            width = a.dtype.itemsize
            rows = np.flatnonzero(
                (a.view(np.uint8).reshape(-1, width) != b.view(np.uint8).reshape(-1, width)).any(1)
            )
            lines.append(f"{key}: {len(rows)} rows differ, the first at row {rows[0]}")
    return lines


def main() -> int:
    """Save or compare; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="directory to save the records in")
    mode.add_argument("--against", type=Path, help="directory of records saved before")
    args = parser.parse_args()
    failed = 0
    for path in SCENARIOS:
        name = f"{path.parent.name}.{path.stem}.npz"
        now = arrays(path)
        rows = len(now["hops.contact"])
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            np.savez(args.save / name, **now)
            print(f"saved {path.relative_to(ROOT)}: {rows} hops")
            continue
        with np.load(args.against / name) as file:
            saved = dict(file)
        lines = differences(saved, now)
        failed += bool(lines)
        print(f"{'DIFFERS' if lines else 'identical'} {path.relative_to(ROOT)}: {rows} hops")
        for line in lines:
            print(f"    {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
