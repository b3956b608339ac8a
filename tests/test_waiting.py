"""The waiting line against a plain reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.waiting import WaitingLine


class _Reference:
    """First come, first served, with deadlines: a list scanned in full at every step."""

    def __init__(self) -> None:
        self.waiting: list[tuple[int, float, float]] = []  # (id, deadline, joined)

    def push(self, rec: int, deadline: float, now: float) -> None:
        self.waiting.append((rec, deadline, now))

    def pop(self) -> int:
        return self.waiting.pop(0)[0]

    def head_time(self) -> float:
        return self.waiting[0][2]

    def expire(self, now: float) -> tuple[list[int], float]:
        gone = sorted((d, rec) for rec, d, _ in self.waiting if d <= now)
        self.waiting = [w for w in self.waiting if w[1] > now]
        following = min((d for _, d, _ in self.waiting), default=math.inf)
        return [rec for _, rec in gone], following


@pytest.mark.parametrize("seed", range(5))
def test_the_line_does_what_a_plain_list_does(seed):
    # Whole-number deadlines, so that several contacts give up at one instant (a constant
    # patience): they go in the order of their ids.
    rng = np.random.default_rng(seed)
    line, reference = WaitingLine(), _Reference()
    now, rec, seen = 0.0, 0, []
    for _ in range(3000):
        now += float(rng.integers(0, 3))
        action = rng.random()
        if action < 0.45:
            deadline = math.inf if rng.random() < 0.2 else now + float(rng.integers(1, 30))
            line.push(rec, deadline, now)
            reference.push(rec, deadline, now)
            rec += 1
        elif action < 0.75 and line.available:
            assert line.head_time() == reference.head_time()
            seen.append(line.pop())
            assert seen[-1] == reference.pop()
        else:
            gone = line.expire(now)
            assert gone == reference.expire(now)
            seen.extend(gone[0])
        assert len(line) == line.available == len(reference.waiting)
    assert len(seen) > 1000  # the sequence served and expired contacts, many of each
