"""How much common random numbers narrow a what-if difference downstream of the change.

One more agent on the evening shift of ``scenarios/livestream_promo_peak.yaml``'s
livestream desk (13 instead of 12), and what that does to the email desk the livestream
escalates to: its arrivals and mean wait, per replication, for ``--replications`` paired
replications (base and variant on the same replication numbers: common random numbers)
and for the same number unpaired (the variant on other replication numbers). Prints the
mean and standard deviation of the per-replication differences each way. The smaller the
paired standard deviation against the unpaired one, the fewer replications a what-if
comparison needs for the same confidence interval. Nothing is asserted.

Usage:
    .venv/bin/python benchmarks/bench_crn.py [--replications 40]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import sim

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "livestream_promo_peak.yaml"
CHANGE = "queues.live_peak.staff.1.agents=13"


def email(result: sim.ReplicationResult) -> tuple[int, float]:
    """The email desk's arrivals and mean wait (seconds, answered visits) in one replication."""
    hops = result.hops
    mine = hops["queue"] == result.queues.index("email")
    wait = (hops["response"] - hops["arrive"])[mine]
    return int(mine.sum()), float(np.nanmean(wait))


def main(argv: list[str] | None = None) -> None:
    """Print the paired and unpaired differences' spread."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=40)
    args = parser.parse_args(argv)
    n = args.replications
    base, variant = sim.load(SCENARIO), sim.load(SCENARIO, overrides=[CHANGE])
    runs = [email(sim.simulate(base, r)) for r in range(n)]
    paired = [email(sim.simulate(variant, r)) for r in range(n)]
    unpaired = [email(sim.simulate(variant, n + r)) for r in range(n)]
    print(f"{CHANGE}: the email desk, {n} replications each")
    for label, other in (("paired (common random numbers)", paired), ("unpaired", unpaired)):
        diff = np.array(other) - np.array(runs)
        mean, sd = diff.mean(axis=0), diff.std(axis=0, ddof=1)
        print(f"  {label}: arrivals {mean[0]:+.1f} (sd {sd[0]:.1f}), "
              f"mean wait {mean[1]:+.0f} s (sd {sd[1]:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
