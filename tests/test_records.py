"""The contact log: columns that grow while the run writes them, and the drain's count.

The log keeps its columns in anonymous memory maps that grow by doubling (in place where
the system can resize a map, by copying where it cannot): whatever the engine wrote must
come back unchanged, and the rows it never wrote must hold the columns' defaults.
"""

from __future__ import annotations

import mmap

import numpy as np
import pytest

from sim import records
from sim.records import ContactLog, Outcome

ROWS = 3 * records._CHUNK + 5  # past several doublings of the reserved rows


class _CannotResize(mmap.mmap):
    """A map as on systems without mremap: resizing fails, the log must copy."""

    def resize(self, newsize: int) -> None:
        raise SystemError("mmap: resizing not available--no mremap()")


@pytest.fixture(params=["resize", "copy"])
def log(request, monkeypatch) -> ContactLog:
    if request.param == "copy":
        monkeypatch.setattr(records, "_anonymous_map", lambda size: _CannotResize(-1, size))
    return ContactLog()


def _fill(log: ContactLog, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Write what the engine writes into ROWS hops; return what was written."""
    arrive = np.sort(rng.random(ROWS) * 1e6)
    service = rng.exponential(300.0, ROWS)
    served = rng.random(ROWS) < 0.7
    for row in range(ROWS):
        routed = row % 5 == 4
        rec = log.open_hop(row // 2 if routed else -1, 1 if routed else 0, row % 7, arrive[row])
        assert rec == row
        log.service[rec] = service[row]
        if served[row]:
            log.agent_start[rec] = arrive[row] + 1.0
            log.agent[rec] = row % 11
            log.end[rec] = arrive[row] + 1.0 + service[row]
            log.outcome[rec] = Outcome.RESOLVED
    return {"arrive": arrive, "service": service, "served": served}


def test_columns_keep_every_write_across_growth(log):
    written = _fill(log, np.random.default_rng(5))
    hops, contacts = log.close()
    served = written["served"]
    assert len(hops["arrive"]) == ROWS
    np.testing.assert_array_equal(hops["arrive"], written["arrive"])
    np.testing.assert_array_equal(hops["queue"], np.arange(ROWS) % 7)
    np.testing.assert_array_equal(hops["hop"], (np.arange(ROWS) % 5 == 4).astype(np.int8))
    np.testing.assert_array_equal(hops["agent"], np.where(served, np.arange(ROWS) % 11, -1))
    np.testing.assert_array_equal(hops["service"][served], written["service"][served])
    # Untouched rows hold the defaults; close() completes response, by and outcome.
    assert np.isnan(hops["agent_start"][~served]).all()
    assert np.isnan(hops["service"][~served]).all()
    assert (hops["next_queue"] == -1).all()
    np.testing.assert_array_equal(hops["response"][served], written["arrive"][served] + 1.0)
    assert (hops["outcome"][~served] == Outcome.UNFINISHED).all()
    assert len(contacts["entered"]) == int((np.arange(ROWS) % 5 != 4).sum())


def test_working_columns_keep_their_defaults_and_writes_across_growth(log):
    # The working columns grow with the records, in maps as they do (as growing arrays
    # they were copied whole at each growth). Made when a queue needs them, possibly
    # after rows exist: those rows read the defaults too.
    rng = np.random.default_rng(11)
    u, delay = rng.random(ROWS), rng.exponential(60.0, ROWS)
    log.route_draws()
    for row in range(ROWS):
        rec = log.open_hop(-1, 0, 0, float(row))
        if row == records._CHUNK + 3:
            log.retry_delays()  # late: the rows before read NaN
        if row % 3:
            log.route_u[rec] = u[row]
        if row % 4 == 0 and row > records._CHUNK + 3:
            log.retry_after[rec] = delay[row]
        if row % 5 == 0:
            log.fate[rec] = True
    rows = np.arange(ROWS)
    route_u = np.frombuffer(log.route_u, dtype=np.float64, count=ROWS)
    np.testing.assert_array_equal(route_u, np.where(rows % 3 != 0, u, 0.0))
    retry_after = np.frombuffer(log.retry_after, dtype=np.float64, count=ROWS)
    later = (rows % 4 == 0) & (rows > records._CHUNK + 3)
    np.testing.assert_array_equal(retry_after[later], delay[later])
    assert np.isnan(retry_after[~later]).all()
    fate = np.frombuffer(log.fate, dtype=np.int8, count=ROWS)
    np.testing.assert_array_equal(fate, (rows % 5 == 0).astype(np.int8))
    log.close()  # lets the working columns go: the run is over
    assert log._working == {}
    for name in ("route_u", "retry_after", "fate"):
        assert len(getattr(log, name)) == 0  # the view of the column is gone


def test_in_flight_counts_pending_hops_and_contacts_on_their_way(log):
    rng = np.random.default_rng(11)
    outcome = np.zeros(ROWS, dtype=np.int8)
    opened = 0
    for step in range(40):
        # Hops open, some finish (in any order), some contacts travel between hops.
        for _ in range(int(rng.integers(0, 700))):
            if opened < ROWS:
                log.open_hop(-1, 0, 0, float(opened))
                opened += 1
        for row in rng.choice(opened, size=min(opened, 300), replace=False).tolist():
            log.outcome[row] = outcome[row] = Outcome.ABANDONED
        log.transit = {i: (0, i, 1, 0.0) for i in range(step % 4)}
        expected = int(np.count_nonzero(outcome[:opened] == Outcome.PENDING)) + step % 4
        assert log.in_flight() == expected


NAN = float("nan")
AGENT, BOT, NONE = records.By.AGENT, records.By.BOT, records.By.NONE

# Each path a hop takes through the engine: what the engine writes (beyond open_hop), and
# what close() must return for response, agent_start, end, service, by and outcome.
# The float columns are not given defaults ahead: a field written as 0.0 (a hop at the
# run's first instant) must stay 0.0, and one never written must come back NaN.
PATHS = {
    "an agent resolves": (
        {"service": 5.0, "agent_start": 2.0, "agent": 3, "outcome": Outcome.RESOLVED},
        (2.0, 2.0, 7.0, 5.0, AGENT, Outcome.RESOLVED),
    ),
    "the bot answers, an agent resolves": (
        {"service": 5.0, "response": 1.5, "by": BOT, "agent_start": 2.0, "agent": 4}
        | {"outcome": Outcome.RESOLVED},
        (1.5, 2.0, 7.0, 5.0, AGENT, Outcome.RESOLVED),
    ),
    "the bot resolves": (
        {"service": 5.0, "response": 1.5, "by": BOT, "end": 1.5, "outcome": Outcome.RESOLVED},
        (1.5, NAN, 1.5, NAN, BOT, Outcome.RESOLVED),
    ),
    "the bot hands over, the contact gives up": (
        {"service": 5.0, "response": 1.5, "by": BOT, "end": 9.0, "outcome": Outcome.ABANDONED},
        (1.5, NAN, 9.0, NAN, BOT, Outcome.ABANDONED),
    ),
    "it gives up waiting": (
        {"service": 5.0, "end": 9.0, "outcome": Outcome.ABANDONED},
        (NAN, NAN, 9.0, NAN, NONE, Outcome.ABANDONED),
    ),
    "an agent leaves it unresolved": (
        {"service": 5.0, "agent_start": 2.0, "agent": 1, "end": 7.0}
        | {"outcome": Outcome.UNRESOLVED},
        (2.0, 2.0, 7.0, 5.0, AGENT, Outcome.UNRESOLVED),
    ),
    "in service when the run stops": (
        {"service": 5.0, "agent_start": 2.0, "agent": 5},
        (2.0, 2.0, NAN, 5.0, NONE, Outcome.UNFINISHED),
    ),
    "waiting when the run stops": (
        {"service": 5.0},
        (NAN, NAN, NAN, NAN, NONE, Outcome.UNFINISHED),
    ),
    "on its way when the run stops (land_transit)": (
        {},
        (NAN, NAN, NAN, NAN, NONE, Outcome.UNFINISHED),
    ),
    "closed at the first instant": (
        {"service": 5.0, "end": 0.0, "outcome": Outcome.CLOSED},
        (NAN, NAN, 0.0, NAN, NONE, Outcome.CLOSED),
    ),
    "the bot answers at the first instant and resolves": (
        {"service": 5.0, "response": 0.0, "by": BOT, "end": 0.0, "outcome": Outcome.RESOLVED},
        (0.0, NAN, 0.0, NAN, BOT, Outcome.RESOLVED),
    ),
    "agent 0 takes it at the first instant and resolves": (
        {"service": 5.0, "agent_start": 0.0, "agent": 0, "outcome": Outcome.RESOLVED},
        (0.0, 0.0, 5.0, 5.0, AGENT, Outcome.RESOLVED),
    ),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_close_completes_the_fields_of_each_path(log, path):
    # Rows past a chunk and a growth: the columns' untouched pages read 0 there too.
    writes, expected = PATHS[path]
    for _ in range(records._CHUNK + 7):
        log.open_hop(-1, 0, 0, 0.0)
    rec = log.open_hop(-1, 0, 0, 0.0)
    for name, value in writes.items():
        getattr(log, name)[rec] = value
    hops, _ = log.close()
    got = tuple(hops[name][rec] for name in ("response", "agent_start", "end", "service"))
    np.testing.assert_array_equal(got, expected[:4])  # NaN equals NaN here
    assert (hops["by"][rec], hops["outcome"][rec]) == expected[4:]
    assert hops["agent"][rec] == writes.get("agent", -1)
