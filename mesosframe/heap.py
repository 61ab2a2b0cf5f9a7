"""Garbage-collector settings for a long-running framework process: `settle_heap`.

CPython collects its youngest generation every 700 net allocations of container objects and walks the whole
heap every hundredth time or so. A framework process holds tens of thousands of objects for its whole life
(modules, the web framework, API models), and an offer round allocates tens of objects per task, almost all of
them alive until the round ends, so with the defaults a 10,000-task placement ran two full collections and
about 270 young ones (about 90 of its 300 ms; see `bench/placement.py`).
"""
from __future__ import annotations

import gc

__all__ = ["settle_heap", "YOUNG_THRESHOLD"]

YOUNG_THRESHOLD = 10_000   # net container allocations between young collections (CPython's default: 700)


def settle_heap(young_threshold: int = YOUNG_THRESHOLD) -> int:
    """For a framework process once started: collect, move every object still alive out of the collector's
    reach (`gc.freeze`), and collect the young generation every `young_threshold` net allocations (the older
    generations' thresholds are kept). May be called again after more start-up work; returns how many objects
    are frozen in all. Not for processes that build and drop many frameworks (tests): what is frozen is never
    collected. Cycles are still collected, only less often; a young collection then takes about a millisecond."""
    if young_threshold < 1:
        raise ValueError("young_threshold must be at least 1")
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)
    return gc.get_freeze_count()
