"""The workload estimate and its limits, the progress display, and the reader's limits.

The estimate is the integral of the arrival rate: its mean agrees with simulated counts
within the Poisson standard error. The limits refuse what they document and nothing
less. Progress goes to stderr only, as lines when stderr is not a terminal.
"""

from __future__ import annotations

import io
import json
import math
import re
import socket
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim import progress as progress_module
from sim.cli import main
from sim.cluster import ClusterError, parse_address
from sim.progress import Progress
from sim.report.tables import MAX_WIDTH, wrapped_blocks
from sim.runner import replication_count
from sim.validate import TargetRow, format_rows
from sim.workload import (
    BYTES_KEPT_PER_VISIT,
    BYTES_PER_WORKER,
    LIMITS,
    MAX_ARRIVALS,
    Limits,
    Workload,
    WorkloadError,
    estimate,
    expected_arrivals,
    expected_visits,
)
from sim.yamlfile import MAX_NODES, YamlLimitError, check_tree, parse_text

PEAKED = {
    "name": "peaked",
    "start": "2026-01-09T06:00",  # a Friday morning: weekday and holiday weights apply
    "duration": "2d",
    "seed": 11,
    "replications": 1,
    "calendar": {"holidays": ["2026-01-10"]},
    "queues": {
        "a": {
            "arrivals": {
                "rate": "120/h",
                "profile": [1] * 8 + [3] * 12 + [1] * 4,
                "weekdays": [1, 1, 1, 1, 2, 1, 1],
                "peaks": [{"start": "20:00", "end": "22:00", "multiplier": 2.5}],
                "holiday_multiplier": 0.5,
            },
            "staff": 20,
            "service": {"dist": "exponential", "mean": "2m"},
        },
        "b": {
            "arrivals": {"rate": "30/h"},
            "staff": 2,
            "service": {"dist": "constant", "value": 60},
        },
    },
}


def test_the_estimate_is_the_mean_of_the_simulated_arrivals():
    scenario = sim.from_dict(PEAKED)
    expected = expected_arrivals(scenario)
    reps = 20
    counts = {name: [] for name in scenario.queues}
    for r in range(reps):
        hops = sim.simulate(scenario, r).hops
        for i, name in enumerate(scenario.queues):
            counts[name].append(int(((hops["queue"] == i) & (hops["hop"] == 0)).sum()))
    for name, lam in expected.items():
        # Poisson counts: the mean of `reps` has standard error sqrt(lam / reps).
        assert abs(np.mean(counts[name]) - lam) < 4 * math.sqrt(lam / reps), name


def test_the_estimate_adds_up_variants_replications_and_repeats():
    scenario = sim.from_dict(PEAKED)
    per_replication = sum(expected_arrivals(scenario).values())
    work = estimate([(scenario, 3), (scenario, 2)], repeats=4)
    # One set of runs: 5 replications; the repeats count towards the total only.
    assert work.replications == 5
    assert work.repeats == 4
    assert work.contacts == pytest.approx(5 * per_replication)
    assert work.per_replication == pytest.approx(per_replication)
    kept = estimate([(scenario, 5)], keep=True).memory_bytes
    assert kept > estimate([(scenario, 5)]).memory_bytes
    assert work.agent_shifts == 5 * (20 + 2)  # constant staff: one shift each


def test_a_calibration_of_an_ordinary_week_is_allowed_and_an_absurd_total_is_not():
    # 60 evaluations of 10 replications of a week of 100,000 contacts: 60 million in all.
    ordinary = Workload(10, 1e6, 100, 1e8, per_replication=1e5, repeats=60)
    assert ordinary.problems() == []
    absurd = Workload(10, 1e7, 100, 1e8, per_replication=1e6, repeats=1000)
    assert "over 1,000 evaluations" in " ".join(absurd.problems())
    # One evaluation past the total is past the per-set limit too: said once, not twice.
    single = Workload(10, 6e8, 100, 1e8, per_replication=6e7).problems()
    assert len(single) == 1
    assert "evaluations" not in single[0]


def test_limits_name_each_quantity_past_them():
    small = Workload(replications=10, contacts=1e5, agent_shifts=10, memory_bytes=1e6)
    assert small.problems() == []
    huge = Workload(10**6, 1e9, 10**9, 1e12, per_replication=1e3)
    found = " ".join(huge.problems())
    for word in ("1,000,000 replications", "1,000,000,000 contacts", "agent shifts", "GiB"):
        assert word in found
    assert Workload(10, 1e5, 10, 1e6).problems(Limits(contacts=10)) != []
    assert LIMITS.contacts >= 10 * 100_000  # the documented limit covers ordinary studies


