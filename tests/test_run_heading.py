"""``sim run --set``: the printed table says which variant it is, as its CSV rows do."""

from __future__ import annotations

import sim.cli

SHIPPED = "scenarios/small_merchant_order_chat.yaml"


def test_a_changed_run_names_its_overrides_in_the_table_heading(capsys):
    change = "queues.order_chat.staff=3"
    assert sim.cli.main(["run", SHIPPED, "-n", "2", "--set", change]) == 0
    heading = capsys.readouterr().out.splitlines()[0]
    assert heading.startswith(f"small-merchant-order-chat with {change}: 2 replications"), heading
    assert sim.cli.main(["run", SHIPPED, "-n", "2"]) == 0
    assert capsys.readouterr().out.startswith("small-merchant-order-chat: 2 replications")
