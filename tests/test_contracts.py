"""DESIGN.md's public contracts that no other test file pins, section by section.

Each test is named after the promise it checks; promises other files already pin are not
repeated here. This file holds the rest: the layout's import rules, the design page's
own example scenario, the distributions' mean and cv, the arrival rate's factors on dated
days, every metric name in `sim run --json`, `role` in `sim validate --json`, the package
version in `--out`, `sim compare` of scenarios with nothing to pair, `sim fit`'s options,
the workload guard's memory estimate, and the Python API given what it cannot use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import TypeAdapter
from scipy import stats

import sim
from sim.cli import main
from sim.distributions import Distribution
from sim.fit import LogError

HOUR = 3600.0
DAY = 86400.0


def _write(folder: Path, data: dict[str, Any] | str, name: str) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- layout


def test_the_loader_never_imports_simpy_and_the_engine_no_file_reader(tmp_path):
    # DESIGN.md's layout: "the engine never reads files and the loader never runs SimPy".
    path = _write(tmp_path, SMALL, "small.yaml")
    loader = f"""
import sys, sim.loader
sim.loader.load({str(path)!r})
assert "simpy" not in sys.modules, "the loader imported SimPy"
"""
    engine = """
import sys, sim.engine
readers = {"yaml", "pandas", "sim.loader", "sim.yamlfile", "sim.compose", "sim.outputs"}
assert not readers & set(sys.modules), readers & set(sys.modules)
"""
    for code in (loader, engine):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
        )
        assert proc.returncode == 0, proc.stderr


def test_a_bad_file_is_refused_without_numpy(tmp_path):
    # Issue 12's start-up: an error in the file comes from pydantic alone; numpy (a
    # tenth of a second) is imported only once the file is valid, for the workload check.
    bad = dict(
        SMALL, queues={**SMALL["queues"], "email": {**SMALL["queues"]["email"], "pattience": "3m"}}
    )
    path = _write(tmp_path, bad, "typo.yaml")
    code = f"""
import sys, sim
try:
    sim.load({str(path)!r})
except sim.ScenarioError as exc:
    assert "pattience" in str(exc), exc
else:
    raise AssertionError("the typo was accepted")
assert "numpy" not in sys.modules, "refusing a bad file imported numpy"
sim.load({str(path.with_name("good.yaml"))!r})
assert "numpy" in sys.modules  # the workload check of a valid file needs it
"""
    _write(tmp_path, SMALL, "good.yaml")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_a_bad_free_field_is_refused_without_numpy(tmp_path):
    # Issue 12's start-up: calibrate checks --free against the file's data before the
    # workload check, the one step of loading a valid file that needs numpy.
    path = _write(tmp_path, SMALL, "good.yaml")
    code = f"""
import sys
from sim.cli import main
assert main(["calibrate", {str(path)!r}, "--free", "queues.chat.no_such_field"]) == 2
assert "numpy" not in sys.modules, "a bad --free imported numpy"
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "no_such_field" in proc.stderr


def test_run_and_validate_do_without_scipy_stats(tmp_path):
    # Issue 12: scipy.stats took a second to import (its docstrings are built on import)
    # and every `sim run` and `sim validate` paid it through sim.stats' t quantile. The
    # quantile is scipy.special's; the run's summary still works, with its intervals.
    path = _write(tmp_path, SMALL, "good.yaml")
    target = {"queue": "chat", "metric": "mean_wait", "value": 60, "tolerance": 1000}
    _write(tmp_path, {**SMALL, "targets": [target]}, "checked.yaml")
    code = f"""
import math, sys, sim
from sim.validate import validate
results = sim.run({str(path)!r}, replications=3, workers=1)
summary = results.summary()
assert summary.loc["chat", "mean_wait_s_ci95"] > 0, summary
rows = validate(sim.load({str(path.with_name("checked.yaml"))!r}), workers=1)
assert math.isfinite(rows[0].ci95), rows
assert "scipy.stats" not in sys.modules, "a run or a validation imported scipy.stats"
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- scenario file

# DESIGN.md's example as printed, its "[...24 weights...]" written out.
DESIGN_EXAMPLE = """\
name: livestream-promo-peak
start: 2026-11-11T00:00
duration: 1d            # durations: 90s, 4m12s, 2h, 1d, or a number of seconds
warmup: 1h
seed: 7
replications: 20
queues:
  live_peak:
    channel: livestream
    segment: agency
    arrivals: {rate: 150/h, profile: [PROFILE], peaks: [{start: "20:00", end: "23:00", \
multiplier: 3}]}
    staff: [{start: "08:00", end: "16:00", agents: 10}, {start: "16:00", end: "24:00", agents: 12}]
    bot: {when: unstaffed, resolution: 0.34}
    service: {dist: lognormal, mean: 3m, cv: 0.8}
    patience: {dist: exponential, mean: 6m}
    resolution: 0.9
    on_unresolved: {email: 1.0}
  email:
    channel: email
    staff: {business_hours: {open: "09:00", close: "17:00", agents: 2, days: weekdays}}
    closed: wait
    service: {dist: gamma, mean: 20m, cv: 1}
