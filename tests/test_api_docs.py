"""The public Python API does what its docstrings (and DESIGN.md's contract) say.

Each test tries, from Python, one promise of an exported name's docstring: an argument it
accepts, a column it returns, an exception it raises.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.metrics import METRICS

ONE_QUEUE = {
    "name": "api-docs",
    "start": "2026-01-05T00:00",
    "duration": "1d",
    "seed": 1,
    "replications": 2,
    "queues": {
        "chat": {
            "channel": "chat",
            "arrivals": {"rate": "10/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "5m"},
            "patience": {"dist": "exponential", "mean": "10m"},
        }
    },
}


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return sim.from_dict(ONE_QUEUE)


@pytest.fixture(scope="module")
def results(scenario) -> sim.Results:
    return sim.run(scenario, workers=1)


@pytest.fixture(scope="module")
def log(results) -> pd.DataFrame:
    """This run's own contact log: times in seconds from the scenario's start."""
    return results.contacts()


@pytest.fixture(scope="module")
def fitted(log, scenario):
    return sim.fit(log, start=scenario.start, replications=1, workers=1)


def test_fit_result_queue_of_an_unknown_name_is_a_key_error_naming_the_queues(fitted):
    assert fitted.queue("chat").queue == "chat"
    with pytest.raises(KeyError, match=r"'email'.*chat"):
        fitted.queue("email")


def test_fit_start_that_is_not_a_date_time_is_bad_input_naming_start(log):
    with pytest.raises(sim.LogError, match=r"start: .*'yesterday'"):
        sim.fit(log, start="yesterday", replications=1, workers=1)


@pytest.mark.parametrize(
    ("options", "error", "named"),
    [
        ({"seed": 1.5}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"replications": 2.0}, TypeError, "replications"),
        ({"replications": 0}, ValueError, "replications"),
        ({"workers": 0}, ValueError, "workers"),
    ],
)
def test_fit_counts_are_checked_before_fitting_like_run(log, scenario, options, error, named):
    # As sim.run: a count or seed it cannot use is said at once and named, not later as
    # an invalid "fitted scenario" or, for workers, only when the back-test runs.
    options = {"replications": 1, "workers": 1} | options
    with pytest.raises(error, match=named):
        sim.fit(log, start=scenario.start, **options)


def test_fit_interval_is_30_or_60_minutes_given_as_seconds_or_text(log, scenario):
    thirty = sim.fit(log, start=scenario.start, interval="30m", replications=1, workers=1)
    starts = thirty.report(backtest=False)["staffing"]["start"]
    assert (starts.diff().dropna() == 1800).all()


# A bad interval of each caller, and what it is told after "interval must be 30m or 60m, ".
BAD_INTERVALS = [(2700, "got 45m"), ("soon", "got 'soon'")]
INTERVAL_COMMANDS = [
    ["fit", "log.csv", "--out", "f.yaml"],
    ["staff", "scenarios/small_merchant_order_chat.yaml", "--target", "80% in 1m"],
]


@pytest.mark.parametrize(("interval", "said"), BAD_INTERVALS)
def test_a_bad_interval_is_told_alike_by_fit_and_staff_plan(log, scenario, interval, said):
    # sim.fit said "30m or 1h", staff_plan "30m or 60m": one rule, one message.
    message = re.escape(f"interval must be 30m or 60m, {said}")
    with pytest.raises(ValueError, match=f"^{message}$"):
        sim.fit(log, start=scenario.start, interval=interval, replications=1, workers=1)
    with pytest.raises(sim.StaffingError, match=f"^{message}$"):
        sim.staff_plan(scenario, "chat", interval=interval, replications=1, workers=1)


@pytest.mark.parametrize(("interval", "said"), BAD_INTERVALS)
@pytest.mark.parametrize("command", INTERVAL_COMMANDS)
def test_a_bad_interval_is_told_alike_by_sim_fit_and_sim_staff(capsys, command, interval, said):
    with pytest.raises(SystemExit) as usage:  # argparse: a bad --interval is a usage error
        main([*command, "--interval", str(interval)])
    assert usage.value.code == 2
    message = f"argument --interval: interval must be 30m or 60m, {said}\n"
    assert message in capsys.readouterr().err


def _documented_names(method) -> set[str]:
    """The ``name`` literals of a docstring that read as column names (not placeholders)."""
    return {
        name
        for name in re.findall(r"``([^`]+)``", inspect.getdoc(method) or "")
        if re.fullmatch(r"[a-z][a-z0-9_]*", name)
    }


def _names(frame: pd.DataFrame) -> set[str]:
    return set(frame.columns) | {n for n in frame.index.names if n is not None}


# Literals in these docstrings that are values or arguments, not columns.
NOT_COLUMNS = {"resolved", "abandoned", "none", "bot"}


@pytest.mark.parametrize(
    "method", ["summary", "metrics", "hourly", "contacts", "teams", "team_metrics"]
)
def test_every_column_a_results_docstring_names_is_in_its_table(results, method):
    frame = getattr(results, method)()
    documented = _documented_names(getattr(sim.Results, method)) - NOT_COLUMNS
    assert documented, f"Results.{method} documents no column"
    assert documented <= _names(frame), documented - _names(frame)


def test_results_tables_are_indexed_and_typed_as_documented(results):
    summary, teams, contacts = results.summary(), results.teams(), results.contacts()
    assert summary.index.name == "queue"
    assert list(summary.columns[:4]) == ["scenario", "variant", "replications", "seed"]
    assert {f"{m}_ci95" for m in METRICS} <= set(summary.columns)
    assert teams.index.names == ["team", "queue"]
    assert set(contacts["outcome"].cat.categories) == {o.name.lower() for o in sim.Outcome}
    assert set(contacts["by"].cat.categories) == {"none", "agent", "bot"}
    answered = contacts["response"].notna()
    assert (
        contacts.loc[answered, "wait"] == (contacts["response"] - contacts["arrive"])[answered]
    ).all()
    assert contacts.loc[~answered, "wait"].isna().all()
    assert contacts.loc[contacts["agent"].isna(), "agent_start"].isna().all()


def test_sim_fit_shows_the_signature_of_the_function_it_calls():
    # sim.fit is a callable package: help() and a notebook's signature pop-up read
    # inspect.signature, which saw only (*args, **kwargs).
    from sim.fit.result import fit

    assert inspect.signature(sim.fit) == inspect.signature(fit)


def _raises_section(function) -> str:
    doc = inspect.getdoc(function) or ""
    return doc.split("Raises:", 1)[1] if "Raises:" in doc else ""


# (name in sim, a call that should raise, the exception): each must be documented in the
# function's Raises section, and raised.
FILE = "scenarios/small_merchant_order_chat.yaml"
DOCUMENTED_RAISES = [
    ("load", lambda s: sim.load("no-such-file.yaml"), sim.ScenarioError),
    ("from_dict", lambda s: sim.from_dict({"name": "x"}), sim.ScenarioError),
    ("run", lambda s: sim.run({"name": "x"}), sim.ScenarioError),
    ("run", lambda s: sim.run(s, seed=1.5), TypeError),
    ("run", lambda s: sim.run(s, overrides="queues.chat.staff=2"), TypeError),
    ("run", lambda s: sim.run(s, workers=0), ValueError),
    ("simulate", lambda s: sim.simulate(s, 0, seed=-1), ValueError),
    ("simulate", lambda s: sim.simulate(FILE), TypeError),
    ("compare", lambda s: sim.compare(s, overrides="queues.chat.staff=2"), TypeError),
    ("compare", lambda s: sim.compare(FILE, overrides="queues.nope.staff=2"), sim.ScenarioError),
    ("sweep", lambda s: sim.sweep(s, {"queues.chat.staff": [1, 2]}), TypeError),
    ("sweep", lambda s: sim.sweep(FILE, "queues.email.staff"), ValueError),
    ("staff_plan", lambda s: sim.staff_plan(s, "nope"), sim.StaffingError),
    ("staff_plan", lambda s: sim.staff_plan(s, "chat", rounds=0), ValueError),
]


@pytest.mark.parametrize(("name", "call", "error"), DOCUMENTED_RAISES)
def test_documented_exceptions_are_raised(scenario, name, call, error):
    assert error.__name__ in _raises_section(getattr(sim, name)), f"{name}: {error.__name__}"
    with pytest.raises(error):
        call(scenario)


@pytest.mark.parametrize(
    ("target", "metric"), [("80% in 60s", None), ("mean wait 2m", "mean_wait_s")]
)
def test_every_column_the_staffing_plan_documents_is_in_its_intervals(scenario, target, metric):
    plan = sim.staff_plan(scenario, "chat", target, replications=2, rounds=1, workers=1)
    # The target's own metric is there only for that target: checked below.
    documented = _documented_names(sim.StaffingPlan) - {"rounds", "mean_wait_s", "abandon_rate"}
    assert documented <= _names(plan.intervals), documented - _names(plan.intervals)
    if metric:
        assert {metric, f"{metric}_ci95", f"{metric}_at_erlang"} <= _names(plan.intervals)
    assert plan.model == "Erlang A"  # the queue's contacts have a patience
    assert plan.interval == 3600
    assert len(plan.intervals) == 24


def test_fit_report_holds_the_tables_its_docstring_names(fitted):
    documented = _documented_names(type(fitted).report) - {"backtest"}
    assert set(fitted.report(backtest=False)) == {
        name for name in documented if not name.startswith("backtest_")
    }
    assert set(fitted.report()) == documented
    assert set(fitted.report()["parameters"].columns) >= {
        "queue",
        "parameter",
        "value",
        "low",
        "high",
    }


def test_replication_result_documents_every_hop_and_contact_column(scenario):
    result = sim.simulate(scenario, 0)
    documented = _documented_names(sim.ReplicationResult)
    assert set(result.hops) <= documented, set(result.hops) - documented
    assert set(result.contacts) <= documented, set(result.contacts) - documented
    assert result.window == (scenario.warmup, scenario.duration)
    assert result.end_time >= scenario.duration
    assert sim.Outcome.PENDING not in set(result.hops["outcome"])


@pytest.mark.parametrize(
    "option",
    [
        {"start": "2020-01-01T00:00"},
        {"columns": {"arrive": "t_in"}},
        {"replication": 1},
        {"max_broken": 0.5},
    ],
)
def test_fit_of_a_log_already_read_refuses_reading_options_it_would_ignore(log, scenario, option):
    # They were silently dropped: a Log was read with its own start, columns, ...
    read = sim.fit.read_log(log, start=scenario.start)
    with pytest.raises(TypeError, match=next(iter(option))):
        sim.fit(read, replications=1, workers=1, **option)


@pytest.mark.parametrize("unit", ["h", "hours"])
def test_plot_time_unit_may_be_given_by_its_symbol_or_name(results, unit):
    # "unit: time unit of the x axis": a notebook user writes unit="h"; the only
    # accepted value was a TimeUnit object (and a text failed with an AttributeError).
    fig = sim.plots.wait_ecdf(results, unit=unit)
    assert sim.plots.wait_ecdf(results).axes[0].get_xlabel() == "t: wait (minutes)"
    assert fig.axes[0].get_xlabel() == "t: wait (hours)"
    with pytest.raises(sim.plots.PlotError, match="fortnight"):
        sim.plots.wait_histogram(results, unit="fortnight")


def test_hourly_profile_of_a_table_that_is_not_hourly_names_what_it_lacks(results):
    # "data: results, or their hourly() table": given contacts(), it failed with a bare
    # KeyError: 'hour'.
    sim.plots.hourly_profile(results.hourly())
    with pytest.raises(sim.plots.PlotError, match=r"hourly\(\).*hour"):
        sim.plots.hourly_profile(results.contacts())


@pytest.mark.parametrize("bins", [0, -1, 2.5])
def test_wait_histogram_bins_is_a_number_of_bins(results, bins):
    # bins=0 drew an empty histogram without a word, -1 and 2.5 failed in numpy.
    with pytest.raises(sim.plots.PlotError, match="bins"):
        sim.plots.wait_histogram(results, bins=bins)


@pytest.mark.parametrize("max_broken", [5, -0.1])
def test_fit_max_broken_is_a_share(log, scenario, max_broken):
    # max_broken=5 (meant as 5%) accepted a log however broken, without a word.
    with pytest.raises(ValueError, match="max_broken"):
        sim.fit(log, start=scenario.start, max_broken=max_broken, replications=1, workers=1)


# Each error the Python API raises (or warning it warns), and a module that raises it.
PUBLIC_ERRORS = {
    "ScenarioError": "sim.loader",
    "LogError": "sim.fit",
    "StaffingError": "sim.staffing",
    "PlotError": "sim.plots",
    "OutputError": "sim.outputs",
    "ClusterError": "sim.runner",
    "WorkerLostError": "sim.pool",
    "WorkloadError": "sim.workload",
    "DatedWarning": "sim.dated",
    "CJKFontWarning": "sim.plots.fonts",
    "WorkersWarning": "sim.runner",
}


@pytest.mark.parametrize(("name", "raiser"), PUBLIC_ERRORS.items())
def test_every_error_the_api_raises_is_exported_from_sim(name, raiser):
    # StaffingError, LogError and PlotError were reachable only through their packages;
    # WorkloadError, DatedWarning and CJKFontWarning only through their modules, which
    # load numpy, pydantic or matplotlib.
    assert name in sim.__all__
    raised = getattr(__import__(raiser, fromlist=[name]), name)
    assert getattr(sim, name) is raised


def test_catching_an_error_of_sim_loads_nothing_heavy():
    # ``except sim.PlotError`` must not import matplotlib (nor LogError pandas, nor a
    # filter on sim.DatedWarning pydantic).
    code = (
        f"import sys, sim; errors = [getattr(sim, n) for n in {sorted(PUBLIC_ERRORS)}];"
        "heavy = {'numpy', 'pandas', 'simpy', 'pydantic', 'scipy', 'matplotlib'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


# The packages whose public names are imported on first use (their ``_HOMES``).
LAZY_PACKAGES = ["sim", "sim.plots", "sim.report", "sim.staffing", "sim.validate"]
# In a fresh process: the package's modules imported before any of its names is asked
# for, then each name that is not the one its home module defines.
_SUBMODULES_FIRST = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.iter_modules(package.__path__):
    if info.name != "__main__":  # runs the command
        importlib.import_module(f"{package.__name__}.{info.name}")
for public, home in package._HOMES.items():
    if getattr(package, public) is not getattr(importlib.import_module(home), public):
        print(public)
"""


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_lazy_name_is_its_home_s_whatever_was_imported_first(package):
    # sim.validate exported the function ``estimate`` of its submodule ``estimate``: once
    # that submodule was imported, ``from sim.validate import estimate`` gave the module,
    # and sim calibrate after sim validate in one process failed ("'module' object is
    # not callable").
    done = subprocess.run(
        [sys.executable, "-c", _SUBMODULES_FIRST, package],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert done.stdout == ""


def test_scenario_documents_every_field():
    doc = inspect.getdoc(sim.Scenario) or ""
    attributes = doc.split("Attributes:", 1)[1]
    documented = set(re.findall(r"^    (\w+):", attributes, flags=re.MULTILINE))
    assert documented == set(sim.Scenario.model_fields)
