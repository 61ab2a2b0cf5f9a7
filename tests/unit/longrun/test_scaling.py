"""Scale-down victims: named first, GROUP_BY balance, state rank, killSelection."""
from __future__ import annotations

import pytest

from schedulers.longrun.scaling import Candidate, select_victims


def c(i, state="TASK_RUNNING", started=0.0, **attrs):
    return Candidate(i, state, started, attrs)


@pytest.mark.parametrize("candidates, count, selection, group_by, named, expected", [
    ([c("a", started=1), c("b", started=2), c("c", started=3)], 2, "YOUNGEST_FIRST", (), (), ["c", "b"]),
    ([c("a", started=1), c("b", started=2), c("c", started=3)], 2, "OLDEST_FIRST", (), (), ["a", "b"]),
    # state first: unreachable < staging < starting < running
    ([c("r", started=9), c("s", "TASK_STAGING", 1), c("u", "TASK_UNREACHABLE", 1), c("t", "TASK_STARTING", 1)],
     3, "YOUNGEST_FIRST", (), (), ["u", "s", "t"]),
    # named instances go first, unknown names are ignored
    ([c("a", started=1), c("b", started=2)], 1, "YOUNGEST_FIRST", (), ("a", "zz"), ["a"]),
    ([c("a"), c("b")], 5, "YOUNGEST_FIRST", (), (), ["a", "b"]),   # fewer candidates than asked; ties by id
    ([c("a")], 0, "YOUNGEST_FIRST", (), (), []),
    # GROUP_BY keeps the spread even: rack r1 has 3, r2 has 1 -> take from r1 until even
    ([c("a", started=1, rack="r1"), c("b", started=2, rack="r1"), c("c", started=3, rack="r1"),
      c("d", started=4, rack="r2")], 2, "YOUNGEST_FIRST", ("rack",), (), ["c", "b"]),
    ([c("a", started=1, rack="r1"), c("b", started=2, rack="r2"), c("c", started=3, rack="r1"),
      c("d", started=4, rack="r2")], 3, "OLDEST_FIRST", ("rack",), (), ["a", "b", "c"]),
])
def test_select_victims(candidates, count, selection, group_by, named, expected):
    assert select_victims(candidates, count, selection, group_by, named) == expected
