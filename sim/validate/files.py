"""Which files to validate: files as given, folders searched for scenarios with targets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from sim import yamlfile
from sim.errors import ScenarioError
from sim.loader import load, resolve_includes
from sim.scenario import Scenario

__all__ = ["discover", "load_all"]


def _has_targets(path: Path) -> bool:
    try:
        data = yamlfile.read(path)
        # Empty, or a list of values: a helper file, not a scenario.
        if not isinstance(data, dict):
            return False
        # Its own targets say it at once; only a file without them has its included
        # files read (and validated) to see whether they bring some.
        return bool(data.get("targets")) or bool(resolve_includes(data, path).get("targets"))
    except ScenarioError:
        return True  # let loading report the problem


def _visible(path: Path, folder: Path) -> bool:
    """Whether no name from ``folder`` down to ``path`` is hidden (starts with a dot)."""
    return not any(part.startswith(".") for part in path.relative_to(folder).parts)


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files to validate: files as given, folders searched for ``*.yaml``.

    In folders only files with a ``targets:`` list are taken, so helper files without
    targets (or that are no mapping: empty, a list of values) can live beside them, and
    hidden files and folders (``.ipynb_checkpoints/`` copies, an editor's
    ``.#name.yaml`` lock) are skipped.

    Raises:
        ScenarioError: a path does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += [
                p for p in sorted(path.rglob("*.yaml")) if _visible(p, path) and _has_targets(p)
            ]
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(str(path), [("", "no such file or folder")])
    return list(dict.fromkeys(found))


def _try_load(path: Path, overrides: Iterable[str]) -> tuple[str, Scenario] | ScenarioError:
    try:
        return str(path), load(path, overrides)
    except ScenarioError as exc:
        return exc


def load_all(paths: Sequence[Path], overrides: Iterable[str] = ()) -> list[tuple[str, Scenario]]:
    """Load every file, reporting all files' problems together."""
    loaded: list[tuple[str, Scenario]] = []
    problems: list[ScenarioError] = []
    for path in paths:
        outcome = _try_load(path, overrides)
        if isinstance(outcome, ScenarioError):
            problems.append(outcome)
        else:
            loaded.append(outcome)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise _SeveralFilesError(problems)
    return loaded


class _SeveralFilesError(ScenarioError):
    """Several files' problems together, each line naming its own file once."""

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = errors  # before the base class formats the message with __str__
        super().__init__(errors[0].source, [p for e in errors for p in e.problems])

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