targets:   # figures from the source document that this scenario must reproduce
  - {queue: live_peak, metric: mean_wait, value: 4m12s, tolerance: 10%}
  - {queue: live_peak, metric: resolution_rate, value: 0.61, tolerance: 0.03}
""".replace("PROFILE", ", ".join(["1"] * 24))


def test_the_design_pages_example_scenario_loads_as_it_reads(tmp_path):
    scenario = sim.load(_write(tmp_path, DESIGN_EXAMPLE, "design.yaml"))
    assert (scenario.duration, scenario.warmup, scenario.seed, scenario.replications) == (
        DAY, HOUR, 7, 20)  # fmt: skip
    live = scenario.queues["live_peak"]
    assert live.arrivals.rate == pytest.approx(150 / HOUR)
    assert [(s.start, s.end, s.agents) for s in live.staff] == [
        (8 * HOUR, 16 * HOUR, 10), (16 * HOUR, 24 * HOUR, 12)]  # fmt: skip
    assert (live.bot.when, live.bot.resolution) == ("unstaffed", 0.34)
    assert (live.service.mean, live.service.cv, live.patience.mean) == (180.0, 0.8, 360.0)
    assert live.on_unresolved == {"email": 1.0}
    email = scenario.queues["email"]
    assert [(s.start, s.end, s.agents, s.days) for s in email.staff] == [
        (9 * HOUR, 17 * HOUR, 2, ("weekdays",))]  # fmt: skip
    assert email.closed == "wait"
    wait, resolution = scenario.targets
    assert (wait.metric, wait.value) == ("mean_wait", 252.0)  # 4m12s
    assert (resolution.metric, resolution.value) == ("resolution_rate", 0.61)


def test_the_design_pages_example_validates_with_its_tolerances(capsys, tmp_path):
    path = _write(tmp_path, DESIGN_EXAMPLE, "design.yaml")
    code, out, err = _cli(capsys, "validate", str(path), "-n", "2", "--workers", "1", "--json")
    assert code in (0, 1), err  # 1: a missed target is the scenario's, not bad input
    wait, resolution = json.loads(out)
    assert wait["tolerance"] == pytest.approx(0.1 * 252.0)  # `10%` is relative
    assert resolution["tolerance"] == 0.03  # a bare number is absolute
    assert code == (0 if wait["passed"] and resolution["passed"] else 1)


def _draws(spec: dict[str, Any], size: int = 400_000) -> np.ndarray:
    dist = TypeAdapter(Distribution).validate_python(spec)
    return dist.sample(np.random.default_rng(20261111), size)


@pytest.mark.parametrize(
    ("dist", "cv"),
    [("lognormal", 0.3), ("lognormal", 0.8), ("gamma", 0.5), ("gamma", 1.0), ("gamma", 2.0)],
)
def test_lognormal_and_gamma_given_mean_and_cv_draw_that_mean_and_cv(dist, cv):
    # 400,000 draws: the sample mean and cv are within about 0.5% of the truth for these
    # shapes (lognormal kurtosis stays small up to cv 0.8); a mix-up of the two
    # parameters (a standard deviation for a cv, a scale for a mean) is off by far more.
    values = _draws({"dist": dist, "mean": "3m", "cv": cv})
    assert values.min() > 0
    assert values.mean() == pytest.approx(180.0, rel=0.01)
    assert values.std() / values.mean() == pytest.approx(cv, rel=0.02)


def test_constant_uniform_and_empirical_draw_what_they_say():
    assert set(_draws({"dist": "constant", "value": "90s"}, 1000)) == {90.0}
    uniform = _draws({"dist": "uniform", "low": "1m", "high": "3m"})
    assert uniform.min() >= 60.0
    assert uniform.max() <= 180.0
    assert uniform.mean() == pytest.approx(120.0, rel=0.005)
    observed = [30.0, 45.0, 120.0]
    empirical = _draws({"dist": "empirical", "values": ["30s", "45s", "2m"]}, 30_000)
    values, counts = np.unique(empirical, return_counts=True)
    assert list(values) == observed  # only the observed values
    assert stats.chisquare(counts).pvalue > 0.001  # each equally likely


def test_staff_110_is_110_agents_always_on():
    scenario = sim.from_dict({
        "name": "always", "start": "2026-01-05T00:00", "duration": "1d", "warmup": "1h",
        "queues": {"q": {"arrivals": {"rate": "60/h"}, "staff": 110,
                         "service": {"dist": "constant", "value": "1m"}}},
    })  # fmt: skip
    summary = sim.run(scenario, replications=1, workers=1).summary()
    assert summary.loc["q", "mean_agents_on_shift"] == 110
    assert summary.loc["q", "mean_wait_s"] == 0


# --------------------------------------------------------------------------- arrivals


def test_arrivals_are_rate_by_weekday_by_dated_peak_by_holiday_multiplier():
    # Tuesday 10 Nov to Thursday 12 Nov 2026, the 12th a holiday (x2); a dated peak (x4)
    # from 20:00 on the 11th into 01:00 on the 12th, a daily one (x3) at 10:00 on weekdays,
    # and weekday weights (Monday first, mean 1) making Wednesday and Thursday three times
    # Tuesday. Counts in each stretch of
    # constant rate are Poisson with mean rate x length x replications.
    reps = 20
    scenario = sim.from_dict({
        "name": "factors", "start": "2026-11-10T00:00", "duration": "3d", "seed": 4,
        "calendar": {"holidays": ["2026-11-12"]},
        "queues": {"q": {
            "arrivals": {
                "rate": "30/h", "holiday_multiplier": 2,
                "weekdays": [1, 0.5, 1.5, 1.5, 1, 0.75, 0.75],
                "peaks": [
                    {"start": "2026-11-11T20:00", "end": "2026-11-12T01:00", "multiplier": 4},
                    {"start": "10:00", "end": "11:00", "multiplier": 3, "days": "weekdays"},
                ],
            },
            "staff": 0, "service": {"dist": "constant", "value": "1m"},
        }},
    })  # fmt: skip
    arrive = np.concatenate([sim.simulate(scenario, r).hops["arrive"] for r in range(reps)])
    # (from hour, to hour, arrivals per hour): 30/h x 0.5 on Tuesday, x 1.5 after.
    stretches = [
        (0, 10, 15), (10, 11, 45), (11, 24, 15),  # Tuesday
        (24, 34, 45), (34, 35, 135), (35, 44, 45), (44, 48, 180),  # Wednesday, to 20:00 x4
        (48, 49, 360), (49, 58, 90), (58, 59, 270), (59, 72, 90),  # the holiday: x2 all day
    ]  # fmt: skip
    observed = [((arrive >= a * HOUR) & (arrive < b * HOUR)).sum() for a, b, _ in stretches]
    expected = np.array([reps * (b - a) * rate for a, b, rate in stretches], float)
    assert sum(observed) == len(arrive)  # nothing outside the stretches
    chi2 = float(np.sum((np.array(observed) - expected) ** 2 / expected))
    assert chi2 <= stats.chi2.ppf(0.999, len(expected)), (observed, expected)


# --------------------------------------------------------------------------- metrics

# Every figure DESIGN.md's Metrics section names, as the JSON and summary() spell them.
DESIGN_METRICS = (
    "arrivals", "answered", "mean_wait_s", "median_wait_s", "p90_wait_s", "p95_wait_s",
    "service_level", "abandon_rate", "resolution_rate", "escalation_rate", "utilization",
    "mean_agents_on_shift", "mean_agents_available",
    "e2e_contacts", "e2e_resolution_rate", "e2e_mean_time_s", "e2e_mean_hops",
)  # fmt: skip

SMALL = {
    "name": "small", "start": "2026-01-05T00:00", "duration": "3h", "warmup": "30m",
    "seed": 5, "replications": 2,
    "queues": {
        "chat": {"arrivals": {"rate": "30/h"}, "staff": 2, "shrinkage": 0.2,
                 "service": {"dist": "exponential", "mean": "3m"},
                 "patience": {"dist": "exponential", "mean": "5m"},
                 "resolution": 0.7, "on_unresolved": {"email": 1.0}},
        "email": {"staff": 1, "service": {"dist": "constant", "value": "5m"}},
    },
}  # fmt: skip


def test_run_json_and_summary_carry_every_metric_the_design_names_with_its_ci(capsys, tmp_path):
    path = _write(tmp_path, SMALL, "small.yaml")
    code, out, err = _cli(capsys, "run", str(path), "--workers", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {"scenario", "replications", "seed", "queues"} <= set(doc)
    summary = sim.run(path, workers=1).summary()
    for queue, figures in doc["queues"].items():
        for metric in DESIGN_METRICS:
            assert metric in figures, (queue, metric)
            assert metric in figures["ci95"], (queue, metric)
            assert {metric, f"{metric}_ci95"} <= set(summary.columns), metric
            value = np.nan if figures[metric] is None else figures[metric]  # null: undefined
            assert value == pytest.approx(summary.loc[queue, metric], nan_ok=True)
    chat = doc["queues"]["chat"]
    # Available agents are those on shift less the shrinkage: 2 x 0.8.
    assert chat["mean_agents_on_shift"] == 2
    assert chat["mean_agents_available"] == pytest.approx(1.6, abs=0.1)
    assert chat["e2e_contacts"] == chat["arrivals"] > 0  # every chat contact entered there


# --------------------------------------------------------------------------- command line


def test_validate_json_rows_always_carry_role_null_without_a_ledger(capsys, tmp_path):
    # A role comes from a ledger (a `calibrated:` list, even empty, or a `restates`); a
    # file without one still gives every row the key, null, so a reader need not guess.
    target = {"queue": "chat", "metric": "resolution_rate", "value": 0.7, "tolerance": 0.5}
    plain = _write(tmp_path, {**SMALL, "targets": [target]}, "plain.yaml")
    kept = _write(tmp_path, {**SMALL, "targets": [target], "calibrated": []}, "kept.yaml")
    argv = ["validate", str(plain), str(kept), "-n", "2", "--workers", "1", "--json"]
    code, out, err = _cli(capsys, *argv)
    assert code == 0, err
    rows = json.loads(out)
    assert [(Path(r["source"]).name, r["role"]) for r in rows] == [
        ("plain.yaml", None), ("kept.yaml", "check")]  # fmt: skip


def test_out_metadata_names_the_package_version_pyproject_declares(capsys, tmp_path):
    # metadata.json's package version is sim.__version__, written by hand beside
    # pyproject.toml's: a release that bumped one and not the other mislabelled results.
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE)
    assert declared is not None
    path = _write(tmp_path, SMALL, "small.yaml")
    code, _, err = _cli(capsys, "run", str(path), "-n", "1", "--out", str(tmp_path / "out"))
    assert code == 0, err
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["sim_version"] == declared.group(1) == sim.__version__
    assert meta["seed"] == SMALL["seed"]
    assert len(meta["scenario_sha256"]) == 64


def test_compare_of_scenarios_with_no_queue_in_common_is_bad_input(capsys, tmp_path, monkeypatch):
    # `sim compare A B` whose queues all differ simulated both, wrote --out, then ended
    # in a KeyError traceback (exit 1): there is nothing to pair.
    import sim.runner

    def refuse(*_args, **_kwargs):
        raise AssertionError("simulated although nothing can be compared")

    monkeypatch.setattr(sim.runner, "simulate", refuse)
    a = _write(tmp_path, SMALL, "a.yaml")
    other = {**SMALL, "queues": {"phone": {**SMALL["queues"]["chat"], "on_unresolved": {}}}}
    b = _write(tmp_path, other, "b.yaml")
    out = tmp_path / "diff.csv"
    argv = ["compare", str(a), str(b), "-n", "1", "--workers", "1", "--out", str(out)]
    code, stdout, err = _cli(capsys, *argv)
    assert code == 2
    assert stdout == ""
    assert "Traceback" not in err
    assert err.startswith(f"error: {b}: queues: no queue in common with A")
    assert not out.exists()
    with pytest.raises(sim.ScenarioError, match="no queue in common with A"):
        sim.compare(a, b, replications=1, workers=1)


def _seconds_log(folder: Path) -> tuple[Path, Path]:
    """A desk's log with seconds for times and its own column names, and its roster."""
    desk = {
        "name": "desk", "start": "2026-11-02T00:00", "duration": "2d", "seed": 3,
        "queues": {"chat": {"arrivals": {"rate": "20/h"},
                            "staff": [{"start": "08:00", "end": "20:00", "agents": 2}],
                            "service": {"dist": "exponential", "mean": "3m"},
                            "patience": {"dist": "exponential", "mean": "5m"}}},
    }  # fmt: skip
    contacts = sim.run(sim.from_dict(desk), replications=1, workers=1).contacts()
    contacts = contacts[contacts["outcome"] != "unfinished"]
    log = pd.DataFrame({
        "queue": contacts["queue"], "ticket": contacts["contact"],
        "created": contacts["arrive"], "picked_up": contacts["agent_start"],
        "closed_at": contacts["end"], "outcome": contacts["outcome"],
    })  # fmt: skip
    log_path = folder / "export.csv"
    log.to_csv(log_path, index=False)
    roster = pd.DataFrame({
        "start": ["2026-11-02T08:00", "2026-11-03T08:00"],
        "end": ["2026-11-02T20:00", "2026-11-03T20:00"], "agents": [2, 2],
    })  # fmt: skip
    roster_path = folder / "roster.csv"
    roster.to_csv(roster_path, index=False)
    return log_path, roster_path


