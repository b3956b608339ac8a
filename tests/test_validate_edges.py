"""Edges of ``sim validate``: CIs of degenerate figures, the pass rule, the summary line.

Each test pins one case the document's files never reach: a figure with no spread, a
mean on a band's edge, files with and without a ledger side by side, an overnight
window on selected days, a ratio whose denominator differs only in its deadline.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim
from sim import cli
from sim.engine import simulate
from sim.scenario import Target
from sim.stats import mean_ci
from sim.validate import (
    Tally,
    TargetRow,
    cannot_fail,
    discover,
    format_ledger,
    format_rows,
    passes,
    tally,
    verdict,
)
from sim.validate.figures import Replication, Selection, target_figures
from sim.validate.sequential import settled
from sim.validate.table import describe, format_value


def _target(**fields) -> Target:
    return Target.model_validate({"queue": "q", "metric": "answer_rate", **fields})


@pytest.mark.parametrize("n", [2, 3, 6, 7])
def test_a_figure_with_no_spread_has_its_own_value_and_a_zero_ci(n):
    # 0.7 three times sums to 2.0999999999999996: the mean came out 0.6999999999999998,
    # with a CI of 3e-16, and a target of "at least 0.7" it met on every run missed.
    mean, half = mean_ci(np.full(n, 0.7))
    assert (mean, half) == (0.7, 0.0)
    at_least = _target(value=0.7, bound="at_least")
    assert passes(at_least, mean)
    assert settled(at_least, np.full(n, 0.7))  # no spread: settled at once, as documented


def test_one_value_or_none_have_no_ci():
    assert mean_ci(np.array([0.4, np.nan]))[0] == 0.4
    assert math.isnan(mean_ci(np.array([0.4, np.nan]))[1])
    assert all(math.isnan(v) for v in mean_ci(np.array([np.nan, np.nan])))


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ([0.1, 0.2], {"value": 0.15, "bound": "at_most"}),
        ([0.6, 0.8, 0.7], {"value": 0.7, "bound": "at_least"}),
        ([0.6, 0.8, 0.7], {"value": 0.7, "tolerance": 0}),
        ([0.2, 0.4], {"value": 0.2, "tolerance": 0.1}),
    ],
)
def test_a_mean_on_the_edge_of_its_band_passes_whatever_the_rounding(values, fields):
    # Each mean is the edge exactly (0.15, 0.7, 0.7, 0.3) but sums to one ulp past it
    # (0.15000000000000002, 0.6999999999999998): the rule's slack was a fraction of the
    # tolerance, none at all without one.
    mean, _ = mean_ci(np.array(values))
    assert passes(_target(**fields), mean)
    outward = -1e-9 if fields.get("bound") == "at_least" else 1e-9  # past the edge
    assert not passes(_target(**fields), mean + outward)


def _row(role: str | None, passed: bool) -> TargetRow:
    return TargetRow(
        scenario="s", queue="q", metric="answer_rate", value=0.5, simulated=0.5, ci95=0.0,
        tolerance=0.03, passed=passed, bound="equal", detail="answer_rate", note="",
        replications=2, source="s.yaml", role=role,
    )  # fmt: skip


def test_the_summary_counts_the_targets_of_files_without_a_ledger_beside_the_others():
    # A file with a ledger and one without, validated together: the summary counted roles
    # only, so the second file's miss vanished ("1 of 1 checks pass") under exit code 1.
    rows = [_row("check", True), _row(None, False), _row(None, True)]
    text = verdict(rows)
    assert text.startswith("1 of 1 checks pass; 0 of 0 fits pass; 0 inputs restated")
    assert text.endswith("; 1 of 2 targets without a role pass (files without a ledger)")
    assert verdict(rows[:1]).count("without a role") == 0
    assert verdict(rows[1:]) == "1 of 2 targets pass; 1 missed"
    table = format_rows(rows)
    assert max(len(line) for line in table.splitlines()) <= 120
    assert " ".join(table.splitlines()[-2:]) == text


HOUR, DAY = 3600.0, 86400.0
WEEK_FROM_MONDAY = {
    "name": "tiny",
    "start": "2026-01-05T00:00",  # a Monday: Friday is day 4
    "duration": "7d",
    "drain": "1h",
    "replications": 1,
    "queues": {
        "chat": {
            "arrivals": {"rate": "1/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "1m"},
        }
    },
}


@pytest.fixture(scope="module")
def week():
    scenario = sim.from_dict(WEEK_FROM_MONDAY)
    return Replication(scenario, simulate(scenario))


def test_an_overnight_window_on_selected_days_runs_into_the_next_morning(week):
    # "Friday 22:00-02:00" is Friday night, as a shift or a peak on Fridays from 22:00 to
    # 02:00 is: it took Friday 22:00-24:00 and Friday's own small hours, not Saturday's.
    t = np.array([4 * DAY + 23 * HOUR, 5 * DAY + 1 * HOUR, 4 * DAY + 1 * HOUR, 5 * DAY + 3 * HOUR])
    assert week.in_time(t, ("fri",), (22 * HOUR, 2 * HOUR)).tolist() == [1, 1, 0, 0]
    # Monday's small hours belong to Sunday night, outside the week's weekdays.
    early = np.array([1 * HOUR, 7 * DAY - 1 * HOUR])
    assert week.in_time(early, ("weekdays",), (22 * HOUR, 2 * HOUR)).tolist() == [0, 0]
    assert week.in_time(early, ("sun",), (22 * HOUR, 2 * HOUR)).tolist() == [1, 1]
    # A window within one day, or ending at 24:00, is the arrival's own day as before.
    assert week.in_time(t, ("fri",), (22 * HOUR, 24 * HOUR)).tolist() == [1, 0, 0, 0]
    assert week.in_time(t, ("fri",), None).tolist() == [1, 0, 1, 0]


def test_a_ratio_whose_denominator_differs_in_its_deadline_says_so():
    # It read "service_level within 20s / same": a figure over itself.
    target = _target(
        metric="service_level", within="20s", ratio_to={"within": "2m"}, value=0.8,
        tolerance=0.1,
    )  # fmt: skip
    assert describe(target) == "service_level within 20s / within 2m"
    least = _target(
        metric="e2e_answered_within", within="1h", value=0.5, tolerance=0.1,
        ratio_to={"least_of": [{"queue": "a"}, {"queue": "b", "within": "next day"}]},
    )  # fmt: skip
    assert describe(least).endswith("/ least of (a; b within next day)")


def test_bad_files_validated_together_each_name_their_own_file_once(tmp_path, capsys):
    # Two bad files: the first one's name was doubled ("error: a.yaml: a.yaml: ...").
    bad = {"a": {"value": "1m"}, "b": {"value": "1m", "tolerance": 1, "queue": "nowhere"}}
    paths = []
    for name, fields in bad.items():
        data = {**WEEK_FROM_MONDAY, "targets": [{"queue": "chat", "metric": "mean_wait", **fields}]}
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(json.dumps(data))
    assert cli.main(["validate", *map(str, paths)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    # Each file is one line of JSON: every field, and the target a field is missing
    # from, is on line 1.
    assert err.splitlines() == [
        f"error: {paths[0]}:1: targets.0.tolerance: required unless bound is at_most or at_least",
        f"error: {paths[1]}:1: targets.0.queue: unknown queue 'nowhere'",
    ]


def test_the_ledgers_total_spare_is_the_files_spares_added_up():
    # Three values tuned to one figure leave no spare, and cannot take the spare of
    # another file's one value shared by three figures: the total read 0, not 2.
    tallies = [Tally("a.yaml", 0, 0, 3, 3, 0, 1), Tally("b.yaml", 0, 0, 1, 1, 0, 3)]
    assert [t.spare for t in tallies] == [2, 0]
    total = format_ledger(tallies).splitlines()[-1].split()
    assert total[:2] == ["all", "files"]
    assert total[2:] == ["4", "0/0", "4/4", "0", "4", "2"]


def test_a_folder_is_searched_without_its_hidden_files_and_folders(tmp_path):
    # JupyterLab keeps a copy of an edited file in .ipynb_checkpoints/ and emacs a lock
    # link .#name while it is open: the copy was validated as one more (stale) scenario,
    # the dangling link failed the whole folder ("cannot read file", exit 2).
    text = json.dumps({**WEEK_FROM_MONDAY, "targets": [
        {"queue": "chat", "metric": "answer_rate", "value": 1, "tolerance": 0.03}]})  # fmt: skip
    scenario = tmp_path / "desk.yaml"
    scenario.write_text(text)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "desk-checkpoint.yaml").write_text(text)
    (tmp_path / ".#desk.yaml").symlink_to("user@host.123:1700000000")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "more.yaml").write_text(text)
    assert discover([tmp_path]) == [scenario, tmp_path / "nested" / "more.yaml"]
    hidden = tmp_path / ".ipynb_checkpoints" / "desk-checkpoint.yaml"
    assert discover([hidden]) == [hidden]  # named on its own, a file is taken as given


def test_a_folders_yaml_files_that_are_not_mappings_are_helpers_not_broken_scenarios(tmp_path):
    # An empty placeholder or a list of values beside the scenarios failed the folder
    # ("a scenario file must be a mapping of fields"); a file that is no YAML at all is
    # still reported, as it may be a scenario with a typo.
    scenario = tmp_path / "desk.yaml"
    scenario.write_text(json.dumps({**WEEK_FROM_MONDAY, "targets": [
        {"queue": "chat", "metric": "answer_rate", "value": 1, "tolerance": 0.03}]}))  # fmt: skip
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "handle_times.yaml").write_text("- 120\n- 300\n")
    assert discover([tmp_path]) == [scenario]
    (tmp_path / "typo.yaml").write_text("queues: [\n")
    assert discover([tmp_path]) == [scenario, tmp_path / "typo.yaml"]


def test_a_value_calibrated_in_two_entries_counts_once():
    # The same patience listed in two `calibrated` entries counted as two fitted values,
    # so a file with three fits read no spare; entries sharing a field are one value,
    # however the field is spelled (a target by index or by id).
    chat = {
        "arrivals": {"rate": "20/h"},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "4m"},
        "patience": {"dist": "exponential", "mean": "5m"},
    }
    data = {
        "name": "twice", "start": "2026-01-05T00:00", "duration": "1d",
        "queues": {"a": chat, "b": chat},
        "targets": [
            {"id": f"t{i}", "queue": "a", "metric": "abandon_rate", "value": 0.1,
             "tolerance": 0.05} for i in range(4)
        ],
        "calibrated": [
            {"field": "queues.a.patience.mean", "to": "t0"},
            {"field": ["queues.b.patience.mean", "queues.a.patience.mean"], "to": "t1"},
            {"field": "targets.t3.value", "to": "t2"},
            {"field": "targets.3.value", "to": "t3"},
        ],
    }  # fmt: skip
    scenario = sim.from_dict(data)
    rows = [_row("fit", True)] * 4
    counted = tally("twice.yaml", scenario, rows)
    assert (counted.fits, counted.values, counted.spare) == (4, 2, 2)
    # Distinct fields stay distinct values.
    data["calibrated"][1]["field"] = "queues.b.patience.mean"
    assert tally("twice.yaml", sim.from_dict(data), rows).values == 3


def test_the_title_counts_files_with_targets_and_one_replication_in_the_singular(tmp_path, capsys):
    # It read "1 targets in 2 scenario file(s)" (the file without targets counted) and
    # "1 replications each".
    target = {"queue": "chat", "metric": "answer_rate", "value": 1, "tolerance": 0.5}
    checked, empty = tmp_path / "checked.yaml", tmp_path / "empty.yaml"
    checked.write_text(json.dumps({**WEEK_FROM_MONDAY, "targets": [target]}))
    empty.write_text(json.dumps(WEEK_FROM_MONDAY))
    assert cli.main(["validate", str(checked), str(empty), "-n", "1", "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[:2] == [
        "Document vs simulation: 1 target in 1 scenario file",
        "1 replication each (mean ±95% CI half-width)",
    ]
    assert f"note: {empty} has no targets" in err


def test_a_report_of_figures_without_a_ci_is_written(tmp_path, capsys):
    # One replication has no CI (NaN, null in the rows): the report's chart read the
    # null as a number and the command ended in a traceback, the report unwritten.
    target = {"queue": "chat", "metric": "answer_rate", "value": 1, "tolerance": 0.5}
    checked = tmp_path / "checked.yaml"
    checked.write_text(json.dumps({**WEEK_FROM_MONDAY, "targets": [target]}))
    report = tmp_path / "report.html"
    argv = ["validate", str(checked), "-n", "1", "--workers", "1", "--report", str(report)]
    assert cli.main(argv) == 0
    assert "1 of 1 targets pass" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fields", "fails"),
    [
        ({"value": 0.5, "tolerance": 0.5}, False),  # [0, 1]: every share passes
        ({"value": 0.5, "tolerance": 0.49}, True),
        ({"value": 0.9, "tolerance": 0.1, "bound": "at_most"}, False),
        ({"value": 0.9, "tolerance": 0.09, "bound": "at_most"}, True),
        ({"value": 0.0, "bound": "at_least"}, False),
        ({"value": 0.01, "bound": "at_least"}, True),
        ({"metric": "mean_wait", "value": 30, "tolerance": 30, "bound": "at_least"}, False),
        ({"metric": "mean_wait", "value": 30, "tolerance": 30}, True),  # a wait can pass 60 s
        ({"metric": "mean_wait", "value": 30, "tolerance": 29, "bound": "at_least"}, True),
        ({"value": 2.0, "tolerance": 2.0, "ratio_to": {"queue": "r"}}, True),  # no ceiling
        ({"value": 2.0, "tolerance": 2.0, "ratio_to": {"queue": "r"}, "bound": "at_least"}, False),
    ],
)
def test_a_target_whose_band_holds_every_possible_figure_cannot_fail(fields, fails):
    assert (cannot_fail(_target(**fields)) is None) == fails


def test_validate_warns_of_a_target_that_cannot_fail(tmp_path, capsys):
    path = tmp_path / "loose.yaml"
    path.write_text(
        "name: loose\nstart: 2026-11-02T00:00\nduration: 2h\ndrain: 1h\nreplications: 2\n"
        "queues:\n  q:\n    arrivals: {rate: 60/h}\n    staff: 2\n"
        "    service: {dist: exponential, mean: 1m}\n"
        "targets:\n  - {id: any, queue: q, metric: answer_rate, value: 0.5, tolerance: 0.5}\n"
        "  - {id: real, queue: q, metric: answer_rate, value: 0.5, tolerance: 0.4}\n"
    )
    assert cli.main(["validate", str(path)]) == 1  # "real" misses: every contact is answered
    err = capsys.readouterr().err
    assert f"warning: {path}: target any: cannot fail: its pass band (0 to 1)" in err
    assert "target real" not in err


def _bot_answering_in(seconds: float) -> dict:
    return {
        "arrivals": {"rate": "60/h"},
        "staff": 0,
        "service": {"dist": "constant", "value": 60},
        "bot": {
            "when": "always",
            "resolution": 1.0,
            "response": {"dist": "constant", "value": seconds},
        },
    }


@pytest.mark.parametrize(
    ("mix", "metric", "expected"),
    [
        # 80% of the mix waits 10 s, 20% waits 100 s: its median is 10 s, its p90 100 s.
        ({"fast": 0.8, "slow": 0.2}, "median_wait", 10.0),
        ({"fast": 0.8, "slow": 0.2}, "p90_wait", 100.0),
        ({"fast": 0.95, "slow": 0.05}, "p90_wait", 10.0),
        ({"fast": 0.9, "slow": 0.1}, "p95_wait", 100.0),
    ],
)
def test_a_quantile_of_a_mix_is_the_quantile_of_its_weighted_waits(mix, metric, expected):
    # A mix weighs each queue's contacts by its share over its count: no test had a
    # quantile over unequal weights. Bots answering in a constant time make every wait
    # of a queue the same, so the mixture's quantile is one of the two, by the weights.
    data = {
        "name": "mix",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "queues": {"fast": _bot_answering_in(10.0), "slow": _bot_answering_in(100.0)},
        "targets": [{"queue": mix, "metric": metric, "value": "1m", "tolerance": "1m"}],
    }
    scenario = sim.from_dict(data)
    result = simulate(scenario)
    counts = np.bincount(result.hops["queue"], minlength=2)
    assert counts.min() > 1000
    assert counts[0] != counts[1]  # so the weights per contact differ
    (figure,) = target_figures(scenario, result)
    assert figure == pytest.approx(expected, abs=1e-6)


def _staffed(rate: str) -> dict:
    return {
        "arrivals": {"rate": rate},
        "staff": 2,
        "service": {"dist": "exponential", "mean": "5m"},
    }


@pytest.mark.parametrize("metric", ["median_wait", "p90_wait", "p95_wait"])
def test_a_quantile_of_a_mix_moves_continuously_with_its_weights(metric):
    # A mix's quantile was numpy's linear percentile when every contact weighed the same
    # and the inverted weighted CDF otherwise: a hair's change of weights moved the p95
    # to a neighbouring wait. Weights in proportion to the queues' contacts weigh every
    # contact alike (the pooled figure); a hair off, the figure is the same to 1e-6.
    data = {
        "name": "mix",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "queues": {"a": _staffed("20/h"), "b": _staffed("15/h")},
    }
    scenario = sim.from_dict(data)
    rep = Replication(scenario, simulate(scenario))
    n_a, n_b = np.bincount(rep.hops["queue"][rep.hop_counted], minlength=2).tolist()
    assert min(n_a, n_b) > 100

    def figure(queue) -> float:
        return rep.figure(Selection(queue, metric, None, None, None, None))

    pooled = figure(("a", "b"))
    assert figure({"a": float(n_a), "b": float(n_b)}) == pooled  # the same estimator
    assert figure({"a": n_a * (1 + 1e-9), "b": float(n_b)}) == pytest.approx(pooled, rel=1e-6)
    # One queue's weight near 1 (the other's near 0) is that queue's own figure.
    alone = figure("a")
    assert figure({"a": 1.0}) == alone
    assert figure({"a": 1 - 1e-9, "b": 1e-9}) == pytest.approx(alone, rel=1e-6)
    assert figure({"a": 1e-9, "b": 1 - 1e-9}) == pytest.approx(figure("b"), rel=1e-6)


def test_a_mix_reads_as_its_queues_and_a_ci_of_rounding_noise_as_zero(tmp_path, capsys):
    # The mean wait of a mix of constant waits has a CI of rounding noise alone (the same
    # waits, summed in another order in each replication): it read "28s ±3.19e-14s".
    mix = {"fast": 0.8, "slow": 0.2}
    data = {
        "name": "mix",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "replications": 2,
        "queues": {"fast": _bot_answering_in(10.0), "slow": _bot_answering_in(100.0)},
        "targets": [{"queue": mix, "metric": "mean_wait", "value": "28s", "tolerance": "1s"}],
    }
    path = tmp_path / "mix.yaml"
    path.write_text(json.dumps(data))
    assert cli.main(["validate", str(path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "mean_wait" in line)
    assert row.split() == ["fast+slow", "(mix)", "mean_wait", "28s", "±1s", "28s", "±0s", "pass"]
    assert format_value("mean_wait", 3.19e-14) == "0s"
    assert format_value("mean_wait", -3e-14) == "0s"
    assert format_value("mean_wait", 3.1049) == "3.1s"  # three digits, rounded once
    assert cli.main(["validate", str(path), "--json"]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["queue"] == "fast:0.8+slow:0.2"


@pytest.mark.parametrize("metric", ["mean_wait", "e2e_resolution_rate"])
def test_a_mix_with_a_member_that_had_no_contact_has_no_figure(metric):
    # A mix weighs each member's contacts by its share: with none at a member, the mix
    # is undefined (NaN, shown as "-"), not the figure of the others alone.
    idle = {"staff": 1, "service": {"dist": "constant", "value": 60}}
    value = {"mean_wait": "10s"}.get(metric, 1.0)
    data = {
        "name": "mix",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "queues": {"fast": _bot_answering_in(10.0), "idle": idle},
        "targets": [
            {"queue": {"fast": 0.5, "idle": 0.5}, "metric": metric, "value": value,
             "tolerance": value},
            {"queue": "fast", "metric": metric, "value": value, "tolerance": value},
        ],
    }  # fmt: skip
    scenario = sim.from_dict(data)
    mix, fast = target_figures(scenario, simulate(scenario))
    assert math.isnan(mix)
    assert fast == pytest.approx(10.0 if metric == "mean_wait" else 1.0)
