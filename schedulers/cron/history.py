"""PURE run history records and duration statistics (Chronos's `job/stat/{name}` and `stats/{percentile}`).

A `RunRecord` is what is kept of a finished (or missed/skipped) run: slot time, start, end, state, attempt,
task id, agent, and how many missed slots it coalesced. `duration_stats(records)` gives count, mean, median
and the 75/95/98/99th percentiles of the durations of successful runs, in seconds; percentiles are
nearest-rank (the smallest duration with at least p% of durations at or below it), so they are always
observed values. Empty input gives count 0 and None values.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from .runs import Run
from .schedule import format_instant

__all__ = ["RunRecord", "record_of", "duration_stats", "percentile", "PERCENTILES"]

#: Chronos's names for the statistics, and the percentile each one is.
PERCENTILES = {"median": 50.0, "75thPercentile": 75.0, "95thPercentile": 95.0, "98thPercentile": 98.0,
               "99thPercentile": 99.0}


@dataclass(frozen=True)
class RunRecord:
    """One run as kept in the history. Times are epoch seconds (None when the run never started/ended)."""

    job: str
    slot: float
    state: str
    attempt: int = 0
    start: float | None = None
    end: float | None = None
    task_id: str | None = None
    agent: str | None = None
    kind: str = "scheduled"
    reason: str = ""
    coalesced: int = 0  # missed slots folded into this (catch-up) run

    @property
    def duration(self) -> float | None:
        return None if self.start is None or self.end is None else max(0.0, self.end - self.start)

    def to_json(self) -> dict:
        data = asdict(self)
        data["slotTime"] = format_instant(self.slot)
        data["startTime"] = format_instant(self.start) if self.start is not None else None
        data["endTime"] = format_instant(self.end) if self.end is not None else None
        data["duration"] = self.duration
        return data

    @classmethod
    def from_json(cls, data: dict) -> RunRecord:
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**fields)


def record_of(run: Run) -> RunRecord:
    """The history record of a run."""
    return RunRecord(job=run.job, slot=run.slot, state=run.state.value, attempt=run.attempt, start=run.started,
                     end=run.ended, task_id=run.task_id, agent=run.agent, kind=run.kind.value, reason=run.reason,
                     coalesced=run.coalesced)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None if empty."""
    if not sorted_values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0..100")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def duration_stats(records: Iterable[RunRecord]) -> dict[str, float | int | None]:
    """Chronos's histogram of successful run durations: count, mean, median, 75th..99th percentile (s)."""
    durations = sorted(d for r in records if r.state == "SUCCEEDED" and (d := r.duration) is not None)
    stats: dict[str, float | int | None] = {"count": len(durations),
                                            "mean": sum(durations) / len(durations) if durations else None}
    for name, p in PERCENTILES.items():
        stats[name] = percentile(durations, p)
    return stats
