"""Self-contained HTML reports: one file, figures and styles inlined, readable offline.

A report is data (:class:`Report`: the question, headline figures, sections of tables
and figures, the assumptions) rendered by a Jinja2 template of
``sim/report/templates/``. Every kind of report (run, compare, sweep, staff, validate)
is a small function that builds a :class:`Report` and a template that extends
``base.html``, which holds the page skeleton and the styles; a new kind adds those two
and nothing else.

Figures are PNG images embedded as ``data:`` URIs: their size does not grow with the
number of contacts drawn (an SVG survival curve of 100,000 waits would), and they look
the same in every browser and in print. Nothing on the page is fetched from elsewhere:
no scripts, no fonts, no style sheets, no links out.
"""

from __future__ import annotations

import base64
import io
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.report.figures import PNG_DPI
from sim.report.tables import Table

if TYPE_CHECKING:
    from jinja2 import Environment
    from matplotlib.figure import Figure

    from sim.outputs import OutputPlan
    from sim.scenario import Scenario

__all__ = [
    "Card",
    "Image",
    "Report",
    "ScenarioText",
    "Section",
    "facts",
    "image",
    "page_writer",
    "render",
    "scenario_text",
    "versions",
    "write_report",
]


@dataclass(frozen=True)
class Image:
    """A figure on the page: a PNG ``data:`` URI with its title and alt text."""

    title: str
    alt: str
    src: str
    caption: str = ""


@dataclass(frozen=True)
class Card:
    """One headline figure: what it is, its value (with CI), and a short note."""

    label: str
    value: str
    note: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of the report: paragraphs, tables, figures and preformatted text.

    ``code`` holds ``(caption, text)`` pairs shown as preformatted blocks (a staff:
    block to paste, a command to run); ``after`` holds remarks shown under the figures.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    images: tuple[Image, ...] = ()
    code: tuple[tuple[str, str], ...] = ()
    anchor: str = ""
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioText:
    """A scenario as the reader needs it to reproduce the result.

    Attributes:
        label: which scenario (``A``, ``base``, a file name).
        source: the file it was loaded from ("" when not from a file).
        text: the file's own text with its comments, or None when not available.
        resolved: the scenario as it ran, every field, as YAML.
        sha256: the scenario hash (see :func:`sim.results.scenario_hash`).
        changes: ``--set`` overrides applied on top of the file.
    """

    label: str
    source: str
    text: str | None
    resolved: str
    sha256: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything a report shows, in reading order.

    Attributes:
        kind: the template (``run`` renders ``templates/run.html``).
        title: the page title.
        question: what was asked, one sentence per item (scenario, what varies).
        cards: headline figures.
        headline: headline tables (with their captions).
        sections: the body: per queue, per metric, the plan, ...
        facts: ``(name, value)`` pairs to reproduce the result (seed, replications,
            versions, command).
        scenarios: the scenario(s) behind the result.
        notes: remarks on how to read the report (shown under the question).
        replications: replications behind the figures, when one number (one has no CI).
    """

    kind: str
    title: str
    question: tuple[str, ...]
    cards: tuple[Card, ...] = ()
    headline: tuple[Table, ...] = ()
    sections: tuple[Section, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    scenarios: tuple[ScenarioText, ...] = ()
    notes: tuple[str, ...] = field(default=())
    replications: int | None = None


def image(fig: Figure, title: str, alt: str, caption: str = "") -> Image:
    """Embed a matplotlib figure as a PNG ``data:`` URI."""
    buffer = io.BytesIO()
    # No software/date metadata: the same figure gives the same bytes.
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Image(title, alt, f"data:image/png;base64,{encoded}", caption)


def scenario_text(
    label: str,
    scenario: Scenario,
    source: str | Path | None = None,
    changes: Iterable[str] = (),
) -> ScenarioText:
    """A scenario with its file's own text (when ``source`` is a readable file)."""
    from sim.results import resolved_yaml, scenario_hash  # noqa: PLC0415 - import cycle

    text = None
    if source is not None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    return ScenarioText(
        label=label,
        source=str(source or ""),
        text=text,
        resolved=resolved_yaml(scenario),
        sha256=scenario_hash(scenario),
        changes=tuple(changes),
    )


def versions() -> tuple[tuple[str, str], ...]:
    """The software that made the result: sim, Python, NumPy, SimPy."""
    import numpy  # noqa: PLC0415
    import simpy  # noqa: PLC0415

    from sim import __version__  # noqa: PLC0415 - import cycle

    return (
        ("sim version", __version__),
        ("Python", platform.python_version()),
        ("NumPy", numpy.__version__),
        ("SimPy", simpy.__version__),
    )


def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape  # noqa: PLC0415

    return Environment(
        loader=PackageLoader("sim.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _anchor(text: str) -> str:
    """An id for a heading: letters, digits and ``-`` only."""
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in out.split("-") if part) or "section"


# Ids of the page's own parts, which no section may take.
_FIXED_IDS = ("question", "headline", "assumptions")


def _unique_ids(wanted: Iterable[str]) -> list[str]:
    """Each wanted id, made unique on the page (``queue-live-chat-2``).

    Different names can give one id (``live.chat`` and ``live-chat`` both give
    ``live-chat``); a second element with it would make the page invalid and send the
    contents' link to the first.
    """
    taken = set(_FIXED_IDS)
    ids = []
    for text in wanted:
        base = candidate = _anchor(text)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        ids.append(candidate)
    return ids


def render(report: Report) -> str:
    """The report as one HTML document (a string)."""
    template = _environment().get_template(f"{report.kind}.html")
    sections = _unique_ids(s.anchor or s.title for s in report.sections)
    scenarios = _unique_ids(f"scenario-{s.label}" for s in report.scenarios)
    return template.render(report=report, ids={"sections": sections, "scenarios": scenarios})


def page_writer(report: Report) -> Callable[[Path], object]:
    """A writer of the rendered page, to join a command's other outputs in one set."""
    page = render(report)
    return lambda path: Path(path).write_text(page, encoding="utf-8")


def write_report(report: Report, path: str | Path, plan: OutputPlan) -> Path:
    """Render ``report`` and write it to ``path``, planned before the run in ``plan``."""
    target = Path(path)
    plan.write({target: page_writer(report)})
    return target


def facts(
    seed: int | str,
    replications: int | str,
    *,
    command: str | None = None,
    reproduce: str | None = None,
    software: Sequence[tuple[str, str]] | None = None,
) -> tuple[tuple[str, str], ...]:
    """The run settings and software of a report, as ``(name, value)`` pairs.

    Args:
        seed: the base seed.
        replications: replications per variant.
        command: the command line that made the result, when known.
        reproduce: a command that makes it again from the resolved scenario.
        software: versions that made the result (default: the running ones).
    """
    rows = [("seed", str(seed)), ("replications", str(replications))]
    if command:
        rows.append(("command", command))
    if reproduce:
        rows.append(("to reproduce", reproduce))
    return (*rows, *(software if software is not None else versions()))
