"""``scenarios/document/README.md`` is what ``docs/make_document_readme.py`` writes.

The README's tables are generated from the scenario files and ``validation.json`` (the
last ``make validate``): the committed README must be exactly the script's output, and
the JSON must have been made from the files as they are now, so docs and numbers cannot
drift from the model.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "make_document_readme.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_document_readme", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(script):
    return json.loads(script.RESULTS.read_text(encoding="utf-8"))


def test_validation_json_describes_the_files_as_they_are(script, results):
    assert script.check_current(script.load_files(), results) == [], "run: make validate"


def test_committed_readme_is_what_the_script_writes(script, results):
    expected = script.render(script.load_files(), results)
    assert script.README.read_text(encoding="utf-8") == expected, "run: make validate"


def test_every_target_id_the_prose_names_exists(script):
    """The hand-written prose names targets by id (snake_case in backticks): they exist."""
    ids = {t.id for _, s in script.load_files() for t in s.targets if t.id}
    prose = re.sub(r"```.*?```", "", script.TEMPLATE.read_text(encoding="utf-8"), flags=re.S)
    quoted = re.findall(r"`([^`]+)`", prose)
    named = {q for q in quoted if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", q)}
    assert len(named) >= 10
    assert named <= ids, named - ids


def test_every_row_has_a_verdict_on_other_seeds(script, results):
    assert len(results["other_seeds"]) == len(script.OTHER_SEEDS)
    for seed, verdicts in results["other_seeds"].items():
        assert len(verdicts) == len(results["rows"]), seed
    assert all(isinstance(sim.load(ROOT / source), sim.Scenario) for source in results["files"])


def test_each_file_section_states_the_replications_its_figures_come_from(script, results):
    # The line gave the file's own replications (its maximum, 16 for the comments) while
    # sequential stopping had run 8, the count the means and CIs are over.
    # A target settled in an earlier round kept fewer: its row says how many.
    readme = script.README.read_text(encoding="utf-8")
    for source, meta in results["files"].items():
        rows = [r for r in results["rows"] if r["source"] == source]
        most = max(r["replications"] for r in rows)
        section = readme[readme.index(f"### `{Path(source).name}`") :]
        line = next(x for x in section.splitlines() if "replications" in x)
        assert line.startswith(f"{most} replications (as the targets needed, at most "
                               f"{meta['replications']}), seed {meta['seed']};"), line  # fmt: skip
        table = section[: section.index("\n\n", section.index("| target |"))]
        for row in rows:
            (cells,) = [x for x in table.splitlines() if x.startswith(f"| `{row['id']}` |")]
            fewer = f"(n = {row['replications']})"
            assert (fewer in cells) == (row["replications"] < most), cells


def test_a_run_whose_readme_cannot_be_written_leaves_both_files_as_they_were(
    script, results, tmp_path, monkeypatch
):
    # validation.json was written before the README was rendered: a failure (or Ctrl-C)
    # in between left new numbers under an old README, or a half-written JSON file.
    stored = {name: tmp_path / name for name in ("validation.json", "README.md")}
    for path in stored.values():
        path.write_text("before\n", encoding="utf-8")
    monkeypatch.setattr(script, "RESULTS", stored["validation.json"])
    monkeypatch.setattr(script, "README", stored["README.md"])
    monkeypatch.setattr(script, "simulate", lambda workers: results)

    def fail(files, results):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr(script, "render", fail)
    with pytest.raises(RuntimeError):
        script.main(["--simulate"])
    assert [p.read_text(encoding="utf-8") for p in stored.values()] == ["before\n"] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "validation.json"]
