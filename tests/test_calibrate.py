"""``sim calibrate``: recovering known parameters, parsing free parameters, the output file.

The recovery test builds an M/M/c+M queue whose abandonment probability is known in
closed form (Erlang A), states that probability as the target, starts the patience mean
far from the truth and checks that the fit lands within the band the simulation noise
allows: the target's CI half-width converted to patience through the slope of the
Erlang A curve.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import yaml

import sim
from sim import cli
from sim.calibrate import calibrate, free_parameter, write_calibrated
from sim.erlang import erlang_a
from sim.errors import ScenarioError

LAM_PER_H, MEAN_SERVICE_MIN, AGENTS, TRUE_PATIENCE_MIN = 75.0, 4.0, 5, 10.0


def _p_abandon(patience_min: float) -> float:
    lam = LAM_PER_H / 60.0  # per minute
    return erlang_a(lam, 1.0 / MEAN_SERVICE_MIN, AGENTS, 1.0 / patience_min).p_abandon


def _synthetic(patience: str) -> dict:
    return {
        "name": "erlang-a",
        "start": "2026-11-16T00:00",
        "duration": "3d",
        "warmup": "3h",
        "seed": 11,
        "replications": 6,
        "queues": {
            "chat": {
                "arrivals": {"rate": f"{LAM_PER_H:g}/h"},
                "staff": AGENTS,
                "service": {"dist": "exponential", "mean": f"{MEAN_SERVICE_MIN:g}m"},
                "patience": {"dist": "exponential", "mean": patience},
            }
        },
        "targets": [
            {
                "queue": "chat",
                "metric": "abandon_rate",
                "value": _p_abandon(TRUE_PATIENCE_MIN),
                "tolerance": 0.005,
            }
        ],
    }


def test_calibration_recovers_patience_from_erlang_a():
    data = _synthetic("25m")
    free = [free_parameter("queues.chat.patience.mean=3:40", data)]
    assert free[0].unit == "m"
    assert free[0].start == 25.0
    result = calibrate(data, free, max_evaluations=30)
    fitted = result.fitted[0]
    mean, half = result.after[0]
    # Noise band: the CI of the abandon rate, through the slope dP/dpatience.
    slope = (_p_abandon(TRUE_PATIENCE_MIN * 1.05) - _p_abandon(TRUE_PATIENCE_MIN * 0.95)) / (
        0.1 * TRUE_PATIENCE_MIN
    )
    band = 3 * half / abs(slope)
    assert abs(fitted - TRUE_PATIENCE_MIN) <= band, (fitted, band)
    assert abs(mean - result.targets[0].value) <= 3 * half
    assert result.passed == [True]
    # The start was far off: the fit did move, and the calibrated scenario carries it.
    before, _ = result.before[0]
    assert abs(before - result.targets[0].value) > 2 * half
    assert result.scenario.queues["chat"].patience.mean == pytest.approx(fitted * 60, rel=1e-5)


def test_calibration_recovers_an_arrival_rate_with_two_parameters():
    """Two free parameters, each pinned by its own target (coordinate descent)."""
    data = _synthetic("10m")
    data["queues"]["chat"]["arrivals"]["rate"] = "40/h"
    data["targets"].append(
        {"queue": "chat", "metric": "utilization", "value": 0.0, "tolerance": 0.01}
    )
    # Utilisation of the true model (measured on a long reference run made here).
    reference = sim.from_dict({**_synthetic("10m"), "replications": 8, "duration": "6d"})
    ref = sim.run(reference, workers=1).summary().loc["chat"]
    data["targets"][1]["value"] = float(ref["utilization"])
    data["targets"][1]["tolerance"] = max(float(ref["utilization_ci95"]), 0.005)
    free = [
        free_parameter("queues.chat.arrivals.rate=30:120", data),
        free_parameter("queues.chat.patience.mean=3:40", data),
    ]
    assert free[0].unit == "/h"
    result = calibrate(data, free, max_evaluations=60)
    rate, patience = result.fitted
    assert abs(rate - LAM_PER_H) / LAM_PER_H < 0.08, result.fitted
    assert abs(patience - TRUE_PATIENCE_MIN) / TRUE_PATIENCE_MIN < 0.35, result.fitted
    assert all(result.passed)


def test_free_parameter_units_bounds_and_ties():
    data = {
        "queues": {
            "a": {
                "arrivals": {"rate": "2/min"},
                "patience": {"mean": "8m"},
                "staff": 3,
                "resolution": 0.7,
                "on_unresolved": {"b": 0.4, "a": 0.6},
            },
            "b": {"patience": {"mean": "30s"}, "service": {"mean": 90}},
        },
        "targets": [{"queue": {"a": 0.5, "b": 0.5}}],
    }
    rate = free_parameter("queues.a.arrivals.rate", data)
    assert (rate.start, rate.unit, rate.low, rate.high) == (2.0, "/min", 0.5, 8.0)
    assert rate.overrides(3.5) == ["queues.a.arrivals.rate=3.5/min"]
    bounded = free_parameter("queues.a.patience.mean=2m:1h", data)
    assert (bounded.low, bounded.high, bounded.unit) == (2.0, 60.0, "m")
    # A rate's bounds in other units: 30/h is 0.5/min, 1/s is 60/min.
    per_minute = free_parameter("queues.a.arrivals.rate=30/h:1/s", data)
    assert (per_minute.low, per_minute.high, per_minute.unit) == (0.5, 60.0, "/min")
    bare = free_parameter("queues.a.patience.mean=5:12", data)
    assert (bare.low, bare.high) == (5.0, 12.0)
    plain = free_parameter("queues.b.service.mean", data)
    assert (plain.unit, plain.overrides(60)) == ("", ["queues.b.service.mean=60.0"])
    prob = free_parameter("queues.a.resolution", data)
    assert (prob.low, prob.high) == (0.0, 1.0)
    route = free_parameter("queues.a.on_unresolved.b,1-queues.a.on_unresolved.a", data)
    assert route.overrides(0.25) == [
        "queues.a.on_unresolved.b=0.25",
        "queues.a.on_unresolved.a=0.75",
    ]
    weight = free_parameter("targets.0.queue.a=0.1:0.9", data)
    assert weight.start == 0.5
    tied = free_parameter("queues.a.patience.mean,queues.b.patience.mean=1:20", data)
    assert tied.overrides(4) == ["queues.a.patience.mean=4m", "queues.b.patience.mean=4m"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("queues.a.staff", "whole numbers"),
        ("queues.a.nothing", "no such field"),
        ("queues.a.patience.mean=9:3", "LOW must be below HIGH"),
        ("queues.a.patience.mean=3", "LOW:HIGH"),
        ("queues.a.patience.mean,queues.a.arrivals.rate", "another kind"),
        ("queues.a.arrivals.rate=abc/h:3/min", "bad bound 'abc/h': cannot read 'abc/h' as a rate"),
        ("queues.a.arrivals.rate=1h:2h", "bad bound '1h': cannot read '1h' as a rate"),
        ("queues.a.resolution=5m:0.9", "bad bound '5m'"),
    ],
)
def test_bad_free_parameters(spec, reason):
    data = {
        "queues": {
            "a": {
                "arrivals": {"rate": "2/min"},
                "patience": {"mean": "8m"},
                "staff": 3,
                "resolution": 0.8,
            }
        }
    }
    with pytest.raises(ScenarioError, match=re.escape(reason)):
        free_parameter(spec, data)


def test_calibrate_from_python_names_its_keywords_not_the_flags(monkeypatch):
    # free_parameter and calibrate said --free and --target, flags a Python caller never
    # gave (and free_parameter named "--free" as the file).
    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking its options")

    monkeypatch.setattr("sim.calibrate.backend", no_simulation)
    data = _small()
    with pytest.raises(ScenarioError) as caught:
        free_parameter("queues.chat.nothing", data)
    assert str(caught.value) == "<dict>: queues.chat.nothing: free: no such field in the file"
    with pytest.raises(ScenarioError) as caught:
        free_parameter("queues.chat.staff", data)
    assert str(caught.value).endswith("cannot be fitted; compare them with sim.sweep")
    with pytest.raises(ScenarioError) as caught:
        calibrate(data, [])
    assert str(caught.value) == "<dict>: free: name at least one parameter to fit"
    free = [free_parameter("queues.chat.patience.mean=3:40", data)]
    with pytest.raises(ScenarioError) as caught:
        calibrate(data, free, targets=[5])
    said = "<dict>: targets.5: targets: no such target (the file's are 0 to 0)"
    assert str(caught.value) == said


def test_sim_calibrate_names_its_flags(tmp_path, capsys, monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking its options")

    monkeypatch.setattr("sim.calibrate.backend", no_simulation)
    file, out = tmp_path / "s.yaml", tmp_path / "c.yaml"
    file.write_text(yaml.safe_dump(_small()))
    assert (
        cli.main(["calibrate", str(file), "--free", "queues.chat.nothing", "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert err == f"error: {file}: queues.chat.nothing: --free: no such field in the file\n"
    assert cli.main(["calibrate", str(file), "--free", "queues.chat.staff", "--out", str(out)]) == 2
    assert capsys.readouterr().err.endswith("cannot be fitted; compare them with sim sweep\n")
    free = ["--free", "queues.chat.patience.mean=3:40"]
    assert cli.main(["calibrate", str(file), *free, "--target", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {file}: targets.5: --target: no such target (the file's are 0 to 0)\n"
    assert not out.exists()


def test_calibrate_command_writes_a_loadable_scenario(tmp_path, capsys):
    source = tmp_path / "erlang.yaml"
    data = _synthetic("25m")
    data["replications"] = 3
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "fitted.yaml"
    code = cli.main(
        ["calibrate", str(source), "--free", "queues.chat.patience.mean=3:40", "--out", str(out),
         "--max-evaluations", "20", "--json"]
    )  # fmt: skip
    report = yaml.safe_load(capsys.readouterr().out)  # JSON is YAML
    assert code in (0, 1)
    assert report["parameters"][0]["path"] == "queues.chat.patience.mean"
    assert report["targets"][0]["passed"] is (code == 0)
    fitted = sim.load(out)
    assert fitted.queues["chat"].patience.mean == pytest.approx(
        report["parameters"][0]["fitted"] * 60, rel=1e-5
    )
    assert out.read_text().startswith("# Calibrated by `sim calibrate`")
    assert cli.main(["calibrate", str(source), "--free", "queues.chat.staff"]) == 2
    assert "whole numbers" in capsys.readouterr().err


def test_write_calibrated_round_trip(tmp_path):
    data = _synthetic("12m")
    data["replications"] = 2
    free = [free_parameter("queues.chat.patience.mean=5:20", data)]
    result = calibrate(data, free, max_evaluations=8)
    path = write_calibrated(result, tmp_path / "out.yaml", "synthetic")
    again = sim.load(path)
    assert again == result.scenario
    assert math.isfinite(result.objective)


def _small(patience: str = "25m") -> dict:
    """One day of the Erlang A queue, two replications: cheap evaluations."""
    return {**_synthetic(patience), "duration": "1d", "replications": 2}


def test_a_target_met_at_the_start_leaves_the_parameter_where_it_was():
    # An at-most bound met at the start: every patience that keeps abandonment under
    # half is as good, so the search must not move the value to one of them.
    data = _small()
    data["targets"] = [
        {"queue": "chat", "metric": "abandon_rate", "value": 0.5, "bound": "at_most"}
    ]
    free = [free_parameter("queues.chat.patience.mean=3:40", data)]
    result = calibrate(data, free, max_evaluations=10)
    assert result.fitted == [25.0]
    assert result.objective == 0
    assert result.evaluations == 0
    assert result.passed == [True]


@pytest.mark.parametrize(
    ("budget", "parameters", "method"),
    [(1, 1, "coordinate"), (1, 2, "coordinate"), (4, 2, "coordinate"), (3, 2, "nelder-mead")],
)
def test_max_evaluations_caps_the_simulations_the_search_runs(budget, parameters, method):
    data = _small()
    data["targets"][0]["value"] = 0.03
    specs = ["queues.chat.patience.mean=3:40", "queues.chat.service.mean=2:6"]
    free = [free_parameter(spec, data) for spec in specs[:parameters]]
    seen: list[float] = []
    result = calibrate(
        data, free, max_evaluations=budget, method=method,
        progress=lambda _v, loss: seen.append(loss),
    )  # fmt: skip
    assert result.evaluations == len(seen) == budget
    assert result.budget_spent
    # The best point seen is the one returned (the start counts, it was simulated).
    assert result.objective <= min(seen)


def _calibrate_args(tmp_path, data: dict, patience_range: str, *, budget: int) -> list[str]:
    """``sim calibrate`` of ``data`` with a 3% abandonment target, patience free."""
    source = tmp_path / "erlang.yaml"
    data["targets"][0]["value"] = 0.03
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    return ["calibrate", str(source), "--free", f"queues.chat.patience.mean={patience_range}",
            "--workers", "1", "--max-evaluations", str(budget),
            "--out", str(tmp_path / "fitted.yaml")]  # fmt: skip


def test_calibrate_command_says_when_the_budget_ran_out(tmp_path, capsys):
    args = _calibrate_args(tmp_path, _small(), "3:40", budget=2)
    assert cli.main(args) == 1
    text = capsys.readouterr().out
    assert "fitted in 2 evaluations" in text
    assert "the budget (--max-evaluations) ran out before the search converged" in text
    assert cli.main([*args, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["budget_spent"] is True


def test_calibrate_says_when_the_fit_is_pressed_against_its_range(tmp_path, capsys):
    # 3% abandonment needs a far longer patience than 6 minutes (Erlang A: the desk is
    # loaded at 100%): the search ends on the range's top, and the report says so.
    args = _calibrate_args(tmp_path, {**_synthetic("4m"), "replications": 4}, "3:6", budget=12)
    assert cli.main(args) == 1
    text = capsys.readouterr().out
    assert "at the edge of the range searched: the best value may lie beyond it" in text
    assert cli.main([*args, "--json"]) == 1
    (parameter,) = json.loads(capsys.readouterr().out)["parameters"]
    assert parameter["at_edge"] is True
    assert parameter["fitted"] == pytest.approx(6.0, abs=0.03)
    # The abandonment of a 10-minute patience, in a range that holds it: not at the edge.
    source = tmp_path / "erlang.yaml"
    source.write_text(yaml.safe_dump({**_synthetic("4m"), "replications": 4}, sort_keys=False))
    args[3] = "queues.chat.patience.mean=3:40"
    cli.main([*args, "--json"])
    (parameter,) = json.loads(capsys.readouterr().out)["parameters"]
    assert parameter["at_edge"] is False
    assert 3.4 < parameter["fitted"] < 39.6


@pytest.mark.parametrize(
    ("option", "error", "message"),
    [
        # scipy spells it so: it ran coordinate descent without a word.
        ({"method": "Nelder-Mead"}, ValueError, r"^method must be one of coordinate, nelder-mead"),
        ({"seed": -1}, ValueError, r"^seed must be >= 0"),
        ({"seed": 1.5}, TypeError, r"^seed must be a whole number"),
        # A budget of none returned the start values as the fit.
        ({"max_evaluations": 0}, ValueError, r"^max_evaluations must be at least 1"),
        ({"max_evaluations": 2.5}, TypeError, r"^max_evaluations must be a whole number"),
        # No target to fit: the start came back as the fit, objective 0, "passed".
        ({"targets": []}, ScenarioError, r"^<dict>: targets: name at least one target"),
    ],
)
def test_calibrate_refuses_a_bad_option_naming_it(option, error, message, monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking its options")

    monkeypatch.setattr("sim.calibrate.backend", no_simulation)
    data = _small()
    free = [free_parameter("queues.chat.patience.mean=3:40", data)]
    with pytest.raises(error, match=message):
        calibrate(data, free, **option)


@pytest.mark.parametrize(
    "spec", ["queues.chat.patience.mean=30:40", "queues.chat.patience.mean=1:5"]
)
@pytest.mark.parametrize("budget", [2, 8])
def test_the_fit_lies_in_the_range_searched_when_the_file_value_does_not(spec, budget):
    # The file's 25m lies outside the range: the search compared its best point with the
    # range's nearest end but kept 25m, outside the range, as "fitted" and wrote it.
    data = _small()
    free = [free_parameter(spec, data)]
    result = calibrate(data, free, max_evaluations=budget)
    assert free[0].low <= result.fitted[0] <= free[0].high
    assert result.evaluations <= budget


def test_calibrate_text_shows_a_bound_target_as_a_bound(tmp_path, capsys):
    # The target table printed "50.0%" for an at-most 50% target: read as a point target,
    # a figure of 2% looked like a miss of 48 points next to "pass".
    data = _small()
    data["targets"] = [
        {"queue": "chat", "metric": "abandon_rate", "value": 0.5, "bound": "at_most"}
    ]
    args = _calibrate_args(tmp_path, data, "3:40", budget=2)
    data["targets"][0]["value"] = 0.5  # _calibrate_args sets 3%: keep the bound's 50%
    (tmp_path / "erlang.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    assert cli.main(args) == 0
    assert ": <= 50.0% | " in capsys.readouterr().out


def test_calibrate_takes_a_file_and_the_written_file_says_the_seed_it_was_fitted_at(tmp_path):
    # calibrate(path) failed with a dict error naming no argument; and a fit made at
    # --seed 9 wrote the file's own seed with no word of the one its figures came from.
    source = tmp_path / "erlang.yaml"
    source.write_text(yaml.safe_dump({**_small(), "seed": 3}, sort_keys=False))
    free = [free_parameter("queues.chat.patience.mean=5:20", _small())]
    result = calibrate(source, free, seed=9, replications=2, max_evaluations=2)
    assert result.seed == 9
    path = write_calibrated(result, tmp_path / "out.yaml", str(source))
    assert sim.load(path).seed == 3
    assert "# Fitted at seed 9, 2 replications an evaluation;" in path.read_text()
    with pytest.raises(TypeError, match="data must be a scenario's plain data"):
        calibrate(42, free)  # type: ignore[arg-type]


def test_calibrate_text_counts_one_replication_in_the_singular(tmp_path, capsys):
    args = _calibrate_args(tmp_path, _small(), "3:40", budget=1)
    cli.main([*args, "-n", "1"])
    assert "fitted in 1 evaluation of 1 replication each" in capsys.readouterr().out


def test_one_replication_shows_the_mean_without_an_empty_ci(tmp_path, capsys):
    # One replication has no CI: the after column read "45m52s ±-" where validate's table
    # shows the mean alone.
    args = ["calibrate", "scenarios/document/comments.yaml", "-n", "1", "--workers", "1"]
    args += ["--free", "targets.0.queue.comment_growing=0.005:0.05", "--target", "0"]
    assert cli.main([*args, "--max-evaluations", "2", "--out", str(tmp_path / "c.yaml")]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  [")]
    assert len(rows) == 2
    assert not any("±" in row for row in rows)
