"""README.md's console examples, run as shown: what the README prints is what sim prints.

Each ```console block's ``$ sim ...`` command on a shipped scenario is run from the
repository root, and every output line the README shows must appear in the command's
output (stdout and stderr), in the same order; a line ``...`` stands for lines left out.
Figures are deterministic (fixed seeds, common random numbers), so a table that drifts
from the code (a changed metric, a re-fitted scenario) fails here instead of misleading a
reader. Left out of that loop, with their reasons: commands that write files (``--out``,
``--report``) and the long ones (``sim validate`` and ``sim calibrate`` of the document
world, ``sim fit``). Of those, the ``sim fit`` example runs below (without its
``--report``), the bad-input example on a copy of a shipped scenario with the misspelt
field, and the document's ``sim validate`` example is held to ``validation.json``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_LONG = ("validate", "calibrate", "fit")
_WRITES = ("--out", "--report")


def _blocks(language: str) -> list[tuple[int, list[str]]]:
    """``(line number of the first line, lines)`` of each fenced README block in ``language``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    blocks, block, start = [], None, 0
    for number, line in enumerate(text, 1):
        if block is None and line.startswith(f"```{language}"):
            block, start = [], number + 1
        elif block is not None and line.startswith("```"):
            blocks.append((start, block))
            block = None
        elif block is not None:
            block.append(line)
    return blocks


def _examples() -> list[tuple[int, list[str], list[str]]]:
    """``(line number, argv, shown output lines)`` of each runnable README example."""
    return [found for start, block in _blocks("console") for found in _commands(block, start)]


def _commands(block: list[str], start: int) -> list[tuple[int, list[str], list[str]]]:
    found = []
    for i, line in enumerate(block):
        if not line.startswith("$ sim ") or line.endswith("\\"):
            continue  # not sim, or a command continued on the next lines (a long one)
        argv = shlex.split(line[2:], comments=True)[1:]
        shown = []
        for later in block[i + 1 :]:
            if later.startswith("$ "):
                break
            shown.append(later.rstrip())
        runnable = (
            argv[0] not in _LONG
            and not any(a in _WRITES for a in argv)
            and (ROOT / argv[1]).is_file()
            and shown
        )
        if runnable:
            found.append((start + i, argv, shown))
    return found


EXAMPLES = _examples()


def test_the_readme_has_console_examples_to_run():
    commands = {argv[0] for _, argv, _ in EXAMPLES}
    assert {"run", "compare", "sweep", "staff"} <= commands, commands


@pytest.mark.parametrize(
    ("line", "argv", "shown"), EXAMPLES, ids=[f"README.md:{n}" for n, _, _ in EXAMPLES]
)
def test_a_readme_example_prints_what_the_readme_shows(line, argv, shown):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    _assert_shown(line, argv, shown, proc.stderr + proc.stdout)


def _assert_shown(line: int, argv: list[str], shown: list[str], output: str) -> None:
    """Each line the README shows is printed, in order (``...`` stands for lines left out)."""
    printed = [out.rstrip() for out in output.splitlines()]
    # The README's lines, in order, each found at or after the one before.
    position = 0
    for expected in (s for s in shown if s.strip() and s.strip() != "..."):
        pattern = re.compile(r"\s*" + r"\s+".join(map(re.escape, expected.split())) + r"$")
        matches = [k for k in range(position, len(printed)) if pattern.match(printed[k])]
        assert matches, (
            f"README.md:{line} `sim {' '.join(argv)}` shows a line it does not print:\n"
            f"  {expected}\nprinted:\n" + "\n".join(printed)
        )
        position = matches[0] + 1


_DATA_FILE = (".yaml", ".yml", ".csv", ".parquet")


def test_the_readme_python_examples_read_only_files_the_repository_has():
    # A reader pastes the snippet in the repository's root: a file it names that is not
    # there (a log the reader has not made yet) fails on the first line that reads it.
    blocks = _blocks("python")
    assert blocks
    for start, block in blocks:
        tree = ast.parse("\n".join(block), filename=f"README.md:{start}")
        named = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.endswith(_DATA_FILE)
        ]
        assert named, f"README.md:{start}: a Python example that reads no file"
        missing = [name for name in named if not (ROOT / name).is_file()]
        assert not missing, f"README.md:{start}: the example reads {missing}, not in the repository"


# A project file named in the package (docstrings, messages, help): a Markdown file, or a
# path under one of the project's folders.
_PROJECT_FILE = re.compile(
    r"(?<![\w./-])(?:[\w.-]+\.md|(?:benchmarks|docs|notebooks|scenarios|sim|tests)/[\w./-]*\w)\b"
)


def test_every_project_file_the_package_names_is_in_the_project():
    # sim.fit's help and three docstrings sent users to DESIGN.md, which the project
    # does not ship (the contracts are the README's).
    named = {
        (path.relative_to(ROOT).as_posix(), name)
        for path in sorted((ROOT / "sim").rglob("*.py"))
        for name in _PROJECT_FILE.findall(path.read_text(encoding="utf-8"))
    }
    assert named
    assert sorted((where, name) for where, name in named if not (ROOT / name).exists()) == []


