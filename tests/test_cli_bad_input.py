"""Bad input to the what-if commands is refused before anything is simulated, naming the
file and the option: ``--queue`` of ``sim plot``, ``sim sweep`` and ``sim staff``."""

from __future__ import annotations

import pytest

import sim.cli
import sim.experiments
import sim.runner

SHIPPED = "scenarios/small_merchant_order_chat.yaml"


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("simulated before --queue was checked")

    monkeypatch.setattr(sim.runner, "run", refuse)
    monkeypatch.setattr(sim.experiments, "sweep", refuse)


@pytest.mark.parametrize(
    "argv",
    [
        ["plot", SHIPPED, "--queue", "nope", "--out", "{tmp}/x.png"],
        ["plot", SHIPPED, "--queue", "order_chat", "--queue", "nope", "--out", "{tmp}/x.png"],
        ["sweep", SHIPPED, "--vary", "queues.order_chat.staff=1,2", "--queue", "nope"],
    ],
)
def test_an_unknown_queue_is_refused_before_the_simulation(argv, tmp_path, capsys, no_simulation):
    code = sim.cli.main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    err = capsys.readouterr().err
    assert f"error: {SHIPPED}: --queue: no queue 'nope' (queues: " in err
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_sim_staff_names_the_file_and_the_option_of_a_queue_it_cannot_staff(capsys):
    # It said only "error: no queue 'nope' (queues: ...)", not which file or option.
    code = sim.cli.main(["staff", SHIPPED, "--queue", "nope", "--target", "80% in 60s"])
    assert code == 2
    assert f"error: {SHIPPED}: --queue: no queue 'nope' (queues: " in capsys.readouterr().err


def test_sim_staff_names_the_file_of_a_plan_it_cannot_make(capsys):
    # "error: no allowed shift covers 02:00-03:00, ..." did not say which file it was about.
    argv = ["staff", SHIPPED, "--target", "80% in 60s", "--shift-template", "09:00-10:00"]
    assert sim.cli.main([*argv, "-n", "1", "--rounds", "1"]) == 2
    assert f"error: {SHIPPED}: no allowed shift covers " in capsys.readouterr().err


def test_sim_validate_of_files_without_targets_is_one_line_and_runs_nothing(capsys, monkeypatch):
    # It printed "note: FILE has no targets" and then "error: FILE: no targets to check",
    # two lines for one problem, after starting the validation of nothing.
    import sim.validate

    def refuse(*_args, **_kwargs):
        raise AssertionError("validated files without targets")

    monkeypatch.setattr(sim.validate, "validate_all", refuse)
    assert sim.cli.main(["validate", SHIPPED]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"error: {SHIPPED}: no targets to check"]


def test_run_plots_without_out_is_one_line_naming_the_option_once(capsys, no_simulation):
    # It said "error: --plots: --plots needs --out DIR ...", the option twice.
    assert sim.cli.main(["run", SHIPPED, "--plots"]) == 2
    out, err = capsys.readouterr()
    assert err == "error: --plots: needs --out DIR to write the images into\n"
    assert out == ""
