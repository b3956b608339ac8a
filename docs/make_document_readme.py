r"""Write ``scenarios/document/README.md`` from the scenario files and their ledger.

The README's tables are generated, never typed: for every file its description (the
comment block at its top), its targets with their role in the ledger (fit, input or
check), the document's figure, the tolerance, the simulated mean with its 95% CI and the
verdict, and the calibrated values as they stand in the file. The simulated numbers come
from ``scenarios/document/validation.json``, which ``--simulate`` (``make validate``)
rewrites from a full run: every file at its own replications and seed, then at five
other seeds. The prose around the tables is ``docs/document_readme.md``.

    .venv/bin/python docs/make_document_readme.py              # tables from validation.json
    .venv/bin/python docs/make_document_readme.py --simulate   # run everything first

The tests check that the committed README is exactly what this script writes from the
committed ``validation.json``, and that the JSON was made from the files as they are.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sim import paths
from sim.loader import read_scenario
from sim.outputs import write_files
from sim.results import scenario_hash
from sim.scenario import Scenario
from sim.validate import TargetRow, discover, format_value, load_all, tally, validate_all
from sim.validate.table import format_ledger

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "scenarios" / "document"
README = FOLDER / "README.md"
RESULTS = FOLDER / "validation.json"
TEMPLATE = ROOT / "docs" / "document_readme.md"
OTHER_SEEDS = (11, 22, 33, 44, 55)

__all__ = ["check_current", "render", "simulate"]


def _relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def load_files() -> list[tuple[str, Scenario]]:
    """Every scenario file of the document's folder, by its path from the repository."""
    return [(_relative(Path(src)), s) for src, s in load_all(discover([FOLDER]))]


# -- running -------------------------------------------------------------------------------


def _runs(files: Sequence[tuple[str, Scenario]], seed: int | None, workers: int | None):
    return validate_all(files, seed=seed, workers=workers, progress=sys.stderr.isatty())


def simulate(workers: int | None = None) -> dict[str, Any]:
    """Validate every file at its own seed and at :data:`OTHER_SEEDS`: the JSON document."""
    files = load_files()
    own = _runs(files, None, workers)
    seeds = {}
    for seed in OTHER_SEEDS:
        rows = _runs(files, seed, workers).rows
        seeds[str(seed)] = {r.source + "#" + _key(r): r.passed for r in rows}
    return {
        "files": {
            source: {
                "sha256": scenario_hash(s),
                "seed": s.seed,
                "replications": s.replications,
            }
            for source, s in files
        },
        "rows": [r.to_dict() for r in own.rows],
        "messages": own.messages,
        "other_seeds": seeds,
    }


def _key(row: TargetRow | Mapping[str, Any]) -> str:
    get = row.get if isinstance(row, Mapping) else lambda k: getattr(row, k)
    return str(get("id") or f"{get('queue')}/{get('detail')}")


def check_current(files: Sequence[tuple[str, Scenario]], results: Mapping[str, Any]) -> list[str]:
    """Why ``results`` do not describe the files as they are (empty when they do)."""
    problems = []
    known = results.get("files", {})
    for source, scenario in files:
        if source not in known:
            problems.append(f"{source}: not in {RESULTS.name}")
        elif known[source]["sha256"] != scenario_hash(scenario):
            problems.append(f"{source}: changed since {RESULTS.name} was written")
    problems += [
        f"{source}: no such file any more" for source in set(known) - {s for s, _ in files}
    ]
    return problems


# -- writing -------------------------------------------------------------------------------


