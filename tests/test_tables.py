"""What the terminal tables print: every figure in its units, rounded, never cut short."""

from __future__ import annotations

import pytest

from sim.report.tables import fmt, with_ci


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (42.0, "42s"),
        (252.0, "4m12s"),
        (3600.0, "1h"),
        (36011.0, "10h"),  # two adjacent units at most: 10h0m11s reads as 10h
        # The second unit shown is rounded, not cut: 1h0m59s is 1h1m, 1h59m59s is 2h.
        (3659.0, "1h1m"),
        (7199.0, "2h"),
        (33239.0, "9h14m"),  # 9h13m59s
        (86399.0, "1d"),  # 23h59m59s
        (129599.0, "1d12h"),  # 1d11h59m59s
        (93600.0 + 1799.0, "1d2h"),  # 1d2h29m59s: down
        (93600.0 + 1801.0, "1d3h"),  # 1d2h30m01s: up
    ],
)
def test_a_duration_is_rounded_to_the_last_unit_it_shows(seconds, shown):
    assert fmt(seconds, "time") == shown


def test_a_difference_and_a_half_width_are_rounded_too():
    assert fmt(-7199.0, "time", signed=True) == "-2h"
    assert with_ci(33239.0, 5399.0, "time") == "9h14m ±1h30m"  # ±1h29m59s


def _columns(line: str) -> int:
    """Terminal columns a line takes: CJK characters are two wide."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_cjk_queue_names_keep_the_columns_aligned():
    # Queue names may be Chinese (客服.邮件): padding counted characters, so a terminal,
    # which draws each CJK character two columns wide, showed that row's figures shifted
    # right of the others.
    import pandas as pd

    from sim.report.tables import COLUMNS, format_summary, grid, wrapped_blocks

    rows = [["客服.邮件", "20"], ["chat", "36"], ["直播间_大促", "5"]]
    lines = grid(["queue", "arrivals"], rows).splitlines()
    assert len({_columns(line) for line in lines}) == 1, lines

    summary = pd.DataFrame(
        {metric: [1.0, 2.0] for _, metric, _ in COLUMNS}, index=pd.Index(["客服.邮件", "chat"])
    )
    lines = format_summary(summary, "title", 60.0).splitlines()[1:]
    assert len({_columns(line) for line in lines}) == 1, lines

    head, body = wrapped_blocks(["queue", "n"], rows, right={1})
    lines = [*head, *(line for block in body for line in block)]
    assert len({_columns(line) for line in lines}) == 1, lines


def _wide_table(figures: int = 9):
    from sim.report.tables import Table

    header = ("queue", *(f"figure {j}" for j in range(figures)))
    rows = tuple(
        (f"queue_{i}_with_a_long_name", *(f"{i}{j}h{j}m ±{j}h5{i}m" for j in range(figures)))
        for i in range(3)
    )
    return Table(header, rows)


@pytest.mark.parametrize("width", [120, 80, 60])
def test_a_wide_table_keeps_within_the_width_and_every_figure(width):
    # `sim run` printed 128-138 columns on shipped scenarios with long waits (hotline gold
    # priority, the document's hotline and platform), wrapping in a 120-column terminal
    # into a table nobody could read; here the figures go into blocks, labels repeated.
    table = _wide_table()
    text = table.text(width, rule=True)
    lines = text.splitlines()
    assert max(_columns(line) for line in lines) <= width
    blocks = text.split("\n\n")
    assert len(blocks) > 1
    for row in table.rows:
        # Each block has a line for the row: its label, then the figures of that block.
        found = [line.split() for line in lines if line.startswith(row[0] + " ")]
        assert len(found) == len(blocks)
        words = [w for line in found for w in line if w != row[0]]
        assert words == [w for cell in row[1:] for w in cell.split()]
    for block in blocks:
        assert block.splitlines()[0].startswith("queue")
        assert set(block.splitlines()[1]) == {"-", " "}


def test_a_table_that_fits_is_laid_out_as_before():
    from sim.report.tables import grid

    table = _wide_table(3)
    assert table.text() == grid(table.header, table.rows, table.left)
    assert table.text(80) == grid(table.header, table.rows, table.left)


def test_a_long_header_over_short_figures_wraps_instead():
    # A sweep's varied path (queues.live_peak.staff.1.agents) over values like 10 made the
    # README's sweep table 140 columns wide.
    from sim.report.tables import Table

    header = ("queues.live_peak.staff.1.agents", "queue", *(f"metric {j}" for j in range(9)))
    rows = tuple((str(n), "live_peak", *(f"{n}m{j}s ±{j}s" for j in range(9))) for n in (8, 10))
    text = Table(header, rows, left=2).text(120)
    lines = text.splitlines()
    assert "\n\n" not in text  # one block
    assert max(map(_columns, lines)) <= 120
    head = [line.split()[0] for line in lines[: len(lines) - len(rows)]]
    assert "".join(head) == header[0]
    assert lines[-1].split()[:2] == ["10", "live_peak"]


def test_run_tables_of_a_scenario_with_long_waits_fit_120_columns(capsys):
    from pathlib import Path

    from sim.cli import main

    scenario = Path(__file__).parent.parent / "scenarios" / "hotline_gold_priority.yaml"
    assert main(["run", str(scenario), "-n", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert max(map(_columns, out.splitlines())) <= 120
    assert "ordinary_tickets" in out
