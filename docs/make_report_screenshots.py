r"""Draw ``docs/img/report_<kind>.png``: the top of each kind of HTML report, in Chromium.

Each report is made by the command line, exactly as a user would, into a temporary
folder, then opened from its ``file://`` URL in headless Chromium (Debian's
``chromium`` and ``chromium-driver``), which takes the screenshot. Run from anywhere::

    .venv/bin/python docs/make_report_screenshots.py

The run report in the README comes from::

    sim run scenarios/livestream_promo_peak.yaml --report report.html
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import sim.cli
from sim.fit import synthetic
from sim.report.browser import Browser

ROOT = Path(__file__).resolve().parents[1]
# Paths as a user in the repository types them (the reports show them).
SCENARIO = "scenarios/livestream_promo_peak.yaml"
OUT = ROOT / "docs" / "img"
HEIGHT = 1500  # CSS pixels from the top of the page: title, question, headline figures

COMMANDS = {
    "run": ["run", SCENARIO],
    "compare": ["compare", SCENARIO, "--set", "queues.live_peak.staff.1.agents=16"],
    "sweep": ["sweep", SCENARIO, "--vary", "queues.live_peak.staff.1.agents=8:16:2",
              "--queue", "live_peak"],
    "staff": ["staff", SCENARIO, "--queue", "live_peak", "--target", "80% in 60s"],
    "validate": ["validate", "scenarios/document"],
    "fit": ["fit", "desk_log.csv", "--out", "fitted.yaml"],
}  # fmt: skip


def main() -> None:
    """Make each report, open it in Chromium and keep the top of the page as a PNG."""
    OUT.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp, Browser(width=1280, height=HEIGHT) as browser:
        log = Path(tmp) / "desk_log.csv"  # the README's log, as docs/make_desk_log.py makes it
        clean = synthetic.simulate_log(synthetic.desk_scenario(), people=synthetic.desk_people())
        synthetic.spoil(clean)[0].to_csv(log, index=False)
        for kind, command in COMMANDS.items():
            page = Path(tmp) / f"{kind}.html"
            # The fit runs beside its log, so the report names the files as the README does.
            os.chdir(tmp if kind == "fit" else ROOT)
            sim.cli.main([*command, "--report", str(page)])
            check = browser.open(page)
            if check.errors or any(i["width"] == 0 for i in check.images):
                raise SystemExit(f"{kind}: the page did not load cleanly: {check}")
            shot = browser.screenshot(OUT / f"report_{kind}.png", height=HEIGHT)
            print(f"wrote {shot.relative_to(ROOT)} ({shot.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
