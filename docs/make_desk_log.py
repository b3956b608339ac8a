"""Write the realistic messy desk log of the README's ``sim fit`` example.

Two weeks of a chat desk with an email back office (:mod:`sim.fit.synthetic`), simulated
and then spoiled like a real export; run from anywhere::

    .venv/bin/python docs/make_desk_log.py desk_log.csv
    sim fit desk_log.csv --out fitted.yaml --report backtest/
"""

from __future__ import annotations

import sys

from sim.fit import synthetic


def main() -> int:
    """Write the log to the path given (default ``desk_log.csv``)."""
    path = sys.argv[1] if len(sys.argv) > 1 else "desk_log.csv"
    clean = synthetic.simulate_log(synthetic.desk_scenario(), people=synthetic.desk_people())
    log, spoiled = synthetic.spoil(clean)
    log.to_csv(path, index=False)
    print(f"wrote {path}: {len(log):,} rows; spoiled: {spoiled}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
