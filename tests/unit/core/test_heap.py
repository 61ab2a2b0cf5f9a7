"""settle_heap changes the whole process's collector, so it runs in a child interpreter."""
import json
import subprocess
import sys

import pytest

from mesosframe.heap import settle_heap

CHILD = """
import gc, json
from mesosframe.heap import settle_heap, YOUNG_THRESHOLD
before = gc.get_threshold()
kept = [object() for _ in range(10)] + [[i] for i in range(5000)]
frozen = settle_heap()
first = (gc.get_threshold(), frozen, gc.get_freeze_count())
more = [[i] for i in range(3000)]
again = settle_heap(2000)
print(json.dumps({"before": before, "first": first, "again": again, "after": gc.get_threshold(),
                  "young": YOUNG_THRESHOLD, "enabled": gc.isenabled()}))
"""


def test_settle_heap_freezes_what_is_alive_and_keeps_the_older_thresholds():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    (young, older, oldest), frozen, count = result["first"]
    assert (young, older, oldest) == (result["young"], *result["before"][1:])
    assert frozen == count >= 5000               # the 5,000 lists kept alive are frozen
    assert result["again"] >= frozen + 3000      # a second call freezes what came since, cumulatively
    assert result["after"] == [2000, *result["before"][1:]]
    assert result["enabled"] is True


@pytest.mark.parametrize("bad", [0, -1])
def test_a_young_threshold_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="young_threshold"):
        settle_heap(bad)