def _section(title: str) -> str:
    """The README's text under ``## title``, up to the next ``## `` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_module_of_the_package():
    # The layout lists the package one module per concept; six added since it was
    # written (options, pickups, fit's clock, plots' fonts and literal, report's layout)
    # were in no list. A name is checked anywhere in the section, not per package.
    named = set(re.findall(r"`([a-z_]+)`", _section("Layout")))
    modules = {
        path.stem
        for path in (ROOT / "sim").rglob("*.py")
        if not path.stem.startswith("__") and "templates" not in path.parts
    }
    assert modules
    assert sorted(modules - named) == []


def test_the_readme_validate_example_is_the_last_make_validate():
    # `sim validate scenarios/document` is too long to run here, so its README example
    # is held to scenarios/document/validation.json, which `make validate` writes from
    # the same sequential runs (the counts depend on the figures only): the example kept
    # 140 replications (hotline 32, offline 16, order_page 24) after a refit had made
    # them 119 (23, 12, 16).
    (shown,) = [
        "\n".join(block)
        for _, block in _blocks("console")
        if "$ sim validate scenarios/document --workers 2" in block
    ]
    last = json.loads((ROOT / "scenarios/document/validation.json").read_text(encoding="utf-8"))
    rows = last["rows"]
    # A file's count is the most any of its targets had (one settled early keeps fewer).
    used: dict[str, int] = {}
    for row in rows:
        stem = Path(row["source"]).stem
        used[stem] = max(used.get(stem, 0), row["replications"])
    assert f"{len(rows)} targets in {len(used)} scenario files" in shown
    counts = ", ".join(f"{stem} {n}" for stem, n in sorted(used.items()))
    header = f"{sum(used.values())} replications, as the targets needed: {counts} (mean"
    assert header in " ".join(shown.split()), header
    roles = [row["role"] for row in rows]
    assert (
        f"{roles.count('check')} of {roles.count('check')} checks pass; "
        f"{roles.count('fit')} of {roles.count('fit')} fits pass; "
        f"{roles.count('input')} inputs restated"
    ) in shown
    assert all(row["passed"] for row in rows)


def test_the_readme_bad_input_example_prints_what_the_readme_shows(tmp_path):
    # The example's scenario.yaml is the reader's own: here, the shipped peak scenario
    # with the misspelt field the example names. A `...` in the shown line stands for
    # the list of allowed fields.
    ((line, block),) = [
        (start, block) for start, block in _blocks("console") if "$ sim run scenario.yaml" in block
    ]
    argv = shlex.split(block[0][2:])[1:]
    (shown,) = block[1:]
    text = (ROOT / "scenarios/livestream_promo_peak.yaml").read_text(encoding="utf-8")
    assert text.count("    patience:") == 1
    (tmp_path / "scenario.yaml").write_text(text.replace("    patience:", "    pattience:"))
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *argv],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    pattern = ".*".join(map(re.escape, shown.split("...")))
    assert re.fullmatch(pattern, proc.stderr.strip()), (f"README.md:{line}", proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]


def test_the_readme_extension_field_example_loads_as_it_says(tmp_path):
    # The scenario reference's example of an anchor in an x- field, loaded as a file.
    import sim

    ((line, block),) = [(s, b) for s, b in _blocks("yaml") if b and b[0].startswith("x-chat:")]
    file = tmp_path / "two_chats.yaml"
    file.write_text("\n".join(block) + "\n", encoding="utf-8")
    scenario = sim.load(file)
    order, vip = scenario.queues["order_chat"], scenario.queues["vip_chat"]
    assert (order.channel, vip.channel) == ("chat", "chat"), f"README.md:{line}"
    assert order.service == vip.service
    assert order.patience == vip.patience
    assert (order.max_agents, vip.max_agents) == (4, 2)
    assert (order.arrivals.rate * 3600, vip.arrivals.rate * 3600) == pytest.approx((60, 10))


def test_the_readme_fit_example_prints_what_the_readme_shows(tmp_path):
    # The fit example is the one long README command whose figures nothing else held to
    # the page: the log it makes and the fit's cleaning, estimates and back-test. Run as
    # shown but without `--report backtest/`, which only adds files (and their minutes).
    ((line, block),) = [(n, b) for n, b in _blocks("console") if "docs/make_desk_log.py" in b[0]]
    make_log, command = block[0], block[1]
    assert make_log.startswith("$ .venv/bin/python docs/make_desk_log.py desk_log.csv")
    argv = shlex.split(command[2:])[1:]
    assert argv[-2:] == ["--report", "backtest/"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    made = subprocess.run(
        [sys.executable, str(ROOT / "docs/make_desk_log.py"), "desk_log.csv"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    assert "wrote desk_log.csv" in made.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *argv[:-2]],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    _assert_shown(line + 1, argv, block[2:], proc.stderr + proc.stdout)
