"""``sim.sweep`` and ``sim.compare`` as notebooks call them: arguments in every documented form.

Each test runs two hours of one queue at one replication in this process: what is checked is the
table's shape and labels, not the figures (``test_whatif.py`` checks those).
"""

from __future__ import annotations

import json

import pytest
import yaml

import sim

DATA = {
    "name": "test",
    "start": "2026-01-05T00:00",
    "duration": "2h",
    "seed": 1,
    "replications": 1,
    "queues": {
        "q": {
            "arrivals": {"rate": "10/h"},
            "staff": 1,
            "service": {"dist": "exponential", "mean": "5m"},
        }
    },
}
FAST = {"replications": 1, "workers": 1}


@pytest.mark.parametrize(
    "vary",
    [
        pytest.param(lambda: (text for text in ["queues.q.staff=1,2"]), id="a generator of texts"),
        pytest.param(lambda: "queues.q.staff=1,2", id="one text"),
    ],
)
def test_sweep_reads_vary_in_any_documented_form_once(vary):
    expected = sim.sweep(DATA, {"queues.q.staff": [1, 2]}, **FAST)
    table = sim.sweep(DATA, vary(), **FAST)
    assert list(table["queues.q.staff"]) == [1, 2]
    assert table.drop(columns="queues.q.staff").equals(expected.drop(columns="queues.q.staff"))


def test_a_sweep_of_the_replications_field_has_one_replications_column(tmp_path, capsys):
    # The varied path's column and the count column were both called ``replications``:
    # the table had the name twice and ``sim sweep --vary replications=1,2`` traced back.
    table = sim.sweep(DATA, {"replications": [1, 2]}, workers=1)
    assert table.columns.is_unique
    assert list(table["replications"]) == [1, 2]
    path = tmp_path / "day.yaml"
    path.write_text(yaml.safe_dump(DATA))
    argv = ["sweep", str(path), "--vary", "replications=1,2", "--workers", "1"]
    assert sim.cli.main([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["variant"] for row in rows] == [{"replications": 1}, {"replications": 2}]
    assert sim.cli.main(argv) == 0
    assert capsys.readouterr().out.startswith(f"{path}: 2 variants")


@pytest.mark.parametrize(("field", "values"), [("seed", [2, 3]), ("replications", [1, 2])])
def test_a_varied_seed_or_count_is_not_silently_replaced_by_the_one_given(field, values):
    # seed=5 ran every variant at seed 5: rows labelled seed=2 and seed=3 were identical.
    with pytest.raises(sim.ScenarioError, match=rf"^<dict>: {field}: varied, and also given"):
        sim.sweep(DATA, {field: values}, workers=1, **{field: values[0]})


def test_run_takes_overrides_as_the_readme_says():
    # "sim.run also takes the file's path or its plain data ...; overrides may be one
    # path=value text or a list of them": sim.run had no such argument (TypeError).
    expected = sim.run(sim.from_dict(DATA, overrides=["queues.q.staff=2"]), **FAST)
    for overrides in ("queues.q.staff=2", ["queues.q.staff=2"]):
        results = sim.run(DATA, overrides=overrides, **FAST)
        assert results.scenario.queues["q"].staff == 2
        assert results.summary().equals(expected.summary())
    with pytest.raises(TypeError, match="not a loaded Scenario"):
        sim.run(sim.from_dict(DATA), overrides="queues.q.staff=2", **FAST)


@pytest.mark.parametrize(
    ("option", "error", "message"),
    [
        # A share alone, as a notebook might write it: "'float' object has no attribute".
        ({"target": 0.8}, ValueError, r"^target: expected a text such as '80% in 60s'"),
        # The command line refuses --rounds 0; the API made a plan with no correction.
        ({"rounds": 0}, ValueError, r"^rounds must be at least 1"),
        ({"rounds": -1}, ValueError, r"^rounds must be at least 1"),
        ({"rounds": 1.5}, TypeError, r"^rounds must be a whole number"),
    ],
)
def test_staff_plan_refuses_a_bad_option_naming_it(option, error, message):
    with pytest.raises(error, match=message):
        sim.staff_plan(DATA, "q", **{"target": "80% in 60s", **FAST, **option})


def test_python_tables_name_the_scenario_and_seed_they_ran():
    # The rule for results: every row knows its scenario, variant, replication and seed.
    # The command line added scenario and seed to its files; the tables notebooks get from
    # sim.sweep and sim.compare had neither.
    table = sim.sweep(DATA, {"queues.q.staff": [1, 2]}, seed=7, **FAST)
    assert list(table.columns[:6]) == [
        "queues.q.staff",
        "variant",
        "queue",
        "replications",
        "scenario",
        "seed",
    ]
    assert set(zip(table["scenario"], table["seed"], strict=True)) == {("test", 7)}
    varied = sim.sweep(DATA, {"seed": [3, 4]}, **FAST)
    assert list(varied.columns).count("seed") == 1
    assert list(varied["seed"]) == [3, 4]

    diff = sim.compare(DATA, overrides=["queues.q.staff=2"], seed=5, **FAST)
    assert list(diff.columns[-4:]) == ["scenario_a", "scenario_b", "replications", "seed"]
    ran = diff[["scenario_a", "scenario_b", "replications", "seed"]].drop_duplicates()
    assert ran.values.tolist() == [["test", "test", 1, 5]]


def test_sweep_of_plain_data_with_includes_varies_an_included_queue(tmp_path, monkeypatch):
    # compare joined a dict's included files before its overrides; sweep did not, so a
    # varied path into an included queue was "no such field" from plain data alone.
    (tmp_path / "part.yaml").write_text(yaml.safe_dump(DATA))
    monkeypatch.chdir(tmp_path)  # plain data's includes are relative to the working folder
    joined = {k: DATA[k] for k in ("name", "start", "duration", "seed", "replications")}
    joined["include"] = {"part": "part.yaml"}
    table = sim.sweep(joined, {"queues.part.q.staff": [1, 2]}, **FAST)
    assert list(table["queues.part.q.staff"]) == [1, 2]
    assert list(table["queue"]) == ["part.q", "part.q"]


def test_runs_made_apart_are_paired_only_on_the_same_seed_and_replications():
    # The guard of paired_results (sim compare pairs its own runs): no test made it speak.
    from sim.experiments import paired_results

    scenario = sim.from_dict(DATA)
    a = sim.run(scenario, replications=2, seed=1, workers=1)
    assert len(paired_results(a, sim.run(scenario, replications=2, seed=1, workers=1)))
    for b in (
        sim.run(scenario, replications=2, seed=2, workers=1),
        sim.run(scenario, replications=3, seed=1, workers=1),
    ):
        with pytest.raises(ValueError, match="paired only with the same seed and replication"):
            paired_results(a, b)