def test_kept_records_cost_no_more_than_the_documented_bytes_per_visit():
    for path in ("scenarios/livestream_promo_peak.yaml", "scenarios/document/offline.yaml"):
        scenario = sim.load(path)
        result = sim.simulate(scenario, 0)
        stored = sum(a.nbytes for a in result.hops.values())
        stored += sum(a.nbytes for a in result.contacts.values())
        assert stored / len(result.hops["hop"]) <= BYTES_KEPT_PER_VISIT, path


# A chat whose every way out is known in advance: the expected visits are exact.
ONE_WAY_OUT = {
    "name": "one-way-out",
    "start": "2026-01-05T00:00",
    "duration": "2d",
    "seed": 2,
    "queues": {
        "chat": {
            "arrivals": {"rate": "120/h"},
            "staff": 3,
            "service": {"dist": "exponential", "mean": "1m"},
            "resolution": 0.6,
            "visibility": 0.9,
            "on_not_visible": {"email": 1.0},
            "on_unresolved": {"email": 0.5, "phone": 0.25},
            "parallel": {"email": 0.1},
        },
        "phone": {
            "staff": 1,
            "service": {"dist": "constant", "value": 30},
            "resolution": 0.5,
            "on_unresolved": {"email": 1.0},
        },
        "email": {"staff": 2, "service": {"dist": "constant", "value": 60}},
    },
}


def test_expected_visits_follow_the_routes_exactly_with_one_way_out():
    scenario = sim.from_dict(ONE_WAY_OUT)
    arrivals = sum(expected_arrivals(scenario).values())
    # Per arrival: the chat; 10% hidden, to email; 90% seen: 10% open a parallel email,
    # 40% unresolved, of which half to email and a quarter to the phone, whose
    # unresolved half go to email.
    per_arrival = 1 + 0.1 + 0.9 * (0.1 + 0.4 * (0.5 + 0.25 * (1 + 0.5)))
    assert expected_visits(scenario) == pytest.approx(arrivals * per_arrival, rel=1e-12)
    hops = sim.simulate(scenario).hops
    first = int((hops["hop"] == 0).sum())
    # Visits per arrival: a mean over ~5,760 contacts of a count between 1 and 4, whose
    # variance is at most (m - 1)(4 - m) < 1.25 (Bhatia-Davis): 4 standard errors.
    limit = 4 * math.sqrt(1.25 / first)
    assert len(hops["hop"]) / first == pytest.approx(per_arrival, abs=limit)


def test_expected_visits_stop_at_max_hops():
    data = {**ONE_WAY_OUT, "max_hops": 4}
    data["queues"] = {
        "q": {"arrivals": {"rate": "10/h"}, "service": {"dist": "constant", "value": 60},
              "patience": {"dist": "constant", "value": 30},
              "retry": {"probability": 1.0, "after": {"dist": "constant", "value": 60}}},
    }  # fmt: skip
    scenario = sim.from_dict(data)  # nobody on shift: every attempt gives up and retries
    arrivals = sum(expected_arrivals(scenario).values())
    assert expected_visits(scenario) == pytest.approx(4 * arrivals, rel=1e-12)
    hops = sim.simulate(scenario).hops
    assert len(hops["hop"]) == 4 * int((hops["hop"] == 0).sum())


@pytest.mark.parametrize(
    "path",
    [
        "scenarios/hotline_gold_priority.yaml",  # retrials
        "scenarios/document/homepage.yaml",  # closed hours, overflow, routes
        "scenarios/document/offline.yaml",  # the most visits per arrival
    ],
)
def test_expected_visits_bound_the_simulated_visits(path):
    scenario = sim.load(path)
    bound = expected_visits(scenario)
    for replication in range(2):
        visits = len(sim.simulate(scenario, replication).hops["hop"])
        # An upper bound in expectation; one replication's count varies about its mean
        # by a few square roots of it.
        assert visits <= bound + 4 * math.sqrt(bound), path