def _rows(results: Mapping[str, Any]) -> list[TargetRow]:
    fields = TargetRow.__dataclass_fields__
    return [
        TargetRow(**{k: (math.nan if v is None else v) for k, v in row.items() if k in fields})
        for row in results["rows"]
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _figure(row: TargetRow) -> str:
    mark = {"at_most": "≤ ", "at_least": "≥ "}.get(row.bound, "")
    return mark + format_value(row.metric, row.value)


def _tolerance(row: TargetRow) -> str:
    if not row.tolerance:
        return ""
    if row.metric.endswith("_ratio") or not format_value(row.metric, 1.0).endswith("%"):
        return "±" + format_value(row.metric, row.tolerance)
    return f"±{100 * row.tolerance:.1f} pp"


def _simulated(row: TargetRow, used: int) -> str:
    text = format_value(row.metric, row.simulated)
    if math.isfinite(row.ci95):
        half = format_value(row.metric, row.ci95)
        text += f" ± {half[:-1]} pp" if half.endswith("%") else f" ± {half}"
    # A target settled in an earlier round kept the replications it had then.
    return text if row.replications >= used else f"{text} (n = {row.replications})"


def _seed_passes(row: TargetRow, results: Mapping[str, Any]) -> str:
    key = row.source + "#" + _key(row)
    runs = [seeds.get(key) for seeds in results.get("other_seeds", {}).values()]
    return f"{sum(r is True for r in runs)}/{len(runs)}" if runs else ""


def _description(path: Path) -> str:
    """The comment block at the top of a scenario file, as a text block (columns kept)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(["```text", *lines, "```"])


def _calibrated(source: str, scenario: Scenario) -> list[str]:
    if not scenario.calibrated:
        return ["No calibrated values."]
    data = read_scenario(ROOT / source)
    out = ["| calibrated value | now | fitted to | how |", "|---|---|---|---|"]
    for entry in scenario.calibrated:
        values = [paths.lookup(data, field)[1] for field in entry.field]
        fields = "<br>".join(f"`{f}`" for f in entry.field)
        now = "<br>".join(_cell(str(v)) for v in values)
        to = ", ".join(f"`{t}`" for t in entry.to)
        out.append(f"| {fields} | {now} | {to} | {_cell(entry.note)} |")
    return out


def _file_section(source: str, scenario: Scenario, rows: list[TargetRow], results) -> str:
    meta = results["files"][source]
    # The figures are over the replications sequential stopping ran, not the file's maximum.
    used = max((row.replications for row in rows), default=0)
    lines = [
        f"### `{Path(source).name}`: {scenario.name}",
        "",
        _description(ROOT / source),
        "",
        f"{used} replications (as the targets needed, at most {meta['replications']}), "
        f"seed {meta['seed']}; passes on {len(OTHER_SEEDS)} other seeds "
        f"({', '.join(map(str, OTHER_SEEDS))}) in the last column; a target settled in an "
        "earlier round has its own count (n = ...).",
        "",
        "| target | role | document | tolerance | simulated ± 95% CI | result | other seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = "pass" if row.passed else "**MISS**"
        lines.append(
            f"| `{row.id or row.queue}` | {row.role} | {_figure(row)} | {_tolerance(row)} | "
            f"{_simulated(row, used)} | {verdict} | {_seed_passes(row, results)} |"
        )
    lines += [
        "",
        *[f"* `{r.id or r.queue}` ({r.role}): {_cell(r.detail)}. {_cell(r.note)}" for r in rows],
    ]
    lines += ["", *_calibrated(source, scenario), ""]
    return "\n".join(lines)


def render(files: Sequence[tuple[str, Scenario]], results: Mapping[str, Any]) -> str:
    """The README: the template with the ledger and one section per file filled in."""
    rows = _rows(results)
    by_file = {source: [r for r in rows if r.source == source] for source, _ in files}
    tallies = [tally(source, s, by_file[source]) for source, s in files]
    ledger = "```\n" + format_ledger(tallies) + "\n```"
    sections = "\n".join(_file_section(src, s, by_file[src], results) for src, s in files)
    messages = "\n".join(f"    {m}" for m in results.get("messages", [])) or "    (none)"
    text = TEMPLATE.read_text(encoding="utf-8")
    for marker, value in (
        ("{{ledger}}", ledger),
        ("{{files}}", sections),
        ("{{messages}}", messages),
    ):
        text = text.replace(marker, value)
    return text.rstrip() + "\n"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the README (after a full run with ``--simulate``); exit 1 if a target misses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulate", action="store_true", help="run every file first")
    parser.add_argument(
        "--workers",
        type=int,
        help="local processes (default: one per core, fewer if more would pass the memory limit)",
    )
    args = parser.parse_args(argv)
    files = load_files()
    texts: dict[Path, str] = {}
    if args.simulate:
        # Written with the README as one set (sim.outputs): never new numbers under an old
        # README, nor a half-written file after an error or a Ctrl-C.
        texts[RESULTS] = json.dumps(simulate(args.workers), indent=1) + "\n"
    results = json.loads(texts.get(RESULTS) or RESULTS.read_text(encoding="utf-8"))
    stale = check_current(files, results)
    if stale:
        print("\n".join(stale) + "\nrun: make validate", file=sys.stderr)
        return 2
    texts[README] = render(files, results)
    write_files({path: partial(_write, text=text) for path, text in texts.items()})
    print(f"wrote {', '.join(_relative(path) for path in texts)}")
    return 0 if all(row["passed"] for row in results["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
