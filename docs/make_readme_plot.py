r"""Draw ``docs/img/wait_survival.png``, the plot in the README.

The livestream desk on the 11.11 promotion day (``scenarios/livestream_promo_peak.yaml``)
with 8, 10 and 12 agents on each of its two shifts, on common random numbers: the share
of answered contacts still waiting after t. Run from anywhere::

    .venv/bin/python docs/make_readme_plot.py

The same figure from the command line, one staffing at a time::

    sim plot scenarios/livestream_promo_peak.yaml --kind survival --queue live_peak \
        --set queues.live_peak.staff.0.agents=10 --set queues.live_peak.staff.1.agents=10
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim import plots

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "livestream_promo_peak.yaml"
OUT = ROOT / "docs" / "img" / "wait_survival.png"
AGENTS = (8, 10, 12)


def staffed(agents: int) -> sim.Results:
    """The scenario's replications with ``agents`` on both shifts of the livestream desk."""
    overrides = [f"queues.live_peak.staff.{shift}.agents={agents}" for shift in (0, 1)]
    scenario = sim.load(SCENARIO, overrides=overrides)
    return sim.run(scenario, workers=1, variant=f"{agents} agents")


def main() -> None:
    """Run the three staffings and write the PNG."""
    variants = {f"{n} agents per shift": staffed(n) for n in AGENTS}
    fig = plots.wait_survival(variants, ["live_peak"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # No software/date metadata, so rerunning gives the same bytes.
    fig.savefig(OUT, dpi=100, metadata={"Software": None})
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
