"""Sequential stopping: as many replications as the targets need, the same on every backend.

The rule (sim.validate.sequential): a target is settled when its 95% CI lies wholly inside
or outside its pass band, or is at most ``precision`` x its tolerance wide. The tests
check the rule on figures whose CI is known, that a run stops at the minimum when its
targets are plainly met and goes on when one sits on its band's edge, that the counts and
numbers do not depend on the backend, and that calibration reports what it used.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim import cli
from sim.calibrate import calibrate, free_parameter
from sim.scenario import Target
from sim.stats import mean_ci
from sim.validate import validate_all
from sim.validate.sequential import Plan, next_count, settled

# Figures with mean 0.50 and a CI half-width of about 0.036 over 8 values.
SPREAD = np.array([0.45, 0.55, 0.47, 0.53, 0.49, 0.51, 0.44, 0.56])


def _target(value: float, tolerance: float, bound: str = "equal") -> Target:
    return Target(queue="q", metric="abandon_rate", value=value, tolerance=tolerance, bound=bound)


def test_the_ci_of_the_spread_is_what_the_cases_below_assume():
    mean, half = mean_ci(SPREAD)
    assert mean == pytest.approx(0.5)
    assert 0.03 < half < 0.04


@pytest.mark.parametrize(
    ("target", "precision", "expected"),
    [
        (_target(0.5, 0.10), 0.25, True),  # CI wholly inside the band: the verdict is settled
        (_target(0.6, 0.03), 0.25, True),  # wholly outside: settled too (a miss)
        (_target(0.55, 0.06), 0.25, False),  # straddles the upper edge, CI > 0.25 x tol
        (_target(0.55, 0.06), 0.75, True),  # ... but within 0.75 x tol: precise enough
        (_target(0.52, 0.0, "at_most"), 0.5, False),  # a one-sided bound inside the CI
        (_target(0.60, 0.0, "at_most"), 0.5, True),  # ... and well clear of it
    ],
)
def test_a_target_is_settled_by_its_verdict_or_its_precision(target, precision, expected):
    assert settled(target, SPREAD, precision) is expected


def test_figures_with_no_spread_or_no_value_need_no_more_runs():
    target = _target(0.5, 0.01)
    assert settled(target, np.full(4, 0.9))
    assert settled(target, np.full(4, np.nan))
    assert not settled(target, np.array([0.5, np.nan, np.nan, np.nan]))
    # One figure has no CI to project a count from: the next round doubles the runs.
    one = [[0.5], [np.nan], [np.nan], [np.nan]]
    assert next_count([target], one, maximum=100) == 8
    assert next_count([target], one, maximum=6) == 6


def test_the_next_count_follows_the_ci_at_most_doubling_and_within_the_maximum():
    target = _target(0.55, 0.06)
    figures = [[v] for v in SPREAD]
    # Precision 0.25 wants the half-width at 0.015: (0.036 / 0.015)^2 x 8 is about 46.
    assert next_count([target], figures, maximum=100, precision=0.25) == 16  # doubled
    assert next_count([target], figures, maximum=12, precision=0.25) == 12  # capped
    assert next_count([target], figures, maximum=100, precision=0.75) == 8  # settled


def _scenario(rate: str, band: float, replications: int = 40) -> dict:
    """An M/M/2 queue and one abandonment target whose band decides the replications."""
    return {
        "name": "sequential",
        "start": "2026-01-05T00:00",
        "duration": "12h",
        "seed": 4,
        "replications": replications,
        "queues": {
            "q": {
                "arrivals": {"rate": rate},
                "staff": 2,
                "service": {"dist": "exponential", "mean": "5m"},
                "patience": {"dist": "exponential", "mean": "4m"},
            }
        },
        "targets": [{"queue": "q", "metric": "answer_rate", "value": 0.5, "tolerance": band}],
    }


def _counts(data: dict, **options) -> int:
    (row,) = validate_all([("s", sim.from_dict(data))], **options).rows
    return row.replications


def test_a_plainly_met_target_stops_at_the_minimum_and_an_edge_case_runs_on():
    # A light load answers nearly everyone: far outside a 0.5 +- 0.05 band, settled at once.
    assert _counts(_scenario("6/h", 0.05), plan=Plan(4, 0.5)) == 4
    # A band the answer rate sits on the edge of, narrow against the noise: more runs,
    # up to the file's own count.
    heavy = _scenario("40/h", 0.02, replications=12)
    assert _counts(heavy, plan=Plan(4, 0.1)) == 12


def test_a_fixed_count_overrides_sequential_stopping():
    assert _counts(_scenario("6/h", 0.05), replications=7) == 7


def test_counts_and_numbers_do_not_depend_on_where_replications_run():
    data = _scenario("25/h", 0.04, replications=20)
    data["targets"][0]["value"] = 0.7  # about the simulated answer rate: not settled at once
    serial = validate_all([("s", sim.from_dict(data))], workers=1, plan=Plan(4, 0.25)).rows
    pooled = validate_all([("s", sim.from_dict(data))], workers=2, plan=Plan(4, 0.25)).rows
    assert [r.to_dict() for r in serial] == [r.to_dict() for r in pooled]
    assert 4 < serial[0].replications <= 20


def test_validate_command_says_how_many_replications_each_file_used(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(_scenario("6/h", 0.05)))
    assert cli.main(["validate", str(path), "--workers", "1"]) == 1  # the target misses
    out = capsys.readouterr().out
    assert "4 replications, as the targets needed: s 4" in out
    assert cli.main(["validate", str(path), "--workers", "1", "-n", "5"]) == 1
    assert "5 replications each" in capsys.readouterr().out
    # The sequential options reach the plan (no test passed them a value they take):
    # settled at once, the file runs the first round's count it is given.
    argv = ["validate", str(path), "--workers", "1", "--min-replications", "2"]
    assert cli.main([*argv, "--precision", "1"]) == 1
    assert "2 replications, as the targets needed: s 2" in capsys.readouterr().out


def test_calibration_chooses_its_replications_once_and_reports_them():
    data = _scenario("25/h", 0.02, replications=16)
    data["targets"][0]["value"] = 0.8
    free = [free_parameter("queues.q.patience.mean=1:30", data)]
    fixed = calibrate(data, free, replications=5, max_evaluations=6)
    assert fixed.replications == 5
    chosen = calibrate(data, free, max_evaluations=6, plan=Plan(4, 0.5))
    assert 4 <= chosen.replications <= 16
    precise = calibrate(data, free, max_evaluations=6, plan=Plan(4, 0.1))
    assert precise.replications >= chosen.replications


def test_a_mean_exactly_on_an_edge_with_no_tolerance_asks_for_more_runs_not_a_crash():
    # No tolerance and a mean exactly on the bound: the precision test wants a zero-wide
    # CI, so the projection is unbounded (it raised OverflowError); the round doubles.
    target = Target(queue="q", metric="abandon_rate", value=0.5, bound="at_most")
    figures = [[0.25], [0.75], [0.5], [0.5]]
    assert not settled(target, np.array([f[0] for f in figures]))
    assert next_count([target], figures, maximum=100) == 8
    assert next_count([target], figures, maximum=6) == 6


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--precision", "0", "expected a fraction in (0, 1], got '0'"),
        ("--precision", "1.5", "expected a fraction in (0, 1], got '1.5'"),
        # Said "could not convert string to float: 'abc'" and "invalid literal for int()
        # with base 10: '2.5'": Python's words.
        ("--precision", "abc", "expected a fraction in (0, 1], got 'abc'"),
        (
            "--min-replications",
            "1",
            "sequential stopping starts from at least 2 replications, got 1",
        ),
        ("--min-replications", "2.5", "expected a whole number, got '2.5'"),
    ],
)
def test_bad_sequential_options_exit_2_naming_the_option(capsys, option, value, reason):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["validate", "scenarios/small_merchant_order_chat.yaml", option, value])
    assert stopped.value.code == 2
    assert f"argument {option}: {reason}" in capsys.readouterr().err