def test_sim_fit_takes_start_columns_roster_and_report_as_the_design_says(capsys, tmp_path):
    log, roster = _seconds_log(tmp_path)
    columns = {"contact": "ticket", "arrive": "created", "answer": "picked_up",
               "end": "closed_at"}  # fmt: skip
    fitted, page = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    argv = ["fit", str(log), "--out", str(fitted), "--start", "2026-11-02T00:00",
            "--columns", ",".join(f"{k}={v}" for k, v in columns.items()),
            "--roster", str(roster), "--report", str(page),
            "-n", "1", "--workers", "1"]  # fmt: skip
    code, out, err = _cli(capsys, *argv)
    assert code == 0, err
    assert "back-test" in out
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    # The command is the Python API with the same arguments, its file `.to_yaml()`.
    same = sim.fit(log, start="2026-11-02T00:00", columns=columns, roster=roster,
                   replications=1, workers=1)  # fmt: skip
    assert fitted.read_text(encoding="utf-8") == same.to_yaml()
    assert sim.load(fitted) == same.scenario
    chat = same.scenario.queues["chat"]
    assert [(s.start, s.end, s.agents) for s in chat.staff] == [
        (pd.Timestamp("2026-11-02T08:00").to_pydatetime(),
         pd.Timestamp("2026-11-02T20:00").to_pydatetime(), 2),
        (pd.Timestamp("2026-11-03T08:00").to_pydatetime(),
         pd.Timestamp("2026-11-03T20:00").to_pydatetime(), 2),
    ]  # fmt: skip
    assert set(same.report()) >= {"parameters", "backtest_overall", "backtest_daily"}


