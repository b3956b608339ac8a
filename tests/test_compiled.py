"""The compiled engine (``make compile``): used only when current, and the same to the bit.

``sim.compiled.search_path`` decides, when ``sim`` is imported, whether the mypyc build
in ``.compiled/sim`` runs in place of the engine's Python modules. A build of other
sources, or for another Python, must never run; and a current one must give every
shipped scenario's records byte for byte as the Python modules do
(``benchmarks/check_identical.py``, run once each way in a fresh process).
"""

from __future__ import annotations

import ast
import gc
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import sim
from sim import compiled

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A package folder with the engine's sources and a build folder with their manifest."""
    monkeypatch.delenv("SIM_PURE", raising=False)
    monkeypatch.setattr(compiled, "STATE", compiled.STATE)  # restored after the test
    package, build = tmp_path / "sim", tmp_path / ".compiled" / "sim"
    package.mkdir()
    build.mkdir(parents=True)
    for name in compiled.MODULES:
        shutil.copy(ROOT / "sim" / f"{name}.py", package / f"{name}.py")
    (build / "manifest.json").write_text(json.dumps(compiled.manifest(package)))
    return package, build


def test_a_current_build_is_searched_first(sources: tuple[Path, Path]) -> None:
    package, build = sources
    assert compiled.search_path(build, package) == str(build)
    assert compiled.STATE == "compiled"


def test_an_edited_module_is_never_shadowed_by_its_old_build(
    sources: tuple[Path, Path],
) -> None:
    package, build = sources
    with (package / "waiting.py").open("a") as source:
        source.write("\n# edited\n")
    assert compiled.search_path(build, package) is None
    assert compiled.STATE == "pure: sim/waiting.py changed since the compiled build (make compile)"


def test_a_build_for_another_python_is_passed_over(sources: tuple[Path, Path]) -> None:
    package, build = sources
    built = json.loads((build / "manifest.json").read_text())
    built["soabi"] = "cpython-39-x86_64-linux-gnu"
    (build / "manifest.json").write_text(json.dumps(built))
    assert compiled.search_path(build, package) is None
    assert compiled.STATE.startswith("pure: the compiled build is for cpython-39")


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"soabi": "x"}', '{"soabi": "x", "sources": []}', "null"]
)
def test_an_unreadable_manifest_is_passed_over(sources: tuple[Path, Path], text: str) -> None:
    package, build = sources
    (build / "manifest.json").write_text(text)
    assert compiled.search_path(build, package) is None
    assert compiled.STATE == "pure: the compiled build's manifest is unreadable (make compile)"


def test_sim_pure_ignores_a_current_build(
    sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    package, build = sources
    monkeypatch.setenv("SIM_PURE", "1")
    assert compiled.search_path(build, package) is None
    assert compiled.STATE == "pure: SIM_PURE is set"


def test_no_build_is_pure_python(sources: tuple[Path, Path]) -> None:
    package, build = sources
    (build / "manifest.json").unlink()
    assert compiled.search_path(build, package) is None
    assert compiled.STATE == "pure"


def _state(environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sim, sim.compiled as c; print(c.STATE)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_the_compiled_engine_gives_every_shipped_scenario_to_the_bit(tmp_path: Path) -> None:
    pure = {**os.environ, "SIM_PURE": "1"}
    native = {k: v for k, v in os.environ.items() if k != "SIM_PURE"}
    state = _state(native)
    if state != "compiled":
        pytest.skip(f"no current compiled build (make compile): sim runs {state}")
    assert _state(pure) == "pure: SIM_PURE is set"
    script = str(ROOT / "benchmarks" / "check_identical.py")
    reference = str(tmp_path / "pure")
    saved = subprocess.run(
        [sys.executable, script, "--save", reference],
        cwd=ROOT, env=pure, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    compared = subprocess.run(
        [sys.executable, script, "--against", reference],
        cwd=ROOT, env=native, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert compared.stdout.count("identical") == saved.stdout.count("saved") >= 14


def _named(assign: ast.Assign, name: str) -> bool:
    return any(isinstance(t, ast.Name) and t.id == name for t in assign.targets)


def test_the_literal_deletable_names_are_the_nodes_fields() -> None:
    # mypyc lets a compiled class delete only the attributes its __deletable__ lists, as
    # a literal; Node.release deletes every name of _FIELDS (its __slots__).
    tree = ast.parse((ROOT / "sim" / "node.py").read_text(encoding="utf-8"))
    fields = next(n.value for n in tree.body if isinstance(n, ast.Assign) and _named(n, "_FIELDS"))
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Node")
    deletable = next(
        n.value for n in node.body if isinstance(n, ast.Assign) and _named(n, "__deletable__")
    )
    assert ast.literal_eval(deletable) == ast.literal_eval(fields)


def test_a_finished_run_leaves_no_records_for_the_collector_to_find(
    make_scenario: Callable[..., object],
) -> None:
    # Node.release (compiled: through __deletable__) breaks the nodes' cycles, so a run's
    # records go by reference counting as soon as it returns, not at the next collection.
    scenario = make_scenario(
        scenario={"duration": "2d"}, patience={"dist": "exponential", "mean": "3m"}
    )
    gc.collect()
    gc.disable()
    try:
        sim.simulate(scenario)
        alive = [o for o in gc.get_objects() if type(o).__name__ == "ContactLog"]
    finally:
        gc.enable()
    assert alive == []