def test_the_platform_week_runs_under_the_memory_limit_by_default():
    # 30 replications of the joined week, kept by sim run on two workers: estimated
    # 2.04 GiB at three visits' bytes per arrival (offline's) and refused, while it
    # used 929 MiB (PSS, all processes); its own routes give 1.85 visits per arrival
    # at most (1.35 simulated). The README's table: benchmarks/bench_guard.py.
    scenario = sim.load("scenarios/document/platform.yaml")
    work = estimate([(scenario, scenario.replications)], keep=True, workers=2)
    assert work.problems() == []
    arrivals = sum(expected_arrivals(scenario).values())
    assert expected_visits(scenario) / arrivals < 2


def test_on_a_cluster_no_local_workers_are_counted(capsys):
    # With --scheduler nothing runs here and --workers is not used, but the estimate
    # counted a running replication per local worker: 4 replications of 2 chats a second
    # were refused as 2.8 GiB on 16 workers before sim even tried the scheduler.
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nothing listens there
    argv = ["run", "scenarios/small_merchant_order_chat.yaml", "-n", "4", "--workers", "16"]
    argv += ["--set", "queues.order_chat.arrivals.rate=2/s"]
    assert main([*argv, "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err
    assert main(argv) == 2  # here, on 16 local workers, it is refused
    assert "GiB of memory" in capsys.readouterr().err


SMALL = "scenarios/small_merchant_order_chat.yaml"


def _no_forks(*args: object) -> None:
    raise AssertionError("a worker pool was started")


def test_an_absurd_worker_count_is_refused_before_any_fork(capsys, monkeypatch, tmp_path):
    # --workers 1000 on a small scenario was estimated under the limits and forked a
    # thousand interpreters. The processes' own memory does not count in the soft limit
    # (a default run on a many-core machine must run), but more of them than the
    # machine's memory holds are refused, --allow-large or not (memory patched to 24 GiB,
    # the development machine's, so the test does not depend on where it runs).
    monkeypatch.setattr(sim.runner, "WorkerPool", _no_forks)
    monkeypatch.setattr(sim.workload, "physical_memory", lambda: 24 * 1024**3)
    scenario = sim.load(SMALL)
    assert estimate([(scenario, 1000)], workers=1000).problems() == []
    for allow in ([], ["--allow-large"]):
        out = tmp_path / "out"
        argv = ["run", SMALL, "-n", "1000", "--workers", "1000", "--out", str(out), *allow]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "1,000 worker processes" in err
        assert "more than this machine has" in err
        assert "Traceback" not in err
        assert not out.exists()


def test_more_workers_than_the_memory_holds_are_refused_even_when_allowed(
    capsys, monkeypatch, tmp_path
):
    # The hard limit, for --allow-large and the Python API: no more worker processes
    # than the machine's memory holds (patched here to hold two and a half).
    monkeypatch.setattr(sim.runner, "WorkerPool", _no_forks)
    monkeypatch.setattr(sim.workload, "physical_memory", lambda: 2.5 * BYTES_PER_WORKER)
    with pytest.raises(WorkloadError, match="3 worker processes") as caught:
        sim.run(SMALL, replications=4, workers=3)
    assert isinstance(caught.value, ValueError)
    assert caught.value.source == "workers"
    out = tmp_path / "out"
    argv = ["run", SMALL, "-n", "4", "--workers", "3", "--allow-large", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --workers: 3 worker processes")  # it said "workers:"
    assert "more than this machine has" in err
    assert "Traceback" not in err
    assert not out.exists()
    # Capped by the replications first: two start, and the memory holds them.
    monkeypatch.setattr(sim.runner, "WorkerPool", sim.pool.WorkerPool)
    assert len(sim.run(SMALL, replications=2, workers=3).metrics()) > 0


def test_the_default_count_is_as_many_workers_as_the_memory_limit_holds():
    mib = 1024**2
    limits = Limits(memory_bytes=2048 * mib)
    work = Workload(10, 1e6, 10, 0.0, running_bytes=600 * mib)
    assert work.workers_within(16, limits) == 3  # 1,800 MiB; four would be 2,400
    assert work.workers_within(2, limits) == 2  # the cores first
    assert Workload(2, 1e6, 10, 0.0, running_bytes=600 * mib).workers_within(16, limits) == 2
    kept = Workload(10, 1e6, 10, 0.0, running_bytes=600 * mib, kept_bytes=500 * mib)
    assert kept.workers_within(16, limits) == 2  # what the parent keeps counts once
    exact = Workload(10, 1e6, 10, 0.0, running_bytes=512 * mib)
    assert exact.workers_within(16, limits) == 4  # 2,048 MiB is within
    past = Workload(10, 1e6, 10, 0.0, running_bytes=3000 * mib)
    assert past.workers_within(16, limits) == 1  # one at least: refused, not zero
    assert Workload(10, 1e6, 10, 0.0).workers_within(16, limits) == 10  # no arrivals


class _Pools:
    """A WorkerPool that records how many workers each run started."""

    sizes: list[int]

    def __init__(self) -> None:
        self.sizes = []

    def __call__(self, workers: int) -> sim.pool.WorkerPool:
        self.sizes.append(workers)
        return sim.pool.WorkerPool(workers)


@pytest.fixture
def four_cores_two_fit(monkeypatch):
    """Four usable cores, and a memory limit that holds two running replications of 4.

    The estimate itself is the one the commands use; only the limit is lowered to 2.5
    running replications (with the records ``sim run`` keeps), so no large machine or
    scenario is needed. Returns the recorder of the pools started.
    """
    scenario = sim.load(SMALL)
    work = estimate([(scenario, 4)], keep=True, write=False)
    limit = work.kept_bytes + 2.5 * work.running_bytes
    monkeypatch.setattr(sim.workload, "LIMITS", Limits(memory_bytes=limit))
    monkeypatch.setattr(sim.runner, "default_workers", lambda: 4)
    pools = _Pools()
    monkeypatch.setattr(sim.runner, "WorkerPool", pools)
    return pools


def test_a_default_run_takes_the_workers_that_fit_not_every_core(capsys, four_cores_two_fit):
    # On a machine with many cores a large run was refused ("about 2.3 GiB of memory",
    # one running replication counted per core) though it fitted on fewer workers.
    assert main(["run", SMALL, "-n", "4", "--json"]) == 0
    captured = capsys.readouterr()
    assert four_cores_two_fit.sizes == [2]
    notes = [line for line in captured.err.splitlines() if "local worker" in line]
    assert len(notes) == 1, captured.err
    assert notes[0].startswith("warning: running 2 local workers, not one per core (4): ")
    assert "--workers sets the count" in notes[0]
    assert main(["run", SMALL, "-n", "4", "--json", "--workers", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(captured.out)  # same numbers


def test_an_explicit_worker_count_past_the_memory_limit_is_still_refused(
    capsys, four_cores_two_fit
):
    assert main(["run", SMALL, "-n", "4", "--workers", "4"]) == 2
    err = capsys.readouterr().err
    assert "of memory (limit" in err
    assert "add --allow-large" in err
    assert "Traceback" not in err
    assert four_cores_two_fit.sizes == []
    assert main(["run", SMALL, "-n", "4", "--workers", "3", "--allow-large", "--json"]) == 0
    assert four_cores_two_fit.sizes == [3]
    assert "local worker" not in capsys.readouterr().err  # the count asked for, no note


def test_the_python_api_takes_the_same_default_and_says_so(four_cores_two_fit):
    with pytest.warns(sim.runner.WorkersWarning, match=r"running 2 local workers.*workers sets"):
        default = sim.run(SMALL, replications=4)
    assert four_cores_two_fit.sizes == [2]
    _same_runs(default, sim.run(SMALL, replications=4, workers=1))
    assert sim.run(SMALL, replications=4, workers=4).seed == default.seed
    assert four_cores_two_fit.sizes == [2, 4]  # workers= is taken as given


WIRED = [
    ["run"],
    ["plot", "--out", "{tmp}/waits.png"],
    ["compare", "--set", "queues.order_chat.staff=2"],
    ["sweep", "--vary", "queues.email.staff=1,2"],
    ["validate"],
    ["staff", "--queue", "order_chat", "--target", "80% in 1h", "--rounds", "1"],
    ["calibrate", "--free", "queues.order_chat.resolution=0.5:0.95", "--max-evaluations", "1",
     "--out", "{tmp}/calibrated.yaml"],
]  # fmt: skip


@pytest.mark.parametrize("command", WIRED, ids=lambda c: c[0])
def test_every_command_takes_the_default_that_fits_and_says_it_once(
    command, capsys, monkeypatch, tmp_path
):
    # The rule is one function (sim.runner.workers_for); a command that handed the
    # Python API no count would choose again there (for other work) and say it twice.
    data = yaml.safe_load(Path(SMALL).read_text(encoding="utf-8"))
    data["replications"] = 4
    data["targets"] = [{"queue": "order_chat", "metric": "resolution_rate", "value": 0.85,
                        "tolerance": 0.1}]  # fmt: skip
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    running = estimate([(sim.load(path), 1)]).running_bytes
    monkeypatch.setattr(sim.workload, "LIMITS", Limits(memory_bytes=2.5 * running))
    monkeypatch.setattr(sim.runner, "default_workers", lambda: 4)
    pools = _Pools()
    monkeypatch.setattr(sim.runner, "WorkerPool", pools)
    name, *options = (part.format(tmp=tmp_path) for part in command)
    assert main([name, str(path), *options]) in (0, 1)  # 1: a target missed
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "local worker" in line]
    assert len(notes) == 1, err
    said = re.match(r"warning: running (\d+) local workers?, not one per core \(4\)", notes[0])
    assert said is not None, notes[0]
    fit = int(said.group(1))
    assert fit < 4
    # Each pool (one per command, or per run of compare --report) has that many; one
    # worker runs in this process, with no pool.
    assert pools.sizes == [fit] * len(pools.sizes), pools.sizes
    assert pools.sizes or fit == 1


def _same_runs(a: sim.Results, b: sim.Results) -> None:
    assert [r.replication for r in a.runs] == [r.replication for r in b.runs]
    for x, y in zip(a.runs, b.runs, strict=True):
        for column in x.hops:
            np.testing.assert_array_equal(x.hops[column], y.hops[column])


def test_the_hard_limit_is_a_scenario_error_even_from_plain_data():
    data = {**PEAKED, "duration": "3650d", "drain": "1d"}
    data["queues"] = {"a": {**PEAKED["queues"]["a"], "arrivals": {"rate": "1000/s"}}}
    with pytest.raises(sim.ScenarioError, match=f"limit is {MAX_ARRIVALS:,}"):
        sim.from_dict(data)


@pytest.mark.parametrize("n", [0, -1, 10**6 + 1])
def test_replication_counts_out_of_range_are_refused(n):
    with pytest.raises(ValueError, match="replications must be between"):
        replication_count(n)
    with pytest.raises(ValueError, match="replications must be between"):
        sim.run(sim.from_dict(PEAKED), replications=n)


# --------------------------------------------------------------------------- progress


def _wait_for_text(stream: io.StringIO) -> str:
    """Poll until the heartbeat thread has written (a hang guard bounds the wait)."""
    for _ in range(60_000):
        if stream.getvalue():
            return stream.getvalue()
        time.sleep(0.001)
    pytest.fail("hang guard: no progress line was written")


def test_progress_off_a_terminal_writes_lines_and_a_last_one():
    stream = io.StringIO()
    bar = Progress("sweep: 2 variants", 4, stream=stream, every=0.01)
    bar.update(1, "objective 3")
    text = _wait_for_text(stream)
    bar.update(3)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("sweep: 2 variants: 1/4 replications, objective 3, ")
    assert lines[0].endswith(" elapsed")
    assert lines[-1].startswith("sweep: 2 variants: 4/4 replications")
    assert "\r" not in text


def test_progress_that_says_nothing_stays_silent():
    stream = io.StringIO()
    with Progress("quick", 2, stream=stream) as bar:
        bar.update(2)
    assert stream.getvalue() == ""
    with Progress("off", 2, stream=stream, enabled=False, every=0.001) as bar:
        bar.update(2)
    assert stream.getvalue() == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_labelled_bar():
    stream = _Terminal()
    with Progress("validate: 3 scenarios", 5, stream=stream) as bar:
        bar.update(5)
    assert "validate: 3 scenarios" in stream.getvalue()


def test_json_on_stdout_stays_json_while_progress_goes_to_stderr(capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "LINE_EVERY", 0.0005)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    code = main(
        ["run", "scenarios/livestream_promo_peak.yaml", "-n", "2", "--workers", "1", "--json"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out)["replications"] == 2
    assert "replications" in sys.stderr.getvalue()  # the progress lines went here


# -------------------------------------------------------------- reader and addresses


def test_a_reused_anchor_is_an_error_not_a_miscount():
    with pytest.raises(ValueError, match="invalid YAML: line 2"):
        parse_text("a: &x 1\nb: &x [1, 2]\nc: *x\n")


def test_plain_data_past_the_size_limit_is_refused():
    with pytest.raises(YamlLimitError, match="values"):
        check_tree([0] * (MAX_NODES + 1))
    looped: list = []
    looped.append(looped)
    with pytest.raises(YamlLimitError, match="nested"):
        check_tree(looped)


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        ("tcp://10.0.0.5:8786", ("tcp", "10.0.0.5", 8786)),
        ("scheduler.local:8786", ("tcp", "scheduler.local", 8786)),
        ("tls://[::1]:8786", ("tls", "::1", 8786)),
    ],
)
def test_scheduler_addresses_are_parsed_without_connecting(address, parsed):
    assert parse_address(address) == parsed


@pytest.mark.parametrize("address", ["", "tcp://", "udp://h:1", "h:0", "h:65536", "tcp://a b:1"])
def test_bad_scheduler_addresses_are_cluster_errors(address):
    with pytest.raises(ClusterError) as caught:
        parse_address(address)
    assert str(caught.value).startswith(f"scheduler {address!r}: ")  # from Python: the keyword


# --------------------------------------------------------------------- validate table


def _row(**fields: object) -> TargetRow:
    """A validate row: a wait target that passes, with ``fields`` changed."""
    default = {
        "scenario": "s",
        "queue": "q",
        "metric": "mean_wait",
        "value": 60.0,
        "simulated": 61.0,
        "ci95": 1.0,
        "tolerance": 6.0,
        "passed": True,
        "bound": "equal",
        "detail": "mean_wait",
        "note": "",
        "replications": 3,
        "source": "x.yaml",
    }
    return TargetRow(**{**default, **fields})


def test_the_validate_table_fits_120_columns():
    long_queue = "+".join(f"queue_with_a_long_name_{i}" for i in range(5))
    rows = [
        _row(
            scenario=f"a-scenario-with-a-long-name-{i}",
            queue=long_queue if i % 2 else "q",
            metric="e2e_reach_rate_ratio",
            value=0.5,
            simulated=0.49,
            ci95=0.01,
            tolerance=0.03,
            detail="e2e_reach_rate reaching email+tickets / e2e_answer_rate at home+faq " * 2,
            replications=2,
        )
        for i in range(4)
    ]
    text = format_rows(rows)
    assert max(len(line) for line in text.splitlines()) <= MAX_WIDTH
    verdicts = [line for line in text.splitlines() if line.endswith("  pass")]
    assert len(verdicts) == len(rows)  # wrapped onto more lines, no row lost
    assert "a-scenario-with-a-long-" in text


def test_the_validate_table_names_each_scenario_once_above_its_targets():
    rows = [
        _row(scenario="first", id="a", source="one.yaml"),
        _row(scenario="first", id="b", source="one.yaml"),
        _row(scenario="second", id="c", source="two.yaml"),
    ]
    lines = format_rows(rows).splitlines()
    assert lines[0].split()[0] == "target"  # no scenario column
    assert lines.count("first (one.yaml): 3 replications") == 1
    assert lines.count("second (two.yaml): 3 replications") == 1
    first, second = (
        lines.index("first (one.yaml): 3 replications"),
        lines.index("second (two.yaml): 3 replications"),
    )
    assert [line.split()[0] for line in lines[first + 1 : first + 3]] == ["a", "b"]
    assert lines[second - 1] == ""
    assert lines[second + 1].split()[0] == "c"


def test_wrapped_cells_break_names_after_dots_then_underscores_then_anywhere():
    cell = (
        "e2e_answer_rate at homepage.home_enterprise+order_page.cross_border_wait+abcdefghijklmnop"
    )
    _, (block,) = wrapped_blocks(["metric"], [[cell]], wrap={0}, width=16)
    lines = [line.strip() for line in block]
    assert lines == [
        "e2e_answer_rate",
        "at homepage.",
        "home_enterprise+",
        "order_page.",
        "cross_border_",
        "wait+",
        "abcdefghijklmnop",
    ]
    assert "".join(lines).replace(" ", "") == cell.replace(" ", "")  # nothing lost


def test_sim_validate_prints_within_120_columns(capsys):
    path = "scenarios/document/homepage.yaml"  # long mixes and e2e details
    code = main(["validate", path, "-n", "2", "--workers", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert max(len(line) for line in out.splitlines()) <= MAX_WIDTH
