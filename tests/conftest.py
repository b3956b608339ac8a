"""Shared helpers for the test suite: small scenario builders.

Builders are exposed as fixtures returning plain functions, so module-scoped fixtures
and tests can build scenarios without importing this file.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

import sim

# `make test` must give the same verdict every time: hypothesis draws its examples from a
# fixed seed, and no example fails for taking long (its deadline is a wall-clock
# assertion). HYPOTHESIS_PROFILE=explore searches afresh on each run, for local hunting.
settings.register_profile("default", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_report_header() -> str:
    """Which engine the suite runs: the compiled build (make compile) or pure Python."""
    from sim.compiled import STATE

    return f"sim engine: {STATE}"


# 2026-01-05 is a Monday: weekday-dependent tests count from it.
BASE_SCENARIO: dict[str, Any] = {
    "name": "test",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "seed": 1,
    "replications": 1,
}
BASE_QUEUE: dict[str, Any] = {
    "arrivals": {"rate": "10/h"},
    "staff": 1,
    "service": {"dist": "exponential", "mean": "5m"},
}


def scenario_data(queues: Mapping[str, Mapping[str, Any]], **fields: Any) -> dict[str, Any]:
    """Plain scenario data: the base fields, ``fields`` on top, and ``queues`` as given."""
    data = copy.deepcopy(BASE_SCENARIO)
    data.update(copy.deepcopy(fields))
    data["queues"] = copy.deepcopy(dict(queues))
    return data


def build_network(
    queues: Mapping[str, Mapping[str, Any]], overrides: Iterable[str] = (), **fields: Any
) -> sim.Scenario:
    """A validated scenario with the given queues (full queue specs) and top-level fields."""
    return sim.from_dict(scenario_data(queues, **fields), overrides=overrides)


def build_scenario(
    *, scenario: Mapping[str, Any] | None = None, **queue_fields: Any
) -> sim.Scenario:
    """A one-queue scenario (queue ``q``): :data:`BASE_QUEUE` updated with ``queue_fields``.

    ``scenario`` holds top-level fields (duration, warmup, seed, ...).
    """
    queue = {**copy.deepcopy(BASE_QUEUE), **queue_fields}
    return build_network({"q": queue}, **dict(scenario or {}))


def written_at(path: str | os.PathLike[str], start: str) -> str:
    """``FILE:LINE`` of the one line of the file at ``path`` that starts with ``start``.

    What an error about a field written there begins with; the line is found in the text,
    never copied from a run.
    """
    text = Path(path).read_text(encoding="utf-8")
    (number,) = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return f"{path}:{number}"


@pytest.fixture(scope="session")
def at_line():
    """:func:`written_at`: ``at_line(path, "  email:")`` is ``"PATH:LINE"``."""
    return written_at


@pytest.fixture(scope="session")
def make_scenario():
    """:func:`build_scenario`: ``make_scenario(scenario={...}, **queue_fields)``."""
    return build_scenario


@pytest.fixture(scope="session")
def make_network():
    """:func:`build_network`: ``make_network(queues, overrides=(), **scenario_fields)``."""
    return build_network


@pytest.fixture(scope="session")
def desk_logs():
    """The realistic desk's log (sim.fit.synthetic): clean, spoiled, and what was spoiled."""
    from sim.fit import synthetic

    clean = synthetic.simulate_log(synthetic.desk_scenario(), people=synthetic.desk_people())
    messy, spoiled = synthetic.spoil(clean)
    return clean, messy, spoiled
