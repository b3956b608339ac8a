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
