"""``sim --help`` and each subcommand's: every option a reader may leave out says its default."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from sim.cli import build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


SUBCOMMANDS = _subcommands()
README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
# Flags and repeatable options: leaving them out is the default, nothing to say.
_NOTHING_TO_SAY = (argparse._StoreTrueAction, argparse._HelpAction, argparse._AppendAction)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_an_option_with_a_default_says_it_in_its_help(name):
    silent = [
        action.option_strings[0]
        for action in SUBCOMMANDS[name]._actions
        if action.option_strings
        and not action.required
        and not isinstance(action, _NOTHING_TO_SAY)
        and action.default not in (None, {}, [])
        and "default" not in (action.help or "")
    ]
    assert not silent, f"sim {name} --help: no default given for {silent}"


@pytest.mark.parametrize("name", ["validate", "calibrate"])
def test_without_n_validate_and_calibrate_choose_the_replications_and_their_help_says_so(name):
    # "-n: replications (default: file's)" was wrong here: without -n the count is chosen
    # sequentially, from --min-replications up to the file's own.
    (action,) = (a for a in SUBCOMMANDS[name]._actions if "-n" in a.option_strings)
    assert "--min-replications" in action.help


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_a_help_page_fits_a_terminal_of_100_columns(name, monkeypatch):
    # argparse wraps options to the terminal, but not a raw description or epilog: a
    # line of those longer than the terminal breaks mid-word in the reader's window.
    monkeypatch.setenv("COLUMNS", "100")
    wide = [line for line in SUBCOMMANDS[name].format_help().splitlines() if len(line) > 100]
    assert not wide, wide


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_option_of_a_command_is_in_the_readme(name):
    # The README is the manual: an option only --help knows (staff's --rounds,
    # calibrate's --method, plot's --log) is one a reader of the README never meets.
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)(?![\w-])", README))
    options = {o for a in SUBCOMMANDS[name]._actions for o in a.option_strings}
    unmentioned = sorted(o for o in options if o.startswith("--") and o not in named)
    assert unmentioned in ([], ["--help"]), f"sim {name}: {unmentioned} not in README.md"


def test_validate_help_names_every_field_of_a_json_row(tmp_path, capsys):
    # The help's "JSON rows:" list stopped at `id`; the rows also carry the variant (the
    # --set changes) and the seed they ran, which a reader of the help never learnt.
    from sim.cli import main

    scenario = tmp_path / "one.yaml"
    scenario.write_text(
        "name: one\nstart: 2026-11-02T00:00\nduration: 2h\n"
        "queues:\n  chat:\n    arrivals: {rate: 30/h}\n    staff: 2\n"
        "    service: {dist: exponential, mean: 2m}\n"
        "targets:\n  - {queue: chat, metric: mean_wait, value: 1m, tolerance: 10m}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(scenario), "-n", "1", "--workers", "1", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    epilog = " ".join(SUBCOMMANDS["validate"].epilog.split())
    listed = epilog.split("JSON rows:", 1)[1].split(".", 1)[0]
    assert sorted(key for key in row if not re.search(rf"\b{key}\b", listed)) == []
