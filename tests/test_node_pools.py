"""``Node.pools``: the pools whose agents may take a queue's contacts, and never a None.

A node is made before the crews that serve it (a team's crew needs its nodes), so until
its own staff is attached it has no own pool; ``pools`` then lists only what is there.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import sim
from sim.crew import Crew
from sim.environment import Environment
from sim.node import Node
from sim.records import ContactLog
from sim.routing import queue_routes
from sim.streams import queue_streams

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "small_merchant_shared_team.yaml"


def test_pools_hold_only_attached_pools() -> None:
    scenario = sim.load(SCENARIO)
    name, spec = next(iter(scenario.queues.items()))
    env = Environment()
    streams = queue_streams(scenario.seed, 0, name)
    nodes: list[Node] = []
    node = Node(
        env,
        0,
        spec,
        name=name,
        log=ContactLog(),
        streams=streams,
        routes=queue_routes(spec, {q: i for i, q in enumerate(scenario.queues)}, streams),
        network=nodes,
        max_hops=scenario.max_hops,
    )
    nodes.append(node)
    numbers = itertools.count()
    window = (0.0, scenario.duration)
    team = Crew(env, "team", [node], window=window, numbers=numbers)
    own = Crew(env, name, [node], window=window, numbers=numbers)

    assert node.pools == []
    node.attach(team.pool, own=False)
    assert node.pools == [team.pool]
    node.attach(own.pool, own=True)
    assert node.pools == [own.pool, team.pool]