def test_sim_fit_start_with_a_time_zone_is_bad_input_not_a_crash(capsys, tmp_path):
    # `--start 2026-11-02T00:00+08:00` ended in a TypeError traceback (exit 1) once the
    # log's seconds were read: an aware start cannot be set against the wall clock.
    log, roster = _seconds_log(tmp_path)
    columns = "contact=ticket,arrive=created,answer=picked_up,end=closed_at"
    fitted = tmp_path / "fitted.yaml"
    argv = ["fit", str(log), "--out", str(fitted), "--start", "2026-11-02T00:00+08:00",
            "--columns", columns, "--roster", str(roster), "-n", "1", "--workers", "1"]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert "argument --start: give the desk's local wall-clock time without a time zone" in err
    assert not fitted.exists()
    # The Python API, given the text or a datetime, says the same of `start`.
    mapping = dict(pair.split("=") for pair in columns.split(","))
    for start in ("2026-11-02T00:00+08:00", dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)):
        with pytest.raises(LogError, match=r"start: give the desk's local wall-clock time"):
            sim.fit(log, start=start, columns=mapping, roster=roster, replications=1, workers=1)


# --------------------------------------------------------------------------- exit codes


def test_the_memory_guard_counts_one_running_replication_per_worker_that_has_one():
    # Exit 2 is for work past the limits. The runner starts no more processes than there
    # are replications, but the guard counted one running replication per worker: a
    # 1.2 GiB replication run alone was refused as 4.7 GiB with --workers 4 (or on a
    # 4-core machine by default), though only one process ever ran.
    from sim.workload import LIMITS, estimate

    scenario = sim.from_dict({
        "name": "busy", "start": "2026-01-05T00:00", "duration": "25000s",
        "queues": {"q": {"arrivals": {"rate": "100/s"}, "staff": 1000,
                         "service": {"dist": "constant", "value": "1s"}}},
    })  # fmt: skip
    alone = estimate([(scenario, 1)], workers=1)
    assert LIMITS.memory_bytes / 4 < alone.memory_bytes < LIMITS.memory_bytes
    assert estimate([(scenario, 1)], workers=4).memory_bytes == alone.memory_bytes
    assert estimate([(scenario, 1)], workers=4).problems() == []
    # With more replications than workers, each worker holds one at a time.
    assert (
        estimate([(scenario, 3)], workers=8).memory_bytes
        == estimate([(scenario, 3)], workers=3).memory_bytes
    )
    assert estimate([(scenario, 3)], workers=2).memory_bytes == 2 * alone.memory_bytes


