"""A report opened in a real browser: headless Chromium driven by Selenium.

Used by the tests (the page loads from a ``file://`` URL with no console error and every
image decoded) and by ``docs/make_report_screenshots.py``. Needs the ``dev`` extra
(selenium) and Debian's ``chromium`` and ``chromium-driver`` packages; :func:`find`
says why it cannot run when they are missing.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sim.extras import install_command

__all__ = ["Browser", "PageCheck", "find"]

# The network is closed or unwanted: without these, Chromium stalls on connections
# (component updates, sync, field trials) before it loads a local file.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
_DRIVER = ("chromedriver",)

# What the page reports about its images, in one round trip.
_IMAGES = """return Array.from(document.images).map(i => ({
    alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}));"""
_EXTERNAL = """return Array.from(performance.getEntriesByType('resource'))
    .map(e => e.name).filter(n => !n.startsWith('data:'));"""


def _which(names: tuple[str, ...]) -> str | None:
    return next((path for path in map(shutil.which, names) if path), None)


def find() -> tuple[str, str] | str:
    """``(chromium, chromedriver)`` paths, or the reason a browser cannot be driven."""
    try:
        import selenium  # noqa: F401, PLC0415
    except ImportError:
        return f"selenium is not installed (the 'dev' extra: {install_command('dev')})"
    chromium, driver = _which(_CHROMIUM), _which(_DRIVER)
    if chromium is None:
        return "no Chromium on PATH (Debian: apt-get install chromium)"
    if driver is None:
        return "no chromedriver on PATH (Debian: apt-get install chromium-driver)"
    return chromium, driver


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw on a page.

    Attributes:
        title: the document title.
        errors: console messages at error level (``SEVERE``).
        images: one dict per ``<img>``: ``alt``, ``complete``, ``width`` and ``height``
            (natural size; 0 when the image did not decode).
        requests: resources the page fetched other than ``data:`` URIs.
        height: the page's full height in CSS pixels.
    """

    title: str
    errors: tuple[str, ...]
    images: tuple[dict[str, Any], ...]
    requests: tuple[str, ...]
    height: int


class Browser:
    """One headless Chromium session, shared by several pages (start-up costs a second).

    Args:
        width: window width in CSS pixels.
        height: window height (what a screenshot of the viewport shows).
    """

    def __init__(self, width: int = 1280, height: int = 1600) -> None:
        found = find()
        if isinstance(found, str):
            raise RuntimeError(found)
        from selenium import webdriver  # noqa: PLC0415
        from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

        chromium, driver = found
        self._profile = tempfile.TemporaryDirectory(prefix="sim-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={self._profile.name}"):
            options.add_argument(flag)
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.driver = webdriver.Chrome(service=Service(driver), options=options)
        except Exception:
            self._profile.cleanup()
            raise
        self.driver.set_page_load_timeout(60)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the browser and remove its profile."""
        try:
            self.driver.quit()
        finally:
            self._profile.cleanup()

    def open(self, path: str | Path) -> PageCheck:
        """Load a local file from its ``file://`` URL and report what the page did."""
        self.driver.get_log("browser")  # drop messages of earlier pages
        self.driver.get(Path(path).resolve().as_uri())
        logs = self.driver.get_log("browser")
        return PageCheck(
            title=self.driver.title,
            errors=tuple(e["message"] for e in logs if e.get("level") == "SEVERE"),
            images=tuple(self.driver.execute_script(_IMAGES)),
            requests=tuple(self.driver.execute_script(_EXTERNAL)),
            height=int(self.driver.execute_script("return document.documentElement.scrollHeight")),
        )

    def screenshot(self, path: str | Path, height: int | None = None) -> Path:
        """Save a PNG of the page's top ``height`` CSS pixels (default: the viewport)."""
        size = self.driver.execute_script(
            "return [document.documentElement.clientWidth, window.innerHeight]"
        )
        clip = {"x": 0, "y": 0, "width": size[0], "height": height or size[1], "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
        )
        path = Path(path)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