# --------------------------------------------------------------------------- Python API


def test_calibration_runs_after_the_validate_package_was_used(tmp_path):
    # `sim.validate.estimate` is both a function the package exports and the module
    # defining it: once anything imported the module (validate_all does), the package's
    # name was the module, and a calibration in that session failed with
    # "TypeError: 'module' object is not callable". A fresh process: import order counts.
    target = {"queue": "chat", "metric": "resolution_rate", "value": 0.7, "tolerance": 0.5}
    path = _write(tmp_path, {**SMALL, "targets": [target]}, "small.yaml")
    code = f"""
import yaml
from sim.validate import validate_all  # a notebook validates first
from sim.calibrate import calibrate, free_parameter
data = yaml.safe_load(open({str(path)!r}))
free = [free_parameter("queues.chat.resolution", data)]
result = calibrate(data, free, replications=1, max_evaluations=1)
print(len(result.passed))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"


def test_a_number_for_a_scenario_path_is_a_type_error_that_leaves_the_descriptor_open(tmp_path):
    # open() takes an int as a file descriptor: sim.load(1) read the process's stdout and
    # closed it (the next print failed), sim.load(fd) closed the caller's file. The API
    # takes a path (or, for run/compare/sweep, plain data); anything else is a TypeError.
    path = _write(tmp_path, SMALL, "small.yaml")
    fd = os.open(path, os.O_RDONLY)
    try:
        calls = {
            "load": lambda: sim.load(fd),
            "sweep": lambda: sim.sweep(fd, {"queues.email.staff": [1, 2]}),
            "compare": lambda: sim.compare(fd, overrides=["queues.email.staff=2"]),
            "staff_plan": lambda: sim.staff_plan(fd, "chat", "80% in 60s"),
        }
        for name, call in calls.items():
            with pytest.raises(TypeError, match="path"):
                call()
            os.fstat(fd)  # still open: nothing read from it, nothing closed (else: name)
            assert os.lseek(fd, 0, os.SEEK_CUR) == 0, name
    finally:
        os.close(fd)
